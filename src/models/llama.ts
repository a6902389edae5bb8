// Llama (transformers' models/llama/modeling_llama.py): pre-RMSNorm decoder layers, rotary
// positions (with rope_scaling), grouped-query attention, SiLU-gated MLP. The same code serves
// Mistral (sliding-window attention), Qwen2 (q/k/v biases) and the SmolLM/TinyLlama checkpoints.
import { Tensor, tidy, arange, nn, F, scalarTensor, type DType } from '../torch/index';
import { Module, ModuleList } from '../torch/nn/module';
import { PreTrainedModel } from './modeling-utils';
import { normalizeInputs, asLong, type ModelInputs, type NormalizedInputs } from './blocks/inputs';
import { finfoMin } from './blocks/attention';
import { decoderAttentionMask, positionIdsFromMask } from './blocks/decoder-masks';
import { DynamicCache } from './blocks/kv-cache';
import { RotaryEmbedding, applyRotary, checkRopeScaling, type RopeScaling } from './blocks/rotary';
import { RMSNorm } from './blocks/norms';
import { causalLmLoss, keptPositions, type CausalLMOutput, type DecoderBaseOutput } from './blocks/lm';
import { runLayers, cacheAllowed } from './blocks/layers';
import { PretrainedConfig, ConfigError, checkActivation, type FieldSpec } from './config';
import { generate, type GenerateFunction, type GenerateOptions } from '../generation/generate';
import type { ModelFamily } from './registry';

export const LLAMA_FIELDS: FieldSpec[] = [
  ['vocabSize', 'vocab_size', 32000],
  ['hiddenSize', 'hidden_size', 4096],
  ['intermediateSize', 'intermediate_size', 11008],
  ['numHiddenLayers', 'num_hidden_layers', 32],
  ['numAttentionHeads', 'num_attention_heads', 32],
  ['numKeyValueHeads', 'num_key_value_heads', null],
  ['hiddenAct', 'hidden_act', 'silu'],
  ['maxPositionEmbeddings', 'max_position_embeddings', 2048],
  ['initializerRange', 'initializer_range', 0.02],
  ['rmsNormEps', 'rms_norm_eps', 1e-6],
  ['useCache', 'use_cache', true],
  ['ropeTheta', 'rope_theta', 10000.0],
  ['ropeScaling', 'rope_scaling', null],
  ['attentionBias', 'attention_bias', false],
  ['attentionDropout', 'attention_dropout', 0.0],
  ['mlpBias', 'mlp_bias', false],
  ['pretrainingTp', 'pretraining_tp', 1],
];

export class LlamaConfig extends PretrainedConfig {
  static override readonly modelType: string = 'llama';
  static override readonly fields: FieldSpec[] = LLAMA_FIELDS;
  /** LlamaConfig's defaults (tied embeddings, as SmolLM2's, must be written to config.json). */
  static override readonly commonDefaults: Record<string, unknown> = { tie_word_embeddings: false, bos_token_id: 1, eos_token_id: 2 };
  declare vocabSize: number;
  declare hiddenSize: number;
  declare intermediateSize: number;
  declare numHiddenLayers: number;
  declare numAttentionHeads: number;
  declare numKeyValueHeads: number;
  declare hiddenAct: string;
  declare maxPositionEmbeddings: number;
  declare initializerRange: number;
  declare rmsNormEps: number;
  declare useCache: boolean;
  declare ropeTheta: number;
  declare ropeScaling: RopeScaling | null;
  declare attentionBias: boolean;
  declare attentionDropout: number;
  declare mlpBias: boolean;
  declare pretrainingTp: number;
  /** The width of one attention head (config.json `head_dim` where given). */
  get headDim(): number { return (this.extraFields.head_dim as number | undefined) ?? this.hiddenSize / this.numAttentionHeads; }
  /** Biases on q/k/v (Qwen2) and on o (attention_bias). */
  get qkvBias(): boolean { return this.attentionBias; }
  get oBias(): boolean { return this.attentionBias; }
  /** Mistral's sliding window for a layer (null: full causal attention). */
  slidingWindowFor(_layer: number): number | null { return null; }

