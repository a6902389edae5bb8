import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { needsShared, sharedPath } from '../../test/support/shared';
import { convertImage, decodeImage, encodeImagePng } from './image';
import { makeImage } from '../../test/support/dataset-fixtures';

function readSafetensor(file: string, key: string): Uint8Array {
  const buf = readFileSync(file);
  const n = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8'));
  const [a, b] = header[key].data_offsets;
  return new Uint8Array(buf.subarray(8 + n + a, 8 + n + b));
}

test('decodes like PIL: mode and convert("RGB") pixels match the Python reference exactly', needsShared, async () => {
  const dir = sharedPath('fixtures', 'hf-reference', 'images');
  const expected = JSON.parse(readFileSync(`${dir}/expected.json`, 'utf8')).images as { file: string; pil_mode: string; width: number; height: number; decoded_rgb_key: string }[];
  for (const e of expected) {
    const img = await decodeImage({ path: `${dir}/${e.file}` });
    assert.equal(img.mode, e.pil_mode, `${e.file}: mode`);
    assert.equal(img.width, e.width); assert.equal(img.height, e.height);
    const rgb = convertImage(img, 'RGB');
    const ref = readSafetensor(`${dir}/expected.safetensors`, e.decoded_rgb_key);
    assert.equal(rgb.data.length, ref.length, e.file);
    let maxDiff = 0;
    for (let i = 0; i < ref.length; i++) maxDiff = Math.max(maxDiff, Math.abs(rgb.data[i] - ref[i]));
    assert.equal(maxDiff, 0, `${e.file}: max pixel difference`);
  }
});

test('modes, conversion and PNG round trip; decode errors name the source', async () => {
  const rgba = await decodeImage({ bytes: await makeImage({ channels: 4 }) });
  assert.equal(rgba.mode, 'RGBA'); assert.equal(rgba.channels, 4);
  const l = convertImage(rgba, 'L');
  assert.equal(l.channels, 1);
  const r = rgba.data[0], g = rgba.data[1], b = rgba.data[2];
  assert.equal(l.data[0], (r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16);
  const again = await decodeImage({ bytes: await encodeImagePng(rgba) });
  assert.deepEqual(again.data, rgba.data);
  await assert.rejects(decodeImage({ bytes: new Uint8Array([0, 1, 2]) }, { source: 'train row 7' }), /^DatasetError: train row 7: cannot decode image/);
  await assert.rejects(decodeImage({ path: '/nonexistent/x.png' }), /cannot read image file \/nonexistent\/x\.png \(ENOENT\)/);
});
