// A port of Pillow's Image.resize (9.x/10.x): the separable two-pass convolution of
// libImaging's resampler (horizontal pass first, then vertical, 8-bit fixed point with
// 22 fraction bits, PIL's rounding and clipping), the affine nearest-neighbour path used
// for NEAREST, the premultiplied-alpha round trip for RGBA/LA, and the 16-bit path for
// 'I;16'. Written from the algorithm; no `reducing_gap` (off by default in PIL too).
import { checkImage, type DecodedImage } from './types';
import { premultiplyAlpha, unpremultiplyAlpha } from './convert';
import { imageAddon } from './native-image';

/** PIL's resampling filter codes (`PIL.Image.Resampling`). */
export const PILResample = {
  NEAREST: 0,
  LANCZOS: 1,
  BILINEAR: 2,
  BICUBIC: 3,
  BOX: 4,
  HAMMING: 5,
} as const;
export type PILResampleCode = (typeof PILResample)[keyof typeof PILResample];

export const PIL_RESAMPLE_NAMES: Record<number, string> = {
  0: 'NEAREST', 1: 'LANCZOS', 2: 'BILINEAR', 3: 'BICUBIC', 4: 'BOX', 5: 'HAMMING',
};

interface Filter {
  fn: (x: number) => number;
  support: number;
}

const F054 = Math.fround(0.54);
const F046 = Math.fround(0.46);

function sinc(x: number): number {
  if (x === 0) return 1;
  x *= Math.PI;
  return Math.sin(x) / x;
}

const FILTERS: Record<number, Filter> = {
  [PILResample.BOX]: { support: 0.5, fn: (x) => (x > -0.5 && x <= 0.5 ? 1 : 0) },
  [PILResample.BILINEAR]: {
    support: 1,
    fn: (x) => {
      if (x < 0) x = -x;
      return x < 1 ? 1 - x : 0;
    },
  },
  [PILResample.HAMMING]: {
    support: 1,
    fn: (x) => {
      if (x < 0) x = -x;
      if (x === 0) return 1;
      if (x >= 1) return 0;
      x *= Math.PI;
      // C: sin(x) / x * (0.54f + 0.46f * cos(x)), float constants promoted to double
      return (Math.sin(x) / x) * (F054 + F046 * Math.cos(x));
    },
  },
  [PILResample.BICUBIC]: {
    support: 2,
    fn: (x) => {
      const a = -0.5;
      if (x < 0) x = -x;
      if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
      if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
      return 0;
    },
  },
  [PILResample.LANCZOS]: {
    support: 3,
    fn: (x) => (x >= -3 && x < 3 ? sinc(x) * sinc(x / 3) : 0),
  },
};

const PRECISION_BITS = 32 - 8 - 2;
const HALF = 1 << (PRECISION_BITS - 1);
const ONE = 1 << PRECISION_BITS;

interface Coeffs {
  ksize: number;
  /** Per output pixel: first input index and number of taps. */
  bounds: Int32Array;
  /** Double coefficients, ksize per output pixel, normalised to sum 1. */
  kk: Float64Array;
}

