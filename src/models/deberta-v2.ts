// DeBERTa-v2 and v3 (transformers' models/deberta_v2/modeling_deberta_v2.py, 4.29): disentangled
// attention (content->position and position->content terms over shared relative-position
// embeddings, log-bucketed), a masked softmax that zeroes padded rows, optional absolute positions,
// factorised embeddings, the first-layer convolution of the v2 xlarge models, and the ContextPooler
// heads. Ops follow Python's order so results match it within float noise.
import { Tensor, tidy, arange, tensor, onesLike, zerosLike, nn, F } from '../torch/index';
import { Module, ModuleList } from '../torch/nn/module';
import { tieLinearWeight, BertLMPredictionHead, type BertConfig } from './bert';
import { PreTrainedModel } from './modeling-utils';
import { normalizeInputs, asLong, type ModelInputs, type ModelOutput, type BaseModelOutput, type NormalizedInputs } from './blocks/inputs';
import { finfoMin } from './blocks/attention';
import { sequenceClassificationLoss, maskedLmLoss } from './blocks/losses';
import { initBertStyle, runLayers } from './blocks/layers';
import { tokenClassificationModel, questionAnsweringModel, flattenChoices, multipleChoiceLogits, type MultipleChoiceModelOutput } from './blocks/heads';
import { PretrainedConfig, ConfigError, checkActivation, type FieldSpec } from './config';
import type { ModelFamily } from './registry';

export class DebertaV2Config extends PretrainedConfig {
  static override readonly modelType: string = 'deberta-v2';
  static override readonly fields: FieldSpec[] = [
    ['vocabSize', 'vocab_size', 128100],
    ['hiddenSize', 'hidden_size', 1536],
    ['numHiddenLayers', 'num_hidden_layers', 24],
    ['numAttentionHeads', 'num_attention_heads', 24],
    ['intermediateSize', 'intermediate_size', 6144],
    ['hiddenAct', 'hidden_act', 'gelu'],
    ['hiddenDropoutProb', 'hidden_dropout_prob', 0.1],
    ['attentionProbsDropoutProb', 'attention_probs_dropout_prob', 0.1],
    ['maxPositionEmbeddings', 'max_position_embeddings', 512],
    ['typeVocabSize', 'type_vocab_size', 0],
    ['initializerRange', 'initializer_range', 0.02],
    ['layerNormEps', 'layer_norm_eps', 1e-7],
    ['relativeAttention', 'relative_attention', false],
    ['maxRelativePositions', 'max_relative_positions', -1],
    ['positionBiasedInput', 'position_biased_input', true],
    ['posAttType', 'pos_att_type', null],
    ['poolerDropout', 'pooler_dropout', 0],
    ['poolerHiddenAct', 'pooler_hidden_act', 'gelu'],
  ];
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
  declare relativeAttention: boolean;
  declare maxRelativePositions: number;
  declare positionBiasedInput: boolean;
  declare posAttType: string[] | string | null;
  declare poolerDropout: number;
  declare poolerHiddenAct: string;

  constructor(values: Record<string, unknown> = {}) {
    super(values);
    if (!('pad_token_id' in values) && !('padTokenId' in values)) this.padTokenId = 0;
    if (typeof this.posAttType === 'string') this.posAttType = this.posAttType.toLowerCase().split('|').map((x) => x.trim());
    if (!('pooler_hidden_size' in this.extraFields)) this.extraFields.pooler_hidden_size = this.hiddenSize;
  }
  // Attributes transformers reads with getattr (saved only when given): kept in config.json as they came.
  private extra<T>(key: string, dflt: T): T { return (this.extraFields[key] ?? dflt) as T; }
  get poolerHiddenSize(): number { return this.extra('pooler_hidden_size', this.hiddenSize); }
  get positionBuckets(): number { return this.extra('position_buckets', -1); }
  get shareAttKey(): boolean { return this.extra('share_att_key', false); }
  get normRelEbd(): string[] { return String(this.extra('norm_rel_ebd', 'none')).toLowerCase().split('|').map((x) => x.trim()); }
  get convKernelSize(): number { return this.extra('conv_kernel_size', 0); }
  get convGroups(): number { return this.extra('conv_groups', 1); }
  get convAct(): string { return this.extra('conv_act', 'tanh'); }
  get embeddingSize(): number { return this.extra('embedding_size', this.hiddenSize); }
  get attentionHeadSize(): number { return this.extra('attention_head_size', this.hiddenSize / this.numAttentionHeads); }
  get clsDropout(): number | null { return this.extra('cls_dropout', null); }
  /** The relative-position span: position_buckets if set, else max_relative_positions (or max_position_embeddings). */
  get maxRelPositions(): number { return this.maxRelativePositions < 1 ? this.maxPositionEmbeddings : this.maxRelativePositions; }
  get attTypes(): string[] { return (this.posAttType as string[] | null) ?? []; }

