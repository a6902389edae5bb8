// BEiT (transformers' models/beit/modeling_beit.py): a ViT-like pre-LN encoder with a learned
// relative position bias (per layer, or shared), layer scale (lambda_1, lambda_2), stochastic depth,
// a key projection without bias, and mean pooling of the patch tokens + LayerNorm for classification.
import { Tensor, tidy, zeros, ones, cat, tensor, nn, F } from '../torch/index';
import { Module, ModuleList } from '../torch/nn/module';
import { PreTrainedModel } from './modeling-utils';
import { normalizeInputs, type ModelInputs, type ModelOutput, type BaseModelOutput, type NormalizedInputs } from './blocks/inputs';
import { multiHeadAttention } from './blocks/attention';
import { runLayers } from './blocks/layers';
import { PIXEL_ATTENTION_ARGS, DropPath, PatchEmbeddings, dropPathRates, checkPixelValues, imageClassifierOutput, relativePositionIndex } from './blocks/vision';
import { PretrainedConfig, ConfigError, checkActivation, type FieldSpec } from './config';
import type { ModelFamily } from './registry';

export class BeitConfig extends PretrainedConfig {
  static override readonly modelType: string = 'beit';
  static override readonly fields: FieldSpec[] = [
    ['vocabSize', 'vocab_size', 8192],
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
    ['useMaskToken', 'use_mask_token', false],
    ['useAbsolutePositionEmbeddings', 'use_absolute_position_embeddings', false],
    ['useRelativePositionBias', 'use_relative_position_bias', false],
    ['useSharedRelativePositionBias', 'use_shared_relative_position_bias', false],
    ['layerScaleInitValue', 'layer_scale_init_value', 0.1],
    ['dropPathRate', 'drop_path_rate', 0.1],
    ['useMeanPooling', 'use_mean_pooling', true],
    ['outIndices', 'out_indices', [3, 5, 7, 11]],
    ['poolScales', 'pool_scales', [1, 2, 3, 6]],
    ['useAuxiliaryHead', 'use_auxiliary_head', true],
    ['auxiliaryLossWeight', 'auxiliary_loss_weight', 0.4],
    ['auxiliaryChannels', 'auxiliary_channels', 256],
    ['auxiliaryNumConvs', 'auxiliary_num_convs', 1],
    ['auxiliaryConcatInput', 'auxiliary_concat_input', false],
    ['semanticLossIgnoreIndex', 'semantic_loss_ignore_index', 255],
  ];
  declare vocabSize: number;
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
  declare useMaskToken: boolean;
  declare useAbsolutePositionEmbeddings: boolean;
  declare useRelativePositionBias: boolean;
  declare useSharedRelativePositionBias: boolean;
  declare layerScaleInitValue: number;
  declare dropPathRate: number;
  declare useMeanPooling: boolean;

  override validate(): void {
    super.validate();
    this.divisible('hidden_size', this.hiddenSize, 'num_attention_heads', this.numAttentionHeads);
    for (const [j, v] of [['num_hidden_layers', this.numHiddenLayers], ['intermediate_size', this.intermediateSize], ['image_size', this.imageSize],
      ['patch_size', this.patchSize], ['num_channels', this.numChannels]] as const) this.positive(j, v);
    if (this.imageSize % this.patchSize !== 0) throw new ConfigError(`image_size (${this.imageSize}) is not a multiple of patch_size (${this.patchSize})`);
    this.probability('hidden_dropout_prob', this.hiddenDropoutProb);
    this.probability('attention_probs_dropout_prob', this.attentionProbsDropoutProb);
    this.probability('drop_path_rate', this.dropPathRate);
    checkActivation('hidden_act', this.hiddenAct);
  }
  /** The patch grid (window of the relative position bias). */
  get patchGrid(): number { return this.imageSize / this.patchSize; }
}

