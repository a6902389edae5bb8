// Classification metrics as scikit-learn 1.2.1 computes them (what the HF `evaluate` metrics wrap):
// target-type checks, multilabel confusion counts, zero_division handling and its warnings, and the
// same floating-point formulas (F = (1 + b^2) * P * R / (b^2 * P + R), numpy pairwise sums), so
// results match sklearn to the last bit or within an ulp.

export type Label = number | string;
export type Average = 'binary' | 'micro' | 'macro' | 'weighted' | 'samples' | null;
export type ZeroDivision = 'warn' | 0 | 1;

export class MetricError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MetricError';
  }
}

/** Called with sklearn's warning texts (UndefinedMetricWarning / UserWarning). */
export type WarningHandler = (message: string, category: 'UndefinedMetricWarning' | 'UserWarning') => void;

const shownWarnings = new Set<string>();

/** process.emitWarning, each distinct message once per process (like Python's default warnings filter). */
export const defaultWarningHandler: WarningHandler = (message, category) => {
  if (shownWarnings.has(message)) return;
  shownWarnings.add(message);
  process.emitWarning(message, category);
};

// ---------------------------------------------------------------------------------------------
// numpy-compatible reductions

/** numpy's pairwise summation (add.reduce on a contiguous float64 array, identity 0.0). */
export function npSum(a: ArrayLike<number>): number {
  return 0.0 + pairwise(a, 0, a.length);
}

function pairwise(a: ArrayLike<number>, start: number, n: number): number {
  if (n < 8) {
    let res = 0.0;
    for (let i = 0; i < n; i++) res += a[start + i];
    return res;
  }
  if (n <= 128) {
    const r = [a[start], a[start + 1], a[start + 2], a[start + 3], a[start + 4], a[start + 5], a[start + 6], a[start + 7]];
    let i = 8;
    for (; i < n - (n % 8); i += 8) for (let j = 0; j < 8; j++) r[j] += a[start + i + j];
    let res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; i++) res += a[start + i];
    return res;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return pairwise(a, start, n2) + pairwise(a, start + n2, n - n2);
}

/** np.average(a, weights=w). */
export function npAverage(a: ArrayLike<number>, weights?: ArrayLike<number> | null): number {
  if (!weights) return npSum(a) / a.length;
  const scl = npSum(weights);
  if (scl === 0) throw new MetricError("Weights sum to zero, can't be normalized");
  const prod = Array.from(a, (v, i) => v * weights[i]);
  return npSum(prod) / scl;
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

// ---------------------------------------------------------------------------------------------
// targets

type TargetType = 'binary' | 'multiclass' | 'continuous';

function labelKind(y: readonly Label[], name: string): 'number' | 'string' | 'empty' {
  let kind: 'number' | 'string' | 'empty' = 'empty';
  for (let i = 0; i < y.length; i++) {
    const v = y[i];
    const k = typeof v;
    if (k !== 'number' && k !== 'string') throw new MetricError(`${name}[${i}] is ${v === null ? 'null' : k}: labels must be numbers or strings`);
    if (k === 'number' && !Number.isFinite(v)) throw new MetricError(`${name}[${i}] is ${v}: labels must be finite`);
    if (kind === 'empty') kind = k as 'number' | 'string';
    else if (kind !== k) throw new MetricError(`Mix of label input types (string and number) in ${name}`);
  }
  return kind;
}

function typeOfTarget(y: readonly Label[], name: string): TargetType {
  const kind = labelKind(y, name);
  if (kind === 'number' && (y as number[]).some((v) => !Number.isInteger(v))) return 'continuous';
  return new Set(y).size > 2 ? 'multiclass' : 'binary';
}

function compareLabels(a: Label, b: Label): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Sorted unique labels of the given arrays (sklearn unique_labels). */
export function uniqueLabels(...ys: Array<readonly Label[]>): Label[] {
  const set = new Set<Label>();
  for (const y of ys) for (const v of y) set.add(v);
  const out = [...set];
  const kinds = new Set(out.map((v) => typeof v));
  if (kinds.size > 1) throw new MetricError('Mix of label input types (string and number)');
  return out.sort(compareLabels);
}

export function checkConsistentLength(...arrays: Array<ArrayLike<unknown> | null | undefined>): void {
  const lengths = arrays.filter((a): a is ArrayLike<unknown> => a != null).map((a) => a.length);
  if (new Set(lengths).size > 1) {
    throw new MetricError(`Found input variables with inconsistent numbers of samples: [${lengths.join(', ')}]`);
  }
}

/** sklearn _check_targets for 1-D label arrays: 'binary' or 'multiclass'. */
export function checkTargets(yTrue: readonly Label[], yPred: readonly Label[]): 'binary' | 'multiclass' {
  checkConsistentLength(yTrue, yPred);
  const tt = typeOfTarget(yTrue, 'y_true');
  const tp = typeOfTarget(yPred, 'y_pred');
  let types = new Set<TargetType>([tt, tp]);
  if (types.size === 2 && types.has('binary') && types.has('multiclass')) types = new Set(['multiclass']);
  if (types.size > 1) throw new MetricError(`Classification metrics can't handle a mix of ${tt} and ${tp} targets`);
  const t = [...types][0];
  if (t === 'continuous') throw new MetricError('continuous is not supported');
  if (t === 'binary') {
    uniqueLabels(yTrue, yPred); // same label types
    if (new Set([...yTrue, ...yPred]).size > 2) return 'multiclass';
  }
  return t;
}

function checkSampleWeight(sampleWeight: readonly number[] | null | undefined, n: number): number[] | null {
  if (sampleWeight == null) return null;
  const w = Array.from(sampleWeight);
  checkConsistentLength(new Array(n), w);
  w.forEach((v, i) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new MetricError(`sample_weight[${i}] is ${v}: sample weights must be finite numbers`);
  });
  return w;
}

