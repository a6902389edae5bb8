// Training/eval augmentations of transformers' image-classification example (torchvision
// semantics on PIL images): RandomResizedCrop, RandomHorizontalFlip, ColorJitter (PIL's
// ImageEnhance blends and HSV conversion), Resize, CenterCrop, ToTensor, Normalize, Compose; seeded by a small deterministic PRNG (not torch's generator,
// so the random draws differ from torch's, the geometry and arithmetic do not).
import { convertToRGB } from './pil/convert';
import { PILResample, resizePIL } from './pil/resample';
import { checkImage, type DecodedImage } from './pil/types';

// ---------------------------------------------------------------------------------------------
// PRNG

function splitmix32(state: number): [number, number] {
  state = (state + 0x9e3779b9) | 0;
  let z = state;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return [state, (z ^ (z >>> 16)) >>> 0];
}

/** Mixes integers into one 32-bit seed (e.g. base seed, epoch, example index). */
export function deriveSeed(...parts: number[]): number {
  let h = 0x2545f491;
  for (const p of parts) {
    let s: number;
    [, s] = splitmix32((h ^ Math.imul((p >>> 0) ^ Math.floor(p / 2 ** 32), 0x9e3779b1)) | 0);
    h = s;
  }
  return h >>> 0;
}

/** xoshiro128** seeded through splitmix32: fast, deterministic, 32-bit state words. */
export class Rng {
  private s = new Uint32Array(4);
  readonly seed: number;

  constructor(seed = 0) {
    this.seed = seed >>> 0;
    let st = this.seed | 0;
    for (let i = 0; i < 4; i++) {
      let v: number;
      [st, v] = splitmix32(st);
      this.s[i] = v;
    }
    if (this.s.every((x) => x === 0)) this.s[0] = 1;
  }

  /** Uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  random(): number {
    const hi = this.nextUint32() >>> 5;
    const lo = this.nextUint32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform in [a, b). */
  uniform(a: number, b: number): number {
    return a + (b - a) * this.random();
  }

  /** Integer uniform in [low, high) (like torch.randint(low, high)). */
  randint(low: number, high: number): number {
    const n = high - low;
    if (!(n >= 1) || !Number.isInteger(n)) throw new Error(`randint: empty range [${low}, ${high})`);
    if (n === 1) return low;
    const limit = Math.floor(4294967296 / n) * n;
    let x: number;
    do x = this.nextUint32(); while (x >= limit);
    return low + (x % n);
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

// ---------------------------------------------------------------------------------------------
// Transform plumbing

/** Channels-first float32 image, what ToTensor returns: shape [C, H, W]. */
export interface ImageTensor {
  data: Float32Array;
  shape: number[];
}

export interface ImageTransform<I = unknown, O = unknown> {
  apply(input: I, rng: Rng): O;
}

export type TransformLike = ImageTransform<any, any> | ((input: any, rng: Rng) => any);

export class Compose implements ImageTransform<any, any> {
  readonly transforms: TransformLike[];
  private rng: Rng;

  /** `seed` seeds the generator used when `apply`/`call` get none. */
  constructor(transforms: TransformLike[], opts: { seed?: number } = {}) {
    this.transforms = transforms;
    this.rng = new Rng(opts.seed ?? 0);
  }

  apply(input: any, rng: Rng = this.rng): any {
    let x = input;
    for (const t of this.transforms) x = typeof t === 'function' ? t(x, rng) : t.apply(x, rng);
    return x;
  }

  /** Same as apply; the name torchvision users look for. */
  call(input: any, rng?: Rng): any {
    return this.apply(input, rng);
  }
}

export class Lambda<I, O> implements ImageTransform<I, O> {
  constructor(private readonly fn: (x: I, rng: Rng) => O) {}
  apply(x: I, rng: Rng): O { return this.fn(x, rng); }
}

// ---------------------------------------------------------------------------------------------
// Geometry helpers (PIL crop / transpose)

/** Python's round(): halves go to the even neighbour. */
export function pyRound(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** PIL `img.crop((left, top, left + width, top + height))`: outside the image reads as 0. */
export function cropImage(img: DecodedImage, top: number, left: number, height: number, width: number): DecodedImage {
  checkImage(img, 'crop');
  if (!Number.isInteger(top) || !Number.isInteger(left) || !Number.isInteger(height) || !Number.isInteger(width) || height < 1 || width < 1) {
    throw new Error(`crop: needs integer top/left and positive integer height/width, got top=${top} left=${left} height=${height} width=${width}`);
  }
  const C = img.channels;
  const out = new (img.data.constructor as Uint8ArrayConstructor)(width * height * C);
  const x0 = Math.max(0, left);
  const x1 = Math.min(img.width, left + width);
  for (let y = 0; y < height; y++) {
    const sy = top + y;
    if (sy < 0 || sy >= img.height || x1 <= x0) continue;
    const src = img.data.subarray((sy * img.width + x0) * C, (sy * img.width + x1) * C);
    out.set(src, (y * width + (x0 - left)) * C);
  }
  return { ...img, width, height, data: out };
}

/** PIL FLIP_LEFT_RIGHT. */
export function flipHorizontal(img: DecodedImage): DecodedImage {
  const { width: W, height: H, channels: C } = img;
  const out = new (img.data.constructor as Uint8ArrayConstructor)(img.data.length);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const s = (y * W + x) * C;
      const d = (y * W + (W - 1 - x)) * C;
      for (let c = 0; c < C; c++) out[d + c] = img.data[s + c];
    }
  }
  return { ...img, data: out };
}

type SizeArg = number | [number, number];

function hw(size: SizeArg, what: string): [number, number] {
  const [h, w] = typeof size === 'number' ? [size, size] : size;
  if (!Number.isInteger(h) || !Number.isInteger(w) || h < 1 || w < 1) throw new Error(`${what}: size must be a positive integer or [height, width], got ${JSON.stringify(size)}`);
  return [h, w];
}

// ---------------------------------------------------------------------------------------------
// Transforms

export class ConvertRGB implements ImageTransform<DecodedImage, DecodedImage> {
  apply(img: DecodedImage): DecodedImage { return convertToRGB(img); }
}

export interface CropParams { top: number; left: number; height: number; width: number }

/** torchvision RandomResizedCrop: 10 tries at a random area/aspect, else a centred crop; then resize. */
export class RandomResizedCrop implements ImageTransform<DecodedImage, DecodedImage> {
  readonly size: [number, number];
  readonly scale: [number, number];
  readonly ratio: [number, number];
  readonly interpolation: number;

