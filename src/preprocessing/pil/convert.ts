// Ports of the Pillow mode conversions hubtune needs (libImaging/Convert.c semantics,
// written from the algorithm): `convert("RGB")` from every mode the decoder gives, and the
// RGBA <-> RGBa (premultiplied) round trip that Image.resize does around resampling.
import { checkImage, type DecodedImage } from './types';

/** (a * b + 128) / 255 with PIL's rounding trick. */
function mulDiv255(a: number, b: number): number {
  const t = a * b + 128;
  return ((t >> 8) + t) >> 8;
}

function clip8(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

/**
 * `PIL.Image.convert("RGB")`: L/1 replicated, LA drops alpha, RGBA drops alpha (no
 * compositing), P/PA through the palette (transparency ignored), CMYK with PIL's naive
 * formula (no ICC), I;16 clipped to 255. An RGB image is returned as it is (not copied).
 */
export function convertToRGB(img: DecodedImage): DecodedImage {
  checkImage(img, 'convertToRGB');
  const { width, height, mode } = img;
  if (mode === 'RGB') return img;
  const n = width * height;
  const out = new Uint8Array(n * 3);
  const src = img.data;
  switch (mode) {
    case '1':
      for (let i = 0, o = 0; i < n; i++) {
        const v = src[i] !== 0 ? 255 : 0;
        out[o++] = v; out[o++] = v; out[o++] = v;
      }
      break;
    case 'L':
      for (let i = 0, o = 0; i < n; i++) {
        const v = src[i];
        out[o++] = v; out[o++] = v; out[o++] = v;
      }
      break;
    case 'LA':
      for (let i = 0, o = 0; i < n; i++) {
        const v = src[i * 2];
        out[o++] = v; out[o++] = v; out[o++] = v;
      }
      break;
    case 'I;16':
      for (let i = 0, o = 0; i < n; i++) {
        const v = src[i] > 255 ? 255 : src[i];
        out[o++] = v; out[o++] = v; out[o++] = v;
      }
      break;
    case 'RGBA':
      for (let i = 0, o = 0, p = 0; i < n; i++, p += 4) {
        out[o++] = src[p]; out[o++] = src[p + 1]; out[o++] = src[p + 2];
      }
      break;
    case 'CMYK':
      for (let i = 0, o = 0, p = 0; i < n; i++, p += 4) {
        const nk = 255 - src[p + 3];
        out[o++] = clip8(nk - mulDiv255(src[p], nk));
        out[o++] = clip8(nk - mulDiv255(src[p + 1], nk));
        out[o++] = clip8(nk - mulDiv255(src[p + 2], nk));
      }
      break;
    case 'P':
    case 'PA': {
      const pal = img.palette;
      if (!pal) throw new Error(`convertToRGB: mode '${mode}' image has no palette`);
      const step = mode === 'PA' ? 2 : 1;
      for (let i = 0, o = 0; i < n; i++) {
        const e = src[i * step] * 4;
        // entries past the palette's end read as black, as PIL's 256-entry palette does
        out[o++] = pal[e] ?? 0; out[o++] = pal[e + 1] ?? 0; out[o++] = pal[e + 2] ?? 0;
      }
      break;
    }
    default:
      throw new Error(`convertToRGB: cannot convert mode '${mode}' to RGB`);
  }
  return { width, height, mode: 'RGB', channels: 3, data: out };
}

/** RGBA -> RGBa or LA -> La (PIL's rgbA2rgba / lA2la). Same mode label, premultiplied values. */
export function premultiplyAlpha(img: DecodedImage): DecodedImage {
  const C = img.channels;
  const src = img.data;
  const out = new Uint8Array(src.length);
  for (let p = 0; p < src.length; p += C) {
    const a = src[p + C - 1];
    for (let c = 0; c < C - 1; c++) out[p + c] = mulDiv255(src[p + c], a);
    out[p + C - 1] = a;
  }
  return { ...img, data: out };
}

/** RGBa -> RGBA or La -> LA (PIL's rgba2rgbA / la2lA): integer division, clipped. */
export function unpremultiplyAlpha(img: DecodedImage): DecodedImage {
  const C = img.channels;
  const src = img.data;
  const out = new Uint8Array(src.length);
  for (let p = 0; p < src.length; p += C) {
    const a = src[p + C - 1];
    if (a === 255 || a === 0) {
      for (let c = 0; c < C - 1; c++) out[p + c] = src[p + c];
    } else {
      for (let c = 0; c < C - 1; c++) out[p + c] = clip8(Math.trunc((255 * src[p + c]) / a));
    }
    out[p + C - 1] = a;
  }
  return { ...img, data: out };
}
