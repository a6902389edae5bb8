// Vision Transformer (transformers' models/vit/modeling_vit.py): 16x16 patches by a strided conv, a
// [CLS] token, learned positions, pre-LN layers; the classifier reads the final [CLS] state.
import { Tensor, tidy, empty, cat, nn, F } from '../torch/index';
import { Module, ModuleList } from '../torch/nn/module';
import { BertPooler } from './bert';
import { PreTrainedModel } from './modeling-utils';
import { normalizeInputs, type ModelInputs, type ModelOutput, type BaseModelOutput, type NormalizedInputs } from './blocks/inputs';
import { multiHeadAttention } from './blocks/attention';
import { sequenceClassificationLoss } from './blocks/losses';
import { runLayers } from './blocks/layers';
import { PretrainedConfig, ConfigError, checkActivation, type FieldSpec } from './config';
import type { ModelFamily } from './registry';

// ---- config ----------------------------------------------------------------------------------------

export class ViTConfig extends PretrainedConfig {
  static override readonly modelType: string = 'vit';
  static override readonly fields: FieldSpec[] = [
    ['hiddenSize', 'hidden_size', 768],
    ['numHiddenLayers', 'num_hidden_layers', 12],
    ['numAttentionHeads', 'num_attention_heads', 12],
    ['intermediateSize', 'intermediate_size', 3072],
    ['hiddenAct', 'hidden_act', 'gelu'],
    ['hiddenDropoutProb', 'hidden_dropout_prob', 0.0],
    ['attentionProbsDropoutProb', 'attention_probs_dropout_prob', 0.0],
    ['initializerRange', 'initializer_range', 0.02],
    ['layerNormEps', 'layer_norm_eps', 1e-12],
    ['imageSize', 'image_size', 224],
    ['patchSize', 'patch_size', 16],
    ['numChannels', 'num_channels', 3],
    ['qkvBias', 'qkv_bias', true],
    ['encoderStride', 'encoder_stride', 16],
  ];
  declare hiddenSize: number;
  declare numHiddenLayers: number;
  declare numAttentionHeads: number;
  declare intermediateSize: number;
  declare hiddenAct: string;
  declare hiddenDropoutProb: number;
  declare attentionProbsDropoutProb: number;
  declare initializerRange: number;
  declare layerNormEps: number;
  declare imageSize: number;
  declare patchSize: number;
  declare numChannels: number;
  declare qkvBias: boolean;
  declare encoderStride: number;

  override validate(): void {
    super.validate();
    this.divisible('hidden_size', this.hiddenSize, 'num_attention_heads', this.numAttentionHeads);
    for (const [j, v] of [['num_hidden_layers', this.numHiddenLayers], ['intermediate_size', this.intermediateSize], ['image_size', this.imageSize],
      ['patch_size', this.patchSize], ['num_channels', this.numChannels]] as const) this.positive(j, v);
    if (this.imageSize % this.patchSize !== 0) {
      throw new ConfigError(`image_size (${this.imageSize}) is not a multiple of patch_size (${this.patchSize})`);
    }
    this.probability('hidden_dropout_prob', this.hiddenDropoutProb);
    this.probability('attention_probs_dropout_prob', this.attentionProbsDropoutProb);
    checkActivation('hidden_act', this.hiddenAct);
  }
}

export class ViTPatchEmbeddings extends Module {
  readonly projection: nn.Conv2d;
  constructor(readonly c: ViTConfig) {
    super();
    this.projection = this.registerModule('projection', new nn.Conv2d(c.numChannels, c.hiddenSize, c.patchSize, { stride: c.patchSize }));
  }
  /** [B, C, H, W] -> [B, patches, hidden] */
  forward(pixels: Tensor): Tensor {
    const [, ch, h, w] = pixels.shape as [number, number, number, number];
    if (pixels.ndim !== 4) throw new Error(`pixel_values must be [batch, channels, height, width], got shape [${pixels.shape.join(', ')}]`);
    if (ch !== this.c.numChannels) throw new Error(`pixel_values have ${ch} channels but the model expects num_channels=${this.c.numChannels}`);
    if (h !== this.c.imageSize || w !== this.c.imageSize) {
      throw new Error(`input image size (${h}*${w}) doesn't match the model (${this.c.imageSize}*${this.c.imageSize}): resize the images with the model's image processor`);
    }
    return tidy(() => this.projection.forward(pixels).flatten(2).transpose(1, 2));
  }
}

