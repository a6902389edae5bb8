// BERT (transformers' models/bert/modeling_bert.py): module names match the Hub checkpoints' keys.
import { Tensor, tidy, zeros, arange, nn, F } from '../torch/index';
import { Module, ModuleList } from '../torch/nn/module';
import { PreTrainedModel } from './modeling-utils';
import { normalizeInputs, asLong, type ModelInputs, type ModelOutput, type BaseModelOutput, type NormalizedInputs } from './blocks/inputs';
import { extendedAttentionMask, multiHeadAttention } from './blocks/attention';
import { sequenceClassificationLoss, maskedLmLoss } from './blocks/losses';
import { initBertStyle, runLayers } from './blocks/layers';
import { tokenClassificationModel, questionAnsweringModel, pooledMultipleChoiceModel } from './blocks/heads';
import { PretrainedConfig, ConfigError, checkActivation, type FieldSpec } from './config';
import type { ModelFamily } from './registry';

// ---- config ----------------------------------------------------------------------------------------

export const BERT_LIKE: FieldSpec[] = [
  ['vocabSize', 'vocab_size', 30522],
  ['hiddenSize', 'hidden_size', 768],
  ['numHiddenLayers', 'num_hidden_layers', 12],
  ['numAttentionHeads', 'num_attention_heads', 12],
  ['intermediateSize', 'intermediate_size', 3072],
  ['hiddenAct', 'hidden_act', 'gelu'],
  ['hiddenDropoutProb', 'hidden_dropout_prob', 0.1],
  ['attentionProbsDropoutProb', 'attention_probs_dropout_prob', 0.1],
  ['maxPositionEmbeddings', 'max_position_embeddings', 512],
  ['typeVocabSize', 'type_vocab_size', 2],
  ['initializerRange', 'initializer_range', 0.02],
  ['layerNormEps', 'layer_norm_eps', 1e-12],
  ['positionEmbeddingType', 'position_embedding_type', 'absolute'],
  ['useCache', 'use_cache', true],
  ['classifierDropout', 'classifier_dropout', null],
];

export class BertConfig extends PretrainedConfig {
  static override readonly modelType: string = 'bert';
  static override readonly fields: FieldSpec[] = BERT_LIKE;
  declare vocabSize: number;
  declare hiddenSize: number;
  declare numHiddenLayers: number;
  declare numAttentionHeads: number;
  declare intermediateSize: number;
  declare hiddenAct: string;
  declare hiddenDropoutProb: number;
  declare attentionProbsDropoutProb: number;
  declare maxPositionEmbeddings: number;
  declare typeVocabSize: number;
  declare initializerRange: number;
  declare layerNormEps: number;
  declare positionEmbeddingType: string;
  declare useCache: boolean;
  declare classifierDropout: number | null;

  constructor(values: Record<string, unknown> = {}) {
    super(values);
    if (!('pad_token_id' in values) && !('padTokenId' in values)) this.padTokenId = 0;
  }
  override validate(): void {
    super.validate();
    this.divisible('hidden_size', this.hiddenSize, 'num_attention_heads', this.numAttentionHeads);
    for (const [j, v] of [['vocab_size', this.vocabSize], ['num_hidden_layers', this.numHiddenLayers], ['intermediate_size', this.intermediateSize],
      ['max_position_embeddings', this.maxPositionEmbeddings], ['type_vocab_size', this.typeVocabSize]] as const) this.positive(j, v);
    this.probability('hidden_dropout_prob', this.hiddenDropoutProb);
    this.probability('attention_probs_dropout_prob', this.attentionProbsDropoutProb);
    this.probability('classifier_dropout', this.classifierDropout);
    checkActivation('hidden_act', this.hiddenAct);
    if (this.positionEmbeddingType !== 'absolute') {
      throw new ConfigError(`position_embedding_type '${this.positionEmbeddingType}' is not supported by hubtune: only 'absolute'`);
    }
    if (this.padTokenId !== null && (this.padTokenId < 0 || this.padTokenId >= this.vocabSize)) {
      throw new ConfigError(`pad_token_id ${this.padTokenId} is outside the vocabulary (vocab_size ${this.vocabSize})`);
    }
  }
}

