// Decoded images: a small, dependency-free type the preprocessing code consumes, and decode/encode
// through sharp. Pixels are as PIL decodes them: no ICC profile conversion, no EXIF rotation,
// 8 bits per channel, interleaved (HWC).
import { readFile } from 'node:fs/promises';
import { inspect } from 'node:util';
import sharp from 'sharp';
import { decodeImage as decodePil } from '../preprocessing/image-decode';
import { convertToRGB } from '../preprocessing/pil/convert';
import type { DecodedImage as PilImage } from '../preprocessing/pil/types';
import { DatasetError } from './errors';

export type ImageMode = 'L' | 'LA' | 'RGB' | 'RGBA';

export interface DecodedImage {
  width: number;
  height: number;
  /** PIL mode of the pixels: 'L', 'LA', 'RGB' or 'RGBA' (palette images are expanded to RGB/RGBA). */
  mode: ImageMode;
  channels: number;
  /** width*height*channels bytes, row-major, channels interleaved. */
  data: Uint8Array;
  /** Source file, when the image came from a path. */
  path?: string | null;
  /** Encoded bytes (PNG/JPEG...), when the image came from bytes. */
  bytes?: Uint8Array | null;
  /** Container format as reported by the decoder ('jpeg', 'png', ...). */
  format?: string;
}

const MODE_BY_CHANNELS: Record<number, ImageMode> = { 1: 'L', 2: 'LA', 3: 'RGB', 4: 'RGBA' };
const CHANNELS_BY_MODE: Record<ImageMode, number> = { L: 1, LA: 2, RGB: 3, RGBA: 4 };

/** True for a value shaped like a DecodedImage. */
export function isDecodedImage(v: unknown): v is DecodedImage {
  return !!v && typeof v === 'object' && 'data' in v && 'width' in v && 'height' in v && 'mode' in v
    && (v as { data: unknown }).data instanceof Uint8Array;
}

class DecodedImageImpl implements DecodedImage {
  width!: number; height!: number; mode!: ImageMode; channels!: number; data!: Uint8Array;
  path?: string | null; bytes?: Uint8Array | null; format?: string;
  constructor(init: DecodedImage) { Object.assign(this, init); }
  toString(): string {
    const fmt = this.format ? `${this.format.toUpperCase()} ` : '';
    return `<${fmt}DecodedImage mode=${this.mode} size=${this.width}x${this.height}>`;
  }
  [inspect.custom](): string { return this.toString(); }
}

export function makeDecodedImage(init: DecodedImage): DecodedImage {
  return new DecodedImageImpl(init);
}

/**
 * Decodes encoded image bytes (or a file) like PIL's Image.open(...).load().
 * `source` names the file or row in error messages.
 */
export async function decodeImage(input: { bytes?: Uint8Array | null; path?: string | null }, opts: { mode?: ImageMode | null; source?: string } = {}): Promise<DecodedImage> {
  const where = opts.source ?? input.path ?? 'image bytes';
  let bytes = input.bytes ?? null;
  if (!bytes) {
    if (!input.path) throw new DatasetError(`${where}: image has neither bytes nor path; store the image bytes or a readable file path`);
    try {
      bytes = new Uint8Array(await readFile(input.path));
    } catch (e) {
      throw new DatasetError(`${where}: cannot read image file ${input.path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); check that the file exists`);
    }
  }
  // One decoder for the whole project (src/preprocessing/image-decode.ts): PIL's modes, no ICC
  // conversion, truncated files rejected. Modes a dataset row does not hold are expanded like PIL's convert.
  let raw: PilImage;
  try {
    raw = await decodePil(bytes, { name: where });
  } catch (e) {
    throw new DatasetError(`${where}: cannot decode image (${(e as Error).message.split('\n')[0]}); the file is corrupt or not an image`);
  }
  const format = sniffFormat(bytes);
  let img = makeDecodedImage({ ...toDatasetMode(raw), path: input.path ?? null, bytes: input.bytes ?? null, format });
  if (opts.mode && opts.mode !== img.mode) img = convertImage(img, opts.mode);
  return img;
}

function sniffFormat(b: Uint8Array): string | undefined {
  if (b[0] === 0x89 && b[1] === 0x50) return 'png';
  if (b[0] === 0xff && b[1] === 0xd8) return 'jpeg';
  if (b[0] === 0x47 && b[1] === 0x49) return 'gif';
  if (b[0] === 0x52 && b[1] === 0x49) return 'webp';
  return undefined;
}

/** Palette images expand to RGB (RGBA when the palette has transparency); CMYK, 1-bit and 16-bit to RGB. */
function toDatasetMode(img: PilImage): Omit<DecodedImage, 'path' | 'bytes'> {
  const { width, height } = img;
  if (img.mode === 'L' || img.mode === 'LA' || img.mode === 'RGB' || img.mode === 'RGBA') {
    return { width, height, mode: img.mode, channels: img.channels, data: img.data as Uint8Array };
  }
  if ((img.mode === 'P' || img.mode === 'PA') && img.palette && img.palette.some((_, i) => i % 4 === 3 && img.palette![i] !== 255)) {
    const n = width * height, out = new Uint8Array(n * 4), pal = img.palette;
    for (let i = 0; i < n; i++) { const p = img.data[i * img.channels]! * 4; out.set(pal.subarray(p, p + 4), i * 4); }
    return { width, height, mode: 'RGBA', channels: 4, data: out };
  }
  const rgb = convertToRGB(img);
  return { width, height, mode: 'RGB', channels: 3, data: rgb.data as Uint8Array };
}

/** PIL's Image.convert for the modes used here (L uses ITU-R 601-2 luma like PIL; RGBA->RGB drops alpha). */
export function convertImage(img: DecodedImage, mode: ImageMode): DecodedImage {
  if (img.mode === mode) return img;
  const n = img.width * img.height;
  const src = img.data; const sc = img.channels; const dc = CHANNELS_BY_MODE[mode];
  if (!dc) throw new Error(`convertImage: unknown mode '${mode}'; use one of L, LA, RGB, RGBA`);
  const out = new Uint8Array(n * dc);
  const srcGray = img.mode === 'L' || img.mode === 'LA';
  const srcAlpha = img.mode === 'LA' || img.mode === 'RGBA';
  for (let i = 0; i < n; i++) {
    const s = i * sc; const d = i * dc;
    const r = src[s]; const g = srcGray ? r : src[s + 1]; const b = srcGray ? r : src[s + 2];
    const a = srcAlpha ? src[s + sc - 1] : 255;
    if (mode === 'L' || mode === 'LA') {
      out[d] = srcGray ? r : (r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16;
      if (mode === 'LA') out[d + 1] = a;
    } else {
      out[d] = r; out[d + 1] = g; out[d + 2] = b;
      if (mode === 'RGBA') out[d + 3] = a;
    }
  }
  return makeDecodedImage({ ...img, mode, channels: dc, data: out });
}

/** Encodes a decoded image as PNG (what `datasets` does for PIL images without a file). */
export async function encodeImagePng(img: DecodedImage): Promise<Uint8Array> {
  let pipeline = sharp(img.data, { raw: { width: img.width, height: img.height, channels: img.channels as 1 | 2 | 3 | 4 } });
  if (img.channels <= 2) pipeline = pipeline.toColourspace('b-w');
  const buf = await pipeline.png().toBuffer();
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}
