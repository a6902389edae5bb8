// Metrics of the token and span tasks, as evaluate computes them: 'seqeval' (seqeval 1.2's
// classification report: conlleval-style chunks by default, or strict IOB1/IOB2/IOE1/IOE2/IOBES/
// BILOU schemes with mode 'strict'), 'squad' (the SQuAD v1.1 script: exact match and token F1 over
// normalised answers) and 'squad_v2' (the v2.0 script: unanswerable questions, the no-answer
// threshold, HasAns/NoAns splits and the best thresholds).

export class NlpMetricError extends Error { override name = 'MetricError'; }

// ---- seqeval ------------------------------------------------------------------------------------

type Chunk = [type: string, start: number, end: number];

function endOfChunk(prevTag: string, tag: string, prevType: string, type: string): boolean {
  return prevTag === 'E' || prevTag === 'S'
    || (prevTag === 'B' && (tag === 'B' || tag === 'S' || tag === 'O'))
    || (prevTag === 'I' && (tag === 'B' || tag === 'S' || tag === 'O'))
    || (prevTag !== 'O' && prevTag !== '.' && prevType !== type);
}
function startOfChunk(prevTag: string, tag: string, prevType: string, type: string): boolean {
  return tag === 'B' || tag === 'S'
    || (prevTag === 'E' && (tag === 'E' || tag === 'I')) || (prevTag === 'S' && (tag === 'E' || tag === 'I'))
    || (prevTag === 'O' && (tag === 'E' || tag === 'I'))
    || (tag !== 'O' && tag !== '.' && prevType !== type);
}

/** seqeval's get_entities over sentences joined with 'O' (the default, lenient mode). */
export function getEntities(seqs: string[][], suffix = false): Chunk[] {
  const flat = seqs.flatMap((s) => [...s, 'O']);
  const chunks: Chunk[] = [];
  let prevTag = 'O', prevType = '', begin = 0;
  [...flat, 'O'].forEach((chunk, i) => {
    const tag = suffix ? chunk[chunk.length - 1]! : chunk[0]!;
    // Python: chunk[1:].split('-', maxsplit=1)[-1] (prefix form) or chunk[:-1].rsplit('-', maxsplit=1)[0] (suffix form)
    const body = suffix ? chunk.slice(0, -1) : chunk.slice(1);
    const cut = suffix ? body.lastIndexOf('-') : body.indexOf('-');
    const type = (cut < 0 ? body : suffix ? body.slice(0, cut) : body.slice(cut + 1)) || '_';
    if (endOfChunk(prevTag, tag, prevType, type)) chunks.push([prevType, begin, i - 1]);
    if (startOfChunk(prevTag, tag, prevType, type)) begin = i;
    prevTag = tag;
    prevType = type;
  });
  return chunks;
}

