// Shared image shape for the PIL ports (decode, convert, resize). Pixels are interleaved,
// row-major, `channels` values per pixel; 16-bit modes ('I;16') use a Uint16Array.

/** PIL image modes that hubtune can hold. */
export type PILMode = '1' | 'L' | 'LA' | 'P' | 'PA' | 'RGB' | 'RGBA' | 'CMYK' | 'I;16';

export interface DecodedImage {
  width: number;
  height: number;
  /** PIL's mode for this image (what `Image.open(f).mode` gives). */
  mode: PILMode;
  /** Values per pixel in `data`: 1 for '1'/'L'/'P'/'I;16', 2 for 'LA'/'PA', 3 for 'RGB', 4 for 'RGBA'/'CMYK'. */
  channels: number;
  data: Uint8Array | Uint16Array;
  /** Mode 'P'/'PA' only: the palette as RGBA quadruplets (alpha from the PNG tRNS chunk, else 255). */
  palette?: Uint8Array;
}

export const MODE_CHANNELS: Record<PILMode, number> = {
  '1': 1, L: 1, LA: 2, P: 1, PA: 2, RGB: 3, RGBA: 4, CMYK: 4, 'I;16': 1,
};

export function checkImage(img: DecodedImage, what = 'image'): void {
  const expected = MODE_CHANNELS[img.mode];
  if (expected === undefined) throw new Error(`${what}: unsupported mode '${img.mode}'`);
  if (img.channels !== expected) {
    throw new Error(`${what}: mode '${img.mode}' needs ${expected} channel(s), got channels=${img.channels}`);
  }
  if (!Number.isInteger(img.width) || !Number.isInteger(img.height) || img.width < 1 || img.height < 1) {
    throw new Error(`${what}: width and height must be positive integers, got ${img.width}x${img.height}`);
  }
  if (img.data.length !== img.width * img.height * img.channels) {
    throw new Error(`${what}: data has ${img.data.length} values, expected ${img.width}x${img.height}x${img.channels}`);
  }
  if ((img.mode === 'I;16') !== img.data instanceof Uint16Array) {
    throw new Error(`${what}: mode '${img.mode}' needs ${img.mode === 'I;16' ? 'a Uint16Array' : 'a Uint8Array'}`);
  }
}
