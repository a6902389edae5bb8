// Image decoding with sharp (libvips), giving what `PIL.Image.open(f)` gives: PIL's mode
// and the stored pixel values. Embedded ICC profiles are ignored (PIL does not apply them),
// EXIF orientation is not applied (PIL does not either), multi-frame files give frame 0.
import { readFile } from 'node:fs/promises';
import sharp, { type Metadata, type Sharp } from 'sharp';
import { MODE_CHANNELS, type DecodedImage, type PILMode } from './pil/types';
import { imageAddon } from './pil/native-image';

export type { DecodedImage, PILMode } from './pil/types';

export type ImageSource = string | Buffer | Uint8Array;

export interface DecodeOptions {
  /** Name used in error messages for in-memory input (a path names itself). */
  name?: string;
}

export class ImageDecodeError extends Error {
  override name = 'ImageDecodeError';
}

/** An image that declares more pixels than allowed (PIL's DecompressionBombError). */
export class DecompressionBombError extends ImageDecodeError {
  override name = 'DecompressionBombError';
}

/** PIL's `Image.MAX_IMAGE_PIXELS` (1024 * 1024 * 1024 // 4 // 3): a warning above it, an error above twice it. */
export const DEFAULT_MAX_IMAGE_PIXELS = 89_478_485;

/**
 * The pixel limit in force: `HUBTUNE_MAX_IMAGE_PIXELS` (a number, or `none`), default PIL's. Null: no limit.
 * Read at every decode, so worker threads started later see a change too.
 */
export function maxImagePixels(): number | null {
  const v = process.env.HUBTUNE_MAX_IMAGE_PIXELS?.trim();
  if (v === undefined || v === '') return DEFAULT_MAX_IMAGE_PIXELS;
  if (/^(none|null|off)$/i.test(v)) return null;
  const n = Number(v);
  return Number.isFinite(n) && n > 0 ? Math.floor(n) : DEFAULT_MAX_IMAGE_PIXELS;
}

/** Sets the pixel limit, like `PIL.Image.MAX_IMAGE_PIXELS = n` (null: no limit, for trusted images). */
export function setMaxImagePixels(n: number | null): void {
  if (n !== null && !(Number.isFinite(n) && n > 0)) throw new RangeError(`setMaxImagePixels: expected a positive number or null, got ${n}`);
  process.env.HUBTUNE_MAX_IMAGE_PIXELS = n === null ? 'none' : String(Math.floor(n));
}

const warnedSizes = new Set<string>();

/** PIL's _decompression_bomb_check, before any pixel is decoded. */
function checkPixelCount(width: number, height: number, what: string): void {
  const limit = maxImagePixels();
  if (limit === null) return;
  const pixels = width * height;
  if (pixels > 2 * limit) {
    throw new DecompressionBombError(
      `Cannot decode image ${what}: its size (${width}x${height} = ${pixels} pixels) exceeds the limit of ${2 * limit} pixels, could be a decompression bomb: if the image is trusted, raise the limit with setMaxImagePixels() or HUBTUNE_MAX_IMAGE_PIXELS`,
    );
  }
  if (pixels > limit) {
    const key = `${what}:${pixels}`;
    if (!warnedSizes.has(key)) {
      warnedSizes.add(key);
      process.emitWarning(`Image ${what}: size (${pixels} pixels) exceeds limit of ${limit} pixels, could be decompression bomb DOS attack.`, 'DecompressionBombWarning');
    }
  }
}

