// Auto classes: pick the architecture from config.json's model_type (transformers' AutoConfig and AutoModel*).
import { PretrainedConfig, readConfigJson, withConfigFile, type ConfigOverrides, type HubOptions } from './config';
import { resolveModelFile } from './files';
import type { PreTrainedModel, FromPretrainedOptions, LoadingInfo } from './modeling-utils';
import type { PreTrainedModelWithHead, PreTrainedModelForQuestionAnswering } from './blocks/inputs';
import { configClassFor, modelClassFor, modelTypesFor, type AutoTask, type ModelClass } from './registry';
import type { GenerateFunction } from '../generation/generate';

/** A language model generate() drives (causal or seq2seq). */
export type PreTrainedModelForGeneration = PreTrainedModelWithHead & { generate: GenerateFunction };

/** Picks the config class from `model_type` (transformers' AutoConfig). */
export class AutoConfig {
  static forModel(modelType: string, values: Record<string, unknown> = {}): PretrainedConfig {
    return configClassFor(modelType, 'AutoConfig.forModel').fromDict(values);
  }
  static fromDict(json: Record<string, unknown>, where = 'config'): PretrainedConfig {
    return configClassFor(json.model_type ?? json.modelType, where).fromDict(json);
  }
  static async fromPretrained(idOrPath: string, o: ConfigOverrides & HubOptions = {}): Promise<PretrainedConfig> {
    const { revision, cacheDir, token, localFilesOnly, endpoint, ...overrides } = o;
    const path = await resolveModelFile(idOrPath, 'config.json', { revision, cacheDir, token, localFilesOnly, endpoint });
    const json = readConfigJson(path);
    const c = withConfigFile(path, () => configClassFor(json.model_type, path).fromDict(json));
    c.nameOrPath = idOrPath; // AutoConfig.from_pretrained: name_or_path is the id or path given
    return c.update(overrides);
  }
}

function makeAuto<M extends PreTrainedModel = PreTrainedModelWithHead>(task: AutoTask) {
  return class {
    static readonly task = task;
    /** The model_types this Auto class supports. */
    static get supportedModelTypes(): string[] { return modelTypesFor(task); }
    /** The class for a model_type. */
    static classFor(modelType: string): ModelClass { return modelClassFor(task, modelType); }
    /** A randomly initialised model of the config's architecture (training from scratch). */
    static fromConfig(config: PretrainedConfig | Record<string, unknown>): M {
      const cfg = config instanceof PretrainedConfig ? config : AutoConfig.fromDict(config);
      return (modelClassFor(task, cfg.modelType) as any).fromConfig(cfg);
    }
    /** Loads config.json, picks the architecture by model_type, then loads the weights (see PreTrainedModel.fromPretrained). */
    static async fromPretrained(idOrPath: string, o?: FromPretrainedOptions & { outputLoadingInfo?: false }): Promise<M>;
    static async fromPretrained(idOrPath: string, o: FromPretrainedOptions & { outputLoadingInfo: true }): Promise<{ model: M; loadingInfo: LoadingInfo }>;
    static async fromPretrained(idOrPath: string, o: FromPretrainedOptions = {}): Promise<any> {
      let modelType: string;
      let architectures: string[] | null | undefined;
      let where: string = task;
      if (o.config) ({ modelType, architectures } = o.config);
      else {
        where = await resolveModelFile(idOrPath, 'config.json', o);
        const json = readConfigJson(where);
        modelType = json.model_type as string;
        architectures = Array.isArray(json.architectures) ? json.architectures as string[] : null;
      }
      return (modelClassFor(task, modelType, where, architectures) as any).fromPretrained(idOrPath, o);
    }
  };
}

export const AutoModel = makeAuto<PreTrainedModel>('AutoModel');
export const AutoModelForSequenceClassification = makeAuto('AutoModelForSequenceClassification');
export const AutoModelForMaskedLM = makeAuto('AutoModelForMaskedLM');
export const AutoModelForTokenClassification = makeAuto('AutoModelForTokenClassification');
export const AutoModelForQuestionAnswering = makeAuto<PreTrainedModelForQuestionAnswering>('AutoModelForQuestionAnswering');
export const AutoModelForMultipleChoice = makeAuto('AutoModelForMultipleChoice');
export const AutoModelForImageClassification = makeAuto('AutoModelForImageClassification');
export const AutoModelForZeroShotImageClassification = makeAuto('AutoModelForZeroShotImageClassification');
export const AutoModelForCausalLM = makeAuto<PreTrainedModelForGeneration>('AutoModelForCausalLM');
export const AutoModelForSeq2SeqLM = makeAuto<PreTrainedModelForGeneration>('AutoModelForSeq2SeqLM');
