// Data collators (transformers' data/data_collator.py): turn a list of feature objects into a
// batch of tensors. Padding and masking run on plain arrays; tensors are made at the end.
import { inspect } from 'node:util';
import { pyRepr } from '../datasets/pyrepr';
import type { PaddingOption, PreTrainedTokenizer } from './tokenization-base';
import { CallableBase } from './tokenizers/callable';
import { isTensor, stackToTensor, type Tensor, type TensorDType } from './tokenization-tensors';

/** One example: column name -> value (ids, masks, label, pixel_values, ...). */
export type Feature = Record<string, unknown>;

function checkFeatures(features: unknown, who: string): asserts features is Feature[] {
  if (!Array.isArray(features) || features.length === 0) throw new Error(`${who} needs a non-empty array of features`);
  features.forEach((f, i) => {
    if (typeof f !== 'object' || f === null || Array.isArray(f) && who !== 'DataCollatorForLanguageModeling') {
      throw new TypeError(`${who}: feature ${i} is not an object of columns: pass dataset rows such as {input_ids, attention_mask, label}`);
    }
  });
}

function labelValue(v: unknown): unknown {
  return isTensor(v) && v.shape.length === 0 ? Number(v.toTypedArray()[0]) : v;
}

/**
 * transformers' default_data_collator: stacks every non-string column; `label` / `label_ids`
 * become `labels` (int64 for integer labels, float32 otherwise); `pixel_values` become float32.
 * JavaScript has one number type, so labels are int64 when every label is an integer.
 */
export function defaultDataCollator(features: Feature[]): Record<string, Tensor> {
  checkFeatures(features, 'defaultDataCollator');
  const first = features[0];
  const batch: Record<string, Tensor> = {};
  if (first.label !== undefined && first.label !== null) {
    const labels = features.map((f, i) => {
      const v = labelValue(f.label);
      if (typeof v !== 'number' && typeof v !== 'bigint' && typeof v !== 'boolean') {
        throw new TypeError(`defaultDataCollator: feature ${i} has label ${JSON.stringify(v)}, not a number: encode labels as class ids first`);
      }
      return v;
    });
    batch.labels = stackToTensor('label', labels, labels.every((x) => typeof x !== 'number' || Number.isInteger(x)) ? 'int64' : 'float32');
  } else if (first.label_ids !== undefined && first.label_ids !== null) {
    const values = features.map((f) => f.label_ids);
    batch.labels = isTensor(first.label_ids) ? stackToTensor('label_ids', values) : stackToTensor('label_ids', values, allIntegers(values) ? 'int64' : 'float32');
  }
  for (const [key, value] of Object.entries(first)) {
    if (key === 'label' || key === 'label_ids' || value === null || value === undefined || typeof value === 'string') continue;
    const dtype: TensorDType | undefined = key === 'pixel_values' ? 'float32' : undefined;
    batch[key] = stackToTensor(key, features.map((f) => f[key]), dtype);
  }
  return batch;
}

function allIntegers(v: unknown): boolean {
  if (typeof v === 'number') return Number.isInteger(v);
  if (Array.isArray(v)) return v.every(allIntegers);
  if (v instanceof Float32Array || v instanceof Float64Array) return false;
  return true;
}

function renameLabels(batch: Record<string, unknown>): void {
  for (const key of ['label', 'label_ids']) {
    if (key in batch) {
      batch.labels = batch[key];
      delete batch[key];
    }
  }
}

function toTensors(batch: Record<string, unknown>): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const [key, values] of Object.entries(batch)) {
    if (values === undefined) continue;
    if (isTensor(values)) { out[key] = values; continue; }
    if (!Array.isArray(values)) throw new TypeError(`cannot collate ${key}: expected one value per feature`);
    if (values.some((v) => typeof v === 'string')) {
      throw new TypeError(`cannot collate column ${key}: it holds strings; remove it from the dataset (removeColumns) or tokenize it first`);
    }
    const dtype: TensorDType | undefined = key === 'pixel_values' ? 'float32' : key === 'labels' && !allIntegers(values) ? 'float32' : undefined;
    out[key] = stackToTensor(key, values, dtype);
  }
  return out;
}

export interface DataCollatorWithPaddingOptions {
  tokenizer: PreTrainedTokenizer;
  /** true / 'longest' (default): pad to the longest in the batch; 'max_length': to maxLength. */
  padding?: PaddingOption;
  maxLength?: number | null;
  padToMultipleOf?: number | null;
}