interface PngInfo {
  bitDepth: number;
  colorType: number;
  width: number;
  height: number;
  /** RGBA quadruplets. */
  palette?: Uint8Array;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Reads IHDR, PLTE and tRNS from a PNG (the bits PIL's mode depends on); null if not a PNG. */
function pngInfo(buf: Uint8Array): PngInfo | null {
  if (buf.length < 33 || PNG_SIGNATURE.some((b, i) => buf[i] !== b)) return null;
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let pos = 8;
  let info: PngInfo | null = null;
  let plte: Uint8Array | undefined;
  let trns: Uint8Array | undefined;
  while (pos + 8 <= buf.length) {
    const len = dv.getUint32(pos);
    const type = String.fromCharCode(buf[pos + 4], buf[pos + 5], buf[pos + 6], buf[pos + 7]);
    const body = buf.subarray(pos + 8, Math.min(buf.length, pos + 8 + len));
    if (type === 'IHDR' && body.length >= 13) {
      info = { width: dv.getUint32(pos + 8), height: dv.getUint32(pos + 12), bitDepth: body[8], colorType: body[9] };
    } else if (type === 'PLTE') plte = body;
    else if (type === 'tRNS') trns = body;
    else if (type === 'IDAT' || type === 'IEND') break;
    pos += 12 + len;
  }
  if (info && info.colorType === 3 && plte) {
    const n = Math.floor(plte.length / 3);
    const pal = new Uint8Array(n * 4);
    for (let i = 0; i < n; i++) {
      pal[i * 4] = plte[i * 3];
      pal[i * 4 + 1] = plte[i * 3 + 1];
      pal[i * 4 + 2] = plte[i * 3 + 2];
      pal[i * 4 + 3] = trns && i < trns.length ? trns[i] : 255;
    }
    info.palette = pal;
  }
  return info;
}

function describe(input: ImageSource, opts: DecodeOptions): string {
  return typeof input === 'string' ? input : opts.name ?? '<in-memory image>';
}

function firstLine(e: unknown): string {
  return String((e as Error)?.message ?? e).split('\n')[0].trim();
}

/** Decode an image file (path) or encoded bytes into PIL's mode and pixels. */
export async function decodeImage(input: ImageSource, opts: DecodeOptions = {}): Promise<DecodedImage> {
  const what = describe(input, opts);
  let buf: Uint8Array;
  if (typeof input === 'string') {
    try {
      buf = await readFile(input);
    } catch (e) {
      throw new ImageDecodeError(`Cannot read image ${what}: ${firstLine(e)}`);
    }
  } else if (input instanceof Uint8Array) {
    buf = input;
  } else {
    throw new ImageDecodeError(`decodeImage: expected a file path, Buffer or Uint8Array, got ${typeof input}`);
  }
  if (buf.length === 0) throw new ImageDecodeError(`Cannot decode image ${what}: the file is empty (0 bytes)`);
  const bytes = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);

  let probe = fastProbe(bytes);
  if (!probe) {
    let meta: Metadata;
    try {
      meta = await sharp(bytes).metadata();
    } catch (e) {
      throw new ImageDecodeError(`Cannot decode image ${what}: not a supported image file, or corrupt (${firstLine(e)})`);
    }
    probe = { format: meta.format ?? 'image', width: meta.width ?? 0, height: meta.height ?? 0, mode: pilMode(meta), is16: meta.depth === 'ushort' };
  }
  if (!probe.width || !probe.height) {
    throw new ImageDecodeError(`Cannot decode image ${what}: it has zero size (${probe.width}x${probe.height})`);
  }
  checkPixelCount(probe.width, probe.height, what);
  try {
    return await decodePixels(bytes, probe);
  } catch (e) {
    if (e instanceof ImageDecodeError) throw new ImageDecodeError(`Cannot decode image ${what}: ${e.message}`);
    throw new ImageDecodeError(`Cannot decode image ${what}: truncated or corrupt ${probe.format} data (${firstLine(e)})`);
  }
}

interface Probe {
  format: string;
  width: number;
  height: number;
  mode: PILMode;
  is16: boolean;
  palette?: Uint8Array;
}

/** Mode and size from the PNG or JPEG header without a decoder round trip; null for other files. */
function fastProbe(buf: Uint8Array): Probe | null {
  const png = pngInfo(buf);
  if (png) {
    const mode = ({ 0: png.bitDepth === 1 ? '1' : png.bitDepth === 16 ? 'I;16' : 'L', 2: 'RGB', 3: 'P', 4: 'LA', 6: 'RGBA' } as Record<number, PILMode>)[png.colorType];
    if (!mode) return null;
    return { format: 'png', width: png.width, height: png.height, mode, is16: png.bitDepth === 16, palette: png.palette };
  }
  if (buf.length < 4 || buf[0] !== 0xff || buf[1] !== 0xd8) return null;
  // JPEG: walk the markers to the first SOFn
  let pos = 2;
  while (pos + 4 <= buf.length) {
    if (buf[pos] !== 0xff) return null;
    const marker = buf[pos + 1];
    if (marker === 0xff) { pos++; continue; }
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) { pos += 2; continue; }
    const len = (buf[pos + 2] << 8) | buf[pos + 3];
    const isSOF = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isSOF) {
      if (pos + 10 > buf.length) return null;
      const height = (buf[pos + 5] << 8) | buf[pos + 6];
      const width = (buf[pos + 7] << 8) | buf[pos + 8];
      const nf = buf[pos + 9];
      const mode = ({ 1: 'L', 3: 'RGB', 4: 'CMYK' } as Record<number, PILMode>)[nf];
      if (!mode || height === 0) return null; // let the decoder judge
      return { format: 'jpeg', width, height, mode, is16: false };
    }
    if (marker === 0xd9 || marker === 0xda) return null;
    pos += 2 + len;
  }
  return null;
}