// ---------------------------------------------------------------------------------------------
// accuracy

export function accuracyScore(yTrue: readonly Label[], yPred: readonly Label[], opts: { normalize?: boolean; sampleWeight?: readonly number[] | null } = {}): number {
  checkTargets(yTrue, yPred);
  const w = checkSampleWeight(opts.sampleWeight, yTrue.length);
  const score = yTrue.map((t, i) => (t === yPred[i] ? 1 : 0));
  if (opts.normalize ?? true) return npAverage(score, w);
  return w ? dot(score, w) : npSum(score);
}

// ---------------------------------------------------------------------------------------------
// precision / recall / F

export interface PrfOptions {
  beta?: number;
  labels?: readonly Label[] | null;
  posLabel?: Label | null;
  average?: Average;
  warnFor?: ReadonlyArray<'precision' | 'recall' | 'f-score'>;
  sampleWeight?: readonly number[] | null;
  zeroDivision?: ZeroDivision;
  onWarning?: WarningHandler;
}

export interface PrfResult {
  precision: number | number[];
  recall: number | number[];
  fScore: number | number[];
  support: number[] | null;
}

const AVERAGE_OPTIONS: Average[] = [null, 'micro', 'macro', 'weighted', 'samples'];

function pyRepr(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (typeof v === 'string') return `'${v}'`;
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(', ')}]`;
  return String(v);
}

export function checkZeroDivision(z: unknown): asserts z is ZeroDivision {
  if (z === 'warn' || z === 0 || z === 1) return;
  throw new MetricError(`Got zero_division=${typeof z === 'string' ? z : String(z)}. Must be one of ["warn", 0, 1]`);
}

/** sklearn _check_set_wise_labels: validates average/pos_label and returns the labels to score. */
function checkSetWiseLabels(yTrue: readonly Label[], yPred: readonly Label[], average: Average, labels: readonly Label[] | null | undefined, posLabel: Label | null, warn: WarningHandler): readonly Label[] | null {
  if (!AVERAGE_OPTIONS.includes(average) && average !== 'binary') {
    throw new MetricError(`average has to be one of (None, 'micro', 'macro', 'weighted', 'samples') or 'binary', got ${pyRepr(average)}`);
  }
  const yType = checkTargets(yTrue, yPred);
  const present = uniqueLabels(yTrue, yPred);
  if (average === 'binary') {
    if (yType === 'binary') {
      if (!present.includes(posLabel as Label) && present.length >= 2) {
        throw new MetricError(`pos_label=${pyRepr(posLabel)} is not a valid label. It should be one of ${pyRepr(present)}`);
      }
      return [posLabel as Label];
    }
    throw new MetricError(`Target is ${yType} but average='binary'. Please choose another average setting, one of [None, 'micro', 'macro', 'weighted'].`);
  } else if (posLabel !== null && posLabel !== 1) {
    warn(`Note that pos_label (set to ${pyRepr(posLabel)}) is ignored when average != 'binary' (got ${pyRepr(average)}). You may use labels=[pos_label] to specify a single positive class.`, 'UserWarning');
  }
  return labels ?? null;
}

/** tp, pred and true sums per label (sklearn multilabel_confusion_matrix for 1-D targets). */
function prfCounts(yTrue: readonly Label[], yPred: readonly Label[], labels: readonly Label[] | null, w: number[] | null): { tp: number[]; pred: number[]; true: number[] } {
  const present = uniqueLabels(yTrue, yPred);
  let selected: readonly Label[];
  let all: Label[];
  if (labels == null) {
    selected = present;
    all = present;
  } else {
    if (labels.length === 0) throw new MetricError('labels must not be empty');
    uniqueLabels(labels, present); // one label type
    selected = labels;
    all = uniqueLabels(labels, present);
  }
  const index = new Map<Label, number>(all.map((l, i) => [l, i]));
  const n = all.length;
  const tp = new Array<number>(n).fill(0);
  const pred = new Array<number>(n).fill(0);
  const tru = new Array<number>(n).fill(0);
  for (let i = 0; i < yTrue.length; i++) {
    const wi = w ? w[i] : 1;
    const ti = index.get(yTrue[i])!;
    const pi = index.get(yPred[i])!;
    if (ti === pi) tp[ti] += wi;
    pred[pi] += wi;
    tru[ti] += wi;
  }
  const idx = selected.map((l) => index.get(l)!);
  return { tp: idx.map((i) => tp[i]), pred: idx.map((i) => pred[i]), true: idx.map((i) => tru[i]) };
}

function warnPrf(warn: WarningHandler, average: Average, modifier: string, msgStart: string, resultSize: number): void {
  let [axis0, axis1] = ['sample', 'label'];
  if (average === 'samples') [axis0, axis1] = [axis1, axis0];
  const where = resultSize === 1 ? 'due to' : `in ${axis1}s with`;
  warn(`${msgStart} ill-defined and being set to 0.0 ${where} no ${modifier} ${axis0}s. Use \`zero_division\` parameter to control this behavior.`, 'UndefinedMetricWarning');
}