export interface DataCollatorWithPadding {
  (features: Feature[] | Record<string, unknown[]>): Record<string, Tensor>;
}

function columnsToRows(cols: Record<string, unknown[]>): Feature[] {
  const keys = Object.keys(cols);
  const n = keys.length ? (cols[keys[0]!]?.length ?? 0) : 0;
  return Array.from({ length: n }, (_x, i) => Object.fromEntries(keys.map((k) => [k, cols[k]![i]])));
}

/** Pads each batch to its longest sequence (transformers' DataCollatorWithPadding). Callable. */
export class DataCollatorWithPadding extends CallableBase {
  tokenizer: PreTrainedTokenizer;
  padding: PaddingOption;
  maxLength: number | null;
  padToMultipleOf: number | null;

  constructor(options: DataCollatorWithPaddingOptions) {
    super();
    if (!options?.tokenizer) throw new Error('DataCollatorWithPadding needs {tokenizer}: pass the tokenizer that encoded the dataset');
    this.tokenizer = options.tokenizer;
    this.padding = options.padding ?? true;
    this.maxLength = options.maxLength ?? null;
    this.padToMultipleOf = options.padToMultipleOf ?? null;
  }

  /** Python's dataclass repr. */
  override toString(): string {
    return `DataCollatorWithPadding(tokenizer=${String(this.tokenizer)}, padding=${pyRepr(this.padding)}, max_length=${pyRepr(this.maxLength)}, pad_to_multiple_of=${pyRepr(this.padToMultipleOf)}, return_tensors='pt')`;
  }
  [inspect.custom](): string { return this.toString(); }

  /** Pads the features and returns tensors, with `label`/`label_ids` renamed to `labels`. */
  call(features: Feature[] | Record<string, unknown[]>): Record<string, Tensor> {
    // a dict of columns (Python's `data_collator(samples)` on `ds[:8]`) is read as its rows
    if (!Array.isArray(features) && features && typeof features === 'object') features = columnsToRows(features);
    checkFeatures(features, 'DataCollatorWithPadding');
    const batch = this.tokenizer.pad(features, { padding: this.padding, maxLength: this.maxLength, padToMultipleOf: this.padToMultipleOf });
    renameLabels(batch);
    return toTensors(batch);
  }
}

export interface DataCollatorForLanguageModelingOptions {
  tokenizer: PreTrainedTokenizer;
  /** Masked language modelling (default true); false: causal LM labels (= input ids, pads -100). */
  mlm?: boolean;
  /** Share of (non-special) tokens to mask; default 0.15. */
  mlmProbability?: number;
  padToMultipleOf?: number | null;
  /** Seed of the masking random numbers (default: random). */
  seed?: number;
}

export interface DataCollatorForLanguageModeling {
  (examples: Array<Feature | number[]>): Record<string, Tensor>;
}

/** A small seeded generator (mulberry32): uniform floats in [0, 1). */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * transformers' DataCollatorForLanguageModeling: pads, then masks `mlmProbability` of the
 * non-special tokens (80% -> mask token, 10% -> a random token, 10% unchanged); labels are
 * the original ids at masked positions and -100 elsewhere. Seeded; the random stream is
 * hubtune's own, not PyTorch's. Callable.
 */
export class DataCollatorForLanguageModeling extends CallableBase {
  tokenizer: PreTrainedTokenizer;
  mlm: boolean;
  mlmProbability: number;
  padToMultipleOf: number | null;
  private random: () => number;

  /** Python's dataclass repr. */
  override toString(): string {
    return `DataCollatorForLanguageModeling(tokenizer=${String(this.tokenizer)}, mlm=${pyRepr(this.mlm)}, mlm_probability=${pyRepr(this.mlmProbability)}, pad_to_multiple_of=${pyRepr(this.padToMultipleOf)}, tf_experimental_compile=False, return_tensors='pt')`;
  }
  [inspect.custom](): string { return this.toString(); }

