// Metrics over generated text, as evaluate computes them: 'rouge' (rouge_score's default tokenizer,
// n-gram and LCS F-measures, rougeLsum over newline-split sentences), 'bleu' (evaluate's bleu: the
// TensorFlow NMT compute_bleu over 13a tokens) and 'sacrebleu' (sacrebleu's corpus BLEU, 13a, exp smoothing).

export type TextMetricResult = Record<string, number | number[]>;
export class TextMetricError extends Error { override name = 'TextMetricError'; }

type Refs = string[] | string[][];

function checkTexts(metric: string, predictions: unknown, references: unknown): { preds: string[]; refs: string[][] } {
  if (!Array.isArray(predictions) || !predictions.every((p) => typeof p === 'string')) throw new TextMetricError(`${metric}: predictions must be an array of strings`);
  if (!Array.isArray(references)) throw new TextMetricError(`${metric}: references must be an array of strings (or of arrays of strings, several per prediction)`);
  const refs = references.map((r, i) => {
    if (typeof r === 'string') return [r];
    if (Array.isArray(r) && r.length && r.every((x) => typeof x === 'string')) return r as string[];
    throw new TextMetricError(`${metric}: references[${i}] must be a string or a non-empty array of strings`);
  });
  if (refs.length !== predictions.length) throw new TextMetricError(`${metric}: Mismatch in the number of predictions (${predictions.length}) and references (${refs.length})`);
  return { preds: predictions as string[], refs };
}

// ---- ROUGE --------------------------------------------------------------------------------------

/** rouge_score's default tokenizer: lowercase, non-alphanumerics to spaces, split. */
export function rougeTokenize(text: string): string[] {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, ' ').split(/\s+/).filter((t) => /^[a-z0-9]+$/.test(t));
}
const ngramCounts = (tokens: string[], n: number) => {
  const c = new Map<string, number>();
  for (let i = 0; i + n <= tokens.length; i++) { const k = tokens.slice(i, i + n).join('\u0000'); c.set(k, (c.get(k) ?? 0) + 1); }
  return c;
};
const fmeasure = (p: number, r: number) => (p + r > 0 ? (2 * p * r) / (p + r) : 0);
interface PRF { precision: number; recall: number; fmeasure: number }
function ngramScore(target: string[], pred: string[], n: number): PRF {
  const t = ngramCounts(target, n), p = ngramCounts(pred, n);
  let overlap = 0;
  for (const [k, v] of t) overlap += Math.min(v, p.get(k) ?? 0);
  const tc = Math.max(target.length - n + 1, 0), pc = Math.max(pred.length - n + 1, 0);
  const precision = overlap / Math.max(pc, 1), recall = overlap / Math.max(tc, 1);
  return { precision, recall, fmeasure: fmeasure(precision, recall) };
}
function lcsTable(ref: string[], can: string[]): number[][] {
  const t = Array.from({ length: ref.length + 1 }, () => new Array<number>(can.length + 1).fill(0));
  for (let i = 1; i <= ref.length; i++) for (let j = 1; j <= can.length; j++) {
    t[i]![j] = ref[i - 1] === can[j - 1] ? t[i - 1]![j - 1]! + 1 : Math.max(t[i - 1]![j]!, t[i]![j - 1]!);
  }
  return t;
}
function lcsScore(target: string[], pred: string[]): PRF {
  if (!target.length || !pred.length) return { precision: 0, recall: 0, fmeasure: 0 };
  const l = lcsTable(target, pred)[target.length]![pred.length]!;
  const precision = l / pred.length, recall = l / target.length;
  return { precision, recall, fmeasure: fmeasure(precision, recall) };
}
/** rouge_score's _backtrack_norec: the indices of ref in one LCS with can. */
function lcsIndices(ref: string[], can: string[]): number[] {
  const t = lcsTable(ref, can);
  let i = ref.length, j = can.length;
  const out: number[] = [];
  while (i > 0 && j > 0) {
    if (ref[i - 1] === can[j - 1]) { out.unshift(i - 1); i--; j--; }
    else if (t[i]![j - 1]! > t[i - 1]![j]!) j--;
    else i--;
  }
  return out;
}
/** rougeLsum: summary-level LCS over sentences (rouge_score's _summary_level_lcs). */
function summaryLcs(refSents: string[][], canSents: string[][]): PRF {
  const m = refSents.reduce((a, s) => a + s.length, 0), n = canSents.reduce((a, s) => a + s.length, 0);
  if (!refSents.length || !canSents.length || !m || !n) return { precision: 0, recall: 0, fmeasure: 0 };
  const cr = new Map<string, number>(), cc = new Map<string, number>();
  for (const s of refSents) for (const t of s) cr.set(t, (cr.get(t) ?? 0) + 1);
  for (const s of canSents) for (const t of s) cc.set(t, (cc.get(t) ?? 0) + 1);
  let hits = 0;
  for (const r of refSents) {
    const union = [...new Set(canSents.flatMap((c) => lcsIndices(r, c)))].sort((a, b) => a - b);
    for (const i of union) {
      const t = r[i]!;
      if ((cc.get(t) ?? 0) > 0 && (cr.get(t) ?? 0) > 0) { hits++; cc.set(t, cc.get(t)! - 1); cr.set(t, cr.get(t)! - 1); }
    }
  }
  const precision = hits / n, recall = hits / m;
  return { precision, recall, fmeasure: fmeasure(precision, recall) };
}
function rougeOne(type: string, target: string, pred: string): PRF {
  if (type === 'rougeLsum') {
    const sents = (x: string) => x.split('\n').filter((s) => s.length).map(rougeTokenize);
    return summaryLcs(sents(target), sents(pred));
  }
  const t = rougeTokenize(target), p = rougeTokenize(pred);
  if (type === 'rougeL') return lcsScore(t, p);
  const m = /^rouge(\d+)$/.exec(type);
  if (!m) throw new TextMetricError(`rouge: unknown rouge type '${type}': use rouge1, rouge2, ..., rougeL or rougeLsum`);
  return ngramScore(t, p, Number(m[1]));
}

