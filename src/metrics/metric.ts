// evaluate-style metrics: loadMetric(name, config) -> Metric with add/addBatch/compute, combine(),
// listMetrics(). Inputs are cast like evaluate's features (class ids as integers; GLUE stsb as
// float32) and scored with the scikit-learn-equivalent functions in ./sklearn.
import {
  accuracyScore, f1Score, matthewsCorrcoef, MetricError, pearsonr, precisionScore, recallScore, spearmanr,
  defaultWarningHandler, type Average, type Label, type WarningHandler, type ZeroDivision,
} from './sklearn';
import { TextMetric, TEXT_METRICS } from './text-metrics';
import { NLP_METRICS, type SeqevalMetric, type SquadMetric, type SquadV2Metric } from './nlp-metrics';

export type MetricValue = number | number[];
export type MetricResult = Record<string, MetricValue>;

/** Anything array-like of class ids or scores (plain arrays, typed arrays, BigInt64Array). */
export type MetricInput = ArrayLike<number | bigint | boolean> | Iterable<number | bigint | boolean>;

export interface ComputeOptions {
  predictions?: MetricInput;
  references?: MetricInput;
  /** 'binary' (default), 'micro', 'macro', 'weighted', or null for one score per class. */
  average?: Average;
  posLabel?: Label;
  labels?: Label[] | null;
  sampleWeight?: number[] | null;
  zeroDivision?: ZeroDivision;
  normalize?: boolean;
  // snake_case, as configs arrive from JSON/YAML
  pos_label?: Label;
  sample_weight?: number[] | null;
  zero_division?: ZeroDivision;
}

export interface LoadMetricOptions {
  /** Receives sklearn's UndefinedMetricWarning/UserWarning texts (default: process.emitWarning). */
  onWarning?: WarningHandler;
}

type InputKind = 'int' | 'float';

interface MetricDef {
  description: string;
  /** camelCase option names accepted by compute (snake_case aliases are mapped). */
  options: string[];
  configs?: string[];
  defaultConfig?: string;
  inputKind: (config: string) => InputKind;
  compute: (preds: number[], refs: number[], o: NormalizedOptions, config: string) => MetricResult;
}

interface NormalizedOptions {
  average?: Average;
  posLabel?: Label;
  labels?: Label[] | null;
  sampleWeight?: number[] | null;
  zeroDivision?: ZeroDivision;
  normalize?: boolean;
  onWarning: WarningHandler;
}

const GLUE_CONFIGS = ['sst2', 'mnli', 'mnli_mismatched', 'mnli_matched', 'cola', 'stsb', 'mrpc', 'qqp', 'qnli', 'rte', 'wnli', 'hans'];

/** evaluate: float(score) if score.size == 1 else the per-class array. */
const scalarOrArray = (v: number | number[]): MetricValue => (Array.isArray(v) && v.length === 1 ? v[0] : v);

const prfOpts = (o: NormalizedOptions) => ({
  labels: o.labels, posLabel: o.posLabel ?? 1, average: o.average === undefined ? ('binary' as const) : o.average,
  sampleWeight: o.sampleWeight, zeroDivision: o.zeroDivision ?? 'warn', onWarning: o.onWarning,
});

const simpleAccuracy = (p: number[], r: number[]) => accuracyScore(r, p);