type Prefix = 'I' | 'O' | 'B' | 'E' | 'S' | 'U' | 'L';
type Pattern = [prev: Prefix[] | '*', cur: Prefix[] | '*', tag: 'same' | 'diff' | 'any'];
interface SchemeDef { allowed: Prefix[]; start: Pattern[]; inside: Pattern[]; end: Pattern[] }
const SCHEMES: Record<string, SchemeDef> = {
  IOB1: {
    allowed: ['I', 'O', 'B'],
    start: [[['O'], ['I'], 'any'], [['I'], ['I'], 'diff'], [['B'], ['I'], 'any'], [['I'], ['B'], 'same'], [['B'], ['B'], 'same']],
    inside: [[['B'], ['I'], 'same'], [['I'], ['I'], 'same']],
    end: [[['I'], ['I'], 'diff'], [['I'], ['O'], 'any'], [['I'], ['B'], 'any'], [['B'], ['O'], 'any'], [['B'], ['I'], 'diff'], [['B'], ['B'], 'same']],
  },
  IOE1: {
    allowed: ['I', 'O', 'E'],
    start: [[['O'], ['I'], 'any'], [['I'], ['I'], 'diff'], [['E'], ['I'], 'any'], [['E'], ['E'], 'same']],
    inside: [[['I'], ['I'], 'same'], [['I'], ['E'], 'same']],
    end: [[['I'], ['I'], 'diff'], [['I'], ['O'], 'any'], [['I'], ['E'], 'diff'], [['E'], ['I'], 'same'], [['E'], ['E'], 'same']],
  },
  IOB2: {
    allowed: ['I', 'O', 'B'],
    start: [['*', ['B'], 'any']],
    inside: [[['B'], ['I'], 'same'], [['I'], ['I'], 'same']],
    end: [[['I'], ['O'], 'any'], [['I'], ['I'], 'diff'], [['I'], ['B'], 'any'], [['B'], ['O'], 'any'], [['B'], ['I'], 'diff'], [['B'], ['B'], 'any']],
  },
  IOE2: {
    allowed: ['I', 'O', 'E'],
    start: [[['O'], ['I'], 'any'], [['O'], ['E'], 'any'], [['E'], ['I'], 'any'], [['E'], ['E'], 'any'], [['I'], ['I'], 'diff'], [['I'], ['E'], 'diff']],
    inside: [[['I'], ['E'], 'same'], [['I'], ['I'], 'same']],
    end: [[['E'], '*', 'any']],
  },
  IOBES: {
    allowed: ['I', 'O', 'B', 'E', 'S'],
    start: [['*', ['B'], 'any'], ['*', ['S'], 'any']],
    inside: [[['B'], ['I'], 'same'], [['B'], ['E'], 'same'], [['I'], ['I'], 'same'], [['I'], ['E'], 'same']],
    end: [[['S'], '*', 'any'], [['E'], '*', 'any']],
  },
  BILOU: {
    allowed: ['B', 'I', 'L', 'O', 'U'],
    start: [['*', ['B'], 'any'], ['*', ['U'], 'any']],
    inside: [[['B'], ['I'], 'same'], [['B'], ['L'], 'same'], [['I'], ['I'], 'same'], [['I'], ['L'], 'same']],
    end: [[['U'], '*', 'any'], [['L'], '*', 'any']],
  },
};
interface Tok { prefix: Prefix; tag: string; raw: string }
function parseToken(t: string, suffix: boolean): Tok {
  const p = (suffix ? t[t.length - 1] : t[0]) as Prefix;
  if (!'IOBESUL'.includes(p ?? '') || !t) throw new NlpMetricError(`seqeval: tag '${t}' has no I/O/B/E/S/U/L prefix: this scheme is not supported`);
  const tag = (suffix ? t.slice(0, -1) : t.slice(1)).replace(/^-+|-+$/g, '') || '_';
  return { prefix: p, tag, raw: t };
}
const matches = (pats: Pattern[], prev: Tok, cur: Tok) => pats.some(([pp, cp, cond]) => (pp === '*' || pp.includes(prev.prefix)) && (cp === '*' || cp.includes(cur.prefix))
  && (cond === 'any' || (cond === 'same') === (prev.tag === cur.tag)));

/** seqeval.scheme.Tokens.entities: strict entities of one sentence, as `${sent}|${tag}|${start}|${end}` keys. */
function strictEntities(seq: string[], scheme: SchemeDef, suffix: boolean, sent: number): { tag: string; key: string }[] {
  const outside = parseToken('O', suffix);
  const tokens = [...seq.map((t) => parseToken(t, suffix)), outside];
  const out: { tag: string; key: string }[] = [];
  let i = 0;
  let prev = outside;
  while (i < tokens.length) {
    const tok = tokens[i]!;
    if (!scheme.allowed.includes(tok.prefix)) throw new NlpMetricError(`seqeval: invalid token '${tok.raw}' for this scheme: allowed prefixes are ${scheme.allowed.join(', ')}`);
    if (matches(scheme.start, prev, tok)) {
      let end = tokens.length - 2;
      let p = tok;
      for (let j = i + 1; j < tokens.length; j++) { if (matches(scheme.inside, p, tokens[j]!)) p = tokens[j]!; else { end = j; break; } }
      if (matches(scheme.end, tokens[end - 1]!, tokens[end]!)) out.push({ tag: tok.tag, key: `${sent}|${tok.tag}|${i}|${end}` });
      i = end;
    } else i++;
    prev = tokens[i - 1]!;
  }
  return out;
}