/** The PIL mode `Image.open` gives for this file. */
function pilMode(meta: Metadata): PILMode {
  const ch = meta.channels ?? 3;
  if (meta.space === 'cmyk') return 'CMYK';
  if (meta.space === 'b-w' || meta.space === 'grey16') {
    if (ch >= 2) return 'LA';
    return meta.depth === 'ushort' ? 'I;16' : 'L';
  }
  return ch >= 4 || meta.hasAlpha ? 'RGBA' : 'RGB';
}

async function raw(bytes: Buffer, setup: (s: Sharp) => Sharp, depth: 'uchar' | 'ushort') {
  // ignoreIcc: keep the stored values (PIL never applies the embedded profile)
  const limit = maxImagePixels();
  const s = setup(sharp(bytes, { ignoreIcc: true, failOn: 'truncated', limitInputPixels: limit === null ? false : Math.max(2 * limit, 1) }));
  const { data, info } = await s.raw({ depth }).toBuffer({ resolveWithObject: true });
  const values = depth === 'ushort'
    ? new Uint16Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength))
    : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return { values, info };
}

/** Keeps `keep` of every `from` values, taking the high byte of 16-bit samples (PIL's ;16B rawmodes). */
function pick(values: Uint8Array | Uint16Array, from: number, keep: number[], high: boolean): Uint8Array {
  const n = values.length / from;
  const out = new Uint8Array(n * keep.length);
  for (let i = 0, o = 0; i < n; i++) {
    for (const k of keep) out[o++] = high ? values[i * from + k] >> 8 : values[i * from + k];
  }
  return out;
}

