// Beam search bookkeeping (transformers 4.29's generation/beam_search.py): the finished hypotheses
// of each batch row, which beams continue, and the final selection. Scores are float64 like
// Python's floats; the running beam scores stay float32 tensors, as there.

/** One finished hypothesis: its score, token ids and the beam it came from at each step. */
interface Hypothesis { score: number; tokens: number[]; beamIndices: number[] | null }

/** The n best finished hypotheses of one batch row (transformers' BeamHypotheses). */
export class BeamHypotheses {
  beams: Hypothesis[] = [];
  worstScore = 1e9;
  constructor(readonly numBeams: number, readonly lengthPenalty: number, readonly earlyStopping: boolean | 'never', readonly maxLength: number | null) {}

  get length(): number { return this.beams.length; }

  /** Adds a hypothesis of `tokens` (its length counts the prompt, not the eos) with summed log-probs. */
  add(tokens: number[], sumLogprobs: number, beamIndices: number[] | null = null): void {
    const score = sumLogprobs / tokens.length ** this.lengthPenalty;
    if (this.beams.length < this.numBeams || score > this.worstScore) {
      this.beams.push({ score, tokens, beamIndices });
      if (this.beams.length > this.numBeams) {
        // Python sorts (score, index) pairs: ties go to the lower index
        const sorted = this.beams.map((b, i) => [b.score, i] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
        this.beams.splice(sorted[0]![1], 1);
        this.worstScore = sorted[1]![0];
      } else {
        this.worstScore = Math.min(score, this.worstScore);
      }
    }
  }

  /** Whether no open beam can beat the worst kept hypothesis any more. */
  isDone(bestSumLogprobs: number, curLen: number): boolean {
    if (this.beams.length < this.numBeams) return false;
    if (this.earlyStopping === true) return true;
    if (this.earlyStopping === false) return this.worstScore >= bestSumLogprobs / curLen ** this.lengthPenalty;
    const len = this.lengthPenalty > 0 ? this.maxLength! : curLen;
    return this.worstScore >= bestSumLogprobs / len ** this.lengthPenalty;
  }
}

export interface BeamStep { nextBeamScores: Float32Array<ArrayBufferLike>; nextBeamTokens: number[]; nextBeamIndices: number[] }

export class BeamSearchScorer {
  readonly beamHyps: BeamHypotheses[];
  readonly done: boolean[];
  constructor(readonly batchSize: number, readonly numBeams: number, o: { lengthPenalty: number; earlyStopping: boolean | 'never'; numBeamHypsToKeep: number; maxLength: number }) {
    this.beamHyps = Array.from({ length: batchSize }, () => new BeamHypotheses(numBeams, o.lengthPenalty, o.earlyStopping, o.maxLength));
    this.done = new Array(batchSize).fill(false);
    this.numBeamHypsToKeep = o.numBeamHypsToKeep;
  }
  readonly numBeamHypsToKeep: number;

  get isDone(): boolean { return this.done.every(Boolean); }

