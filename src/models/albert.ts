// ALBERT (transformers' models/albert/modeling_albert.py): factorised embeddings (embedding_size,
// then a projection to hidden_size) and layer groups whose weights are shared across the depth
// (num_hidden_layers applications of num_hidden_groups groups of inner_group_num layers).
import { Tensor, tidy, zeros, nn, F } from '../torch/index';
import { Module, ModuleList } from '../torch/nn/module';
import { BertEmbeddings, BertConfig, tieLinearWeight } from './bert';
import { PreTrainedModel } from './modeling-utils';
import { normalizeInputs, asLong, type ModelInputs, type ModelOutput, type BaseModelOutput, type NormalizedInputs } from './blocks/inputs';
import { extendedAttentionMask, multiHeadAttention } from './blocks/attention';
import { sequenceClassificationLoss, maskedLmLoss } from './blocks/losses';
import { initBertStyle, runLayers } from './blocks/layers';
import { tokenClassificationModel, questionAnsweringModel, pooledMultipleChoiceModel } from './blocks/heads';
import { PretrainedConfig, ConfigError, checkActivation, type FieldSpec } from './config';
import type { ModelFamily } from './registry';

export class AlbertConfig extends PretrainedConfig {
  static override readonly modelType: string = 'albert';
  static override readonly fields: FieldSpec[] = [
    ['vocabSize', 'vocab_size', 30000],
    ['embeddingSize', 'embedding_size', 128],
    ['hiddenSize', 'hidden_size', 4096],
    ['numHiddenLayers', 'num_hidden_layers', 12],
    ['numHiddenGroups', 'num_hidden_groups', 1],
    ['numAttentionHeads', 'num_attention_heads', 64],
    ['intermediateSize', 'intermediate_size', 16384],
    ['innerGroupNum', 'inner_group_num', 1],
    ['hiddenAct', 'hidden_act', 'gelu_new'],
    ['hiddenDropoutProb', 'hidden_dropout_prob', 0],
    ['attentionProbsDropoutProb', 'attention_probs_dropout_prob', 0],
    ['maxPositionEmbeddings', 'max_position_embeddings', 512],
    ['typeVocabSize', 'type_vocab_size', 2],
    ['initializerRange', 'initializer_range', 0.02],
    ['layerNormEps', 'layer_norm_eps', 1e-12],
    ['classifierDropoutProb', 'classifier_dropout_prob', 0.1],
    ['positionEmbeddingType', 'position_embedding_type', 'absolute'],
  ];
  declare vocabSize: number;
  declare embeddingSize: number;
  declare hiddenSize: number;
  declare numHiddenLayers: number;
  declare numHiddenGroups: number;
  declare numAttentionHeads: number;
  declare intermediateSize: number;
  declare innerGroupNum: number;
  declare hiddenAct: string;
  declare hiddenDropoutProb: number;
  declare attentionProbsDropoutProb: number;
  declare maxPositionEmbeddings: number;
  declare typeVocabSize: number;
  declare initializerRange: number;
  declare layerNormEps: number;
  declare classifierDropoutProb: number | null;
  declare positionEmbeddingType: string;

  constructor(values: Record<string, unknown> = {}) {
    super(values);
    const has = (a: string, b: string) => a in values || b in values;
    if (!has('pad_token_id', 'padTokenId')) this.padTokenId = 0;
    if (!has('bos_token_id', 'bosTokenId')) this.bosTokenId = 2;
    if (!has('eos_token_id', 'eosTokenId')) this.eosTokenId = 3;
  }
  override validate(): void {
    super.validate();
    this.divisible('hidden_size', this.hiddenSize, 'num_attention_heads', this.numAttentionHeads);
    for (const [j, v] of [['vocab_size', this.vocabSize], ['embedding_size', this.embeddingSize], ['num_hidden_layers', this.numHiddenLayers],
      ['num_hidden_groups', this.numHiddenGroups], ['inner_group_num', this.innerGroupNum], ['intermediate_size', this.intermediateSize],
      ['max_position_embeddings', this.maxPositionEmbeddings], ['type_vocab_size', this.typeVocabSize]] as const) this.positive(j, v);
    if (this.numHiddenLayers % this.numHiddenGroups !== 0) {
      throw new ConfigError(`num_hidden_layers (${this.numHiddenLayers}) is not a multiple of num_hidden_groups (${this.numHiddenGroups}): each group is applied the same number of times`);
    }
    this.probability('hidden_dropout_prob', this.hiddenDropoutProb);
    this.probability('attention_probs_dropout_prob', this.attentionProbsDropoutProb);
    this.probability('classifier_dropout_prob', this.classifierDropoutProb);
    checkActivation('hidden_act', this.hiddenAct);
  }
}

