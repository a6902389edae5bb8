// ViTImageProcessor / AutoImageProcessor (transformers 4.29 semantics) and the public
// entry point of hubtune's image preprocessing.
//
// Per image: convert("RGB") (hubtune converts; transformers 4.29 rejects non-RGB arrays),
// PIL resize to size with `resample` (reducing_gap=None), rescale (uint8 * factor in
// float64, then float32, as numpy does), normalise in float32 ((x - mean) / std), HWC -> CHW.
import { existsSync, statSync } from 'node:fs';
import { inspect } from 'node:util';
import { CallableBase } from './tokenizers/callable';
import type { Tensor } from '../torch/index';
import { writeFileAtomic as writeAtomic } from '../util/atomic-file';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { decodeImage, type ImageSource } from './image-decode';
import { readJsonFile } from '../util/safe-json';
import {
  VIT_DEFAULTS, ImageProcessorConfigError, parseImageProcessorDict, resolveOptions, sizeToJSON, toSortedJSON,
  type ImageProcessorOptions, type ResolvedImageProcessorOptions, type SizeSpec,
} from './image-processor-config';
import { convertToRGB } from './pil/convert';
import { resizePIL } from './pil/resample';
import { checkImage, type DecodedImage } from './pil/types';
import { imageAddon } from './pil/native-image';

export { decodeImage, ImageDecodeError, type ImageSource, type DecodeOptions } from './image-decode';
export { convertToRGB } from './pil/convert';
export { resizePIL, PILResample, type PILResampleCode, type ResizeOptions } from './pil/resample';
export type { DecodedImage, PILMode } from './pil/types';
export {
  ImageProcessorConfigError, type ImageProcessorOptions, type ResolvedImageProcessorOptions, type SizeSpec,
} from './image-processor-config';
export * from './image-transforms';
export { ImagePreprocessPool, type ImagePreprocessPoolOptions } from './image-worker-pool';

export const IMAGE_PROCESSOR_NAME = 'preprocessor_config.json';

/** What `preprocess` accepts per image: a decoded image, a file path, or encoded bytes. */
export type ImageInput = DecodedImage | ImageSource;

export interface PixelValues {
  data: Float32Array;
  /** [N, 3, H, W] */
  shape: number[];
}

/** The engine's Tensor. Imported lazily below: image worker threads load this module and never need libtorch. */
export type TorchTensorLike = Tensor;

export type ReturnTensors = 'np' | 'pt' | 'list';

export interface PreprocessOptions extends ImageProcessorOptions {
  /** 'np' (default): one Float32Array [N,3,H,W]; 'pt': an engine Tensor; 'list': one entry per image. */
  returnTensors?: ReturnTensors | null;
}

export function isDecodedImage(v: unknown): v is DecodedImage {
  return !!v && typeof v === 'object' && !(v instanceof Uint8Array) && 'data' in v && 'width' in v && 'height' in v && 'mode' in v;
}

/** transformers' get_resize_output_image_size(default_to_square=False): returns [height, width]. */
export function outputSize(height: number, width: number, size: SizeSpec): [number, number] {
  if ('height' in size) return [size.height, size.width];
  const short = Math.min(height, width);
  const long = Math.max(height, width);
  let newShort = size.shortestEdge;
  let newLong = Math.trunc((newShort * long) / short);
  if (size.longestEdge !== undefined) {
    if (size.longestEdge <= newShort) {
      throw new Error(`size.longest_edge (${size.longestEdge}) must be larger than size.shortest_edge (${newShort})`);
    }
    if (newLong > size.longestEdge) {
      newShort = Math.trunc((size.longestEdge * newShort) / newLong);
      newLong = size.longestEdge;
    }
  }
  return width <= height ? [newLong, newShort] : [newShort, newLong];
}

