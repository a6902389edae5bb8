// preprocessor_config.json <-> ViTImageProcessor options: validation (errors name the file
// and field), snake_case/camelCase, unknown keys kept for savePretrained.
import { PIL_RESAMPLE_NAMES } from './pil/resample';

export type SizeSpec =
  | { height: number; width: number }
  | { shortestEdge: number; longestEdge?: number };

export interface ImageProcessorOptions {
  doResize?: boolean;
  /** `{height, width}`, `{shortestEdge}` (aspect kept; optional `longestEdge`), or an int (square). */
  size?: number | SizeSpec | { height?: number; width?: number; shortest_edge?: number; longest_edge?: number; shortestEdge?: number; longestEdge?: number };
  /** PIL code: NEAREST=0, LANCZOS=1, BILINEAR=2, BICUBIC=3, BOX=4, HAMMING=5. */
  resample?: number;
  doRescale?: boolean;
  rescaleFactor?: number;
  doNormalize?: boolean;
  imageMean?: number | number[];
  imageStd?: number | number[];
  /** hubtune: convert non-RGB images like PIL's convert("RGB") first (default true; transformers 4.29 rejects them). */
  doConvertRgb?: boolean;
  /** Processors that crop (DeiT, BEiT, CLIP): centre-crop to cropSize after resizing. */
  doCenterCrop?: boolean;
  /** `{height, width}` or an int (square). */
  cropSize?: number | { height: number; width: number };
  /** ConvNeXt: below 384, resize the shortest edge to int(shortest_edge / crop_pct), then centre-crop. */
  cropPct?: number;
}

export interface ResolvedImageProcessorOptions {
  doResize: boolean;
  size: SizeSpec;
  resample: number;
  doRescale: boolean;
  rescaleFactor: number;
  doNormalize: boolean;
  imageMean: number[];
  imageStd: number[];
  doConvertRgb: boolean;
  /** Set only for processors that crop (or when the file gives them). */
  doCenterCrop?: boolean;
  cropSize?: { height: number; width: number };
  cropPct?: number;
}

/** transformers' ViTImageProcessor defaults (IMAGENET_STANDARD_MEAN/STD, 224x224, BILINEAR). */
export const VIT_DEFAULTS: ResolvedImageProcessorOptions = {
  doResize: true,
  size: { height: 224, width: 224 },
  resample: 2,
  doRescale: true,
  rescaleFactor: 1 / 255,
  doNormalize: true,
  imageMean: [0.5, 0.5, 0.5],
  imageStd: [0.5, 0.5, 0.5],
  doConvertRgb: true,
};

const KNOWN: Record<string, keyof ImageProcessorOptions> = {
  do_resize: 'doResize', size: 'size', resample: 'resample', do_rescale: 'doRescale',
  rescale_factor: 'rescaleFactor', do_normalize: 'doNormalize', image_mean: 'imageMean',
  image_std: 'imageStd', do_convert_rgb: 'doConvertRgb', do_center_crop: 'doCenterCrop', crop_size: 'cropSize', crop_pct: 'cropPct',
};
const CAMEL_TO_SNAKE: Record<string, string> = Object.fromEntries(Object.entries(KNOWN).map(([s, c]) => [c, s]));

export class ImageProcessorConfigError extends Error {
  override name = 'ImageProcessorConfigError';
}

function fail(source: string, field: string, msg: string): never {
  throw new ImageProcessorConfigError(`Invalid ${source}: "${field}" ${msg}`);
}

function bool(v: unknown, source: string, field: string): boolean {
  if (typeof v !== 'boolean') fail(source, field, `must be true or false, got ${JSON.stringify(v)}`);
  return v;
}

function posInt(v: unknown, source: string, field: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) fail(source, field, `must be a positive integer, got ${JSON.stringify(v)}`);
  return v;
}

function triple(v: unknown, source: string, field: string, nonZero: boolean): number[] {
  const arr = typeof v === 'number' ? [v, v, v] : v;
  if (!Array.isArray(arr) || arr.length !== 3 || arr.some((x) => typeof x !== 'number' || !Number.isFinite(x))) {
    fail(source, field, `must be a number or a list of 3 numbers (one per RGB channel), got ${JSON.stringify(v)}`);
  }
  if (nonZero && arr.some((x) => x === 0)) fail(source, field, `must not contain 0 (it divides), got ${JSON.stringify(v)}`);
  return arr.slice();
}

