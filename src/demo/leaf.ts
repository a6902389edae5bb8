// Procedural bean-leaf renderer for the demo's beans-like dataset.
// One image = background (soil/table/wood/cloth, gradient, grain, out-of-focus leaves) + one leaf
// (ovate/teardrop outline, rotation, hue, lighting, midrib and lateral veins) + class lesions
// (angular_leaf_spot: vein-bounded polygonal brown spots with yellow rims; bean_rust: many small
// reddish-brown pustules with yellow halos; healthy: none) + confounders shared by all classes.
import { createRng, mixSeed, type Rng } from './rng';
import {
  type Canvas, type RGB, blendPixel, clamp01, createCanvas, downsample, hsv, mixRGB,
  polygonSignedDistance, smoothstep, toRGB8, valueNoise, fillCircle,
} from './raster';

export const BEANS_LABELS = ['angular_leaf_spot', 'bean_rust', 'healthy'] as const;
export type BeansLabel = (typeof BEANS_LABELS)[number];

export interface LeafRenderOptions {
  /** Fraction of diseased leaves drawn with few, faint lesions (default 0.18). */
  lowContrastFraction?: number;
  /** Supersampling factor; default 2 for size <= 48, else 1. */
  supersample?: number;
  /** Per-pixel noise std in [0,1] units; default random in [0.01, 0.035]. */
  noise?: number;
}

interface LeafGeom {
  cx: number; cy: number; L: number; cos: number; sin: number;
  halfW: number; a: number; taper: number; asym: number; wave: number; waveK: number;
  veinSlope: number; veinN: number; veinOff: [number, number]; veinW: number; midW: number;
}

const TAU = Math.PI * 2;

function leafWidth(g: LeafGeom, u: number, v: number): number {
  if (u <= -1 || u >= 1) return 0;
  // (1-u^2)^a ovate profile, taper > 0 makes the base (u=-1) wider and the tip pointed.
  let w = g.halfW * Math.pow(1 - u * u, g.a) * (1 - g.taper * u);
  w *= v >= 0 ? g.asym : 2 - g.asym;
  w *= 1 + g.wave * Math.sin(g.waveK * u);
  return w;
}

/** Background: base colour, gradient, low-frequency blotches and fine grain. */
function drawBackground(c: Canvas, rng: Rng): void {
  const { width: W, height: H } = c;
  const kind = rng.pick(['soil', 'soil', 'table', 'wood', 'cloth'] as const);
  let base: RGB, second: RGB;
  switch (kind) {
    case 'soil':
      base = hsv(rng.uniform(20, 40), rng.uniform(0.35, 0.65), rng.uniform(0.22, 0.45));
      second = hsv(rng.uniform(20, 40), rng.uniform(0.3, 0.6), rng.uniform(0.12, 0.3));
      break;
    case 'table':
      base = hsv(rng.uniform(0, 360), rng.uniform(0, 0.12), rng.uniform(0.65, 0.92));
      second = mixRGB(base, [0.5, 0.5, 0.5], 0.4);
      break;
    case 'wood':
      base = hsv(rng.uniform(22, 38), rng.uniform(0.4, 0.6), rng.uniform(0.45, 0.7));
      second = hsv(rng.uniform(20, 32), rng.uniform(0.5, 0.7), rng.uniform(0.3, 0.45));
      break;
    default:
      base = hsv(rng.uniform(180, 260), rng.uniform(0.1, 0.35), rng.uniform(0.4, 0.75));
      second = mixRGB(base, [0.2, 0.2, 0.25], 0.4);
  }
  const blotch = valueNoise(rng, W, H, rng.int(3, 6));
  const grain = valueNoise(rng, W, H, Math.max(4, Math.round(W / rng.uniform(2, 4))));
  const gAng = rng.uniform(0, TAU), gStr = rng.uniform(0, 0.35);
  const gx = Math.cos(gAng), gy = Math.sin(gAng);
  const woodFreq = rng.uniform(6, 14), woodAng = rng.uniform(0, Math.PI);
  const d = c.data;
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const i = y * W + x;
      const nx = x / W - 0.5, ny = y / H - 0.5;
      let t = blotch[i];
      if (kind === 'wood') {
        const s = nx * Math.cos(woodAng) + ny * Math.sin(woodAng);
        t = 0.5 + 0.5 * Math.sin(s * woodFreq * TAU + blotch[i] * 4);
      }
      if (kind === 'table') t *= 0.25;
      const shade = (1 + gStr * (nx * gx + ny * gy) * 2) * (0.9 + 0.2 * grain[i]);
      d[i * 3] = (base[0] + (second[0] - base[0]) * t) * shade;
      d[i * 3 + 1] = (base[1] + (second[1] - base[1]) * t) * shade;
      d[i * 3 + 2] = (base[2] + (second[2] - base[2]) * t) * shade;
    }
  }
  // Out-of-focus neighbouring leaves at the borders (all classes).
  if (rng.chance(0.35)) {
    const n = rng.int(1, 2);
    for (let k = 0; k < n; k++) {
      const ang = rng.uniform(0, TAU);
      const r = W * rng.uniform(0.25, 0.4);
      fillCircle(c, W / 2 + Math.cos(ang) * W * 0.62, H / 2 + Math.sin(ang) * H * 0.62, r,
        hsv(rng.uniform(80, 120), rng.uniform(0.35, 0.7), rng.uniform(0.2, 0.45)), rng.uniform(0.6, 0.95), W * 0.06);
    }
  }
}