/** seqeval's auto_detect: IOB2, IOE2 or IOBES from the prefixes used. */
function autoDetect(seqs: string[][], suffix: boolean): SchemeDef {
  const prefixes = new Set<string>();
  for (const s of seqs) for (const t of s) prefixes.add(parseToken(t, suffix).prefix);
  const only = (allowed: string) => [...prefixes].every((p) => allowed.includes(p));
  if (only('IOB')) return SCHEMES.IOB2!;
  if (only('IOE')) return SCHEMES.IOE2!;
  if (only('IOBES')) return SCHEMES.IOBES!;
  throw new NlpMetricError(`seqeval: this scheme is not supported: prefixes ${[...prefixes].sort().join(', ')}; pass scheme explicitly`);
}

export interface SeqevalOptions { suffix?: boolean; scheme?: 'IOB1' | 'IOB2' | 'IOE1' | 'IOE2' | 'IOBES' | 'BILOU' | null; mode?: 'strict' | null; zeroDivision?: 'warn' | 0 | 1 }
export type SeqevalResult = Record<string, number | { precision: number; recall: number; f1: number; number: number }>;

/** evaluate.load('seqeval').compute: per entity type, then overall precision/recall/F1 and token accuracy. */
export function seqeval(predictions: string[][], references: string[][], o: SeqevalOptions = {}): SeqevalResult {
  if (!Array.isArray(predictions) || !Array.isArray(references) || predictions.length !== references.length) {
    throw new NlpMetricError(`seqeval: predictions and references must be lists of tag sequences of the same length (got ${predictions?.length} and ${references?.length})`);
  }
  references.forEach((r, i) => {
    if (!Array.isArray(r) || !Array.isArray(predictions[i]) || r.length !== predictions[i]!.length) {
      throw new NlpMetricError(`seqeval: row ${i}: predictions has ${predictions[i]?.length} tags but references ${r?.length}: give one tag per token`);
    }
  });
  if (o.scheme && !SCHEMES[o.scheme]) throw new NlpMetricError(`seqeval: Scheme should be one of [IOB1, IOB2, IOE1, IOE2, IOBES, BILOU], got ${o.scheme}`);
  const suffix = o.suffix ?? false;
  const trueBy = new Map<string, Set<string>>();
  const predBy = new Map<string, Set<string>>();
  const add = (m: Map<string, Set<string>>, tag: string, key: string) => { if (!m.has(tag)) m.set(tag, new Set()); m.get(tag)!.add(key); };
  if (o.mode === 'strict') {
    const scheme = o.scheme ? SCHEMES[o.scheme]! : autoDetect(references, suffix);
    references.forEach((s, i) => { for (const e of strictEntities(s, scheme, suffix, i)) add(trueBy, e.tag, e.key); });
    predictions.forEach((s, i) => { for (const e of strictEntities(s, scheme, suffix, i)) add(predBy, e.tag, e.key); });
  } else {
    for (const [t, s, e] of getEntities(references, suffix)) add(trueBy, t, `${s}|${e}`);
    for (const [t, s, e] of getEntities(predictions, suffix)) add(predBy, t, `${s}|${e}`);
  }
  const zero = o.zeroDivision === 1 ? 1 : 0;
  const prf = (tp: number, pred: number, truth: number) => {
    const precision = pred ? tp / pred : zero;
    const recall = truth ? tp / truth : zero;
    const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
    return { precision, recall, f1 };
  };
  const out: SeqevalResult = {};
  let tpAll = 0, predAll = 0, trueAll = 0;
  for (const type of [...new Set([...trueBy.keys(), ...predBy.keys()])].sort()) {
    const t = trueBy.get(type) ?? new Set<string>();
    const p = predBy.get(type) ?? new Set<string>();
    let tp = 0;
    for (const k of p) if (t.has(k)) tp++;
    out[type] = { ...prf(tp, p.size, t.size), number: t.size };
    tpAll += tp; predAll += p.size; trueAll += t.size;
  }
  const overall = prf(tpAll, predAll, trueAll);
  out.overall_precision = overall.precision;
  out.overall_recall = overall.recall;
  out.overall_f1 = overall.f1;
  let correct = 0, total = 0;
  references.forEach((r, i) => r.forEach((t, j) => { total++; if (predictions[i]![j] === t) correct++; }));
  out.overall_accuracy = total ? correct / total : 0;
  return out;
}