// ---- blocks -------------------------------------------------------------------------------------

/** Word + position + token-type embeddings, LayerNorm, dropout. */
export class BertEmbeddings extends Module {
  readonly wordEmbeddings: nn.Embedding;
  readonly positionEmbeddings: nn.Embedding;
  readonly tokenTypeEmbeddings: nn.Embedding;
  readonly LayerNorm: nn.LayerNorm;
  readonly dropout: nn.Dropout;
  constructor(c: BertConfig, positionPaddingIdx: number | null = null) {
    super();
    this.wordEmbeddings = this.registerModule('word_embeddings', new nn.Embedding(c.vocabSize, c.hiddenSize, c.padTokenId));
    this.positionEmbeddings = this.registerModule('position_embeddings', new nn.Embedding(c.maxPositionEmbeddings, c.hiddenSize, positionPaddingIdx));
    this.tokenTypeEmbeddings = this.registerModule('token_type_embeddings', new nn.Embedding(c.typeVocabSize, c.hiddenSize));
    this.LayerNorm = this.registerModule('LayerNorm', new nn.LayerNorm(c.hiddenSize, c.layerNormEps));
    this.dropout = this.registerModule('dropout', new nn.Dropout(c.hiddenDropoutProb));
  }
  /** ids [B, L] -> [B, L, H]; positions default to 0..L-1, token types to 0. */
  forward(inputIds: Tensor, tokenTypeIds?: Tensor, positionIds?: Tensor): Tensor {
    return tidy(() => {
      const [b, l] = inputIds.shape as [number, number];
      if (l > this.positionEmbeddings.numEmbeddings) {
        throw new Error(`sequence length ${l} is longer than max_position_embeddings (${this.positionEmbeddings.numEmbeddings}): truncate the inputs`);
      }
      const pos = positionIds ? asLong(positionIds) : arange(l).unsqueeze(0);
      const types = tokenTypeIds ? asLong(tokenTypeIds) : zeros([b, l], { dtype: 'int64' });
      const e = this.wordEmbeddings.forward(inputIds).add(this.tokenTypeEmbeddings.forward(types)).add(this.positionEmbeddings.forward(pos));
      return this.dropout.forward(this.LayerNorm.forward(e));
    });
  }
}

export class BertSelfAttention extends Module {
  readonly query: nn.Linear;
  readonly key: nn.Linear;
  readonly value: nn.Linear;
  readonly dropoutP: number;
  constructor(readonly c: BertConfig) {
    super();
    this.query = this.registerModule('query', new nn.Linear(c.hiddenSize, c.hiddenSize));
    this.key = this.registerModule('key', new nn.Linear(c.hiddenSize, c.hiddenSize));
    this.value = this.registerModule('value', new nn.Linear(c.hiddenSize, c.hiddenSize));
    this.dropoutP = c.attentionProbsDropoutProb;
  }
  forward(h: Tensor, mask: Tensor | null, needWeights: boolean): { context: Tensor; probs: Tensor | null } {
    return tidy(() => multiHeadAttention(this.query.forward(h), this.key.forward(h), this.value.forward(h), this.c.numAttentionHeads, mask,
      this.training ? this.dropoutP : 0, needWeights, this.c.attnImplementation));
  }
}

/** dense -> dropout -> LayerNorm(x + residual): BertSelfOutput and BertOutput. */
export class BertResidualOutput extends Module {
  readonly dense: nn.Linear;
  readonly LayerNorm: nn.LayerNorm;
  readonly dropout: nn.Dropout;
  constructor(c: BertConfig, inSize: number) {
    super();
    this.dense = this.registerModule('dense', new nn.Linear(inSize, c.hiddenSize));
    this.LayerNorm = this.registerModule('LayerNorm', new nn.LayerNorm(c.hiddenSize, c.layerNormEps));
    this.dropout = this.registerModule('dropout', new nn.Dropout(c.hiddenDropoutProb));
  }
  forward(h: Tensor, residual: Tensor): Tensor {
    return tidy(() => this.LayerNorm.forward(this.dropout.forward(this.dense.forward(h)).add(residual)));
  }
}

