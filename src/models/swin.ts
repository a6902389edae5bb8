// Swin Transformer (transformers' models/swin/modeling_swin.py): 4x4 patches, stages of blocks that
// attend within windows (every second block on windows shifted by half a window, with a mask across
// the wrapped edges), a learned relative position bias per block, patch merging between stages,
// and average pooling. Outputs also carry reshaped_hidden_states [B, C, H, W] per stage.
import { Tensor, tidy, zeros, cat, tensor, nn, F } from '../torch/index';
import { Module, ModuleList } from '../torch/nn/module';
import { PreTrainedModel } from './modeling-utils';
import { normalizeInputs, type ModelInputs, type ModelOutput, type BaseModelOutput, type NormalizedInputs } from './blocks/inputs';
import { runLayers } from './blocks/layers';
import { PIXEL_ATTENTION_ARGS, DropPath, checkPixelValues, imageClassifierOutput, relativePositionIndex } from './blocks/vision';
import { PretrainedConfig, ConfigError, checkActivation, type FieldSpec } from './config';
import type { ModelFamily } from './registry';

export class SwinConfig extends PretrainedConfig {
  static override readonly modelType: string = 'swin';
  static override readonly fields: FieldSpec[] = [
    ['imageSize', 'image_size', 224],
    ['patchSize', 'patch_size', 4],
    ['numChannels', 'num_channels', 3],
    ['embedDim', 'embed_dim', 96],
    ['depths', 'depths', [2, 2, 6, 2]],
    ['numLayers', 'num_layers', 4],
    ['numHeads', 'num_heads', [3, 6, 12, 24]],
    ['windowSize', 'window_size', 7],
    ['mlpRatio', 'mlp_ratio', 4.0],
    ['qkvBias', 'qkv_bias', true],
    ['hiddenDropoutProb', 'hidden_dropout_prob', 0.0],
    ['attentionProbsDropoutProb', 'attention_probs_dropout_prob', 0.0],
    ['dropPathRate', 'drop_path_rate', 0.1],
    ['hiddenAct', 'hidden_act', 'gelu'],
    ['useAbsoluteEmbeddings', 'use_absolute_embeddings', false],
    ['initializerRange', 'initializer_range', 0.02],
    ['layerNormEps', 'layer_norm_eps', 1e-5],
    ['encoderStride', 'encoder_stride', 32],
    ['hiddenSize', 'hidden_size', 768],
  ];
  static override readonly aliases: Record<string, string> = { num_attention_heads: 'numHeads', numAttentionHeads: 'numHeads', num_hidden_layers: 'numLayers', numHiddenLayers: 'numLayers' };
  declare imageSize: number;
  declare patchSize: number;
  declare numChannels: number;
  declare embedDim: number;
  declare depths: number[];
  declare numLayers: number;
  declare numHeads: number[];
  declare windowSize: number;
  declare mlpRatio: number;
  declare qkvBias: boolean;
  declare hiddenDropoutProb: number;
  declare attentionProbsDropoutProb: number;
  declare dropPathRate: number;
  declare hiddenAct: string;
  declare useAbsoluteEmbeddings: boolean;
  declare initializerRange: number;
  declare layerNormEps: number;
  declare encoderStride: number;
  declare hiddenSize: number;

  constructor(values: Record<string, unknown> = {}) {
    super(values);
    // derived, as SwinConfig.__init__ sets them whatever config.json says
    if (Array.isArray(this.depths)) {
      this.numLayers = this.depths.length;
      this.hiddenSize = Math.trunc(this.embedDim * 2 ** (this.depths.length - 1));
    }
  }