/** Rescale (float64 product, rounded to float32) and normalise (float32), writing CHW. */
export function rescaleNormalizeToCHW(
  rgb: Uint8Array, height: number, width: number, o: Pick<ResolvedImageProcessorOptions, 'doRescale' | 'rescaleFactor' | 'doNormalize' | 'imageMean' | 'imageStd'>,
  out: Float32Array = new Float32Array(3 * height * width), outOffset = 0,
): Float32Array {
  const f = Math.fround;
  const plane = height * width;
  const rf = o.rescaleFactor;
  // a lookup per channel: every uint8 value maps to one float32
  const luts = new Float32Array(3 * 256);
  for (let c = 0; c < 3; c++) {
    const m = f(o.imageMean[c]);
    const s = f(o.imageStd[c]);
    for (let v = 0; v < 256; v++) {
      let x = o.doRescale ? f(v * rf) : v;
      if (o.doNormalize) x = f(f(x - m) / s);
      luts[c * 256 + v] = x;
    }
  }
  const addon = imageAddon();
  if (addon) {
    addon.toCHW(rgb, height, width, luts, out, outOffset);
    return out;
  }
  for (let c = 0; c < 3; c++) {
    const lut = luts.subarray(c * 256, c * 256 + 256);
    const base = outOffset + c * plane;
    for (let i = 0, p = c; i < plane; i++, p += 3) out[base + i] = lut[rgb[p]];
  }
  return out;
}

async function writeFileAtomic(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeAtomic(path, text);
}

/** Converts pixel values to an engine Tensor; the only place that touches src/torch. */
async function pixelValuesToTensor(pv: PixelValues): Promise<TorchTensorLike> {
  const { tensor } = await import('../torch/index');
  return tensor(pv.data, { shape: pv.shape });
}

export interface FromPretrainedOptions extends ImageProcessorOptions {
  revision?: string;
  cacheDir?: string;
  subfolder?: string;
  token?: string | false;
  localFilesOnly?: boolean;
}

/** Finds and reads preprocessor_config.json from a local folder, a .json file, or a Hub repo id. */
async function loadConfigFile(idOrPath: string, opts: FromPretrainedOptions): Promise<{ dict: Record<string, unknown>; path: string }> {
  let path: string;
  if (existsSync(idOrPath)) {
    const dir = opts.subfolder ? join(idOrPath, opts.subfolder) : idOrPath;
    path = statSync(idOrPath).isDirectory() ? join(dir, IMAGE_PROCESSOR_NAME) : idOrPath;
    if (!existsSync(path)) {
      throw new ImageProcessorConfigError(`No ${IMAGE_PROCESSOR_NAME} in ${dir}: save one with savePretrained(), or pass a Hub model id`);
    }
  } else if (/^[.~/\\]/.test(idOrPath) || /^[A-Za-z]:[\\/]/.test(idOrPath) || idOrPath.split('/').length > 2) {
    throw new ImageProcessorConfigError(`Image processor folder not found: ${idOrPath}`);
  } else {
    let hub: { hfHubDownload: (p: Record<string, unknown>) => Promise<string> };
    try {
      const spec = '../hub';
      hub = await import(spec);
    } catch (e) {
      throw new Error(`Cannot load ${idOrPath} from the Hub: the hub client (src/hub) did not load (${String((e as Error).message).split('\n')[0]})`);
    }
    path = await hub.hfHubDownload({
      repoId: idOrPath, filename: IMAGE_PROCESSOR_NAME, revision: opts.revision, cacheDir: opts.cacheDir,
      subfolder: opts.subfolder, token: opts.token, localFilesOnly: opts.localFilesOnly,
    });
  }
  const dict: unknown = readJsonFile(path, ImageProcessorConfigError);
  if (!dict || typeof dict !== 'object' || Array.isArray(dict)) throw new ImageProcessorConfigError(`Invalid ${path}: expected a JSON object`);
  return { dict: dict as Record<string, unknown>, path };
}

function pickLoadOptions(opts: FromPretrainedOptions): ImageProcessorOptions {
  const { revision: _r, cacheDir: _c, subfolder: _s, token: _t, localFilesOnly: _l, ...rest } = opts;
  return rest;
}

