// CLIP's model classes: CLIPModel (both towers, projections, logits, contrastive loss), the towers
// alone (CLIPTextModel, CLIPVisionModel) and with their projection (image_embeds / text_embeds).
import { Tensor, tidy, arange, ones, nn, F } from '../../torch/index';
import type { Module } from '../../torch/nn/module';
import { normalizeInputs, type ModelInputs, type BaseModelOutput } from '../blocks/inputs';
import { CLIPConfig, CLIPTextConfig, CLIPVisionConfig } from './config';
import { CLIPPreTrainedModel, CLIPTextTransformer, CLIPVisionTransformer, CLIP_TEXT_ARGS, CLIP_VISION_ARGS, type CLIPTowerOutput } from './modeling';

/** transformers' clip_loss: (CE(logits_per_text, arange) + CE(logits_per_text.T, arange)) / 2. */
export function clipLoss(logitsPerText: Tensor): Tensor {
  return tidy(() => {
    const n = logitsPerText.shape[0]!;
    if (logitsPerText.shape[1] !== n) {
      throw new Error(`the contrastive loss needs as many texts as images (pairs), got ${n} texts and ${logitsPerText.shape[1]} images`);
    }
    const target = arange(0, n, 1, { dtype: 'int64', device: logitsPerText.device });
    const caption = F.crossEntropy(logitsPerText, target);
    const image = F.crossEntropy(logitsPerText.t(), target);
    return caption.add(image).div(2.0);
  });
}

export class CLIPTextModel extends CLIPPreTrainedModel<CLIPTextConfig> {
  static override configClass = CLIPTextConfig;
  readonly mainInputName = 'input_ids';
  readonly forwardArgNames: readonly string[] = CLIP_TEXT_ARGS;
  readonly textModel: CLIPTextTransformer;
  constructor(config: CLIPTextConfig) {
    super(config);
    this.textModel = this.registerModule('text_model', new CLIPTextTransformer(config));
  }
  forward(batch: ModelInputs): CLIPTowerOutput {
    const x = normalizeInputs(batch, this.forwardArgNames, this.constructor.name, this.config);
    return tidy(() => this.textModel.run(x));
  }
}

export interface CLIPTextModelOutput extends BaseModelOutput { textEmbeds: Tensor }

export class CLIPTextModelWithProjection extends CLIPPreTrainedModel<CLIPTextConfig> {
  static override configClass = CLIPTextConfig;
  readonly mainInputName = 'input_ids';
  readonly forwardArgNames: readonly string[] = CLIP_TEXT_ARGS;
  readonly textModel: CLIPTextTransformer;
  readonly textProjection: nn.Linear;
  constructor(config: CLIPTextConfig) {
    super(config);
    this.textModel = this.registerModule('text_model', new CLIPTextTransformer(config));
    this.textProjection = this.registerModule('text_projection', new nn.Linear(config.hiddenSize, config.projectionDim, { bias: false }));
  }
  protected override initProjections(m: Module, f: number): void {
    if (m === this) nn.init.normal_(this.textProjection.weight, 0, this.config.hiddenSize ** -0.5 * f);
  }
  /** text_embeds: the projected pooled text state (not normalised). */
  forward(batch: ModelInputs): CLIPTextModelOutput {
    const x = normalizeInputs(batch, this.forwardArgNames, this.constructor.name, this.config);
    return tidy(() => {
      const { poolerOutput, ...rest } = this.textModel.run(x);
      return { textEmbeds: this.textProjection.forward(poolerOutput), ...rest };
    });
  }
}

export class CLIPVisionModel extends CLIPPreTrainedModel<CLIPVisionConfig> {
  static override configClass = CLIPVisionConfig;
  readonly mainInputName = 'pixel_values';
  readonly forwardArgNames: readonly string[] = CLIP_VISION_ARGS;
  readonly visionModel: CLIPVisionTransformer;
  constructor(config: CLIPVisionConfig) {
    super(config);
    this.visionModel = this.registerModule('vision_model', new CLIPVisionTransformer(config));
  }
  forward(batch: ModelInputs): CLIPTowerOutput {
    const x = normalizeInputs(batch, this.forwardArgNames, this.constructor.name, this.config);
    return tidy(() => this.visionModel.run(x, this.constructor.name));
  }
}

export interface CLIPVisionModelOutput extends BaseModelOutput { imageEmbeds: Tensor }

