// DistilBERT (transformers' models/distilbert/modeling_distilbert.py): 6 post-LN layers, no token
// types, no pooler; the classifier reads the first token through pre_classifier + ReLU.
import { Tensor, tidy, arange, nn, F, noGrad, tensor } from '../torch/index';
import { Module, ModuleList } from '../torch/nn/module';
import { tieLinearWeight } from './bert';
import { PreTrainedModel } from './modeling-utils';
import { normalizeInputs, asLong, type ModelInputs, type ModelOutput, type BaseModelOutput, type NormalizedInputs } from './blocks/inputs';
import { extendedAttentionMask, multiHeadAttention, finfoMin } from './blocks/attention';
import { sequenceClassificationLoss, maskedLmLoss } from './blocks/losses';
import { initBertStyle, runLayers } from './blocks/layers';
import { tokenClassificationModel, questionAnsweringModel, flattenChoices, multipleChoiceLogits, type MultipleChoiceModelOutput } from './blocks/heads';
import { PretrainedConfig, checkActivation, type FieldSpec } from './config';
import type { ModelFamily } from './registry';

// ---- config ----------------------------------------------------------------------------------------

export class DistilBertConfig extends PretrainedConfig {
  static override readonly modelType: string = 'distilbert';
  static override readonly fields: FieldSpec[] = [
    ['vocabSize', 'vocab_size', 30522],
    ['maxPositionEmbeddings', 'max_position_embeddings', 512],
    ['sinusoidalPosEmbds', 'sinusoidal_pos_embds', false],
    ['nLayers', 'n_layers', 6],
    ['nHeads', 'n_heads', 12],
    ['dim', 'dim', 768],
    ['hiddenDim', 'hidden_dim', 3072],
    ['dropout', 'dropout', 0.1],
    ['attentionDropout', 'attention_dropout', 0.1],
    ['activation', 'activation', 'gelu'],
    ['initializerRange', 'initializer_range', 0.02],
    ['qaDropout', 'qa_dropout', 0.1],
    ['seqClassifDropout', 'seq_classif_dropout', 0.2],
  ];
  static override readonly aliases: Record<string, string> = {
    hidden_size: 'dim', hiddenSize: 'dim', num_attention_heads: 'nHeads', numAttentionHeads: 'nHeads', num_hidden_layers: 'nLayers', numHiddenLayers: 'nLayers',
  };
  declare vocabSize: number;
  declare maxPositionEmbeddings: number;
  declare sinusoidalPosEmbds: boolean;
  declare nLayers: number;
  declare nHeads: number;
  declare dim: number;
  declare hiddenDim: number;
  declare dropout: number;
  declare attentionDropout: number;
  declare activation: string;
  declare initializerRange: number;
  declare qaDropout: number;
  declare seqClassifDropout: number;

  constructor(values: Record<string, unknown> = {}) {
    super(values);
    if (!('pad_token_id' in values) && !('padTokenId' in values)) this.padTokenId = 0;
  }
  get hiddenSize(): number { return this.dim; }
  get numAttentionHeads(): number { return this.nHeads; }
  get numHiddenLayers(): number { return this.nLayers; }
  override validate(): void {
    super.validate();
    this.divisible('dim', this.dim, 'n_heads', this.nHeads);
    for (const [j, v] of [['vocab_size', this.vocabSize], ['n_layers', this.nLayers], ['hidden_dim', this.hiddenDim], ['max_position_embeddings', this.maxPositionEmbeddings]] as const) this.positive(j, v);
    this.probability('dropout', this.dropout);
    this.probability('attention_dropout', this.attentionDropout);
    this.probability('seq_classif_dropout', this.seqClassifDropout);
    checkActivation('activation', this.activation);
  }
}

