// GPT-2 (transformers' models/gpt2/modeling_gpt2.py): pre-LN decoder blocks with Conv1D projections
// (weights stored [in, out]), learned positions, gelu_new, lm_head tied to the token embeddings.
import { Tensor, tidy, keep, arange, nn, F, noGrad, empty, zeros, type DType } from '../torch/index';
import { Module, ModuleList } from '../torch/nn/module';
import { PreTrainedModel } from './modeling-utils';
import { normalizeInputs, asLong, type ModelInputs, type NormalizedInputs } from './blocks/inputs';
import { extendedAttentionMask, finfoMin } from './blocks/attention';
import { decoderAttentionMask, positionIdsFromMask } from './blocks/decoder-masks';
import { DynamicCache } from './blocks/kv-cache';
import { causalLmLoss, keptPositions, type CausalLMOutput, type DecoderBaseOutput } from './blocks/lm';
import { runLayers, cacheAllowed } from './blocks/layers';
import { PretrainedConfig, ConfigError, checkActivation, type FieldSpec } from './config';
import { generate, type GenerateFunction, type GenerateOptions } from '../generation/generate';
import type { ModelFamily } from './registry';

export class GPT2Config extends PretrainedConfig {
  static override readonly modelType: string = 'gpt2';
  static override readonly fields: FieldSpec[] = [
    ['vocabSize', 'vocab_size', 50257],
    ['nPositions', 'n_positions', 1024],
    ['nEmbd', 'n_embd', 768],
    ['nLayer', 'n_layer', 12],
    ['nHead', 'n_head', 12],
    ['nInner', 'n_inner', null],
    ['activationFunction', 'activation_function', 'gelu_new'],
    ['residPdrop', 'resid_pdrop', 0.1],
    ['embdPdrop', 'embd_pdrop', 0.1],
    ['attnPdrop', 'attn_pdrop', 0.1],
    ['layerNormEpsilon', 'layer_norm_epsilon', 1e-5],
    ['initializerRange', 'initializer_range', 0.02],
    ['summaryType', 'summary_type', 'cls_index'],
    ['summaryUseProj', 'summary_use_proj', true],
    ['summaryActivation', 'summary_activation', null],
    ['summaryProjToLabels', 'summary_proj_to_labels', true],
    ['summaryFirstDropout', 'summary_first_dropout', 0.1],
    ['scaleAttnWeights', 'scale_attn_weights', true],
    ['useCache', 'use_cache', true],
    ['scaleAttnByInverseLayerIdx', 'scale_attn_by_inverse_layer_idx', false],
    ['reorderAndUpcastAttn', 'reorder_and_upcast_attn', false],
  ];
  static override readonly aliases: Record<string, string> = {
    hidden_size: 'nEmbd', hiddenSize: 'nEmbd', max_position_embeddings: 'nPositions', maxPositionEmbeddings: 'nPositions',
    num_attention_heads: 'nHead', numAttentionHeads: 'nHead', num_hidden_layers: 'nLayer', numHiddenLayers: 'nLayer',
  };
  declare vocabSize: number;
  declare nPositions: number;
  declare nEmbd: number;
  declare nLayer: number;
  declare nHead: number;
  declare nInner: number | null;
  declare activationFunction: string;
  declare residPdrop: number;
  declare embdPdrop: number;
  declare attnPdrop: number;
  declare layerNormEpsilon: number;
  declare initializerRange: number;
  declare summaryType: string;
  declare summaryUseProj: boolean;
  declare summaryActivation: string | null;
  declare summaryProjToLabels: boolean;
  declare summaryFirstDropout: number;
  declare scaleAttnWeights: boolean;
  declare useCache: boolean;
  declare scaleAttnByInverseLayerIdx: boolean;
  declare reorderAndUpcastAttn: boolean;

