// ELECTRA (transformers' models/electra/modeling_electra.py): BERT's encoder behind embeddings of
// embedding_size projected to hidden_size (embeddings_project), no pooler; the discriminator is what
// people fine-tune. Heads: a two-layer classifier on the first token (GELU), the replaced-token
// discriminator, the generator's masked LM, and the shared token/QA/choice heads.
import { Tensor, tidy, nn, F } from '../torch/index';
import { Module } from '../torch/nn/module';
import { BertConfig, BERT_LIKE, BertEmbeddings, BertEncoder, TEXT_ARGS, tieLinearWeight } from './bert';
import { atWidth } from './albert';
import { PreTrainedModel } from './modeling-utils';
import { normalizeInputs, asLong, type ModelInputs, type ModelOutput, type BaseModelOutput, type NormalizedInputs } from './blocks/inputs';
import { extendedAttentionMask } from './blocks/attention';
import { sequenceClassificationLoss, maskedLmLoss } from './blocks/losses';
import { initBertStyle } from './blocks/layers';
import { tokenClassificationModel, questionAnsweringModel, flattenChoices, multipleChoiceLogits, type MultipleChoiceModelOutput } from './blocks/heads';
import { ConfigError, checkActivation, type FieldSpec } from './config';
import type { ModelFamily } from './registry';

export class ElectraConfig extends BertConfig {
  static override readonly modelType: string = 'electra';
  static override readonly fields: FieldSpec[] = [
    ...BERT_LIKE.map((f): FieldSpec => (f[0] === 'hiddenSize' ? ['hiddenSize', 'hidden_size', 256] : f[0] === 'numAttentionHeads' ? ['numAttentionHeads', 'num_attention_heads', 4]
      : f[0] === 'intermediateSize' ? ['intermediateSize', 'intermediate_size', 1024] : f)),
    ['embeddingSize', 'embedding_size', 128],
    ['summaryType', 'summary_type', 'first'],
    ['summaryUseProj', 'summary_use_proj', true],
    ['summaryActivation', 'summary_activation', 'gelu'],
    ['summaryLastDropout', 'summary_last_dropout', 0.1],
  ];
  declare embeddingSize: number;
  declare summaryType: string;
  declare summaryUseProj: boolean;
  declare summaryActivation: string | null;
  declare summaryLastDropout: number;
  override validate(): void {
    super.validate();
    this.positive('embedding_size', this.embeddingSize);
    if (this.summaryType !== 'first') throw new ConfigError(`summary_type '${this.summaryType}' is not supported by hubtune: only 'first' (ELECTRA's default)`);
    if (this.summaryActivation) checkActivation('summary_activation', this.summaryActivation);
  }
}

export abstract class ElectraPreTrainedModel extends PreTrainedModel<ElectraConfig> {
  static override configClass = ElectraConfig;
  static override baseModelPrefix = 'electra';
  readonly mainInputName = 'input_ids';
  protected initModule(m: Module): void { initBertStyle(m, this.config.initializerRange); }
}

export class ElectraModel extends ElectraPreTrainedModel {
  readonly forwardArgNames: readonly string[] = TEXT_ARGS;
  readonly embeddings: BertEmbeddings;
  readonly embeddingsProject: nn.Linear | null;
  readonly encoder: BertEncoder;
  constructor(config: ElectraConfig) {
    super(config);
    this.embeddings = this.registerModule('embeddings', new BertEmbeddings(atWidth(config, config.embeddingSize)));
    this.embeddingsProject = config.embeddingSize !== config.hiddenSize
      ? this.registerModule('embeddings_project', new nn.Linear(config.embeddingSize, config.hiddenSize)) : null;
    this.encoder = this.registerModule('encoder', new BertEncoder(config));
  }
  forward(batch: ModelInputs): BaseModelOutput {
    const x = normalizeInputs(batch, this.forwardArgNames, this.constructor.name, this.config);
    return tidy(() => this.run(x));
  }
  run(x: NormalizedInputs): BaseModelOutput {
    if (!x.inputIds) throw new Error(`${this.constructor.name}.forward needs inputIds (input_ids)`);
    const ids = asLong(x.inputIds);
    if (ids.ndim !== 2) throw new Error(`input_ids must be [batch, sequence], got shape [${ids.shape.join(', ')}]`);
    const mask = x.attentionMask ? extendedAttentionMask(x.attentionMask, this.embeddings.wordEmbeddings.weight.dtype) : null;
    let h = this.embeddings.forward(ids, x.tokenTypeIds, x.positionIds);
    if (this.embeddingsProject) h = this.embeddingsProject.forward(h);
    return this.encoder.forward(h, mask, x.outputHiddenStates, x.outputAttentions);
  }
}