  constructor(size: SizeArg, opts: { scale?: [number, number]; ratio?: [number, number]; interpolation?: number } = {}) {
    this.size = hw(size, 'RandomResizedCrop');
    this.scale = opts.scale ?? [0.08, 1.0];
    this.ratio = opts.ratio ?? [3 / 4, 4 / 3];
    this.interpolation = opts.interpolation ?? PILResample.BILINEAR;
    if (this.scale[0] > this.scale[1] || this.ratio[0] > this.ratio[1]) {
      throw new Error(`RandomResizedCrop: scale and ratio must be (min, max), got scale=${JSON.stringify(this.scale)} ratio=${JSON.stringify(this.ratio)}`);
    }
  }

  static getParams(width: number, height: number, scale: [number, number], ratio: [number, number], rng: Rng): CropParams {
    const area = height * width;
    const logRatio = [Math.log(ratio[0]), Math.log(ratio[1])];
    for (let attempt = 0; attempt < 10; attempt++) {
      const targetArea = area * rng.uniform(scale[0], scale[1]);
      const aspect = Math.exp(rng.uniform(logRatio[0], logRatio[1]));
      const w = pyRound(Math.sqrt(targetArea * aspect));
      const h = pyRound(Math.sqrt(targetArea / aspect));
      if (w > 0 && w <= width && h > 0 && h <= height) {
        const top = rng.randint(0, height - h + 1);
        const left = rng.randint(0, width - w + 1);
        return { top, left, height: h, width: w };
      }
    }
    // fallback: central crop at the nearest allowed aspect ratio
    const inRatio = width / height;
    let w: number;
    let h: number;
    if (inRatio < Math.min(...ratio)) {
      w = width;
      h = pyRound(w / Math.min(...ratio));
    } else if (inRatio > Math.max(...ratio)) {
      h = height;
      w = pyRound(h * Math.max(...ratio));
    } else {
      w = width;
      h = height;
    }
    return { top: Math.floor((height - h) / 2), left: Math.floor((width - w) / 2), height: h, width: w };
  }

