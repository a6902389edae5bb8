// A tiny software rasteriser for the demo data: float RGB canvases, soft-edged (anti-aliased)
// circles and polygons, value noise, and a minimal PNG encoder (zlib only, no canvas packages).
import { deflateSync } from 'node:zlib';
import type { Rng } from './rng';

export type RGB = [number, number, number];

/** A float RGB image, values nominally in [0, 1], row-major, 3 channels interleaved. */
export interface Canvas {
  width: number;
  height: number;
  data: Float32Array;
}

export function createCanvas(width: number, height: number, fill: RGB = [0, 0, 0]): Canvas {
  const data = new Float32Array(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    data[i * 3] = fill[0];
    data[i * 3 + 1] = fill[1];
    data[i * 3 + 2] = fill[2];
  }
  return { width, height, data };
}

export const clamp01 = (x: number): number => (x < 0 ? 0 : x > 1 ? 1 : x);
export const lerp = (a: number, b: number, t: number): number => a + (b - a) * t;
export const smoothstep = (e0: number, e1: number, x: number): number => {
  const t = clamp01((x - e0) / (e1 - e0));
  return t * t * (3 - 2 * t);
};
export const mixRGB = (a: RGB, b: RGB, t: number): RGB => [lerp(a[0], b[0], t), lerp(a[1], b[1], t), lerp(a[2], b[2], t)];

/** Alpha-blends colour c over pixel i (pixel index, not byte offset). */
export function blendPixel(c: Canvas, i: number, col: RGB, alpha: number): void {
  if (alpha <= 0) return;
  const a = alpha > 1 ? 1 : alpha;
  const d = c.data;
  const o = i * 3;
  d[o] += (col[0] - d[o]) * a;
  d[o + 1] += (col[1] - d[o + 1]) * a;
  d[o + 2] += (col[2] - d[o + 2]) * a;
}

/** Multiplies pixel i by factor f (blended by alpha). */
export function shadePixel(c: Canvas, i: number, f: number, alpha = 1): void {
  const o = i * 3;
  const k = 1 + (f - 1) * alpha;
  c.data[o] *= k;
  c.data[o + 1] *= k;
  c.data[o + 2] *= k;
}

/** HSV (h in degrees, s and v in [0,1]) to RGB in [0,1]. */
export function hsv(h: number, s: number, v: number): RGB {
  h = ((h % 360) + 360) % 360;
  const c = v * s;
  const x = c * (1 - Math.abs(((h / 60) % 2) - 1));
  const m = v - c;
  let r = 0, g = 0, b = 0;
  if (h < 60) [r, g, b] = [c, x, 0];
  else if (h < 120) [r, g, b] = [x, c, 0];
  else if (h < 180) [r, g, b] = [0, c, x];
  else if (h < 240) [r, g, b] = [0, x, c];
  else if (h < 300) [r, g, b] = [x, 0, c];
  else [r, g, b] = [c, 0, x];
  return [r + m, g + m, b + m];
}

/**
 * Smooth value noise in [0, 1]: a (cells+1)^2 random lattice bilinearly (smoothstep) interpolated
 * over a width x height image.
 */
export function valueNoise(rng: Rng, width: number, height: number, cells: number): Float32Array {
  const g = cells + 1;
  const lattice = new Float32Array(g * g);
  for (let i = 0; i < lattice.length; i++) lattice[i] = rng.next();
  const out = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    const fy = (y / height) * cells;
    const y0 = Math.min(cells - 1, Math.floor(fy));
    let ty = fy - y0;
    ty = ty * ty * (3 - 2 * ty);
    for (let x = 0; x < width; x++) {
      const fx = (x / width) * cells;
      const x0 = Math.min(cells - 1, Math.floor(fx));
      let tx = fx - x0;
      tx = tx * tx * (3 - 2 * tx);
      const a = lattice[y0 * g + x0], b = lattice[y0 * g + x0 + 1];
      const c = lattice[(y0 + 1) * g + x0], d = lattice[(y0 + 1) * g + x0 + 1];
      out[y * width + x] = lerp(lerp(a, b, tx), lerp(c, d, tx), ty);
    }
  }
  return out;
}

/** Draws a soft-edged disc of radius r (pixels) centred at (cx, cy) (pixel units; pixel centres at +0.5). */
export function fillCircle(c: Canvas, cx: number, cy: number, r: number, col: RGB, alpha = 1, feather = 1): void {
  const x0 = Math.max(0, Math.floor(cx - r - feather)), x1 = Math.min(c.width - 1, Math.ceil(cx + r + feather));
  const y0 = Math.max(0, Math.floor(cy - r - feather)), y1 = Math.min(c.height - 1, Math.ceil(cy + r + feather));
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      const ddx = x + 0.5 - cx, ddy = y + 0.5 - cy;
      const d = Math.sqrt(ddx * ddx + ddy * ddy);
      const cov = clamp01((r - d) / feather + 0.5);
      if (cov > 0) blendPixel(c, y * c.width + x, col, cov * alpha);
    }
  }
}