  constructor(values: Record<string, unknown> = {}) {
    super(values);
    const has = (a: string, b: string) => a in values || b in values;
    if (!has('bos_token_id', 'bosTokenId')) this.bosTokenId = 50256;
    if (!has('eos_token_id', 'eosTokenId')) this.eosTokenId = 50256;
  }
  get hiddenSize(): number { return this.nEmbd; }
  get numAttentionHeads(): number { return this.nHead; }
  get numHiddenLayers(): number { return this.nLayer; }
  get maxPositionEmbeddings(): number { return this.nPositions; }
  override validate(): void {
    super.validate();
    this.divisible('n_embd', this.nEmbd, 'n_head', this.nHead);
    for (const [j, v] of [['vocab_size', this.vocabSize], ['n_layer', this.nLayer], ['n_positions', this.nPositions]] as const) this.positive(j, v);
    if (this.nInner !== null) this.positive('n_inner', this.nInner);
    for (const [j, v] of [['resid_pdrop', this.residPdrop], ['embd_pdrop', this.embdPdrop], ['attn_pdrop', this.attnPdrop]] as const) this.probability(j, v);
    checkActivation('activation_function', this.activationFunction);
    if (this.reorderAndUpcastAttn) throw new ConfigError('reorder_and_upcast_attn is not supported by hubtune: set it to false (it only changes the float order of the attention scores)');
  }
}

/** transformers' Conv1D: a linear layer whose weight is stored [in, out] (out = x·W + b). */
export class Conv1D extends Module {
  weight: Tensor;
  bias: Tensor;
  constructor(readonly nf: number, readonly nx: number) {
    super();
    this.weight = this.registerParameter('weight', empty([nx, nf]));
    this.bias = this.registerParameter('bias', zeros([nf]));
    nn.init.normal_(this.weight, 0, 0.02);
  }
  /** torch.addmm(bias, x.view(-1, nx), W) (linear over Wᵀ is that addmm: the same float operations). */
  forward(x: Tensor): Tensor {
    return tidy(() => {
      const shape = x.shape;
      const out = F.linear(x.view(-1, this.nx), this.weight.t(), this.bias);
      return out.view(...shape.slice(0, -1), this.nf);
    });
  }
}

export class GPT2Attention extends Module {
  readonly cAttn: Conv1D;
  readonly cProj: Conv1D;
  readonly attnDropout: nn.Dropout;
  readonly residDropout: nn.Dropout;
  private readonly headDim: number;
  constructor(readonly c: GPT2Config, readonly layerIdx: number) {
    super();
    this.headDim = c.nEmbd / c.nHead;
    this.cAttn = this.registerModule('c_attn', new Conv1D(3 * c.nEmbd, c.nEmbd));
    this.cProj = this.registerModule('c_proj', new Conv1D(c.nEmbd, c.nEmbd));
    this.attnDropout = this.registerModule('attn_dropout', new nn.Dropout(c.attnPdrop));
    this.residDropout = this.registerModule('resid_dropout', new nn.Dropout(c.residPdrop));
  }
  forward(h: Tensor, m: GPT2Masks, cache: DynamicCache | null, needWeights: boolean): { output: Tensor; probs: Tensor | null } {
    return tidy(() => {
      const [b, l] = h.shape as [number, number];
      const split = (x: Tensor) => x.view(b, l, this.c.nHead, this.headDim).permute(0, 2, 1, 3);
      const [q0, k0, v0] = this.cAttn.forward(h).split(this.c.nEmbd, 2);
      const q = split(q0!);
      let k = split(k0!);
      let v = split(v0!);
      if (cache) [k, v] = cache.update(k, v, this.layerIdx);
      let context: Tensor;
      let probs: Tensor | null = null;
      if (this.c.attnImplementation === 'sdpa' && !needWeights) {
        const scaled = this.c.scaleAttnWeights ? q : q.mul(Math.sqrt(this.headDim));
        const qs = this.c.scaleAttnByInverseLayerIdx ? scaled.div(this.layerIdx + 1) : scaled;
        context = F.scaledDotProductAttention(qs, k, v, { attnMask: m.combined, dropoutP: this.training ? this.c.attnPdrop : 0 }).output;
      } else {
        // GPT2Attention._attn, op for op
        let w = q.matmul(k.transpose(-1, -2));
        if (this.c.scaleAttnWeights) w = w.div(Math.sqrt(v.shape[3]!));
        if (this.c.scaleAttnByInverseLayerIdx) w = w.div(this.layerIdx + 1);
        const kl = k.shape[2]!;
        const causal = m.causal.narrow(0, kl - l, l).narrow(1, 0, kl);
        w = w.where(causal, finfoMin(w.dtype));
        if (m.padding) w = w.add(m.padding);
        probs = w.softmax(-1);
        context = this.attnDropout.forward(probs).matmul(v);
      }
      const merged = context.permute(0, 2, 1, 3).contiguous().view(b, l, this.c.nEmbd);
      return { output: this.residDropout.forward(this.cProj.forward(merged)), probs: needWeights ? probs : null };
    });
  }
}