/** A config view with another hidden size (the embeddings work at embedding_size). */
export function atWidth<C extends object>(c: C, hiddenSize: number): C {
  return Object.assign(Object.create(c) as C, { hiddenSize });
}

/** Self-attention with its output projection and residual LayerNorm in one module (AlbertAttention). */
export class AlbertAttention extends Module {
  readonly query: nn.Linear;
  readonly key: nn.Linear;
  readonly value: nn.Linear;
  readonly attentionDropout: nn.Dropout;
  readonly outputDropout: nn.Dropout;
  readonly dense: nn.Linear;
  readonly LayerNorm: nn.LayerNorm;
  constructor(readonly c: AlbertConfig) {
    super();
    const h = c.hiddenSize;
    this.query = this.registerModule('query', new nn.Linear(h, h));
    this.key = this.registerModule('key', new nn.Linear(h, h));
    this.value = this.registerModule('value', new nn.Linear(h, h));
    this.attentionDropout = this.registerModule('attention_dropout', new nn.Dropout(c.attentionProbsDropoutProb));
    this.outputDropout = this.registerModule('output_dropout', new nn.Dropout(c.hiddenDropoutProb));
    this.dense = this.registerModule('dense', new nn.Linear(h, h));
    this.LayerNorm = this.registerModule('LayerNorm', new nn.LayerNorm(h, c.layerNormEps));
  }
  forward(h: Tensor, mask: Tensor | null, needWeights: boolean): { output: Tensor; probs: Tensor | null } {
    return tidy(() => {
      const { context, probs } = multiHeadAttention(this.query.forward(h), this.key.forward(h), this.value.forward(h), this.c.numAttentionHeads, mask,
        this.training ? this.c.attentionProbsDropoutProb : 0, needWeights, this.c.attnImplementation);
      const projected = this.outputDropout.forward(this.dense.forward(context));
      return { output: this.LayerNorm.forward(h.add(projected)), probs };
    });
  }
}

export class AlbertLayer extends Module {
  readonly fullLayerLayerNorm: nn.LayerNorm;
  readonly attention: AlbertAttention;
  readonly ffn: nn.Linear;
  readonly ffnOutput: nn.Linear;
  private readonly act: (x: Tensor) => Tensor;
  constructor(c: AlbertConfig) {
    super();
    this.fullLayerLayerNorm = this.registerModule('full_layer_layer_norm', new nn.LayerNorm(c.hiddenSize, c.layerNormEps));
    this.attention = this.registerModule('attention', new AlbertAttention(c));
    this.ffn = this.registerModule('ffn', new nn.Linear(c.hiddenSize, c.intermediateSize));
    this.ffnOutput = this.registerModule('ffn_output', new nn.Linear(c.intermediateSize, c.hiddenSize));
    this.act = F.getActivation(c.hiddenAct);
  }
  forward(h: Tensor, mask: Tensor | null, needWeights: boolean): { hidden: Tensor; probs: Tensor | null } {
    return tidy(() => {
      const a = this.attention.forward(h, mask, needWeights);
      const ffn = this.ffnOutput.forward(this.act(this.ffn.forward(a.output)));
      return { hidden: this.fullLayerLayerNorm.forward(ffn.add(a.output)), probs: a.probs };
    });
  }
}

/** inner_group_num layers applied in turn; every attention map is kept. */
export class AlbertLayerGroup extends Module {
  readonly albertLayers: ModuleList<AlbertLayer>;
  constructor(c: AlbertConfig) {
    super();
    this.albertLayers = this.registerModule('albert_layers', new ModuleList(Array.from({ length: c.innerGroupNum }, () => new AlbertLayer(c))));
  }
  forward(h: Tensor, mask: Tensor | null, needWeights: boolean): { hidden: Tensor; probs: null; allProbs: Tensor[] } {
    return tidy(() => {
      const allProbs: Tensor[] = [];
      let cur = h;
      for (const layer of this.albertLayers) {
        const out = layer.forward(cur, mask, needWeights);
        if (out.probs) allProbs.push(out.probs);
        cur = out.hidden;
      }
      return { hidden: cur, probs: null, allProbs };
    });
  }
}