  override validate(): void {
    super.validate();
    for (const [j, v] of [['image_size', this.imageSize], ['patch_size', this.patchSize], ['num_channels', this.numChannels], ['embed_dim', this.embedDim],
      ['window_size', this.windowSize]] as const) this.positive(j, v);
    if (!Array.isArray(this.depths) || !this.depths.length || this.depths.some((d) => !Number.isInteger(d) || d < 1)) {
      throw new ConfigError(`config field 'depths' must be a non-empty list of positive integers, got ${JSON.stringify(this.depths)}`);
    }
    if (!Array.isArray(this.numHeads) || this.numHeads.length !== this.depths.length) {
      throw new ConfigError(`config field 'num_heads' must list one head count per stage (${this.depths.length}), got ${JSON.stringify(this.numHeads)}`);
    }
    this.numHeads.forEach((h, i) => this.divisible(`embed_dim * 2**${i}`, this.embedDim * 2 ** i, `num_heads[${i}]`, h));
    this.probability('hidden_dropout_prob', this.hiddenDropoutProb);
    this.probability('attention_probs_dropout_prob', this.attentionProbsDropoutProb);
    this.probability('drop_path_rate', this.dropPathRate);
    checkActivation('hidden_act', this.hiddenAct);
  }
}

/** [B, H, W, C] -> [B * H/ws * W/ws, ws, ws, C]. */
export function windowPartition(x: Tensor, ws: number): Tensor {
  const [b, h, w, c] = x.shape as [number, number, number, number];
  return tidy(() => x.view(b, h / ws, ws, w / ws, ws, c).permute(0, 1, 3, 2, 4, 5).contiguous().view(-1, ws, ws, c));
}
/** The inverse of windowPartition. */
export function windowReverse(windows: Tensor, ws: number, h: number, w: number): Tensor {
  const c = windows.shape[windows.ndim - 1]!;
  return tidy(() => windows.view(-1, h / ws, w / ws, ws, ws, c).permute(0, 1, 3, 2, 4, 5).contiguous().view(-1, h, w, c));
}

export class SwinPatchEmbeddings extends Module {
  readonly projection: nn.Conv2d;
  constructor(readonly c: SwinConfig) {
    super();
    this.projection = this.registerModule('projection', new nn.Conv2d(c.numChannels, c.embedDim, c.patchSize, { stride: c.patchSize }));
  }
  /** Pads width/height up to a multiple of the patch size (as transformers does), then patchifies: [B, L, C] and [H, W]. */
  forward(pixels: Tensor): { embeddings: Tensor; dims: [number, number] } {
    return tidy(() => {
      const p = this.c.patchSize;
      const [, , h, w] = pixels.shape as number[];
      let x = pixels;
      if (w! % p !== 0) x = F.pad(x, [0, p - (w! % p)]);
      if (h! % p !== 0) x = F.pad(x, [0, 0, 0, p - (h! % p)]);
      const e = this.projection.forward(x);
      const dims: [number, number] = [e.shape[2]!, e.shape[3]!];
      return { embeddings: e.flatten(2).transpose(1, 2), dims };
    });
  }
}

export class SwinEmbeddings extends Module {
  readonly patchEmbeddings: SwinPatchEmbeddings;
  readonly positionEmbeddings: Tensor | null;
  readonly norm: nn.LayerNorm;
  readonly dropout: nn.Dropout;
  constructor(c: SwinConfig) {
    super();
    this.patchEmbeddings = this.registerModule('patch_embeddings', new SwinPatchEmbeddings(c));
    const numPatches = Math.floor(c.imageSize / c.patchSize) ** 2;
    this.positionEmbeddings = c.useAbsoluteEmbeddings ? this.registerParameter('position_embeddings', zeros([1, numPatches + 1, c.embedDim])) : null;
    this.norm = this.registerModule('norm', new nn.LayerNorm(c.embedDim));
    this.dropout = this.registerModule('dropout', new nn.Dropout(c.hiddenDropoutProb));
  }
  forward(pixels: Tensor): { embeddings: Tensor; dims: [number, number] } {
    return tidy(() => {
      const { embeddings, dims } = this.patchEmbeddings.forward(pixels);
      let x = this.norm.forward(embeddings);
      if (this.positionEmbeddings) x = x.add(this.positionEmbeddings);
      return { embeddings: this.dropout.forward(x), dims };
    });
  }
}