  override validate(): void {
    super.validate();
    this.divisible('hidden_size', this.hiddenSize, 'num_attention_heads', this.numAttentionHeads);
    for (const [j, v] of [['vocab_size', this.vocabSize], ['num_hidden_layers', this.numHiddenLayers], ['intermediate_size', this.intermediateSize],
      ['max_position_embeddings', this.maxPositionEmbeddings]] as const) this.positive(j, v);
    this.probability('hidden_dropout_prob', this.hiddenDropoutProb);
    this.probability('attention_probs_dropout_prob', this.attentionProbsDropoutProb);
    checkActivation('hidden_act', this.hiddenAct);
    checkActivation('pooler_hidden_act', this.poolerHiddenAct);
    for (const t of this.attTypes) if (t !== 'c2p' && t !== 'p2c') throw new ConfigError(`pos_att_type entry '${t}' is not supported: use 'c2p' and/or 'p2c'`);
  }
}

/**
 * Relative positions q - k [1, Q, K], log-bucketed beyond bucket_size/2 (make_log_bucket_position),
 * computed with the engine's float32 ops in Python's order so the buckets are the same.
 */
export function buildRelativePosition(querySize: number, keySize: number, bucketSize: number, maxPosition: number): Tensor {
  return tidy(() => {
    let rel = arange(querySize).unsqueeze(1).sub(arange(keySize).unsqueeze(0));
    if (bucketSize > 0 && maxPosition > 0) {
      const mid = Math.floor(bucketSize / 2);
      const sign = rel.sign();
      const inner = rel.lt(mid).logicalAnd(rel.gt(-mid));
      const absPos = tensor([mid - 1], { dtype: 'int64' }).expandAs(rel).where(inner, rel.abs());
      const denom = tensor([(maxPosition - 1) / mid], { dtype: 'float32' }).log();
      const logPos = absPos.div(mid).log().div(denom).mul(mid - 1).ceil().add(mid);
      rel = rel.to('float32').where(absPos.le(mid), logPos.mul(sign));
    }
    return rel.to('int64').unsqueeze(0);
  });
}

/** [B, L, heads*d] -> [B*heads, L, d] (transpose_for_scores). */
function heads(x: Tensor, n: number): Tensor {
  const [b, l] = x.shape as [number, number];
  return x.view(b, l, n, -1).permute(0, 2, 1, 3).contiguous().view(-1, l, x.shape[2]! / n);
}