/** embedding_hidden_mapping_in, then num_hidden_layers applications of the shared layer groups. */
export class AlbertTransformer extends Module {
  readonly embeddingHiddenMappingIn: nn.Linear;
  readonly albertLayerGroups: ModuleList<AlbertLayerGroup>;
  constructor(readonly c: AlbertConfig) {
    super();
    this.embeddingHiddenMappingIn = this.registerModule('embedding_hidden_mapping_in', new nn.Linear(c.embeddingSize, c.hiddenSize));
    this.albertLayerGroups = this.registerModule('albert_layer_groups', new ModuleList(Array.from({ length: c.numHiddenGroups }, () => new AlbertLayerGroup(c))));
  }
  forward(emb: Tensor, mask: Tensor | null, outputHiddenStates: boolean, outputAttentions: boolean): BaseModelOutput {
    const h = this.embeddingHiddenMappingIn.forward(emb);
    const perGroup = this.c.numHiddenLayers / this.c.numHiddenGroups;
    const groups = [...this.albertLayerGroups];
    const applications = Array.from({ length: this.c.numHiddenLayers }, (_, i) => groups[Math.floor(i / perGroup)]!);
    const attentions: Tensor[] = [];
    const out = runLayers(applications, h, {
      outputHiddenStates, outputAttentions, args: [mask],
      onOutput: (o) => { for (const p of o.allProbs as Tensor[]) attentions.push(p); },
    });
    if (outputAttentions) out.attentions = attentions;
    return out;
  }
}

const TEXT_ARGS = ['input_ids', 'attention_mask', 'token_type_ids', 'position_ids', 'output_attentions', 'output_hidden_states'] as const;

export abstract class AlbertPreTrainedModel extends PreTrainedModel<AlbertConfig> {
  static override configClass = AlbertConfig;
  static override baseModelPrefix = 'albert';
  readonly mainInputName = 'input_ids';
  protected initModule(m: Module): void { initBertStyle(m, this.config.initializerRange); }
}

export class AlbertModel extends AlbertPreTrainedModel {
  readonly forwardArgNames: readonly string[] = TEXT_ARGS;
  readonly embeddings: BertEmbeddings;
  readonly encoder: AlbertTransformer;
  readonly pooler: nn.Linear | null;
  constructor(config: AlbertConfig, o: { addPoolingLayer?: boolean } = {}) {
    super(config);
    this.embeddings = this.registerModule('embeddings', new BertEmbeddings(atWidth(config, config.embeddingSize) as unknown as BertConfig));
    this.encoder = this.registerModule('encoder', new AlbertTransformer(config));
    this.pooler = o.addPoolingLayer === false ? null : this.registerModule('pooler', new nn.Linear(config.hiddenSize, config.hiddenSize));
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
    const out = this.encoder.forward(this.embeddings.forward(ids, x.tokenTypeIds, x.positionIds), mask, x.outputHiddenStates, x.outputAttentions);
    if (this.pooler) out.poolerOutput = this.pooler.forward(out.lastHiddenState.select(1, 0)).tanh();
    return out;
  }
}

export class AlbertForSequenceClassification extends AlbertPreTrainedModel {
  readonly forwardArgNames: readonly string[] = [...TEXT_ARGS, 'labels'];
  readonly albert: AlbertModel;
  readonly dropout: nn.Dropout;
  readonly classifier: nn.Linear;
  constructor(config: AlbertConfig) {
    super(config);
    this.albert = this.registerModule('albert', new AlbertModel(config));
    this.dropout = this.registerModule('dropout', new nn.Dropout(config.classifierDropoutProb ?? config.hiddenDropoutProb));
    this.classifier = this.registerModule('classifier', new nn.Linear(config.hiddenSize, config.numLabels));
  }
  forward(batch: ModelInputs): ModelOutput {
    const x = normalizeInputs(batch, this.forwardArgNames, this.constructor.name, this.config);
    return tidy(() => {
      const out = this.albert.run(x);
      const logits = this.classifier.forward(this.dropout.forward(out.poolerOutput!));
      const loss = x.labels ? sequenceClassificationLoss(this.config, logits, x.labels) : undefined;
      return { loss, logits, hiddenStates: out.hiddenStates, attentions: out.attentions };
    });
  }
}

