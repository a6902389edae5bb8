// DeiT (transformers' models/deit/modeling_deit.py): ViT's encoder with a distillation token beside
// [CLS]. DeiTForImageClassification reads [CLS]; DeiTForImageClassificationWithTeacher (inference
// only in transformers 4.29) averages a [CLS] head and a distillation-token head.
import { Tensor, tidy, zeros, cat, nn } from '../torch/index';
import { Module } from '../torch/nn/module';
import { BertPooler } from './bert';
import { ViTConfig, ViTEncoder, ViTPatchEmbeddings } from './vit';
import { PreTrainedModel } from './modeling-utils';
import { normalizeInputs, type ModelInputs, type ModelOutput, type BaseModelOutput, type NormalizedInputs } from './blocks/inputs';
import { PIXEL_ATTENTION_ARGS, checkPixelValues, imageClassifierOutput } from './blocks/vision';
import type { ModelFamily } from './registry';

/** DeiT's config.json has ViT's fields and defaults. */
export class DeiTConfig extends ViTConfig {
  static override readonly modelType: string = 'deit';
}

export class DeiTEmbeddings extends Module {
  readonly clsToken: Tensor;
  readonly distillationToken: Tensor;
  readonly patchEmbeddings: ViTPatchEmbeddings;
  readonly positionEmbeddings: Tensor;
  readonly dropout: nn.Dropout;
  constructor(c: DeiTConfig) {
    super();
    const numPatches = (c.imageSize / c.patchSize) ** 2;
    this.clsToken = this.registerParameter('cls_token', zeros([1, 1, c.hiddenSize]));
    this.distillationToken = this.registerParameter('distillation_token', zeros([1, 1, c.hiddenSize]));
    this.patchEmbeddings = this.registerModule('patch_embeddings', new ViTPatchEmbeddings(c));
    this.positionEmbeddings = this.registerParameter('position_embeddings', zeros([1, numPatches + 2, c.hiddenSize]));
    this.dropout = this.registerModule('dropout', new nn.Dropout(c.hiddenDropoutProb));
  }
  forward(pixels: Tensor): Tensor {
    return tidy(() => {
      const patches = this.patchEmbeddings.forward(pixels);
      const b = patches.shape[0]!;
      const x = cat([this.clsToken.expand(b, -1, -1), this.distillationToken.expand(b, -1, -1), patches], 1);
      return this.dropout.forward(x.add(this.positionEmbeddings));
    });
  }
}

export abstract class DeiTPreTrainedModel extends PreTrainedModel<DeiTConfig> {
  static override configClass = DeiTConfig;
  static override baseModelPrefix = 'deit';
  readonly mainInputName = 'pixel_values';
  /** trunc_normal(0, initializer_range) for Linear/Conv weights, zero biases, LayerNorm ones/zeros; the tokens stay zero. */
  protected initModule(m: Module): void {
    if (m instanceof nn.Linear || m instanceof nn.Conv2d) {
      nn.init.truncNormal_(m.weight, 0, this.config.initializerRange);
      if (m.bias) nn.init.zeros_(m.bias);
    } else if (m instanceof nn.LayerNorm) {
      nn.init.ones_(m.weight);
      nn.init.zeros_(m.bias);
    }
  }
}

export class DeiTModel extends DeiTPreTrainedModel {
  readonly forwardArgNames: readonly string[] = PIXEL_ATTENTION_ARGS;
  readonly embeddings: DeiTEmbeddings;
  readonly encoder: ViTEncoder;
  readonly layernorm: nn.LayerNorm;
  readonly pooler: BertPooler | null;
  constructor(config: DeiTConfig, o: { addPoolingLayer?: boolean } = {}) {
    super(config);
    this.embeddings = this.registerModule('embeddings', new DeiTEmbeddings(config));
    this.encoder = this.registerModule('encoder', new ViTEncoder(config));
    this.layernorm = this.registerModule('layernorm', new nn.LayerNorm(config.hiddenSize, config.layerNormEps));
    this.pooler = o.addPoolingLayer === false ? null : this.registerModule('pooler', new BertPooler(config));
  }
  forward(batch: ModelInputs): BaseModelOutput {
    const x = normalizeInputs(batch, this.forwardArgNames, this.constructor.name, this.config);
    return tidy(() => this.run(x, this.constructor.name));
  }
  run(x: NormalizedInputs, model: string): BaseModelOutput {
    const c = this.config;
    let px = checkPixelValues(x.pixelValues, { model, numChannels: c.numChannels });
    const w = this.embeddings.patchEmbeddings.projection.weight;
    if (px.dtype !== w.dtype) px = px.to(w.dtype);
    const out = this.encoder.forward(this.embeddings.forward(px), x.outputHiddenStates, x.outputAttentions);
    const last = this.layernorm.forward(out.lastHiddenState);
    if (!x.outputHiddenStates) out.lastHiddenState.dispose();
    out.lastHiddenState = last;
    if (this.pooler) out.poolerOutput = this.pooler.forward(last);
    return out;
  }
}