function prfDivide(num: number[], den: number[], metric: 'precision' | 'recall', modifier: string, average: Average, warnFor: ReadonlyArray<string>, zeroDivision: ZeroDivision, warn: WarningHandler): number[] {
  let any = false;
  const zd = zeroDivision === 1 ? 1.0 : 0.0;
  const result = num.map((v, i) => {
    if (den[i] === 0) {
      any = true;
      return zd;
    }
    return v / den[i];
  });
  if (!any || zeroDivision !== 'warn' || !warnFor.includes(metric)) return result;
  const title = metric[0].toUpperCase() + metric.slice(1);
  const msgStart = warnFor.includes('f-score') ? `${title} and F-score are` : `${title} is`;
  warnPrf(warn, average, modifier, msgStart, result.length);
  return result;
}

/** sklearn.metrics.precision_recall_fscore_support (1-D binary/multiclass targets). */
export function precisionRecallFscoreSupport(yTrue: readonly Label[], yPred: readonly Label[], opts: PrfOptions = {}): PrfResult {
  const beta = opts.beta ?? 1.0;
  const average: Average = opts.average === undefined ? null : opts.average;
  const zeroDivision = opts.zeroDivision ?? 'warn';
  const warnFor = opts.warnFor ?? ['precision', 'recall', 'f-score'];
  const warn = opts.onWarning ?? defaultWarningHandler;
  checkZeroDivision(zeroDivision);
  const labels = checkSetWiseLabels(yTrue, yPred, average, opts.labels, opts.posLabel === undefined ? 1 : opts.posLabel, warn);
  if (beta < 0) throw new MetricError('beta should be >=0 in the F-beta score');
  if (average === 'samples') throw new MetricError('Samplewise metrics are not available outside of multilabel classification.');
  const w = checkSampleWeight(opts.sampleWeight, yTrue.length);
  let { tp, pred, true: tru } = prfCounts(yTrue, yPred, labels, w);
  if (average === 'micro') {
    tp = [npSum(tp)];
    pred = [npSum(pred)];
    tru = [npSum(tru)];
  }
  const beta2 = beta ** 2;
  const precision = prfDivide(tp, pred, 'precision', 'predicted', average, warnFor, zeroDivision, warn);
  const recall = prfDivide(tp, tru, 'recall', 'true', average, warnFor, zeroDivision, warn);
  if (zeroDivision === 'warn' && warnFor.length === 1 && warnFor[0] === 'f-score') {
    if (pred.some((p, i) => tru[i] === 0 && p === 0)) warnPrf(warn, average, 'true nor predicted', 'F-score is', tru.length);
  }
  let fScore: number[];
  if (beta === Infinity) {
    fScore = recall;
  } else {
    fScore = precision.map((p, i) => {
      let denom = beta2 * p + recall[i];
      if (denom === 0.0) denom = 1;
      return ((1 + beta2) * p * recall[i]) / denom;
    });
  }
  let weights: number[] | null = null;
  if (average === 'weighted') {
    weights = tru;
    if (npSum(weights) === 0) {
      const zdv = zeroDivision === 1 ? 1.0 : 0.0;
      if (npSum(pred) === 0) return { precision: zdv, recall: zdv, fScore: zdv, support: null };
      return { precision: 0.0, recall: zdv, fScore: 0.0, support: null };
    }
  }
  if (average !== null) {
    return { precision: npAverage(precision, weights), recall: npAverage(recall, weights), fScore: npAverage(fScore, weights), support: null };
  }
  return { precision, recall, fScore, support: tru };
}