/** Merges 2x2 neighbouring patches: [B, H*W, C] -> [B, H/2*W/2, 2C] (LayerNorm over 4C, then a linear map). */
export class SwinPatchMerging extends Module {
  readonly reduction: nn.Linear;
  readonly norm: nn.LayerNorm;
  constructor(dim: number) {
    super();
    this.reduction = this.registerModule('reduction', new nn.Linear(4 * dim, 2 * dim, { bias: false }));
    this.norm = this.registerModule('norm', new nn.LayerNorm(4 * dim));
  }
  forward(h: Tensor, [height, width]: [number, number]): Tensor {
    return tidy(() => {
      const [b, , c] = h.shape as [number, number, number];
      let x = h.view(b, height, width, c);
      if (height % 2 === 1 || width % 2 === 1) x = F.pad(x, [0, 0, 0, width % 2, 0, height % 2]);
      const part = (r: number, col: number) => x.slice(1, r, null, 2).slice(2, col, null, 2);
      const merged = cat([part(0, 0), part(1, 0), part(0, 1), part(1, 1)], -1).view(b, -1, 4 * c);
      return this.reduction.forward(this.norm.forward(merged));
    });
  }
}

export class SwinSelfAttention extends Module {
  readonly relativePositionBiasTable: Tensor;
  readonly relativePositionIndex: Tensor;
  readonly query: nn.Linear;
  readonly key: nn.Linear;
  readonly value: nn.Linear;
  constructor(readonly c: SwinConfig, readonly dim: number, readonly numHeads: number) {
    super();
    const ws = c.windowSize;
    this.relativePositionBiasTable = this.registerParameter('relative_position_bias_table', zeros([(2 * ws - 1) ** 2, numHeads]));
    this.relativePositionIndex = this.registerBuffer('relative_position_index', relativePositionIndex(ws, ws));
    const o = { bias: c.qkvBias };
    this.query = this.registerModule('query', new nn.Linear(dim, dim, o));
    this.key = this.registerModule('key', new nn.Linear(dim, dim, o));
    this.value = this.registerModule('value', new nn.Linear(dim, dim, o));
  }
  /** The bias of every head for every pair of window positions [heads, ws², ws²]. */
  positionBias(): Tensor {
    const n = this.c.windowSize ** 2;
    return tidy(() => this.relativePositionBiasTable.index([this.relativePositionIndex.view(-1)]).view(n, n, -1).permute(2, 0, 1).contiguous());
  }
  /** Windows [B*nW, ws², C]; mask [nW, ws², ws²] (0 or -100) for shifted windows. */
  forward(h: Tensor, mask: Tensor | null, needWeights: boolean): { context: Tensor; probs: Tensor | null } {
    return tidy(() => {
      const [bw, len, ch] = h.shape as [number, number, number];
      const heads = this.numHeads;
      const d = ch / heads;
      const split = (x: Tensor) => x.view(bw, len, heads, d).permute(0, 2, 1, 3);
      const q = split(this.query.forward(h));
      const k = split(this.key.forward(h));
      const v = split(this.value.forward(h));
      const bias = this.positionBias();
      const p = this.training ? this.c.attentionProbsDropoutProb : 0;
      let context: Tensor;
      let probs: Tensor | null = null;
      if (needWeights || this.c.attnImplementation === 'eager') {
        // transformers 4.29's ops in order: scale, + bias, (+ mask per window), softmax, dropout
        let scores = q.matmul(k.transpose(-1, -2)).div(Math.sqrt(d)).add(bias.unsqueeze(0));
        if (mask) {
          const nw = mask.shape[0]!;
          scores = scores.view(bw / nw, nw, heads, len, len).add(mask.unsqueeze(1).unsqueeze(0)).view(-1, heads, len, len);
        }
        probs = scores.softmax(-1);
        context = F.dropout(probs, p, p > 0).matmul(v);
      } else {
        let m = bias.unsqueeze(0);
        if (mask) {
          const nw = mask.shape[0]!;
          m = bias.unsqueeze(0).add(mask.unsqueeze(1)).unsqueeze(0).expand(bw / nw, nw, heads, len, len).reshape(bw, heads, len, len);
        }
        context = F.scaledDotProductAttention(q, k, v, { attnMask: m, dropoutP: p }).output;
      }
      return { context: context.permute(0, 2, 1, 3).contiguous().view(bw, len, ch), probs: needWeights ? probs : null };
    });
  }
}