export class DeiTForImageClassification extends DeiTPreTrainedModel {
  readonly forwardArgNames: readonly string[] = [...PIXEL_ATTENTION_ARGS, 'labels'];
  readonly deit: DeiTModel;
  readonly classifier: nn.Linear | null;
  constructor(config: DeiTConfig) {
    super(config);
    this.deit = this.registerModule('deit', new DeiTModel(config, { addPoolingLayer: false }));
    this.classifier = config.numLabels > 0 ? this.registerModule('classifier', new nn.Linear(config.hiddenSize, config.numLabels)) : null;
  }
  forward(batch: ModelInputs): ModelOutput {
    const x = normalizeInputs(batch, this.forwardArgNames, this.constructor.name, this.config);
    return tidy(() => {
      const out = this.deit.run(x, this.constructor.name);
      const cls = out.lastHiddenState.select(1, 0);
      const logits = this.classifier ? this.classifier.forward(cls) : cls;
      return imageClassifierOutput(this.config, logits, x.labels, out);
    });
  }
}

export interface DeiTWithTeacherOutput extends ModelOutput {
  /** The [CLS] head's logits. */
  clsLogits: Tensor;
  /** The distillation-token head's logits. */
  distillationLogits: Tensor;
}

/** Inference only, as in transformers 4.29: logits = (cls_logits + distillation_logits) / 2; no labels, no loss. */
export class DeiTForImageClassificationWithTeacher extends DeiTPreTrainedModel {
  readonly forwardArgNames: readonly string[] = PIXEL_ATTENTION_ARGS;
  readonly deit: DeiTModel;
  readonly clsClassifier: nn.Linear | null;
  readonly distillationClassifier: nn.Linear | null;
  constructor(config: DeiTConfig) {
    super(config);
    this.deit = this.registerModule('deit', new DeiTModel(config, { addPoolingLayer: false }));
    const head = () => (config.numLabels > 0 ? new nn.Linear(config.hiddenSize, config.numLabels) : null);
    this.clsClassifier = this.registerModule('cls_classifier', head());
    this.distillationClassifier = this.registerModule('distillation_classifier', head());
  }
  forward(batch: ModelInputs): DeiTWithTeacherOutput {
    if (batch && typeof batch === 'object' && (batch as Record<string, unknown>).labels !== undefined) {
      throw new TypeError('DeiTForImageClassificationWithTeacher is inference only (transformers 4.29 takes no labels): fine-tune DeiTForImageClassification instead');
    }
    const x = normalizeInputs(batch, this.forwardArgNames, this.constructor.name, this.config);
    return tidy(() => {
      const out = this.deit.run(x, this.constructor.name);
      const pick = (i: number, head: nn.Linear | null) => { const t = out.lastHiddenState.select(1, i); return head ? head.forward(t) : t; };
      const clsLogits = pick(0, this.clsClassifier);
      const distillationLogits = pick(1, this.distillationClassifier);
      const logits = clsLogits.add(distillationLogits).div(2);
      return { logits, clsLogits, distillationLogits, hiddenStates: out.hiddenStates, attentions: out.attentions };
    });
  }
}

export const deitFamily: ModelFamily = {
  modelType: 'deit', modality: 'vision', configClass: DeiTConfig,
  auto: { AutoModel: DeiTModel, AutoModelForImageClassification: DeiTForImageClassification },
  // as transformers' (DeiTForImageClassification, DeiTForImageClassificationWithTeacher) entry: the teacher class when config.json names it
  alsoPicks: { AutoModelForImageClassification: [DeiTForImageClassificationWithTeacher] },
};