export class DistilBertEmbeddings extends Module {
  readonly wordEmbeddings: nn.Embedding;
  readonly positionEmbeddings: nn.Embedding;
  readonly LayerNorm: nn.LayerNorm;
  readonly dropout: nn.Dropout;
  constructor(readonly c: DistilBertConfig) {
    super();
    this.wordEmbeddings = this.registerModule('word_embeddings', new nn.Embedding(c.vocabSize, c.dim, c.padTokenId));
    this.positionEmbeddings = this.registerModule('position_embeddings', new nn.Embedding(c.maxPositionEmbeddings, c.dim));
    this.LayerNorm = this.registerModule('LayerNorm', new nn.LayerNorm(c.dim, 1e-12));
    this.dropout = this.registerModule('dropout', new nn.Dropout(c.dropout));
  }
  /** Fixed sin/cos position table (sinusoidal_pos_embds), not trained. */
  fillSinusoidal(): void {
    const { maxPositionEmbeddings: n, dim } = this.c;
    const vals = new Float32Array(n * dim);
    for (let pos = 0; pos < n; pos++) {
      for (let j = 0; j < dim; j++) {
        const angle = pos / Math.pow(10000, (2 * Math.floor(j / 2)) / dim);
        vals[pos * dim + j] = j % 2 === 0 ? Math.sin(angle) : Math.cos(angle);
      }
    }
    const t = tensor(vals, { shape: [n, dim] });
    noGrad(() => this.positionEmbeddings.weight.copy_(t));
    t.dispose();
    this.positionEmbeddings.weight.requiresGrad_(false);
  }
  forward(inputIds: Tensor, positionIds?: Tensor): Tensor {
    return tidy(() => {
      const l = inputIds.shape[1]!;
      if (l > this.c.maxPositionEmbeddings) throw new Error(`sequence length ${l} is longer than max_position_embeddings (${this.c.maxPositionEmbeddings}): truncate the inputs`);
      const pos = positionIds ? asLong(positionIds) : arange(l).unsqueeze(0);
      const e = this.wordEmbeddings.forward(inputIds).add(this.positionEmbeddings.forward(pos));
      return this.dropout.forward(this.LayerNorm.forward(e));
    });
  }
}

export class MultiHeadSelfAttention extends Module {
  readonly qLin: nn.Linear;
  readonly kLin: nn.Linear;
  readonly vLin: nn.Linear;
  readonly outLin: nn.Linear;
  constructor(readonly c: DistilBertConfig) {
    super();
    this.qLin = this.registerModule('q_lin', new nn.Linear(c.dim, c.dim));
    this.kLin = this.registerModule('k_lin', new nn.Linear(c.dim, c.dim));
    this.vLin = this.registerModule('v_lin', new nn.Linear(c.dim, c.dim));
    this.outLin = this.registerModule('out_lin', new nn.Linear(c.dim, c.dim));
  }
  /** `mask` is the attention mask [B, L] (1 = attend, 0 = padding) or null. */
  forward(h: Tensor, mask: Tensor | null, needWeights: boolean): { output: Tensor; probs: Tensor | null } {
    return tidy(() => {
      const p = this.training ? this.c.attentionDropout : 0;
      const [q, k, v] = [this.qLin.forward(h), this.kLin.forward(h), this.vLin.forward(h)];
      if (!needWeights && this.c.attnImplementation === 'sdpa') {
        const additive = mask ? extendedAttentionMask(mask, h.dtype) : null;
        return { output: this.outLin.forward(multiHeadAttention(q, k, v, this.c.nHeads, additive, p, false).context), probs: null };
      }
      // 'eager' (or probabilities wanted): transformers 4.29.2's MultiHeadSelfAttention op for op, which
      // gives Python's gradients bit for bit (parity.test.ts): q / math.sqrt(d) BEFORE the product,
      // matmul(q, kᵀ), masked_fill(mask == 0, finfo.min) (not an additive mask), softmax, dropout, ·v
      const [b, l, dim] = h.shape as [number, number, number];
      const dh = dim / this.c.nHeads;
      const split = (x: Tensor) => x.view(b, -1, this.c.nHeads, dh).transpose(1, 2);
      let scores = split(q).div(Math.sqrt(dh)).matmul(split(k).transpose(2, 3));
      if (mask) scores = scores.maskedFill(mask.eq(0).view(b, 1, 1, l).expandAs(scores), finfoMin(scores.dtype));
      const probs = scores.softmax(-1);
      const context = F.dropout(probs, p, this.training).matmul(split(v)).transpose(1, 2).reshape(b, l, dim);
      return { output: this.outLin.forward(context), probs: needWeights ? probs : null };
    });
  }
}

export class FFN extends Module {
  readonly lin1: nn.Linear;
  readonly lin2: nn.Linear;
  readonly dropout: nn.Dropout;
  private readonly act: (x: Tensor) => Tensor;
  constructor(c: DistilBertConfig) {
    super();
    this.dropout = this.registerModule('dropout', new nn.Dropout(c.dropout));
    this.lin1 = this.registerModule('lin1', new nn.Linear(c.dim, c.hiddenDim));
    this.lin2 = this.registerModule('lin2', new nn.Linear(c.hiddenDim, c.dim));
    this.act = F.getActivation(c.activation);
  }
  forward(h: Tensor): Tensor { return tidy(() => this.dropout.forward(this.lin2.forward(this.act(this.lin1.forward(h))))); }
}