interface LeafFields {
  alpha: Float32Array; // leaf coverage
  u: Float32Array; v: Float32Array; // leaf coordinates
  cell: Int32Array; // vein cell id (side * 1000 + index)
  veinDist: Float32Array; // pixel distance to nearest lateral vein or midrib
}

function drawLeaf(c: Canvas, rng: Rng, g: LeafGeom): LeafFields {
  const { width: W, height: H } = c;
  const N = W * H;
  const f: LeafFields = {
    alpha: new Float32Array(N), u: new Float32Array(N), v: new Float32Array(N),
    cell: new Int32Array(N), veinDist: new Float32Array(N),
  };
  const hue = rng.uniform(78, 128), sat = rng.uniform(0.45, 0.82), val = rng.uniform(0.36, 0.68);
  const leafCol = hsv(hue, sat, val);
  const veinCol = hsv(hue - rng.uniform(0, 15), sat * rng.uniform(0.45, 0.75), Math.min(1, val * rng.uniform(1.15, 1.45)));
  const veinStrength = rng.uniform(0.25, 0.8);
  const mottle = valueNoise(rng, W, H, rng.int(4, 8));
  const lAng = rng.uniform(0, TAU), lStr = rng.uniform(0.05, 0.3);
  const lu = Math.cos(lAng), lv = Math.sin(lAng);
  const edgeYellow = rng.chance(0.25) ? rng.uniform(0.15, 0.5) : 0; // senescent margin (all classes)
  const yellow = hsv(rng.uniform(52, 62), rng.uniform(0.55, 0.8), rng.uniform(0.6, 0.8));
  const feather = 1;
  const wMax = g.halfW * (1 + g.taper) * Math.max(g.asym, 2 - g.asym) * (1 + g.wave) + 2 / g.L;
  const d = c.data;
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const i = y * W + x;
      const dx = x + 0.5 - g.cx, dy = y + 0.5 - g.cy;
      const u = (dx * g.cos + dy * g.sin) / g.L;
      const v = (-dx * g.sin + dy * g.cos) / g.L;
      f.u[i] = u; f.v[i] = v;
      // petiole (stem) behind the base
      if (u < -0.95 && u > -1.18 && Math.abs(v) * g.L < Math.max(0.6, g.L * 0.022) * (1.3 + u) * 3) {
        blendPixel(c, i, veinCol, 0.9);
      }
      // quick reject well outside the leaf's bounding band (saves the pow/sin below)
      const w = u <= -1 || u >= 1 || Math.abs(v) > wMax ? 0 : leafWidth(g, u, v);
      const sd = (w - Math.abs(v)) * g.L; // approx. pixel distance to the margin
      const a = clamp01(sd / feather + 0.5);
      f.alpha[i] = a;
      if (a <= 0) { f.veinDist[i] = 1e9; f.cell[i] = 0; continue; }
      // veins: midrib along v = 0; laterals along s = u - slope*|v| = const
      const av = Math.abs(v);
      const s = (u - g.veinSlope * av) * g.veinN * 0.5 + g.veinOff[v >= 0 ? 0 : 1];
      const idx = Math.floor(s);
      const fr = s - idx;
      const lateralPx = (Math.min(fr, 1 - fr) / (g.veinN * 0.5)) * g.L / Math.sqrt(1 + g.veinSlope * g.veinSlope);
      const midPx = av * g.L;
      f.cell[i] = (v >= 0 ? 1 : -1) * (1000 + idx);
      f.veinDist[i] = Math.min(lateralPx, midPx);
      const rel = w > 0 ? av / w : 1;
      const light = 1 + lStr * (u * lu + v * lv / Math.max(0.2, g.halfW)) - 0.22 * rel * rel + 0.16 * (mottle[i] - 0.5);
      let r = leafCol[0] * light, gg = leafCol[1] * light, b = leafCol[2] * light;
      if (edgeYellow > 0) {
        const t = edgeYellow * smoothstep(0.6, 1, rel);
        r += (yellow[0] - r) * t; gg += (yellow[1] - gg) * t; b += (yellow[2] - b) * t;
      }
      const midA = clamp01((g.midW - midPx) / 0.8 + 0.5);
      const latA = clamp01((g.veinW - lateralPx) / 0.8 + 0.5) * (1 - smoothstep(0.55, 0.95, rel)) * (u > -0.9 ? 1 : 0);
      const vA = Math.max(midA, latA * 0.8) * veinStrength;
      if (vA > 0) { r += (veinCol[0] - r) * vA; gg += (veinCol[1] - gg) * vA; b += (veinCol[2] - b) * vA; }
      const o = i * 3;
      d[o] += (r - d[o]) * a; d[o + 1] += (gg - d[o + 1]) * a; d[o + 2] += (b - d[o + 2]) * a;
    }
  }
  return f;
}