/** dense -> dropout. */
export class SwinDenseDropout extends Module {
  readonly dense: nn.Linear;
  readonly dropout: nn.Dropout;
  constructor(inSize: number, outSize: number, p: number) {
    super();
    this.dense = this.registerModule('dense', new nn.Linear(inSize, outSize));
    this.dropout = this.registerModule('dropout', new nn.Dropout(p));
  }
  forward(h: Tensor): Tensor { return tidy(() => this.dropout.forward(this.dense.forward(h))); }
}

export class SwinAttention extends Module {
  readonly self: SwinSelfAttention;
  readonly output: SwinDenseDropout;
  constructor(c: SwinConfig, dim: number, heads: number) {
    super();
    this.self = this.registerModule('self', new SwinSelfAttention(c, dim, heads));
    this.output = this.registerModule('output', new SwinDenseDropout(dim, dim, c.attentionProbsDropoutProb));
  }
}

export class SwinIntermediate extends Module {
  readonly dense: nn.Linear;
  private readonly act: (x: Tensor) => Tensor;
  constructor(c: SwinConfig, dim: number) {
    super();
    this.dense = this.registerModule('dense', new nn.Linear(dim, Math.trunc(c.mlpRatio * dim)));
    this.act = F.getActivation(c.hiddenAct);
  }
  forward(h: Tensor): Tensor { return tidy(() => this.act(this.dense.forward(h))); }
}

/** The additive mask of shifted windows: -100 between positions that came from different regions. [nW, ws², ws²] */
export function shiftedWindowMask(height: number, width: number, ws: number, shift: number): Tensor {
  const region = (i: number, n: number) => (i < n - ws ? 0 : i < n - shift ? 1 : 2);
  const img: number[] = [];
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) img.push(region(y, height) * 3 + region(x, width));
  return tidy(() => {
    const windows = windowPartition(tensor(new Float32Array(img), { shape: [1, height, width, 1] }), ws).view(-1, ws * ws);
    const diff = windows.unsqueeze(1).sub(windows.unsqueeze(2));
    return diff.maskedFill(diff.ne(0), -100).maskedFill(diff.eq(0), 0);
  });
}

export class SwinLayer extends Module {
  readonly layernormBefore: nn.LayerNorm;
  readonly attention: SwinAttention;
  readonly dropPath: DropPath | null;
  readonly layernormAfter: nn.LayerNorm;
  readonly intermediate: SwinIntermediate;
  readonly output: SwinDenseDropout;
  constructor(readonly c: SwinConfig, dim: number, heads: number, readonly shiftSize: number) {
    super();
    this.layernormBefore = this.registerModule('layernorm_before', new nn.LayerNorm(dim, c.layerNormEps));
    this.attention = this.registerModule('attention', new SwinAttention(c, dim, heads));
    // transformers 4.29 gives every block config.drop_path_rate (not the linearly spaced rates)
    this.dropPath = c.dropPathRate > 0 ? this.registerModule('drop_path', new DropPath(c.dropPathRate)) : null;
    this.layernormAfter = this.registerModule('layernorm_after', new nn.LayerNorm(dim, c.layerNormEps));
    this.intermediate = this.registerModule('intermediate', new SwinIntermediate(c, dim));
    this.output = this.registerModule('output', new SwinDenseDropout(Math.trunc(c.mlpRatio * dim), dim, c.hiddenDropoutProb));
  }
  forward(h: Tensor, [height, width]: [number, number], needWeights: boolean): { hidden: Tensor; probs: Tensor | null } {
    return tidy(() => {
      // a window as large as the feature map: no shift (set_shift_and_window_size)
      let ws = this.c.windowSize;
      let shift = this.shiftSize;
      if (Math.min(height, width) <= ws) { shift = 0; ws = Math.min(height, width); }
      const [b, , ch] = h.shape as [number, number, number];
      let x = this.layernormBefore.forward(h).view(b, height, width, ch);
      const padRight = (ws - (width % ws)) % ws;
      const padBottom = (ws - (height % ws)) % ws;
      x = F.pad(x, [0, 0, 0, padRight, 0, padBottom]);
      const [hp, wp] = [height + padBottom, width + padRight];
      if (shift > 0) x = x.roll([-shift, -shift], [1, 2]);
      const windows = windowPartition(x, ws).view(-1, ws * ws, ch);
      const mask = shift > 0 ? shiftedWindowMask(hp, wp, ws, shift).to(h.dtype) : null;
      const { context, probs } = this.attention.self.forward(windows, mask, needWeights);
      let a = windowReverse(this.attention.output.forward(context).view(-1, ws, ws, ch), ws, hp, wp);
      if (shift > 0) a = a.roll([shift, shift], [1, 2]);
      if (padRight > 0 || padBottom > 0) a = a.slice(1, 0, height).slice(2, 0, width).contiguous();
      a = a.view(b, height * width, ch);
      const h2 = h.add(this.dropPath ? this.dropPath.forward(a) : a);
      const hidden = h2.add(this.output.forward(this.intermediate.forward(this.layernormAfter.forward(h2))));
      return { hidden, probs };
    });
  }
}