export class GPT2MLP extends Module {
  readonly cFc: Conv1D;
  readonly cProj: Conv1D;
  readonly dropout: nn.Dropout;
  private readonly act: (x: Tensor) => Tensor;
  constructor(c: GPT2Config) {
    super();
    const inner = c.nInner ?? 4 * c.nEmbd;
    this.cFc = this.registerModule('c_fc', new Conv1D(inner, c.nEmbd));
    this.cProj = this.registerModule('c_proj', new Conv1D(c.nEmbd, inner));
    this.dropout = this.registerModule('dropout', new nn.Dropout(c.residPdrop));
    this.act = F.getActivation(c.activationFunction);
  }
  forward(h: Tensor): Tensor { return tidy(() => this.dropout.forward(this.cProj.forward(this.act(this.cFc.forward(h))))); }
}

export class GPT2Block extends Module {
  readonly ln1: nn.LayerNorm;
  readonly attn: GPT2Attention;
  readonly ln2: nn.LayerNorm;
  readonly mlp: GPT2MLP;
  constructor(c: GPT2Config, layerIdx: number) {
    super();
    this.ln1 = this.registerModule('ln_1', new nn.LayerNorm(c.nEmbd, c.layerNormEpsilon));
    this.attn = this.registerModule('attn', new GPT2Attention(c, layerIdx));
    this.ln2 = this.registerModule('ln_2', new nn.LayerNorm(c.nEmbd, c.layerNormEpsilon));
    this.mlp = this.registerModule('mlp', new GPT2MLP(c));
  }
  forward(h: Tensor, causal: Tensor, padding: Tensor | null, combined: Tensor | null, cache: DynamicCache | null, needWeights: boolean): { hidden: Tensor; probs: Tensor | null } {
    return tidy(() => {
      const a = this.attn.forward(this.ln1.forward(h), { causal, padding, combined }, cache, needWeights);
      const h1 = a.output.add(h);
      return { hidden: h1.add(this.mlp.forward(this.ln2.forward(h1))), probs: a.probs };
    });
  }
}

/** The masks of one forward: GPT-2's causal table (bool, for torch.where), its additive padding mask, and both combined (fused path). */
interface GPT2Masks { causal: Tensor; padding: Tensor | null; combined: Tensor | null }

export const DECODER_ARGS = ['input_ids', 'attention_mask', 'position_ids', 'past_key_values', 'inputs_embeds', 'use_cache', 'output_attentions', 'output_hidden_states'] as const;

export abstract class GPT2PreTrainedModel extends PreTrainedModel<GPT2Config> {
  static override configClass = GPT2Config;
  static override baseModelPrefix = 'transformer';
  static override ignoreOnLoadUnexpected = [/\.attn\.(masked_bias|bias)$/];
  readonly mainInputName = 'input_ids';
  protected initModule(m: Module): void {
    const std = this.config.initializerRange;
    if (m instanceof Conv1D || m instanceof nn.Linear) {
      nn.init.normal_(m.weight, 0, std);
      if (m.bias) nn.init.zeros_(m.bias);
    } else if (m instanceof nn.Embedding) {
      nn.init.normal_(m.weight, 0, std);
      m.zeroPaddingRow();
    } else if (m instanceof nn.LayerNorm) {
      nn.init.ones_(m.weight);
      nn.init.zeros_(m.bias);
    }
    // GPT-2's scaled init of the residual projections: std / sqrt(2 · n_layer)
    if (m instanceof GPT2Attention || m instanceof GPT2MLP) nn.init.normal_(m.cProj.weight, 0, std / Math.sqrt(2 * this.config.nLayer));
  }
}