export class BeitEmbeddings extends Module {
  readonly clsToken: Tensor;
  readonly maskToken: Tensor | null;
  readonly patchEmbeddings: PatchEmbeddings;
  readonly positionEmbeddings: Tensor | null;
  readonly dropout: nn.Dropout;
  constructor(c: BeitConfig) {
    super();
    this.clsToken = this.registerParameter('cls_token', zeros([1, 1, c.hiddenSize]));
    this.maskToken = c.useMaskToken ? this.registerParameter('mask_token', zeros([1, 1, c.hiddenSize])) : null;
    this.patchEmbeddings = this.registerModule('patch_embeddings', new PatchEmbeddings({ numChannels: c.numChannels, hiddenSize: c.hiddenSize, patchSize: c.patchSize, imageSize: c.imageSize, model: 'BeitModel' }));
    this.positionEmbeddings = c.useAbsolutePositionEmbeddings ? this.registerParameter('position_embeddings', zeros([1, this.patchEmbeddings.numPatches + 1, c.hiddenSize])) : null;
    this.dropout = this.registerModule('dropout', new nn.Dropout(c.hiddenDropoutProb));
  }
  forward(pixels: Tensor): Tensor {
    return tidy(() => {
      const patches = this.patchEmbeddings.forward(pixels);
      let x = cat([this.clsToken.expand(patches.shape[0]!, -1, -1), patches], 1);
      if (this.positionEmbeddings) x = x.add(this.positionEmbeddings);
      return this.dropout.forward(x);
    });
  }
}

/** A learned bias per head for every pair of positions: patch pairs by offset, plus [CLS]-to-patch, patch-to-[CLS], [CLS]-to-[CLS]. */
export class BeitRelativePositionBias extends Module {
  readonly relativePositionBiasTable: Tensor;
  readonly relativePositionIndex: Tensor;
  readonly numRelativeDistance: number;
  constructor(c: BeitConfig, readonly grid: number) {
    super();
    this.numRelativeDistance = (2 * grid - 1) ** 2 + 3;
    this.relativePositionBiasTable = this.registerParameter('relative_position_bias_table', zeros([this.numRelativeDistance, c.numAttentionHeads]));
    const nrd = this.numRelativeDistance;
    // the patch pairs' offsets, then row 0 ([CLS] -> patch), column 0 (patch -> [CLS]) and [0, 0]
    const inner = relativePositionIndex(grid, grid);
    const rows = inner.toArray() as number[][];
    inner.dispose();
    const n = grid * grid;
    const index = [[nrd - 1, ...new Array<number>(n).fill(nrd - 3)], ...rows.map((r) => [nrd - 2, ...r])];
    this.relativePositionIndex = this.registerBuffer('relative_position_index', tensor(index, { dtype: 'int64' }));
  }
  /** [heads, L, L] with L = patches + 1. */
  forward(): Tensor {
    const n = this.grid * this.grid + 1;
    return tidy(() => this.relativePositionBiasTable.index([this.relativePositionIndex.view(-1)]).view(n, n, -1).permute(2, 0, 1).contiguous());
  }
}

export class BeitSelfAttention extends Module {
  readonly query: nn.Linear;
  readonly key: nn.Linear;
  readonly value: nn.Linear;
  readonly relativePositionBias: BeitRelativePositionBias | null;
  constructor(readonly c: BeitConfig, withBias: boolean) {
    super();
    this.query = this.registerModule('query', new nn.Linear(c.hiddenSize, c.hiddenSize));
    this.key = this.registerModule('key', new nn.Linear(c.hiddenSize, c.hiddenSize, { bias: false }));
    this.value = this.registerModule('value', new nn.Linear(c.hiddenSize, c.hiddenSize));
    this.relativePositionBias = withBias ? this.registerModule('relative_position_bias', new BeitRelativePositionBias(c, c.patchGrid)) : null;
  }
  forward(h: Tensor, sharedBias: Tensor | null, needWeights: boolean): { context: Tensor; probs: Tensor | null } {
    return tidy(() => {
      // scores / sqrt(d) + bias [1, heads, L, L], as transformers adds it
      let bias: Tensor | null = this.relativePositionBias ? this.relativePositionBias.forward().unsqueeze(0) : null;
      if (sharedBias) bias = bias ? bias.add(sharedBias) : sharedBias;
      return multiHeadAttention(this.query.forward(h), this.key.forward(h), this.value.forward(h), this.c.numAttentionHeads, bias,
        this.training ? this.c.attentionProbsDropoutProb : 0, needWeights, this.c.attnImplementation);
    });
  }
}

/** dense -> dropout. */
export class BeitDenseDropout extends Module {
  readonly dense: nn.Linear;
  readonly dropout: nn.Dropout;
  constructor(c: BeitConfig, inSize: number) {
    super();
    this.dense = this.registerModule('dense', new nn.Linear(inSize, c.hiddenSize));
    this.dropout = this.registerModule('dropout', new nn.Dropout(c.hiddenDropoutProb));
  }
  forward(h: Tensor): Tensor { return tidy(() => this.dropout.forward(this.dense.forward(h))); }
}