  constructor(values: Record<string, unknown> = {}) {
    super(values);
    const has = (a: string, b: string) => a in values || b in values;
    if (!has('bos_token_id', 'bosTokenId')) this.bosTokenId = 1;
    if (!has('eos_token_id', 'eosTokenId')) this.eosTokenId = 2;
    if (!has('tie_word_embeddings', 'tieWordEmbeddings')) this.tieWordEmbeddings = false;
    if (this.numKeyValueHeads === null) this.numKeyValueHeads = this.numAttentionHeads;
  }
  override validate(): void {
    super.validate();
    for (const [j, v] of [['vocab_size', this.vocabSize], ['hidden_size', this.hiddenSize], ['num_hidden_layers', this.numHiddenLayers],
      ['intermediate_size', this.intermediateSize], ['max_position_embeddings', this.maxPositionEmbeddings], ['num_attention_heads', this.numAttentionHeads],
      ['num_key_value_heads', this.numKeyValueHeads]] as const) this.positive(j, v);
    if (!('head_dim' in this.extraFields)) this.divisible('hidden_size', this.hiddenSize, 'num_attention_heads', this.numAttentionHeads);
    if (this.numAttentionHeads % this.numKeyValueHeads !== 0) {
      throw new ConfigError(`num_attention_heads (${this.numAttentionHeads}) is not a multiple of num_key_value_heads (${this.numKeyValueHeads}): each key/value head serves a whole group of query heads`);
    }
    this.probability('attention_dropout', this.attentionDropout);
    checkActivation('hidden_act', this.hiddenAct);
    checkRopeScaling(this.ropeScaling);
    if (this.pretrainingTp !== 1) throw new ConfigError(`pretraining_tp ${this.pretrainingTp} is not supported by hubtune: set it to 1 (it only splits the matrix products; the results are the same)`);
  }
}

export class LlamaMLP extends Module {
  readonly gateProj: nn.Linear;
  readonly upProj: nn.Linear;
  readonly downProj: nn.Linear;
  private readonly act: (x: Tensor) => Tensor;
  constructor(c: LlamaConfig) {
    super();
    const bias = c.mlpBias;
    this.gateProj = this.registerModule('gate_proj', new nn.Linear(c.hiddenSize, c.intermediateSize, { bias }));
    this.downProj = this.registerModule('down_proj', new nn.Linear(c.intermediateSize, c.hiddenSize, { bias }));
    this.upProj = this.registerModule('up_proj', new nn.Linear(c.hiddenSize, c.intermediateSize, { bias }));
    this.act = F.getActivation(c.hiddenAct);
  }
  forward(h: Tensor): Tensor {
    return tidy(() => this.downProj.forward(this.act(this.gateProj.forward(h)).mul(this.upProj.forward(h))));
  }
}


export class LlamaAttention extends Module {
  readonly qProj: nn.Linear;
  readonly kProj: nn.Linear;
  readonly vProj: nn.Linear;
  readonly oProj: nn.Linear;
  private readonly headDim: number;
  constructor(readonly c: LlamaConfig, readonly layerIdx: number) {
    super();
    const hd = (this.headDim = c.headDim);
    this.qProj = this.registerModule('q_proj', new nn.Linear(c.hiddenSize, c.numAttentionHeads * hd, { bias: c.qkvBias }));
    this.kProj = this.registerModule('k_proj', new nn.Linear(c.hiddenSize, c.numKeyValueHeads * hd, { bias: c.qkvBias }));
    this.vProj = this.registerModule('v_proj', new nn.Linear(c.hiddenSize, c.numKeyValueHeads * hd, { bias: c.qkvBias }));
    this.oProj = this.registerModule('o_proj', new nn.Linear(c.numAttentionHeads * hd, c.hiddenSize, { bias: c.oBias }));
  }
  forward(h: Tensor, cos: Tensor, sin: Tensor, mask: Tensor | null, cache: DynamicCache | null, needWeights: boolean): { output: Tensor; probs: Tensor | null } {
    return tidy(() => {
      const c = this.c;
      const q0 = F.splitHeads(this.qProj.forward(h), c.numAttentionHeads);
      const k0 = F.splitHeads(this.kProj.forward(h), c.numKeyValueHeads);
      let v = F.splitHeads(this.vProj.forward(h), c.numKeyValueHeads);
      let [q, k] = applyRotary(q0, k0, cos, sin);
      if (cache) [k, v] = cache.update(k, v, this.layerIdx);
      const rep = c.numAttentionHeads / c.numKeyValueHeads;
      k = F.repeatKv(k, rep);
      v = F.repeatKv(v, rep);
      const dropoutP = this.training ? c.attentionDropout : 0;
      let context: Tensor;
      let probs: Tensor | null = null;
      if (c.attnImplementation === 'sdpa' && !needWeights) {
        context = F.scaledDotProductAttention(q, k, v, { attnMask: mask, dropoutP }).output;
      } else {
        // LlamaAttention.forward (4.29), op for op
        let w = q.matmul(k.transpose(2, 3)).div(Math.sqrt(this.headDim));
        if (mask) w = w.add(mask).maximum(scalarTensor(finfoMin(w.dtype), { dtype: w.dtype }));
        probs = w.softmax(-1, 'float32').to(q.dtype);
        context = F.dropout(probs, dropoutP, this.training).matmul(v);
      }
      return { output: this.oProj.forward(F.mergeHeads(context)), probs: needWeights ? probs : null };
    });
  }
}