  apply(img: DecodedImage, rng: Rng): DecodedImage {
    const p = RandomResizedCrop.getParams(img.width, img.height, this.scale, this.ratio, rng);
    const crop = cropImage(img, p.top, p.left, p.height, p.width);
    return resizePIL(crop, [this.size[1], this.size[0]], this.interpolation);
  }
}

export class RandomHorizontalFlip implements ImageTransform<DecodedImage, DecodedImage> {
  constructor(readonly p = 0.5) {}
  apply(img: DecodedImage, rng: Rng): DecodedImage {
    return rng.random() < this.p ? flipHorizontal(img) : img;
  }
}

// ---------------------------------------------------------------------------------------------
// ColorJitter (torchvision's PIL path: ImageEnhance.Brightness/Contrast/Color, HSV hue shift)

/** PIL's "L" of an RGB pixel (ITU-R 601-2 in 16-bit fixed point, as Convert.c's L24). */
const luma = (r: number, g: number, b: number) => (r * 19595 + g * 38470 + b * 7471 + 0x8000) >>> 16;

/** PIL Image.blend(a, b, alpha) on 8-bit samples: a + alpha * (b - a) in float32, truncated (clipped when extrapolating). */
function blendInto(out: Uint8Array, a: ArrayLike<number>, b: ArrayLike<number>, alpha: number): void {
  const f = Math.fround;
  const al = f(alpha);
  const inside = al >= 0 && al <= 1;
  for (let i = 0; i < out.length; i++) {
    const t = f(a[i]! + f(al * (b[i]! - a[i]!)));
    out[i] = inside ? Math.trunc(t) : t <= 0 ? 0 : t >= 255 ? 255 : Math.trunc(t);
  }
}

function checkColorImage(img: DecodedImage, what: string): void {
  checkImage(img, what);
  if (img.mode !== 'RGB' && img.mode !== 'L') throw new Error(`${what}: needs an RGB or L image, got mode '${img.mode}': convert it to RGB first (ConvertRGB)`);
}

function enhance(img: DecodedImage, degenerate: ArrayLike<number>, factor: number): DecodedImage {
  if (factor === 0) return { ...img, data: Uint8Array.from(degenerate) };
  if (factor === 1) return { ...img, data: Uint8Array.from(img.data) };
  const out = new Uint8Array(img.data.length);
  blendInto(out, degenerate, img.data, factor);
  return { ...img, data: out };
}

/** torchvision F.adjust_brightness (PIL ImageEnhance.Brightness: blend with black). */
export function adjustBrightness(img: DecodedImage, factor: number): DecodedImage {
  checkColorImage(img, 'adjust_brightness');
  if (!(factor >= 0)) throw new Error(`brightness_factor (${factor}) is not non-negative.`);
  return enhance(img, new Uint8Array(img.data.length), factor);
}

function grayOf(img: DecodedImage): Uint8Array {
  if (img.mode === 'L') return img.data as Uint8Array;
  const n = img.width * img.height;
  const g = new Uint8Array(n);
  for (let i = 0, p = 0; i < n; i++, p += 3) g[i] = luma(img.data[p]!, img.data[p + 1]!, img.data[p + 2]!);
  return g;
}

/** torchvision F.adjust_contrast (PIL ImageEnhance.Contrast: blend with the mean grey, int(mean + 0.5)). */
export function adjustContrast(img: DecodedImage, factor: number): DecodedImage {
  checkColorImage(img, 'adjust_contrast');
  if (!(factor >= 0)) throw new Error(`contrast_factor (${factor}) is not non-negative.`);
  const g = grayOf(img);
  let sum = 0;
  for (let i = 0; i < g.length; i++) sum += g[i]!;
  const mean = Math.trunc(sum / g.length + 0.5);
  return enhance(img, new Uint8Array(img.data.length).fill(mean), factor);
}

/** torchvision F.adjust_saturation (PIL ImageEnhance.Color: blend with the image's grey version). */
export function adjustSaturation(img: DecodedImage, factor: number): DecodedImage {
  checkColorImage(img, 'adjust_saturation');
  if (!(factor >= 0)) throw new Error(`saturation_factor (${factor}) is not non-negative.`);
  if (img.mode === 'L') return enhance(img, img.data as Uint8Array, factor);
  const g = grayOf(img);
  const deg = new Uint8Array(img.data.length);
  for (let i = 0; i < g.length; i++) deg[3 * i] = deg[3 * i + 1] = deg[3 * i + 2] = g[i]!;
  return enhance(img, deg, factor);
}

/** PIL's RGB -> HSV (Convert.c rgb2hsv_row: float steps, hue and saturation truncated to 0..255). */
export function rgbToHsvPIL(r: number, g: number, b: number): [number, number, number] {
  const f = Math.fround;
  const maxc = Math.max(r, g, b);
  const minc = Math.min(r, g, b);
  if (maxc === minc) return [0, 0, maxc];
  const cr = f(maxc - minc);
  const s = f(cr / maxc);
  const rc = f((maxc - r) / cr);
  const gc = f((maxc - g) / cr);
  const bc = f((maxc - b) / cr);
  let h = r === maxc ? f(bc - gc) : g === maxc ? f(2.0 + rc - bc) : f(4.0 + gc - rc);
  const x = h / 6.0 + 1.0;
  h = f(x - Math.trunc(x)); // fmod(x, 1.0) for x >= 0
  const clip = (v: number) => Math.min(255, Math.max(0, Math.trunc(v)));
  return [clip(h * 255.0), clip(s * 255.0), maxc];
}

/** PIL's HSV -> RGB (Convert.c hsv2rgb: C round(), half away from zero). */
export function hsvToRgbPIL(h: number, s: number, v: number): [number, number, number] {
  if (s === 0) return [v, v, v];
  const f32 = Math.fround;
  const i = Math.floor((h * 6.0) / 255.0);
  const fr = f32((h * 6.0) / 255.0 - i);
  const fs = f32(s / 255.0);
  const cround = (x: number) => Math.min(255, Math.max(0, Math.sign(x) * Math.floor(Math.abs(x) + 0.5)));
  const p = cround(v * (1.0 - fs));
  const q = cround(v * (1.0 - fs * fr));
  const t = cround(v * (1.0 - fs * (1.0 - fr)));
  switch (i % 6) {
    case 0: return [v, t, p];
    case 1: return [q, v, p];
    case 2: return [p, v, t];
    case 3: return [p, q, v];
    case 4: return [t, p, v];
    default: return [v, p, q];
  }
}

/** torchvision F.adjust_hue on a PIL image: shift the HSV hue by hue_factor * 255 (uint8 wrap-around). */
export function adjustHue(img: DecodedImage, factor: number): DecodedImage {
  checkColorImage(img, 'adjust_hue');
  if (!(factor >= -0.5 && factor <= 0.5)) throw new Error(`hue_factor (${factor}) is not in [-0.5, 0.5].`);
  if (img.mode === 'L') return img;
  // np.array(hue_factor * 255).astype(np.uint8): truncation, then modulo 256
  const shift = ((Math.trunc(factor * 255) % 256) + 256) % 256;
  const out = new Uint8Array(img.data.length);
  for (let p = 0; p < out.length; p += 3) {
    const [h, s, v] = rgbToHsvPIL(img.data[p]!, img.data[p + 1]!, img.data[p + 2]!);
    const [r, g, b] = hsvToRgbPIL((h + shift) & 255, s, v);
    out[p] = r; out[p + 1] = g; out[p + 2] = b;
  }
  return { ...img, data: out };
}

type Jitter = number | [number, number];

function jitterRange(value: Jitter | undefined, name: string, center: number, bound: [number, number], clipFirstOnZero: boolean): [number, number] | null {
  if (value === undefined || value === null) return null;
  let range: [number, number];
  if (typeof value === 'number') {
    if (value < 0) throw new Error(`If ${name} is a single number, it must be non negative.`);
    range = [center - value, center + value];
    if (clipFirstOnZero) range[0] = Math.max(range[0], 0);
  } else if (Array.isArray(value) && value.length === 2 && value.every((v) => typeof v === 'number')) {
    range = [value[0], value[1]];
  } else {
    throw new Error(`${name} should be a single number or a list/tuple with length 2.`);
  }
  if (!(bound[0] <= range[0] && range[0] <= range[1] && range[1] <= bound[1])) throw new Error(`${name} values should be between [${bound[0]}, ${bound[1]}], but got [${range[0]}, ${range[1]}].`);
  return range[0] === center && range[1] === center ? null : range;
}

export interface ColorJitterOptions { brightness?: Jitter; contrast?: Jitter; saturation?: Jitter; hue?: Jitter }
export interface ColorJitterParams { order: number[]; brightness: number | null; contrast: number | null; saturation: number | null; hue: number | null }

/** torchvision ColorJitter: the four adjustments in a random order, each with a factor drawn uniformly from its range. */
export class ColorJitter implements ImageTransform<DecodedImage, DecodedImage> {
  readonly brightness: [number, number] | null;
  readonly contrast: [number, number] | null;
  readonly saturation: [number, number] | null;
  readonly hue: [number, number] | null;