  /**
   * One step: from the 2·num_beams best (score, token, beam) candidates of each row, finished ones
   * (eos) become hypotheses and the first num_beams others continue.
   */
  process(inputIds: number[][], nextScores: Float32Array, nextTokens: number[], nextIndices: number[], padTokenId: number | null,
    eosTokenIds: number[], beamIndices: number[][] | null): BeamStep {
    const curLen = inputIds[0]!.length;
    const k = nextTokens.length / this.batchSize;
    const nb = this.numBeams;
    const nextBeamScores = new Float32Array(this.batchSize * nb);
    const nextBeamTokens = new Array<number>(this.batchSize * nb).fill(0);
    const nextBeamIndices = new Array<number>(this.batchSize * nb).fill(0);
    for (let b = 0; b < this.batchSize; b++) {
      const hyp = this.beamHyps[b]!;
      if (this.done[b]) {
        if (hyp.length < nb) throw new Error(`Batch can only be done if at least ${nb} beams have been generated`);
        if (padTokenId === null) throw new Error('generated beams >= num_beams -> eos_token_id and pad_token have to be defined');
        for (let j = 0; j < nb; j++) { nextBeamScores[b * nb + j] = 0; nextBeamTokens[b * nb + j] = padTokenId; nextBeamIndices[b * nb + j] = 0; }
        continue;
      }
      let beamIdx = 0;
      for (let rank = 0; rank < k; rank++) {
        const token = nextTokens[b * k + rank]!;
        const score = nextScores[b * k + rank]!;
        const batchBeamIdx = b * nb + nextIndices[b * k + rank]!;
        if (eosTokenIds.includes(token)) {
          if (rank >= nb) continue;
          const bi = beamIndices ? [...beamIndices[batchBeamIdx]!, batchBeamIdx] : null;
          hyp.add([...inputIds[batchBeamIdx]!], score, bi);
        } else {
          nextBeamScores[b * nb + beamIdx] = score;
          nextBeamTokens[b * nb + beamIdx] = token;
          nextBeamIndices[b * nb + beamIdx] = batchBeamIdx;
          beamIdx++;
        }
        if (beamIdx === nb) break;
      }
      if (beamIdx < nb) {
        throw new Error(`At most ${k} tokens in ${nextTokens.slice(b * k, (b + 1) * k)} can be equal to \`eos_token_id: ${eosTokenIds}\`. Make sure ${nextTokens.slice(b * k, (b + 1) * k)} are corrected.`);
      }
      let best = -Infinity;
      for (let r = 0; r < k; r++) best = Math.max(best, nextScores[b * k + r]!);
      this.done[b] = this.done[b] || hyp.isDone(best, curLen);
    }
    return { nextBeamScores, nextBeamTokens, nextBeamIndices };
  }

  /**
   * Adds the open beams as hypotheses and picks the best num_return_sequences per row: the
   * sequences (padded with pad, eos appended where it fits), their scores and beam indices.
   */
  finalize(inputIds: number[][], finalBeamScores: Float32Array, padTokenId: number | null, eosTokenIds: number[], maxLength: number,
    beamIndices: number[][] | null): { sequences: number[][]; sequenceScores: Float32Array; beamIndices: number[][] | null } {
    for (let b = 0; b < this.batchSize; b++) {
      if (this.done[b]) continue;
      for (let j = 0; j < this.numBeams; j++) {
        const i = b * this.numBeams + j;
        this.beamHyps[b]!.add([...inputIds[i]!], finalBeamScores[i]!, beamIndices ? beamIndices[i]! : null);
      }
    }
    const keep = this.numBeamHypsToKeep;
    const best: Hypothesis[] = [];
    const bestScores = new Float32Array(this.batchSize * keep);
    for (let b = 0; b < this.batchSize; b++) {
      // Python's sorted(key=score) is stable and pop() takes the last: among equal scores, the last added
      const sorted = this.beamHyps[b]!.beams.map((h, i) => [h, i] as const).sort((x, y) => x[0].score - y[0].score || x[1] - y[1]).map((x) => x[0]);
      for (let j = 0; j < keep; j++) {
        const h = sorted.pop()!;
        best.push(h);
        bestScores[b * keep + j] = h.score;
      }
    }
    const lengths = best.map((h) => h.tokens.length);
    const maxLen = Math.min(Math.max(...lengths) + 1, maxLength);
    const differ = Math.min(...lengths) !== Math.max(...lengths);
    if (differ && padTokenId === null) throw new Error('`pad_token_id` has to be defined');
    const sequences = best.map((h) => {
      const row = new Array<number>(maxLen).fill(padTokenId ?? 0);
      h.tokens.forEach((t, i) => { if (i < maxLen) row[i] = t; });
      if (h.tokens.length < maxLen) row[h.tokens.length] = eosTokenIds[0]!;
      return row;
    });
    const indices = beamIndices && best[0]?.beamIndices ? best.map((h) => {
      const row = new Array<number>(maxLen).fill(-1);
      h.beamIndices!.forEach((v, i) => { if (i < maxLen) row[i] = v; });
      return row;
    }) : null;
    return { sequences, sequenceScores: bestScores, beamIndices: indices };
  }
}