// ---- SQuAD ---------------------------------------------------------------------------------------

const PUNCTUATION = new Set('!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~');
/** The official scripts' normalize_answer: lowercase, punctuation and articles removed, spaces collapsed. */
export function normalizeAnswer(s: string): string {
  const noPunc = [...s.toLowerCase()].filter((c) => !PUNCTUATION.has(c)).join('');
  return noPunc.replace(/(?<![\p{L}\p{N}_])(a|an|the)(?![\p{L}\p{N}_])/gu, ' ').split(/\s+/u).filter(Boolean).join(' ');
}
const tokensOf = (s: string) => (s ? normalizeAnswer(s).split(' ').filter(Boolean) : []);
function tokenF1(gold: string, pred: string, v2: boolean): number {
  const g = tokensOf(gold), p = tokensOf(pred);
  if (v2 && (g.length === 0 || p.length === 0)) return Number(g.length === p.length);
  const counts = new Map<string, number>();
  for (const t of g) counts.set(t, (counts.get(t) ?? 0) + 1);
  let same = 0;
  for (const t of p) { const c = counts.get(t) ?? 0; if (c > 0) { same++; counts.set(t, c - 1); } }
  if (same === 0) return 0;
  const precision = same / p.length, recall = same / g.length;
  return (2 * precision * recall) / (precision + recall);
}

export interface SquadPrediction { id: string; prediction_text: string; no_answer_probability?: number }
export interface SquadReference { id: string; answers: { text: string[]; answer_start?: number[] } }

function checkSquad(name: string, predictions: SquadPrediction[], references: SquadReference[]): void {
  if (!Array.isArray(predictions) || !Array.isArray(references)) throw new NlpMetricError(`${name}: predictions and references must be arrays`);
  predictions.forEach((p, i) => {
    if (typeof p?.id !== 'string' || typeof p.prediction_text !== 'string') throw new NlpMetricError(`${name}: predictions[${i}] needs id and prediction_text (strings)`);
    if (name === 'squad_v2' && typeof p.no_answer_probability !== 'number') throw new NlpMetricError(`${name}: predictions[${i}] needs no_answer_probability (a number)`);
  });
  references.forEach((r, i) => {
    if (typeof r?.id !== 'string' || !Array.isArray(r.answers?.text)) throw new NlpMetricError(`${name}: references[${i}] needs id and answers.text (an array of strings)`);
  });
}

/** evaluate.load('squad').compute: exact_match and f1 in percent (unanswered questions score 0). */
export function squad(predictions: SquadPrediction[], references: SquadReference[]): { exact_match: number; f1: number } {
  checkSquad('squad', predictions, references);
  const pred = new Map(predictions.map((p) => [p.id, p.prediction_text]));
  let em = 0, f1 = 0;
  for (const r of references) {
    const p = pred.get(r.id);
    if (p === undefined) continue;
    em += Math.max(0, ...r.answers.text.map((g) => Number(normalizeAnswer(p) === normalizeAnswer(g))));
    f1 += Math.max(0, ...r.answers.text.map((g) => tokenF1(g, p, false)));
  }
  const total = references.length;
  return { exact_match: (100 * em) / total, f1: (100 * f1) / total };
}

