// Augmentations with torchvision's semantics: RandomResizedCrop's sampling (10 tries, fallback),
// ColorJitter on PIL's arithmetic (golden values from Pillow 9.4 with numpy's uint8 hue shift),
// determinism per seed, the crop size the model sees, and the worker pool running them.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  ColorJitter, RandomResizedCrop, Rng, ViTImageProcessor, adjustBrightness, adjustContrast, adjustHue, adjustSaturation,
  hsvToRgbPIL, imageClassificationTransforms, rgbToHsvPIL, ImagePreprocessPool, type DecodedImage,
} from './image-processing';
import { CLIPImageProcessor, ConvNextImageProcessor, DeiTImageProcessor } from './image-processors';
import { encodePNG } from './image-testing';

const img4x2: DecodedImage = { width: 4, height: 2, mode: 'RGB', channels: 3, data: Uint8Array.from({ length: 24 }, (_, i) => (i * 53 + 17) & 255) };

/** An Rng that replays scripted draws and counts them (to check the sampling logic, not the generator). */
class ScriptedRng extends Rng {
  calls: string[] = [];
  constructor(private uniforms: number[], private ints: number[] = []) { super(0); }
  override uniform(a: number, b: number): number { this.calls.push('uniform'); const u = this.uniforms.shift(); assert.ok(u !== undefined, 'no scripted uniform left'); return a + (b - a) * u; }
  override randint(low: number, high: number): number { this.calls.push(`randint(${low},${high})`); return low + (this.ints.shift() ?? 0); }
}

describe('RandomResizedCrop sampling (torchvision get_params)', () => {
  test('area = scale draw * area, log-uniform aspect, w/h rounded like Python, offsets from randint(0, H-h+1)', () => {
    // 100x80 image, scale draw 0.5 of [0.08, 1] -> area 8000 * (0.08 + 0.92 * 0.5), aspect exp(log(3/4) + 0.25 * (log(4/3) - log(3/4)))
    const rng = new ScriptedRng([0.5, 0.25], [7, 3]);
    const p = RandomResizedCrop.getParams(100, 80, [0.08, 1], [3 / 4, 4 / 3], rng);
    const area = 8000 * (0.08 + 0.92 * 0.5);
    const ar = Math.exp(Math.log(3 / 4) + 0.25 * (Math.log(4 / 3) - Math.log(3 / 4)));
    const w = Math.round(Math.sqrt(area * ar)), h = Math.round(Math.sqrt(area / ar));
    assert.deepEqual(p, { top: 7, left: 3, height: h, width: w });
    assert.deepEqual(rng.calls, ['uniform', 'uniform', `randint(0,${80 - h + 1})`, `randint(0,${100 - w + 1})`]);
  });

  test('a draw that does not fit is retried; after 10 failures the centre crop at the clamped ratio', () => {
    // first try too large (scale 1, aspect 4/3 on a 40x40 image: w = 46 > 40), second fits
    const rng = new ScriptedRng([1, 1, 0, 0.5], [0, 0]);
    const p = RandomResizedCrop.getParams(40, 40, [0.5, 1], [3 / 4, 4 / 3], rng);
    assert.equal(rng.calls.filter((c) => c === 'uniform').length, 4);
    assert.deepEqual([p.width, p.height], [Math.round(Math.sqrt(800)), Math.round(Math.sqrt(800))]);
    const never = new ScriptedRng(new Array(20).fill(1));
    const fb = RandomResizedCrop.getParams(10, 40, [2, 3], [3 / 4, 4 / 3], never);
    assert.equal(never.calls.length, 20, 'exactly 10 attempts of two draws, no randint');
    assert.deepEqual(fb, { top: Math.floor((40 - 13) / 2), left: 0, height: 13, width: 10 }); // w/ratio_min: round(10 / 0.75) = 13
  });

  test('deterministic per seed: the same crops for the same seed, others for another', () => {
    const draw = (seed: number) => { const r = new Rng(seed); return Array.from({ length: 20 }, () => RandomResizedCrop.getParams(64, 48, [0.08, 1], [3 / 4, 4 / 3], r)); };
    assert.deepEqual(draw(3), draw(3));
    assert.notDeepEqual(draw(3), draw(4));
    for (const p of draw(9)) assert.ok(p.width * p.height >= 0.08 * 64 * 48 * 0.8 && p.left + p.width <= 64 && p.top + p.height <= 48, JSON.stringify(p));
  });
});

