// T5 (transformers' models/t5/modeling_t5.py): encoder-decoder with relative position buckets
// (bias computed by the first layer of each stack, shared by the others), pre-RMSNorm layers,
// ReLU or gated-GELU feed-forward (T5 v1.1, Flan-T5), no attention scaling.
import { Tensor, tidy, arange, nn, F, zeros, ones, cat, type DType } from '../torch/index';
import { Module, ModuleList } from '../torch/nn/module';
import { PreTrainedModel } from './modeling-utils';
import { normalizeInputs, asLong, type ModelInputs, type BaseModelOutput, type NormalizedInputs } from './blocks/inputs';
import { finfoMin } from './blocks/attention';
import { DynamicCache } from './blocks/kv-cache';
import { RMSNorm } from './blocks/norms';
import { seq2seqLmLoss, shiftTokensRight, seq2seqGenerationInputs, type Seq2SeqLMOutput } from './blocks/lm';
import { runLayers, type LayerOutput, cacheAllowed } from './blocks/layers';
import { PretrainedConfig, ConfigError, checkActivation, type FieldSpec } from './config';
import { generate, type GenerateFunction, type GenerateOptions } from '../generation/generate';
import type { ModelFamily } from './registry';

export class T5Config extends PretrainedConfig {
  static override readonly modelType: string = 't5';
  static override readonly fields: FieldSpec[] = [
    ['vocabSize', 'vocab_size', 32128],
    ['dModel', 'd_model', 512],
    ['dKv', 'd_kv', 64],
    ['dFf', 'd_ff', 2048],
    ['numLayers', 'num_layers', 6],
    ['numDecoderLayers', 'num_decoder_layers', null],
    ['numHeads', 'num_heads', 8],
    ['relativeAttentionNumBuckets', 'relative_attention_num_buckets', 32],
    ['relativeAttentionMaxDistance', 'relative_attention_max_distance', 128],
    ['dropoutRate', 'dropout_rate', 0.1],
    ['layerNormEpsilon', 'layer_norm_epsilon', 1e-6],
    ['initializerFactor', 'initializer_factor', 1.0],
    ['feedForwardProj', 'feed_forward_proj', 'relu'],
    ['isEncoderDecoder', 'is_encoder_decoder', true],
    ['useCache', 'use_cache', true],
    ['decoderStartTokenId', 'decoder_start_token_id', null],
  ];
  static override readonly aliases: Record<string, string> = {
    hidden_size: 'dModel', hiddenSize: 'dModel', num_attention_heads: 'numHeads', numAttentionHeads: 'numHeads', num_hidden_layers: 'numLayers', numHiddenLayers: 'numLayers',
  };
  declare vocabSize: number; declare dModel: number; declare dKv: number; declare dFf: number; declare numLayers: number;
  declare numDecoderLayers: number; declare numHeads: number; declare relativeAttentionNumBuckets: number; declare relativeAttentionMaxDistance: number;
  declare dropoutRate: number; declare layerNormEpsilon: number; declare initializerFactor: number; declare feedForwardProj: string;
  declare isEncoderDecoder: boolean; declare useCache: boolean; declare decoderStartTokenId: number | null;

  constructor(values: Record<string, unknown> = {}) {
    super(values);
    const has = (a: string, b: string) => a in values || b in values;
    if (!has('pad_token_id', 'padTokenId')) this.padTokenId = 0;
    if (!has('eos_token_id', 'eosTokenId')) this.eosTokenId = 1;
    if (this.numDecoderLayers === null) this.numDecoderLayers = this.numLayers;
  }
  /** 'gated-gelu' -> gelu_new with a gate (T5 v1.1), 'relu' -> plain. */
  get isGatedAct(): boolean { return this.feedForwardProj.split('-')[0] === 'gated'; }
  get denseActFn(): string { return this.feedForwardProj === 'gated-gelu' ? 'gelu_new' : this.feedForwardProj.split('-').at(-1)!; }
  override validate(): void {
    super.validate();
    for (const [j, v] of [['vocab_size', this.vocabSize], ['d_model', this.dModel], ['d_kv', this.dKv], ['d_ff', this.dFf], ['num_layers', this.numLayers],
      ['num_decoder_layers', this.numDecoderLayers], ['num_heads', this.numHeads], ['relative_attention_num_buckets', this.relativeAttentionNumBuckets]] as const) this.positive(j, v);
    this.probability('dropout_rate', this.dropoutRate);
    const parts = this.feedForwardProj.split('-');
    if (parts.length > 2 || (parts.length === 2 && parts[0] !== 'gated')) {
      throw new ConfigError(`\`feed_forward_proj\`: ${this.feedForwardProj} is not a valid activation function of the dense layer. Please make sure \`feed_forward_proj\` is of the format \`gated-{ACT_FN}\` or \`{ACT_FN}\`, e.g. 'gated-gelu' or 'relu'`);
    }
    checkActivation('feed_forward_proj', this.denseActFn);
  }
}

