// Logits processors and warpers (transformers' generation/logits_process.py): each maps the
// next-token scores [B, V] given the ids so far [B, L] to new scores, with the same tensor ops.
import { Tensor, tidy, tensor, type Generator } from '../torch/index';

export interface LogitsProcessor {
  process(inputIds: Tensor, scores: Tensor): Tensor;
}

/** Applies processors in order (transformers' LogitsProcessorList). */
export class LogitsProcessorList extends Array<LogitsProcessor> {
  process(inputIds: Tensor, scores: Tensor): Tensor {
    return tidy(() => {
      let s = scores;
      for (const p of this) s = p.process(inputIds, s);
      return s === scores ? scores.view(scores.shape) : s;
    });
  }
}

/** A [B, V] bool mask with true at the given (row, column) pairs. */
function maskAt(shape: number[], cells: [number, number][]): Tensor {
  const [b, v] = shape as [number, number];
  const data = new Uint8Array(b * v);
  for (const [r, c] of cells) if (c >= 0 && c < v) data[r * v + c] = 1;
  return tensor(data, { shape: [b, v], dtype: 'bool' });
}
/** A [V] bool mask with true at the given columns, broadcast over rows. */
function columnsMask(v: number, cols: Iterable<number>): Tensor {
  const data = new Uint8Array(v);
  for (const c of cols) if (c >= 0 && c < v) data[c] = 1;
  return tensor(data, { shape: [v], dtype: 'bool' });
}
const ids2d = (t: Tensor): number[][] => t.toArray() as number[][];

/** -inf for the eos tokens until `minLength` tokens (prompt included) exist. */
export class MinLengthLogitsProcessor implements LogitsProcessor {
  constructor(readonly minLength: number, readonly eosTokenIds: number[]) {}
  process(inputIds: Tensor, scores: Tensor): Tensor {
    if (inputIds.shape[1]! >= this.minLength) return scores;
    return tidy(() => scores.maskedFill(columnsMask(scores.shape[1]!, this.eosTokenIds), -Infinity));
  }
}

/** -inf for the eos tokens until `minNewTokens` tokens were generated after the prompt. */
export class MinNewTokensLengthLogitsProcessor implements LogitsProcessor {
  constructor(readonly promptLength: number, readonly minNewTokens: number, readonly eosTokenIds: number[]) {}
  process(inputIds: Tensor, scores: Tensor): Tensor {
    if (inputIds.shape[1]! - this.promptLength >= this.minNewTokens) return scores;
    return tidy(() => scores.maskedFill(columnsMask(scores.shape[1]!, this.eosTokenIds), -Infinity));
  }
}

/** Divides positive scores of tokens already present by `penalty` and multiplies negative ones (CTRL's repetition penalty). */
export class RepetitionPenaltyLogitsProcessor implements LogitsProcessor {
  constructor(readonly penalty: number) {
    if (!(penalty > 0)) throw new Error(`\`penalty\` has to be a strictly positive float, but is ${penalty}`);
  }
  process(inputIds: Tensor, scores: Tensor): Tensor {
    return tidy(() => {
      const ids = inputIds.to('int64');
      const score = scores.gather(1, ids);
      const penalised = score.mul(this.penalty).where(score.lt(0), score.div(this.penalty));
      return scores.scatter(1, ids, penalised);
    });
  }
}

/** Bans tokens that would repeat an n-gram already in the sequence. */
export class NoRepeatNGramLogitsProcessor implements LogitsProcessor {
  constructor(readonly ngramSize: number) {
    if (!(Number.isInteger(ngramSize) && ngramSize > 0)) throw new Error(`\`ngram_size\` has to be a strictly positive integer, but is ${ngramSize}`);
  }
  process(inputIds: Tensor, scores: Tensor): Tensor {
    const n = this.ngramSize;
    const rows = ids2d(inputIds);
    const curLen = rows[0]?.length ?? 0;
    if (curLen + 1 < n) return scores;
    const banned: [number, number][] = [];
    rows.forEach((row, r) => {
      const prefix = row.slice(curLen + 1 - n).join(',');
      for (let i = 0; i + n <= row.length; i++) {
        if (row.slice(i, i + n - 1).join(',') === prefix) banned.push([r, row[i + n - 1]!]);
      }
    });
    if (!banned.length) return scores;
    return tidy(() => scores.maskedFill(maskAt(scores.shape, banned), -Infinity));
  }
}

