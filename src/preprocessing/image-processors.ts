// The image processors of the vision families (transformers 4.29 semantics, PIL-exact): DeiT and
// BEiT (resize to size, centre-crop), ConvNeXt (crop_pct), CLIP (shortest edge, centre-crop, RGB
// conversion), and the registry AutoImageProcessor reads (image_processor_type / model_type).
// Every step is one of the shared primitives: convertToRGB, resizePIL, the crop, rescale/normalise.
import {
  ViTImageProcessor, ViTFeatureExtractor, outputSize, type ImageProcessorOptions, type ResolvedImageProcessorOptions,
} from './image-processing';
import { ImageProcessorConfigError, VIT_DEFAULTS } from './image-processor-config';
import { resizePIL } from './pil/resample';
import { cropImage } from './image-transforms';
import type { DecodedImage } from './pil/types';

export const IMAGENET_STANDARD_MEAN = [0.5, 0.5, 0.5];
export const IMAGENET_STANDARD_STD = [0.5, 0.5, 0.5];
export const IMAGENET_DEFAULT_MEAN = [0.485, 0.456, 0.406];
export const IMAGENET_DEFAULT_STD = [0.229, 0.224, 0.225];
export const OPENAI_CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073];
export const OPENAI_CLIP_STD = [0.26862954, 0.26130258, 0.27577711];

/**
 * transformers' image_transforms.center_crop on an HWC image: the crop at ((H - h) // 2, (W - w) // 2);
 * where the crop is larger, the image is zero-padded (centred) first and the window is clipped to the
 * padded canvas, so an odd size difference gives one row or column less, as in 4.29.
 */
export function centerCropTransformers(img: DecodedImage, cropHeight: number, cropWidth: number): DecodedImage {
  const { height: h, width: w } = img;
  let top = Math.floor((h - cropHeight) / 2);
  let left = Math.floor((w - cropWidth) / 2);
  let bottom = top + cropHeight;
  let right = left + cropWidth;
  if (top >= 0 && bottom <= h && left >= 0 && right <= w) {
    return top === 0 && left === 0 && cropHeight === h && cropWidth === w ? img : cropImage(img, top, left, cropHeight, cropWidth);
  }
  const newHeight = Math.max(cropHeight, h);
  const newWidth = Math.max(cropWidth, w);
  const topPad = Math.floor((newHeight - h) / 2);
  const leftPad = Math.floor((newWidth - w) / 2);
  top += topPad; bottom += topPad; left += leftPad; right += leftPad;
  const t0 = Math.max(0, top);
  const l0 = Math.max(0, left);
  const t1 = Math.min(newHeight, bottom);
  const l1 = Math.min(newWidth, right);
  // the window of the padded canvas, in the image's coordinates (cropImage reads 0 outside it)
  return cropImage(img, t0 - topPad, l0 - leftPad, t1 - t0, l1 - l0);
}

/** Processors whose int `size` means the shortest edge (transformers' get_size_dict(default_to_square=False)). */
function shortestEdgeSize<T extends Record<string, unknown>>(o: T, processor: string): T {
  const size = o.size;
  if (typeof size === 'number') return { ...o, size: { shortest_edge: size } };
  if (size && typeof size === 'object' && !('shortest_edge' in size) && !('shortestEdge' in size)) {
    throw new ImageProcessorConfigError(`${processor}: "size" must contain the key "shortest_edge", got ${JSON.stringify(size)}`);
  }
  return o;
}
function checkHeightWidth(o: ResolvedImageProcessorOptions, processor: string): void {
  if (!('height' in o.size)) throw new ImageProcessorConfigError(`${processor}: the size dictionary must have keys "height" and "width", got ${JSON.stringify(o.size)}`);
}

/** transformers' processors without do_convert_rgb: a non-RGB image is an error there, named here in one line. */
function transformersRgbMessage(processor: string, img: DecodedImage, what: string): string {
  const why = ['1', 'L', 'P', 'I;16'].includes(img.mode) ? 'Unsupported number of image dimensions: 2' : 'Unable to infer channel dimension format';
  return `${what}: mode '${img.mode}' is not RGB and ${processor} takes RGB images (transformers 4.29 fails with "${why}"); convert it with convertToRGB() (PIL's .convert("RGB")) or pass doConvertRgb: true`;
}