export interface RougeOptions { rougeTypes?: string[]; useAggregator?: boolean; useStemmer?: boolean }
export function rouge(predictions: string[], references: Refs, o: RougeOptions = {}): TextMetricResult {
  const { preds, refs } = checkTexts('rouge', predictions, references);
  if (o.useStemmer) throw new TextMetricError('rouge: useStemmer (Porter stemming) is not supported by hubtune yet: leave it false');
  const types = o.rougeTypes ?? ['rouge1', 'rouge2', 'rougeL', 'rougeLsum'];
  const per: Record<string, number[]> = Object.fromEntries(types.map((t) => [t, []]));
  preds.forEach((p, i) => {
    for (const t of types) {
      // several references: the best F-measure (rouge_score's score_multi)
      per[t]!.push(Math.max(...refs[i]!.map((r) => rougeOne(t, r, p).fmeasure)));
    }
  });
  if (o.useAggregator === false) return per;
  // evaluate aggregates with rouge_score's BootstrapAggregator (the median of 1000 resampled means, from
  // an unseeded generator); hubtune reports the mean, the value that bootstrap median estimates
  return Object.fromEntries(types.map((t) => [t, per[t]!.reduce((a, b) => a + b, 0) / Math.max(per[t]!.length, 1)]));
}

// ---- BLEU ---------------------------------------------------------------------------------------

