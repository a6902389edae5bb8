// Demo image data: a beans-like leaf-disease imagefolder and a shapes source task for pretraining.
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import { hashString, mixSeed } from './rng';
import { encodePNG } from './raster';
import { BEANS_LABELS, renderLeafImage, type LeafRenderOptions } from './leaf';
import { SHAPE_LABELS, renderShapeImage } from './shapes';

export { BEANS_LABELS, renderLeafImage, type LeafRenderOptions } from './leaf';
export { SHAPE_LABELS, renderShapeImage } from './shapes';
export { createRng, type Rng } from './rng';
export { encodePNG } from './raster';

export type SplitName = 'train' | 'validation' | 'test';
export type SplitCounts = Partial<Record<SplitName, number>> & Record<string, number>;

/** Pixels of N images as one N*H*W*3 uint8 array (HWC, RGB), with integer labels. */
export interface ImageArrays {
  pixels: Uint8Array;
  labels: number[];
  labelNames: string[];
  size: number;
}

export interface GenerateBeansLikeParams {
  outDir: string;
  seed?: number;
  counts: SplitCounts;
  /** Square image side in pixels (default 64; 16..512). */
  size?: number;
  format?: 'png' | 'jpeg';
  /** Regenerate even if outDir already holds this exact dataset. */
  overwrite?: boolean;
  render?: LeafRenderOptions;
}

export interface GeneratedImageFolder {
  dir: string;
  counts: Record<string, number>;
  labelNames: string[];
  /** True when an identical dataset was already there and nothing was written. */
  cached: boolean;
}

const MANIFEST = 'hubtune_demo_manifest.json';

function checkSize(size: number, where: string): void {
  if (!Number.isInteger(size) || size < 16 || size > 512) throw new Error(`${where}: size must be an integer in 16..512 (got ${size})`);
}
function checkCounts(counts: Record<string, number>, where: string): void {
  for (const [k, v] of Object.entries(counts)) {
    if (!/^[A-Za-z0-9_-]+$/.test(k)) throw new Error(`${where}: split name '${k}' must be letters, digits, '_' or '-'`);
    if (!Number.isInteger(v) || v < 0) throw new Error(`${where}: counts.${k} must be a non-negative integer (got ${v})`);
  }
}

/** Seed of image `index` of `split`: independent of the other splits' counts. */
function imageSeed(seed: number, split: string, index: number): number {
  return mixSeed(mixSeed(seed >>> 0, hashString(split)), index);
}

/**
 * Renders beans-like images in memory. Labels cycle 0,1,2,... (exactly balanced); image i of a split
 * is the same whatever the count.
 */
export function generateBeansLikeArrays(params: { seed?: number; count: number; size?: number; split?: string; render?: LeafRenderOptions }): ImageArrays {
  const size = params.size ?? 64;
  checkSize(size, 'generateBeansLikeArrays');
  const seed = params.seed ?? 0, split = params.split ?? 'train';
  const pixels = new Uint8Array(params.count * size * size * 3);
  const labels: number[] = [];
  for (let i = 0; i < params.count; i++) {
    const label = i % BEANS_LABELS.length;
    renderLeafImage(imageSeed(seed, split, i), label, size, params.render, pixels, i * size * size * 3);
    labels.push(label);
  }
  return { pixels, labels, labelNames: [...BEANS_LABELS], size };
}

/** Renders the shapes source task in memory (classes are the first numClasses of SHAPE_LABELS). */
export function generateShapesPretrainData(params: { seed?: number; count: number; size?: number; numClasses?: number; split?: string }): ImageArrays {
  const size = params.size ?? 64;
  checkSize(size, 'generateShapesPretrainData');
  const k = params.numClasses ?? SHAPE_LABELS.length;
  if (!Number.isInteger(k) || k < 2 || k > SHAPE_LABELS.length) throw new Error(`generateShapesPretrainData: numClasses must be an integer in 2..${SHAPE_LABELS.length} (got ${k})`);
  const seed = params.seed ?? 0, split = params.split ?? 'train';
  const pixels = new Uint8Array(params.count * size * size * 3);
  const labels: number[] = [];
  for (let i = 0; i < params.count; i++) {
    const label = i % k;
    renderShapeImage(imageSeed(seed, `shapes/${split}`, i), label, size, pixels, i * size * size * 3);
    labels.push(label);
  }
  return { pixels, labels, labelNames: SHAPE_LABELS.slice(0, k), size };
}

async function encode(rgb: Uint8Array, size: number, offset: number, format: 'png' | 'jpeg'): Promise<Buffer> {
  if (format === 'png') return encodePNG(rgb, size, size, offset);
  const view = Buffer.from(rgb.buffer, rgb.byteOffset + offset, size * size * 3);
  return sharp(view, { raw: { width: size, height: size, channels: 3 } }).jpeg({ quality: 90 }).toBuffer();
}