type ScoreOptions = Omit<PrfOptions, 'warnFor' | 'beta'>;
const withBinaryDefault = (o: ScoreOptions): ScoreOptions => ({ ...o, average: o.average === undefined ? 'binary' : o.average });

export function precisionScore(yTrue: readonly Label[], yPred: readonly Label[], opts: ScoreOptions = {}): number | number[] {
  return precisionRecallFscoreSupport(yTrue, yPred, { ...withBinaryDefault(opts), warnFor: ['precision'] }).precision;
}

export function recallScore(yTrue: readonly Label[], yPred: readonly Label[], opts: ScoreOptions = {}): number | number[] {
  return precisionRecallFscoreSupport(yTrue, yPred, { ...withBinaryDefault(opts), warnFor: ['recall'] }).recall;
}

export function fbetaScore(yTrue: readonly Label[], yPred: readonly Label[], opts: ScoreOptions & { beta: number }): number | number[] {
  return precisionRecallFscoreSupport(yTrue, yPred, { ...withBinaryDefault(opts), warnFor: ['f-score'] }).fScore;
}

export function f1Score(yTrue: readonly Label[], yPred: readonly Label[], opts: ScoreOptions = {}): number | number[] {
  return fbetaScore(yTrue, yPred, { ...opts, beta: 1 });
}

// ---------------------------------------------------------------------------------------------
// Matthews correlation

export function matthewsCorrcoef(yTrue: readonly Label[], yPred: readonly Label[], opts: { sampleWeight?: readonly number[] | null } = {}): number {
  checkTargets(yTrue, yPred);
  const w = checkSampleWeight(opts.sampleWeight, yTrue.length);
  const classes = uniqueLabels(yTrue, yPred);
  const index = new Map<Label, number>(classes.map((l, i) => [l, i]));
  const k = classes.length;
  const C = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (let i = 0; i < yTrue.length; i++) C[index.get(yTrue[i])!][index.get(yPred[i])!] += w ? w[i] : 1;
  const tSum = C.map((row) => row.reduce((a, b) => a + b, 0));
  const pSum = classes.map((_, j) => C.reduce((a, row) => a + row[j], 0));
  let nCorrect = 0;
  for (let i = 0; i < k; i++) nCorrect += C[i][i];
  const nSamples = npSum(pSum);
  const covYtYp = nCorrect * nSamples - dot(tSum, pSum);
  const covYpYp = nSamples ** 2 - dot(pSum, pSum);
  const covYtYt = nSamples ** 2 - dot(tSum, tSum);
  if (covYpYp * covYtYt === 0) return 0.0;
  return covYtYp / Math.sqrt(covYtYt * covYpYp);
}

// ---------------------------------------------------------------------------------------------
// correlations (GLUE stsb), as scipy.stats computes them

export function pearsonr(x: readonly number[], y: readonly number[]): number {
  if (x.length !== y.length) throw new MetricError('x and y must have the same length.');
  if (x.length < 2) throw new MetricError('x and y must have length at least 2.');
  const n = x.length;
  const xmean = npSum(x) / n;
  const ymean = npSum(y) / n;
  const xm = x.map((v) => v - xmean);
  const ym = y.map((v) => v - ymean);
  if (xm.every((v) => v === 0) || ym.every((v) => v === 0)) return NaN; // constant input: scipy warns, returns nan
  const normx = Math.sqrt(dot(xm, xm));
  const normy = Math.sqrt(dot(ym, ym));
  const r = dot(xm.map((v) => v / normx), ym.map((v) => v / normy));
  return Math.max(Math.min(r, 1.0), -1.0);
}

/** Ranks with ties averaged (scipy.stats.rankdata 'average'), 1-based. */
export function rankdata(a: readonly number[]): number[] {
  const order = a.map((v, i) => [v, i] as const).sort((p, q) => p[0] - q[0] || p[1] - q[1]);
  const ranks = new Array<number>(a.length);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && order[j + 1][0] === order[i][0]) j++;
    const r = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) ranks[order[k][1]] = r;
    i = j + 1;
  }
  return ranks;
}

export function spearmanr(x: readonly number[], y: readonly number[]): number {
  if (x.length !== y.length) throw new MetricError('x and y must have the same length.');
  if (x.length < 2) throw new MetricError('x and y must have length at least 2.');
  return pearsonr(rankdata(x), rankdata(y));
}