/** Picks a point on the leaf (pixel coordinates) away from the margin. */
function pointOnLeaf(rng: Rng, g: LeafGeom, margin = 0.85): [number, number] {
  for (let tries = 0; tries < 50; tries++) {
    const u = rng.uniform(-0.85, 0.85);
    const v = rng.uniform(-1, 1) * g.halfW * 1.3;
    if (Math.abs(v) < leafWidth(g, u, v) * margin) {
      const px = g.L * u, py = g.L * v;
      return [g.cx + px * g.cos - py * g.sin, g.cy + px * g.sin + py * g.cos];
    }
  }
  return [g.cx, g.cy];
}

function drawAngularSpots(c: Canvas, rng: Rng, g: LeafGeom, f: LeafFields, contrast: number, count: number): void {
  const { width: W, height: H } = c;
  for (let k = 0; k < count; k++) {
    const [cx, cy] = pointOnLeaf(rng, g);
    const ci = Math.min(H - 1, Math.max(0, Math.floor(cy))) * W + Math.min(W - 1, Math.max(0, Math.floor(cx)));
    const cell = f.cell[ci];
    const r = W * rng.uniform(0.022, 0.06);
    const n = rng.int(4, 7);
    const xs: number[] = [], ys: number[] = [];
    const a0 = rng.uniform(0, TAU);
    for (let j = 0; j < n; j++) {
      const ang = a0 + (j / n) * TAU + rng.uniform(-0.3, 0.3);
      const rr = r * rng.uniform(0.55, 1.1);
      xs.push(cx + Math.cos(ang) * rr); ys.push(cy + Math.sin(ang) * rr);
    }
    const core = hsv(rng.uniform(22, 42), rng.uniform(0.5, 0.8), rng.uniform(0.22, 0.42));
    const centre = mixRGB(core, [0.45, 0.42, 0.38], rng.uniform(0, 0.4)); // greyish necrotic centre
    const rim = hsv(rng.uniform(48, 60), rng.uniform(0.6, 0.9), rng.uniform(0.6, 0.85));
    const rimW = W * rng.uniform(0.012, 0.025) + 0.6;
    const x0 = Math.max(0, Math.floor(Math.min(...xs) - rimW - 1)), x1 = Math.min(W - 1, Math.ceil(Math.max(...xs) + rimW + 1));
    const y0 = Math.max(0, Math.floor(Math.min(...ys) - rimW - 1)), y1 = Math.min(H - 1, Math.ceil(Math.max(...ys) + rimW + 1));
    for (let y = y0; y <= y1; y++) {
      for (let x = x0; x <= x1; x++) {
        const i = y * W + x;
        const la = f.alpha[i];
        if (la <= 0 || f.cell[i] !== cell) continue; // vein-bounded: stays inside its vein cell
        const veinCut = clamp01(f.veinDist[i] / 0.8 - 0.3);
        const sd = polygonSignedDistance(x + 0.5, y + 0.5, xs, ys);
        const inner = clamp01(sd + 0.5);
        const halo = clamp01((sd + rimW) / rimW) * (1 - inner);
        const col = mixRGB(core, centre, clamp01(sd / (r * 0.6)));
        if (halo > 0) blendPixel(c, i, rim, halo * 0.7 * contrast * la);
        if (inner > 0) blendPixel(c, i, col, inner * contrast * la * veinCut);
      }
    }
  }
}