  constructor(options: DataCollatorForLanguageModelingOptions) {
    super();
    if (!options?.tokenizer) throw new Error('DataCollatorForLanguageModeling needs {tokenizer}: pass the tokenizer that encoded the dataset');
    this.tokenizer = options.tokenizer;
    this.mlm = options.mlm ?? true;
    this.mlmProbability = options.mlmProbability ?? 0.15;
    this.padToMultipleOf = options.padToMultipleOf ?? null;
    if (!(this.mlmProbability >= 0 && this.mlmProbability <= 1)) throw new RangeError(`mlmProbability must be between 0 and 1, got ${options.mlmProbability}`);
    if (this.mlm && this.tokenizer.maskToken === null) {
      throw new Error('This tokenizer does not have a mask token, which masked language modeling needs: pass mlm: false to train causal language modeling instead');
    }
    this.random = mulberry32(options.seed ?? Math.floor(Math.random() * 2 ** 32));
  }

  /** Reseeds the masking random numbers. */
  setSeed(seed: number): void {
    this.random = mulberry32(seed);
  }

  call(examples: Array<Feature | number[]>): Record<string, Tensor> {
    if (!Array.isArray(examples) || examples.length === 0) throw new Error('DataCollatorForLanguageModeling needs a non-empty array of examples');
    let batch: Record<string, any>;
    const first = examples[0];
    if (typeof first === 'object' && first !== null && !Array.isArray(first) && !ArrayBuffer.isView(first) && !isTensor(first)) {
      checkFeatures(examples, 'DataCollatorForLanguageModeling');
      batch = this.tokenizer.pad(examples as Feature[], { padToMultipleOf: this.padToMultipleOf });
    } else {
      batch = { input_ids: this.collateIds(examples as unknown[]) };
    }
    const specialMask: number[][] | undefined = batch.special_tokens_mask;
    delete batch.special_tokens_mask;
    const inputIds: number[][] = batch.input_ids;
    if (this.mlm) {
      const [inputs, labels] = this.maskTokens(inputIds, specialMask);
      batch.input_ids = inputs;
      batch.labels = labels;
    } else {
      const pad = this.tokenizer.padTokenId;
      batch.labels = inputIds.map((row) => row.map((id) => (pad !== null && id === pad ? -100 : id)));
    }
    return toTensors(batch);
  }

  /** Pads plain id lists to the longest (and a multiple of padToMultipleOf), like _torch_collate_batch. */
  private collateIds(examples: unknown[]): number[][] {
    const rows = examples.map((e, i) => {
      if (Array.isArray(e)) return e.map(Number);
      if (ArrayBuffer.isView(e)) return Array.from(e as unknown as ArrayLike<number | bigint>, Number);
      if (isTensor(e)) return Array.from(e.toTypedArray(), Number);
      throw new TypeError(`DataCollatorForLanguageModeling: example ${i} is neither a feature object nor a list of ids`);
    });
    let max = 0;
    for (const r of rows) max = Math.max(max, r.length);
    const m = this.padToMultipleOf;
    if (m && max % m !== 0) max = (Math.floor(max / m) + 1) * m;
    if (rows.every((r) => r.length === max)) return rows;
    const pad = this.tokenizer.padTokenId;
    if (pad === null) throw new Error('You are attempting to pad samples but the tokenizer has no pad token: set tokenizer.padToken first');
    return rows.map((r) => {
      const fill = new Array(max - r.length).fill(pad);
      return this.tokenizer.paddingSide === 'left' ? fill.concat(r) : r.concat(fill);
    });
  }

  /** The 80/10/10 masking on plain arrays. Returns [inputs, labels]. */
  maskTokens(inputIds: number[][], specialTokensMask?: number[][]): [number[][], number[][]] {
    const maskId = this.tokenizer.maskTokenId!;
    const vocab = this.tokenizer.length;
    const p = this.mlmProbability;
    const inputs: number[][] = [], labels: number[][] = [];
    for (let b = 0; b < inputIds.length; b++) {
      const row = inputIds[b];
      const special = specialTokensMask?.[b] ?? this.tokenizer.getSpecialTokensMask(row, null, true);
      const inp = row.slice();
      const lab = new Array<number>(row.length).fill(-100);
      for (let i = 0; i < row.length; i++) {
        if (special[i] || !(this.random() < p)) continue;
        lab[i] = row[i];
        if (this.random() < 0.8) inp[i] = maskId;
        else if (this.random() < 0.5) inp[i] = Math.floor(this.random() * vocab);
      }
      inputs.push(inp);
      labels.push(lab);
    }
    return [inputs, labels];
  }
}
export * from './task-collators';
export * from './task-data';
