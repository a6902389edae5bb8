// JPEG decoding on libjpeg-turbo (native/image_jpeg.cc) against the sharp path it replaces for the
// common case (which the fixture tests hold to Pillow): the same pixels for every size, quality,
// chroma subsampling, progressive and greyscale; everything else falls back to sharp, with sharp's
// errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { createRng } from '../demo/rng';
import { imageAddon, useNativeImageOps } from './pil/native-image';
import { decodeImage } from './image-decode';
import { needsShared, sharedPath } from '../../test/support/shared';

const jpegNative = !!imageAddon()?.decodeJpeg;
const why = 'the image addon was built without libjpeg (no /usr/include/jpeglib.h): JPEG decodes through sharp';

async function viaSharp(bytes: Buffer) {
  const prev = useNativeImageOps(false);
  try { return await decodeImage(bytes); } finally { useNativeImageOps(prev); }
}

async function randomJpeg(rng: ReturnType<typeof createRng>, o: { width: number; height: number; grey: boolean; quality: number; sub: '4:4:4' | '4:2:0'; progressive: boolean }) {
  const ch = o.grey ? 1 : 3;
  const px = Buffer.alloc(o.width * o.height * ch);
  for (let y = 0; y < o.height; y++) {
    for (let x = 0; x < o.width; x++) {
      for (let c = 0; c < ch; c++) px[(y * o.width + x) * ch + c] = Math.max(0, Math.min(255, 128 + 90 * Math.sin((x + 7 * c) / (5 + c)) + 60 * Math.cos(y / 9) + rng.int(-25, 25)));
    }
  }
  let s = sharp(px, { raw: { width: o.width, height: o.height, channels: ch as 1 | 3 } });
  if (o.grey) s = s.toColourspace('b-w');
  return s.jpeg({ quality: o.quality, chromaSubsampling: o.sub, progressive: o.progressive }).toBuffer();
}

test('native JPEG decode gives sharp\'s pixels for random sizes, qualities, subsampling, progressive and greyscale', { skip: !jpegNative && why }, async () => {
  const rng = createRng(21);
  for (let n = 0; n < 40; n++) {
    const o = { width: rng.int(1, 130), height: rng.int(1, 130), grey: rng.int(0, 4) === 0, quality: rng.int(30, 100), sub: rng.pick(['4:4:4', '4:2:0'] as const), progressive: rng.int(0, 1) === 1 };
    const bytes = await randomJpeg(rng, o);
    const raw = imageAddon()!.decodeJpeg!(bytes);
    assert.ok(raw, `decoded natively: ${JSON.stringify(o)}`);
    const [got, ref] = [await decodeImage(bytes), await viaSharp(bytes)];
    assert.equal(got.mode, ref.mode);
    assert.deepEqual([got.width, got.height, got.channels], [ref.width, ref.height, ref.channels], JSON.stringify(o));
    assert.ok(Buffer.from(got.data as Uint8Array).equals(Buffer.from(ref.data as Uint8Array)), `pixels differ: ${JSON.stringify(o)}`);
  }
});

test('the fixture JPEG decodes natively to sharp\'s (Pillow\'s) pixels', { skip: (!jpegNative && why) || needsShared.skip }, async () => {
  const bytes = readFileSync(sharedPath('fixtures', 'hf-reference', 'images', 'leaf_rust_500x500.jpg'));
  assert.ok(imageAddon()!.decodeJpeg!(bytes));
  const [got, ref] = [await decodeImage(bytes), await viaSharp(bytes)];
  assert.ok(Buffer.from(got.data as Uint8Array).equals(Buffer.from(ref.data as Uint8Array)));
});

test('CMYK, truncated and corrupt JPEGs are left to sharp: same result or same one-line error', { skip: !jpegNative && why }, async () => {
  const rng = createRng(5);
  const good = await randomJpeg(rng, { width: 64, height: 48, grey: false, quality: 85, sub: '4:2:0', progressive: false });
  const cmyk = await sharp(Buffer.alloc(8 * 8 * 3, 90), { raw: { width: 8, height: 8, channels: 3 } }).toColourspace('cmyk').jpeg().toBuffer();
  assert.equal(imageAddon()!.decodeJpeg!(cmyk), null, 'CMYK: not handled natively');
  assert.equal((await decodeImage(cmyk)).mode, 'CMYK');
  const truncated = good.subarray(0, Math.floor(good.length * 0.6));
  assert.equal(imageAddon()!.decodeJpeg!(truncated), null, 'a truncated file gives a libjpeg warning: not handled natively');
  const flipped = Buffer.from(good); flipped[Math.floor(good.length / 2)]! ^= 0xff; flipped[Math.floor(good.length / 2) + 7]! ^= 0x55;
  for (const bad of [truncated, flipped, good.subarray(0, 200)]) {
    const a = await decodeImage(bad).then((i) => `ok ${i.width}x${i.height}`, (e: Error) => `error ${e.message}`);
    const b = await viaSharp(bad).then((i) => `ok ${i.width}x${i.height}`, (e: Error) => `error ${e.message}`);
    assert.equal(a, b);
    assert.doesNotMatch(a, /\n/);
  }
});