export class SwinStage extends Module {
  readonly blocks: ModuleList<SwinLayer>;
  readonly downsample: SwinPatchMerging | null;
  constructor(c: SwinConfig, dim: number, depth: number, heads: number, downsample: boolean) {
    super();
    this.blocks = this.registerModule('blocks', new ModuleList(Array.from({ length: depth }, (_, i) => new SwinLayer(c, dim, heads, i % 2 === 0 ? 0 : Math.floor(c.windowSize / 2)))));
    this.downsample = downsample ? this.registerModule('downsample', new SwinPatchMerging(dim)) : null;
  }
  /** Runs the blocks and the patch merging; `probs` are the last block's attention maps (what transformers returns per stage). */
  forward(h: Tensor, dims: [number, number], needWeights: boolean): { hidden: Tensor; probs: Tensor | null; dims: [number, number] } {
    return tidy(() => {
      const out = runLayers(this.blocks, h, { outputAttentions: needWeights, args: [dims] });
      const probs = needWeights ? out.attentions![out.attentions!.length - 1]! : null;
      if (!this.downsample) return { hidden: out.lastHiddenState, probs, dims };
      const next: [number, number] = [Math.floor((dims[0] + 1) / 2), Math.floor((dims[1] + 1) / 2)];
      return { hidden: this.downsample.forward(out.lastHiddenState, dims), probs, dims: next };
    });
  }
}

export interface SwinEncoderOutput extends BaseModelOutput {
  /** Each hidden state as [B, C, H, W] (transformers' reshaped_hidden_states). */
  reshapedHiddenStates?: Tensor[];
}

export class SwinEncoder extends Module {
  readonly layers: ModuleList<SwinStage>;
  constructor(c: SwinConfig) {
    super();
    this.layers = this.registerModule('layers', new ModuleList(c.depths.map((depth, i) => new SwinStage(c, c.embedDim * 2 ** i, depth, c.numHeads[i]!, i < c.depths.length - 1))));
  }
  forward(h: Tensor, dims: [number, number], outputHiddenStates: boolean, outputAttentions: boolean): SwinEncoderOutput {
    const allDims: [number, number][] = [dims];
    const out: SwinEncoderOutput = runLayers(this.layers, h, {
      outputHiddenStates, outputAttentions,
      args: (_i, previous) => [previous ? previous.dims : dims],
      onOutput: (o) => { allDims.push(o.dims as [number, number]); },
    });
    if (out.hiddenStates) {
      out.reshapedHiddenStates = out.hiddenStates.map((t, i) => {
        const [b, , ch] = t.shape as [number, number, number];
        return t.view(b, allDims[i]![0], allDims[i]![1], ch).permute(0, 3, 1, 2);
      });
    }
    return out;
  }
}