const METRICS: Record<string, MetricDef> = {
  accuracy: {
    description: 'Proportion of correct predictions among all predictions (sklearn accuracy_score).',
    options: ['normalize', 'sampleWeight'],
    inputKind: () => 'int',
    compute: (p, r, o) => ({ accuracy: accuracyScore(r, p, { normalize: o.normalize ?? true, sampleWeight: o.sampleWeight }) }),
  },
  f1: {
    description: 'Harmonic mean of precision and recall (sklearn f1_score).',
    options: ['labels', 'posLabel', 'average', 'sampleWeight', 'zeroDivision'],
    inputKind: () => 'int',
    compute: (p, r, o) => ({ f1: scalarOrArray(f1Score(r, p, prfOpts(o))) }),
  },
  precision: {
    description: 'TP / (TP + FP) (sklearn precision_score).',
    options: ['labels', 'posLabel', 'average', 'sampleWeight', 'zeroDivision'],
    inputKind: () => 'int',
    compute: (p, r, o) => ({ precision: scalarOrArray(precisionScore(r, p, prfOpts(o))) }),
  },
  recall: {
    description: 'TP / (TP + FN) (sklearn recall_score).',
    options: ['labels', 'posLabel', 'average', 'sampleWeight', 'zeroDivision'],
    inputKind: () => 'int',
    compute: (p, r, o) => ({ recall: scalarOrArray(recallScore(r, p, prfOpts(o))) }),
  },
  matthews_correlation: {
    description: 'Matthews correlation coefficient (sklearn matthews_corrcoef).',
    options: ['sampleWeight'],
    inputKind: () => 'int',
    compute: (p, r, o) => ({ matthews_correlation: matthewsCorrcoef(r, p, { sampleWeight: o.sampleWeight }) }),
  },
  glue: {
    description: 'The GLUE metric of one task: accuracy (+ f1 for mrpc/qqp), matthews_correlation (cola), pearson/spearmanr (stsb).',
    options: [],
    configs: GLUE_CONFIGS,
    inputKind: (c) => (c === 'stsb' ? 'float' : 'int'),
    compute: (p, r, _o, c): MetricResult => {
      if (c === 'cola') return { matthews_correlation: matthewsCorrcoef(r, p) };
      if (c === 'stsb') return { pearson: pearsonr(p, r), spearmanr: spearmanr(p, r) };
      if (c === 'mrpc' || c === 'qqp') return { accuracy: simpleAccuracy(p, r), f1: f1Score(r, p) as number };
      return { accuracy: simpleAccuracy(p, r) };
    },
  },
};

const SNAKE: Record<string, string> = { pos_label: 'posLabel', sample_weight: 'sampleWeight', zero_division: 'zeroDivision' };

/** Names loadMetric accepts. */
export function listMetrics(): string[] {
  return [...Object.keys(METRICS), ...TEXT_METRICS, ...Object.keys(NLP_METRICS)].sort();
}

function toNumbers(input: MetricInput | undefined, what: string, metric: string, kind: InputKind): number[] {
  if (input == null) throw new MetricError(`${metric}: ${what} is missing`);
  if (typeof input === 'string' || (typeof (input as ArrayLike<unknown>).length !== 'number' && typeof (input as Iterable<unknown>)[Symbol.iterator] !== 'function')) {
    throw new MetricError(`${metric}: ${what} must be an array of numbers`);
  }
  const arr = Array.from(input as ArrayLike<number | bigint | boolean>);
  return arr.map((v, i) => {
    let x: number;
    if (typeof v === 'bigint') x = Number(v);
    else if (typeof v === 'boolean') x = v ? 1 : 0;
    else if (typeof v === 'number') x = v;
    else throw new MetricError(`${metric}: ${what}[${i}] is ${v === null ? 'null' : typeof v}; expected ${kind === 'int' ? 'an integer class id' : 'a number'}`);
    if (kind === 'int') {
      if (!Number.isInteger(x) || x < -(2 ** 31) || x >= 2 ** 31) {
        throw new MetricError(`${metric}: ${what}[${i}] = ${x} is not an integer class id (int32); pass class ids, e.g. the argmax of the logits`);
      }
      return x;
    }
    if (!Number.isFinite(x)) throw new MetricError(`${metric}: ${what}[${i}] = ${x} is not a finite number`);
    return Math.fround(x); // evaluate casts to float32
  });
}

export class Metric {
  readonly name: string;
  readonly configName: string;
  readonly description: string;
  private readonly def: MetricDef;
  private readonly onWarning: WarningHandler;
  private preds: number[] = [];
  private refs: number[] = [];

  /** @internal use loadMetric */
  constructor(name: string, def: MetricDef, configName: string, opts: LoadMetricOptions) {
    this.name = name;
    this.def = def;
    this.configName = configName;
    this.description = def.description;
    this.onWarning = opts.onWarning ?? defaultWarningHandler;
  }