export class BeitAttention extends Module {
  readonly attention: BeitSelfAttention;
  readonly output: BeitDenseDropout;
  constructor(c: BeitConfig, withBias: boolean) {
    super();
    this.attention = this.registerModule('attention', new BeitSelfAttention(c, withBias));
    this.output = this.registerModule('output', new BeitDenseDropout(c, c.hiddenSize));
  }
}

export class BeitIntermediate extends Module {
  readonly dense: nn.Linear;
  private readonly act: (x: Tensor) => Tensor;
  constructor(c: BeitConfig) {
    super();
    this.dense = this.registerModule('dense', new nn.Linear(c.hiddenSize, c.intermediateSize));
    this.act = F.getActivation(c.hiddenAct);
  }
  forward(h: Tensor): Tensor { return tidy(() => this.act(this.dense.forward(h))); }
}

/** x + drop_path(λ1 · attn(LN(x))), then h + drop_path(λ2 · mlp(LN(h))). */
export class BeitLayer extends Module {
  readonly attention: BeitAttention;
  readonly intermediate: BeitIntermediate;
  readonly output: BeitDenseDropout;
  readonly layernormBefore: nn.LayerNorm;
  readonly dropPath: DropPath | null;
  readonly layernormAfter: nn.LayerNorm;
  readonly lambda1: Tensor | null;
  readonly lambda2: Tensor | null;
  constructor(c: BeitConfig, withBias: boolean, dropPathRate: number) {
    super();
    this.attention = this.registerModule('attention', new BeitAttention(c, withBias));
    this.intermediate = this.registerModule('intermediate', new BeitIntermediate(c));
    this.output = this.registerModule('output', new BeitDenseDropout(c, c.intermediateSize));
    this.layernormBefore = this.registerModule('layernorm_before', new nn.LayerNorm(c.hiddenSize, c.layerNormEps));
    this.dropPath = dropPathRate > 0 ? this.registerModule('drop_path', new DropPath(dropPathRate)) : null;
    this.layernormAfter = this.registerModule('layernorm_after', new nn.LayerNorm(c.hiddenSize, c.layerNormEps));
    const scale = c.layerScaleInitValue;
    this.lambda1 = scale > 0 ? this.registerParameter('lambda_1', ones([c.hiddenSize]).mul_(scale)) : null;
    this.lambda2 = scale > 0 ? this.registerParameter('lambda_2', ones([c.hiddenSize]).mul_(scale)) : null;
  }
  forward(x: Tensor, sharedBias: Tensor | null, needWeights: boolean): { hidden: Tensor; probs: Tensor | null } {
    return tidy(() => {
      const drop = (t: Tensor) => (this.dropPath ? this.dropPath.forward(t) : t);
      const { context, probs } = this.attention.attention.forward(this.layernormBefore.forward(x), sharedBias, needWeights);
      let a = this.attention.output.forward(context);
      if (this.lambda1) a = this.lambda1.mul(a);
      const h = drop(a).add(x);
      let m = this.output.forward(this.intermediate.forward(this.layernormAfter.forward(h)));
      if (this.lambda2) m = this.lambda2.mul(m);
      return { hidden: drop(m).add(h), probs };
    });
  }
}

export class BeitEncoder extends Module {
  readonly relativePositionBias: BeitRelativePositionBias | null;
  readonly layer: ModuleList<BeitLayer>;
  constructor(c: BeitConfig) {
    super();
    this.relativePositionBias = c.useSharedRelativePositionBias ? this.registerModule('relative_position_bias', new BeitRelativePositionBias(c, c.patchGrid)) : null;
    const rates = dropPathRates(c.dropPathRate, c.numHiddenLayers);
    this.layer = this.registerModule('layer', new ModuleList(Array.from({ length: c.numHiddenLayers }, (_, i) => new BeitLayer(c, c.useRelativePositionBias, rates[i]!))));
  }
  forward(h: Tensor, outputHiddenStates: boolean, outputAttentions: boolean): BaseModelOutput {
    return tidy(() => {
      const shared = this.relativePositionBias ? this.relativePositionBias.forward() : null;
      return runLayers(this.layer, h, { outputHiddenStates, outputAttentions, args: [shared] });
    });
  }
}