export class LlamaDecoderLayer extends Module {
  readonly selfAttn: LlamaAttention;
  readonly mlp: LlamaMLP;
  readonly inputLayernorm: RMSNorm;
  readonly postAttentionLayernorm: RMSNorm;
  constructor(c: LlamaConfig, layerIdx: number) {
    super();
    this.selfAttn = this.registerModule('self_attn', new LlamaAttention(c, layerIdx));
    this.mlp = this.registerModule('mlp', new LlamaMLP(c));
    this.inputLayernorm = this.registerModule('input_layernorm', new RMSNorm(c.hiddenSize, c.rmsNormEps));
    this.postAttentionLayernorm = this.registerModule('post_attention_layernorm', new RMSNorm(c.hiddenSize, c.rmsNormEps));
  }
  forward(h: Tensor, cos: Tensor, sin: Tensor, mask: Tensor | null, cache: DynamicCache | null, needWeights: boolean): { hidden: Tensor; probs: Tensor | null } {
    return tidy(() => {
      const a = this.selfAttn.forward(this.inputLayernorm.forward(h), cos, sin, mask, cache, needWeights);
      const h1 = h.add(a.output);
      return { hidden: h1.add(this.mlp.forward(this.postAttentionLayernorm.forward(h1))), probs: a.probs };
    });
  }
}

const DECODER_ARGS = ['input_ids', 'attention_mask', 'position_ids', 'past_key_values', 'inputs_embeds', 'use_cache', 'output_attentions', 'output_hidden_states'] as const;

export abstract class LlamaPreTrainedModel extends PreTrainedModel<LlamaConfig> {
  static override configClass: typeof PretrainedConfig = LlamaConfig;
  static override baseModelPrefix = 'model';
  // 4.29 saved the rotary inverse frequencies as buffers; they are recomputed from the config
  static override ignoreOnLoadUnexpected = [/\.rotary_emb\.inv_freq$/];
  readonly mainInputName = 'input_ids';
  protected initModule(m: Module): void {
    const std = this.config.initializerRange;
    if (m instanceof nn.Linear) {
      nn.init.normal_(m.weight, 0, std);
      if (m.bias) nn.init.zeros_(m.bias);
    } else if (m instanceof nn.Embedding) {
      nn.init.normal_(m.weight, 0, std);
      m.zeroPaddingRow();
    }
  }
}