describe('ColorJitter (PIL ImageEnhance and HSV, bit for bit with Pillow 9.4)', () => {
  test('brightness, contrast, saturation, hue adjustments', () => {
    assert.deepEqual(Array.from(adjustBrightness(img4x2, 1.3).data), [22, 91, 159, 228, 255, 33, 102, 171, 240, 255, 45, 114, 183, 252, 255, 57, 126, 195, 255, 0, 68, 137, 206, 255]);
    assert.deepEqual(Array.from(adjustContrast(img4x2, 0.5).data), [68, 95, 121, 148, 174, 73, 99, 126, 152, 179, 77, 104, 130, 157, 183, 82, 108, 135, 161, 60, 86, 113, 139, 166]);
    assert.deepEqual(Array.from(adjustSaturation(img4x2, 1.7).data), [0, 77, 167, 166, 255, 0, 48, 139, 229, 255, 0, 78, 110, 201, 255, 13, 104, 194, 255, 0, 43, 75, 166, 255]);
    assert.deepEqual(Array.from(adjustHue(img4x2, 0.2).data), [89, 17, 123, 26, 229, 117, 151, 79, 185, 238, 217, 35, 213, 141, 247, 116, 44, 150, 203, 182, 0, 178, 106, 212]);
    assert.deepEqual(Array.from(adjustHue(img4x2, -0.3).data), [50, 123, 17, 229, 26, 131, 111, 185, 79, 35, 50, 238, 174, 247, 141, 77, 150, 44, 0, 14, 203, 139, 212, 106]);
    // factor 1 and hue 0 leave the image as it is; HSV round trip of greys
    assert.deepEqual(adjustContrast(img4x2, 1).data, img4x2.data);
    assert.deepEqual(adjustHue(img4x2, 0).data.length, 24);
    assert.deepEqual(rgbToHsvPIL(90, 90, 90), [0, 0, 90]);
    assert.deepEqual(hsvToRgbPIL(0, 0, 90), [90, 90, 90]);
    assert.throws(() => adjustHue(img4x2, 0.7), /hue_factor \(0.7\) is not in \[-0.5, 0.5\]/);
    assert.throws(() => adjustBrightness({ ...img4x2, mode: 'CMYK', channels: 4, data: new Uint8Array(32) }, 1.2), /needs an RGB or L image, got mode 'CMYK'/);
  });

  test('torchvision ranges: numbers become [max(0, 1 - x), 1 + x] and [-h, h]; bad ranges in torchvision\'s words', () => {
    const cj = new ColorJitter({ brightness: 0.4, contrast: 1.5, saturation: [0.2, 0.9], hue: 0.1 });
    assert.deepEqual(cj.brightness, [0.6, 1.4]);
    assert.deepEqual(cj.contrast, [0, 2.5]);
    assert.deepEqual(cj.saturation, [0.2, 0.9]);
    assert.deepEqual(cj.hue, [-0.1, 0.1]);
    assert.equal(new ColorJitter({ brightness: 0 }).brightness, null);
    assert.throws(() => new ColorJitter({ hue: 0.6 }), /hue values should be between \[-0.5, 0.5\], but got \[-0.6, 0.6\]/);
    assert.throws(() => new ColorJitter({ brightness: -1 }), /If brightness is a single number, it must be non negative/);
    const rng = new Rng(8);
    for (let i = 0; i < 50; i++) {
      const p = cj.getParams(rng);
      assert.deepEqual([...p.order].sort(), [0, 1, 2, 3]);
      assert.ok(p.brightness! >= 0.6 && p.brightness! < 1.4 && p.hue! >= -0.1 && p.hue! < 0.1 && p.contrast! < 2.5);
    }
    // the permutation is uniform-ish: each adjustment comes first sometimes
    const firsts = new Set(Array.from({ length: 40 }, () => cj.getParams(rng).order[0]));
    assert.equal(firsts.size, 4);
    // apply = the adjustments in the drawn order with the drawn factors
    const p = cj.getParams(new Rng(21));
    let want = img4x2;
    for (const k of p.order) want = [() => adjustBrightness(want, p.brightness!), () => adjustContrast(want, p.contrast!), () => adjustSaturation(want, p.saturation!), () => adjustHue(want, p.hue!)][k]!();
    assert.deepEqual(cj.apply(img4x2, new Rng(21)).data, want.data);
  });
});

