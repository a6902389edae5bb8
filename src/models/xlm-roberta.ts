// XLM-RoBERTa (transformers' models/xlm_roberta): RoBERTa's architecture and checkpoint keys under
// its own model_type, config defaults and class names (the multilingual SentencePiece models).
import { RobertaConfig, RobertaPreTrainedModel, RobertaModel, RobertaForSequenceClassification, RobertaForMaskedLM, robertaHead, robertaChoiceHead } from './roberta';
import { tokenClassificationModel, questionAnsweringModel, pooledMultipleChoiceModel } from './blocks/heads';
import type { FieldSpec } from './config';
import type { ModelFamily } from './registry';

export class XLMRobertaConfig extends RobertaConfig {
  static override readonly modelType: string = 'xlm-roberta';
  static override readonly fields: FieldSpec[] = RobertaConfig.fields.map((f) => (f[0] === 'vocabSize' ? ['vocabSize', 'vocab_size', 30522] as const : f));
}

abstract class XLMRobertaPreTrainedModel extends RobertaPreTrainedModel {
  static override configClass = XLMRobertaConfig;
}
export class XLMRobertaModel extends RobertaModel { static override configClass = XLMRobertaConfig; }
export class XLMRobertaForSequenceClassification extends RobertaForSequenceClassification { static override configClass = XLMRobertaConfig; }
export class XLMRobertaForMaskedLM extends RobertaForMaskedLM { static override configClass = XLMRobertaConfig; }
export const XLMRobertaForTokenClassification = tokenClassificationModel('XLMRobertaForTokenClassification', XLMRobertaPreTrainedModel, robertaHead);
export type XLMRobertaForTokenClassification = InstanceType<typeof XLMRobertaForTokenClassification>;
export const XLMRobertaForQuestionAnswering = questionAnsweringModel('XLMRobertaForQuestionAnswering', XLMRobertaPreTrainedModel, robertaHead);
export type XLMRobertaForQuestionAnswering = InstanceType<typeof XLMRobertaForQuestionAnswering>;
export const XLMRobertaForMultipleChoice = pooledMultipleChoiceModel('XLMRobertaForMultipleChoice', XLMRobertaPreTrainedModel, robertaChoiceHead);
export type XLMRobertaForMultipleChoice = InstanceType<typeof XLMRobertaForMultipleChoice>;

export const xlmRobertaFamily: ModelFamily = {
  modelType: 'xlm-roberta', modality: 'text', configClass: XLMRobertaConfig,
  auto: {
    AutoModel: XLMRobertaModel, AutoModelForSequenceClassification: XLMRobertaForSequenceClassification, AutoModelForMaskedLM: XLMRobertaForMaskedLM,
    AutoModelForTokenClassification: XLMRobertaForTokenClassification, AutoModelForQuestionAnswering: XLMRobertaForQuestionAnswering,
    AutoModelForMultipleChoice: XLMRobertaForMultipleChoice,
  },
};