export class BertAttention extends Module {
  readonly self: BertSelfAttention;
  readonly output: BertResidualOutput;
  constructor(c: BertConfig) {
    super();
    this.self = this.registerModule('self', new BertSelfAttention(c));
    this.output = this.registerModule('output', new BertResidualOutput(c, c.hiddenSize));
  }
  forward(h: Tensor, mask: Tensor | null, needWeights: boolean): { output: Tensor; probs: Tensor | null } {
    return tidy(() => {
      const { context, probs } = this.self.forward(h, mask, needWeights);
      return { output: this.output.forward(context, h), probs };
    });
  }
}

export class BertIntermediate extends Module {
  readonly dense: nn.Linear;
  private readonly act: (x: Tensor) => Tensor;
  constructor(c: BertConfig) {
    super();
    this.dense = this.registerModule('dense', new nn.Linear(c.hiddenSize, c.intermediateSize));
    this.act = F.getActivation(c.hiddenAct);
  }
  forward(h: Tensor): Tensor { return tidy(() => this.act(this.dense.forward(h))); }
}

export class BertLayer extends Module {
  readonly attention: BertAttention;
  readonly intermediate: BertIntermediate;
  readonly output: BertResidualOutput;
  constructor(c: BertConfig) {
    super();
    this.attention = this.registerModule('attention', new BertAttention(c));
    this.intermediate = this.registerModule('intermediate', new BertIntermediate(c));
    this.output = this.registerModule('output', new BertResidualOutput(c, c.intermediateSize));
  }
  forward(h: Tensor, mask: Tensor | null, needWeights: boolean): { hidden: Tensor; probs: Tensor | null } {
    return tidy(() => {
      const a = this.attention.forward(h, mask, needWeights);
      return { hidden: this.output.forward(this.intermediate.forward(a.output), a.output), probs: a.probs };
    });
  }
}

export class BertEncoder extends Module {
  readonly layer: ModuleList<BertLayer>;
  constructor(c: BertConfig) {
    super();
    this.layer = this.registerModule('layer', new ModuleList(Array.from({ length: c.numHiddenLayers }, () => new BertLayer(c))));
  }
  forward(h: Tensor, mask: Tensor | null, outputHiddenStates: boolean, outputAttentions: boolean): BaseModelOutput {
    return runLayers(this.layer, h, { outputHiddenStates, outputAttentions, args: [mask] });
  }
}

/** tanh(dense(first token)). */
export class BertPooler extends Module {
  readonly dense: nn.Linear;
  constructor(c: { hiddenSize: number }) {
    super();
    this.dense = this.registerModule('dense', new nn.Linear(c.hiddenSize, c.hiddenSize));
  }
  forward(h: Tensor): Tensor { return tidy(() => this.dense.forward(h.select(1, 0)).tanh()); }
}

// ---- models ---------------------------------------------------------------------------------------

export const TEXT_ARGS = ['input_ids', 'attention_mask', 'token_type_ids', 'position_ids', 'output_attentions', 'output_hidden_states'] as const;

export abstract class BertPreTrainedModel extends PreTrainedModel<BertConfig> {
  static override configClass = BertConfig;
  static override baseModelPrefix = 'bert';
  readonly mainInputName = 'input_ids';
  protected initModule(m: Module): void { initBertStyle(m, this.config.initializerRange); }
}

export class BertModel extends BertPreTrainedModel {
  readonly forwardArgNames: readonly string[] = TEXT_ARGS;
  readonly embeddings: BertEmbeddings;
  readonly encoder: BertEncoder;
  readonly pooler: BertPooler | null;
  constructor(config: BertConfig, o: { addPoolingLayer?: boolean } = {}) {
    super(config);
    this.embeddings = this.registerModule('embeddings', new BertEmbeddings(config));
    this.encoder = this.registerModule('encoder', new BertEncoder(config));
    this.pooler = o.addPoolingLayer === false ? null : this.registerModule('pooler', new BertPooler(config));
  }
  forward(batch: ModelInputs): BaseModelOutput {
    const x = normalizeInputs(batch, this.forwardArgNames, this.constructor.name, this.config);
    return tidy(() => this.run(x));
  }
  /** The backbone on normalised inputs (used by the head models). */
  run(x: NormalizedInputs): BaseModelOutput { return runTextBackbone(this, x); }
}