export class LlamaModel extends LlamaPreTrainedModel {
  readonly forwardArgNames: readonly string[] = DECODER_ARGS;
  readonly embedTokens: nn.Embedding;
  readonly layers: ModuleList<LlamaDecoderLayer>;
  readonly norm: RMSNorm;
  readonly rotaryEmb: RotaryEmbedding;
  constructor(config: LlamaConfig) {
    super(config);
    this.embedTokens = this.registerModule('embed_tokens', new nn.Embedding(config.vocabSize, config.hiddenSize, config.padTokenId));
    this.layers = this.registerModule('layers', new ModuleList(Array.from({ length: config.numHiddenLayers }, (_, i) => new LlamaDecoderLayer(config, i))));
    this.norm = this.registerModule('norm', new RMSNorm(config.hiddenSize, config.rmsNormEps));
    this.rotaryEmb = new RotaryEmbedding({ dim: config.headDim, maxPositionEmbeddings: config.maxPositionEmbeddings, base: config.ropeTheta, scaling: config.ropeScaling });
  }
  forward(batch: ModelInputs): DecoderBaseOutput {
    const x = normalizeInputs(batch, this.forwardArgNames, this.constructor.name, this.config);
    return tidy(() => this.run(x));
  }
  run(x: NormalizedInputs): DecoderBaseOutput {
    const embeds = x.inputsEmbeds as Tensor | undefined;
    if (!x.inputIds && !embeds) throw new Error(`${this.constructor.name}.forward needs inputIds (input_ids) or inputsEmbeds`);
    const hidden = embeds ?? this.embedTokens.forward(asLong(x.inputIds!));
    const [b, l] = hidden.shape as [number, number];
    const cache = cacheAllowed(this.layers, !!(x.useCache || x.pastKeyValues)) ? ((x.pastKeyValues as DynamicCache | undefined) ?? new DynamicCache()) : null;
    const past = cache?.getSeqLength() ?? 0;
    const dtype: DType = hidden.dtype;
    const pos = x.positionIds ? asLong(x.positionIds) : arange(past, past + l).unsqueeze(0).expand(b, l);
    const [cos, sin] = this.rotaryEmb.forward(pos, dtype);
    // 4.29 builds the mask from all-ones when none is given
    const attn = x.attentionMask ?? null;
    const full = decoderAttentionMask(attn, b, l, past, dtype) ?? null;
    const windowed = new Map<number, Tensor | null>();
    const mask = (layer: number): Tensor | null => {
      const w = this.config.slidingWindowFor(layer);
      if (w === null) return full;
      if (!windowed.has(w)) windowed.set(w, decoderAttentionMask(attn, b, l, past, dtype, w));
      return windowed.get(w)!;
    };
    const out = runLayers(this.layers, hidden, {
      outputHiddenStates: x.outputHiddenStates, outputAttentions: x.outputAttentions, args: (i) => [cos, sin, mask(i), cache],
    });
    const last = this.norm.forward(out.lastHiddenState);
    if (out.hiddenStates) out.hiddenStates[out.hiddenStates.length - 1] = last;
    return { lastHiddenState: last, hiddenStates: out.hiddenStates, attentions: out.attentions, pastKeyValues: cache ?? undefined };
  }
  override dispose(): void { this.rotaryEmb.dispose(); super.dispose(); }
}

export class LlamaForCausalLM extends LlamaPreTrainedModel {
  readonly forwardArgNames: readonly string[] = [...DECODER_ARGS, 'labels', 'logits_to_keep'];
  readonly model: LlamaModel;
  readonly lmHead: nn.Linear;
  constructor(config: LlamaConfig) {
    super(config);
    this.model = this.registerModule('model', new LlamaModel(config));
    this.lmHead = this.registerModule('lm_head', new nn.Linear(config.hiddenSize, config.vocabSize, { bias: false }));
    if (config.tieWordEmbeddings) {
      this.lmHead.weight.dispose();
      this.lmHead.weight = this.lmHead.registerParameter('weight', this.model.embedTokens.weight);
    }
  }
  override tiedWeights(): [string, string][] { return this.config.tieWordEmbeddings ? [['lm_head.weight', 'model.embed_tokens.weight']] : []; }
  protected override initModule(m: Module): void { if (m !== this.lmHead || !this.config.tieWordEmbeddings) super.initModule(m); }
  forward(batch: ModelInputs): CausalLMOutput {
    const x = normalizeInputs(batch, this.forwardArgNames, this.constructor.name, this.config);
    return tidy(() => {
      const out = this.model.run(x);
      const logits = this.lmHead.forward(keptPositions(out.lastHiddenState, x, this.constructor.name));
      const loss = x.labels ? causalLmLoss(logits, x.labels) : undefined;
      return { loss, logits, hiddenStates: out.hiddenStates, attentions: out.attentions, pastKeyValues: out.pastKeyValues };
    });
  }
  /** generate()'s per-step inputs: only the new token once cached, positions from the attention mask. */
  prepareInputsForGeneration(ids: Tensor, o: { pastKeyValues?: DynamicCache; attentionMask?: Tensor; useCache: boolean }): Record<string, unknown> {
    const past = o.pastKeyValues?.getSeqLength() ?? 0;
    let positionIds: Tensor | undefined;
    if (o.attentionMask) {
      positionIds = positionIdsFromMask(o.attentionMask);
      if (past > 0) positionIds = positionIds.narrow(1, positionIds.shape[1]! - 1, 1);
    }
    const inputIds = past > 0 ? ids.narrow(1, ids.shape[1]! - 1, 1) : ids;
    return { inputIds, attentionMask: o.attentionMask, positionIds, pastKeyValues: o.pastKeyValues, useCache: o.useCache };
  }
  /** Generates continuations (transformers' generate(): greedy, sampling, beam search; see GenerationConfig). */
  readonly generate: GenerateFunction = (o?: GenerateOptions) => generate(this, o as GenerateOptions) as never;
}