export class DisentangledSelfAttention extends Module {
  readonly queryProj: nn.Linear;
  readonly keyProj: nn.Linear;
  readonly valueProj: nn.Linear;
  readonly posKeyProj: nn.Linear | null = null;
  readonly posQueryProj: nn.Linear | null = null;
  readonly posDropout: nn.Dropout;
  readonly dropout: nn.Dropout;
  private readonly n: number;
  constructor(readonly c: DebertaV2Config) {
    super();
    this.n = c.numAttentionHeads;
    const all = this.n * c.attentionHeadSize;
    this.queryProj = this.registerModule('query_proj', new nn.Linear(c.hiddenSize, all));
    this.keyProj = this.registerModule('key_proj', new nn.Linear(c.hiddenSize, all));
    this.valueProj = this.registerModule('value_proj', new nn.Linear(c.hiddenSize, all));
    if (c.relativeAttention && !c.shareAttKey) {
      if (c.attTypes.includes('c2p')) this.posKeyProj = this.registerModule('pos_key_proj', new nn.Linear(c.hiddenSize, all));
      if (c.attTypes.includes('p2c')) this.posQueryProj = this.registerModule('pos_query_proj', new nn.Linear(c.hiddenSize, all));
    }
    this.posDropout = this.registerModule('pos_dropout', new nn.Dropout(c.hiddenDropoutProb));
    this.dropout = this.registerModule('dropout', new nn.Dropout(c.attentionProbsDropoutProb));
  }
  /** `mask` is the [B, 1, L, L] 0/1 pair mask; relPos [1, L, L]; relEmb the (normalised) relative embeddings. */
  forward(h: Tensor, mask: Tensor, relPos: Tensor | null, relEmb: Tensor | null, needWeights: boolean): { context: Tensor; probs: Tensor | null } {
    return tidy(() => {
      const [b, l] = h.shape as [number, number];
      const q = heads(this.queryProj.forward(h), this.n);
      const k = heads(this.keyProj.forward(h), this.n);
      const v = heads(this.valueProj.forward(h), this.n);
      const scaleFactor = 1 + this.c.attTypes.length;
      const scale = Math.fround(Math.sqrt(q.shape[2]! * scaleFactor));
      let scores = q.bmm(k.transpose(-1, -2)).div(scale);
      if (this.c.relativeAttention && relPos && relEmb) scores = scores.add(this.bias(q, k, relPos, this.posDropout.forward(relEmb), scale));
      scores = scores.view(-1, this.n, l, l);
      // XSoftmax: masked positions filled with finfo.min, softmax, then set to 0 (padded query rows become all zeros)
      const rmask = mask.eq(0).expandAs(scores);
      const probs = scores.maskedFill(rmask, finfoMin(scores.dtype)).softmax(-1).maskedFill(rmask, 0);
      const dropped = this.dropout.forward(probs);
      const context = dropped.view(-1, l, l).bmm(v).view(-1, this.n, l, v.shape[2]!).permute(0, 2, 1, 3).contiguous().view(b, l, -1);
      return { context, probs: needWeights ? dropped : null };
    });
  }
  /** c2p and p2c terms: the content of each query against the relative-position keys, and back. */
  private bias(q: Tensor, k: Tensor, relPos: Tensor, relEmb: Tensor, scale: number): Tensor {
    const span = this.c.positionBuckets > 0 ? this.c.positionBuckets : this.c.maxRelPositions;
    const pos = relPos.unsqueeze(1);
    const emb = relEmb.narrow(0, 0, Math.min(span * 2, relEmb.shape[0]!)).unsqueeze(0);
    const reps = q.shape[0]! / this.n;
    const project = (lin: nn.Linear) => heads(lin.forward(emb), this.n).repeat(reps, 1, 1);
    const [bh, lq] = q.shape as [number, number];
    const lk = k.shape[1]!;
    let score: Tensor | null = null;
    if (this.c.attTypes.includes('c2p')) {
      const posKey = project(this.c.shareAttKey ? this.keyProj : this.posKeyProj!);
      const c2pPos = pos.add(span).clamp(0, span * 2 - 1).to('int64');
      const c2p = q.bmm(posKey.transpose(-1, -2)).gather(-1, c2pPos.squeeze(0).expand(bh, lq, relPos.shape[2]!));
      score = c2p.div(scale);
    }
    if (this.c.attTypes.includes('p2c')) {
      const posQuery = project(this.c.shareAttKey ? this.queryProj : this.posQueryProj!);
      const rPos = lk !== lq ? buildRelativePosition(lk, lk, this.c.positionBuckets, this.c.maxRelPositions).unsqueeze(0) : pos;
      const p2cPos = rPos.neg().add(span).clamp(0, span * 2 - 1).to('int64');
      const p2c = k.bmm(posQuery.transpose(-1, -2)).gather(-1, p2cPos.squeeze(0).expand(bh, lk, lk)).transpose(-1, -2);
      score = score ? score.add(p2c.div(scale)) : p2c.div(scale);
    }
    return score!;
  }
}