export function parseSize(v: unknown, source: string, field = 'size'): SizeSpec {
  if (typeof v === 'number') {
    const s = posInt(v, source, field);
    return { height: s, width: s };
  }
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    const o = v as Record<string, unknown>;
    const se = o.shortest_edge ?? o.shortestEdge;
    const le = o.longest_edge ?? o.longestEdge;
    if (o.height !== undefined || o.width !== undefined) {
      if (se !== undefined) fail(source, field, `must have either height/width or shortest_edge, not both: ${JSON.stringify(v)}`);
      return { height: posInt(o.height, source, `${field}.height`), width: posInt(o.width, source, `${field}.width`) };
    }
    if (se !== undefined) {
      const out: SizeSpec = { shortestEdge: posInt(se, source, `${field}.shortest_edge`) };
      if (le !== undefined && le !== null) out.longestEdge = posInt(le, source, `${field}.longest_edge`);
      return out;
    }
  }
  fail(source, field, `must be an integer, {"height": H, "width": W} or {"shortest_edge": S}, got ${JSON.stringify(v)}`);
}

/** Validates options given as snake_case (JSON) or camelCase; returns known options and the other keys. */
export function parseImageProcessorDict(
  dict: Record<string, unknown>,
  source: string,
): { options: ImageProcessorOptions; extra: Record<string, unknown> } {
  if (!dict || typeof dict !== 'object' || Array.isArray(dict)) {
    throw new ImageProcessorConfigError(`Invalid ${source}: expected a JSON object`);
  }
  const options: ImageProcessorOptions = {};
  const extra: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(dict)) {
    const camel = KNOWN[key] ?? (key in CAMEL_TO_SNAKE ? (key as keyof ImageProcessorOptions) : undefined);
    if (!camel) {
      extra[key] = value;
      continue;
    }
    if (value === undefined) continue;
    const field = CAMEL_TO_SNAKE[camel];
    switch (camel) {
      case 'doResize': case 'doRescale': case 'doNormalize': case 'doConvertRgb': case 'doCenterCrop':
        options[camel] = bool(value, source, field);
        break;
      case 'size':
        options.size = parseSize(value, source, field);
        break;
      case 'resample':
        if (typeof value !== 'number' || !(value in PIL_RESAMPLE_NAMES) || !Number.isInteger(value)) {
          fail(source, field, `must be a PIL filter code 0-5 (NEAREST=0, LANCZOS=1, BILINEAR=2, BICUBIC=3, BOX=4, HAMMING=5), got ${JSON.stringify(value)}`);
        }
        options.resample = value;
        break;
      case 'rescaleFactor':
        if (typeof value !== 'number' || !Number.isFinite(value)) fail(source, field, `must be a finite number, got ${JSON.stringify(value)}`);
        options.rescaleFactor = value;
        break;
      case 'imageMean':
        options.imageMean = triple(value, source, field, false);
        break;
      case 'imageStd':
        options.imageStd = triple(value, source, field, true);
        break;
      case 'cropSize': {
        const c = parseSize(value, source, field);
        if (!('height' in c)) fail(source, field, `must be an integer or {"height": H, "width": W}, got ${JSON.stringify(value)}`);
        options.cropSize = c;
        break;
      }
      case 'cropPct':
        if (value === null) break;
        if (typeof value !== 'number' || !(value > 0 && value <= 1)) fail(source, field, `must be a fraction in (0, 1], got ${JSON.stringify(value)}`);
        options.cropPct = value;
        break;
    }
  }
  return { options, extra };
}

export function resolveOptions(base: ResolvedImageProcessorOptions, opts: ImageProcessorOptions, source: string): ResolvedImageProcessorOptions {
  const { options } = parseImageProcessorDict(opts as Record<string, unknown>, source);
  return {
    ...base,
    ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)),
  } as ResolvedImageProcessorOptions;
}

export function sizeToJSON(size: SizeSpec): Record<string, number> {
  if ('height' in size) return { height: size.height, width: size.width };
  return size.longestEdge !== undefined
    ? { shortest_edge: size.shortestEdge, longest_edge: size.longestEdge }
    : { shortest_edge: size.shortestEdge };
}

/** JSON as transformers writes it: keys sorted, indent 2, trailing newline. */
export function toSortedJSON(obj: Record<string, unknown>): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (v && typeof v === 'object') {
      return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sort((v as Record<string, unknown>)[k])]));
    }
    return v;
  };
  return JSON.stringify(sort(obj), null, 2) + '\n';
}