/** T5LayerNorm: RMS normalisation that transformers' Trainer counts as a LayerNorm (no weight decay). */
export class T5LayerNorm extends RMSNorm {
  static readonly countsAsLayerNorm = true;
}

export class T5DenseActDense extends Module {
  readonly wi: nn.Linear | null = null;
  readonly wi0: nn.Linear | null = null;
  readonly wi1: nn.Linear | null = null;
  readonly wo: nn.Linear;
  readonly dropout: nn.Dropout;
  private readonly act: (x: Tensor) => Tensor;
  constructor(c: T5Config) {
    super();
    if (c.isGatedAct) {
      this.wi0 = this.registerModule('wi_0', new nn.Linear(c.dModel, c.dFf, { bias: false }));
      this.wi1 = this.registerModule('wi_1', new nn.Linear(c.dModel, c.dFf, { bias: false }));
    } else {
      this.wi = this.registerModule('wi', new nn.Linear(c.dModel, c.dFf, { bias: false }));
    }
    this.wo = this.registerModule('wo', new nn.Linear(c.dFf, c.dModel, { bias: false }));
    this.dropout = this.registerModule('dropout', new nn.Dropout(c.dropoutRate));
    this.act = F.getActivation(c.denseActFn);
  }
  forward(h: Tensor): Tensor {
    return tidy(() => {
      const x = this.wi ? this.act(this.wi.forward(h)) : this.act(this.wi0!.forward(h)).mul(this.wi1!.forward(h));
      const d = this.dropout.forward(x);
      return this.wo.forward(d.dtype === this.wo.weight.dtype ? d : d.to(this.wo.weight.dtype));
    });
  }
}

export class T5Attention extends Module {
  readonly q: nn.Linear;
  readonly k: nn.Linear;
  readonly v: nn.Linear;
  readonly o: nn.Linear;
  readonly relativeAttentionBias: nn.Embedding | null;
  constructor(readonly c: T5Config, readonly isDecoder: boolean, hasRelativeBias: boolean) {
    super();
    const inner = c.numHeads * c.dKv;
    this.q = this.registerModule('q', new nn.Linear(c.dModel, inner, { bias: false }));
    this.k = this.registerModule('k', new nn.Linear(c.dModel, inner, { bias: false }));
    this.v = this.registerModule('v', new nn.Linear(c.dModel, inner, { bias: false }));
    this.o = this.registerModule('o', new nn.Linear(inner, c.dModel, { bias: false }));
    this.relativeAttentionBias = hasRelativeBias ? this.registerModule('relative_attention_bias', new nn.Embedding(c.relativeAttentionNumBuckets, c.numHeads)) : null;
  }

  /** transformers' _relative_position_bucket, with its float32 log. */
  static relativePositionBucket(rel: Tensor, bidirectional: boolean, numBuckets: number, maxDistance: number): Tensor {
    return tidy(() => {
      let buckets: Tensor = zeros(rel.shape, { dtype: 'int64' });
      let n = numBuckets;
      let r = rel;
      if (bidirectional) {
        n = Math.floor(n / 2);
        buckets = buckets.add(r.gt(0).to('int64').mul(n));
        r = r.abs();
      } else {
        r = r.minimum(zeros(r.shape, { dtype: 'int64' })).neg();
      }
      const maxExact = Math.floor(n / 2);
      const isSmall = r.lt(maxExact);
      const large = r.to('float32').div(maxExact).log().div(Math.log(maxDistance / maxExact)).mul(n - maxExact).to('int64').add(maxExact)
        .minimum(zeros(r.shape, { dtype: 'int64' }).add(n - 1));
      return buckets.add(r.where(isSmall, large));
    });
  }