/** First token -> dropout -> dense -> GELU -> dropout -> out_proj (ElectraClassificationHead; GELU whatever hidden_act is). */
export class ElectraClassificationHead extends Module {
  readonly dense: nn.Linear;
  readonly dropout: nn.Dropout;
  readonly outProj: nn.Linear;
  constructor(c: ElectraConfig) {
    super();
    this.dense = this.registerModule('dense', new nn.Linear(c.hiddenSize, c.hiddenSize));
    this.dropout = this.registerModule('dropout', new nn.Dropout(c.classifierDropout ?? c.hiddenDropoutProb));
    this.outProj = this.registerModule('out_proj', new nn.Linear(c.hiddenSize, c.numLabels));
  }
  forward(h: Tensor): Tensor {
    return tidy(() => {
      const x = F.gelu(this.dense.forward(this.dropout.forward(h.select(1, 0))));
      return this.outProj.forward(this.dropout.forward(x));
    });
  }
}

export class ElectraForSequenceClassification extends ElectraPreTrainedModel {
  readonly forwardArgNames: readonly string[] = [...TEXT_ARGS, 'labels'];
  readonly electra: ElectraModel;
  readonly classifier: ElectraClassificationHead;
  constructor(config: ElectraConfig) {
    super(config);
    this.electra = this.registerModule('electra', new ElectraModel(config));
    this.classifier = this.registerModule('classifier', new ElectraClassificationHead(config));
  }
  forward(batch: ModelInputs): ModelOutput {
    const x = normalizeInputs(batch, this.forwardArgNames, this.constructor.name, this.config);
    return tidy(() => {
      const out = this.electra.run(x);
      const logits = this.classifier.forward(out.lastHiddenState);
      const loss = x.labels ? sequenceClassificationLoss(this.config, logits, x.labels) : undefined;
      return { loss, logits, hiddenStates: out.hiddenStates, attentions: out.attentions };
    });
  }
}

/** The replaced-token discriminator: one logit per token (dense -> hidden_act -> dense_prediction); BCE over real tokens. */
export class ElectraForPreTraining extends ElectraPreTrainedModel {
  readonly forwardArgNames: readonly string[] = [...TEXT_ARGS, 'labels'];
  readonly electra: ElectraModel;
  readonly discriminatorPredictions: ElectraDiscriminatorPredictions;
  constructor(config: ElectraConfig) {
    super(config);
    this.electra = this.registerModule('electra', new ElectraModel(config));
    this.discriminatorPredictions = this.registerModule('discriminator_predictions', new ElectraDiscriminatorPredictions(config));
  }
  forward(batch: ModelInputs): ModelOutput {
    const x = normalizeInputs(batch, this.forwardArgNames, this.constructor.name, this.config);
    return tidy(() => {
      const out = this.electra.run(x);
      const logits = this.discriminatorPredictions.forward(out.lastHiddenState);
      let loss: Tensor | undefined;
      if (x.labels) {
        const labels = x.labels.to(logits.dtype);
        if (x.attentionMask) {
          const active = x.attentionMask.view(-1).eq(1);
          loss = F.binaryCrossEntropyWithLogits(logits.view(-1).index([active]), labels.view(-1).index([active]));
        } else loss = F.binaryCrossEntropyWithLogits(logits.view(-1), labels.view(-1));
      }
      return { loss, logits, hiddenStates: out.hiddenStates, attentions: out.attentions };
    });
  }
}
export class ElectraDiscriminatorPredictions extends Module {
  readonly dense: nn.Linear;
  readonly densePrediction: nn.Linear;
  private readonly act: (x: Tensor) => Tensor;
  constructor(c: ElectraConfig) {
    super();
    this.dense = this.registerModule('dense', new nn.Linear(c.hiddenSize, c.hiddenSize));
    this.act = F.getActivation(c.hiddenAct);
    this.densePrediction = this.registerModule('dense_prediction', new nn.Linear(c.hiddenSize, 1));
  }
  forward(h: Tensor): Tensor { return tidy(() => this.densePrediction.forward(this.act(this.dense.forward(h))).squeeze(-1)); }
}

