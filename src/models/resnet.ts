// ResNet (transformers' models/resnet/modeling_resnet.py): a 7x7/2 conv + BatchNorm + max-pool stem,
// stages of basic or bottleneck residual blocks (conv-BatchNorm-activation, 1x1 shortcut when the
// shape changes), average pooling; the classifier is Sequential(Flatten, Linear) as in transformers.
// BatchNorm uses batch statistics in train mode and running statistics in eval mode; freeze it with
// model.freezeBatchNorm() to fine-tune with the pretrained statistics.
import { Tensor, tidy, nn, F } from '../torch/index';
import { Module, ModuleList } from '../torch/nn/module';
import { PreTrainedModel } from './modeling-utils';
import { normalizeInputs, type ModelInputs, type ModelOutput, type BaseModelOutput, type NormalizedInputs } from './blocks/inputs';
import { PIXEL_ARGS, checkPixelValues, imageClassifierOutput } from './blocks/vision';
import { PretrainedConfig, ConfigError, checkActivation, type FieldSpec } from './config';
import type { ModelFamily } from './registry';

export class ResNetConfig extends PretrainedConfig {
  static override readonly modelType: string = 'resnet';
  static override readonly fields: FieldSpec[] = [
    ['numChannels', 'num_channels', 3],
    ['embeddingSize', 'embedding_size', 64],
    ['hiddenSizes', 'hidden_sizes', [256, 512, 1024, 2048]],
    ['depths', 'depths', [3, 4, 6, 3]],
    ['layerType', 'layer_type', 'bottleneck'],
    ['hiddenAct', 'hidden_act', 'relu'],
    ['downsampleInFirstStage', 'downsample_in_first_stage', false],
  ];
  declare numChannels: number;
  declare embeddingSize: number;
  declare hiddenSizes: number[];
  declare depths: number[];
  declare layerType: 'basic' | 'bottleneck';
  declare hiddenAct: string;
  declare downsampleInFirstStage: boolean;

  override validate(): void {
    super.validate();
    this.positive('num_channels', this.numChannels);
    this.positive('embedding_size', this.embeddingSize);
    if (this.layerType !== 'basic' && this.layerType !== 'bottleneck') {
      throw new ConfigError(`layer_type=${JSON.stringify(this.layerType)} is not one of basic,bottleneck`);
    }
    for (const [json, v] of [['hidden_sizes', this.hiddenSizes], ['depths', this.depths]] as const) {
      if (!Array.isArray(v) || v.length === 0 || v.some((n) => !Number.isInteger(n) || n < 1)) {
        throw new ConfigError(`config field '${json}' must be a non-empty list of positive integers, got ${JSON.stringify(v)}`);
      }
    }
    if (this.hiddenSizes.length !== this.depths.length) {
      throw new ConfigError(`hidden_sizes (${this.hiddenSizes.length} stages) and depths (${this.depths.length} stages) must have the same length`);
    }
    checkActivation('hidden_act', this.hiddenAct);
  }
}

/** conv (no bias, 'same' padding) -> BatchNorm2d -> activation (none when null). */
export class ResNetConvLayer extends Module {
  readonly convolution: nn.Conv2d;
  readonly normalization: nn.BatchNorm2d;
  private readonly act: ((x: Tensor) => Tensor) | null;
  constructor(inChannels: number, outChannels: number, o: { kernelSize?: number; stride?: number; activation?: string | null } = {}) {
    super();
    const k = o.kernelSize ?? 3;
    this.convolution = this.registerModule('convolution', new nn.Conv2d(inChannels, outChannels, k, { stride: o.stride ?? 1, padding: Math.floor(k / 2), bias: false }));
    this.normalization = this.registerModule('normalization', new nn.BatchNorm2d(outChannels));
    const act = o.activation === undefined ? 'relu' : o.activation;
    this.act = act === null ? null : F.getActivation(act);
  }
  forward(x: Tensor): Tensor {
    return tidy(() => {
      const h = this.normalization.forward(this.convolution.forward(x));
      return this.act ? this.act(h) : h;
    });
  }
}

