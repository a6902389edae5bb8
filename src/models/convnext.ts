// ConvNeXt (transformers' models/convnext/modeling_convnext.py): a 4x4 patchify stem, stages of
// depthwise 7x7 conv -> LayerNorm over channels -> MLP (as Linear on channels-last) -> layer scale,
// with stochastic depth; downsampling by LayerNorm + 2x2 strided conv; mean pooling + LayerNorm.
import { Tensor, tidy, ones, zeros, nn, F } from '../torch/index';
import { Module, ModuleList } from '../torch/nn/module';
import { PreTrainedModel } from './modeling-utils';
import { normalizeInputs, type ModelInputs, type ModelOutput, type BaseModelOutput, type NormalizedInputs } from './blocks/inputs';
import { PIXEL_ARGS, DropPath, dropPathRates, checkPixelValues, imageClassifierOutput } from './blocks/vision';
import { runLayers } from './blocks/layers';
import { PretrainedConfig, ConfigError, checkActivation, type FieldSpec } from './config';
import type { ModelFamily } from './registry';

export class ConvNextConfig extends PretrainedConfig {
  static override readonly modelType: string = 'convnext';
  static override readonly fields: FieldSpec[] = [
    ['numChannels', 'num_channels', 3],
    ['patchSize', 'patch_size', 4],
    ['numStages', 'num_stages', 4],
    ['hiddenSizes', 'hidden_sizes', [96, 192, 384, 768]],
    ['depths', 'depths', [3, 3, 9, 3]],
    ['hiddenAct', 'hidden_act', 'gelu'],
    ['initializerRange', 'initializer_range', 0.02],
    ['layerNormEps', 'layer_norm_eps', 1e-12],
    ['layerScaleInitValue', 'layer_scale_init_value', 1e-6],
    ['dropPathRate', 'drop_path_rate', 0.0],
    ['imageSize', 'image_size', 224],
  ];
  declare numChannels: number;
  declare patchSize: number;
  declare numStages: number;
  declare hiddenSizes: number[];
  declare depths: number[];
  declare hiddenAct: string;
  declare initializerRange: number;
  declare layerNormEps: number;
  declare layerScaleInitValue: number;
  declare dropPathRate: number;
  declare imageSize: number;

  override validate(): void {
    super.validate();
    this.positive('num_channels', this.numChannels);
    this.positive('patch_size', this.patchSize);
    this.positive('num_stages', this.numStages);
    for (const [json, v] of [['hidden_sizes', this.hiddenSizes], ['depths', this.depths]] as const) {
      if (!Array.isArray(v) || v.length < this.numStages || v.some((n) => !Number.isInteger(n) || n < 1)) {
        throw new ConfigError(`config field '${json}' must list ${this.numStages} positive integers (one per stage, num_stages=${this.numStages}), got ${JSON.stringify(v)}`);
      }
    }
    this.probability('drop_path_rate', this.dropPathRate);
    checkActivation('hidden_act', this.hiddenAct);
  }
}

/**
 * ConvNextLayerNorm: over the last dim ('channels_last', F.layer_norm), or over dim 1 of NCHW
 * ('channels_first', composed in float32 as transformers does). Not an nn.LayerNorm, so the Trainer
 * decays its weight, as transformers 4.29's does (ALL_LAYERNORM_LAYERS has only nn.LayerNorm).
 */
export class ConvNextLayerNorm extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor;
  constructor(readonly size: number, readonly eps = 1e-6, readonly dataFormat: 'channels_last' | 'channels_first' = 'channels_last') {
    super();
    this.weight = this.registerParameter('weight', ones([size]));
    this.bias = this.registerParameter('bias', zeros([size]));
  }
  forward(x: Tensor): Tensor {
    if (this.dataFormat === 'channels_last') return F.layerNorm(x, [this.size], this.weight, this.bias, this.eps);
    return tidy(() => {
      const xf = x.dtype === 'float32' ? x : x.float();
      const u = xf.mean(1, true);
      const s = xf.sub(u).pow(2).mean(1, true);
      let y = xf.sub(u).div(s.add(this.eps).sqrt());
      if (y.dtype !== x.dtype) y = y.to(x.dtype);
      return this.weight.view(-1, 1, 1).mul(y).add(this.bias.view(-1, 1, 1));
    });
  }
}