/** Embeddings -> encoder (with the extended padding mask) -> optional pooler; shared by BERT and RoBERTa. */
export function runTextBackbone(
  m: { embeddings: BertEmbeddings; encoder: BertEncoder; pooler: BertPooler | null; constructor: { name: string } },
  x: NormalizedInputs,
): BaseModelOutput {
  if (!x.inputIds) throw new Error(`${m.constructor.name}.forward needs inputIds (input_ids)`);
  const ids = asLong(x.inputIds);
  if (ids.ndim !== 2) throw new Error(`input_ids must be [batch, sequence], got shape [${ids.shape.join(', ')}]`);
  const mask = x.attentionMask ? extendedAttentionMask(x.attentionMask, m.embeddings.wordEmbeddings.weight.dtype) : null;
  const emb = m.embeddings.forward(ids, x.tokenTypeIds, x.positionIds);
  const out = m.encoder.forward(emb, mask, x.outputHiddenStates, x.outputAttentions);
  if (m.pooler) out.poolerOutput = m.pooler.forward(out.lastHiddenState);
  return out;
}

export class BertForSequenceClassification extends BertPreTrainedModel {
  readonly forwardArgNames: readonly string[] = [...TEXT_ARGS, 'labels'];
  readonly bert: BertModel;
  readonly dropout: nn.Dropout;
  readonly classifier: nn.Linear;
  constructor(config: BertConfig) {
    super(config);
    this.bert = this.registerModule('bert', new BertModel(config));
    this.dropout = this.registerModule('dropout', new nn.Dropout(config.classifierDropout ?? config.hiddenDropoutProb));
    this.classifier = this.registerModule('classifier', new nn.Linear(config.hiddenSize, config.numLabels));
  }
  forward(batch: ModelInputs): ModelOutput {
    const x = normalizeInputs(batch, this.forwardArgNames, this.constructor.name, this.config);
    return tidy(() => {
      const out = this.bert.run(x);
      const logits = this.classifier.forward(this.dropout.forward(out.poolerOutput!));
      const loss = x.labels ? sequenceClassificationLoss(this.config, logits, x.labels) : undefined;
      return { loss, logits, hiddenStates: out.hiddenStates, attentions: out.attentions };
    });
  }
}

/** dense -> act -> LayerNorm, then the decoder tied to the word embeddings (cls.predictions). */
export class BertLMPredictionHead extends Module {
  readonly transform: BertPredictionHeadTransform;
  readonly decoder: nn.Linear;
  readonly bias: Tensor;
  constructor(c: BertConfig) {
    super();
    this.transform = this.registerModule('transform', new BertPredictionHeadTransform(c));
    this.decoder = this.registerModule('decoder', new nn.Linear(c.hiddenSize, c.vocabSize, { bias: false }));
    this.bias = this.registerParameter('bias', zeros([c.vocabSize]));
    this.decoder.bias = this.decoder.registerParameter('bias', this.bias);
  }
  forward(h: Tensor): Tensor { return tidy(() => this.decoder.forward(this.transform.forward(h))); }
}
export class BertPredictionHeadTransform extends Module {
  readonly dense: nn.Linear;
  readonly LayerNorm: nn.LayerNorm;
  private readonly act: (x: Tensor) => Tensor;
  constructor(c: BertConfig) {
    super();
    this.dense = this.registerModule('dense', new nn.Linear(c.hiddenSize, c.hiddenSize));
    this.act = F.getActivation(c.hiddenAct);
    this.LayerNorm = this.registerModule('LayerNorm', new nn.LayerNorm(c.hiddenSize, c.layerNormEps));
  }
  forward(h: Tensor): Tensor { return tidy(() => this.LayerNorm.forward(this.act(this.dense.forward(h)))); }
}
export class BertOnlyMLMHead extends Module {
  readonly predictions: BertLMPredictionHead;
  constructor(c: BertConfig) {
    super();
    this.predictions = this.registerModule('predictions', new BertLMPredictionHead(c));
  }
}