  /** The position bias [1, H, q, k] (the decoder's is causal-bucketed). */
  computeBias(queryLength: number, keyLength: number): Tensor {
    return tidy(() => {
      const rel = arange(keyLength).view(1, -1).sub(arange(queryLength).view(-1, 1));
      const b = T5Attention.relativePositionBucket(rel, !this.isDecoder, this.c.relativeAttentionNumBuckets, this.c.relativeAttentionMaxDistance);
      return this.relativeAttentionBias!.forward(b).permute(2, 0, 1).unsqueeze(0);
    });
  }

  /**
   * Self-attention (kv = null) or cross-attention over `kv`; `bias` is the position bias (with the
   * mask) of the first layer, or null to compute it here. Returns the output, the bias used, the weights.
   */
  forward(h: Tensor, kv: Tensor | null, mask: Tensor | null, bias: Tensor | null, cache: DynamicCache | null, layer: number, needWeights: boolean): { output: Tensor; bias: Tensor; probs: Tensor | null } {
    return tidy(() => {
      const c = this.c;
      const [b, l] = h.shape as [number, number];
      const shape = (x: Tensor) => x.view(b, -1, c.numHeads, c.dKv).transpose(1, 2);
      const q = shape(this.q.forward(h));
      let k: Tensor;
      let v: Tensor;
      const pastLen = kv === null ? cache?.getSeqLength(layer) ?? 0 : 0;
      if (kv === null) {
        k = shape(this.k.forward(h));
        v = shape(this.v.forward(h));
        if (cache) [k, v] = cache.update(k, v, layer);
      } else {
        const cached = cache?.getCross(layer);
        if (cached) [k, v] = cached;
        else {
          k = shape(this.k.forward(kv));
          v = shape(this.v.forward(kv));
          if (cache) cache.setCross(layer, k, v);
        }
      }
      const realLen = l + pastLen;
      const keyLen = k.shape[2]!;
      const scores = q.matmul(k.transpose(3, 2));
      let positionBias = bias;
      if (!positionBias) {
        let pb = this.relativeAttentionBias ? this.computeBias(realLen, keyLen) : zeros([1, c.numHeads, realLen, keyLen], { dtype: scores.dtype });
        if (pastLen > 0) pb = pb.narrow(2, pb.shape[2]! - l, l);
        positionBias = mask ? pb.add(mask) : pb;
      }
      const probs = scores.add(positionBias).to('float32').softmax(-1).to(scores.dtype);
      const dropped = F.dropout(probs, c.dropoutRate, this.training);
      const out = dropped.matmul(v).transpose(1, 2).contiguous().view(b, -1, c.numHeads * c.dKv);
      return { output: this.o.forward(out), bias: positionBias, probs: needWeights ? probs : null };
    });
  }
}

/** layer_norm -> attention -> dropout -> residual (T5LayerSelfAttention / T5LayerCrossAttention). */
export class T5LayerAttention extends Module {
  readonly attention: T5Attention;
  readonly layerNorm: T5LayerNorm;
  readonly dropout: nn.Dropout;
  constructor(c: T5Config, name: 'SelfAttention' | 'EncDecAttention', isDecoder: boolean, hasRelativeBias: boolean) {
    super();
    this.attention = this.registerModule(name, new T5Attention(c, isDecoder, hasRelativeBias));
    this.layerNorm = this.registerModule('layer_norm', new T5LayerNorm(c.dModel, c.layerNormEpsilon));
    this.dropout = this.registerModule('dropout', new nn.Dropout(c.dropoutRate));
  }
  forward(h: Tensor, kv: Tensor | null, mask: Tensor | null, bias: Tensor | null, cache: DynamicCache | null, layer: number, needWeights: boolean) {
    return tidy(() => {
      const a = this.attention.forward(this.layerNorm.forward(h), kv, mask, bias, cache, layer, needWeights);
      return { hidden: h.add(this.dropout.forward(a.output)), bias: a.bias, probs: a.probs };
    });
  }
}

export class T5LayerFF extends Module {
  readonly DenseReluDense: T5DenseActDense;
  readonly layerNorm: T5LayerNorm;
  readonly dropout: nn.Dropout;
  constructor(c: T5Config) {
    super();
    this.DenseReluDense = this.registerModule('DenseReluDense', new T5DenseActDense(c));
    this.layerNorm = this.registerModule('layer_norm', new T5LayerNorm(c.dModel, c.layerNormEpsilon));
    this.dropout = this.registerModule('dropout', new nn.Dropout(c.dropoutRate));
  }
  forward(h: Tensor): Tensor { return tidy(() => h.add(this.dropout.forward(this.DenseReluDense.forward(this.layerNorm.forward(h))))); }
}

