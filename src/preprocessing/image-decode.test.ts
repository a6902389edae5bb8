import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { decodeImage, convertToRGB, ImageDecodeError } from './image-processing';
import { encodePNG, type PngSpec } from './image-testing';

const W = 5, H = 3, N = W * H;
const seq = (n: number, f: (i: number) => number) => Array.from({ length: n }, (_, i) => f(i));
const png = (spec: Omit<PngSpec, 'width' | 'height'>) => encodePNG({ width: W, height: H, ...spec });

describe('decodeImage: PIL modes from PNG headers', () => {
  test('L (8-bit), 1 (1-bit), L from 4-bit (scaled like PIL)', async () => {
    const l8 = await decodeImage(png({ colorType: 0, bitDepth: 8, samples: seq(N, (i) => i * 17) }));
    assert.equal(l8.mode, 'L');
    assert.deepEqual(Array.from(l8.data), seq(N, (i) => i * 17));
    const b1 = await decodeImage(png({ colorType: 0, bitDepth: 1, samples: seq(N, (i) => i % 2) }));
    assert.equal(b1.mode, '1');
    assert.deepEqual(Array.from(b1.data), seq(N, (i) => (i % 2 ? 255 : 0)));
    const l4 = await decodeImage(png({ colorType: 0, bitDepth: 4, samples: seq(N, (i) => i) }));
    assert.equal(l4.mode, 'L');
    assert.deepEqual(Array.from(l4.data), seq(N, (i) => i * 17));
    assert.deepEqual(Array.from(convertToRGB(l8).data), seq(N * 3, (j) => Math.floor(j / 3) * 17));
  });

  test("I;16: 16-bit grey keeps 16 bits; convert('RGB') clips at 255 like PIL", async () => {
    const img = await decodeImage(png({ colorType: 0, bitDepth: 16, samples: seq(N, (i) => i * 4000 + 3) }));
    assert.equal(img.mode, 'I;16');
    assert.ok(img.data instanceof Uint16Array);
    assert.deepEqual(Array.from(img.data), seq(N, (i) => i * 4000 + 3));
    assert.deepEqual(Array.from(convertToRGB(img).data.slice(0, 6)), [3, 3, 3, 255, 255, 255]);
  });

  test('LA, RGBA, 16-bit colour (high byte, as PIL unpacks ;16B)', async () => {
    const la = await decodeImage(png({ colorType: 4, bitDepth: 8, samples: seq(2 * N, (i) => i * 7) }));
    assert.equal(la.mode, 'LA');
    assert.deepEqual(Array.from(la.data), seq(2 * N, (i) => i * 7));
    assert.deepEqual(Array.from(convertToRGB(la).data.slice(0, 6)), [0, 0, 0, 14, 14, 14]);
    const la16 = await decodeImage(png({ colorType: 4, bitDepth: 16, samples: seq(2 * N, (i) => i * 2000 + 5) }));
    assert.equal(la16.mode, 'LA');
    assert.deepEqual(Array.from(la16.data), seq(2 * N, (i) => (i * 2000 + 5) >> 8));
    const rgb16 = await decodeImage(png({ colorType: 2, bitDepth: 16, samples: seq(3 * N, (i) => i * 1400 + 9) }));
    assert.equal(rgb16.mode, 'RGB');
    assert.deepEqual(Array.from(rgb16.data), seq(3 * N, (i) => (i * 1400 + 9) >> 8));
    const rgba16 = await decodeImage(png({ colorType: 6, bitDepth: 16, samples: seq(4 * N, (i) => i * 1000 + 9) }));
    assert.equal(rgba16.mode, 'RGBA');
    assert.deepEqual(Array.from(rgba16.data), seq(4 * N, (i) => (i * 1000 + 9) >> 8));
    const rgba = await decodeImage(png({ colorType: 6, bitDepth: 8, samples: seq(4 * N, (i) => (i * 11) & 255) }));
    assert.equal(rgba.mode, 'RGBA');
    // alpha dropped, not composited
    assert.deepEqual(Array.from(convertToRGB(rgba).data), seq(4 * N, (i) => (i * 11) & 255).filter((_, i) => i % 4 !== 3));
  });

  test('P (palette) with and without tRNS; convert ignores transparency', async () => {
    const plte = [1, 2, 3, 10, 20, 30, 100, 110, 120, 200, 210, 220, 5, 5, 5];
    for (const trns of [undefined, [0, 128]]) {
      const img = await decodeImage(png({ colorType: 3, bitDepth: 4, samples: seq(N, (i) => i % 5), plte, trns }));
      assert.equal(img.mode, 'P');
      assert.deepEqual(Array.from(img.data), seq(N, (i) => i % 5));
      assert.deepEqual(Array.from(convertToRGB(img).data), Array.from({ length: N }, (_, i) => plte.slice((i % 5) * 3, (i % 5) * 3 + 3)).flat());
    }
  });

  test('RGB and L with a tRNS colour stay RGB / L (as PIL opens them)', async () => {
    const rgb = await decodeImage(png({ colorType: 2, bitDepth: 8, samples: seq(3 * N, (i) => i * 5), trns: [0, 0, 0, 0, 0, 0] }));
    assert.equal(rgb.mode, 'RGB');
    assert.deepEqual(Array.from(rgb.data), seq(3 * N, (i) => i * 5));
    const l = await decodeImage(png({ colorType: 0, bitDepth: 8, samples: seq(N, (i) => i * 5), trns: [0, 0] }));
    assert.equal(l.mode, 'L');
    assert.deepEqual(Array.from(l.data), seq(N, (i) => i * 5));
  });

  test('an embedded ICC profile is ignored (stored values, as PIL)', async () => {
    const samples = seq(3 * N, (i) => (i * 37) & 255);
    const plain = png({ colorType: 2, bitDepth: 8, samples });
    // take the iCCP chunk of a Display P3 PNG and put it into our PNG after IHDR
    const p3 = await sharp(Buffer.alloc(3 * 4 * 4, 90), { raw: { width: 4, height: 4, channels: 3 } }).withIccProfile('p3').png().toBuffer();
    const at = p3.indexOf('iCCP') - 4;
    assert.ok(at > 0, 'sharp wrote no iCCP chunk');
    const iccp = p3.subarray(at, at + 12 + p3.readUInt32BE(at));
    const withIcc = Buffer.concat([plain.subarray(0, 33), iccp, plain.subarray(33)]);
    assert.equal((await sharp(withIcc).metadata()).hasProfile, true);
    const img = await decodeImage(withIcc);
    assert.deepEqual(Array.from(img.data), samples);
  });

  test('CMYK JPEG: mode CMYK, convert with PIL formula', async () => {
    const jpg = await sharp(Buffer.from(seq(3 * 64, (i) => (i * 23) & 255)), { raw: { width: 8, height: 8, channels: 3 } })
      .toColourspace('cmyk').jpeg({ quality: 95 }).toBuffer();
    const img = await decodeImage(jpg);
    assert.equal(img.mode, 'CMYK');
    assert.equal(img.channels, 4);
    const rgb = convertToRGB(img).data;
    const mul = (a: number, b: number) => { const t = a * b + 128; return ((t >> 8) + t) >> 8; };
    for (let i = 0; i < 64; i++) {
      const [c, m, y, k] = img.data.slice(i * 4, i * 4 + 4);
      const nk = 255 - k;
      assert.deepEqual(Array.from(rgb.slice(i * 3, i * 3 + 3)), [c, m, y].map((v) => Math.max(0, nk - mul(v, nk))));
    }
  });

  test('greyscale JPEG decodes as L', async () => {
    const jpg = await sharp(Buffer.from(seq(64, (i) => i * 4)), { raw: { width: 8, height: 8, channels: 1 } }).toColourspace('b-w').jpeg().toBuffer();
    const img = await decodeImage(jpg);
    assert.equal(img.mode, 'L');
    assert.equal(img.data.length, 64);
  });
});

