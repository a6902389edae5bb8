// The small native image addon (build/Release/hubtune_image.node, native/image_ops.cc, no libtorch):
// JPEG decoding on libjpeg-turbo, Pillow's 8-bit resize passes and the rescale + normalise lookup, with the taps computed by the
// TypeScript port. Absent (not built) or turned off (HUBTUNE_NATIVE_IMAGE=0, useNativeImageOps(false)),
// the TypeScript port runs: both give the same bytes.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';

export interface ImageAddon {
  resample8(
    src: Uint8Array, inW: number, inH: number, channels: number, outW: number, outH: number,
    hk: Int32Array | null, hbounds: Int32Array | null, hksize: number, yFirst: number, rows: number,
    vk: Int32Array | null, vbounds: Int32Array | null, vksize: number,
  ): Uint8Array;
  toCHW(rgb: Uint8Array, height: number, width: number, lut: Float32Array, out: Float32Array, outOffset: number): void;
  /** libjpeg-turbo decode of an 8-bit greyscale/colour JPEG; null for anything else (absent where jpeglib.h was not found). */
  decodeJpeg?(bytes: Uint8Array): { width: number; height: number; channels: number; data: Uint8Array } | null;
}

const here = dirname(fileURLToPath(import.meta.url));
const candidates = [resolve(here, '../../../build/Release/hubtune_image.node'), resolve(here, '../../../build/Debug/hubtune_image.node')];
let loaded: ImageAddon | null | undefined;
let enabled = process.env.HUBTUNE_NATIVE_IMAGE !== '0';

/** The native image addon, or null (not built, or turned off). */
export function imageAddon(): ImageAddon | null {
  if (!enabled) return null;
  if (loaded === undefined) {
    const path = candidates.find((p) => existsSync(p));
    try {
      loaded = path ? (createRequire(import.meta.url)(path) as ImageAddon) : null;
    } catch {
      loaded = null;
    }
  }
  return loaded;
}

/** Turns the native resize/normalise on or off (for comparisons with the TypeScript port); returns the previous setting. */
export function useNativeImageOps(on: boolean): boolean {
  const prev = enabled;
  enabled = on;
  return prev;
}

/** True when the native image addon is built and on. */
export function nativeImageOpsAvailable(): boolean {
  return imageAddon() !== null;
}
