// Collators and preprocessing for language-model fine-tuning: DataCollatorForSeq2Seq (pads inputs
// and labels, labels with -100; decoder inputs from the model) and groupTexts (run_clm.py's packing
// of tokenized texts into blocks whose labels are the inputs).
import type { PaddingOption, PreTrainedTokenizer } from './tokenization-base';
import { CallableBase } from './tokenizers/callable';
import { stackToTensor, type Tensor } from './tokenization-tensors';
import type { Feature } from './collators';

export interface DataCollatorForSeq2SeqOptions {
  tokenizer: PreTrainedTokenizer;
  /** The model, to build decoder_input_ids from the labels (encoder-decoders). */
  model?: object | null;
  padding?: PaddingOption;
  maxLength?: number | null;
  padToMultipleOf?: number | null;
  /** What padded label positions get (default -100: ignored by the loss). */
  labelPadTokenId?: number;
}

export interface DataCollatorForSeq2Seq {
  (features: Feature[]): Record<string, Tensor>;
}

const toIds = (v: unknown, what: string): number[] => {
  if (Array.isArray(v)) return v.map(Number);
  if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<number | bigint>, Number);
  throw new TypeError(`DataCollatorForSeq2Seq: ${what} is not a list of token ids`);
};

/** transformers' DataCollatorForSeq2Seq. Callable. */
export class DataCollatorForSeq2Seq extends CallableBase {
  readonly tokenizer: PreTrainedTokenizer;
  readonly model: DataCollatorForSeq2SeqOptions['model'];
  readonly padding: PaddingOption;
  readonly maxLength: number | null;
  readonly padToMultipleOf: number | null;
  readonly labelPadTokenId: number;

  constructor(o: DataCollatorForSeq2SeqOptions) {
    super();
    if (!o?.tokenizer) throw new Error('DataCollatorForSeq2Seq needs {tokenizer}: pass the tokenizer that encoded the dataset');
    this.tokenizer = o.tokenizer;
    this.model = o.model ?? null;
    this.padding = o.padding ?? true;
    this.maxLength = o.maxLength ?? null;
    this.padToMultipleOf = o.padToMultipleOf ?? null;
    this.labelPadTokenId = o.labelPadTokenId ?? -100;
  }

  call(features: Feature[]): Record<string, Tensor> {
    if (!Array.isArray(features) || !features.length) throw new Error('DataCollatorForSeq2Seq needs a non-empty array of features');
    const hasLabels = features[0]!.labels !== undefined && features[0]!.labels !== null;
    let labels: number[][] | null = null;
    if (hasLabels) {
      labels = features.map((f, i) => toIds(f.labels, `feature ${i} labels`));
      let max = Math.max(...labels.map((l) => l.length));
      if (this.padding === 'max_length' && this.maxLength) max = this.maxLength;
      const m = this.padToMultipleOf;
      if (m && max % m) max = (Math.floor(max / m) + 1) * m;
      const left = this.tokenizer.paddingSide === 'left';
      labels = labels.map((l) => {
        const fill = new Array(Math.max(0, max - l.length)).fill(this.labelPadTokenId);
        return left ? fill.concat(l) : l.concat(fill);
      });
    }
    const rest = features.map((f) => { const { labels: _l, ...r } = f; return r; });
    const batch = this.tokenizer.pad(rest, { padding: this.padding, maxLength: this.maxLength, padToMultipleOf: this.padToMultipleOf });
    const out: Record<string, Tensor> = {};
    for (const [k, v] of Object.entries(batch)) {
      if (v === undefined || (Array.isArray(v) && v.some((x) => typeof x === 'string'))) continue;
      out[k] = stackToTensor(k, v as unknown[]);
    }
    if (labels) {
      out.labels = stackToTensor('labels', labels, 'int64');
      const m = this.model as { prepareDecoderInputIdsFromLabels?(labels: Tensor): Tensor } | null;
      if (m?.prepareDecoderInputIdsFromLabels) out.decoder_input_ids = m.prepareDecoderInputIdsFromLabels(out.labels);
    }
    return out;
  }
}

/**
 * run_clm.py's group_texts as a batched map function: concatenates every column of the batch,
 * drops the remainder and cuts blocks of `blockSize`; labels are a copy of input_ids.
 *
 *   lmDataset = tokenized.map(groupTexts(128), { batched: true })
 */
export function groupTexts(blockSize: number): (batch: Record<string, unknown[]>) => Record<string, number[][]> {
  if (!(Number.isInteger(blockSize) && blockSize > 0)) throw new Error(`groupTexts needs a positive block size, got ${blockSize}`);
  return (batch) => {
    const out: Record<string, number[][]> = {};
    let total = -1;
    const concatenated: Record<string, number[]> = {};
    for (const [k, rows] of Object.entries(batch)) {
      if (!Array.isArray(rows) || rows.some((r) => !Array.isArray(r) && !ArrayBuffer.isView(r))) continue;
      concatenated[k] = rows.flatMap((r) => Array.from(r as ArrayLike<number>, Number));
      const n = concatenated[k]!.length;
      if (total >= 0 && n !== total) throw new Error(`groupTexts: column ${k} has ${n} tokens in this batch but another column has ${total}: group columns of the same lengths (input_ids, attention_mask)`);
      total = n;
    }
    if (total < 0) throw new Error('groupTexts: the batch has no token columns (tokenize the texts first)');
    const usable = Math.floor(total / blockSize) * blockSize;
    for (const [k, all] of Object.entries(concatenated)) {
      out[k] = [];
      for (let i = 0; i < usable; i += blockSize) out[k]!.push(all.slice(i, i + blockSize));
    }
    out.labels = (out.input_ids ?? []).map((r) => [...r]);
    return out;
  };
}