export abstract class SwinPreTrainedModel extends PreTrainedModel<SwinConfig> {
  static override configClass = SwinConfig;
  static override baseModelPrefix = 'swin';
  readonly mainInputName = 'pixel_values';
  /** normal(0, initializer_range) Linear/Conv weights, zero biases, LayerNorm ones/zeros; bias tables and positions stay zero. */
  protected initModule(m: Module): void {
    if (m instanceof nn.Linear || m instanceof nn.Conv2d) {
      nn.init.normal_(m.weight, 0, this.config.initializerRange);
      if (m.bias) nn.init.zeros_(m.bias);
    } else if (m instanceof nn.LayerNorm) {
      nn.init.ones_(m.weight);
      nn.init.zeros_(m.bias);
    }
  }
}

export interface SwinModelOutput extends SwinEncoderOutput {}
export interface SwinImageClassifierOutput extends ModelOutput { reshapedHiddenStates?: Tensor[] }

export class SwinModel extends SwinPreTrainedModel {
  readonly forwardArgNames: readonly string[] = PIXEL_ATTENTION_ARGS;
  readonly embeddings: SwinEmbeddings;
  readonly encoder: SwinEncoder;
  readonly layernorm: nn.LayerNorm;
  readonly hasPooler: boolean;
  constructor(config: SwinConfig, o: { addPoolingLayer?: boolean } = {}) {
    super(config);
    this.embeddings = this.registerModule('embeddings', new SwinEmbeddings(config));
    this.encoder = this.registerModule('encoder', new SwinEncoder(config));
    this.layernorm = this.registerModule('layernorm', new nn.LayerNorm(config.hiddenSize, config.layerNormEps));
    this.hasPooler = o.addPoolingLayer !== false;
  }
  forward(batch: ModelInputs): SwinModelOutput {
    const x = normalizeInputs(batch, this.forwardArgNames, this.constructor.name, this.config);
    return tidy(() => this.run(x, this.constructor.name));
  }
  /** last_hidden_state [B, L, C] after the final LayerNorm; pooler_output: its mean over L (AdaptiveAvgPool1d). */
  run(x: NormalizedInputs, model: string): SwinModelOutput {
    const px = checkPixelValues(x.pixelValues, { model, numChannels: this.config.numChannels });
    const { embeddings, dims } = this.embeddings.forward(px);
    const out = this.encoder.forward(embeddings, dims, x.outputHiddenStates, x.outputAttentions);
    const last = this.layernorm.forward(out.lastHiddenState);
    if (!x.outputHiddenStates) out.lastHiddenState.dispose();
    out.lastHiddenState = last;
    if (this.hasPooler) out.poolerOutput = tidy(() => F.adaptiveAvgPool2d(last.transpose(1, 2).unsqueeze(-2), [1, 1]).squeeze(-2).flatten(1));
    return out;
  }
}

export class SwinForImageClassification extends SwinPreTrainedModel {
  readonly forwardArgNames: readonly string[] = [...PIXEL_ATTENTION_ARGS, 'labels'];
  readonly swin: SwinModel;
  readonly classifier: nn.Linear | null;
  constructor(config: SwinConfig) {
    super(config);
    this.swin = this.registerModule('swin', new SwinModel(config));
    this.classifier = config.numLabels > 0 ? this.registerModule('classifier', new nn.Linear(config.hiddenSize, config.numLabels)) : null;
  }
  forward(batch: ModelInputs): SwinImageClassifierOutput {
    const x = normalizeInputs(batch, this.forwardArgNames, this.constructor.name, this.config);
    return tidy(() => {
      const out = this.swin.run(x, this.constructor.name);
      const logits = this.classifier ? this.classifier.forward(out.poolerOutput!) : out.poolerOutput!;
      return { ...imageClassifierOutput(this.config, logits, x.labels, out), reshapedHiddenStates: out.reshapedHiddenStates };
    });
  }
}

export const swinFamily: ModelFamily = {
  modelType: 'swin', modality: 'vision', configClass: SwinConfig,
  auto: { AutoModel: SwinModel, AutoModelForImageClassification: SwinForImageClassification },
};