export class ConvNextEmbeddings extends Module {
  readonly patchEmbeddings: nn.Conv2d;
  readonly layernorm: ConvNextLayerNorm;
  constructor(c: ConvNextConfig) {
    super();
    this.patchEmbeddings = this.registerModule('patch_embeddings', new nn.Conv2d(c.numChannels, c.hiddenSizes[0]!, c.patchSize, { stride: c.patchSize }));
    this.layernorm = this.registerModule('layernorm', new ConvNextLayerNorm(c.hiddenSizes[0]!, 1e-6, 'channels_first'));
  }
  forward(pixels: Tensor): Tensor { return tidy(() => this.layernorm.forward(this.patchEmbeddings.forward(pixels))); }
}

/** dwconv -> permute to NHWC -> LayerNorm -> pwconv1 -> act -> pwconv2 -> layer scale -> NCHW -> residual. */
export class ConvNextLayer extends Module {
  readonly dwconv: nn.Conv2d;
  readonly layernorm: ConvNextLayerNorm;
  readonly pwconv1: nn.Linear;
  readonly pwconv2: nn.Linear;
  readonly layerScaleParameter: Tensor | null;
  readonly dropPath: DropPath | null;
  private readonly act: (x: Tensor) => Tensor;
  constructor(c: ConvNextConfig, dim: number, dropPath: number) {
    super();
    this.dwconv = this.registerModule('dwconv', new nn.Conv2d(dim, dim, 7, { padding: 3, groups: dim }));
    this.layernorm = this.registerModule('layernorm', new ConvNextLayerNorm(dim, 1e-6));
    this.pwconv1 = this.registerModule('pwconv1', new nn.Linear(dim, 4 * dim));
    this.act = F.getActivation(c.hiddenAct);
    this.pwconv2 = this.registerModule('pwconv2', new nn.Linear(4 * dim, dim));
    this.layerScaleParameter = c.layerScaleInitValue > 0 ? this.registerParameter('layer_scale_parameter', ones([dim]).mul_(c.layerScaleInitValue)) : null;
    this.dropPath = dropPath > 0 ? this.registerModule('drop_path', new DropPath(dropPath)) : null;
  }
  forward(h: Tensor): Tensor {
    return tidy(() => {
      let x = this.dwconv.forward(h).permute(0, 2, 3, 1);
      x = this.pwconv2.forward(this.act(this.pwconv1.forward(this.layernorm.forward(x))));
      if (this.layerScaleParameter) x = this.layerScaleParameter.mul(x);
      x = x.permute(0, 3, 1, 2);
      return h.add(this.dropPath ? this.dropPath.forward(x) : x);
    });
  }
}

export class ConvNextStage extends Module {
  readonly downsamplingLayer: nn.Sequential | null;
  readonly layers: nn.Sequential;
  constructor(c: ConvNextConfig, inChannels: number, outChannels: number, stride: number, depth: number, rates: number[]) {
    super();
    this.downsamplingLayer = inChannels !== outChannels || stride > 1
      ? this.registerModule('downsampling_layer', new nn.Sequential(
        new ConvNextLayerNorm(inChannels, 1e-6, 'channels_first'),
        new nn.Conv2d(inChannels, outChannels, 2, { stride }),
      ))
      : null;
    this.layers = this.registerModule('layers', new nn.Sequential(...Array.from({ length: depth }, (_, j) => new ConvNextLayer(c, outChannels, rates[j] ?? 0))));
  }
  forward(h: Tensor): Tensor {
    return tidy(() => this.layers.forward(this.downsamplingLayer ? this.downsamplingLayer.forward(h) : h));
  }
}