/** transformers' BatchFeature: the processor's outputs, a dict the caller may add columns to (`inputs.labels = ...`). */
export type BatchFeature<V> = { pixel_values: V } & Record<string, unknown>;

/** Instances are callable like the tokenizer: `processor(images, {returnTensors: 'pt'})` is `processor.preprocess(...)`. */
export interface ViTImageProcessor {
  (images: ImageInput | ImageInput[], opts: PreprocessOptions & { returnTensors: 'pt' }): Promise<BatchFeature<TorchTensorLike>>;
  (images: ImageInput | ImageInput[], opts: PreprocessOptions & { returnTensors: 'list' }): Promise<BatchFeature<PixelValues[]>>;
  (images: ImageInput | ImageInput[], opts?: PreprocessOptions): Promise<BatchFeature<PixelValues>>;
}

export class ViTImageProcessor extends CallableBase {
  /** Written to `image_processor_type` by savePretrained. */
  static processorType = 'ViTImageProcessor';
  /** transformers' defaults of this processor class. */
  static defaults: ResolvedImageProcessorOptions = VIT_DEFAULTS;

  readonly config: ResolvedImageProcessorOptions;
  /** Keys of preprocessor_config.json that this class does not use; written back unchanged. */
  readonly extra: Record<string, unknown>;
  /** Whether doConvertRgb was given explicitly (then it is saved as do_convert_rgb). */
  private readonly convertRgbGiven: boolean;

  /** Options in camelCase, or a preprocessor_config.json object (snake_case). */
  constructor(options: ImageProcessorOptions | Record<string, unknown> = {}, source = 'ViTImageProcessor options') {
    super();
    const { options: parsed, extra } = parseImageProcessorDict(options as Record<string, unknown>, source);
    this.config = resolveOptions((this.constructor as typeof ViTImageProcessor).defaults, parsed, source);
    this.extra = extra;
    this.convertRgbGiven = parsed.doConvertRgb !== undefined;
  }

  static fromDict<T extends typeof ViTImageProcessor>(this: T, dict: Record<string, unknown>, source = 'image processor dict'): InstanceType<T> {
    return new this(dict, source) as InstanceType<T>;
  }

  /** Loads from a local folder (or its preprocessor_config.json) or a Hub repo id; options override the file. */
  static async fromPretrained<T extends typeof ViTImageProcessor>(this: T, idOrPath: string, opts: FromPretrainedOptions = {}): Promise<InstanceType<T>> {
    const { dict, path } = await loadConfigFile(idOrPath, opts);
    return new this({ ...dict, ...pickLoadOptions(opts) }, path) as InstanceType<T>;
  }

  get size(): SizeSpec { return this.config.size; }
  get imageMean(): number[] { return this.config.imageMean; }
  get imageStd(): number[] { return this.config.imageStd; }
  get resample(): number { return this.config.resample; }

  /** preprocessor_config.json contents (snake_case), unknown keys included. */
  toDict(): Record<string, unknown> {
    const c = this.config;
    const out: Record<string, unknown> = {
      ...this.extra,
      do_normalize: c.doNormalize,
      do_rescale: c.doRescale,
      do_resize: c.doResize,
      image_mean: c.imageMean,
      image_processor_type: (this.constructor as typeof ViTImageProcessor).processorType,
      image_std: c.imageStd,
      resample: c.resample,
      rescale_factor: c.rescaleFactor,
      size: sizeToJSON(c.size),
    };
    if (this.convertRgbGiven) out.do_convert_rgb = c.doConvertRgb;
    if (c.doCenterCrop !== undefined) out.do_center_crop = c.doCenterCrop;
    if (c.cropSize !== undefined) out.crop_size = sizeToJSON(c.cropSize);
    if (c.cropPct !== undefined) out.crop_pct = c.cropPct;
    return out;
  }