export class TransformerBlock extends Module {
  readonly attention: MultiHeadSelfAttention;
  readonly saLayerNorm: nn.LayerNorm;
  readonly ffn: FFN;
  readonly outputLayerNorm: nn.LayerNorm;
  constructor(c: DistilBertConfig) {
    super();
    this.attention = this.registerModule('attention', new MultiHeadSelfAttention(c));
    this.saLayerNorm = this.registerModule('sa_layer_norm', new nn.LayerNorm(c.dim, 1e-12));
    this.ffn = this.registerModule('ffn', new FFN(c));
    this.outputLayerNorm = this.registerModule('output_layer_norm', new nn.LayerNorm(c.dim, 1e-12));
  }
  forward(h: Tensor, mask: Tensor | null, needWeights: boolean): { hidden: Tensor; probs: Tensor | null } {
    return tidy(() => {
      const a = this.attention.forward(h, mask, needWeights);
      const sa = this.saLayerNorm.forward(a.output.add(h));
      return { hidden: this.outputLayerNorm.forward(this.ffn.forward(sa).add(sa)), probs: a.probs };
    });
  }
}

export class Transformer extends Module {
  readonly layer: ModuleList<TransformerBlock>;
  constructor(c: DistilBertConfig) {
    super();
    this.layer = this.registerModule('layer', new ModuleList(Array.from({ length: c.nLayers }, () => new TransformerBlock(c))));
  }
  forward(h: Tensor, mask: Tensor | null, outputHiddenStates: boolean, outputAttentions: boolean): BaseModelOutput {
    return runLayers(this.layer, h, { outputHiddenStates, outputAttentions, args: [mask] });
  }
}

const TEXT_ARGS = ['input_ids', 'attention_mask', 'output_attentions', 'output_hidden_states'] as const;

export abstract class DistilBertPreTrainedModel extends PreTrainedModel<DistilBertConfig> {
  static override configClass = DistilBertConfig;
  static override baseModelPrefix = 'distilbert';
  readonly mainInputName = 'input_ids';
  protected initModule(m: Module): void {
    initBertStyle(m, this.config.initializerRange);
    if (m instanceof DistilBertEmbeddings && this.config.sinusoidalPosEmbds) m.fillSinusoidal();
  }
}

export class DistilBertModel extends DistilBertPreTrainedModel {
  readonly forwardArgNames: readonly string[] = TEXT_ARGS;
  readonly embeddings: DistilBertEmbeddings;
  readonly transformer: Transformer;
  constructor(config: DistilBertConfig) {
    super(config);
    this.embeddings = this.registerModule('embeddings', new DistilBertEmbeddings(config));
    this.transformer = this.registerModule('transformer', new Transformer(config));
  }
  forward(batch: ModelInputs): BaseModelOutput {
    const x = normalizeInputs(batch, this.forwardArgNames, this.constructor.name, this.config);
    return tidy(() => this.run(x));
  }
  run(x: NormalizedInputs): BaseModelOutput {
    if (!x.inputIds) throw new Error(`${this.constructor.name}.forward needs inputIds (input_ids)`);
    const ids = asLong(x.inputIds);
    if (ids.ndim !== 2) throw new Error(`input_ids must be [batch, sequence], got shape [${ids.shape.join(', ')}]`);
    const emb = this.embeddings.forward(ids, x.positionIds);
    return this.transformer.forward(emb, x.attentionMask ?? null, x.outputHiddenStates, x.outputAttentions);
  }
}

export class DistilBertForSequenceClassification extends DistilBertPreTrainedModel {
  readonly forwardArgNames: readonly string[] = [...TEXT_ARGS, 'labels'];
  readonly distilbert: DistilBertModel;
  readonly preClassifier: nn.Linear;
  readonly classifier: nn.Linear;
  readonly dropout: nn.Dropout;
  constructor(config: DistilBertConfig) {
    super(config);
    this.distilbert = this.registerModule('distilbert', new DistilBertModel(config));
    this.preClassifier = this.registerModule('pre_classifier', new nn.Linear(config.dim, config.dim));
    this.classifier = this.registerModule('classifier', new nn.Linear(config.dim, config.numLabels));
    this.dropout = this.registerModule('dropout', new nn.Dropout(config.seqClassifDropout));
  }
  forward(batch: ModelInputs): ModelOutput {
    const x = normalizeInputs(batch, this.forwardArgNames, this.constructor.name, this.config);
    return tidy(() => {
      const out = this.distilbert.run(x);
      const pooled = this.dropout.forward(this.preClassifier.forward(out.lastHiddenState.select(1, 0)).relu());
      const logits = this.classifier.forward(pooled);
      const loss = x.labels ? sequenceClassificationLoss(this.config, logits, x.labels) : undefined;
      return { loss, logits, hiddenStates: out.hiddenStates, attentions: out.attentions };
    });
  }
}

