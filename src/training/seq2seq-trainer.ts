// Seq2SeqTrainer and Seq2SeqTrainingArguments (transformers' trainer_seq2seq.py, training_args_seq2seq.py):
// the Trainer whose evaluation can predict with generate() (predictWithGenerate), so that metrics
// such as ROUGE and BLEU score generated text.
import { Tensor, noGrad, tidy } from '../torch/index';
import { Trainer, toFloat32, type TrainerOptions } from './trainer';
import { TrainingArguments, type TrainingArgumentsInit } from './training-args';
import type { GenerationConfig, GenerationConfigInit } from '../generation/generation-config';

export interface Seq2SeqTrainingArgumentsInit extends TrainingArgumentsInit {
  /** Evaluate and predict with generate() (predictions are token ids). */
  predictWithGenerate?: boolean;
  /** max_length of generate() during evaluation (default: the model's generation config). */
  generationMaxLength?: number | null;
  /** num_beams of generate() during evaluation. */
  generationNumBeams?: number | null;
  /** A generation config (or its options) for evaluation. */
  generationConfig?: GenerationConfig | GenerationConfigInit | null;
  /** Accepted for compatibility (hubtune samples batches randomly). */
  sortishSampler?: boolean;
}

const OWN = ['predictWithGenerate', 'generationMaxLength', 'generationNumBeams', 'generationConfig', 'sortishSampler'] as const;
const snake = (k: string) => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

export class Seq2SeqTrainingArguments extends TrainingArguments {
  predictWithGenerate = false;
  generationMaxLength: number | null = null;
  generationNumBeams: number | null = null;
  generationConfig: GenerationConfig | GenerationConfigInit | null = null;
  sortishSampler = false;

  constructor(init: Seq2SeqTrainingArgumentsInit = {}) {
    const rest: Record<string, unknown> = {};
    const own: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(init)) {
      const camel = k.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
      if ((OWN as readonly string[]).includes(camel)) own[camel] = v;
      else rest[k] = v;
    }
    super(rest as TrainingArgumentsInit);
    for (const [k, v] of Object.entries(own)) if (v !== undefined) (this as Record<string, unknown>)[k] = v;
    if (this.generationNumBeams !== null && !(Number.isInteger(this.generationNumBeams) && this.generationNumBeams > 0)) {
      throw new Error(`generationNumBeams must be a positive integer, got ${this.generationNumBeams}`);
    }
  }

  override toSnakeCaseDict(): Record<string, unknown> {
    const d = super.toSnakeCaseDict();
    for (const k of OWN) {
      const v = this[k];
      d[snake(k)] = v && typeof v === 'object' && 'toDict' in v ? (v as GenerationConfig).toDict() : v;
    }
    return d;
  }
}

interface GenerativeTrainerModel {
  generate(o: Record<string, unknown>): Promise<Tensor>;
  generationConfig?: GenerationConfig | null;
  config?: unknown;
}

export class Seq2SeqTrainer extends Trainer {
  constructor(o: TrainerOptions & { args?: Seq2SeqTrainingArguments | Seq2SeqTrainingArgumentsInit }) {
    const args = o.args instanceof Seq2SeqTrainingArguments ? o.args : new Seq2SeqTrainingArguments((o.args ?? {}) as Seq2SeqTrainingArgumentsInit);
    super({ ...o, args });
  }
  get seq2seqArgs(): Seq2SeqTrainingArguments { return this.args as Seq2SeqTrainingArguments; }

  /** With predictWithGenerate: the loss from the forward, the predictions from generate() (ids as floats, padded with -100 across batches). */
  protected override async predictionStep(inputs: Record<string, unknown>): Promise<{ loss: number | null; logits: { data: Float32Array; shape: number[] } | null }> {
    const a = this.seq2seqArgs;
    if (!a.predictWithGenerate) return super.predictionStep(inputs);
    const model = this.model as unknown as GenerativeTrainerModel;
    if (typeof model.generate !== 'function') throw new Error('predictWithGenerate needs a model that can generate (a causal or seq2seq language model)');
    const loss = inputs.labels instanceof Tensor ? noGrad(() => tidy(() => {
      const out = this.model.forward(inputs) as { loss?: Tensor | null };
      return out.loss instanceof Tensor ? out.loss.item() : null;
    })) : null;
    const gen: Record<string, unknown> = {};
    if (a.generationConfig) gen.generationConfig = a.generationConfig;
    if (a.generationMaxLength !== null) gen.maxLength = a.generationMaxLength;
    if (a.generationNumBeams !== null) gen.numBeams = a.generationNumBeams;
    const ids = await model.generate({ inputIds: inputs.input_ids ?? inputs.inputIds, attentionMask: inputs.attention_mask ?? inputs.attentionMask, ...gen });
    const logits = toFloat32(ids);
    ids.dispose();
    return { loss, logits };
  }
}