/** Filter taps for one axis, as Pillow's precompute_coeffs computes them (in double). */
function precomputeCoeffs(inSize: number, in0: number, in1: number, outSize: number, filter: Filter): Coeffs {
  // box coordinates are C floats; their difference is a float promoted to double
  const scale = Math.fround(in1 - in0) / outSize;
  const filterscale = scale < 1 ? 1 : scale;
  const support = filter.support * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const kk = new Float64Array(outSize * ksize);
  const bounds = new Int32Array(outSize * 2);
  const ss = 1 / filterscale;
  for (let xx = 0; xx < outSize; xx++) {
    const center = in0 + (xx + 0.5) * scale;
    let ww = 0;
    let xmin = Math.trunc(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    let xmax = Math.trunc(center + support + 0.5);
    if (xmax > inSize) xmax = inSize;
    xmax -= xmin;
    const off = xx * ksize;
    for (let x = 0; x < xmax; x++) {
      const w = filter.fn((x + xmin - center + 0.5) * ss);
      kk[off + x] = w;
      ww += w;
    }
    if (ww !== 0) for (let x = 0; x < xmax; x++) kk[off + x] /= ww;
    bounds[xx * 2] = xmin;
    bounds[xx * 2 + 1] = xmax;
  }
  return { ksize, bounds, kk };
}

/** normalize_coeffs_8bpc: doubles to 22-bit fixed point, rounded half away from zero. */
function fixedCoeffs(kk: Float64Array): Int32Array {
  const out = new Int32Array(kk.length);
  for (let i = 0; i < kk.length; i++) {
    const v = kk[i];
    out[i] = v < 0 ? Math.trunc(-0.5 + v * ONE) : Math.trunc(0.5 + v * ONE);
  }
  return out;
}

function clip8(ss: number): number {
  const v = ss >> PRECISION_BITS;
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

function horizontal8(
  src: Uint8Array, inW: number, C: number, yOffset: number, outW: number, outH: number, c: Coeffs,
): Uint8Array {
  const out = new Uint8Array(outW * outH * C);
  const k = fixedCoeffs(c.kk);
  const { ksize, bounds } = c;
  const inStride = inW * C;
  for (let yy = 0; yy < outH; yy++) {
    const row = (yy + yOffset) * inStride;
    let o = yy * outW * C;
    for (let xx = 0; xx < outW; xx++) {
      const xmin = bounds[xx * 2];
      const xmax = bounds[xx * 2 + 1];
      const ko = xx * ksize;
      let p = row + xmin * C;
      if (C === 3) {
        // int32 sums as in C (Pillow keeps 2 bits of headroom, so they do not overflow)
        let s0 = HALF, s1 = HALF, s2 = HALF;
        for (let x = 0; x < xmax; x++, p += 3) {
          const w = k[ko + x];
          s0 = (s0 + Math.imul(src[p], w)) | 0;
          s1 = (s1 + Math.imul(src[p + 1], w)) | 0;
          s2 = (s2 + Math.imul(src[p + 2], w)) | 0;
        }
        out[o++] = clip8(s0);
        out[o++] = clip8(s1);
        out[o++] = clip8(s2);
      } else if (C === 1) {
        let s0 = HALF;
        for (let x = 0; x < xmax; x++, p++) s0 = (s0 + Math.imul(src[p], k[ko + x])) | 0;
        out[o++] = clip8(s0);
      } else {
        for (let ch = 0; ch < C; ch++) {
          let s = HALF;
          let q = p + ch;
          for (let x = 0; x < xmax; x++, q += C) s = (s + Math.imul(src[q], k[ko + x])) | 0;
          out[o++] = clip8(s);
        }
      }
    }
  }
  return out;
}

function vertical8(src: Uint8Array, W: number, C: number, outH: number, c: Coeffs): Uint8Array {
  const out = new Uint8Array(W * outH * C);
  const k = fixedCoeffs(c.kk);
  const { ksize, bounds } = c;
  const stride = W * C;
  const n = stride;
  const acc = new Int32Array(n);
  for (let yy = 0; yy < outH; yy++) {
    const ymin = bounds[yy * 2];
    const ymax = bounds[yy * 2 + 1];
    const ko = yy * ksize;
    const o = yy * stride;
    const base = ymin * stride;
    // accumulate row by row (same sums as PIL's per-pixel loop: integer adds are exact)
    acc.fill(HALF);
    for (let y = 0; y < ymax; y++) {
      const w = k[ko + y];
      const r = base + y * stride;
      for (let i = 0; i < n; i++) acc[i] = (acc[i] + Math.imul(src[r + i], w)) | 0;
    }
    for (let i = 0; i < n; i++) out[o + i] = clip8(acc[i]);
  }
  return out;
}

function roundUp(f: number): number {
  return Math.trunc(f >= 0 ? f + 0.5 : f - 0.5);
}

/** The 16bpc pass stores low byte = clip8(v % 256), high byte = clip8(v >> 8), as Pillow does. */
function pack16(ssInt: number): number {
  const lo = ssInt % 256;
  const hi = ssInt >> 8;
  return (lo < 0 ? 0 : lo > 255 ? 255 : lo) + (hi < 0 ? 0 : hi > 255 ? 255 : hi) * 256;
}

function horizontal16(
  src: Uint16Array, inW: number, yOffset: number, outW: number, outH: number, c: Coeffs,
): Uint16Array {
  const out = new Uint16Array(outW * outH);
  const { ksize, bounds, kk } = c;
  for (let yy = 0; yy < outH; yy++) {
    const row = (yy + yOffset) * inW;
    for (let xx = 0; xx < outW; xx++) {
      const xmin = bounds[xx * 2];
      const xmax = bounds[xx * 2 + 1];
      let ss = 0;
      for (let x = 0; x < xmax; x++) ss += src[row + xmin + x] * kk[xx * ksize + x];
      out[yy * outW + xx] = pack16(roundUp(ss));
    }
  }
  return out;
}

function vertical16(src: Uint16Array, W: number, outH: number, c: Coeffs): Uint16Array {
  const out = new Uint16Array(W * outH);
  const { ksize, bounds, kk } = c;
  for (let yy = 0; yy < outH; yy++) {
    const ymin = bounds[yy * 2];
    const ymax = bounds[yy * 2 + 1];
    for (let xx = 0; xx < W; xx++) {
      let ss = 0;
      for (let y = 0; y < ymax; y++) ss += src[(y + ymin) * W + xx] * kk[yy * ksize + y];
      out[yy * W + xx] = pack16(roundUp(ss));
    }
  }
  return out;
}

type Box = [number, number, number, number];

/** ImagingResample: convolution resize of an 8-bit or 'I;16' image (box as C floats). */
function resampleConvolution(img: DecodedImage, outW: number, outH: number, filter: Filter, box: Box): DecodedImage {
  const C = img.channels;
  const is16 = img.mode === 'I;16';
  // Pillow's (odd-looking) tests, kept as they are
  const needH = outW !== img.width || box[0] !== 0 || box[2] !== outW;
  const needV = outH !== img.height || box[1] !== 0 || box[3] !== outH;
  const vert = precomputeCoeffs(img.height, box[1], box[3], outH, filter);
  const yFirst = vert.bounds[0];
  const yLast = vert.bounds[outH * 2 - 2] + vert.bounds[outH * 2 - 1];
  const addon = is16 ? null : imageAddon();
  if (addon && (needH || needV)) {
    // the same passes in native code, on the same taps
    const horiz = needH ? precomputeCoeffs(img.width, box[0], box[2], outW, filter) : null;
    if (needH) for (let i = 0; i < outH; i++) vert.bounds[i * 2] -= yFirst;
    const data = addon.resample8(
      img.data as Uint8Array, img.width, img.height, C, outW, outH,
      horiz ? fixedCoeffs(horiz.kk) : null, horiz ? horiz.bounds : null, horiz ? horiz.ksize : 0, yFirst, yLast - yFirst,
      needV ? fixedCoeffs(vert.kk) : null, needV ? vert.bounds : null, vert.ksize,
    );
    return { ...img, width: needH ? outW : img.width, height: needV ? outH : yLast - yFirst, data };
  }
  let data: Uint8Array | Uint16Array = img.data;
  let width = img.width;
  let height = img.height;
  let done = false;
  if (needH) {
    const horiz = precomputeCoeffs(img.width, box[0], box[2], outW, filter);
    for (let i = 0; i < outH; i++) vert.bounds[i * 2] -= yFirst;
    const rows = yLast - yFirst;
    data = is16
      ? horizontal16(data as Uint16Array, width, yFirst, outW, rows, horiz)
      : horizontal8(data as Uint8Array, width, C, yFirst, outW, rows, horiz);
    width = outW;
    height = rows;
    done = true;
  }
  if (needV) {
    data = is16 ? vertical16(data as Uint16Array, width, outH, vert) : vertical8(data as Uint8Array, width, C, outH, vert);
    height = outH;
    done = true;
  }
  if (!done) data = data.slice();
  return { ...img, width, height, data };
}

/** C `COORD`: -1 for negatives, else truncation. */
function coord(v: number): number {
  return v < 0 ? -1 : Math.trunc(v);
}

/** Nearest neighbour as Pillow's resize does it (ImagingScaleAffine, or the generic transform for 'I;16'). */
function resizeNearest(img: DecodedImage, outW: number, outH: number, box: Box): DecodedImage {
  const C = img.channels;
  const a0 = Math.fround(box[2] - box[0]) / outW;
  const a4 = Math.fround(box[3] - box[1]) / outH;
  const a2 = box[0];
  const a5 = box[1];
  const out = img.mode === 'I;16' ? new Uint16Array(outW * outH) : new Uint8Array(outW * outH * C);
  const src = img.data;
  if (img.mode === 'I;16') {
    // generic transform: coordinates computed per pixel at (x + 0.5, y + 0.5)
    for (let y = 0; y < outH; y++) {
      const yi = coord(a4 * (y + 0.5) + a5);
      for (let x = 0; x < outW; x++) {
        const xi = coord(a0 * (x + 0.5) + a2);
        if (xi >= 0 && xi < img.width && yi >= 0 && yi < img.height) out[y * outW + x] = src[yi * img.width + xi];
      }
    }
    return { ...img, width: outW, height: outH, data: out };
  }
  // ImagingScaleAffine: positions accumulated by repeated addition, as in C
  const xintab = new Int32Array(outW);
  let xo = a2 + a0 * 0.5;
  let xmin = outW;
  let xmax = 0;
  for (let x = 0; x < outW; x++) {
    const xin = coord(xo);
    if (xin >= 0 && xin < img.width) {
      xmax = x + 1;
      if (x < xmin) xmin = x;
      xintab[x] = xin;
    }
    xo += a0;
  }
  let yo = a5 + a4 * 0.5;
  for (let y = 0; y < outH; y++) {
    const yi = coord(yo);
    if (yi >= 0 && yi < img.height) {
      const row = yi * img.width;
      for (let x = xmin; x < xmax; x++) {
        const s = (row + xintab[x]) * C;
        const d = (y * outW + x) * C;
        for (let ch = 0; ch < C; ch++) out[d + ch] = src[s + ch];
      }
    }
    yo += a4;
  }
  return { ...img, width: outW, height: outH, data: out };
}

export interface ResizeOptions {
  /** Source region (left, upper, right, lower) in input pixels, floats allowed; default the whole image. */
  box?: [number, number, number, number];
}

/**
 * `PIL.Image.resize(size, resample, box)` (reducing_gap=None, PIL's default). `size` is
 * `[width, height]` like PIL. The default filter is BICUBIC, NEAREST for 'I;16' (as in PIL).
 * Modes '1' and 'P' always use NEAREST; 'RGBA' and 'LA' are resized premultiplied.
 */
export function resizePIL(
  img: DecodedImage,
  size: [number, number] | { width: number; height: number },
  resample?: PILResampleCode | number,
  options: ResizeOptions = {},
): DecodedImage {
  checkImage(img, 'resizePIL');
  const [outW, outH] = Array.isArray(size) ? size : [size.width, size.height];
  if (!Number.isInteger(outW) || !Number.isInteger(outH) || outW < 1 || outH < 1) {
    throw new Error(`resizePIL: width and height must be positive integers, got ${outW}x${outH}`);
  }
  let filter: number = resample ?? (img.mode === 'I;16' ? PILResample.NEAREST : PILResample.BICUBIC);
  if (!(filter in PIL_RESAMPLE_NAMES)) {
    throw new Error(`resizePIL: unknown resample ${resample}; use PILResample (NEAREST=0, LANCZOS=1, BILINEAR=2, BICUBIC=3, BOX=4, HAMMING=5)`);
  }
  const box: Box = (options.box ?? [0, 0, img.width, img.height]).map((v) => Math.fround(v)) as Box;
  if (options.box) {
    if (box[0] < 0 || box[1] < 0 || box[2] > img.width || box[3] > img.height) {
      throw new Error(`resizePIL: box ${JSON.stringify(options.box)} goes outside the ${img.width}x${img.height} image`);
    }
    if (box[2] - box[0] < 0 || box[3] - box[1] < 0) throw new Error(`resizePIL: box ${JSON.stringify(options.box)} has a negative size`);
  }
  const isDefaultBox = box[0] === 0 && box[1] === 0 && box[2] === img.width && box[3] === img.height;
  if (outW === img.width && outH === img.height && isDefaultBox) return { ...img, data: img.data.slice() };
  if (img.mode === '1' || img.mode === 'P' || img.mode === 'PA') filter = PILResample.NEAREST;
  if ((img.mode === 'RGBA' || img.mode === 'LA') && filter !== PILResample.NEAREST) {
    // PIL: convert to 'RGBa'/'La', resize, convert back
    const pre = premultiplyAlpha(img);
    return unpremultiplyAlpha(resampleConvolution(pre, outW, outH, FILTERS[filter], box));
  }
  if (filter === PILResample.NEAREST) return resizeNearest(img, outW, outH, box);
  return resampleConvolution(img, outW, outH, FILTERS[filter], box);
}