export class T5Block extends Module {
  readonly layer: ModuleList<Module>;
  constructor(readonly c: T5Config, readonly isDecoder: boolean, readonly index: number) {
    super();
    const mods: Module[] = [new T5LayerAttention(c, 'SelfAttention', isDecoder, index === 0)];
    if (isDecoder) mods.push(new T5LayerAttention(c, 'EncDecAttention', isDecoder, false));
    mods.push(new T5LayerFF(c));
    this.layer = this.registerModule('layer', new ModuleList(mods));
  }
  /** Returns the hidden state and the position biases (self and cross) for the next blocks. */
  forward(h: Tensor, mask: Tensor | null, bias: Tensor | null, enc: Tensor | null, encMask: Tensor | null, crossBias: Tensor | null,
    cache: DynamicCache | null, needWeights: boolean): LayerOutput {
    return tidy(() => {
      const self = (this.layer.get(0) as T5LayerAttention).forward(h, null, mask, bias, cache, this.index, needWeights);
      let hidden = self.hidden;
      let cross: { bias: Tensor; probs: Tensor | null } | null = null;
      if (this.isDecoder && enc) {
        const x = (this.layer.get(1) as T5LayerAttention).forward(hidden, enc, encMask, crossBias, cache, this.index, needWeights);
        hidden = x.hidden;
        cross = x;
      }
      hidden = (this.layer.get(this.layer.length - 1) as T5LayerFF).forward(hidden);
      return { hidden, probs: self.probs, bias: self.bias, crossBias: cross?.bias ?? null, crossProbs: cross?.probs ?? null };
    });
  }
}

/** 0 where attended, finfo.min elsewhere: [B, 1, 1, S] (or [B, 1, L, S] causal for the decoder). */
function t5ExtendedMask(mask: Tensor, dtype: DType, causalLen: number | null): Tensor {
  return tidy(() => {
    const [b, s] = mask.shape as [number, number];
    let ext: Tensor;
    if (causalLen !== null) {
      const ids = arange(causalLen);
      let causal = ids.view(1, 1, -1).expand(b, causalLen, causalLen).le(ids.view(1, -1, 1)).to(mask.dtype);
      if (causalLen < s) causal = cat([ones([b, causalLen, s - causalLen], { dtype: mask.dtype }), causal], -1);
      ext = causal.unsqueeze(1).mul(mask.unsqueeze(1).unsqueeze(1));
    } else ext = mask.unsqueeze(1).unsqueeze(1);
    return ext.to(dtype).rsub(1).mul(finfoMin(dtype));
  });
}

export interface T5StackOutput extends BaseModelOutput { crossAttentions?: Tensor[] }

export class T5Stack extends Module {
  readonly block: ModuleList<T5Block>;
  readonly finalLayerNorm: T5LayerNorm;
  readonly dropout: nn.Dropout;
  constructor(readonly c: T5Config, readonly embedTokens: nn.Embedding, readonly isDecoder: boolean) {
    super();
    this.registerModule('embed_tokens', embedTokens);
    const n = isDecoder ? c.numDecoderLayers : c.numLayers;
    this.block = this.registerModule('block', new ModuleList(Array.from({ length: n }, (_, i) => new T5Block(c, isDecoder, i))));
    this.finalLayerNorm = this.registerModule('final_layer_norm', new T5LayerNorm(c.dModel, c.layerNormEpsilon));
    this.dropout = this.registerModule('dropout', new nn.Dropout(c.dropoutRate));
  }
  forward(ids: Tensor, mask: Tensor | undefined, enc: Tensor | null, encMask: Tensor | undefined, cache: DynamicCache | null, outputHiddenStates: boolean, outputAttentions: boolean): T5StackOutput {
    return tidy(() => {
      const embeds = this.embedTokens.forward(ids);
      const [b, l] = ids.shape as [number, number];
      const past = cache?.getSeqLength() ?? 0;
      const dtype = embeds.dtype;
      const selfMask = t5ExtendedMask(mask ?? ones([b, past + l], { dtype: 'int64' }), dtype, this.isDecoder ? l : null);
      const crossMask = this.isDecoder && enc ? t5ExtendedMask(encMask ?? ones([b, enc.shape[1]!], { dtype: 'int64' }), dtype, null) : null;
      const crossAttentions: Tensor[] = [];
      const out = runLayers(this.block, this.dropout.forward(embeds), {
        outputHiddenStates, outputAttentions,
        args: (_i, prev) => [selfMask, (prev?.bias as Tensor | undefined) ?? null, enc, crossMask, (prev?.crossBias as Tensor | undefined) ?? null, cache],
        onOutput: (o) => { if (o.crossProbs) crossAttentions.push(o.crossProbs as Tensor); },
      });
      const last = this.dropout.forward(this.finalLayerNorm.forward(out.lastHiddenState));
      if (out.hiddenStates) out.hiddenStates[out.hiddenStates.length - 1] = last;
      return { lastHiddenState: last, hiddenStates: out.hiddenStates, attentions: out.attentions, crossAttentions: outputAttentions && this.isDecoder ? crossAttentions : undefined };
    });
  }
}