/** dense -> dropout -> LayerNorm(x + residual) (DebertaV2SelfOutput / DebertaV2Output). */
class ResidualOutput extends Module {
  readonly dense: nn.Linear;
  readonly LayerNorm: nn.LayerNorm;
  readonly dropout: nn.Dropout;
  constructor(c: DebertaV2Config, inSize: number) {
    super();
    this.dense = this.registerModule('dense', new nn.Linear(inSize, c.hiddenSize));
    this.LayerNorm = this.registerModule('LayerNorm', new nn.LayerNorm(c.hiddenSize, c.layerNormEps));
    this.dropout = this.registerModule('dropout', new nn.Dropout(c.hiddenDropoutProb));
  }
  forward(h: Tensor, residual: Tensor): Tensor { return tidy(() => this.LayerNorm.forward(this.dropout.forward(this.dense.forward(h)).add(residual))); }
}
class DebertaV2Attention extends Module {
  readonly self: DisentangledSelfAttention;
  readonly output: ResidualOutput;
  constructor(c: DebertaV2Config) {
    super();
    this.self = this.registerModule('self', new DisentangledSelfAttention(c));
    this.output = this.registerModule('output', new ResidualOutput(c, c.hiddenSize));
  }
}
class DebertaV2Intermediate extends Module {
  readonly dense: nn.Linear;
  constructor(c: DebertaV2Config) { super(); this.dense = this.registerModule('dense', new nn.Linear(c.hiddenSize, c.intermediateSize)); }
}
export class DebertaV2Layer extends Module {
  readonly attention: DebertaV2Attention;
  readonly intermediate: DebertaV2Intermediate;
  readonly output: ResidualOutput;
  private readonly act: (x: Tensor) => Tensor;
  constructor(c: DebertaV2Config) {
    super();
    this.attention = this.registerModule('attention', new DebertaV2Attention(c));
    this.intermediate = this.registerModule('intermediate', new DebertaV2Intermediate(c));
    this.output = this.registerModule('output', new ResidualOutput(c, c.intermediateSize));
    this.act = F.getActivation(c.hiddenAct);
  }
  forward(h: Tensor, mask: Tensor, relPos: Tensor | null, relEmb: Tensor | null, needWeights: boolean): { hidden: Tensor; probs: Tensor | null } {
    return tidy(() => {
      const a = this.attention.self.forward(h, mask, relPos, relEmb, needWeights);
      const attn = this.attention.output.forward(a.context, h);
      return { hidden: this.output.forward(this.act(this.intermediate.dense.forward(attn)), attn), probs: a.probs };
    });
  }
}

/** The first layer's convolution branch (conv_kernel_size > 0, DeBERTa-v2 xlarge). */
export class ConvLayer extends Module {
  readonly conv: { weight: Tensor; bias: Tensor };
  readonly LayerNorm: nn.LayerNorm;
  readonly dropout: nn.Dropout;
  constructor(readonly c: DebertaV2Config) {
    super();
    const conv = new Module();
    const k = c.convKernelSize;
    const weight = conv.registerParameter('weight', tensor(new Float32Array(c.hiddenSize * (c.hiddenSize / c.convGroups) * k), { shape: [c.hiddenSize, c.hiddenSize / c.convGroups, k] }));
    const bias = conv.registerParameter('bias', tensor(new Float32Array(c.hiddenSize), { shape: [c.hiddenSize] }));
    this.registerModule('conv', conv);
    this.conv = { weight, bias };
    this.LayerNorm = this.registerModule('LayerNorm', new nn.LayerNorm(c.hiddenSize, c.layerNormEps));
    this.dropout = this.registerModule('dropout', new nn.Dropout(c.hiddenDropoutProb));
  }
  forward(h: Tensor, residual: Tensor, inputMask: Tensor): Tensor {
    return tidy(() => {
      const k = this.c.convKernelSize;
      const x = h.permute(0, 2, 1).contiguous().unsqueeze(2);
      let out = F.conv2d(x, this.conv.weight.unsqueeze(2), this.conv.bias, { padding: [0, (k - 1) >> 1], groups: this.c.convGroups }).squeeze(2).permute(0, 2, 1).contiguous();
      out = out.maskedFill(inputMask.eq(0).unsqueeze(-1).expandAs(out), 0);
      out = F.getActivation(this.c.convAct)(this.dropout.forward(out));
      return this.LayerNorm.forward(residual.add(out)).mul(inputMask.unsqueeze(2).to(out.dtype));
    });
  }
}