export class CLIPVisionModelWithProjection extends CLIPPreTrainedModel<CLIPVisionConfig> {
  static override configClass = CLIPVisionConfig;
  readonly mainInputName = 'pixel_values';
  readonly forwardArgNames: readonly string[] = CLIP_VISION_ARGS;
  readonly visionModel: CLIPVisionTransformer;
  readonly visualProjection: nn.Linear;
  constructor(config: CLIPVisionConfig) {
    super(config);
    this.visionModel = this.registerModule('vision_model', new CLIPVisionTransformer(config));
    this.visualProjection = this.registerModule('visual_projection', new nn.Linear(config.hiddenSize, config.projectionDim, { bias: false }));
  }
  protected override initProjections(m: Module, f: number): void {
    if (m === this) nn.init.normal_(this.visualProjection.weight, 0, this.config.hiddenSize ** -0.5 * f);
  }
  /** image_embeds: the projected pooled [CLS] state (not normalised). */
  forward(batch: ModelInputs): CLIPVisionModelOutput {
    const x = normalizeInputs(batch, this.forwardArgNames, this.constructor.name, this.config);
    return tidy(() => {
      const { poolerOutput, ...rest } = this.visionModel.run(x, this.constructor.name);
      return { imageEmbeds: this.visualProjection.forward(poolerOutput), ...rest };
    });
  }
}

export interface CLIPOutput {
  /** The contrastive loss (with returnLoss). */
  loss?: Tensor;
  /** [images, texts]: exp(logit_scale) * cosine similarity. */
  logitsPerImage: Tensor;
  /** [texts, images]: the transpose. */
  logitsPerText: Tensor;
  /** L2-normalised projected text / image states. */
  textEmbeds: Tensor;
  imageEmbeds: Tensor;
  textModelOutput: CLIPTowerOutput;
  visionModelOutput: CLIPTowerOutput;
}

export class CLIPModel extends CLIPPreTrainedModel<CLIPConfig> {
  static override configClass = CLIPConfig;
  readonly mainInputName = 'input_ids';
  readonly forwardArgNames: readonly string[] = ['input_ids', 'pixel_values', 'attention_mask', 'position_ids', 'return_loss', 'output_attentions', 'output_hidden_states'];
  readonly textModel: CLIPTextTransformer;
  readonly visionModel: CLIPVisionTransformer;
  readonly visualProjection: nn.Linear;
  readonly textProjection: nn.Linear;
  readonly logitScale: Tensor;
  constructor(config: CLIPConfig) {
    super(config);
    const t = config.textConfig;
    const v = config.visionConfig;
    this.textModel = this.registerModule('text_model', new CLIPTextTransformer(t));
    this.visionModel = this.registerModule('vision_model', new CLIPVisionTransformer(v));
    this.visualProjection = this.registerModule('visual_projection', new nn.Linear(v.hiddenSize, config.projectionDim, { bias: false }));
    this.textProjection = this.registerModule('text_projection', new nn.Linear(t.hiddenSize, config.projectionDim, { bias: false }));
    this.logitScale = this.registerParameter('logit_scale', ones([]).mul_(config.logitScaleInitValue));
  }
  protected override initProjections(m: Module, f: number): void {
    if (m !== this) return;
    nn.init.normal_(this.textProjection.weight, 0, this.config.textConfig.hiddenSize ** -0.5 * f);
    nn.init.normal_(this.visualProjection.weight, 0, this.config.visionConfig.hiddenSize ** -0.5 * f);
  }

  /** The projected pooled text states (transformers' get_text_features; not normalised). */
  getTextFeatures(batch: ModelInputs): Tensor {
    const x = normalizeInputs(batch, CLIP_TEXT_ARGS, 'CLIPModel.getTextFeatures', this.config);
    return tidy(() => this.textProjection.forward(this.textModel.run(x).poolerOutput));
  }
  /** The projected pooled image states (transformers' get_image_features; not normalised). */
  getImageFeatures(batch: ModelInputs): Tensor {
    const x = normalizeInputs(batch, CLIP_VISION_ARGS, 'CLIPModel.getImageFeatures', this.config);
    return tidy(() => this.visualProjection.forward(this.visionModel.run(x, 'CLIPModel.getImageFeatures').poolerOutput));
  }

  forward(batch: ModelInputs): CLIPOutput {
    const x = normalizeInputs(batch, this.forwardArgNames, this.constructor.name, this.config);
    return tidy(() => {
      const visionModelOutput = this.visionModel.run(x, this.constructor.name);
      const textModelOutput = this.textModel.run(x);
      let imageEmbeds = this.visualProjection.forward(visionModelOutput.poolerOutput);
      let textEmbeds = this.textProjection.forward(textModelOutput.poolerOutput);
      imageEmbeds = imageEmbeds.div(imageEmbeds.norm(2, -1, true));
      textEmbeds = textEmbeds.div(textEmbeds.norm(2, -1, true));
      const logitsPerText = textEmbeds.matmul(imageEmbeds.t()).mul(this.logitScale.exp());
      const logitsPerImage = logitsPerText.t();
      const loss = x.returnLoss ? clipLoss(logitsPerText) : undefined;
      return { loss, logitsPerImage, logitsPerText, textEmbeds, imageEmbeds, textModelOutput, visionModelOutput };
    });
  }
}
