// The tasks pipeline() supports. Each task file exports one TaskDefinition (transformers' SUPPORTED_TASKS
// entry: Auto class, default model id and revision, aliases) and its pipeline class; TASKS lists them
// and PipelineTypes maps each name to its class, so a new task is one file plus a line in each list.
import { closestKey } from '../training/training-args';
import { modalityOf, SUPPORTED_MODEL_TYPES, type AutoTask } from '../models/registry';
import type { Pipeline, PipelineInit } from './base';
import { imageClassificationTask, type ImageClassificationPipeline } from './image-classification';
import { textClassificationTask, type TextClassificationPipeline } from './text-classification';
import { fillMaskTask, type FillMaskPipeline } from './fill-mask';
import { featureExtractionTask, type FeatureExtractionPipeline } from './feature-extraction';
import { textGenerationTask, type TextGenerationPipeline } from './text-generation';
import { text2textGenerationTask, type Text2TextGenerationPipeline } from './text2text-generation';
import { summarizationTask, type SummarizationPipeline } from './summarization';
import { translationTask, type TranslationPipeline } from './translation';
import { zeroShotImageClassificationTask, type ZeroShotImageClassificationPipeline } from './zero-shot-image-classification';
import { imageFeatureExtractionTask, type ImageFeatureExtractionPipeline } from './image-feature-extraction';
import { tokenClassificationTask, type TokenClassificationPipeline } from './token-classification';
import { questionAnsweringTask, type QuestionAnsweringPipeline } from './question-answering';
import { zeroShotClassificationTask, type ZeroShotClassificationPipeline } from './zero-shot-classification';

export const TASKS: readonly TaskDefinition[] = [
  featureExtractionTask,
  fillMaskTask,
  imageClassificationTask,
  textClassificationTask,
  textGenerationTask,
  text2textGenerationTask,
  summarizationTask,
  translationTask,
  zeroShotImageClassificationTask,
  imageFeatureExtractionTask,
  tokenClassificationTask,
  questionAnsweringTask,
  zeroShotClassificationTask,
];

/** The pipeline class of each task name (aliases included): pipeline(task) returns it. */
export interface PipelineTypes {
  'feature-extraction': FeatureExtractionPipeline;
  'fill-mask': FillMaskPipeline;
  'image-classification': ImageClassificationPipeline;
  'text-classification': TextClassificationPipeline;
  'sentiment-analysis': TextClassificationPipeline;
  'text-generation': TextGenerationPipeline;
  'text2text-generation': Text2TextGenerationPipeline;
  summarization: SummarizationPipeline;
  translation: TranslationPipeline;
  [translationPair: `translation_${string}_to_${string}`]: TranslationPipeline;
  'zero-shot-image-classification': ZeroShotImageClassificationPipeline;
  'image-feature-extraction': ImageFeatureExtractionPipeline;
  'token-classification': TokenClassificationPipeline;
  ner: TokenClassificationPipeline;
  'question-answering': QuestionAnsweringPipeline;
  'zero-shot-classification': ZeroShotClassificationPipeline;
}
export type TaskName = keyof PipelineTypes;

export interface TaskDefinition {
  /** The canonical task name. */
  task: string;
  /** Other names for it (transformers' TASK_ALIASES). */
  aliases?: readonly string[];
  /** What the pipeline reads: texts (a tokenizer), images (an image processor), or both (a processor). */
  inputs: 'text' | 'image' | 'multimodal';
  /** The Auto class that loads the model; the models registry says which model_types it takes. */
  autoClass: AutoTask;
  /** transformers' default model for the task: [repo id, revision], as on transformers' main (namespaced ids, 7-character commits that have model.safetensors). */
  defaultModel: readonly [id: string, revision: string];
  /** The task is inferred for models whose config.json `architectures[0]` matches. */
  inferFrom?: RegExp;
  description: string;
  create(init: PipelineInit): Pipeline<any, any, any>;
}
/** The shape each task's entry had before the registry (kept for callers of SUPPORTED_TASKS). */
export type TaskInfo = TaskDefinition;

const byName = new Map<string, TaskDefinition>();
for (const t of TASKS) for (const n of [t.task, ...(t.aliases ?? [])]) byName.set(n, t);

/** Canonical task name -> definition. */
export const SUPPORTED_TASKS: Readonly<Record<string, TaskDefinition>> = Object.fromEntries(TASKS.map((t) => [t.task, t]));
/** Alias -> canonical task name. */
export const TASK_ALIASES: Readonly<Record<string, string>> = Object.fromEntries(TASKS.flatMap((t) => (t.aliases ?? []).map((a) => [a, t.task])));

/** Every task name `pipeline()` accepts, aliases included, sorted (transformers' get_supported_tasks). */
export function listTasks(): string[] {
  return [...byName.keys()].sort();
}

export class UnknownTaskError extends Error {
  override name = 'UnknownTaskError';
}

/** The definition for a task name or alias; an unknown name is an error that lists the tasks. */
export function checkTask(task: unknown): TaskDefinition {
  if (typeof task !== 'string' || !task) {
    throw new UnknownTaskError(`pipeline() needs a task: one of ${listTasks().join(', ')}`);
  }
  const info = byName.get(task) ?? (/^translation_.+_to_.+$/.test(task) ? byName.get('translation') : undefined);
  if (!info) {
    const all = listTasks();
    throw new UnknownTaskError(`Unknown task '${task}' (did you mean '${closestKey(task, all)}'?): available tasks are ${all.join(', ')}`);
  }
  return info;
}

/** The task a model was fine-tuned for, from its config's architectures (or model_type). */
export function inferTask(config: { architectures?: string[] | null; modelType?: string; model_type?: string }): string {
  const arch = (config.architectures ?? [])[0] ?? '';
  const hit = TASKS.find((t) => t.inferFrom?.test(arch));
  if (hit) return hit.task;
  const modelType = config.modelType ?? config.model_type;
  if (modelType && SUPPORTED_MODEL_TYPES.includes(modelType) && modalityOf(modelType) === 'vision') return 'image-classification';
  return 'feature-extraction';
}