function drawRust(c: Canvas, rng: Rng, g: LeafGeom, f: LeafFields, contrast: number, count: number): void {
  const W = c.width;
  const core = hsv(rng.uniform(12, 26), rng.uniform(0.65, 0.9), rng.uniform(0.3, 0.5));
  const halo = hsv(rng.uniform(50, 62), rng.uniform(0.55, 0.85), rng.uniform(0.65, 0.85));
  const clustered = rng.chance(0.4);
  const centres: [number, number][] = [];
  for (let k = 0; k < (clustered ? rng.int(1, 3) : 0); k++) centres.push(pointOnLeaf(rng, g, 0.7));
  for (let k = 0; k < count; k++) {
    let [x, y] = pointOnLeaf(rng, g, 0.92);
    if (clustered && rng.chance(0.6)) {
      const cc = rng.pick(centres);
      x = cc[0] + rng.normal(0, W * 0.07);
      y = cc[1] + rng.normal(0, W * 0.07);
    }
    const xi = Math.floor(x), yi = Math.floor(y);
    if (xi < 0 || yi < 0 || xi >= W || yi >= c.height || f.alpha[yi * W + xi] < 0.9) continue;
    const rp = W * rng.uniform(0.007, 0.018) + 0.35;
    const hr = rp * rng.uniform(1.8, 2.8);
    const pc = mixRGB(core, [0.2, 0.1, 0.05], rng.uniform(0, 0.4));
    fillCircle(c, x, y, hr, halo, rng.uniform(0.35, 0.65) * contrast, Math.max(1, hr * 0.5));
    fillCircle(c, x, y, rp, pc, rng.uniform(0.75, 1) * contrast, 1);
  }
}

/** Confounders drawn on every class with some probability (more often on healthy leaves). */
function drawConfounders(c: Canvas, rng: Rng, g: LeafGeom, f: LeafFields, healthy: boolean): void {
  const { width: W, height: H } = c;
  // pale specks: dust, water droplets, light reflections
  if (rng.chance(healthy ? 0.55 : 0.25)) {
    const n = rng.int(2, 10);
    for (let k = 0; k < n; k++) {
      const [x, y] = pointOnLeaf(rng, g, 0.95);
      const v = rng.uniform(0.7, 0.95);
      fillCircle(c, x, y, W * rng.uniform(0.006, 0.016) + 0.4, [v, v, v * rng.uniform(0.85, 1)], rng.uniform(0.3, 0.75), 1);
    }
  }
  // darker green blotches (overlapping leaf shadow / uneven chlorophyll), round and soft
  if (rng.chance(healthy ? 0.3 : 0.15)) {
    const n = rng.int(1, 4);
    for (let k = 0; k < n; k++) {
      const [x, y] = pointOnLeaf(rng, g, 0.8);
      fillCircle(c, x, y, W * rng.uniform(0.02, 0.05), hsv(rng.uniform(70, 110), 0.6, rng.uniform(0.2, 0.35)), rng.uniform(0.2, 0.45), W * 0.02);
    }
  }
  // cast shadow across the image (half-plane, soft)
  if (rng.chance(0.35)) {
    const ang = rng.uniform(0, TAU), off = rng.uniform(-0.3, 0.3) * W, dark = rng.uniform(0.55, 0.85), soft = W * rng.uniform(0.03, 0.12);
    const nx = Math.cos(ang), ny = Math.sin(ang);
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const s = (x - W / 2) * nx + (y - H / 2) * ny - off;
        const t = smoothstep(-soft, soft, s);
        if (t > 0) {
          const k = 1 + (dark - 1) * t, o = (y * W + x) * 3;
          c.data[o] *= k; c.data[o + 1] *= k; c.data[o + 2] *= k * 1.03;
        }
      }
    }
  }
}

