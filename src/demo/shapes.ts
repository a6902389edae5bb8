// Source task for the demo's pretraining: textured geometric shapes on textured backgrounds.
// The class is the shape; colours, textures, outlines, rotation, scale and distractors are random,
// so a model learns edges, corners, curvature, colour and texture (useful low-level features for
// leaves) without ever seeing a leaf.
import { createRng, mixSeed, type Rng } from './rng';
import { type Canvas, type RGB, clamp01, createCanvas, downsample, hsv, polygonSignedDistance, toRGB8, valueNoise } from './raster';

export const SHAPE_LABELS = [
  'circle', 'triangle', 'square', 'pentagon', 'hexagon', 'star', 'cross', 'ring', 'crescent', 'bars',
] as const;

const TAU = Math.PI * 2;

type Texture = (x: number, y: number) => RGB;

function makeTexture(rng: Rng, W: number, H: number): Texture {
  const a = hsv(rng.uniform(0, 360), rng.uniform(0.2, 1), rng.uniform(0.25, 1));
  const b = rng.chance(0.5) ? hsv(rng.uniform(0, 360), rng.uniform(0.2, 1), rng.uniform(0.1, 1)) : [a[0] * 0.5, a[1] * 0.5, a[2] * 0.5] as RGB;
  const kind = rng.pick(['solid', 'gradient', 'stripes', 'checker', 'dots', 'noise'] as const);
  const ang = rng.uniform(0, Math.PI), ca = Math.cos(ang), sa = Math.sin(ang);
  const period = W * rng.uniform(0.06, 0.2);
  const mix = (t: number): RGB => [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t];
  switch (kind) {
    case 'solid': return () => a;
    case 'gradient': return (x, y) => mix(clamp01(0.5 + ((x - W / 2) * ca + (y - H / 2) * sa) / W));
    case 'stripes': return (x, y) => mix(clamp01(Math.sin(((x * ca + y * sa) / period) * TAU) * 2 + 0.5));
    case 'checker': return (x, y) => {
      const u = (x * ca + y * sa) / period, v = (-x * sa + y * ca) / period;
      return mix((Math.floor(u) + Math.floor(v)) & 1 ? 1 : 0);
    };
    case 'dots': return (x, y) => {
      const u = (x * ca + y * sa) / period, v = (-x * sa + y * ca) / period;
      const du = u - Math.round(u), dv = v - Math.round(v);
      return mix(du * du + dv * dv < 0.09 ? 1 : 0);
    };
    default: {
      const n = valueNoise(rng, W, H, rng.int(3, Math.max(4, Math.round(W / 6))));
      return (x, y) => mix(n[Math.min(H - 1, Math.max(0, Math.floor(y))) * W + Math.min(W - 1, Math.max(0, Math.floor(x)))]);
    }
  }
}

function regular(n: number, cx: number, cy: number, r: number, rot: number, inner = 0): [number[], number[]] {
  const xs: number[] = [], ys: number[] = [];
  const m = inner > 0 ? n * 2 : n;
  for (let i = 0; i < m; i++) {
    const rr = inner > 0 && i % 2 ? inner : r;
    const t = rot + (i / m) * TAU;
    xs.push(cx + Math.cos(t) * rr); ys.push(cy + Math.sin(t) * rr);
  }
  return [xs, ys];
}