/** The generator's masked LM: dense (hidden -> embedding_size) -> GELU -> LayerNorm -> generator_lm_head (tied). */
export class ElectraForMaskedLM extends ElectraPreTrainedModel {
  readonly forwardArgNames: readonly string[] = [...TEXT_ARGS, 'labels'];
  readonly electra: ElectraModel;
  readonly generatorPredictions: ElectraGeneratorPredictions;
  readonly generatorLmHead: nn.Linear;
  constructor(config: ElectraConfig) {
    super(config);
    this.electra = this.registerModule('electra', new ElectraModel(config));
    this.generatorPredictions = this.registerModule('generator_predictions', new ElectraGeneratorPredictions(config));
    this.generatorLmHead = this.registerModule('generator_lm_head', new nn.Linear(config.embeddingSize, config.vocabSize));
    if (config.tieWordEmbeddings) tieLinearWeight(this.generatorLmHead, this.electra.embeddings.wordEmbeddings.weight);
  }
  override tiedWeights(): [string, string][] {
    return this.config.tieWordEmbeddings ? [['generator_lm_head.weight', 'electra.embeddings.word_embeddings.weight']] : [];
  }
  protected override initModule(m: Module): void {
    if (m === this.generatorLmHead && this.config.tieWordEmbeddings) { nn.init.zeros_(this.generatorLmHead.bias!); return; }
    super.initModule(m);
  }
  forward(batch: ModelInputs): ModelOutput {
    const x = normalizeInputs(batch, this.forwardArgNames, this.constructor.name, this.config);
    return tidy(() => {
      const out = this.electra.run(x);
      const logits = this.generatorLmHead.forward(this.generatorPredictions.forward(out.lastHiddenState));
      const loss = x.labels ? maskedLmLoss(logits, x.labels, this.config.vocabSize) : undefined;
      return { loss, logits, hiddenStates: out.hiddenStates, attentions: out.attentions };
    });
  }
}
export class ElectraGeneratorPredictions extends Module {
  readonly LayerNorm: nn.LayerNorm;
  readonly dense: nn.Linear;
  constructor(c: ElectraConfig) {
    super();
    this.LayerNorm = this.registerModule('LayerNorm', new nn.LayerNorm(c.embeddingSize, c.layerNormEps));
    this.dense = this.registerModule('dense', new nn.Linear(c.hiddenSize, c.embeddingSize));
  }
  forward(h: Tensor): Tensor { return tidy(() => this.LayerNorm.forward(F.gelu(this.dense.forward(h)))); }
}

/** SequenceSummary as ELECTRA configures it: the first token -> summary (Linear) -> activation -> last dropout. */
export class ElectraSequenceSummary extends Module {
  readonly summary: nn.Linear | null;
  readonly lastDropout: nn.Dropout;
  private readonly act: ((x: Tensor) => Tensor) | null;
  constructor(c: ElectraConfig) {
    super();
    this.summary = c.summaryUseProj ? this.registerModule('summary', new nn.Linear(c.hiddenSize, c.hiddenSize)) : null;
    this.act = c.summaryActivation ? F.getActivation(c.summaryActivation) : null;
    this.lastDropout = this.registerModule('last_dropout', new nn.Dropout(c.summaryLastDropout));
  }
  forward(h: Tensor): Tensor {
    return tidy(() => {
      let x = h.select(1, 0);
      if (this.summary) x = this.summary.forward(x);
      if (this.act) x = this.act(x);
      return this.lastDropout.forward(x);
    });
  }
}

export class ElectraForMultipleChoice extends ElectraPreTrainedModel {
  readonly forwardArgNames: readonly string[] = [...TEXT_ARGS, 'labels'];
  readonly electra: ElectraModel;
  readonly sequenceSummary: ElectraSequenceSummary;
  readonly classifier: nn.Linear;
  constructor(config: ElectraConfig) {
    super(config);
    this.electra = this.registerModule('electra', new ElectraModel(config));
    this.sequenceSummary = this.registerModule('sequence_summary', new ElectraSequenceSummary(config));
    this.classifier = this.registerModule('classifier', new nn.Linear(config.hiddenSize, 1));
  }
  forward(batch: ModelInputs): MultipleChoiceModelOutput {
    const x = normalizeInputs(batch, this.forwardArgNames, this.constructor.name, this.config);
    return tidy(() => {
      const { flat, numChoices } = flattenChoices(x, this.constructor.name);
      const out = this.electra.run(flat);
      const scores = this.classifier.forward(this.sequenceSummary.forward(out.lastHiddenState));
      return { ...multipleChoiceLogits(scores, numChoices, x.labels), hiddenStates: out.hiddenStates, attentions: out.attentions };
    });
  }
}

const electraHead = {
  backbone: (c: ElectraConfig) => new ElectraModel(c),
  hiddenSize: (c: ElectraConfig) => c.hiddenSize,
  dropout: (c: ElectraConfig) => c.classifierDropout ?? c.hiddenDropoutProb,
  args: TEXT_ARGS,
};
export const ElectraForTokenClassification = tokenClassificationModel('ElectraForTokenClassification', ElectraPreTrainedModel, electraHead);
export type ElectraForTokenClassification = InstanceType<typeof ElectraForTokenClassification>;
export const ElectraForQuestionAnswering = questionAnsweringModel('ElectraForQuestionAnswering', ElectraPreTrainedModel, electraHead);
export type ElectraForQuestionAnswering = InstanceType<typeof ElectraForQuestionAnswering>;

export const electraFamily: ModelFamily = {
  modelType: 'electra', modality: 'text', configClass: ElectraConfig,
  auto: {
    AutoModel: ElectraModel, AutoModelForSequenceClassification: ElectraForSequenceClassification, AutoModelForMaskedLM: ElectraForMaskedLM,
    AutoModelForTokenClassification: ElectraForTokenClassification, AutoModelForQuestionAnswering: ElectraForQuestionAnswering,
    AutoModelForMultipleChoice: ElectraForMultipleChoice,
  },
  others: [ElectraForPreTraining],
};