describe('imageClassificationTransforms: the size the model sees', () => {
  const big: DecodedImage = { width: 50, height: 40, mode: 'RGB', channels: 3, data: Uint8Array.from({ length: 6000 }, (_, i) => (i * 7) & 255) };
  test('DeiT/CLIP crop to crop_size (train and eval), ConvNeXt to shortest_edge; ColorJitter is opt-in and seeded', () => {
    const deit = imageClassificationTransforms(new DeiTImageProcessor({ size: { height: 36, width: 36 }, cropSize: { height: 32, width: 32 } }));
    assert.deepEqual(deit.train.apply(big, new Rng(1)).shape, [3, 32, 32]);
    assert.deepEqual(deit.eval.apply(big).shape, [3, 32, 32]);
    const clip = imageClassificationTransforms(new CLIPImageProcessor({ size: { shortest_edge: 40 }, cropSize: { height: 24, width: 24 } }));
    assert.deepEqual(clip.eval.apply(big).shape, [3, 24, 24]);
    const cnx = imageClassificationTransforms(new ConvNextImageProcessor({ size: { shortest_edge: 20 } }));
    assert.deepEqual(cnx.train.apply(big, new Rng(1)).shape, [3, 20, 20]);
    const vit = new ViTImageProcessor({ size: { height: 16, width: 16 } });
    const plain = imageClassificationTransforms(vit).train.apply(big, new Rng(5));
    const jit = imageClassificationTransforms(vit, { colorJitter: { brightness: 0.5, hue: 0.2 } }).train;
    const a = jit.apply(big, new Rng(5)), b = jit.apply(big, new Rng(5)), c = jit.apply(big, new Rng(6));
    assert.deepEqual(a.data, b.data);
    assert.notDeepEqual(a.data, c.data);
    assert.notDeepEqual(a.data, plain.data);
    // an image smaller than the crop is cropped within itself and resized up
    const small: DecodedImage = { width: 9, height: 6, mode: 'RGB', channels: 3, data: new Uint8Array(162).fill(200) };
    assert.deepEqual(deit.train.apply(small, new Rng(2)).shape, [3, 32, 32]);
    assert.deepEqual(deit.eval.apply(small).shape, [3, 32, 32]);
  });
});

describe('ImagePreprocessPool runs the augmentations', () => {
  const pngs = Array.from({ length: 3 }, (_, k) => encodePNG({ width: 30, height: 24, colorType: 2, bitDepth: 8, samples: Array.from({ length: 30 * 24 * 3 }, (_, i) => (i * (k + 3)) & 255) }));
  const processor = new ViTImageProcessor({ size: { height: 16, width: 16 } });
  const pools: ImagePreprocessPool[] = [];
  after(() => Promise.all(pools.map((p) => p.close())));
  test('ColorJitter in the workers: deterministic per (seed, epoch, index), equal to the in-process transform', async () => {
    const augment = { colorJitter: { brightness: 0.3, contrast: 0.3, saturation: 0.3, hue: 0.1 } };
    const mk = (seed: number) => { const p = new ImagePreprocessPool({ processor, workers: 1, transform: 'train', seed, augment }); pools.push(p); return p; };
    const [p1, p2, p3] = [mk(4), mk(4), mk(5)];
    const a = await p1.runBatch(pngs), b = await p2.runBatch(pngs), c = await p3.runBatch(pngs);
    assert.deepEqual(a.data, b.data);
    assert.notDeepEqual(a.data, c.data);
    const { decodeImage, deriveSeed } = await import('./image-processing');
    const local = imageClassificationTransforms(processor, augment).train.apply(await decodeImage(pngs[1]!), new Rng(deriveSeed(4, 0, 1)));
    assert.deepEqual(a.data.subarray(3 * 256, 6 * 256), local.data);
    assert.throws(() => new ImagePreprocessPool({ processor, workers: 1, transform: 'train', augment: { colorJitter: { hue: 2 } } }), /hue values should be between/);
  });
});