export class ViTEmbeddings extends Module {
  readonly clsToken: Tensor;
  readonly patchEmbeddings: ViTPatchEmbeddings;
  readonly positionEmbeddings: Tensor;
  readonly dropout: nn.Dropout;
  constructor(c: ViTConfig) {
    super();
    const numPatches = (c.imageSize / c.patchSize) ** 2;
    this.clsToken = this.registerParameter('cls_token', empty([1, 1, c.hiddenSize]));
    this.patchEmbeddings = this.registerModule('patch_embeddings', new ViTPatchEmbeddings(c));
    this.positionEmbeddings = this.registerParameter('position_embeddings', empty([1, numPatches + 1, c.hiddenSize]));
    this.dropout = this.registerModule('dropout', new nn.Dropout(c.hiddenDropoutProb));
  }
  forward(pixels: Tensor): Tensor {
    return tidy(() => {
      const patches = this.patchEmbeddings.forward(pixels.dtype === this.clsToken.dtype ? pixels : pixels.to(this.clsToken.dtype));
      const cls = this.clsToken.expand(patches.shape[0]!, -1, -1);
      return this.dropout.forward(cat([cls, patches], 1).add(this.positionEmbeddings));
    });
  }
}

export class ViTSelfAttention extends Module {
  readonly query: nn.Linear;
  readonly key: nn.Linear;
  readonly value: nn.Linear;
  constructor(readonly c: ViTConfig) {
    super();
    const o = { bias: c.qkvBias };
    this.query = this.registerModule('query', new nn.Linear(c.hiddenSize, c.hiddenSize, o));
    this.key = this.registerModule('key', new nn.Linear(c.hiddenSize, c.hiddenSize, o));
    this.value = this.registerModule('value', new nn.Linear(c.hiddenSize, c.hiddenSize, o));
  }
  forward(h: Tensor, needWeights: boolean): { context: Tensor; probs: Tensor | null } {
    return tidy(() => multiHeadAttention(this.query.forward(h), this.key.forward(h), this.value.forward(h), this.c.numAttentionHeads, null,
      this.training ? this.c.attentionProbsDropoutProb : 0, needWeights, this.c.attnImplementation));
  }
}

/** dense -> dropout (the residual is added by the layer). */
export class ViTDenseDropout extends Module {
  readonly dense: nn.Linear;
  readonly dropout: nn.Dropout;
  constructor(c: ViTConfig, inSize: number) {
    super();
    this.dense = this.registerModule('dense', new nn.Linear(inSize, c.hiddenSize));
    this.dropout = this.registerModule('dropout', new nn.Dropout(c.hiddenDropoutProb));
  }
  forward(h: Tensor): Tensor { return tidy(() => this.dropout.forward(this.dense.forward(h))); }
}

export class ViTAttention extends Module {
  readonly attention: ViTSelfAttention;
  readonly output: ViTDenseDropout;
  constructor(c: ViTConfig) {
    super();
    this.attention = this.registerModule('attention', new ViTSelfAttention(c));
    this.output = this.registerModule('output', new ViTDenseDropout(c, c.hiddenSize));
  }
  forward(h: Tensor, needWeights: boolean): { output: Tensor; probs: Tensor | null } {
    return tidy(() => {
      const { context, probs } = this.attention.forward(h, needWeights);
      return { output: this.output.forward(context), probs };
    });
  }
}

export class ViTIntermediate extends Module {
  readonly dense: nn.Linear;
  private readonly act: (x: Tensor) => Tensor;
  constructor(c: ViTConfig) {
    super();
    this.dense = this.registerModule('dense', new nn.Linear(c.hiddenSize, c.intermediateSize));
    this.act = F.getActivation(c.hiddenAct);
  }
  forward(h: Tensor): Tensor { return tidy(() => this.act(this.dense.forward(h))); }
}

/** Pre-LN block: x + attn(LN(x)), then h + mlp(LN(h)). */
export class ViTLayer extends Module {
  readonly attention: ViTAttention;
  readonly intermediate: ViTIntermediate;
  readonly output: ViTDenseDropout;
  readonly layernormBefore: nn.LayerNorm;
  readonly layernormAfter: nn.LayerNorm;
  constructor(c: ViTConfig) {
    super();
    this.attention = this.registerModule('attention', new ViTAttention(c));
    this.intermediate = this.registerModule('intermediate', new ViTIntermediate(c));
    this.output = this.registerModule('output', new ViTDenseDropout(c, c.intermediateSize));
    this.layernormBefore = this.registerModule('layernorm_before', new nn.LayerNorm(c.hiddenSize, c.layerNormEps));
    this.layernormAfter = this.registerModule('layernorm_after', new nn.LayerNorm(c.hiddenSize, c.layerNormEps));
  }
  forward(x: Tensor, needWeights: boolean): { hidden: Tensor; probs: Tensor | null } {
    return tidy(() => {
      const a = this.attention.forward(this.layernormBefore.forward(x), needWeights);
      const h = a.output.add(x);
      const hidden = this.output.forward(this.intermediate.forward(this.layernormAfter.forward(h))).add(h);
      return { hidden, probs: a.probs };
    });
  }
}