export class ResNetEmbeddings extends Module {
  readonly embedder: ResNetConvLayer;
  readonly pooler: nn.MaxPool2d;
  constructor(c: ResNetConfig) {
    super();
    this.embedder = this.registerModule('embedder', new ResNetConvLayer(c.numChannels, c.embeddingSize, { kernelSize: 7, stride: 2, activation: c.hiddenAct }));
    this.pooler = this.registerModule('pooler', new nn.MaxPool2d(3, { stride: 2, padding: 1 }));
  }
  forward(pixels: Tensor): Tensor { return tidy(() => this.pooler.forward(this.embedder.forward(pixels))); }
}

/** 1x1 conv + BatchNorm on the residual when the block changes channels or stride. */
export class ResNetShortCut extends Module {
  readonly convolution: nn.Conv2d;
  readonly normalization: nn.BatchNorm2d;
  constructor(inChannels: number, outChannels: number, stride: number) {
    super();
    this.convolution = this.registerModule('convolution', new nn.Conv2d(inChannels, outChannels, 1, { stride, bias: false }));
    this.normalization = this.registerModule('normalization', new nn.BatchNorm2d(outChannels));
  }
  forward(x: Tensor): Tensor { return tidy(() => this.normalization.forward(this.convolution.forward(x))); }
}

/** A residual block: `layer` (2 convs for basic, 1x1-3x3-1x1 with reduction 4 for bottleneck) + shortcut, then the activation. */
export class ResNetResidualLayer extends Module {
  readonly shortcut: ResNetShortCut | null;
  readonly layer: nn.Sequential;
  private readonly act: (x: Tensor) => Tensor;
  constructor(kind: 'basic' | 'bottleneck', inChannels: number, outChannels: number, stride: number, activation: string) {
    super();
    const needsShortcut = inChannels !== outChannels || stride !== 1;
    this.shortcut = needsShortcut ? this.registerModule('shortcut', new ResNetShortCut(inChannels, outChannels, stride)) : null;
    if (kind === 'basic') {
      this.layer = this.registerModule('layer', new nn.Sequential(
        new ResNetConvLayer(inChannels, outChannels, { stride }),
        new ResNetConvLayer(outChannels, outChannels, { activation: null }),
      ));
    } else {
      const reduced = Math.floor(outChannels / 4);
      this.layer = this.registerModule('layer', new nn.Sequential(
        new ResNetConvLayer(inChannels, reduced, { kernelSize: 1 }),
        new ResNetConvLayer(reduced, reduced, { stride }),
        new ResNetConvLayer(reduced, outChannels, { kernelSize: 1, activation: null }),
      ));
    }
    this.act = F.getActivation(activation);
  }
  forward(x: Tensor): Tensor {
    return tidy(() => {
      const h = this.layer.forward(x);
      const residual = this.shortcut ? this.shortcut.forward(x) : x;
      return this.act(h.add(residual));
    });
  }
}

export class ResNetStage extends Module {
  readonly layers: nn.Sequential;
  constructor(c: ResNetConfig, inChannels: number, outChannels: number, stride: number, depth: number) {
    super();
    this.layers = this.registerModule('layers', new nn.Sequential(
      new ResNetResidualLayer(c.layerType, inChannels, outChannels, stride, c.hiddenAct),
      ...Array.from({ length: depth - 1 }, () => new ResNetResidualLayer(c.layerType, outChannels, outChannels, 1, c.hiddenAct)),
    ));
  }
  forward(x: Tensor): Tensor { return this.layers.forward(x); }
}

export class ResNetEncoder extends Module {
  readonly stages: ModuleList<ResNetStage>;
  constructor(c: ResNetConfig) {
    super();
    const stages = [new ResNetStage(c, c.embeddingSize, c.hiddenSizes[0]!, c.downsampleInFirstStage ? 2 : 1, c.depths[0]!)];
    for (let i = 1; i < c.hiddenSizes.length; i++) stages.push(new ResNetStage(c, c.hiddenSizes[i - 1]!, c.hiddenSizes[i]!, 2, c.depths[i]!));
    this.stages = this.registerModule('stages', new ModuleList(stages));
  }
  forward(h: Tensor, outputHiddenStates: boolean): BaseModelOutput {
    const hiddenStates: Tensor[] = [];
    let cur = h;
    for (const stage of this.stages) {
      if (outputHiddenStates) hiddenStates.push(cur);
      const next = stage.forward(cur);
      if (!outputHiddenStates && cur !== h) cur.dispose();
      cur = next;
    }
    if (outputHiddenStates) hiddenStates.push(cur);
    return { lastHiddenState: cur, hiddenStates: outputHiddenStates ? hiddenStates : undefined };
  }
}

