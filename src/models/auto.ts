// Auto classes: pick the architecture from config.json's model_type (transformers' AutoModel*).
import { AutoConfig, PretrainedConfig, ConfigError, readConfigJson, configClassFor } from './config';
import { resolveModelFile } from './files';
import { PreTrainedModel, type FromPretrainedOptions, type LoadingInfo, type PreTrainedModelWithHead } from './modeling-utils';
import { ViTModel, ViTForImageClassification } from './vit';
import { BertModel, BertForSequenceClassification, BertForMaskedLM } from './bert';
import { RobertaModel, RobertaForSequenceClassification, RobertaForMaskedLM } from './roberta';
import { DistilBertModel, DistilBertForSequenceClassification, DistilBertForMaskedLM } from './distilbert';

type AnyModelClass = typeof PreTrainedModel & (new (config: any) => PreTrainedModel);

function makeAuto<M extends PreTrainedModel = PreTrainedModelWithHead>(task: string, mapping: Record<string, AnyModelClass>) {
  const supported = () => Object.keys(mapping).join(', ');
  const classFor = (modelType: string, where: string): AnyModelClass => {
    configClassFor(modelType, where); // unknown model types list what hubtune supports
    const C = mapping[modelType];
    if (!C) throw new ConfigError(`${task} does not support model_type '${modelType}' (${where}): it supports ${supported()}`);
    return C;
  };
  return class {
    static readonly task = task;
    static readonly mapping = mapping;
    /** The class for a model_type. */
    static classFor(modelType: string): AnyModelClass { return classFor(modelType, task); }
    /** A randomly initialised model of the config's architecture (training from scratch). */
    static fromConfig(config: PretrainedConfig | Record<string, unknown>): M {
      const cfg = config instanceof PretrainedConfig ? config : AutoConfig.fromDict(config);
      return (classFor(cfg.modelType, task) as any).fromConfig(cfg);
    }
    /** Loads config.json, picks the architecture by model_type, then loads the weights (see PreTrainedModel.fromPretrained). */
    static async fromPretrained(idOrPath: string, o?: FromPretrainedOptions & { outputLoadingInfo?: false }): Promise<M>;
    static async fromPretrained(idOrPath: string, o: FromPretrainedOptions & { outputLoadingInfo: true }): Promise<{ model: M; loadingInfo: LoadingInfo }>;
    static async fromPretrained(idOrPath: string, o: FromPretrainedOptions = {}): Promise<any> {
      let modelType: string;
      if (o.config) modelType = o.config.modelType;
      else {
        const path = await resolveModelFile(idOrPath, 'config.json', o);
        modelType = readConfigJson(path).model_type as string;
        configClassFor(modelType, path);
      }
      return (classFor(modelType, task) as any).fromPretrained(idOrPath, o);
    }
  };
}

export const AutoModel = makeAuto<PreTrainedModel>('AutoModel', {
  vit: ViTModel as AnyModelClass, bert: BertModel as AnyModelClass, roberta: RobertaModel as AnyModelClass, distilbert: DistilBertModel as AnyModelClass,
});
export const AutoModelForImageClassification = makeAuto('AutoModelForImageClassification', {
  vit: ViTForImageClassification as AnyModelClass,
});
export const AutoModelForSequenceClassification = makeAuto('AutoModelForSequenceClassification', {
  bert: BertForSequenceClassification as AnyModelClass, roberta: RobertaForSequenceClassification as AnyModelClass,
  distilbert: DistilBertForSequenceClassification as AnyModelClass,
});
export const AutoModelForMaskedLM = makeAuto('AutoModelForMaskedLM', {
  bert: BertForMaskedLM as AnyModelClass, roberta: RobertaForMaskedLM as AnyModelClass, distilbert: DistilBertForMaskedLM as AnyModelClass,
});

/** Every architecture class by name (the `architectures` entry of config.json). */
export const MODEL_CLASSES: Record<string, AnyModelClass> = Object.fromEntries(
  [ViTModel, ViTForImageClassification, BertModel, BertForSequenceClassification, BertForMaskedLM, RobertaModel, RobertaForSequenceClassification,
    RobertaForMaskedLM, DistilBertModel, DistilBertForSequenceClassification, DistilBertForMaskedLM].map((C) => [C.name, C as AnyModelClass]),
);