async function decodePixels(bytes: Buffer, probe: Probe): Promise<DecodedImage> {
  const { mode, width, height, is16 } = probe;
  const depth = is16 ? 'ushort' : 'uchar';
  const image = (data: Uint8Array | Uint16Array, extra: Partial<DecodedImage> = {}): DecodedImage => {
    const img: DecodedImage = { width, height, mode, channels: MODE_CHANNELS[mode], data, ...extra };
    if (data.length !== width * height * img.channels) {
      throw new ImageDecodeError(`decoder returned ${data.length} values for a ${width}x${height} '${mode}' image`);
    }
    return img;
  };
  if (probe.format === 'jpeg' && (mode === 'RGB' || mode === 'L')) {
    // libjpeg-turbo directly, as Pillow decodes (half sharp's time); null: leave it to sharp
    const r = imageAddon()?.decodeJpeg?.(bytes);
    if (r && r.width === width && r.height === height && r.channels === MODE_CHANNELS[mode]) return image(r.data);
  }
  switch (mode) {
    case '1':
    case 'L': {
      const { values } = await raw(bytes, (s) => s.toColourspace('b-w'), 'uchar');
      return image(values as Uint8Array);
    }
    case 'I;16': {
      const { values } = await raw(bytes, (s) => s.toColourspace('grey16'), 'ushort');
      return image(values);
    }
    case 'LA': {
      if (is16) {
        const { values, info } = await raw(bytes, (s) => s.toColourspace('grey16'), 'ushort');
        if (info.channels !== 2) throw new ImageDecodeError(`expected grey+alpha, decoder gave ${info.channels} channels`);
        return image(pick(values, 2, [0, 1], true));
      }
      // 8-bit grey + alpha comes back as RGBA (grey replicated): keep band 0 and alpha
      const { values, info } = await raw(bytes, (s) => s, 'uchar');
      if (info.channels !== 4) throw new ImageDecodeError(`expected grey+alpha, decoder gave ${info.channels} channels`);
      return image(pick(values, 4, [0, 3], false));
    }
    case 'CMYK': {
      const { values, info } = await raw(bytes, (s) => s.pipelineColourspace('cmyk').toColourspace('cmyk'), depth);
      if (info.channels !== 4) throw new ImageDecodeError(`expected CMYK, decoder gave ${info.channels} channels`);
      return image(is16 ? pick(values, 4, [0, 1, 2, 3], true) : (values as Uint8Array));
    }
    case 'P': {
      const palette = probe.palette;
      if (!palette) throw new ImageDecodeError('palette image without a PLTE chunk');
      const { values, info } = await raw(bytes, (s) => s, 'uchar');
      return image(paletteIndices(values as Uint8Array, info.channels, palette), { palette });
    }
    case 'RGB':
    case 'RGBA': {
      const want = mode === 'RGB' ? 3 : 4;
      const { values, info } = await raw(bytes, (s) => (is16 ? s.toColourspace('rgb16') : s), depth);
      if (info.channels !== want && !(mode === 'RGB' && info.channels === 4)) {
        throw new ImageDecodeError(`expected ${mode}, decoder gave ${info.channels} channels`);
      }
      // an RGB PNG with a tRNS colour decodes with alpha here; PIL keeps it RGB
      if (info.channels === want && !is16) return image(values as Uint8Array);
      return image(pick(values, info.channels, want === 3 ? [0, 1, 2] : [0, 1, 2, 3], is16));
    }
    default:
      throw new ImageDecodeError(`unsupported mode ${mode}`);
  }
}

/** Maps expanded palette colours back to indices (first matching entry; duplicates convert identically). */
function paletteIndices(values: Uint8Array, channels: number, palette: Uint8Array): Uint8Array {
  const lut = new Map<number, number>();
  const withAlpha = channels === 4;
  for (let i = palette.length / 4 - 1; i >= 0; i--) {
    const key = ((palette[i * 4] << 16) | (palette[i * 4 + 1] << 8) | palette[i * 4 + 2]) * 256 + (withAlpha ? palette[i * 4 + 3] : 255);
    lut.set(key, i);
  }
  const n = values.length / channels;
  const out = new Uint8Array(n);
  for (let p = 0, o = 0; o < n; o++, p += channels) {
    const key = ((values[p] << 16) | (values[p + 1] << 8) | values[p + 2]) * 256 + (withAlpha ? values[p + 3] : 255);
    const idx = lut.get(key);
    if (idx === undefined) throw new ImageDecodeError(`a pixel colour is not in the palette`);
    out[o] = idx;
  }
  return out;
}