/** dense (hidden -> embedding_size) -> act -> LayerNorm -> decoder tied to the word embeddings. */
export class AlbertMLMHead extends Module {
  readonly LayerNorm: nn.LayerNorm;
  readonly bias: Tensor;
  readonly dense: nn.Linear;
  readonly decoder: nn.Linear;
  private readonly act: (x: Tensor) => Tensor;
  constructor(c: AlbertConfig) {
    super();
    this.LayerNorm = this.registerModule('LayerNorm', new nn.LayerNorm(c.embeddingSize, c.layerNormEps));
    this.bias = this.registerParameter('bias', zeros([c.vocabSize]));
    this.dense = this.registerModule('dense', new nn.Linear(c.hiddenSize, c.embeddingSize));
    this.decoder = this.registerModule('decoder', new nn.Linear(c.embeddingSize, c.vocabSize, { bias: false }));
    this.decoder.bias = this.decoder.registerParameter('bias', this.bias);
    this.act = F.getActivation(c.hiddenAct);
  }
  forward(h: Tensor): Tensor { return tidy(() => this.decoder.forward(this.LayerNorm.forward(this.act(this.dense.forward(h))))); }
}

export class AlbertForMaskedLM extends AlbertPreTrainedModel {
  static override ignoreOnLoadUnexpected = [/pooler/, /predictions\.decoder\.bias/];
  readonly forwardArgNames: readonly string[] = [...TEXT_ARGS, 'labels'];
  readonly albert: AlbertModel;
  readonly predictions: AlbertMLMHead;
  constructor(config: AlbertConfig) {
    super(config);
    this.albert = this.registerModule('albert', new AlbertModel(config, { addPoolingLayer: false }));
    this.predictions = this.registerModule('predictions', new AlbertMLMHead(config));
    if (config.tieWordEmbeddings) tieLinearWeight(this.predictions.decoder, this.albert.embeddings.wordEmbeddings.weight);
  }
  override tiedWeights(): [string, string][] {
    const t: [string, string][] = [['predictions.decoder.bias', 'predictions.bias']];
    if (this.config.tieWordEmbeddings) t.push(['predictions.decoder.weight', 'albert.embeddings.word_embeddings.weight']);
    return t;
  }
  protected override initModule(m: Module): void {
    if (m === this.predictions.decoder) return;
    super.initModule(m);
    if (m === this.predictions) {
      nn.init.zeros_(this.predictions.bias);
      if (!this.config.tieWordEmbeddings) nn.init.normal_(this.predictions.decoder.weight, 0, this.config.initializerRange);
    }
  }
  forward(batch: ModelInputs): ModelOutput {
    const x = normalizeInputs(batch, this.forwardArgNames, this.constructor.name, this.config);
    return tidy(() => {
      const out = this.albert.run(x);
      const logits = this.predictions.forward(out.lastHiddenState);
      const loss = x.labels ? maskedLmLoss(logits, x.labels, this.config.vocabSize) : undefined;
      return { loss, logits, hiddenStates: out.hiddenStates, attentions: out.attentions };
    });
  }
}

const albertHead = {
  backbone: (c: AlbertConfig) => new AlbertModel(c, { addPoolingLayer: false }),
  hiddenSize: (c: AlbertConfig) => c.hiddenSize,
  dropout: (c: AlbertConfig) => c.classifierDropoutProb ?? c.hiddenDropoutProb,
  args: TEXT_ARGS,
};
export const AlbertForTokenClassification = tokenClassificationModel('AlbertForTokenClassification', AlbertPreTrainedModel, albertHead);
export type AlbertForTokenClassification = InstanceType<typeof AlbertForTokenClassification>;
export const AlbertForQuestionAnswering = questionAnsweringModel('AlbertForQuestionAnswering', AlbertPreTrainedModel, albertHead);
export type AlbertForQuestionAnswering = InstanceType<typeof AlbertForQuestionAnswering>;
export const AlbertForMultipleChoice = pooledMultipleChoiceModel('AlbertForMultipleChoice', AlbertPreTrainedModel, { ...albertHead, backbone: (c: AlbertConfig) => new AlbertModel(c) });
export type AlbertForMultipleChoice = InstanceType<typeof AlbertForMultipleChoice>;

export const albertFamily: ModelFamily = {
  modelType: 'albert', modality: 'text', configClass: AlbertConfig,
  auto: {
    AutoModel: AlbertModel, AutoModelForSequenceClassification: AlbertForSequenceClassification, AutoModelForMaskedLM: AlbertForMaskedLM,
    AutoModelForTokenClassification: AlbertForTokenClassification, AutoModelForQuestionAnswering: AlbertForQuestionAnswering,
    AutoModelForMultipleChoice: AlbertForMultipleChoice,
  },
};