/** evaluate.load('squad_v2').compute: exact/f1 with the no-answer threshold, HasAns/NoAns splits, best thresholds. */
export function squadV2(predictions: SquadPrediction[], references: SquadReference[], o: { noAnswerThreshold?: number } = {}): Record<string, number> {
  checkSquad('squad_v2', predictions, references);
  const thresh = o.noAnswerThreshold ?? 1.0;
  const pred = new Map(predictions.map((p) => [p.id, p.prediction_text]));
  const naProb = new Map(predictions.map((p) => [p.id, p.no_answer_probability!]));
  const hasAns = new Map(references.map((r) => [r.id, r.answers.text.length > 0]));
  const exactRaw = new Map<string, number>(), f1Raw = new Map<string, number>();
  for (const r of references) {
    let golds = r.answers.text.filter((t) => normalizeAnswer(t));
    if (!golds.length) golds = [''];
    const p = pred.get(r.id);
    if (p === undefined) continue;
    exactRaw.set(r.id, Math.max(...golds.map((g) => Number(normalizeAnswer(g) === normalizeAnswer(p)))));
    f1Raw.set(r.id, Math.max(...golds.map((g) => tokenF1(g, p, true))));
  }
  const applyThresh = (raw: Map<string, number>) => new Map([...raw].map(([id, s]) => [id, (naProb.get(id) ?? 0) > thresh ? Number(!hasAns.get(id)) : s]));
  const exact = applyThresh(exactRaw), f1 = applyThresh(f1Raw);
  const evalOn = (ids: string[] | null) => {
    const list = ids ?? [...exact.keys()];
    const sum = (m: Map<string, number>) => list.reduce((a, id) => a + (m.get(id) ?? 0), 0);
    return { exact: (100 * sum(exact)) / list.length, f1: (100 * sum(f1)) / list.length, total: list.length };
  };
  const out: Record<string, number> = { ...evalOn(null) };
  const hasIds = references.filter((r) => hasAns.get(r.id)).map((r) => r.id);
  const noIds = references.filter((r) => !hasAns.get(r.id)).map((r) => r.id);
  if (hasIds.length) { const e = evalOn(hasIds); out.HasAns_exact = e.exact; out.HasAns_f1 = e.f1; out.HasAns_total = e.total; }
  if (noIds.length) { const e = evalOn(noIds); out.NoAns_exact = e.exact; out.NoAns_f1 = e.f1; out.NoAns_total = e.total; }
  const best = (scores: Map<string, number>): [number, number] => {
    let cur = [...hasAns.values()].filter((v) => !v).length;
    let bestScore = cur, bestThresh = 0;
    for (const id of [...naProb.keys()].sort((a, b) => naProb.get(a)! - naProb.get(b)!)) {
      if (!scores.has(id)) continue;
      cur += hasAns.get(id) ? scores.get(id)! : pred.get(id) ? -1 : 0;
      if (cur > bestScore) { bestScore = cur; bestThresh = naProb.get(id)!; }
    }
    return [(100 * bestScore) / scores.size, bestThresh];
  };
  [out.best_exact, out.best_exact_thresh] = best(exactRaw);
  [out.best_f1, out.best_f1_thresh] = best(f1Raw);
  return out;
}

/** evaluate-style metric objects for loadMetric('seqeval' | 'squad' | 'squad_v2'): addBatch, then compute. */
export class StructuredMetric<P, R, O, Out> {
  private preds: P[] = [];
  private refs: R[] = [];
  constructor(readonly name: string, private readonly fn: (p: P[], r: R[], o: O) => Out) {}
  addBatch({ predictions, references }: { predictions: P[]; references: R[] }): void { this.preds.push(...predictions); this.refs.push(...references); }
  add({ prediction, reference }: { prediction: P; reference: R }): void { this.preds.push(prediction); this.refs.push(reference); }
  compute(o: { predictions?: P[]; references?: R[] } & O = {} as { predictions?: P[]; references?: R[] } & O): Out {
    if (o.predictions || o.references) this.addBatch({ predictions: o.predictions ?? [], references: o.references ?? [] });
    const p = this.preds, r = this.refs;
    this.preds = [];
    this.refs = [];
    if (!p.length) throw new NlpMetricError(`${this.name}: nothing to score: pass predictions and references, or call addBatch before compute()`);
    return this.fn(p, r, o);
  }
}
export type SeqevalMetric = StructuredMetric<string[], string[], SeqevalOptions, SeqevalResult>;
export type SquadMetric = StructuredMetric<SquadPrediction, SquadReference, object, { exact_match: number; f1: number }>;
export type SquadV2Metric = StructuredMetric<SquadPrediction, SquadReference, { noAnswerThreshold?: number }, Record<string, number>>;
export const NLP_METRICS = {
  seqeval: () => new StructuredMetric('seqeval', seqeval) as SeqevalMetric,
  squad: () => new StructuredMetric('squad', (p: SquadPrediction[], r: SquadReference[]) => squad(p, r)) as SquadMetric,
  squad_v2: () => new StructuredMetric('squad_v2', squadV2) as SquadV2Metric,
};