export class DebertaV2Encoder extends Module {
  readonly layer: ModuleList<DebertaV2Layer>;
  readonly relEmbeddings: nn.Embedding | null = null;
  readonly LayerNorm: nn.LayerNorm | null = null;
  readonly conv: ConvLayer | null = null;
  constructor(readonly c: DebertaV2Config) {
    super();
    this.layer = this.registerModule('layer', new ModuleList(Array.from({ length: c.numHiddenLayers }, () => new DebertaV2Layer(c))));
    if (c.relativeAttention) {
      const size = (c.positionBuckets > 0 ? c.positionBuckets : c.maxRelPositions) * 2;
      this.relEmbeddings = this.registerModule('rel_embeddings', new nn.Embedding(size, c.hiddenSize));
    }
    if (c.normRelEbd.includes('layer_norm')) this.LayerNorm = this.registerModule('LayerNorm', new nn.LayerNorm(c.hiddenSize, c.layerNormEps));
    if (c.convKernelSize > 0) this.conv = this.registerModule('conv', new ConvLayer(c));
  }
  forward(h: Tensor, inputMask: Tensor, outputHiddenStates: boolean, outputAttentions: boolean): BaseModelOutput {
    const ext = inputMask.unsqueeze(1).unsqueeze(2);
    const mask = ext.mul(ext.squeeze(-2).unsqueeze(-1));
    const l = h.shape[1]!;
    const relPos = this.c.relativeAttention ? buildRelativePosition(l, l, this.c.positionBuckets, this.c.maxRelPositions) : null;
    let relEmb = this.relEmbeddings ? this.relEmbeddings.weight : null;
    if (relEmb && this.LayerNorm) relEmb = this.LayerNorm.forward(relEmb);
    return runLayers(this.layer, h, {
      outputHiddenStates, outputAttentions, args: [mask, relPos, relEmb],
      call: (layer, hidden, args, needWeights, i) => {
        const out = layer.forward(hidden, ...(args as [Tensor, Tensor | null, Tensor | null]), needWeights);
        return i === 0 && this.conv ? { hidden: this.conv.forward(hidden, out.hidden, inputMask), probs: out.probs } : out;
      },
    });
  }
}