export abstract class ResNetPreTrainedModel extends PreTrainedModel<ResNetConfig> {
  static override configClass = ResNetConfig;
  static override baseModelPrefix = 'resnet';
  readonly mainInputName = 'pixel_values';
  /** kaiming_normal(fan_out, relu) conv weights; BatchNorm weight 1, bias 0 (the Linear head keeps PyTorch's default init, as in transformers). */
  protected initModule(m: Module): void {
    if (m instanceof nn.Conv2d) nn.init.kaimingNormal_(m.weight, { mode: 'fan_out', nonlinearity: 'relu' });
    else if (m instanceof nn.BatchNorm2d) {
      if (m.weight) nn.init.ones_(m.weight);
      if (m.bias) nn.init.zeros_(m.bias);
    }
  }
  /** Keeps every BatchNorm layer's running statistics fixed while training (and, unless affine, its weight and bias). */
  freezeBatchNorm(o: { affine?: boolean } = {}): this { nn.freezeBatchNorm(this, o); return this; }
  unfreezeBatchNorm(): this { nn.unfreezeBatchNorm(this); return this; }
}

export class ResNetModel extends ResNetPreTrainedModel {
  readonly forwardArgNames: readonly string[] = PIXEL_ARGS;
  readonly embedder: ResNetEmbeddings;
  readonly encoder: ResNetEncoder;
  readonly pooler: nn.AdaptiveAvgPool2d;
  constructor(config: ResNetConfig) {
    super(config);
    this.embedder = this.registerModule('embedder', new ResNetEmbeddings(config));
    this.encoder = this.registerModule('encoder', new ResNetEncoder(config));
    this.pooler = this.registerModule('pooler', new nn.AdaptiveAvgPool2d([1, 1]));
  }
  forward(batch: ModelInputs): BaseModelOutput {
    const x = normalizeInputs(batch, this.forwardArgNames, this.constructor.name, this.config);
    return tidy(() => this.run(x, this.constructor.name));
  }
  /** last_hidden_state [B, C, H, W]; pooler_output [B, C, 1, 1] as transformers returns it. */
  run(x: NormalizedInputs, model: string): BaseModelOutput {
    const px = checkPixelValues(x.pixelValues, { model, numChannels: this.config.numChannels });
    const out = this.encoder.forward(this.embedder.forward(px), x.outputHiddenStates);
    out.poolerOutput = this.pooler.forward(out.lastHiddenState);
    return out;
  }
}

export class ResNetForImageClassification extends ResNetPreTrainedModel {
  readonly forwardArgNames: readonly string[] = [...PIXEL_ARGS, 'labels'];
  readonly resnet: ResNetModel;
  readonly classifier: nn.Sequential;
  constructor(config: ResNetConfig) {
    super(config);
    this.resnet = this.registerModule('resnet', new ResNetModel(config));
    const last = config.hiddenSizes[config.hiddenSizes.length - 1]!;
    this.classifier = this.registerModule('classifier', new nn.Sequential(new nn.Flatten(), config.numLabels > 0 ? new nn.Linear(last, config.numLabels) : new nn.Identity()));
  }
  forward(batch: ModelInputs): ModelOutput {
    const x = normalizeInputs(batch, this.forwardArgNames, this.constructor.name, this.config);
    return tidy(() => {
      const out = this.resnet.run(x, this.constructor.name);
      return imageClassifierOutput(this.config, this.classifier.forward(out.poolerOutput!), x.labels, out);
    });
  }
}

export const resnetFamily: ModelFamily = {
  modelType: 'resnet', modality: 'vision', configClass: ResNetConfig,
  auto: { AutoModel: ResNetModel, AutoModelForImageClassification: ResNetForImageClassification },
};