  /** Option names compute() accepts besides predictions/references. */
  get options(): string[] {
    return [...this.def.options];
  }

  private label(): string {
    return this.configName === 'default' ? this.name : `${this.name}/${this.configName}`;
  }

  /** Adds one prediction/reference pair. */
  add({ prediction, reference }: { prediction: number | bigint | boolean; reference: number | bigint | boolean }): void {
    this.addBatch({ predictions: [prediction], references: [reference] });
  }

  /** Adds a batch; compute() then scores everything added so far. */
  addBatch({ predictions, references }: { predictions: MetricInput; references: MetricInput }): void {
    const kind = this.def.inputKind(this.configName);
    const p = toNumbers(predictions, 'predictions', this.label(), kind);
    const r = toNumbers(references, 'references', this.label(), kind);
    if (p.length !== r.length) throw new MetricError(`${this.label()}: Mismatch in the number of predictions (${p.length}) and references (${r.length})`);
    for (const v of p) this.preds.push(v);
    for (const v of r) this.refs.push(v);
  }

  /**
   * Scores predictions/references given here plus any added with add/addBatch (then clears them),
   * with evaluate's result keys.
   */
  compute(opts: ComputeOptions = {}): MetricResult {
    const { predictions, references, ...rest } = opts;
    const o = this.normalizeOptions(rest);
    if (predictions !== undefined || references !== undefined) {
      if (predictions === undefined || references === undefined) throw new MetricError(`${this.label()}: pass both predictions and references`);
      this.addBatch({ predictions, references });
    }
    const p = this.preds;
    const r = this.refs;
    this.preds = [];
    this.refs = [];
    if (p.length === 0) throw new MetricError(`${this.label()}: nothing to score: pass predictions and references, or call add/addBatch before compute()`);
    return this.def.compute(p, r, o, this.configName);
  }

  private normalizeOptions(rest: Record<string, unknown>): NormalizedOptions {
    const o: Record<string, unknown> = {};
    for (const [k0, v] of Object.entries(rest)) {
      if (v === undefined) continue;
      const k = SNAKE[k0] ?? k0;
      if (!this.def.options.includes(k)) {
        throw new MetricError(`${this.label()}: unknown option '${k0}'${this.def.options.length ? `; it takes ${this.def.options.join(', ')}` : '; it takes only predictions and references'}`);
      }
      o[k] = v;
    }
    return { ...(o as Omit<NormalizedOptions, 'onWarning'>), onWarning: this.onWarning };
  }
}

/**
 * Loads a metric by name, like evaluate.load: 'accuracy', 'f1', 'precision', 'recall',
 * 'matthews_correlation', or 'glue' with a task config ('mrpc', 'cola', 'stsb', 'sst2', ...).
 */
