// The native image path (native/image_ops.cc) against the TypeScript port of Pillow, which stays
// the reference: the same bytes for random images, sizes, filters and boxes, the same float32
// pixel values after rescale + normalise, and the same pixel_values for the fixture images.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createRng } from '../demo/rng';
import { resizePIL, PILResample } from './pil/resample';
import { nativeImageOpsAvailable, useNativeImageOps } from './pil/native-image';
import { rescaleNormalizeToCHW, ViTImageProcessor } from './image-processing';
import { decodeImage } from './image-decode';
import type { DecodedImage, PILMode } from './pil/types';
import { needsShared, sharedPath } from '../../test/support/shared';

/** Runs `f` with the TypeScript port (native off), then natively; returns both results. */
function both<T>(f: () => T): [T, T] {
  const prev = useNativeImageOps(false);
  try {
    const js = f();
    useNativeImageOps(true);
    return [js, f()];
  } finally {
    useNativeImageOps(prev);
  }
}

const MODES: [PILMode, number][] = [['RGB', 3], ['L', 1], ['RGBA', 4], ['LA', 2]];
const FILTERS = [PILResample.BICUBIC, PILResample.BILINEAR, PILResample.LANCZOS, PILResample.BOX, PILResample.HAMMING];

test('the native image addon is built (npm ci / node-gyp rebuild builds hubtune_image)', () => {
  assert.ok(nativeImageOpsAvailable(), 'build/Release/hubtune_image.node is missing: run `npx node-gyp rebuild`');
});

test('resize: native bytes equal the TypeScript port for random images, sizes, filters and boxes', () => {
  const rng = createRng(15);
  for (let n = 0; n < 120; n++) {
    const [mode, channels] = rng.pick(MODES);
    const width = rng.int(1, 160), height = rng.int(1, 160);
    const data = new Uint8Array(width * height * channels);
    // smooth gradients plus noise, and some saturated pixels (clipping both ways)
    for (let i = 0; i < data.length; i++) data[i] = rng.chance(0.05) ? (rng.chance(0.5) ? 0 : 255) : (i * 7 + rng.int(0, 40)) & 255;
    const img: DecodedImage = { width, height, mode, channels, data };
    const outW = rng.chance(0.2) ? width : rng.int(1, 240), outH = rng.chance(0.2) ? height : rng.int(1, 240);
    const filter = rng.pick(FILTERS);
    let box: [number, number, number, number] | undefined;
    if (rng.chance(0.25)) {
      const x0 = rng.uniform(0, width / 2), y0 = rng.uniform(0, height / 2);
      box = [x0, y0, rng.uniform(x0, width), rng.uniform(y0, height)];
    }
    const [js, nat] = both(() => resizePIL(img, [outW, outH], filter, box ? { box } : {}));
    const what = `${mode} ${width}x${height} -> ${outW}x${outH} filter ${filter}${box ? ` box ${box.map((v) => v.toFixed(2))}` : ''}`;
    assert.equal(nat.width, js.width, what);
    assert.equal(nat.height, js.height, what);
    assert.ok(Buffer.from(nat.data.buffer, nat.data.byteOffset, nat.data.byteLength).equals(Buffer.from(js.data.buffer, js.data.byteOffset, js.data.byteLength)), what);
  }
});

test('rescale + normalise into CHW: native float32 values equal the TypeScript port', () => {
  const rng = createRng(16);
  for (const [h, w] of [[1, 1], [7, 13], [224, 224]]) {
    const rgb = new Uint8Array(h * w * 3).map(() => rng.int(0, 255));
    const o = { doRescale: true, rescaleFactor: 1 / 255, doNormalize: true, imageMean: [0.485, 0.456, 0.406], imageStd: [0.229, 0.224, 0.225] };
    const [js, nat] = both(() => rescaleNormalizeToCHW(rgb, h, w, o));
    assert.deepEqual(nat, js);
    // into an offset of a batch buffer
    const [jsOff, natOff] = both(() => rescaleNormalizeToCHW(rgb, h, w, { ...o, doNormalize: false }, new Float32Array(3 * h * w * 2 + 5), 3 * h * w + 5));
    assert.deepEqual(natOff, jsOff);
  }
});

test('fixture images (../shared): decode + processor pixel_values, native equal to the TypeScript port', needsShared, async () => {
  const dir = sharedPath('fixtures/hf-reference/images');
  const files = readdirSync(dir).filter((f) => /\.(png|jpe?g)$/.test(f));
  assert.ok(files.length >= 3);
  const proc = await ViTImageProcessor.fromPretrained(dir);
  for (const f of files) {
    const img = await decodeImage(join(dir, f));
    const [js, nat] = both(() => proc.processImage(img, {}, f));
    assert.deepEqual(nat.shape, js.shape);
    assert.ok(Buffer.from(nat.data.buffer).equals(Buffer.from(js.data.buffer)), f);
    for (const filter of FILTERS) {
      const [a, b] = both(() => resizePIL(img, [224, 224], filter));
      assert.ok(Buffer.from(b.data.buffer).equals(Buffer.from(a.data.buffer)), `${f} filter ${filter}`);
    }
  }
});