const SEQ2SEQ_ARGS = ['input_ids', 'attention_mask', 'decoder_input_ids', 'decoder_attention_mask', 'encoder_outputs', 'past_key_values', 'use_cache', 'labels', 'output_attentions', 'output_hidden_states'] as const;

export abstract class T5PreTrainedModel extends PreTrainedModel<T5Config> {
  static override configClass = T5Config;
  static override baseModelPrefix = 'transformer';
  static override ignoreOnLoadUnexpected = [/decoder\.block\.0\.layer\.1\.EncDecAttention\.relative_attention_bias\.weight$/];
  readonly mainInputName = 'input_ids';
  protected initModule(m: Module): void {
    const c = this.config;
    const f = c.initializerFactor;
    if (m instanceof T5LayerNorm) nn.init.constant_(m.weight, f);
    else if (m instanceof T5DenseActDense) {
      for (const w of [m.wi, m.wi0, m.wi1]) if (w) nn.init.normal_(w.weight, 0, f * c.dModel ** -0.5);
      nn.init.normal_(m.wo.weight, 0, f * c.dFf ** -0.5);
    } else if (m instanceof T5Attention) {
      nn.init.normal_(m.q.weight, 0, f * (c.dModel * c.dKv) ** -0.5);
      nn.init.normal_(m.k.weight, 0, f * c.dModel ** -0.5);
      nn.init.normal_(m.v.weight, 0, f * c.dModel ** -0.5);
      nn.init.normal_(m.o.weight, 0, f * (c.numHeads * c.dKv) ** -0.5);
      if (m.relativeAttentionBias) nn.init.normal_(m.relativeAttentionBias.weight, 0, f * c.dModel ** -0.5);
    }
  }
}

