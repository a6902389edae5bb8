// zero-shot-classification: transformers' ZeroShotClassificationPipeline. An NLI model reads each
// (text, hypothesis) pair, the hypothesis being hypothesisTemplate filled with a candidate label; the
// entailment logits rank the labels (softmax over labels, or entailment vs contradiction per label).
import { noGrad, tidy } from '../torch/index';
import { Pipeline, softmaxRows } from './base';
import { asBatch, describe, PipelineInputError } from './inputs';
import { disposeEncoding, modelInputs } from './text-inputs';
import type { TaskDefinition } from './tasks';
import { formatHypothesis } from './zero-shot-image-classification';

export interface ZeroShotClassificationOptions {
  /** The labels to choose from: an array, or one string of comma-separated labels. */
  candidateLabels?: string[] | string;
  /** Where each label goes: '{}' is replaced by the label (default 'This example is {}.'). */
  hypothesisTemplate?: string;
  /** Score every label on its own (entailment vs contradiction) instead of one softmax over labels. */
  multiLabel?: boolean;
}
export interface ZeroShotResult { sequence: string; labels: string[]; scores: number[] }
export type ZeroShotClassificationOutput = ZeroShotResult | ZeroShotResult[];

export interface ZeroShotClassificationPipeline {
  /** `classifier(text, ['politics', 'sport'])` like transformers' positional candidate_labels. */
  (inputs: string | string[], candidateLabels: string[] | string, options?: ZeroShotClassificationOptions): Promise<ZeroShotClassificationOutput>;
}

function parseLabels(labels: unknown): string[] {
  if (typeof labels === 'string') return labels.split(',').map((l) => l.trim()).filter(Boolean);
  if (!Array.isArray(labels)) throw new PipelineInputError(`candidateLabels must be an array of labels or a comma-separated string, got ${describe(labels)}`);
  labels.forEach((l, i) => { if (typeof l !== 'string') throw new PipelineInputError(`candidateLabels[${i}] is ${describe(l)}: labels are strings`); });
  return labels as string[];
}

/** The entailment class of an NLI model: the first label2id name starting with 'entail' (case-insensitive), else -1 (the last class). */
export function entailmentId(label2id: Record<string, number>): number {
  for (const [name, id] of Object.entries(label2id)) if (name.toLowerCase().startsWith('entail')) return id;
  return -1;
}

export class ZeroShotClassificationPipeline extends Pipeline<string | string[], ZeroShotClassificationOutput, ZeroShotClassificationOptions> {
  private warnedEntailment = false;

  async call(inputs: string | string[], labelsOrOptions?: string[] | string | ZeroShotClassificationOptions, maybeOptions: ZeroShotClassificationOptions = {}): Promise<ZeroShotClassificationOutput> {
    const given = typeof labelsOrOptions === 'string' || Array.isArray(labelsOrOptions) ? { ...maybeOptions, candidateLabels: labelsOrOptions } : (labelsOrOptions ?? {});
    const o = { ...this.defaults, ...given };
    if (o.candidateLabels === undefined) throw new PipelineInputError("zero-shot-classification needs candidate labels: classifier(text, ['label a', 'label b']) or {candidateLabels}");
    const labels = parseLabels(o.candidateLabels);
    const template = o.hypothesisTemplate ?? 'This example is {}.';
    const { items, single } = asBatch<string>(inputs, (v) => typeof v === 'string', 'text');
    items.forEach((t, i) => { if (typeof t !== 'string') throw new PipelineInputError(`text ${i} is ${describe(t)}: zero-shot-classification takes a string or an array of strings`); });
    if (!labels.length) throw new PipelineInputError('You must include at least one label and at least one sequence: candidateLabels is empty');
    if (typeof template !== 'string' || formatHypothesis(template, labels[0]!) === template) {
      throw new PipelineInputError(`The provided hypothesisTemplate "${template}" was not able to be formatted with the target labels. Make sure the passed template includes formatting syntax such as {} where the label should go.`);
    }
    const cfg = this.model.config as { label2id?: Record<string, number>; numLabels: number };
    let entail = entailmentId(cfg.label2id ?? {});
    if (entail === -1 && !this.warnedEntailment) {
      this.warnedEntailment = true;
      console.warn("Failed to determine 'entailment' label id from the label2id mapping in the model config. Setting to -1. Define a descriptive label2id mapping in the model config to ensure correct outputs.");
    }
    const n = cfg.numLabels;
    if (entail < 0) entail += n;
    const contradiction = entail === 0 ? n - 1 : 0;
    const hypotheses = labels.map((l) => formatHypothesis(template, l));
    const tok = this.tokenizer!;
    const results: ZeroShotResult[] = [];
    for (const text of items) {
      // one (text, hypothesis) pair per label, batchSize pairs per forward pass
      const logits: number[][] = [];
      for (const chunk of this.chunks(hypotheses)) {
        const enc = tok(chunk.map(() => text), chunk, { padding: true, truncation: 'only_first', returnTensors: 'pt' });
        logits.push(...tidy(() => noGrad(() => this.model.forward(modelInputs(enc, this.model, this.device)).logits.float().cpu().toArray() as number[][])));
        disposeEncoding(enc);
      }
      const scores = o.multiLabel || labels.length === 1
        ? logits.map((row) => softmaxRows([[row[contradiction]!, row[entail]!]])[0]![1]!)
        : softmaxRows([logits.map((row) => row[entail]!)])[0]!;
      const order = scores.map((s, i) => [s, i] as const).sort((a, b) => b[0] - a[0] || b[1] - a[1]);
      results.push({ sequence: text, labels: order.map(([, i]) => labels[i]!), scores: order.map(([s]) => s) });
    }
    return single ? results[0]! : results;
  }
}

export const zeroShotClassificationTask: TaskDefinition = {
  task: 'zero-shot-classification', inputs: 'text', autoClass: 'AutoModelForSequenceClassification',
  defaultModel: ['facebook/bart-large-mnli', 'd7645e1'],
  description: 'ranks candidate labels for a text with an NLI model (entailment of "This example is {label}.")',
  create: (init) => new ZeroShotClassificationPipeline(init),
};