/** -inf for token sequences that must not be generated (bad_words_ids). */
export class NoBadWordsLogitsProcessor implements LogitsProcessor {
  constructor(readonly badWordsIds: number[][], readonly eosTokenIds: number[]) {
    if (!Array.isArray(badWordsIds) || !badWordsIds.length || badWordsIds.some((w) => !Array.isArray(w) || !w.length)) {
      throw new Error(`\`bad_words_ids\` has to be a non-empty list of non-empty lists of token ids, but is ${JSON.stringify(badWordsIds)}`);
    }
    this.badWordsIds = badWordsIds.filter((w) => !(w.length === 1 && eosTokenIds.includes(w[0]!)));
  }
  process(inputIds: Tensor, scores: Tensor): Tensor {
    const rows = ids2d(inputIds);
    const banned: [number, number][] = [];
    rows.forEach((row, r) => {
      for (const w of this.badWordsIds) {
        const prefix = w.slice(0, -1);
        if (prefix.length > row.length) continue;
        if (prefix.every((t, i) => row[row.length - prefix.length + i] === t)) banned.push([r, w[w.length - 1]!]);
      }
    });
    if (!banned.length) return scores;
    return tidy(() => scores.maskedFill(maskAt(scores.shape, banned), -Infinity));
  }
}

/** Forces `tokenId` as the first generated token (encoder-decoders: cur_len == 1). */
export class ForcedBOSTokenLogitsProcessor implements LogitsProcessor {
  constructor(readonly bosTokenId: number) {}
  process(inputIds: Tensor, scores: Tensor): Tensor {
    if (inputIds.shape[1] !== 1) return scores;
    return forceToken(scores, [this.bosTokenId]);
  }
}

/** Forces eos as the last token when max_length is reached. */
export class ForcedEOSTokenLogitsProcessor implements LogitsProcessor {
  readonly eosTokenIds: number[];
  constructor(readonly maxLength: number, eos: number | number[]) { this.eosTokenIds = Array.isArray(eos) ? eos : [eos]; }
  process(inputIds: Tensor, scores: Tensor): Tensor {
    if (inputIds.shape[1] !== this.maxLength - 1) return scores;
    return forceToken(scores, this.eosTokenIds);
  }
}

/** -inf everywhere except `ids`, which get 0. */
function forceToken(scores: Tensor, ids: number[]): Tensor {
  return tidy(() => {
    const keep = columnsMask(scores.shape[1]!, ids);
    return scores.maskedFill(keep.logicalNot(), -Infinity).maskedFill(keep, 0);
  });
}

/** NaN -> 0 and ±inf -> the largest finite float. */
export class InfNanRemoveLogitsProcessor implements LogitsProcessor {
  process(_: Tensor, scores: Tensor): Tensor {
    return tidy(() => {
      const max = scores.dtype === 'bfloat16' ? 3.3895313892515355e38 : scores.dtype === 'float16' ? 65504 : 3.4028234663852886e38;
      return scores.maskedFill(scores.isnan(), 0).maskedFill(scores.eq(Infinity), max).maskedFill(scores.eq(-Infinity), -max);
    });
  }
}

/** Raises the eos score exponentially after `start` generated tokens (exponential_decay_length_penalty). */
export class ExponentialDecayLengthPenalty implements LogitsProcessor {
  constructor(readonly start: number, readonly factor: number, readonly eosTokenIds: number[], readonly promptLength: number) {}
  process(inputIds: Tensor, scores: Tensor): Tensor {
    const cur = inputIds.shape[1]!;
    if (cur <= this.start + this.promptLength) return scores;
    return tidy(() => {
      const bonus = this.factor ** (cur - this.promptLength - this.start) - 1;
      let s = scores;
      for (const e of this.eosTokenIds) {
        const col = s.narrow(1, e, 1);
        const add = col.abs().mul(bonus);
        const mask = columnsMask(s.shape[1]!, [e]);
        s = s.add(add.mul(mask.to(s.dtype)));
      }
      return s;
    });
  }
}

/** -inf for tokens that are never generated. */
export class SuppressTokensLogitsProcessor implements LogitsProcessor {
  constructor(readonly suppress: number[]) {}
  process(_: Tensor, scores: Tensor): Tensor {
    return tidy(() => scores.maskedFill(columnsMask(scores.shape[1]!, this.suppress), -Infinity));
  }
}

