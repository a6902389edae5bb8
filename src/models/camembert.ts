// CamemBERT (transformers' models/camembert): RoBERTa's architecture and checkpoint keys under
// its own model_type, config defaults and class names (French, SentencePiece).
import { RobertaConfig, RobertaPreTrainedModel, RobertaModel, RobertaForSequenceClassification, RobertaForMaskedLM, robertaHead, robertaChoiceHead } from './roberta';
import { tokenClassificationModel, questionAnsweringModel, pooledMultipleChoiceModel } from './blocks/heads';
import type { FieldSpec } from './config';
import type { ModelFamily } from './registry';

export class CamembertConfig extends RobertaConfig {
  static override readonly modelType: string = 'camembert';
  static override readonly fields: FieldSpec[] = RobertaConfig.fields.map((f) => (f[0] === 'vocabSize' ? ['vocabSize', 'vocab_size', 30522] as const : f));
}

abstract class CamembertPreTrainedModel extends RobertaPreTrainedModel {
  static override configClass = CamembertConfig;
}
export class CamembertModel extends RobertaModel { static override configClass = CamembertConfig; }
export class CamembertForSequenceClassification extends RobertaForSequenceClassification { static override configClass = CamembertConfig; }
export class CamembertForMaskedLM extends RobertaForMaskedLM { static override configClass = CamembertConfig; }
export const CamembertForTokenClassification = tokenClassificationModel('CamembertForTokenClassification', CamembertPreTrainedModel, robertaHead);
export type CamembertForTokenClassification = InstanceType<typeof CamembertForTokenClassification>;
export const CamembertForQuestionAnswering = questionAnsweringModel('CamembertForQuestionAnswering', CamembertPreTrainedModel, robertaHead);
export type CamembertForQuestionAnswering = InstanceType<typeof CamembertForQuestionAnswering>;
export const CamembertForMultipleChoice = pooledMultipleChoiceModel('CamembertForMultipleChoice', CamembertPreTrainedModel, robertaChoiceHead);
export type CamembertForMultipleChoice = InstanceType<typeof CamembertForMultipleChoice>;

export const camembertFamily: ModelFamily = {
  modelType: 'camembert', modality: 'text', configClass: CamembertConfig,
  auto: {
    AutoModel: CamembertModel, AutoModelForSequenceClassification: CamembertForSequenceClassification, AutoModelForMaskedLM: CamembertForMaskedLM,
    AutoModelForTokenClassification: CamembertForTokenClassification, AutoModelForQuestionAnswering: CamembertForQuestionAnswering,
    AutoModelForMultipleChoice: CamembertForMultipleChoice,
  },
};