/**
 * Renders one beans-like image as 8-bit RGB (size*size*3 bytes, row-major).
 * Deterministic in (seed, label, size).
 */
export function renderLeafImage(seed: number, label: number, size = 64, opts: LeafRenderOptions = {}, out?: Uint8Array, offset = 0): Uint8Array {
  if (!(label >= 0 && label < 3)) throw new Error(`renderLeafImage: label must be 0, 1 or 2 (got ${label})`);
  const rng = createRng(mixSeed(seed, 0x1eaf + label));
  const ss = opts.supersample ?? (size <= 48 ? 2 : 1);
  const S = size * ss;
  const c = createCanvas(S, S);
  drawBackground(c, rng.fork('bg'));
  const gr = rng.fork('geom');
  const L = S * gr.uniform(0.34, 0.47);
  const theta = gr.uniform(0, TAU);
  const geom: LeafGeom = {
    cx: S / 2 + gr.uniform(-0.08, 0.08) * S, cy: S / 2 + gr.uniform(-0.08, 0.08) * S, L,
    cos: Math.cos(theta), sin: Math.sin(theta),
    halfW: gr.uniform(0.42, 0.72), a: gr.uniform(0.45, 0.8), taper: gr.uniform(0, 0.4),
    asym: gr.uniform(0.9, 1.1), wave: gr.uniform(0, 0.04), waveK: gr.uniform(8, 20),
    veinSlope: gr.uniform(0.7, 1.6), veinN: gr.int(4, 7), veinOff: [gr.uniform(0, 1), gr.uniform(0, 1)],
    veinW: Math.max(0.5 * ss, L * gr.uniform(0.008, 0.016)), midW: Math.max(0.7 * ss, L * gr.uniform(0.012, 0.024)),
  };
  const fields = drawLeaf(c, rng.fork('leaf'), geom);
  const lr = rng.fork('lesions');
  const lowFrac = opts.lowContrastFraction ?? 0.18;
  const faint = label !== 2 && lr.chance(lowFrac);
  const contrast = faint ? lr.uniform(0.2, 0.45) : lr.uniform(0.55, 1);
  if (label === 0) drawAngularSpots(c, lr, geom, fields, contrast, faint ? lr.int(1, 3) : lr.int(2, 11));
  else if (label === 1) drawRust(c, lr, geom, fields, contrast, faint ? lr.int(4, 12) : lr.int(12, 70));
  drawConfounders(c, rng.fork('conf'), geom, fields, label === 2);
  // camera: white balance, exposure
  const cr = rng.fork('camera');
  const exp = cr.uniform(0.85, 1.15);
  const wb: RGB = [exp * cr.uniform(0.92, 1.08), exp * cr.uniform(0.95, 1.05), exp * cr.uniform(0.92, 1.08)];
  const small = downsample(c, ss);
  for (let i = 0; i < small.data.length; i += 3) {
    small.data[i] *= wb[0]; small.data[i + 1] *= wb[1]; small.data[i + 2] *= wb[2];
  }
  return toRGB8(small, cr, opts.noise ?? cr.uniform(0.01, 0.035), out, offset);
}
