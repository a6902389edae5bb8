import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  CenterCrop, Compose, Normalize, RandomHorizontalFlip, RandomResizedCrop, Resize, Rng, ToTensor,
  ViTImageProcessor, cropImage, deriveSeed, flipHorizontal, imageClassificationTransforms, pyRound, resizePIL,
  type DecodedImage,
} from './image-processing';

function rgb(w: number, h: number): DecodedImage {
  const data = new Uint8Array(w * h * 3);
  for (let i = 0; i < data.length; i++) data[i] = (i * 7 + (i >> 5)) & 255;
  return { width: w, height: h, mode: 'RGB', channels: 3, data };
}

describe('Rng', () => {
  test('deterministic per seed, different across seeds, ranges hold', () => {
    const a = new Rng(42), b = new Rng(42), c = new Rng(43);
    const sa = Array.from({ length: 5 }, () => a.random());
    assert.deepEqual(sa, Array.from({ length: 5 }, () => b.random()));
    assert.notDeepEqual(sa, Array.from({ length: 5 }, () => c.random()));
    const r = new Rng(1);
    const counts = [0, 0, 0];
    for (let i = 0; i < 3000; i++) {
      const u = r.random();
      assert.ok(u >= 0 && u < 1);
      counts[r.randint(0, 3)]++;
    }
    assert.ok(counts.every((n) => n > 850), JSON.stringify(counts));
    assert.throws(() => r.randint(2, 2), /empty range/);
    assert.notEqual(deriveSeed(1, 0, 5), deriveSeed(1, 0, 6));
    assert.equal(deriveSeed(1, 0, 5), deriveSeed(1, 0, 5));
  });

  test('pyRound rounds halves to even', () => {
    assert.deepEqual([0.5, 1.5, 2.5, 2.4, 2.6, 3].map(pyRound), [0, 2, 2, 2, 3, 3]);
  });
});

describe('torchvision-style transforms', () => {
  test('RandomResizedCrop params stay inside the image; output has the requested size', () => {
    const rng = new Rng(7);
    for (let i = 0; i < 200; i++) {
      const p = RandomResizedCrop.getParams(60, 40, [0.08, 1], [3 / 4, 4 / 3], rng);
      assert.ok(p.top >= 0 && p.left >= 0 && p.top + p.height <= 40 && p.left + p.width <= 60, JSON.stringify(p));
      const ar = p.width / p.height;
      assert.ok(ar > 0.6 && ar < 1.6, JSON.stringify(p));
    }
    const out = new RandomResizedCrop(24).apply(rgb(60, 40), rng);
    assert.deepEqual([out.width, out.height], [24, 24]);
  });

  test('RandomResizedCrop falls back to a central crop after 10 failed tries', () => {
    // scale > 1 can never fit: fallback. 100x20 is wider than 4/3: h = 20, w = round(20 * 4/3) = 27
    assert.deepEqual(RandomResizedCrop.getParams(100, 20, [2, 3], [3 / 4, 4 / 3], new Rng(0)), { top: 0, left: 36, height: 20, width: 27 });
    assert.deepEqual(RandomResizedCrop.getParams(20, 100, [2, 3], [3 / 4, 4 / 3], new Rng(0)), { top: 36, left: 0, height: 27, width: 20 });
    assert.deepEqual(RandomResizedCrop.getParams(30, 30, [2, 3], [3 / 4, 4 / 3], new Rng(0)), { top: 0, left: 0, height: 30, width: 30 });
  });

  test('RandomResizedCrop = crop then PIL BILINEAR resize', () => {
    const img = rgb(50, 30);
    const p = RandomResizedCrop.getParams(50, 30, [0.08, 1], [3 / 4, 4 / 3], new Rng(3));
    const want = resizePIL(cropImage(img, p.top, p.left, p.height, p.width), [16, 16], 2);
    assert.deepEqual(new RandomResizedCrop(16).apply(img, new Rng(3)).data, want.data);
  });

  test('RandomHorizontalFlip flips about half the time; flip is an involution', () => {
    const img = rgb(5, 2);
    assert.deepEqual(flipHorizontal(flipHorizontal(img)).data, img.data);
    assert.deepEqual(Array.from(flipHorizontal(img).data.slice(0, 3)), Array.from(img.data.slice(12, 15)));
    const rng = new Rng(5);
    let flipped = 0;
    for (let i = 0; i < 400; i++) if (new RandomHorizontalFlip().apply(img, rng) !== img) flipped++;
    assert.ok(flipped > 150 && flipped < 250, String(flipped));
  });

  test('Resize(int) resizes the shorter edge; CenterCrop offsets and zero padding', () => {
    assert.deepEqual(new Resize(20).outputSize(30, 50), [20, 33]);
    assert.deepEqual(new Resize(20).outputSize(50, 30), [33, 20]);
    const r = new Resize(20).apply(rgb(50, 30));
    assert.deepEqual([r.width, r.height], [33, 20]);
    const img = rgb(7, 5);
    const cc = new CenterCrop([2, 4]).apply(img);
    // top = round((5 - 2) / 2) = round(1.5) = 2, left = round((7 - 4) / 2) = 2
    assert.deepEqual(cc.data, cropImage(img, 2, 2, 2, 4).data);
    const padded = new CenterCrop(9).apply(img);
    assert.deepEqual([padded.width, padded.height], [9, 9]);
    // pad left (9-7)//2 = 1, top (9-5)//2 = 2
    assert.deepEqual(Array.from(padded.data.slice(0, 3)), [0, 0, 0]);
    assert.deepEqual(Array.from(padded.data.slice((2 * 9 + 1) * 3, (2 * 9 + 1) * 3 + 3)), Array.from(img.data.slice(0, 3)));
  });

  test('ToTensor divides by 255 in float32; Normalize in float32', () => {
    const img: DecodedImage = { width: 2, height: 1, mode: 'RGB', channels: 3, data: Uint8Array.from([0, 128, 255, 1, 2, 3]) };
    const t = new ToTensor().apply(img);
    assert.deepEqual(t.shape, [3, 1, 2]);
    const f = Math.fround;
    assert.deepEqual(Array.from(t.data), [0, 1, 128, 2, 255, 3].map((v) => f(v / 255)));
    const n = new Normalize({ mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] }).apply(t);
    assert.equal(n.data[2], f(f(f(128 / 255) - f(0.456)) / f(0.224)));
  });

  test('imageClassificationTransforms: train/eval output shapes; same seed, same result', () => {
    const proc = new ViTImageProcessor({ size: { height: 32, width: 32 } });
    const { train, eval: ev } = imageClassificationTransforms(proc, { seed: 1 });
    const gray: DecodedImage = { width: 40, height: 30, mode: 'L', channels: 1, data: new Uint8Array(1200).fill(9) };
    assert.deepEqual(train.apply(gray).shape, [3, 32, 32]);
    assert.deepEqual(ev.apply(rgb(60, 45)).shape, [3, 32, 32]);
    const a = train.apply(rgb(60, 45), new Rng(11));
    const b = train.apply(rgb(60, 45), new Rng(11));
    assert.deepEqual(a.data, b.data);
    const c = new Compose([(x: number) => x + 1, { apply: (x: number) => x * 2 }]);
    assert.equal(c.call(3), 8);
  });
});