export class DistilBertForMaskedLM extends DistilBertPreTrainedModel {
  readonly forwardArgNames: readonly string[] = [...TEXT_ARGS, 'labels'];
  readonly distilbert: DistilBertModel;
  readonly vocabTransform: nn.Linear;
  readonly vocabLayerNorm: nn.LayerNorm;
  readonly vocabProjector: nn.Linear;
  private readonly act: (x: Tensor) => Tensor;
  constructor(config: DistilBertConfig) {
    super(config);
    this.act = F.getActivation(config.activation);
    this.distilbert = this.registerModule('distilbert', new DistilBertModel(config));
    this.vocabTransform = this.registerModule('vocab_transform', new nn.Linear(config.dim, config.dim));
    this.vocabLayerNorm = this.registerModule('vocab_layer_norm', new nn.LayerNorm(config.dim, 1e-12));
    this.vocabProjector = this.registerModule('vocab_projector', new nn.Linear(config.dim, config.vocabSize));
    if (config.tieWordEmbeddings) tieLinearWeight(this.vocabProjector, this.distilbert.embeddings.wordEmbeddings.weight);
  }
  override tiedWeights(): [string, string][] {
    return this.config.tieWordEmbeddings ? [['vocab_projector.weight', 'distilbert.embeddings.word_embeddings.weight']] : [];
  }
  protected override initModule(m: Module): void {
    if (m === this.vocabProjector && this.config.tieWordEmbeddings) { nn.init.zeros_(this.vocabProjector.bias!); return; }
    super.initModule(m);
  }
  forward(batch: ModelInputs): ModelOutput {
    const x = normalizeInputs(batch, this.forwardArgNames, this.constructor.name, this.config);
    return tidy(() => {
      const out = this.distilbert.run(x);
      const h = this.vocabLayerNorm.forward(this.act(this.vocabTransform.forward(out.lastHiddenState)));
      const logits = this.vocabProjector.forward(h);
      const loss = x.labels ? maskedLmLoss(logits, x.labels, this.config.vocabSize) : undefined;
      return { loss, logits, hiddenStates: out.hiddenStates, attentions: out.attentions };
    });
  }
}

const distilbertHead = {
  backbone: (c: DistilBertConfig) => new DistilBertModel(c),
  hiddenSize: (c: DistilBertConfig) => c.dim,
  dropout: (c: DistilBertConfig) => c.dropout,
  qaDropout: (c: DistilBertConfig) => c.qaDropout,
  args: TEXT_ARGS,
};
export const DistilBertForTokenClassification = tokenClassificationModel('DistilBertForTokenClassification', DistilBertPreTrainedModel, distilbertHead);
export type DistilBertForTokenClassification = InstanceType<typeof DistilBertForTokenClassification>;
export const DistilBertForQuestionAnswering = questionAnsweringModel('DistilBertForQuestionAnswering', DistilBertPreTrainedModel, distilbertHead);
export type DistilBertForQuestionAnswering = InstanceType<typeof DistilBertForQuestionAnswering>;

/** The first token of each (prompt, choice) pair through pre_classifier + ReLU, then a score. */
export class DistilBertForMultipleChoice extends DistilBertPreTrainedModel {
  readonly forwardArgNames: readonly string[] = [...TEXT_ARGS, 'labels'];
  readonly distilbert: DistilBertModel;
  readonly preClassifier: nn.Linear;
  readonly classifier: nn.Linear;
  readonly dropout: nn.Dropout;
  constructor(config: DistilBertConfig) {
    super(config);
    this.distilbert = this.registerModule('distilbert', new DistilBertModel(config));
    this.preClassifier = this.registerModule('pre_classifier', new nn.Linear(config.dim, config.dim));
    this.classifier = this.registerModule('classifier', new nn.Linear(config.dim, 1));
    this.dropout = this.registerModule('dropout', new nn.Dropout(config.seqClassifDropout));
  }
  forward(batch: ModelInputs): MultipleChoiceModelOutput {
    const x = normalizeInputs(batch, this.forwardArgNames, this.constructor.name, this.config);
    return tidy(() => {
      const { flat, numChoices } = flattenChoices(x, this.constructor.name);
      const out = this.distilbert.run(flat);
      const pooled = this.dropout.forward(this.preClassifier.forward(out.lastHiddenState.select(1, 0)).relu());
      return { ...multipleChoiceLogits(this.classifier.forward(pooled), numChoices, x.labels), hiddenStates: out.hiddenStates, attentions: out.attentions };
    });
  }
}

export const distilbertFamily: ModelFamily = {
  modelType: 'distilbert', modality: 'text', configClass: DistilBertConfig,
  auto: {
    AutoModel: DistilBertModel, AutoModelForSequenceClassification: DistilBertForSequenceClassification, AutoModelForMaskedLM: DistilBertForMaskedLM,
    AutoModelForTokenClassification: DistilBertForTokenClassification, AutoModelForQuestionAnswering: DistilBertForQuestionAnswering,
    AutoModelForMultipleChoice: DistilBertForMultipleChoice,
  },
};