// ---- Mistral and Qwen2: the Llama architecture with a sliding window / q-k-v biases ---------------

export class MistralConfig extends LlamaConfig {
  static override readonly modelType: string = 'mistral';
  static override readonly fields: FieldSpec[] = [
    ...LLAMA_FIELDS.filter(([c]) => !['attentionBias', 'mlpBias', 'pretrainingTp'].includes(c)).map((f): FieldSpec =>
      f[0] === 'maxPositionEmbeddings' ? [f[0], f[1], 4096 * 32] : f[0] === 'intermediateSize' ? [f[0], f[1], 14336] : f[0] === 'numKeyValueHeads' ? [f[0], f[1], 8] : f),
    ['slidingWindow', 'sliding_window', 4096],
  ];
  declare slidingWindow: number | null;
  override slidingWindowFor(): number | null { return this.slidingWindow; }
}

export class Qwen2Config extends LlamaConfig {
  static override readonly modelType: string = 'qwen2';
  static override readonly fields: FieldSpec[] = [
    ...LLAMA_FIELDS.filter(([c]) => !['attentionBias', 'mlpBias', 'pretrainingTp'].includes(c)).map((f): FieldSpec =>
      f[0] === 'vocabSize' ? [f[0], f[1], 151936] : f[0] === 'maxPositionEmbeddings' ? [f[0], f[1], 32768] : f[0] === 'intermediateSize' ? [f[0], f[1], 22016] : f),
    ['useSlidingWindow', 'use_sliding_window', false],
    ['slidingWindow', 'sliding_window', 4096],
    ['maxWindowLayers', 'max_window_layers', 28],
  ];
  declare useSlidingWindow: boolean;
  declare slidingWindow: number | null;
  declare maxWindowLayers: number;
  override get qkvBias(): boolean { return true; }
  override get oBias(): boolean { return false; }
  override slidingWindowFor(layer: number): number | null { return this.useSlidingWindow && layer >= this.maxWindowLayers ? this.slidingWindow : null; }
}

/** Applies fields that LlamaConfig's own defaults would otherwise hide (Mistral/Qwen2 default bos/eos differently). */
export class MistralModel extends LlamaModel { static override configClass: typeof PretrainedConfig = MistralConfig; }
export class MistralForCausalLM extends LlamaForCausalLM { static override configClass: typeof PretrainedConfig = MistralConfig; }
export class Qwen2Model extends LlamaModel { static override configClass: typeof PretrainedConfig = Qwen2Config; }
export class Qwen2ForCausalLM extends LlamaForCausalLM { static override configClass: typeof PretrainedConfig = Qwen2Config; }

export const llamaFamily: ModelFamily = {
  modelType: 'llama', modality: 'text', configClass: LlamaConfig,
  auto: { AutoModel: LlamaModel, AutoModelForCausalLM: LlamaForCausalLM },
};
export const mistralFamily: ModelFamily = {
  modelType: 'mistral', modality: 'text', configClass: MistralConfig,
  auto: { AutoModel: MistralModel, AutoModelForCausalLM: MistralForCausalLM },
};
export const qwen2Family: ModelFamily = {
  modelType: 'qwen2', modality: 'text', configClass: Qwen2Config,
  auto: { AutoModel: Qwen2Model, AutoModelForCausalLM: Qwen2ForCausalLM },
};
