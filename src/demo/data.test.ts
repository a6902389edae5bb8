import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import {
  BEANS_LABELS, SHAPE_LABELS, encodePNG, generateBeansLike, generateBeansLikeArrays, generateShapesPretrainData,
  renderLeafImage, writeShapesPretrainData,
} from './data';

const meanAbsDiff = (a: Uint8Array, b: Uint8Array) => a.reduce((s, v, i) => s + Math.abs(v - b[i]), 0) / a.length;

test('renderLeafImage is deterministic, sized, and varies with seed and label', () => {
  const a = renderLeafImage(7, 1, 48), b = renderLeafImage(7, 1, 48);
  assert.equal(a.length, 48 * 48 * 3);
  assert.deepEqual(a, b);
  assert.ok(meanAbsDiff(a, renderLeafImage(8, 1, 48)) > 5);
  assert.ok(meanAbsDiff(a, renderLeafImage(7, 2, 48)) > 1);
  assert.equal(renderLeafImage(3, 0, 128).length, 128 * 128 * 3);
  assert.throws(() => renderLeafImage(1, 3, 32), /label must be 0, 1 or 2/);
});

test('diseased classes carry more lesion-coloured (brown/rust) pixels than healthy on average', () => {
  const brownFrac = (px: Uint8Array) => {
    let n = 0;
    for (let i = 0; i < px.length; i += 3) {
      const r = px[i], g = px[i + 1], b = px[i + 2];
      if (r > g * 0.9 && r > b * 1.4 && r > 60 && r < 200) n++;
    }
    return n / (px.length / 3);
  };
  // lesions sit on the leaf; background soil is brown too, so compare class means over many images
  const mean = (label: number) => {
    let s = 0;
    for (let i = 0; i < 40; i++) s += brownFrac(renderLeafImage(1000 + i, label, 40));
    return s / 40;
  };
  const [als, rust, healthy] = [mean(0), mean(1), mean(2)];
  assert.ok(als > healthy && rust > healthy, `als ${als} rust ${rust} healthy ${healthy}`);
});

test('generateBeansLikeArrays: balanced labels, stable per index whatever the count', () => {
  const a = generateBeansLikeArrays({ seed: 3, count: 9, size: 32 });
  assert.equal(a.pixels.length, 9 * 32 * 32 * 3);
  assert.deepEqual(a.labels, [0, 1, 2, 0, 1, 2, 0, 1, 2]);
  assert.deepEqual(a.labelNames, [...BEANS_LABELS]);
  const b = generateBeansLikeArrays({ seed: 3, count: 4, size: 32 });
  assert.deepEqual(b.pixels, a.pixels.subarray(0, b.pixels.length));
  const v = generateBeansLikeArrays({ seed: 3, count: 4, size: 32, split: 'validation' });
  assert.notDeepEqual(v.pixels, b.pixels);
  assert.throws(() => generateBeansLikeArrays({ count: 1, size: 8 }), /size must be an integer in 16..512/);
});

test('encodePNG round-trips through sharp', async () => {
  const px = renderLeafImage(11, 0, 40);
  const { data, info } = await sharp(encodePNG(px, 40, 40)).raw().toBuffer({ resolveWithObject: true });
  assert.equal(info.width, 40); assert.equal(info.height, 40); assert.equal(info.channels, 3);
  assert.deepEqual(new Uint8Array(data), px);
});

test('generateBeansLike writes the beans imagefolder layout and reuses an identical dataset', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'beans-'));
  try {
    const out = join(dir, 'beans');
    const r = await generateBeansLike({ outDir: out, seed: 5, counts: { train: 7, validation: 3, test: 3 }, size: 32 });
    assert.equal(r.cached, false);
    assert.deepEqual((await readdir(out)).sort(), ['hubtune_demo_manifest.json', 'test', 'train', 'validation']);
    assert.deepEqual((await readdir(join(out, 'train'))).sort(), [...BEANS_LABELS]);
    assert.deepEqual(await readdir(join(out, 'train', 'angular_leaf_spot')), ['0000.png', '0003.png', '0006.png']);
    assert.deepEqual(await readdir(join(out, 'test', 'healthy')), ['0002.png']);
    const img = await sharp(join(out, 'train', 'bean_rust', '0001.png')).raw().toBuffer({ resolveWithObject: true });
    assert.equal(img.info.width, 32);
    const mem = generateBeansLikeArrays({ seed: 5, count: 2, size: 32 });
    assert.deepEqual(new Uint8Array(img.data), mem.pixels.subarray(32 * 32 * 3));
    const again = await generateBeansLike({ outDir: out, seed: 5, counts: { train: 7, validation: 3, test: 3 }, size: 32 });
    assert.equal(again.cached, true);
    const jpg = await generateBeansLike({ outDir: join(dir, 'jpg'), seed: 5, counts: { train: 3 }, size: 32, format: 'jpeg' });
    assert.deepEqual(await readdir(join(jpg.dir, 'train', 'healthy')), ['0002.jpg']);
    assert.equal((await sharp(join(jpg.dir, 'train', 'healthy', '0002.jpg')).metadata()).format, 'jpeg');
    const manifest = JSON.parse(await readFile(join(out, 'hubtune_demo_manifest.json'), 'utf8'));
    assert.equal(manifest.params.seed, 5);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('generateShapesPretrainData: in memory, numClasses, and the same images as the folder writer', async () => {
  const s = generateShapesPretrainData({ seed: 2, count: 16, size: 32, numClasses: 8 });
  assert.equal(s.pixels.length, 16 * 32 * 32 * 3);
  assert.deepEqual(s.labelNames, SHAPE_LABELS.slice(0, 8));
  assert.equal(Math.max(...s.labels), 7);
  assert.deepEqual(generateShapesPretrainData({ seed: 2, count: 16, size: 32, numClasses: 8 }).pixels, s.pixels);
  assert.throws(() => generateShapesPretrainData({ count: 1, numClasses: 11 }), /numClasses must be an integer in 2..10/);
  const dir = await mkdtemp(join(tmpdir(), 'shapes-'));
  try {
    const r = await writeShapesPretrainData({ outDir: dir, seed: 2, counts: { train: 10 }, size: 32 });
    assert.equal((await readdir(join(dir, 'train'))).length, 10);
    const ten = generateShapesPretrainData({ seed: 2, count: 10, size: 32 });
    const { data } = await sharp(join(dir, 'train', 'star', '0005.png')).raw().toBuffer({ resolveWithObject: true });
    assert.deepEqual(new Uint8Array(data), ten.pixels.subarray(5 * 32 * 32 * 3, 6 * 32 * 32 * 3));
    assert.equal(r.labelNames.length, 10);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