  toJSONString(): string {
    return toSortedJSON(this.toDict());
  }

  /** Writes `dir/preprocessor_config.json` (atomically); returns its path. */
  async savePretrained(dir: string): Promise<string> {
    const path = join(dir, IMAGE_PROCESSOR_NAME);
    await writeFileAtomic(path, this.toJSONString());
    return path;
  }

  /** Uploads preprocessor_config.json to a Hub repo (transformers' push_to_hub; see src/sharing). */
  pushToHub(repoId: string, opts: import('../sharing/push').PushToHubOptions = {}) { return import('../sharing/push').then((m) => m.pushImageProcessorToHub(this, repoId, opts)); }

  protected resolved(opts: ImageProcessorOptions): ResolvedImageProcessorOptions {
    const { returnTensors: _rt, ...rest } = opts as PreprocessOptions;
    return Object.keys(rest).length ? resolveOptions(this.config, rest, 'preprocess options') : this.config;
  }

  /** One decoded image to CHW float32 pixel values (synchronous; what the worker pool runs). */
  processImage(img: DecodedImage, opts: ImageProcessorOptions = {}, what = 'image'): PixelValues {
    return this.processResolved(img, this.resolved(opts), what);
  }

  protected processResolved(img: DecodedImage, o: ResolvedImageProcessorOptions, what: string): PixelValues {
    checkImage(img, what);
    let rgb = img;
    if (img.mode !== 'RGB') {
      if (!o.doConvertRgb) throw new Error(this.notRgbMessage(img, what));
      rgb = convertToRGB(img);
    }
    rgb = this.resizeAndCrop(rgb, o);
    const data = rescaleNormalizeToCHW(rgb.data as Uint8Array, rgb.height, rgb.width, o);
    return { data, shape: [3, rgb.height, rgb.width] };
  }

  /** The geometry steps on an RGB image: ViT resizes to `size`; processors that crop override this. */
  protected resizeAndCrop(rgb: DecodedImage, o: ResolvedImageProcessorOptions): DecodedImage {
    if (!o.doResize) return rgb;
    const [h, w] = outputSize(rgb.height, rgb.width, o.size);
    return resizePIL(rgb, [w, h], o.resample);
  }

  /** The error for a non-RGB image when doConvertRgb is off. */
  protected notRgbMessage(img: DecodedImage, what: string): string {
    return `${what}: mode '${img.mode}' is not RGB; convert it with convertToRGB() or leave doConvertRgb on`;
  }

  /** Decoded images to stacked pixel values, synchronously. */
  preprocessSync(images: DecodedImage | DecodedImage[], opts: ImageProcessorOptions = {}): { pixel_values: PixelValues } {
    const list = Array.isArray(images) ? images : [images];
    const o = this.resolved(opts);
    return { pixel_values: stack(list.map((img, i) => this.processResolved(img, o, `image ${i}`))) };
  }

  /** transformers' `processor(images, return_tensors=...)`: paths, bytes or decoded images. */
  async preprocess(images: ImageInput | ImageInput[], opts: PreprocessOptions & { returnTensors: 'pt' }): Promise<BatchFeature<TorchTensorLike>>;
  async preprocess(images: ImageInput | ImageInput[], opts: PreprocessOptions & { returnTensors: 'list' }): Promise<BatchFeature<PixelValues[]>>;
  async preprocess(images: ImageInput | ImageInput[], opts?: PreprocessOptions): Promise<BatchFeature<PixelValues>>;
  async preprocess(images: ImageInput | ImageInput[], opts: PreprocessOptions = {}): Promise<BatchFeature<PixelValues | PixelValues[] | TorchTensorLike>> {
    const list = Array.isArray(images) ? images : [images];
    if (list.length === 0) throw new Error('preprocess: no images given');
    const { returnTensors, ...rest } = opts;
    const o = this.resolved(rest);
    const decoded = await Promise.all(list.map((im, i) => (isDecodedImage(im) ? im : decodeImage(im as ImageSource, { name: `image ${i}` }))));
    const each = decoded.map((img, i) => this.processResolved(img, o, typeof list[i] === 'string' ? (list[i] as string) : `image ${i}`));
    if (returnTensors === 'list') return { pixel_values: each };
    const pv = stack(each);
    if (returnTensors === 'pt') return { pixel_values: await pixelValuesToTensor(pv) };
    if (returnTensors && returnTensors !== 'np') throw new Error(`preprocess: returnTensors must be 'np', 'pt' or 'list', got '${returnTensors}'`);
    return { pixel_values: pv };
  }