/** Renders image i of a split into out[offset..] and returns its label. */
type RenderOne = (split: string, index: number, out: Uint8Array, offset: number) => number;

async function writeImageFolder(
  outDir: string,
  manifest: Record<string, unknown>,
  counts: Record<string, number>,
  labelNames: string[],
  size: number,
  format: 'png' | 'jpeg',
  overwrite: boolean,
  renderOne: RenderOne,
): Promise<GeneratedImageFolder> {
  const wanted = JSON.stringify(manifest);
  if (!overwrite) {
    try {
      const have = await readFile(join(outDir, MANIFEST), 'utf8');
      if (JSON.stringify(JSON.parse(have).params) === wanted) return { dir: outDir, counts: { ...counts }, labelNames, cached: true };
    } catch { /* not there yet */ }
  }
  // Build beside the target, then swap it in, so a half-written dataset is never left at outDir.
  const tmp = `${outDir}.partial-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  const ext = format === 'png' ? 'png' : 'jpg';
  const px = size * size * 3;
  const chunk = 128; // images rendered, then written concurrently, per round
  const buf = new Uint8Array(chunk * px);
  for (const [split, count] of Object.entries(counts)) {
    for (const name of labelNames) await mkdir(join(tmp, split, name), { recursive: true });
    const width = Math.max(4, String(Math.max(0, count - 1)).length);
    for (let start = 0; start < count; start += chunk) {
      const n = Math.min(chunk, count - start);
      const writes: Promise<void>[] = [];
      for (let j = 0; j < n; j++) {
        const i = start + j;
        const label = renderOne(split, i, buf, j * px);
        const file = join(tmp, split, labelNames[label], `${String(i).padStart(width, '0')}.${ext}`);
        writes.push(encode(buf, size, j * px, format).then((data) => writeFile(file, data)));
      }
      await Promise.all(writes);
    }
  }
  await writeFile(join(tmp, MANIFEST), JSON.stringify({ generator: 'hubtune demo', params: manifest, labelNames }, null, 2) + '\n');
  await rm(outDir, { recursive: true, force: true });
  await mkdir(dirname(outDir), { recursive: true });
  await rename(tmp, outDir);
  return { dir: outDir, counts: { ...counts }, labelNames, cached: false };
}

/**
 * Writes a beans-like imagefolder: outDir/{split}/{angular_leaf_spot,bean_rust,healthy}/NNNN.png
 * (or .jpg), plus hubtune_demo_manifest.json. Deterministic for a seed; when outDir already holds the
 * same dataset (same params) nothing is written and `cached` is true.
 */
export async function generateBeansLike(params: GenerateBeansLikeParams): Promise<GeneratedImageFolder> {
  const { outDir, counts } = params;
  const seed = params.seed ?? 0, size = params.size ?? 64, format = params.format ?? 'png';
  checkSize(size, 'generateBeansLike');
  checkCounts(counts, 'generateBeansLike');
  const renderOne: RenderOne = (split, i, out, offset) => {
    const label = i % BEANS_LABELS.length;
    renderLeafImage(imageSeed(seed, split, i), label, size, params.render, out, offset);
    return label;
  };
  return writeImageFolder(outDir, { kind: 'beans-like', seed, size, format, counts, render: params.render ?? {} },
    counts, [...BEANS_LABELS], size, format, params.overwrite ?? false, renderOne);
}

/**
 * Writes the shapes source task as an imagefolder: outDir/{split}/{circle,triangle,...}/NNNN.png.
 * Same images as generateShapesPretrainData with the same seed/split.
 */
export async function writeShapesPretrainData(params: {
  outDir: string; seed?: number; counts: SplitCounts; size?: number; numClasses?: number; format?: 'png' | 'jpeg'; overwrite?: boolean;
}): Promise<GeneratedImageFolder> {
  const { outDir, counts } = params;
  const seed = params.seed ?? 0, size = params.size ?? 64, format = params.format ?? 'png';
  const k = params.numClasses ?? SHAPE_LABELS.length;
  checkSize(size, 'writeShapesPretrainData');
  checkCounts(counts, 'writeShapesPretrainData');
  if (!Number.isInteger(k) || k < 2 || k > SHAPE_LABELS.length) throw new Error(`writeShapesPretrainData: numClasses must be an integer in 2..${SHAPE_LABELS.length} (got ${k})`);
  const renderOne: RenderOne = (split, i, out, offset) => {
    const label = i % k;
    renderShapeImage(imageSeed(seed, `shapes/${split}`, i), label, size, out, offset);
    return label;
  };
  return writeImageFolder(outDir, { kind: 'shapes', seed, size, format, counts, numClasses: k },
    counts, SHAPE_LABELS.slice(0, k), size, format, params.overwrite ?? false, renderOne);
}