export abstract class BeitPreTrainedModel extends PreTrainedModel<BeitConfig> {
  static override configClass = BeitConfig;
  static override baseModelPrefix = 'beit';
  readonly mainInputName = 'pixel_values';
  /** normal(0, initializer_range) Linear/Conv weights, zero biases, LayerNorm ones/zeros; tokens and bias tables stay zero. */
  protected initModule(m: Module): void {
    if (m instanceof nn.Linear || m instanceof nn.Conv2d || m instanceof nn.Embedding) {
      nn.init.normal_(m.weight, 0, this.config.initializerRange);
      if (!(m instanceof nn.Embedding) && m.bias) nn.init.zeros_(m.bias);
    } else if (m instanceof nn.LayerNorm) {
      nn.init.ones_(m.weight);
      nn.init.zeros_(m.bias);
    }
  }
}

/** Mean of the patch tokens + LayerNorm (use_mean_pooling), else the [CLS] state. */
export class BeitPooler extends Module {
  readonly layernorm: nn.LayerNorm | null;
  constructor(c: BeitConfig) {
    super();
    this.layernorm = c.useMeanPooling ? this.registerModule('layernorm', new nn.LayerNorm(c.hiddenSize, c.layerNormEps)) : null;
  }
  forward(h: Tensor): Tensor {
    return tidy(() => (this.layernorm ? this.layernorm.forward(h.slice(1, 1).mean(1)) : h.select(1, 0)));
  }
}

export class BeitModel extends BeitPreTrainedModel {
  readonly forwardArgNames: readonly string[] = PIXEL_ATTENTION_ARGS;
  readonly embeddings: BeitEmbeddings;
  readonly encoder: BeitEncoder;
  readonly layernorm: nn.LayerNorm | null;
  readonly pooler: BeitPooler | null;
  constructor(config: BeitConfig, o: { addPoolingLayer?: boolean } = {}) {
    super(config);
    this.embeddings = this.registerModule('embeddings', new BeitEmbeddings(config));
    this.encoder = this.registerModule('encoder', new BeitEncoder(config));
    this.layernorm = config.useMeanPooling ? null : this.registerModule('layernorm', new nn.LayerNorm(config.hiddenSize, config.layerNormEps));
    this.pooler = o.addPoolingLayer === false ? null : this.registerModule('pooler', new BeitPooler(config));
  }
  forward(batch: ModelInputs): BaseModelOutput {
    const x = normalizeInputs(batch, this.forwardArgNames, this.constructor.name, this.config);
    return tidy(() => this.run(x, this.constructor.name));
  }
  run(x: NormalizedInputs, model: string): BaseModelOutput {
    const px = checkPixelValues(x.pixelValues, { model, numChannels: this.config.numChannels, imageSize: [this.config.imageSize, this.config.imageSize] });
    const out = this.encoder.forward(this.embeddings.forward(px), x.outputHiddenStates, x.outputAttentions);
    if (this.layernorm) {
      const last = this.layernorm.forward(out.lastHiddenState);
      if (!x.outputHiddenStates) out.lastHiddenState.dispose();
      out.lastHiddenState = last;
    }
    if (this.pooler) out.poolerOutput = this.pooler.forward(out.lastHiddenState);
    return out;
  }
}

export class BeitForImageClassification extends BeitPreTrainedModel {
  readonly forwardArgNames: readonly string[] = [...PIXEL_ATTENTION_ARGS, 'labels'];
  readonly beit: BeitModel;
  readonly classifier: nn.Linear | null;
  constructor(config: BeitConfig) {
    super(config);
    this.beit = this.registerModule('beit', new BeitModel(config));
    this.classifier = config.numLabels > 0 ? this.registerModule('classifier', new nn.Linear(config.hiddenSize, config.numLabels)) : null;
  }
  forward(batch: ModelInputs): ModelOutput {
    const x = normalizeInputs(batch, this.forwardArgNames, this.constructor.name, this.config);
    return tidy(() => {
      const out = this.beit.run(x, this.constructor.name);
      const logits = this.classifier ? this.classifier.forward(out.poolerOutput!) : out.poolerOutput!;
      return imageClassifierOutput(this.config, logits, x.labels, out);
    });
  }
}

export const beitFamily: ModelFamily = {
  modelType: 'beit', modality: 'vision', configClass: BeitConfig,
  auto: { AutoModel: BeitModel, AutoModelForImageClassification: BeitForImageClassification },
};