/** Word (+ absolute position) (+ token type) embeddings, projection, LayerNorm, padding zeroed, dropout. */
export class DebertaV2Embeddings extends Module {
  readonly wordEmbeddings: nn.Embedding;
  readonly positionEmbeddings: nn.Embedding | null = null;
  readonly tokenTypeEmbeddings: nn.Embedding | null = null;
  readonly embedProj: nn.Linear | null = null;
  readonly LayerNorm: nn.LayerNorm;
  readonly dropout: nn.Dropout;
  constructor(readonly c: DebertaV2Config) {
    super();
    const e = c.embeddingSize;
    this.wordEmbeddings = this.registerModule('word_embeddings', new nn.Embedding(c.vocabSize, e, c.padTokenId ?? 0));
    if (c.positionBiasedInput) this.positionEmbeddings = this.registerModule('position_embeddings', new nn.Embedding(c.maxPositionEmbeddings, e));
    if (c.typeVocabSize > 0) this.tokenTypeEmbeddings = this.registerModule('token_type_embeddings', new nn.Embedding(c.typeVocabSize, e));
    if (e !== c.hiddenSize) this.embedProj = this.registerModule('embed_proj', new nn.Linear(e, c.hiddenSize, { bias: false }));
    this.LayerNorm = this.registerModule('LayerNorm', new nn.LayerNorm(c.hiddenSize, c.layerNormEps));
    this.dropout = this.registerModule('dropout', new nn.Dropout(c.hiddenDropoutProb));
  }
  forward(ids: Tensor, tokenTypeIds: Tensor | undefined, positionIds: Tensor | undefined, mask: Tensor): Tensor {
    return tidy(() => {
      const l = ids.shape[1]!;
      let e = this.wordEmbeddings.forward(ids);
      if (this.positionEmbeddings) {
        if (l > this.c.maxPositionEmbeddings) throw new Error(`sequence length ${l} is longer than max_position_embeddings (${this.c.maxPositionEmbeddings}): truncate the inputs`);
        e = e.add(this.positionEmbeddings.forward(positionIds ? asLong(positionIds) : arange(l).unsqueeze(0)));
      }
      if (this.tokenTypeEmbeddings) e = e.add(this.tokenTypeEmbeddings.forward(tokenTypeIds ? asLong(tokenTypeIds) : zerosLike(ids)));
      if (this.embedProj) e = this.embedProj.forward(e);
      e = this.LayerNorm.forward(e).mul(mask.unsqueeze(2).to(e.dtype));
      return this.dropout.forward(e);
    });
  }
}

const TEXT_ARGS = ['input_ids', 'attention_mask', 'token_type_ids', 'position_ids', 'output_attentions', 'output_hidden_states'] as const;

export abstract class DebertaV2PreTrainedModel extends PreTrainedModel<DebertaV2Config> {
  static override configClass = DebertaV2Config;
  static override baseModelPrefix = 'deberta';
  static override ignoreOnLoadUnexpected = [/position_embeddings/];
  readonly mainInputName = 'input_ids';
  protected initModule(m: Module): void {
    // transformers' DeBERTa init leaves LayerNorm at its construction values (ones/zeros), as initBertStyle does
    initBertStyle(m, this.config.initializerRange);
    if (m instanceof ConvLayer) { nn.init.normal_(m.conv.weight, 0, this.config.initializerRange); nn.init.zeros_(m.conv.bias); }
  }
}

export class DebertaV2Model extends DebertaV2PreTrainedModel {
  readonly forwardArgNames: readonly string[] = TEXT_ARGS;
  readonly embeddings: DebertaV2Embeddings;
  readonly encoder: DebertaV2Encoder;
  constructor(config: DebertaV2Config) {
    super(config);
    this.embeddings = this.registerModule('embeddings', new DebertaV2Embeddings(config));
    this.encoder = this.registerModule('encoder', new DebertaV2Encoder(config));
  }
  forward(batch: ModelInputs): BaseModelOutput {
    const x = normalizeInputs(batch, this.forwardArgNames, this.constructor.name, this.config);
    return tidy(() => this.run(x));
  }
  run(x: NormalizedInputs): BaseModelOutput {
    if (!x.inputIds) throw new Error(`${this.constructor.name}.forward needs inputIds (input_ids)`);
    const ids = asLong(x.inputIds);
    if (ids.ndim !== 2) throw new Error(`input_ids must be [batch, sequence], got shape [${ids.shape.join(', ')}]`);
    const mask = x.attentionMask ? asLong(x.attentionMask) : onesLike(ids);
    const emb = this.embeddings.forward(ids, x.tokenTypeIds, x.positionIds, mask);
    return this.encoder.forward(emb, mask, x.outputHiddenStates, x.outputAttentions);
  }
}