/** Returns a signed-distance function (pixels, positive inside) for shape class k. */
function shapeSDF(k: number, rng: Rng, cx: number, cy: number, r: number): (x: number, y: number) => number {
  const rot = rng.uniform(0, TAU);
  const aspect = rng.uniform(0.8, 1.2);
  const circ = (ox: number, oy: number, rr: number) => (x: number, y: number) => {
    const dx = (x - ox), dy = (y - oy) * aspect;
    return rr - Math.sqrt(dx * dx + dy * dy);
  };
  const poly = ([xs, ys]: [number[], number[]]) => (x: number, y: number) => polygonSignedDistance(x, y, xs, ys);
  switch (SHAPE_LABELS[k]) {
    case 'circle': return circ(cx, cy, r);
    case 'triangle': return poly(regular(3, cx, cy, r * 1.15, rot));
    case 'square': return poly(regular(4, cx, cy, r * 1.1, rot));
    case 'pentagon': return poly(regular(5, cx, cy, r, rot));
    case 'hexagon': return poly(regular(6, cx, cy, r, rot));
    case 'star': return poly(regular(rng.int(5, 6), cx, cy, r * 1.15, rot, r * rng.uniform(0.4, 0.55)));
    case 'cross': {
      const t = r * rng.uniform(0.28, 0.4);
      const pts: [number, number][] = [[-t, -r], [t, -r], [t, -t], [r, -t], [r, t], [t, t], [t, r], [-t, r], [-t, t], [-r, t], [-r, -t], [-t, -t]];
      const c = Math.cos(rot), s = Math.sin(rot);
      return poly([pts.map(([x, y]) => cx + x * c - y * s), pts.map(([x, y]) => cy + x * s + y * c)]);
    }
    case 'ring': {
      const outer = circ(cx, cy, r), innerR = r * rng.uniform(0.45, 0.7);
      return (x, y) => { const o = outer(x, y); return Math.min(o, r - o - innerR); };
    }
    case 'crescent': {
      const off = r * rng.uniform(0.35, 0.6);
      const a = circ(cx, cy, r), b = circ(cx + Math.cos(rot) * off, cy + Math.sin(rot) * off, r * rng.uniform(0.8, 0.95));
      return (x, y) => Math.min(a(x, y), -b(x, y));
    }
    default: { // bars: three parallel bars
      const c = Math.cos(rot), s = Math.sin(rot);
      const bw = r * rng.uniform(0.18, 0.26), gap = r * rng.uniform(0.65, 0.8);
      return (x, y) => {
        const u = (x - cx) * c + (y - cy) * s, v = -(x - cx) * s + (y - cy) * c;
        const along = r - Math.abs(u);
        let best = -Infinity;
        for (const o of [-gap, 0, gap]) best = Math.max(best, Math.min(along, bw - Math.abs(v - o)));
        return best;
      };
    }
  }
}

function paint(c: Canvas, sdf: (x: number, y: number) => number, tex: Texture, outline: RGB | null, outlineW: number, alpha = 1): void {
  const { width: W, height: H, data } = c;
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const sd = sdf(x + 0.5, y + 0.5);
      if (sd < -1.5) continue;
      const cov = clamp01(sd + 0.5) * alpha;
      const o = (y * W + x) * 3;
      let col = tex(x, y);
      if (outline && sd < outlineW) col = outline;
      data[o] += (col[0] - data[o]) * cov; data[o + 1] += (col[1] - data[o + 1]) * cov; data[o + 2] += (col[2] - data[o + 2]) * cov;
    }
  }
}

/** Renders one shapes image (8-bit RGB, size*size*3) of class `label`. Deterministic in (seed, label, size). */
export function renderShapeImage(seed: number, label: number, size = 64, out?: Uint8Array, offset = 0): Uint8Array {
  if (!(label >= 0 && label < SHAPE_LABELS.length)) throw new Error(`renderShapeImage: label must be in [0, ${SHAPE_LABELS.length - 1}] (got ${label})`);
  const rng = createRng(mixSeed(seed, 0x5a9e + label));
  const ss = size <= 48 ? 2 : 1;
  const S = size * ss;
  const c = createCanvas(S, S);
  const bgTex = makeTexture(rng.fork('bg'), S, S);
  for (let y = 0; y < S; y++) for (let x = 0; x < S; x++) {
    const col = bgTex(x, y), o = (y * S + x) * 3;
    c.data[o] = col[0] * 0.85; c.data[o + 1] = col[1] * 0.85; c.data[o + 2] = col[2] * 0.85;
  }
  // distractors: small blobs of random classes' textures, partially transparent
  const dr = rng.fork('distract');
  for (let k = dr.int(0, 3); k > 0; k--) {
    const r = S * dr.uniform(0.05, 0.1);
    const sdf = shapeSDF(dr.int(0, SHAPE_LABELS.length - 1), dr, dr.uniform(0, S), dr.uniform(0, S), r);
    paint(c, sdf, makeTexture(dr, S, S), null, 0, dr.uniform(0.3, 0.7));
  }
  const sr = rng.fork('shape');
  const r = S * sr.uniform(0.2, 0.36);
  const cx = S / 2 + sr.uniform(-0.12, 0.12) * S, cy = S / 2 + sr.uniform(-0.12, 0.12) * S;
  const sdf = shapeSDF(label, sr, cx, cy, r);
  const outline = sr.chance(0.4) ? hsv(sr.uniform(0, 360), sr.uniform(0, 1), sr.uniform(0, 0.4)) : null;
  paint(c, sdf, makeTexture(sr.fork('tex'), S, S), outline, S * sr.uniform(0.015, 0.04));
  const small = downsample(c, ss);
  return toRGB8(small, rng.fork('noise'), rng.fork('n').uniform(0.01, 0.05), out, offset);
}