  constructor(o: ColorJitterOptions = {}) {
    this.brightness = jitterRange(o.brightness, 'brightness', 1, [0, Infinity], true);
    this.contrast = jitterRange(o.contrast, 'contrast', 1, [0, Infinity], true);
    this.saturation = jitterRange(o.saturation, 'saturation', 1, [0, Infinity], true);
    this.hue = jitterRange(o.hue, 'hue', 0, [-0.5, 0.5], false);
  }

  /** torchvision's get_params: randperm(4), then one uniform draw per adjustment that is on. */
  getParams(rng: Rng): ColorJitterParams {
    const order = [0, 1, 2, 3];
    for (let i = 3; i > 0; i--) {
      const j = rng.randint(0, i + 1);
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    const draw = (r: [number, number] | null) => (r ? rng.uniform(r[0], r[1]) : null);
    return { order, brightness: draw(this.brightness), contrast: draw(this.contrast), saturation: draw(this.saturation), hue: draw(this.hue) };
  }

  apply(img: DecodedImage, rng: Rng): DecodedImage {
    const p = this.getParams(rng);
    for (const k of p.order) {
      if (k === 0 && p.brightness !== null) img = adjustBrightness(img, p.brightness);
      else if (k === 1 && p.contrast !== null) img = adjustContrast(img, p.contrast);
      else if (k === 2 && p.saturation !== null) img = adjustSaturation(img, p.saturation);
      else if (k === 3 && p.hue !== null) img = adjustHue(img, p.hue);
    }
    return img;
  }
}

/** torchvision Resize: an int resizes the shorter edge (aspect kept, long edge truncated), [h, w] is exact. */
export class Resize implements ImageTransform<DecodedImage, DecodedImage> {
  constructor(readonly size: SizeArg, readonly opts: { interpolation?: number; maxSize?: number } = {}) {
    if (typeof size === 'number') hw(size, 'Resize'); else hw(size, 'Resize');
  }