/** First token -> dropout -> dense -> pooler_hidden_act. */
export class ContextPooler extends Module {
  readonly dense: nn.Linear;
  readonly dropout: nn.Dropout;
  private readonly act: (x: Tensor) => Tensor;
  constructor(c: DebertaV2Config) {
    super();
    this.dense = this.registerModule('dense', new nn.Linear(c.poolerHiddenSize, c.poolerHiddenSize));
    this.dropout = this.registerModule('dropout', new nn.Dropout(c.poolerDropout));
    this.act = F.getActivation(c.poolerHiddenAct);
  }
  forward(h: Tensor): Tensor { return tidy(() => this.act(this.dense.forward(this.dropout.forward(h.select(1, 0))))); }
}

/** DeBERTa's sequence-classification loss without a problem_type: labels < 0 are ignored, soft labels accepted. */
function debertaClassificationLoss(config: DebertaV2Config, logits: Tensor, labels: Tensor): Tensor {
  if (config.problemType !== null) return sequenceClassificationLoss(config, logits, labels);
  return tidy(() => {
    const n = config.numLabels;
    if (n === 1) return F.mseLoss(logits.view(-1).to(labels.dtype), labels.view(-1));
    if (labels.ndim === 1 || labels.shape[labels.ndim - 1] === 1) {
      const lab = asLong(labels).view(-1);
      const keep = lab.ge(0);
      if (!keep.any().item()) return logits.sum().mul(0);
      return F.crossEntropy(logits.index([keep]).view(-1, n).to('float32'), lab.index([keep]));
    }
    return logits.logSoftmax(-1).mul(labels).sum(-1).mean().neg();
  });
}

export class DebertaV2ForSequenceClassification extends DebertaV2PreTrainedModel {
  readonly forwardArgNames: readonly string[] = [...TEXT_ARGS, 'labels'];
  readonly deberta: DebertaV2Model;
  readonly pooler: ContextPooler;
  readonly classifier: nn.Linear;
  readonly dropout: nn.Dropout;
  constructor(config: DebertaV2Config) {
    super(config);
    this.deberta = this.registerModule('deberta', new DebertaV2Model(config));
    this.pooler = this.registerModule('pooler', new ContextPooler(config));
    this.classifier = this.registerModule('classifier', new nn.Linear(config.hiddenSize, config.numLabels));
    this.dropout = this.registerModule('dropout', new nn.Dropout(config.clsDropout ?? config.hiddenDropoutProb));
  }
  forward(batch: ModelInputs): ModelOutput {
    const x = normalizeInputs(batch, this.forwardArgNames, this.constructor.name, this.config);
    return tidy(() => {
      const out = this.deberta.run(x);
      const logits = this.classifier.forward(this.dropout.forward(this.pooler.forward(out.lastHiddenState)));
      const loss = x.labels ? debertaClassificationLoss(this.config, logits, x.labels) : undefined;
      return { loss, logits, hiddenStates: out.hiddenStates, attentions: out.attentions };
    });
  }
}

export class DebertaV2ForMultipleChoice extends DebertaV2PreTrainedModel {
  readonly forwardArgNames: readonly string[] = [...TEXT_ARGS, 'labels'];
  readonly deberta: DebertaV2Model;
  readonly pooler: ContextPooler;
  readonly classifier: nn.Linear;
  readonly dropout: nn.Dropout;
  constructor(config: DebertaV2Config) {
    super(config);
    this.deberta = this.registerModule('deberta', new DebertaV2Model(config));
    this.pooler = this.registerModule('pooler', new ContextPooler(config));
    this.classifier = this.registerModule('classifier', new nn.Linear(config.hiddenSize, 1));
    this.dropout = this.registerModule('dropout', new nn.Dropout(config.clsDropout ?? config.hiddenDropoutProb));
  }
  forward(batch: ModelInputs): MultipleChoiceModelOutput {
    const x = normalizeInputs(batch, this.forwardArgNames, this.constructor.name, this.config);
    return tidy(() => {
      const { flat, numChoices } = flattenChoices(x, this.constructor.name);
      const out = this.deberta.run(flat);
      const scores = this.classifier.forward(this.dropout.forward(this.pooler.forward(out.lastHiddenState)));
      return { ...multipleChoiceLogits(scores, numChoices, x.labels), hiddenStates: out.hiddenStates, attentions: out.attentions };
    });
  }
}