/** Replaces `linear.weight` by `weight` (shared tensor): tied input/output embeddings. */
export function tieLinearWeight(linear: nn.Linear, weight: Tensor): void {
  if (linear.weight === weight) return;
  linear.weight.dispose();
  linear.weight = linear.registerParameter('weight', weight);
}

export class BertForMaskedLM extends BertPreTrainedModel {
  static override ignoreOnLoadUnexpected = [/pooler/];
  readonly forwardArgNames: readonly string[] = [...TEXT_ARGS, 'labels'];
  readonly bert: BertModel;
  readonly cls: BertOnlyMLMHead;
  constructor(config: BertConfig) {
    super(config);
    this.bert = this.registerModule('bert', new BertModel(config, { addPoolingLayer: false }));
    this.cls = this.registerModule('cls', new BertOnlyMLMHead(config));
    if (config.tieWordEmbeddings) tieLinearWeight(this.cls.predictions.decoder, this.bert.embeddings.wordEmbeddings.weight);
  }
  override tiedWeights(): [string, string][] {
    const t: [string, string][] = [['cls.predictions.decoder.bias', 'cls.predictions.bias']];
    if (this.config.tieWordEmbeddings) t.push(['cls.predictions.decoder.weight', 'bert.embeddings.word_embeddings.weight']);
    return t;
  }
  protected override initModule(m: Module): void {
    if (m === this.cls.predictions.decoder) return; // tied (or initialised below)
    super.initModule(m);
    if (m === this.cls.predictions) {
      nn.init.zeros_(this.cls.predictions.bias);
      if (!this.config.tieWordEmbeddings) nn.init.normal_(this.cls.predictions.decoder.weight, 0, this.config.initializerRange);
    }
  }
  forward(batch: ModelInputs): ModelOutput {
    const x = normalizeInputs(batch, this.forwardArgNames, this.constructor.name, this.config);
    return tidy(() => {
      const out = this.bert.run(x);
      const logits = this.cls.predictions.forward(out.lastHiddenState);
      const loss = x.labels ? maskedLmLoss(logits, x.labels, this.config.vocabSize) : undefined;
      return { loss, logits, hiddenStates: out.hiddenStates, attentions: out.attentions };
    });
  }
}

const bertHead = {
  backbone: (c: BertConfig) => new BertModel(c, { addPoolingLayer: false }),
  hiddenSize: (c: BertConfig) => c.hiddenSize,
  dropout: (c: BertConfig) => c.classifierDropout ?? c.hiddenDropoutProb,
  args: TEXT_ARGS,
};
export const BertForTokenClassification = tokenClassificationModel('BertForTokenClassification', BertPreTrainedModel, bertHead);
export type BertForTokenClassification = InstanceType<typeof BertForTokenClassification>;
export const BertForQuestionAnswering = questionAnsweringModel('BertForQuestionAnswering', BertPreTrainedModel, bertHead);
export type BertForQuestionAnswering = InstanceType<typeof BertForQuestionAnswering>;
export const BertForMultipleChoice = pooledMultipleChoiceModel('BertForMultipleChoice', BertPreTrainedModel, { ...bertHead, backbone: (c: BertConfig) => new BertModel(c) });
export type BertForMultipleChoice = InstanceType<typeof BertForMultipleChoice>;

export const bertFamily: ModelFamily = {
  modelType: 'bert', modality: 'text', configClass: BertConfig,
  auto: {
    AutoModel: BertModel, AutoModelForSequenceClassification: BertForSequenceClassification, AutoModelForMaskedLM: BertForMaskedLM,
    AutoModelForTokenClassification: BertForTokenClassification, AutoModelForQuestionAnswering: BertForQuestionAnswering, AutoModelForMultipleChoice: BertForMultipleChoice,
  },
};