/** Signed distance (pixels) from p to a closed polygon: positive inside (even-odd rule). */
export function polygonSignedDistance(px: number, py: number, xs: ArrayLike<number>, ys: ArrayLike<number>): number {
  const n = xs.length;
  let inside = false;
  let best = Infinity;
  for (let i = 0, j = n - 1; i < n; j = i++) {
    const xi = xs[i], yi = ys[i], xj = xs[j], yj = ys[j];
    if ((yi > py) !== (yj > py) && px < ((xj - xi) * (py - yi)) / (yj - yi) + xi) inside = !inside;
    const ex = xj - xi, ey = yj - yi;
    const len2 = ex * ex + ey * ey || 1e-12;
    const t = clamp01(((px - xi) * ex + (py - yi) * ey) / len2);
    const dx = px - (xi + t * ex), dy = py - (yi + t * ey);
    const d2 = dx * dx + dy * dy;
    if (d2 < best) best = d2;
  }
  const d = Math.sqrt(best);
  return inside ? d : -d;
}

/**
 * Rasterises a polygon with anti-aliased edges. `shader(sd, x, y)` may return a per-pixel colour
 * from the signed distance to the edge (for rims/halos); otherwise `col` is used.
 */
export function fillPolygon(
  c: Canvas,
  xs: number[],
  ys: number[],
  col: RGB,
  alpha = 1,
  opts: { feather?: number; pad?: number; shader?: (sd: number, x: number, y: number) => [RGB, number] | null } = {},
): void {
  const feather = opts.feather ?? 1;
  const pad = (opts.pad ?? 0) + feather;
  const x0 = Math.max(0, Math.floor(Math.min(...xs) - pad)), x1 = Math.min(c.width - 1, Math.ceil(Math.max(...xs) + pad));
  const y0 = Math.max(0, Math.floor(Math.min(...ys) - pad)), y1 = Math.min(c.height - 1, Math.ceil(Math.max(...ys) + pad));
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      const sd = polygonSignedDistance(x + 0.5, y + 0.5, xs, ys);
      if (opts.shader) {
        const r = opts.shader(sd, x, y);
        if (r) blendPixel(c, y * c.width + x, r[0], r[1] * alpha);
        continue;
      }
      const cov = clamp01(sd / feather + 0.5);
      if (cov > 0) blendPixel(c, y * c.width + x, col, cov * alpha);
    }
  }
}

/** Adds per-pixel Gaussian noise (std in [0,1] units) and quantises to 8-bit RGB. */
export function toRGB8(c: Canvas, rng: Rng, noiseStd = 0, out?: Uint8Array, offset = 0): Uint8Array {
  const n = c.width * c.height * 3;
  const dst = out ?? new Uint8Array(n);
  const d = c.data;
  for (let i = 0; i < n; i++) {
    let v = d[i];
    // triangular noise (sum of two uniforms), variance-matched to a Gaussian of std noiseStd
    if (noiseStd > 0) v += noiseStd * 2.449489743 * (rng.next() + rng.next() - 1);
    v = v < 0 ? 0 : v > 1 ? 1 : v;
    dst[offset + i] = Math.round(v * 255);
  }
  return dst;
}

/** Box-filter downsample by an integer factor (used for supersampled renders). */
export function downsample(c: Canvas, factor: number): Canvas {
  if (factor === 1) return c;
  const w = Math.floor(c.width / factor), h = Math.floor(c.height / factor);
  const out = createCanvas(w, h);
  const k = 1 / (factor * factor);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let r = 0, g = 0, b = 0;
      for (let dy = 0; dy < factor; dy++) {
        for (let dx = 0; dx < factor; dx++) {
          const o = ((y * factor + dy) * c.width + x * factor + dx) * 3;
          r += c.data[o]; g += c.data[o + 1]; b += c.data[o + 2];
        }
      }
      const o = (y * w + x) * 3;
      out.data[o] = r * k; out.data[o + 1] = g * k; out.data[o + 2] = b * k;
    }
  }
  return out;
}

// ---- PNG encoding (8-bit RGB, filter 'Up'/'None' per row chosen cheaply) -------------------------

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(buf: Uint8Array, start = 0, end = buf.length): number {
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = CRC_TABLE[(c ^ buf[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, payload: Uint8Array): Buffer {
  const b = Buffer.alloc(12 + payload.length);
  b.writeUInt32BE(payload.length, 0);
  b.write(type, 4, 'latin1');
  b.set(payload, 8);
  b.writeUInt32BE(crc32(b, 4, 8 + payload.length), 8 + payload.length);
  return b;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Encodes 8-bit interleaved RGB pixels as a PNG file (Sub filter on every row; zlib level 6). */
export function encodePNG(rgb: Uint8Array, width: number, height: number, offset = 0): Buffer {
  const stride = width * 3;
  const raw = Buffer.alloc((stride + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = y * (stride + 1);
    const src = offset + y * stride;
    raw[row] = 1; // Sub
    for (let x = 0; x < stride; x++) {
      const left = x >= 3 ? rgb[src + x - 3] : 0;
      raw[row + 1 + x] = (rgb[src + x] - left) & 0xff;
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type RGB
  ihdr[10] = 0; ihdr[11] = 0; ihdr[12] = 0;
  return Buffer.concat([PNG_SIGNATURE, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw, { level: 6 })), chunk('IEND', new Uint8Array(0))]);
}