/** -inf for tokens that may not start the generation. */
export class SuppressTokensAtBeginLogitsProcessor implements LogitsProcessor {
  constructor(readonly suppress: number[], readonly beginIndex: number) {}
  process(inputIds: Tensor, scores: Tensor): Tensor {
    if (inputIds.shape[1] !== this.beginIndex) return scores;
    return tidy(() => scores.maskedFill(columnsMask(scores.shape[1]!, this.suppress), -Infinity));
  }
}

/** Forces given tokens at given generation indices (forced_decoder_ids: [[index, token], ...]). */
export class ForceTokensLogitsProcessor implements LogitsProcessor {
  private readonly map: Map<number, number>;
  constructor(forced: [number, number][]) { this.map = new Map(forced); }
  process(inputIds: Tensor, scores: Tensor): Tensor {
    const t = this.map.get(inputIds.shape[1]!);
    return t === undefined ? scores : forceToken(scores, [t]);
  }
}

/** log_softmax of the scores (renormalize_logits). */
export class LogitNormalization implements LogitsProcessor {
  process(_: Tensor, scores: Tensor): Tensor { return scores.logSoftmax(-1); }
}

// ---- warpers (sampling only) -------------------------------------------------------------------

export class TemperatureLogitsWarper implements LogitsProcessor {
  constructor(readonly temperature: number) {
    if (!(temperature > 0)) throw new Error(`\`temperature\` has to be a strictly positive float, but is ${temperature}`);
  }
  process(_: Tensor, scores: Tensor): Tensor { return scores.div(this.temperature); }
}

/** Keeps the k highest scores (ties with the k-th kept), -inf elsewhere. */
export class TopKLogitsWarper implements LogitsProcessor {
  constructor(readonly topK: number, readonly minTokensToKeep = 1) {
    if (!(Number.isInteger(topK) && topK > 0)) throw new Error(`\`top_k\` has to be a strictly positive integer, but is ${topK}`);
  }
  process(_: Tensor, scores: Tensor): Tensor {
    return tidy(() => {
      const k = Math.min(Math.max(this.topK, this.minTokensToKeep), scores.shape[scores.ndim - 1]!);
      const kth = scores.topk(k).values.narrow(-1, k - 1, 1);
      return scores.maskedFill(scores.lt(kth), -Infinity);
    });
  }
}

/** Nucleus sampling: keeps the smallest set of tokens whose probability reaches top_p. */
export class TopPLogitsWarper implements LogitsProcessor {
  constructor(readonly topP: number, readonly minTokensToKeep = 1) {
    if (!(topP >= 0 && topP <= 1)) throw new Error(`\`top_p\` has to be a float > 0 and < 1, but is ${topP}`);
  }
  process(_: Tensor, scores: Tensor): Tensor {
    return tidy(() => {
      const v = scores.shape[1]!;
      const { values, indices } = scores.sort(-1, false);
      const cum = values.softmax(-1).cumsum(-1);
      const tail = Array.from({ length: Math.min(this.minTokensToKeep, v) }, (_, i) => v - 1 - i);
      const remove = cum.le(1 - this.topP).maskedFill(columnsMask(v, tail), 0);
      return scores.maskedFill(remove.scatter(1, indices, remove), -Infinity);
    });
  }
}

/** Locally typical sampling (typical_p). */
export class TypicalLogitsWarper implements LogitsProcessor {
  constructor(readonly mass: number, readonly minTokensToKeep = 1) {
    if (!(mass > 0 && mass < 1)) throw new Error(`\`typical_p\` has to be a float > 0 and < 1, but is ${mass}`);
  }
  process(_: Tensor, scores: Tensor): Tensor {
    return tidy(() => {
      const v = scores.shape[1]!;
      const normalized = scores.logSoftmax(-1);
      const plogp = normalized.mul(normalized.exp());
      const ent = plogp.maskedFill(plogp.isnan(), 0).sum(-1, true).neg();
      const shifted = normalized.neg().sub(ent).abs();
      const { values: sortedScores, indices } = shifted.sort(-1, false);
      const cum = scores.gather(-1, indices).softmax(-1).cumsum(-1);
      const lastInd = cum.lt(this.mass).sum(1).clamp(0, v - 1).view(-1, 1);
      const head = Array.from({ length: Math.min(this.minTokensToKeep, v) }, (_, i) => i);
      const remove = sortedScores.gt(sortedScores.gather(1, lastInd)).maskedFill(columnsMask(v, head), 0);
      return scores.maskedFill(remove.scatter(1, indices, remove), -Infinity);
    });
  }
}

/** The sampling step: one token per row from softmax(scores), with an optional seeded generator. */
export type Sampler = (probs: Tensor, generator?: Generator) => Tensor;