  outputSize(height: number, width: number): [number, number] {
    if (typeof this.size !== 'number') return this.size;
    const [short, long] = width <= height ? [width, height] : [height, width];
    let newShort = this.size;
    let newLong = Math.trunc((this.size * long) / short);
    const max = this.opts.maxSize;
    if (max !== undefined) {
      if (max <= this.size) throw new Error(`Resize: maxSize (${max}) must be larger than size (${this.size})`);
      if (newLong > max) {
        newShort = Math.trunc((max * newShort) / newLong);
        newLong = max;
      }
    }
    return width <= height ? [newLong, newShort] : [newShort, newLong];
  }

  apply(img: DecodedImage): DecodedImage {
    const [h, w] = this.outputSize(img.height, img.width);
    return resizePIL(img, [w, h], this.opts.interpolation ?? PILResample.BILINEAR);
  }
}

/** torchvision CenterCrop: zero-pads when the crop is larger, offsets rounded like Python's round(). */
export class CenterCrop implements ImageTransform<DecodedImage, DecodedImage> {
  readonly size: [number, number];
  constructor(size: SizeArg) { this.size = hw(size, 'CenterCrop'); }

  apply(img: DecodedImage): DecodedImage {
    const [ch, cw] = this.size;
    let top: number;
    let left: number;
    // torchvision pads (left = (cw - w) // 2, top = (ch - h) // 2) before cropping at round((H - ch) / 2)
    const padL = cw > img.width ? Math.floor((cw - img.width) / 2) : 0;
    const padT = ch > img.height ? Math.floor((ch - img.height) / 2) : 0;
    const padR = cw > img.width ? Math.floor((cw - img.width + 1) / 2) : 0;
    const padB = ch > img.height ? Math.floor((ch - img.height + 1) / 2) : 0;
    const H = img.height + padT + padB;
    const W = img.width + padL + padR;
    if (H === ch && W === cw) {
      top = -padT;
      left = -padL;
    } else {
      top = pyRound((H - ch) / 2) - padT;
      left = pyRound((W - cw) / 2) - padL;
    }
    if (top === 0 && left === 0 && ch === img.height && cw === img.width) return img;
    return cropImage(img, top, left, ch, cw);
  }
}

/** torchvision ToTensor: uint8 HWC -> float32 CHW divided by 255 (in float32). */
export class ToTensor implements ImageTransform<DecodedImage, ImageTensor> {
  apply(img: DecodedImage): ImageTensor {
    const { width: W, height: H, channels: C } = img;
    if (img.data instanceof Uint16Array) throw new Error(`ToTensor: 16-bit mode '${img.mode}' is not supported; convert to RGB first`);
    const lut = new Float32Array(256);
    for (let v = 0; v < 256; v++) lut[v] = v / 255;
    const plane = W * H;
    const out = new Float32Array(plane * C);
    for (let c = 0; c < C; c++) {
      for (let i = 0, p = c; i < plane; i++, p += C) out[c * plane + i] = lut[img.data[p]];
    }
    return { data: out, shape: [C, H, W] };
  }
}

/** torchvision Normalize: (x - mean) / std per channel, in float32. */
export class Normalize implements ImageTransform<ImageTensor, ImageTensor> {
  readonly mean: number[];
  readonly std: number[];
  constructor(opts: { mean: number[]; std: number[] }) {
    this.mean = opts.mean;
    this.std = opts.std;
    if (this.std.some((s) => s === 0)) throw new Error(`Normalize: std must not contain 0, got ${JSON.stringify(this.std)}`);
  }

