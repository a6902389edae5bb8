// Test helpers for the image preprocessing tests: a minimal PNG encoder (any colour type,
// bit depth, palette, tRNS) and a minimal safetensors reader for the fixture arrays.
import { crc32, deflateSync } from 'node:zlib';
import { readFileSync } from 'node:fs';

export interface PngSpec {
  width: number;
  height: number;
  /** 0 grey, 2 RGB, 3 palette, 4 grey+alpha, 6 RGBA. */
  colorType: 0 | 2 | 3 | 4 | 6;
  bitDepth: 1 | 2 | 4 | 8 | 16;
  /** Sample values, interleaved, one number per sample (unpacked). */
  samples: ArrayLike<number>;
  /** RGB triplets for colour type 3. */
  plte?: number[];
  /** Raw tRNS chunk body. */
  trns?: number[];
}

function chunk(type: string, body: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(body.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), body])) >>> 0, 0);
  return Buffer.concat([head, body, crc]);
}

export function encodePNG(spec: PngSpec): Buffer {
  const { width, height, colorType, bitDepth, samples } = spec;
  const spp = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 }[colorType];
  const rowBits = width * spp * bitDepth;
  const rowBytes = Math.ceil(rowBits / 8);
  const raw = Buffer.alloc((rowBytes + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = raw.subarray(y * (rowBytes + 1) + 1, (y + 1) * (rowBytes + 1));
    for (let i = 0; i < width * spp; i++) {
      const v = samples[y * width * spp + i];
      if (bitDepth === 16) row.writeUInt16BE(v, i * 2);
      else if (bitDepth === 8) row[i] = v;
      else {
        const bit = i * bitDepth;
        row[bit >> 3] |= v << (8 - bitDepth - (bit & 7));
      }
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = bitDepth;
  ihdr[9] = colorType;
  const parts = [Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr)];
  if (spec.plte) parts.push(chunk('PLTE', Uint8Array.from(spec.plte)));
  if (spec.trns) parts.push(chunk('tRNS', Uint8Array.from(spec.trns)));
  parts.push(chunk('IDAT', deflateSync(raw)), chunk('IEND', new Uint8Array(0)));
  return Buffer.concat(parts);
}

export interface SafetensorsEntry {
  dtype: string;
  shape: number[];
  bytes: Uint8Array;
}

/** Minimal safetensors reader: 8-byte LE header length, JSON header, raw LE data. */
export function readSafetensorsLite(path: string): Map<string, SafetensorsEntry> {
  const buf = readFileSync(path);
  const n = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8')) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  const out = new Map<string, SafetensorsEntry>();
  for (const [k, v] of Object.entries(header)) {
    if (k === '__metadata__') continue;
    const [s, e] = v.data_offsets;
    // copy so that typed views are aligned
    out.set(k, { dtype: v.dtype, shape: v.shape, bytes: new Uint8Array(buf.subarray(8 + n + s, 8 + n + e)) });
  }
  return out;
}

export function asFloat32(e: SafetensorsEntry): Float32Array {
  if (e.dtype !== 'F32') throw new Error(`expected F32, got ${e.dtype}`);
  return new Float32Array(e.bytes.buffer, e.bytes.byteOffset, e.bytes.byteLength / 4);
}
