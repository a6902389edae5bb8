// The tasks `pipeline()` supports, with transformers' defaults (pipelines/__init__.py SUPPORTED_TASKS,
// transformers 4.29: model id and revision per task) and aliases.
import { closestKey } from '../training/training-args';

export type TaskName = 'image-classification' | 'text-classification' | 'fill-mask' | 'feature-extraction';
export type AutoClassName = 'AutoModelForImageClassification' | 'AutoModelForSequenceClassification' | 'AutoModelForMaskedLM' | 'AutoModel';

export interface TaskInfo {
  task: TaskName;
  /** What the pipeline reads: images (image processor) or text (tokenizer). */
  type: 'image' | 'text';
  /** The Auto class that loads the model. */
  autoClass: AutoClassName;
  /** transformers' default model for the task: [repo id, revision]. */
  defaultModel: readonly [id: string, revision: string];
  /** model_type values whose models fit the task. */
  modelTypes: readonly string[];
  description: string;
}

const TEXT_MODEL_TYPES = ['bert', 'roberta', 'distilbert'] as const;

export const SUPPORTED_TASKS: Readonly<Record<TaskName, TaskInfo>> = {
  'feature-extraction': {
    task: 'feature-extraction', type: 'text', autoClass: 'AutoModel',
    defaultModel: ['distilbert-base-cased', '935ac13'], modelTypes: TEXT_MODEL_TYPES,
    description: 'hidden states of a text encoder (token vectors, or pooled: mean / cls)',
  },
  'fill-mask': {
    task: 'fill-mask', type: 'text', autoClass: 'AutoModelForMaskedLM',
    defaultModel: ['distilroberta-base', 'ec58a5b'], modelTypes: TEXT_MODEL_TYPES,
    description: 'the most likely tokens for the mask token of a text',
  },
  'image-classification': {
    task: 'image-classification', type: 'image', autoClass: 'AutoModelForImageClassification',
    defaultModel: ['google/vit-base-patch16-224', '5dca96d'], modelTypes: ['vit'],
    description: 'labels and scores for images (paths, URLs, Buffers, decoded images)',
  },
  'text-classification': {
    task: 'text-classification', type: 'text', autoClass: 'AutoModelForSequenceClassification',
    defaultModel: ['distilbert-base-uncased-finetuned-sst-2-english', 'af0f99b'], modelTypes: TEXT_MODEL_TYPES,
    description: 'labels and scores for texts or sentence pairs ({text, text_pair})',
  },
};

export const TASK_ALIASES: Readonly<Record<string, TaskName>> = {
  'sentiment-analysis': 'text-classification',
};

/** Every task name `pipeline()` accepts, aliases included, sorted (transformers' get_supported_tasks). */
export function listTasks(): string[] {
  return [...Object.keys(SUPPORTED_TASKS), ...Object.keys(TASK_ALIASES)].sort();
}

export class UnknownTaskError extends Error {
  override name = 'UnknownTaskError';
}

/** The canonical task for a name or alias; an unknown name is an error that lists the tasks. */
export function checkTask(task: unknown): TaskInfo {
  if (typeof task !== 'string' || !task) {
    throw new UnknownTaskError(`pipeline() needs a task: one of ${listTasks().join(', ')}`);
  }
  const name = (TASK_ALIASES[task] ?? task) as TaskName;
  const info = SUPPORTED_TASKS[name];
  if (!info) {
    const all = listTasks();
    throw new UnknownTaskError(`Unknown task '${task}' (did you mean '${closestKey(task, all)}'?): available tasks are ${all.join(', ')}`);
  }
  return info;
}

/** The task a model was fine-tuned for, from its config's architectures (or model_type). */
export function inferTask(config: { architectures?: string[] | null; modelType?: string; model_type?: string }): TaskName {
  const arch = (config.architectures ?? [])[0] ?? '';
  if (/ForImageClassification$/.test(arch)) return 'image-classification';
  if (/ForSequenceClassification$/.test(arch)) return 'text-classification';
  if (/ForMaskedLM$/.test(arch)) return 'fill-mask';
  const modelType = config.modelType ?? config.model_type;
  if (modelType === 'vit') return 'image-classification';
  return 'feature-extraction';
}