export class ConvNextEncoder extends Module {
  readonly stages: ModuleList<ConvNextStage>;
  constructor(c: ConvNextConfig) {
    super();
    const all = dropPathRates(c.dropPathRate, c.depths.slice(0, c.numStages).reduce((a, b) => a + b, 0));
    const stages: ConvNextStage[] = [];
    let prev = c.hiddenSizes[0]!;
    let at = 0;
    for (let i = 0; i < c.numStages; i++) {
      const depth = c.depths[i]!;
      stages.push(new ConvNextStage(c, prev, c.hiddenSizes[i]!, i > 0 ? 2 : 1, depth, all.slice(at, at + depth)));
      at += depth;
      prev = c.hiddenSizes[i]!;
    }
    this.stages = this.registerModule('stages', new ModuleList(stages));
  }
  forward(h: Tensor, outputHiddenStates: boolean): BaseModelOutput {
    // stage by stage, so that gradient checkpointing recomputes one stage at a time (transformers' ConvNextEncoder)
    const out = runLayers(this.stages, h, { outputHiddenStates, call: (stage, x) => ({ hidden: stage.forward(x) }) });
    return { lastHiddenState: out.lastHiddenState, hiddenStates: out.hiddenStates };
  }
}

export abstract class ConvNextPreTrainedModel extends PreTrainedModel<ConvNextConfig> {
  static override configClass = ConvNextConfig;
  static override baseModelPrefix = 'convnext';
  readonly mainInputName = 'pixel_values';
  /** normal(0, initializer_range) for Linear/Conv weights, zero biases, nn.LayerNorm ones/zeros (ConvNextLayerNorm keeps its ones/zeros). */
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

export class ConvNextModel extends ConvNextPreTrainedModel {
  readonly forwardArgNames: readonly string[] = PIXEL_ARGS;
  readonly embeddings: ConvNextEmbeddings;
  readonly encoder: ConvNextEncoder;
  readonly layernorm: nn.LayerNorm;
  constructor(config: ConvNextConfig) {
    super(config);
    this.embeddings = this.registerModule('embeddings', new ConvNextEmbeddings(config));
    this.encoder = this.registerModule('encoder', new ConvNextEncoder(config));
    this.layernorm = this.registerModule('layernorm', new nn.LayerNorm(config.hiddenSizes[config.numStages - 1]!, config.layerNormEps));
  }
  forward(batch: ModelInputs): BaseModelOutput {
    const x = normalizeInputs(batch, this.forwardArgNames, this.constructor.name, this.config);
    return tidy(() => this.run(x, this.constructor.name));
  }
  /** last_hidden_state [B, C, H, W]; pooler_output = LayerNorm(mean over H, W) [B, C]. */
  run(x: NormalizedInputs, model: string): BaseModelOutput {
    const px = checkPixelValues(x.pixelValues, { model, numChannels: this.config.numChannels });
    const out = this.encoder.forward(this.embeddings.forward(px), x.outputHiddenStates);
    out.poolerOutput = tidy(() => this.layernorm.forward(out.lastHiddenState.mean([-2, -1])));
    return out;
  }
}

export class ConvNextForImageClassification extends ConvNextPreTrainedModel {
  readonly forwardArgNames: readonly string[] = [...PIXEL_ARGS, 'labels'];
  readonly convnext: ConvNextModel;
  readonly classifier: nn.Linear | null;
  constructor(config: ConvNextConfig) {
    super(config);
    this.convnext = this.registerModule('convnext', new ConvNextModel(config));
    const last = config.hiddenSizes[config.numStages - 1]!;
    this.classifier = config.numLabels > 0 ? this.registerModule('classifier', new nn.Linear(last, config.numLabels)) : null;
  }
  forward(batch: ModelInputs): ModelOutput {
    const x = normalizeInputs(batch, this.forwardArgNames, this.constructor.name, this.config);
    return tidy(() => {
      const out = this.convnext.run(x, this.constructor.name);
      const logits = this.classifier ? this.classifier.forward(out.poolerOutput!) : out.poolerOutput!;
      return imageClassifierOutput(this.config, logits, x.labels, out);
    });
  }
}

export const convnextFamily: ModelFamily = {
  modelType: 'convnext', modality: 'vision', configClass: ConvNextConfig,
  auto: { AutoModel: ConvNextModel, AutoModelForImageClassification: ConvNextForImageClassification },
};
