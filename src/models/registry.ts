// The model registry: which config class and which model class serve each model_type and task.
// Every family file exports one ModelFamily; families.ts lists them; the Auto classes and
// AutoConfig look everything up here, so adding an architecture is one file plus one line there.
import { ConfigError, type PretrainedConfig } from './config';
import type { PreTrainedModel } from './modeling-utils';
import { FAMILIES } from './families';

/** transformers' Auto class names, one per task head (AutoModel is the bare backbone). */
export const AUTO_TASKS = [
  'AutoModel',
  'AutoModelForSequenceClassification',
  'AutoModelForMaskedLM',
  'AutoModelForTokenClassification',
  'AutoModelForQuestionAnswering',
  'AutoModelForMultipleChoice',
  'AutoModelForImageClassification',
  'AutoModelForZeroShotImageClassification',
  'AutoModelForCausalLM',
  'AutoModelForSeq2SeqLM',
] as const;
export type AutoTask = (typeof AUTO_TASKS)[number];

/** A concrete model class: PreTrainedModel's statics (fromPretrained, fromConfig, configClass, ...) and a constructor. */
export type ModelClass = Omit<typeof PreTrainedModel, 'prototype'> & (new (config: any) => PreTrainedModel);

/** One architecture family (one file under src/models): its model_type, config class and classes per task. */
export interface ModelFamily {
  modelType: string;
  /** What the model reads: 'text' (token ids), 'vision' (pixel values), 'multimodal' (both, like CLIP). */
  modality: 'text' | 'vision' | 'multimodal';
  configClass: typeof PretrainedConfig;
  /** The class each Auto class picks for this model_type. */
  auto: Partial<Record<AutoTask, ModelClass>>;
  /** Further classes loadable by name from config.json's `architectures` (not picked by an Auto class). */
  others?: ModelClass[];
  /**
   * Classes an Auto class picks instead of `auto[task]` when config.json's `architectures` names
   * them (transformers' tuple entries, e.g. DeiTForImageClassificationWithTeacher).
   */
  alsoPicks?: Partial<Record<AutoTask, ModelClass[]>>;
  /** A multimodal family's single-modality towers, for text-only or image-only tasks (CLIP's text and vision models). */
  towers?: { text?: ModelClass; vision?: ModelClass };
}

const byType = new Map<string, ModelFamily>();
for (const f of FAMILIES) {
  if (byType.has(f.modelType)) throw new Error(`two model families claim model_type '${f.modelType}'`);
  byType.set(f.modelType, f);
}

/** Every supported config.json `model_type`. */
export const SUPPORTED_MODEL_TYPES: readonly string[] = [...byType.keys()];

/** The config classes by model_type. */
export const CONFIG_CLASSES: Readonly<Record<string, typeof PretrainedConfig>> = Object.fromEntries(FAMILIES.map((f) => [f.modelType, f.configClass]));

/** The config class for a config.json's `model_type`. */
export function configClassFor(modelType: unknown, where = 'config.json'): typeof PretrainedConfig {
  if (typeof modelType !== 'string' || !modelType) {
    throw new ConfigError(`${where} has no "model_type": hubtune supports ${SUPPORTED_MODEL_TYPES.join(', ')}`);
  }
  const f = byType.get(modelType);
  if (!f) throw new ConfigError(`model_type '${modelType}' (${where}) is not supported: hubtune supports ${SUPPORTED_MODEL_TYPES.join(', ')}`);
  return f.configClass;
}

/** The model_types an Auto class supports. */
export function modelTypesFor(task: AutoTask): string[] {
  return FAMILIES.filter((f) => f.auto[task]).map((f) => f.modelType);
}

/**
 * The class an Auto class picks for a model_type (a ConfigError listing the alternatives otherwise);
 * with config.json's `architectures`, one of the family's `alsoPicks` classes named there wins.
 */
export function modelClassFor(task: AutoTask, modelType: string, where: string = task, architectures?: readonly string[] | null): ModelClass {
  configClassFor(modelType, where);
  const f = byType.get(modelType)!;
  const C = f.auto[task];
  if (!C) throw new ConfigError(`${task} does not support model_type '${modelType}' (${where}): it supports ${modelTypesFor(task).join(', ') || 'no model type yet'}`);
  const named = (f.alsoPicks?.[task] ?? []).find((A) => architectures?.includes(A.name));
  return named ?? C;
}

/** The tower of a multimodal model_type that reads one modality (CLIP's text or vision model), if it has one. */
export function towerFor(modelType: string, modality: 'text' | 'vision'): ModelClass | undefined {
  configClassFor(modelType);
  return byType.get(modelType)!.towers?.[modality];
}

/** What a model_type reads (see ModelFamily.modality). */
export function modalityOf(modelType: string): ModelFamily['modality'] {
  configClassFor(modelType);
  return byType.get(modelType)!.modality;
}

/** Every model class by name (config.json's `architectures` entries). */
export const MODEL_CLASSES: Readonly<Record<string, ModelClass>> = Object.fromEntries(
  FAMILIES.flatMap((f) => [...Object.values(f.auto), ...(f.others ?? []), ...Object.values(f.alsoPicks ?? {}).flat(), ...Object.values(f.towers ?? {})]).map((C) => [C!.name, C!]),
);