  apply(t: ImageTensor): ImageTensor {
    const [C, H, W] = t.shape;
    if (this.mean.length !== C || this.std.length !== C) {
      throw new Error(`Normalize: mean/std have ${this.mean.length}/${this.std.length} values for a ${C}-channel image`);
    }
    const f = Math.fround;
    const plane = H * W;
    const out = new Float32Array(t.data.length);
    for (let c = 0; c < C; c++) {
      const m = f(this.mean[c]);
      const s = f(this.std[c]);
      for (let i = c * plane, e = i + plane; i < e; i++) out[i] = f(f(t.data[i] - m) / s);
    }
    return { data: out, shape: t.shape.slice() };
  }
}

/** What the image-classification example builds from an image processor. */
export interface ProcessorLike {
  size: { height: number; width: number } | { shortestEdge: number; longestEdge?: number };
  /** Processors that centre-crop (DeiT, BEiT, CLIP): the size the model sees. */
  cropSize?: { height: number; width: number };
  config?: { doCenterCrop?: boolean };
  imageMean?: number[];
  imageStd?: number[];
}

/** The train-time augmentations (torchvision's defaults unless given). */
export interface TrainAugmentOptions {
  /** RandomResizedCrop's area range (default [0.08, 1]). */
  scale?: [number, number];
  /** RandomResizedCrop's aspect-ratio range (default [3/4, 4/3]). */
  ratio?: [number, number];
  /** RandomHorizontalFlip's probability (default 0.5). */
  flipP?: number;
  /** ColorJitter after the flip (off by default, as in transformers' example). */
  colorJitter?: ColorJitterOptions | null;
}

/**
 * The example's transforms: train = convert("RGB"), RandomResizedCrop(crop), RandomHorizontalFlip(),
 * [ColorJitter], ToTensor(), Normalize; eval = convert("RGB"), Resize(size), CenterCrop(crop), ToTensor(),
 * Normalize. `size` is shortest_edge, else (height, width); `crop` is the processor's crop_size when it
 * centre-crops (DeiT/BEiT/CLIP: the size the model was built for), else `size`.
 */
export function imageClassificationTransforms(processor: ProcessorLike, opts: { seed?: number } & TrainAugmentOptions = {}): { train: Compose; eval: Compose } {
  const size: SizeArg = 'shortestEdge' in processor.size ? processor.size.shortestEdge : [processor.size.height, processor.size.width];
  const crop: SizeArg = processor.cropSize && processor.config?.doCenterCrop !== false ? [processor.cropSize.height, processor.cropSize.width] : size;
  const norm: TransformLike = processor.imageMean && processor.imageStd
    ? new Normalize({ mean: processor.imageMean, std: processor.imageStd })
    : (x: ImageTensor) => x;
  const jitter = opts.colorJitter ? [new ColorJitter(opts.colorJitter)] : [];
  return {
    train: new Compose([new ConvertRGB(), new RandomResizedCrop(crop, { scale: opts.scale, ratio: opts.ratio }), new RandomHorizontalFlip(opts.flipP), ...jitter, new ToTensor(), norm], opts),
    eval: new Compose([new ConvertRGB(), new Resize(size), new CenterCrop(crop), new ToTensor(), norm], opts),
  };
}
