// PIL's decompression-bomb check before any pixel is decoded: a warning above MAX_IMAGE_PIXELS
// (89,478,485), an error above twice that, the limit overridable like Image.MAX_IMAGE_PIXELS.
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { DEFAULT_MAX_IMAGE_PIXELS, DecompressionBombError, ImageDecodeError, decodeImage, maxImagePixels, setMaxImagePixels } from './image-decode';

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(b: Buffer): number {
  let c = 0xffffffff;
  for (const x of b) c = CRC_TABLE[(c ^ x) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type: string, body: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length);
  const tb = Buffer.concat([Buffer.from(type), body]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(tb));
  return Buffer.concat([len, tb, crc]);
}
/** A few hundred bytes declaring a `width` x `height` RGB PNG (one compressed row of zeros). */
function bombPng(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(Buffer.alloc(1 + 3 * 16))), chunk('IEND', Buffer.alloc(0))]);
}

afterEach(() => delete process.env.HUBTUNE_MAX_IMAGE_PIXELS);

test('PIL defaults: MAX_IMAGE_PIXELS is 89,478,485', () => {
  assert.equal(DEFAULT_MAX_IMAGE_PIXELS, Math.floor((1024 * 1024 * 1024) / 4 / 3));
  assert.equal(maxImagePixels(), DEFAULT_MAX_IMAGE_PIXELS);
});

test('above twice the limit: DecompressionBombError before decoding, naming the image', async () => {
  const png = bombPng(16_000_000, 12); // 192 M pixels in a few hundred bytes
  const rss = process.memoryUsage.rss();
  await assert.rejects(decodeImage(png, { name: 'bomb.png' }), (e: Error) => {
    assert.ok(e instanceof DecompressionBombError && e instanceof ImageDecodeError);
    assert.match(e.message, /^Cannot decode image bomb\.png: its size \(16000000x12 = 192000000 pixels\) exceeds the limit of 178956970 pixels, could be a decompression bomb/);
    return true;
  });
  assert.ok(process.memoryUsage.rss() - rss < 100e6, 'nothing was decoded');
});

test('above the limit: a DecompressionBombWarning, then decoding goes on (and fails here on the fake data)', async () => {
  const warnings: string[] = [];
  const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
  process.on('warning', onWarning);
  try {
    await assert.rejects(decodeImage(bombPng(10_000, 9_000), { name: 'big.png' }), (e: Error) => e instanceof ImageDecodeError && !(e instanceof DecompressionBombError));
    await new Promise((r) => setImmediate(r));
  } finally {
    process.off('warning', onWarning);
  }
  assert.deepEqual(warnings, ['DecompressionBombWarning: Image big.png: size (90000000 pixels) exceeds limit of 89478485 pixels, could be decompression bomb DOS attack.']);
});

test('the limit is overridable (setMaxImagePixels / HUBTUNE_MAX_IMAGE_PIXELS), null lifts it', async () => {
  const small = await sharp({ create: { width: 20, height: 20, channels: 3, background: { r: 1, g: 2, b: 3 } } }).png().toBuffer();
  setMaxImagePixels(100);
  await assert.rejects(decodeImage(small, { name: 'small.png' }), /20x20 = 400 pixels\) exceeds the limit of 200 pixels/);
  process.env.HUBTUNE_MAX_IMAGE_PIXELS = '1000';
  assert.equal((await decodeImage(small)).width, 20);
  setMaxImagePixels(100);
  setMaxImagePixels(null);
  assert.equal(maxImagePixels(), null);
  assert.equal((await decodeImage(small)).width, 20);
  assert.throws(() => setMaxImagePixels(-1), RangeError);
});