describe('decodeImage: bad input gives one-line errors naming the file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hubtune-decode-'));
  const good = png({ colorType: 2, bitDepth: 8, samples: seq(3 * N, (i) => i) });
  const cases: [string, Buffer | string, RegExp][] = [
    ['empty.png', Buffer.alloc(0), /the file is empty/],
    ['notes.png', 'this is text, not an image', /not a supported image file, or corrupt/],
    ['truncated.png', good.subarray(0, good.length - 20), /truncated or corrupt png data/],
    ['zero.png', encodePNG({ width: 0, height: 3, colorType: 0, bitDepth: 8, samples: [] }), /zero size \(0x3\)/],
  ];
  for (const [name, bytes, re] of cases) {
    test(name, async () => {
      const path = join(dir, name);
      writeFileSync(path, bytes);
      await assert.rejects(decodeImage(path), (e: Error) => {
        assert.ok(e instanceof ImageDecodeError);
        assert.match(e.message, re);
        assert.ok(e.message.includes(path), e.message);
        assert.ok(!e.message.includes('\n'), e.message);
        return true;
      });
    });
  }

  test('truncated JPEG', async () => {
    const jpg = await sharp(Buffer.from(seq(3 * 64 * 64, (i) => (i * 7) & 255)), { raw: { width: 64, height: 64, channels: 3 } }).jpeg().toBuffer();
    await assert.rejects(decodeImage(jpg.subarray(0, jpg.length >> 1), { name: 'row 7' }), /Cannot decode image row 7: truncated or corrupt jpeg data/);
  });

  test('missing file', async () => {
    await assert.rejects(decodeImage(join(dir, 'nope.jpg')), /Cannot read image .*nope\.jpg: ENOENT/);
  });
});