/** sacrebleu's 13a tokenization (mteval-v13a), as a string of space-separated tokens. */
export function tokenize13a(line: string): string {
  let s = line.replaceAll('<skipped>', '').replaceAll('-\n', '').replaceAll('\n', ' ');
  if (s.includes('&')) s = s.replaceAll('&quot;', '"').replaceAll('&amp;', '&').replaceAll('&lt;', '<').replaceAll('&gt;', '>');
  s = ` ${s} `;
  s = s.replace(/([\{-\~\[-\` -\&\(-\+\:-\@\/])/g, ' $1 ');
  s = s.replace(/([^0-9])([\.,])/g, '$1 $2 ');
  s = s.replace(/([\.,])([^0-9])/g, ' $1 $2');
  s = s.replace(/([0-9])(-)/g, '$1 $2 ');
  return s.split(/\s+/).filter(Boolean).join(' ');
}
function allNgrams(tokens: string[], maxOrder: number): Map<string, number> {
  const c = new Map<string, number>();
  for (let n = 1; n <= maxOrder; n++) for (let i = 0; i + n <= tokens.length; i++) {
    const k = `${n}\u0001${tokens.slice(i, i + n).join('\u0000')}`;
    c.set(k, (c.get(k) ?? 0) + 1);
  }
  return c;
}

export interface BleuOptions { maxOrder?: number; smooth?: boolean; tokenizer?: (s: string) => string[] }
/** evaluate's 'bleu': {bleu, precisions, brevity_penalty, length_ratio, translation_length, reference_length}. */
export function bleu(predictions: string[], references: Refs, o: BleuOptions = {}): TextMetricResult {
  const { preds, refs } = checkTexts('bleu', predictions, references);
  const maxOrder = o.maxOrder ?? 4;
  const tok = o.tokenizer ?? ((s: string) => tokenize13a(s).split(' ').filter(Boolean));
  const matches = new Array<number>(maxOrder).fill(0), possible = new Array<number>(maxOrder).fill(0);
  let refLen = 0, transLen = 0;
  preds.forEach((p, i) => {
    const rs = refs[i]!.map(tok);
    const t = tok(p);
    refLen += Math.min(...rs.map((r) => r.length));
    transLen += t.length;
    const merged = new Map<string, number>();
    for (const r of rs) for (const [k, v] of allNgrams(r, maxOrder)) merged.set(k, Math.max(merged.get(k) ?? 0, v));
    for (const [k, v] of allNgrams(t, maxOrder)) {
      const m = Math.min(v, merged.get(k) ?? 0);
      if (m > 0) matches[Number(k.split('\u0001')[0]) - 1]! += m;
    }
    for (let n = 1; n <= maxOrder; n++) if (t.length - n + 1 > 0) possible[n - 1]! += t.length - n + 1;
  });
  const precisions = matches.map((m, i) => (o.smooth ? (m + 1) / (possible[i]! + 1) : possible[i]! > 0 ? m / possible[i]! : 0));
  const geo = Math.min(...precisions) > 0 ? Math.exp(precisions.reduce((a, p) => a + (1 / maxOrder) * Math.log(p), 0)) : 0;
  if (refLen === 0) throw new TextMetricError('bleu: the references are empty');
  const ratio = transLen / refLen;
  const bp = ratio > 1 ? 1 : Math.exp(1 - 1 / ratio);
  return { bleu: geo * bp, precisions, brevity_penalty: bp, length_ratio: ratio, translation_length: transLen, reference_length: refLen };
}

export interface SacreBleuOptions { lowercase?: boolean; tokenize?: '13a' | 'none'; smoothMethod?: 'exp' | 'none' | 'floor' | 'add-k'; smoothValue?: number | null; useEffectiveOrder?: boolean }
/** evaluate's 'sacrebleu' (sacrebleu's corpus_bleu): {score, counts, totals, precisions, bp, sys_len, ref_len}; every prediction needs the same number of references. */
export function sacrebleu(predictions: string[], references: Refs, o: SacreBleuOptions = {}): TextMetricResult {
  const { preds, refs } = checkTexts('sacrebleu', predictions, references);
  const per = refs[0]!.length;
  if (refs.some((r) => r.length !== per)) throw new TextMetricError('sacrebleu: Sacrebleu requires the same number of references for each prediction');
  const order = 4;
  const prep = (s: string) => {
    const x = o.lowercase ? s.toLowerCase() : s;
    return (o.tokenize === 'none' ? x.trim() : tokenize13a(x)).split(' ').filter(Boolean);
  };
  const correct = new Array<number>(order).fill(0), total = new Array<number>(order).fill(0);
  let sysLen = 0, refLen = 0;
  preds.forEach((p, i) => {
    const h = prep(p);
    const rs = refs[i]!.map(prep);
    sysLen += h.length;
    let closestDiff = -1, closestLen = -1;
    for (const r of rs) {
      const diff = Math.abs(h.length - r.length);
      if (closestDiff === -1 || diff < closestDiff) { closestDiff = diff; closestLen = r.length; }
      else if (diff === closestDiff && r.length < closestLen) closestLen = r.length;
    }
    refLen += closestLen;
    const maxRef = new Map<string, number>();
    for (const r of rs) for (const [k, v] of allNgrams(r, order)) maxRef.set(k, Math.max(maxRef.get(k) ?? 0, v));
    for (const [k, v] of allNgrams(h, order)) correct[Number(k.split('\u0001')[0]) - 1]! += Math.min(v, maxRef.get(k) ?? 0);
    for (let n = 1; n <= order; n++) total[n - 1]! += Math.max(0, h.length - n + 1);
  });
  const method = o.smoothMethod ?? 'exp';
  const precisions = new Array<number>(order).fill(0);
  let smoothMteval = 1;
  let effOrder = order;
  for (let n = 1; n <= order; n++) {
    if (method === 'add-k' && n > 1) { correct[n - 1]! += o.smoothValue ?? 1; total[n - 1]! += o.smoothValue ?? 1; }
    if (total[n - 1] === 0) break;
    if (o.useEffectiveOrder) effOrder = n;
    if (correct[n - 1] === 0) {
      if (method === 'exp') { smoothMteval *= 2; precisions[n - 1] = 100 / (smoothMteval * total[n - 1]!); }
      else if (method === 'floor') precisions[n - 1] = (100 * (o.smoothValue ?? 0.1)) / total[n - 1]!;
    } else precisions[n - 1] = (100 * correct[n - 1]!) / total[n - 1]!;
  }
  const bp = sysLen < refLen ? (sysLen > 0 ? Math.exp(1 - refLen / sysLen) : 0) : 1;
  const myLog = (x: number) => (x === 0 ? -9999999999 : Math.log(x));
  const score = correct[0] === 0 ? 0 : bp * Math.exp(precisions.slice(0, effOrder).reduce((a, p) => a + myLog(p), 0) / effOrder);
  return { score, counts: correct, totals: total, precisions, bp, sys_len: sysLen, ref_len: refLen };
}

/** A text metric loaded by name (evaluate.load('rouge' | 'bleu' | 'sacrebleu')). */
export class TextMetric {
  private preds: string[] = [];
  private refs: (string | string[])[] = [];
  constructor(readonly name: 'rouge' | 'bleu' | 'sacrebleu') {}
  addBatch({ predictions, references }: { predictions: string[]; references: Refs }): void {
    const { preds, refs } = checkTexts(this.name, predictions, references);
    this.preds.push(...preds);
    this.refs.push(...refs);
  }
  add({ prediction, reference }: { prediction: string; reference: string | string[] }): void {
    this.addBatch({ predictions: [prediction], references: [reference] as Refs });
  }
  compute(o: { predictions?: string[]; references?: Refs } & RougeOptions & BleuOptions & SacreBleuOptions = {}): TextMetricResult {
    const { predictions, references, ...rest } = o;
    if (predictions !== undefined || references !== undefined) this.addBatch({ predictions: predictions ?? [], references: references ?? [] });
    const p = this.preds, r = this.refs as Refs;
    this.preds = [];
    this.refs = [];
    if (!p.length) throw new TextMetricError(`${this.name}: nothing to score: pass predictions and references`);
    return this.name === 'rouge' ? rouge(p, r, rest) : this.name === 'bleu' ? bleu(p, r, rest) : sacrebleu(p, r, rest);
  }
}
export const TEXT_METRICS = ['bleu', 'rouge', 'sacrebleu'] as const;