  /** `processor(images, opts)`: transformers' `__call__`, which is preprocess. */
  call(images: ImageInput | ImageInput[], opts?: PreprocessOptions): Promise<BatchFeature<PixelValues | PixelValues[] | TorchTensorLike>> {
    return this.preprocess(images, opts as PreprocessOptions);
  }

  /** Python's repr: `ViTImageProcessor {` + the sorted preprocessor_config.json + `}`. */
  override toString(): string {
    return `${(this.constructor as typeof ViTImageProcessor).processorType} ${this.toJSONString().trimEnd()}\n`;
  }
  [inspect.custom](): string { return this.toString().trimEnd(); }
}

/** Deprecated name in transformers; same processor. */
export class ViTFeatureExtractor extends ViTImageProcessor {
  static override processorType = 'ViTFeatureExtractor';
}

/** Stacks CHW arrays into [N, 3, H, W]. */
export function stack(items: PixelValues[]): PixelValues {
  const [c, h, w] = items[0].shape;
  const per = c * h * w;
  const data = new Float32Array(per * items.length);
  items.forEach((it, i) => {
    if (it.shape[1] !== h || it.shape[2] !== w) {
      throw new Error(`preprocess: image ${i} is ${it.shape[2]}x${it.shape[1]} but image 0 is ${w}x${h}; use size {height, width} (or returnTensors: 'list') to get one batch`);
    }
    data.set(it.data, i * per);
  });
  return { data, shape: [items.length, c, h, w] };
}

export class AutoImageProcessor {
  /** Picks the processor class from `image_processor_type` / `feature_extractor_type` (or config.json's model_type). */
  static async fromPretrained(idOrPath: string, opts: FromPretrainedOptions = {}): Promise<ViTImageProcessor> {
    const { dict, path } = await loadConfigFile(idOrPath, opts);
    // the classes live in image-processors.ts, which extends this module's ViTImageProcessor
    const { IMAGE_PROCESSOR_CLASSES, imageProcessorTypeForModel } = await import('./image-processors');
    let type = (dict.image_processor_type ?? dict.feature_extractor_type) as unknown;
    const field = dict.image_processor_type !== undefined ? 'image_processor_type' : 'feature_extractor_type';
    if (type === undefined) {
      const modelConfig = join(dirname(path), 'config.json');
      let modelType: unknown;
      if (existsSync(modelConfig)) {
        try { modelType = JSON.parse(await readFile(modelConfig, 'utf8')).model_type; } catch { /* reported below */ }
      }
      type = imageProcessorTypeForModel(modelType);
      if (type === undefined) {
        throw new ImageProcessorConfigError(`Invalid ${path}: no "image_processor_type" (or "feature_extractor_type"), and no config.json with a known model_type beside it; add "image_processor_type": "ViTImageProcessor" (or the model's processor)`);
      }
    }
    const cls = typeof type === 'string' ? IMAGE_PROCESSOR_CLASSES[type] : undefined;
    if (!cls) {
      throw new ImageProcessorConfigError(`Invalid ${path}: "${field}" ${JSON.stringify(type)} is not supported; supported: ${Object.keys(IMAGE_PROCESSOR_CLASSES).join(', ')}`);
    }
    return new cls({ ...dict, ...pickLoadOptions(opts) }, path);
  }
}