export class T5ForConditionalGeneration extends T5PreTrainedModel {
  readonly forwardArgNames: readonly string[] = SEQ2SEQ_ARGS;
  readonly shared: nn.Embedding;
  readonly encoder: T5Stack;
  readonly decoder: T5Stack;
  readonly lmHead: nn.Linear;
  constructor(config: T5Config) {
    super(config);
    this.shared = this.registerModule('shared', new nn.Embedding(config.vocabSize, config.dModel));
    this.encoder = this.registerModule('encoder', new T5Stack(config, this.shared, false));
    this.decoder = this.registerModule('decoder', new T5Stack(config, this.shared, true));
    this.lmHead = this.registerModule('lm_head', new nn.Linear(config.dModel, config.vocabSize, { bias: false }));
    if (config.tieWordEmbeddings) {
      this.lmHead.weight.dispose();
      this.lmHead.weight = this.lmHead.registerParameter('weight', this.shared.weight);
    }
  }
  override tiedWeights(): [string, string][] {
    const t: [string, string][] = [['encoder.embed_tokens.weight', 'shared.weight'], ['decoder.embed_tokens.weight', 'shared.weight']];
    if (this.config.tieWordEmbeddings) t.push(['lm_head.weight', 'shared.weight']);
    return t;
  }
  protected override initModule(m: Module): void {
    super.initModule(m);
    if (m === this) {
      nn.init.normal_(this.shared.weight, 0, this.config.initializerFactor);
      if (!this.config.tieWordEmbeddings) nn.init.normal_(this.lmHead.weight, 0, this.config.initializerFactor);
    }
  }
  /** The encoder's output for generate(). */
  getEncoderOutputs(o: { inputIds: Tensor; attentionMask?: Tensor }): { lastHiddenState: Tensor } {
    return { lastHiddenState: this.encoder.forward(asLong(o.inputIds), o.attentionMask, null, undefined, null, false, false).lastHiddenState };
  }
  forward(batch: ModelInputs): Seq2SeqLMOutput {
    const x = normalizeInputs(batch, this.forwardArgNames, this.constructor.name, this.config);
    return tidy(() => this.run(x));
  }
  private run(x: NormalizedInputs): Seq2SeqLMOutput {
    const c = this.config;
    let enc = x.encoderOutputs as T5StackOutput | undefined;
    if (!enc) {
      if (!x.inputIds) throw new Error(`${this.constructor.name}.forward needs inputIds (input_ids) or encoderOutputs`);
      enc = this.encoder.forward(asLong(x.inputIds), x.attentionMask as Tensor | undefined, null, undefined, null, x.outputHiddenStates, x.outputAttentions);
    }
    let decIds = x.decoderInputIds as Tensor | undefined;
    if (!decIds) {
      if (!x.labels) throw new Error(`${this.constructor.name}.forward needs decoderInputIds (decoder_input_ids) or labels`);
      decIds = shiftTokensRight(x.labels, c.padTokenId, c.decoderStartTokenId, 'T5');
    }
    const useCache = !x.labels && cacheAllowed(this.decoder.block, !!x.useCache || !!x.pastKeyValues);
    const cache = useCache ? ((x.pastKeyValues as DynamicCache | undefined) ?? new DynamicCache()) : null;
    const dec = this.decoder.forward(asLong(decIds), x.decoderAttentionMask as Tensor | undefined, enc.lastHiddenState, x.attentionMask as Tensor | undefined, cache, x.outputHiddenStates, x.outputAttentions);
    const seq = c.tieWordEmbeddings ? dec.lastHiddenState.mul(c.dModel ** -0.5) : dec.lastHiddenState;
    const logits = this.lmHead.forward(seq);
    const loss = x.labels ? seq2seqLmLoss(logits, x.labels) : undefined;
    return {
      loss, logits, pastKeyValues: cache ?? undefined,
      decoderHiddenStates: dec.hiddenStates, decoderAttentions: dec.attentions, crossAttentions: dec.crossAttentions,
      encoderLastHiddenState: enc.lastHiddenState, encoderHiddenStates: enc.hiddenStates, encoderAttentions: enc.attentions,
    };
  }
  prepareInputsForGeneration(ids: Tensor, o: Parameters<typeof seq2seqGenerationInputs>[1]): Record<string, unknown> { return seq2seqGenerationInputs(ids, o); }
  /** decoder_input_ids from labels (the labels shifted right), for DataCollatorForSeq2Seq. */
  prepareDecoderInputIdsFromLabels(labels: Tensor): Tensor { return shiftTokensRight(labels, this.config.padTokenId, this.config.decoderStartTokenId, 'T5'); }
  /** Generates target sequences for the inputs (transformers' generate(); see GenerationConfig). */
  readonly generate: GenerateFunction = (o?: GenerateOptions) => generate(this, o as GenerateOptions) as never;
}

/** The encoder alone (T5EncoderModel): sentence embeddings, encoder fine-tuning. */
export class T5EncoderModel extends T5PreTrainedModel {
  readonly forwardArgNames: readonly string[] = ['input_ids', 'attention_mask', 'output_attentions', 'output_hidden_states'];
  readonly shared: nn.Embedding;
  readonly encoder: T5Stack;
  constructor(config: T5Config) {
    super(config);
    this.shared = this.registerModule('shared', new nn.Embedding(config.vocabSize, config.dModel));
    this.encoder = this.registerModule('encoder', new T5Stack(config, this.shared, false));
  }
  override tiedWeights(): [string, string][] { return [['encoder.embed_tokens.weight', 'shared.weight']]; }
  protected override initModule(m: Module): void {
    super.initModule(m);
    if (m === this) nn.init.normal_(this.shared.weight, 0, this.config.initializerFactor);
  }
  forward(batch: ModelInputs): BaseModelOutput {
    const x = normalizeInputs(batch, this.forwardArgNames, this.constructor.name, this.config);
    if (!x.inputIds) throw new Error(`${this.constructor.name}.forward needs inputIds (input_ids)`);
    return this.encoder.forward(asLong(x.inputIds), x.attentionMask, null, undefined, null, x.outputHiddenStates, x.outputAttentions);
  }
}

export const t5Family: ModelFamily = {
  modelType: 't5', modality: 'text', configClass: T5Config,
  auto: { AutoModelForSeq2SeqLM: T5ForConditionalGeneration },
  others: [T5EncoderModel],
};