export class ViTEncoder extends Module {
  readonly layer: ModuleList<ViTLayer>;
  constructor(c: ViTConfig) {
    super();
    this.layer = this.registerModule('layer', new ModuleList(Array.from({ length: c.numHiddenLayers }, () => new ViTLayer(c))));
  }
  forward(h: Tensor, outputHiddenStates: boolean, outputAttentions: boolean): BaseModelOutput {
    return runLayers(this.layer, h, { outputHiddenStates, outputAttentions });
  }
}

const IMAGE_ARGS = ['pixel_values', 'output_attentions', 'output_hidden_states'] as const;

export abstract class ViTPreTrainedModel extends PreTrainedModel<ViTConfig> {
  static override configClass = ViTConfig;
  static override baseModelPrefix = 'vit';
  readonly mainInputName = 'pixel_values';
  /** trunc_normal(0, initializer_range) for Linear/Conv weights, [CLS] and positions; zero biases; LayerNorm ones/zeros. */
  protected initModule(m: Module): void {
    const std = this.config.initializerRange;
    if (m instanceof nn.Linear || m instanceof nn.Conv2d) {
      nn.init.truncNormal_(m.weight, 0, std);
      if (m.bias) nn.init.zeros_(m.bias);
    } else if (m instanceof nn.LayerNorm) {
      nn.init.ones_(m.weight);
      nn.init.zeros_(m.bias);
    } else if (m instanceof ViTEmbeddings) {
      nn.init.truncNormal_(m.positionEmbeddings, 0, std);
      nn.init.truncNormal_(m.clsToken, 0, std);
    }
  }
}

export class ViTModel extends ViTPreTrainedModel {
  readonly forwardArgNames: readonly string[] = IMAGE_ARGS;
  readonly embeddings: ViTEmbeddings;
  readonly encoder: ViTEncoder;
  readonly layernorm: nn.LayerNorm;
  readonly pooler: BertPooler | null;
  constructor(config: ViTConfig, o: { addPoolingLayer?: boolean } = {}) {
    super(config);
    this.embeddings = this.registerModule('embeddings', new ViTEmbeddings(config));
    this.encoder = this.registerModule('encoder', new ViTEncoder(config));
    this.layernorm = this.registerModule('layernorm', new nn.LayerNorm(config.hiddenSize, config.layerNormEps));
    this.pooler = o.addPoolingLayer === false ? null : this.registerModule('pooler', new BertPooler(config));
  }
  forward(batch: ModelInputs): BaseModelOutput {
    const x = normalizeInputs(batch, this.forwardArgNames, this.constructor.name, this.config);
    return tidy(() => this.run(x));
  }
  run(x: NormalizedInputs): BaseModelOutput {
    if (!x.pixelValues) throw new Error(`${this.constructor.name}.forward needs pixelValues (pixel_values)`);
    const emb = this.embeddings.forward(x.pixelValues);
    const out = this.encoder.forward(emb, x.outputHiddenStates, x.outputAttentions);
    const last = this.layernorm.forward(out.lastHiddenState);
    if (!x.outputHiddenStates) out.lastHiddenState.dispose();
    out.lastHiddenState = last;
    if (this.pooler) out.poolerOutput = this.pooler.forward(last);
    return out;
  }
}

export class ViTForImageClassification extends ViTPreTrainedModel {
  readonly forwardArgNames: readonly string[] = [...IMAGE_ARGS, 'labels'];
  readonly vit: ViTModel;
  readonly classifier: nn.Linear | null;
  constructor(config: ViTConfig) {
    super(config);
    this.vit = this.registerModule('vit', new ViTModel(config, { addPoolingLayer: false }));
    this.classifier = config.numLabels > 0 ? this.registerModule('classifier', new nn.Linear(config.hiddenSize, config.numLabels)) : null;
  }
  forward(batch: ModelInputs): ModelOutput {
    const x = normalizeInputs(batch, this.forwardArgNames, this.constructor.name, this.config);
    return tidy(() => {
      const out = this.vit.run(x);
      const cls = out.lastHiddenState.select(1, 0);
      const logits = this.classifier ? this.classifier.forward(cls) : cls;
      const loss = x.labels ? sequenceClassificationLoss(this.config, logits, x.labels) : undefined;
      return { loss, logits, hiddenStates: out.hiddenStates, attentions: out.attentions };
    });
  }
}

export const vitFamily: ModelFamily = {
  modelType: 'vit', modality: 'vision', configClass: ViTConfig,
  auto: { AutoModel: ViTModel, AutoModelForImageClassification: ViTForImageClassification },
};
