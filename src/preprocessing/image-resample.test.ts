// resizePIL beyond the fixture (which covers BILINEAR down- and upscaling bit-exactly):
// hand-computed values from Pillow's algorithm, and properties every filter must keep.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { resizePIL, PILResample, type DecodedImage } from './image-processing';

const gray = (w: number, h: number, data: number[]): DecodedImage => ({ width: w, height: h, mode: 'L', channels: 1, data: Uint8Array.from(data) });
const FILTERS = Object.entries(PILResample);

describe('resizePIL', () => {
  test('BILINEAR 4 -> 2 by hand: taps 3/7, 3/7, 1/7 in 22-bit fixed point', () => {
    // centre 1.0, support 2 -> taps x=0..2 with weights 0.75, 0.75, 0.25 (normalised by 1.75)
    const k = [3 / 7, 3 / 7, 1 / 7].map((v) => Math.trunc(0.5 + v * 2 ** 22));
    const px = [0, 100, 200];
    const want0 = (2 ** 21 + px.reduce((s, p, i) => s + p * k[i], 0)) >> 22;
    const out = resizePIL(gray(4, 1, [0, 100, 200, 255]), [2, 1], PILResample.BILINEAR);
    assert.equal(out.data[0], want0);
    assert.equal(out.data[0], 71);
  });

  test('BOX 2x downscale is the rounded block mean', () => {
    const src = gray(4, 2, [10, 21, 30, 41, 50, 61, 70, 81]);
    const out = resizePIL(src, [2, 1], PILResample.BOX);
    // horizontal: (10+21)/2=15.5 -> 16, (30+41)/2 -> 36, (50+61)/2 -> 56, (70+81)/2 -> 76; vertical: (16+56)/2=36, (36+76)/2=56
    assert.deepEqual(Array.from(out.data), [36, 56]);
  });

  test('constant images stay constant under every filter, up and down', () => {
    const c = gray(7, 5, new Array(35).fill(137));
    for (const [name, code] of FILTERS) {
      for (const size of [[3, 2], [13, 11], [7, 9]] as [number, number][]) {
        const out = resizePIL(c, size, code);
        assert.ok(out.data.every((v) => v === 137), `${name} ${size}`);
      }
    }
  });

  test('same size returns a copy; NEAREST samples at (x + 0.5) * scale, accumulated by repeated addition as in C', () => {
    const src = gray(6, 1, [0, 1, 2, 3, 4, 5]);
    const same = resizePIL(src, [6, 1], PILResample.BICUBIC);
    assert.deepEqual(same.data, src.data);
    assert.notEqual(same.data, src.data);
    assert.deepEqual(Array.from(resizePIL(src, [4, 1], PILResample.NEAREST).data), [0, 2, 3, 5]);
    // 6/9 added up: x=4 lands at 2.9999999999999996, not 3.0 -> pixel 2
    assert.deepEqual(Array.from(resizePIL(src, [9, 1], PILResample.NEAREST).data), [0, 1, 1, 2, 2, 3, 4, 5, 5]);
  });

  test('overshooting filters clip to 0..255', () => {
    const edge = gray(8, 1, [0, 0, 0, 0, 255, 255, 255, 255]);
    for (const code of [PILResample.BICUBIC, PILResample.LANCZOS]) {
      const out = resizePIL(edge, [20, 1], code);
      assert.ok(out.data.includes(0) && out.data.includes(255));
    }
  });

  test('RGBA is resized premultiplied: transparent pixels do not bleed colour', () => {
    // left pixel opaque red, right pixel fully transparent green
    const img: DecodedImage = { width: 2, height: 1, mode: 'RGBA', channels: 4, data: Uint8Array.from([255, 0, 0, 255, 0, 255, 0, 0]) };
    const out = resizePIL(img, [1, 1], PILResample.BILINEAR);
    assert.deepEqual(Array.from(out.data), [255, 0, 0, 128]);
  });

  test('I;16 resizes in 16 bits; P forces NEAREST', () => {
    const i16: DecodedImage = { width: 2, height: 1, mode: 'I;16', channels: 1, data: Uint16Array.from([1000, 3000]) };
    assert.deepEqual(Array.from(resizePIL(i16, [1, 1], PILResample.BILINEAR).data), [2000]);
    const p: DecodedImage = { width: 4, height: 1, mode: 'P', channels: 1, data: Uint8Array.from([0, 1, 2, 3]), palette: new Uint8Array(16) };
    assert.deepEqual(Array.from(resizePIL(p, [2, 1], PILResample.BILINEAR).data), [1, 3]);
  });

  test('box: crop-and-scale region, and bad arguments', () => {
    const src = gray(4, 1, [0, 100, 200, 255]);
    assert.deepEqual(Array.from(resizePIL(src, [2, 1], PILResample.BILINEAR, { box: [2, 0, 4, 1] }).data), [200, 255]);
    assert.throws(() => resizePIL(src, [0, 1]), /positive integers/);
    assert.throws(() => resizePIL(src, [2, 1], 9), /unknown resample 9/);
    assert.throws(() => resizePIL(src, [2, 1], 2, { box: [0, 0, 5, 1] }), /outside/);
  });
});