/** Resize to `size` ({height, width}), then centre-crop to cropSize: DeiT and BEiT. */
export class DeiTImageProcessor extends ViTImageProcessor {
  static override processorType = 'DeiTImageProcessor';
  static override defaults: ResolvedImageProcessorOptions = {
    ...VIT_DEFAULTS, size: { height: 256, width: 256 }, resample: 3, doConvertRgb: false,
    doCenterCrop: true, cropSize: { height: 224, width: 224 }, imageMean: IMAGENET_STANDARD_MEAN, imageStd: IMAGENET_STANDARD_STD,
  };
  constructor(options: ImageProcessorOptions | Record<string, unknown> = {}, source?: string) {
    super(options, source ?? `${new.target.processorType} options`);
    checkHeightWidth(this.config, this.processorName);
  }
  get processorName(): string { return (this.constructor as typeof ViTImageProcessor).processorType; }
  get cropSize(): { height: number; width: number } | undefined { return this.config.cropSize; }
  protected override resizeAndCrop(rgb: DecodedImage, o: ResolvedImageProcessorOptions): DecodedImage {
    let out = super.resizeAndCrop(rgb, o);
    if (o.doCenterCrop) {
      if (!o.cropSize) throw new ImageProcessorConfigError(`${this.processorName}: crop size must be specified if do_center_crop is true`);
      out = centerCropTransformers(out, o.cropSize.height, o.cropSize.width);
    }
    return out;
  }
  protected override notRgbMessage(img: DecodedImage, what: string): string { return transformersRgbMessage(this.processorName, img, what); }
}

/** DeiT's pipeline and defaults; BEiT's segmentation options (do_reduce_labels) are kept in the file. */
export class BeitImageProcessor extends DeiTImageProcessor {
  static override processorType = 'BeitImageProcessor';
}

/**
 * ConvNeXt (and ResNet checkpoints): below shortest_edge 384, resize the shortest edge to
 * int(shortest_edge / crop_pct) and centre-crop a shortest_edge square; from 384 on, warp to a square.
 */
export class ConvNextImageProcessor extends ViTImageProcessor {
  static override processorType = 'ConvNextImageProcessor';
  static override defaults: ResolvedImageProcessorOptions = {
    ...VIT_DEFAULTS, size: { shortestEdge: 384 }, resample: 2, doConvertRgb: false, cropPct: 224 / 256,
    imageMean: IMAGENET_STANDARD_MEAN, imageStd: IMAGENET_STANDARD_STD,
  };
  constructor(options: ImageProcessorOptions | Record<string, unknown> = {}, source?: string) {
    super(shortestEdgeSize(options as Record<string, unknown>, 'ConvNextImageProcessor'), source ?? 'ConvNextImageProcessor options');
  }
  get cropPct(): number { return this.config.cropPct ?? 224 / 256; }
  protected override resolved(opts: ImageProcessorOptions): ResolvedImageProcessorOptions {
    return super.resolved(shortestEdgeSize(opts as Record<string, unknown>, 'ConvNextImageProcessor'));
  }
  protected override resizeAndCrop(rgb: DecodedImage, o: ResolvedImageProcessorOptions): DecodedImage {
    if (!o.doResize) return rgb;
    const edge = 'shortestEdge' in o.size ? o.size.shortestEdge : 0;
    if (edge >= 384) return resizePIL(rgb, [edge, edge], o.resample);
    const resizeEdge = Math.trunc(edge / (o.cropPct ?? 224 / 256));
    const [h, w] = outputSize(rgb.height, rgb.width, { shortestEdge: resizeEdge });
    return centerCropTransformers(resizePIL(rgb, [w, h], o.resample), edge, edge);
  }
  protected override notRgbMessage(img: DecodedImage, what: string): string { return transformersRgbMessage('ConvNextImageProcessor', img, what); }
}

