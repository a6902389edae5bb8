// The collators of the token and choice tasks (transformers' DataCollatorForTokenClassification and
// run_swag.py's DataCollatorForMultipleChoice): inputs padded by the tokenizer, labels padded with
// -100 (ignored by the loss), choices flattened for padding and regrouped into [batch, choices, length].
import type { PaddingOption, PreTrainedTokenizer } from './tokenization-base';
import { CallableBase } from './tokenizers/callable';
import { stackToTensor, isTensor, type Tensor } from './tokenization-tensors';

type Feature = Record<string, unknown>;

export interface TaskCollatorOptions {
  tokenizer: PreTrainedTokenizer;
  padding?: PaddingOption;
  maxLength?: number | null;
  padToMultipleOf?: number | null;
}

const toList = (v: unknown, what: string): number[] => {
  if (Array.isArray(v)) return v.map(Number);
  if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<number | bigint>, Number);
  if (isTensor(v)) return Array.from(v.toTypedArray(), Number);
  throw new TypeError(`${what} is not a list of label ids`);
};

function padded(tokenizer: PreTrainedTokenizer, features: Feature[], o: TaskCollatorOptions): Record<string, Tensor> {
  const batch = tokenizer.pad(features, { padding: o.padding ?? true, maxLength: o.maxLength ?? null, padToMultipleOf: o.padToMultipleOf ?? null });
  const out: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(batch)) {
    if (Array.isArray(v) && v.some((x) => typeof x === 'string')) continue;
    out[k] = isTensor(v) ? v : stackToTensor(k, v as unknown[]);
  }
  return out;
}

export interface DataCollatorForTokenClassificationOptions extends TaskCollatorOptions {
  /** The label of padded positions (default -100, ignored by the loss). */
  labelPadTokenId?: number;
}
export interface DataCollatorForTokenClassification { (features: Feature[]): Record<string, Tensor> }
/** Pads inputs with the tokenizer and the `labels` (or `label`) lists with labelPadTokenId on the tokenizer's padding side. */
export class DataCollatorForTokenClassification extends CallableBase {
  readonly tokenizer: PreTrainedTokenizer;
  readonly labelPadTokenId: number;
  constructor(readonly options: DataCollatorForTokenClassificationOptions) {
    super();
    if (!options?.tokenizer) throw new Error('DataCollatorForTokenClassification needs {tokenizer}: pass the tokenizer that encoded the dataset');
    this.tokenizer = options.tokenizer;
    this.labelPadTokenId = options.labelPadTokenId ?? -100;
  }
  call(features: Feature[]): Record<string, Tensor> {
    if (!Array.isArray(features) || !features.length) throw new Error('DataCollatorForTokenClassification needs a non-empty array of features');
    const labelName = 'label' in features[0]! ? 'label' : 'labels';
    const hasLabels = labelName in features[0]!;
    const batch = padded(this.tokenizer, features.map((f) => Object.fromEntries(Object.entries(f).filter(([k]) => k !== labelName))), this.options);
    if (!hasLabels) return batch;
    const length = batch.input_ids!.shape[1]!;
    const rows = features.map((f, i) => {
      const l = toList(f[labelName], `feature ${i} ${labelName}`);
      if (l.length > length) throw new Error(`feature ${i}: ${labelName} has ${l.length} entries but input_ids ${length}: give one label per token (align word labels with wordIds())`);
      const pad = new Array(length - l.length).fill(this.labelPadTokenId);
      return this.tokenizer.paddingSide === 'left' ? pad.concat(l) : l.concat(pad);
    });
    batch[labelName] = stackToTensor(labelName, rows, 'int64');
    return batch;
  }
}

export interface DataCollatorForMultipleChoice { (features: Feature[]): Record<string, Tensor> }
/** Each feature holds one list per choice (input_ids: number[][]); padded together, returned as [batch, choices, length]. */
export class DataCollatorForMultipleChoice extends CallableBase {
  readonly tokenizer: PreTrainedTokenizer;
  constructor(readonly options: TaskCollatorOptions) {
    super();
    if (!options?.tokenizer) throw new Error('DataCollatorForMultipleChoice needs {tokenizer}: pass the tokenizer that encoded the dataset');
    this.tokenizer = options.tokenizer;
  }
  call(features: Feature[]): Record<string, Tensor> {
    if (!Array.isArray(features) || !features.length) throw new Error('DataCollatorForMultipleChoice needs a non-empty array of features');
    const labelName = 'label' in features[0]! ? 'label' : 'labels';
    const choices = (features[0]!.input_ids as unknown[] | undefined)?.length ?? 0;
    const flat: Feature[] = [];
    features.forEach((f, i) => {
      const ids = f.input_ids as unknown[];
      if (!Array.isArray(ids) || !Array.isArray(ids[0])) throw new Error(`feature ${i}: input_ids must hold one list per choice (tokenize each (context, ending) pair)`);
      if (ids.length !== choices) throw new Error(`feature ${i} has ${ids.length} choices but feature 0 has ${choices}: every example needs the same number of choices`);
      for (let c = 0; c < choices; c++) {
        const one: Feature = {};
        for (const [k, v] of Object.entries(f)) if (k !== labelName && Array.isArray(v) && v.length === choices) one[k] = v[c];
        flat.push(one);
      }
    });
    const batch = padded(this.tokenizer, flat, this.options);
    const out: Record<string, Tensor> = {};
    for (const [k, v] of Object.entries(batch)) out[k] = v.view(features.length, choices, -1);
    if (labelName in features[0]!) out.labels = stackToTensor('labels', features.map((f) => Number(f[labelName])), 'int64');
    return out;
  }
}