/** transformers 4.29's DeBERTa-v2 MLM head: BERT's cls.predictions at embedding_size, tied to the word embeddings. */
export class DebertaV2ForMaskedLM extends DebertaV2PreTrainedModel {
  static override ignoreOnLoadUnexpected = [/pooler/, /position_embeddings/];
  readonly forwardArgNames: readonly string[] = [...TEXT_ARGS, 'labels'];
  readonly deberta: DebertaV2Model;
  readonly cls: Module & { predictions: BertLMPredictionHead };
  constructor(config: DebertaV2Config) {
    super(config);
    this.deberta = this.registerModule('deberta', new DebertaV2Model(config));
    if (config.embeddingSize !== config.hiddenSize) {
      throw new ConfigError(`DebertaV2ForMaskedLM: embedding_size (${config.embeddingSize}) differs from hidden_size (${config.hiddenSize}); hubtune's MLM head needs them equal`);
    }
    const cls = new Module() as Module & { predictions: BertLMPredictionHead };
    cls.predictions = cls.registerModule('predictions', new BertLMPredictionHead(config as unknown as BertConfig));
    this.cls = this.registerModule('cls', cls);
    if (config.tieWordEmbeddings) tieLinearWeight(this.cls.predictions.decoder, this.deberta.embeddings.wordEmbeddings.weight);
  }
  override tiedWeights(): [string, string][] {
    const t: [string, string][] = [['cls.predictions.decoder.bias', 'cls.predictions.bias']];
    if (this.config.tieWordEmbeddings) t.push(['cls.predictions.decoder.weight', 'deberta.embeddings.word_embeddings.weight']);
    return t;
  }
  protected override initModule(m: Module): void {
    if (m === this.cls.predictions.decoder) return;
    super.initModule(m);
    if (m === this.cls.predictions) nn.init.zeros_(this.cls.predictions.bias);
  }
  forward(batch: ModelInputs): ModelOutput {
    const x = normalizeInputs(batch, this.forwardArgNames, this.constructor.name, this.config);
    return tidy(() => {
      const out = this.deberta.run(x);
      const logits = this.cls.predictions.forward(out.lastHiddenState);
      const loss = x.labels ? maskedLmLoss(logits, x.labels, this.config.vocabSize) : undefined;
      return { loss, logits, hiddenStates: out.hiddenStates, attentions: out.attentions };
    });
  }
}

const debertaHead = {
  backbone: (c: DebertaV2Config) => new DebertaV2Model(c),
  hiddenSize: (c: DebertaV2Config) => c.hiddenSize,
  dropout: (c: DebertaV2Config) => c.hiddenDropoutProb,
  args: TEXT_ARGS,
};
export const DebertaV2ForTokenClassification = tokenClassificationModel('DebertaV2ForTokenClassification', DebertaV2PreTrainedModel, debertaHead);
export type DebertaV2ForTokenClassification = InstanceType<typeof DebertaV2ForTokenClassification>;
export const DebertaV2ForQuestionAnswering = questionAnsweringModel('DebertaV2ForQuestionAnswering', DebertaV2PreTrainedModel, debertaHead);
export type DebertaV2ForQuestionAnswering = InstanceType<typeof DebertaV2ForQuestionAnswering>;

export const debertaV2Family: ModelFamily = {
  modelType: 'deberta-v2', modality: 'text', configClass: DebertaV2Config,
  auto: {
    AutoModel: DebertaV2Model, AutoModelForSequenceClassification: DebertaV2ForSequenceClassification, AutoModelForMaskedLM: DebertaV2ForMaskedLM,
    AutoModelForTokenClassification: DebertaV2ForTokenClassification, AutoModelForQuestionAnswering: DebertaV2ForQuestionAnswering,
    AutoModelForMultipleChoice: DebertaV2ForMultipleChoice,
  },
};