export class GPT2Model extends GPT2PreTrainedModel {
  readonly forwardArgNames: readonly string[] = [...DECODER_ARGS, 'token_type_ids'];
  readonly wte: nn.Embedding;
  readonly wpe: nn.Embedding;
  readonly drop: nn.Dropout;
  readonly h: ModuleList<GPT2Block>;
  readonly lnF: nn.LayerNorm;
  private causalTable: Tensor | null = null;
  constructor(config: GPT2Config) {
    super(config);
    this.wte = this.registerModule('wte', new nn.Embedding(config.vocabSize, config.nEmbd));
    this.wpe = this.registerModule('wpe', new nn.Embedding(config.nPositions, config.nEmbd));
    this.drop = this.registerModule('drop', new nn.Dropout(config.embdPdrop));
    this.h = this.registerModule('h', new ModuleList(Array.from({ length: config.nLayer }, (_, i) => new GPT2Block(config, i))));
    this.lnF = this.registerModule('ln_f', new nn.LayerNorm(config.nEmbd, config.layerNormEpsilon));
  }
  forward(batch: ModelInputs): DecoderBaseOutput {
    const x = normalizeInputs(batch, this.forwardArgNames, this.constructor.name, this.config);
    return tidy(() => this.run(x));
  }
  private causal(n: number): Tensor {
    if (!this.causalTable || this.causalTable.shape[0]! < n) {
      this.causalTable?.dispose();
      this.causalTable = keep(noGrad(() => tidy(() => zeros([n, n], { dtype: 'bool' }).logicalNot().tril())));
    }
    return this.causalTable;
  }
  run(x: NormalizedInputs): DecoderBaseOutput {
    const embeds = x.inputsEmbeds as Tensor | undefined;
    if (!x.inputIds && !embeds) throw new Error(`${this.constructor.name}.forward needs inputIds (input_ids) or inputsEmbeds`);
    const ids = x.inputIds ? asLong(x.inputIds) : null;
    const [b, l] = (ids ?? embeds!).shape as [number, number];
    const cache = cacheAllowed(this.h, !!(x.useCache || x.pastKeyValues)) ? ((x.pastKeyValues as DynamicCache | undefined) ?? new DynamicCache()) : null;
    const past = cache?.getSeqLength() ?? 0;
    if (past + l > this.config.nPositions) {
      throw new Error(`sequence length ${past + l} is longer than GPT-2's n_positions (${this.config.nPositions}): truncate the inputs or lower max_new_tokens`);
    }
    const dtype: DType = this.wte.weight.dtype;
    const pos = x.positionIds ? asLong(x.positionIds) : arange(past, past + l).unsqueeze(0);
    let hidden = (embeds ?? this.wte.forward(ids!)).add(this.wpe.forward(pos));
    if (x.tokenTypeIds) hidden = hidden.add(this.wte.forward(asLong(x.tokenTypeIds)));
    hidden = this.drop.forward(hidden);
    const padding = x.attentionMask ? extendedAttentionMask(x.attentionMask.view(b, -1), dtype) : null;
    const sdpa = this.config.attnImplementation === 'sdpa' && !x.outputAttentions;
    const masks: GPT2Masks = {
      causal: this.causal(past + l),
      padding,
      combined: sdpa ? decoderAttentionMask(x.attentionMask ? x.attentionMask.view(b, -1) : null, b, l, past, dtype) : null,
    };
    const out = runLayers(this.h, hidden, {
      outputHiddenStates: x.outputHiddenStates, outputAttentions: x.outputAttentions, args: [masks.causal, masks.padding, masks.combined, cache],
    });
    const last = this.lnF.forward(out.lastHiddenState);
    if (out.hiddenStates) out.hiddenStates[out.hiddenStates.length - 1] = last;
    return { lastHiddenState: last, hiddenStates: out.hiddenStates, attentions: out.attentions, pastKeyValues: cache ?? undefined };
  }
  override dispose(): void { this.causalTable?.dispose(); super.dispose(); }
}

export class GPT2LMHeadModel extends GPT2PreTrainedModel {
  readonly forwardArgNames: readonly string[] = [...DECODER_ARGS, 'token_type_ids', 'labels', 'logits_to_keep'];
  readonly transformer: GPT2Model;
  readonly lmHead: nn.Linear;
  constructor(config: GPT2Config) {
    super(config);
    this.transformer = this.registerModule('transformer', new GPT2Model(config));
    this.lmHead = this.registerModule('lm_head', new nn.Linear(config.nEmbd, config.vocabSize, { bias: false }));
    this.lmHead.weight.dispose();
    this.lmHead.weight = this.lmHead.registerParameter('weight', this.transformer.wte.weight);
  }
  override tiedWeights(): [string, string][] { return [['lm_head.weight', 'transformer.wte.weight']]; }
  protected override initModule(m: Module): void { if (m !== this.lmHead) super.initModule(m); }
  forward(batch: ModelInputs): CausalLMOutput {
    const x = normalizeInputs(batch, this.forwardArgNames, this.constructor.name, this.config);
    return tidy(() => {
      const out = this.transformer.run(x);
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

export const gpt2Family: ModelFamily = {
  modelType: 'gpt2', modality: 'text', configClass: GPT2Config,
  auto: { AutoModel: GPT2Model, AutoModelForCausalLM: GPT2LMHeadModel },
};