export function loadMetric(name: 'rouge' | 'bleu' | 'sacrebleu', config?: null): TextMetric;
export function loadMetric(name: 'seqeval', config?: null): SeqevalMetric;
export function loadMetric(name: 'squad', config?: null): SquadMetric;
export function loadMetric(name: 'squad_v2', config?: null): SquadV2Metric;
export function loadMetric(name: string, config?: string | null, opts?: LoadMetricOptions): Metric;
export function loadMetric(name: string, config?: string | null, opts: LoadMetricOptions = {}): Metric | TextMetric | SeqevalMetric | SquadMetric | SquadV2Metric {
  const key = String(name).replace(/^evaluate-metric\//, '').toLowerCase();
  if ((TEXT_METRICS as readonly string[]).includes(key)) return new TextMetric(key as TextMetric['name']);
  if (key in NLP_METRICS) return NLP_METRICS[key as keyof typeof NLP_METRICS]();
  const def = METRICS[key];
  if (!def) throw new MetricError(`unknown metric '${name}': available metrics are ${listMetrics().join(', ')}`);
  let configName = config ?? 'default';
  if (def.configs) {
    if (config == null) throw new MetricError(`metric '${key}' needs a configuration name: one of ${def.configs.join(', ')}`);
    if (!def.configs.includes(config)) throw new MetricError(`metric '${key}' has no configuration '${config}': use one of ${def.configs.join(', ')}`);
  } else if (configName !== 'default') {
    throw new MetricError(`metric '${key}' has no configuration '${config}'${configName === 'multilabel' ? ' (multilabel inputs are not supported yet)' : ''}: leave it out`);
  }
  configName = String(configName);
  return new Metric(key, def, configName, opts);
}

export interface CombineOptions extends LoadMetricOptions {
  /** Prefix every key with its metric's name (evaluate's force_prefix). */
  forcePrefix?: boolean;
}

/**
 * Several metrics computed together (evaluate.combine). Results are merged; keys produced by more
 * than one metric are prefixed with the metric name (`<name>_<key>`; `<name>_<i>_<key>` for repeated
 * metrics). Unlike evaluate, which drops every compute option in a combination, each option is passed
 * to the metrics that take it (an option no metric takes is an error).
 */
export class CombinedMetric {
  readonly metrics: Metric[];
  readonly names: string[];
  private readonly forcePrefix: boolean;

  constructor(metrics: Array<string | Metric> | Record<string, string | Metric>, opts: CombineOptions = {}) {
    const entries: Array<[string | null, string | Metric]> = Array.isArray(metrics) ? metrics.map((m) => [null, m]) : Object.entries(metrics);
    if (entries.length === 0) throw new MetricError('combine needs at least one metric');
    this.metrics = entries.map(([, m]) => (typeof m === 'string' ? loadMetric(m, null, opts) : m));
    this.names = entries.map(([n], i) => n ?? this.metrics[i].name);
    this.forcePrefix = opts.forcePrefix ?? false;
  }

  add(pair: { prediction: number | bigint | boolean; reference: number | bigint | boolean }): void {
    for (const m of this.metrics) m.add(pair);
  }

  addBatch(batch: { predictions: MetricInput; references: MetricInput }): void {
    for (const m of this.metrics) m.addBatch(batch);
  }

  compute(opts: ComputeOptions = {}): MetricResult {
    const { predictions, references, ...rest } = opts;
    const given = Object.keys(rest).filter((k) => (rest as Record<string, unknown>)[k] !== undefined);
    const takes = (m: Metric, k: string) => m.options.includes(SNAKE[k] ?? k);
    for (const k of given) {
      if (!this.metrics.some((m) => takes(m, k))) throw new MetricError(`combined metrics (${this.names.join(', ')}): no metric takes option '${k}'`);
    }
    const results = this.metrics.map((m) => {
      const sub: Record<string, unknown> = { predictions, references };
      for (const k of given) if (takes(m, k)) sub[k] = (rest as Record<string, unknown>)[k];
      return m.compute(sub as ComputeOptions);
    });
    return this.merge(results);
  }

  private merge(results: MetricResult[]): MetricResult {
    const count = (xs: string[]) => xs.reduce((acc, x) => acc.set(x, (acc.get(x) ?? 0) + 1), new Map<string, number>());
    const keyCounts = count(results.flatMap((r) => Object.keys(r)));
    const nameCounts = count(this.names);
    const dupCounter = new Map<string, number>([...nameCounts].filter(([, c]) => c > 1).map(([n]) => [n, 0]));
    const merged: MetricResult = {};
    results.forEach((r, i) => {
      const name = this.names[i];
      for (const [k, v] of Object.entries(r)) {
        if ((keyCounts.get(k) ?? 0) <= 1 && !this.forcePrefix) merged[k] = v;
        else if (dupCounter.has(name)) merged[`${name}_${dupCounter.get(name)}_${k}`] = v;
        else merged[`${name}_${k}`] = v;
      }
      if (dupCounter.has(name)) dupCounter.set(name, dupCounter.get(name)! + 1);
    });
    return merged;
  }
}

export function combine(metrics: Array<string | Metric> | Record<string, string | Metric>, opts: CombineOptions = {}): CombinedMetric {
  return new CombinedMetric(metrics, opts);
}