/** CLIP: convert to RGB, resize the shortest edge, centre-crop, OpenAI's mean and std. */
export class CLIPImageProcessor extends ViTImageProcessor {
  static override processorType = 'CLIPImageProcessor';
  static override defaults: ResolvedImageProcessorOptions = {
    ...VIT_DEFAULTS, size: { shortestEdge: 224 }, resample: 3, doConvertRgb: true,
    doCenterCrop: true, cropSize: { height: 224, width: 224 }, imageMean: OPENAI_CLIP_MEAN, imageStd: OPENAI_CLIP_STD,
  };
  constructor(options: ImageProcessorOptions | Record<string, unknown> = {}, source?: string) {
    super(shortestEdgeSize(options as Record<string, unknown>, 'CLIPImageProcessor'), source ?? 'CLIPImageProcessor options');
  }
  get cropSize(): { height: number; width: number } | undefined { return this.config.cropSize; }
  protected override resolved(opts: ImageProcessorOptions): ResolvedImageProcessorOptions {
    return super.resolved(shortestEdgeSize(opts as Record<string, unknown>, 'CLIPImageProcessor'));
  }
  protected override resizeAndCrop(rgb: DecodedImage, o: ResolvedImageProcessorOptions): DecodedImage {
    let out = super.resizeAndCrop(rgb, o);
    if (o.doCenterCrop && o.cropSize) out = centerCropTransformers(out, o.cropSize.height, o.cropSize.width);
    return out;
  }
  /** transformers writes do_convert_rgb for CLIP always. */
  override toDict(): Record<string, unknown> {
    return { ...super.toDict(), do_convert_rgb: this.config.doConvertRgb };
  }
}

/** Deprecated names in transformers (feature_extractor_type in older files); same processors. */
export class DeiTFeatureExtractor extends DeiTImageProcessor { static override processorType = 'DeiTFeatureExtractor'; }
export class BeitFeatureExtractor extends BeitImageProcessor { static override processorType = 'BeitFeatureExtractor'; }
export class ConvNextFeatureExtractor extends ConvNextImageProcessor { static override processorType = 'ConvNextFeatureExtractor'; }
export class CLIPFeatureExtractor extends CLIPImageProcessor { static override processorType = 'CLIPFeatureExtractor'; }

/** image_processor_type / feature_extractor_type -> class (what AutoImageProcessor reads). */
export const IMAGE_PROCESSOR_CLASSES: Readonly<Record<string, typeof ViTImageProcessor>> = {
  ViTImageProcessor, ViTFeatureExtractor: ViTImageProcessor,
  DeiTImageProcessor, DeiTFeatureExtractor: DeiTImageProcessor,
  BeitImageProcessor, BeitFeatureExtractor: BeitImageProcessor,
  ConvNextImageProcessor, ConvNextFeatureExtractor: ConvNextImageProcessor,
  CLIPImageProcessor, CLIPFeatureExtractor: CLIPImageProcessor,
};

/** transformers' IMAGE_PROCESSOR_MAPPING_NAMES: the processor of a config.json model_type. */
const BY_MODEL_TYPE: Readonly<Record<string, string>> = {
  vit: 'ViTImageProcessor', deit: 'DeiTImageProcessor', beit: 'BeitImageProcessor', swin: 'ViTImageProcessor',
  convnext: 'ConvNextImageProcessor', resnet: 'ConvNextImageProcessor', clip: 'CLIPImageProcessor', clip_vision_model: 'CLIPImageProcessor',
};
export function imageProcessorTypeForModel(modelType: unknown): string | undefined {
  return typeof modelType === 'string' ? BY_MODEL_TYPE[modelType] : undefined;
}

/** A processor from preprocessor_config.json contents (image_processor_type picks the class; ViT by default). */
export function imageProcessorFromDict(dict: Record<string, unknown>, source = 'preprocessor_config.json'): ViTImageProcessor {
  const type = (dict.image_processor_type ?? dict.feature_extractor_type) as string | undefined;
  const C = (type && IMAGE_PROCESSOR_CLASSES[type]) || ViTImageProcessor;
  return new C(dict, source);
}
