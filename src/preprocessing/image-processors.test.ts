// DeiT/BEiT/ConvNeXt/CLIP image processors: pixel_values exactly as transformers 4.29 + PIL made
// them for the fixtures, the processor picked from preprocessor_config.json, transformers' crop
// and size rules, and its behaviour on non-RGB images.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSafetensors } from '../torch/index';
import { sharedPath, hasShared } from '../../test/support/shared';
import {
  AutoImageProcessor, ViTImageProcessor, decodeImage, convertToRGB, type DecodedImage,
} from './image-processing';
import {
  DeiTImageProcessor, BeitImageProcessor, ConvNextImageProcessor, CLIPImageProcessor, centerCropTransformers, imageProcessorFromDict,
} from './image-processors';

const FIXTURES = sharedPath('fixtures', 'hf-reference-2');
const skip = hasShared ? {} : { skip: '../shared is absent: Python reference fixture test skipped' };
const VISION = ['deit', 'deit_distilled', 'beit', 'swin', 'convnext', 'resnet', 'clip'];
const EXPECTED_CLASS: Record<string, string> = {
  deit: 'DeiTImageProcessor', deit_distilled: 'DeiTImageProcessor', beit: 'BeitImageProcessor', swin: 'ViTImageProcessor',
  convnext: 'ConvNextImageProcessor', resnet: 'ConvNextImageProcessor', clip: 'CLIPImageProcessor',
};

function rgbImage(w: number, h: number, seed = 1): DecodedImage {
  const data = new Uint8Array(w * h * 3);
  let s = seed;
  for (let i = 0; i < data.length; i++) { s = (s * 1103515245 + 12345) >>> 0; data[i] = s >>> 24; }
  return { width: w, height: h, mode: 'RGB', channels: 3, data };
}

test('pixel_values of every vision fixture equal transformers 4.29 + PIL bit for bit (each model\'s own processor)', skip, async () => {
  const images = JSON.parse(readFileSync(join(FIXTURES, 'images', 'images.json'), 'utf8')).images as { file: string }[];
  const rgb = await Promise.all(images.map(async (im) => convertToRGB(await decodeImage(join(FIXTURES, 'images', im.file)))));
  for (const name of VISION) {
    const dir = join(FIXTURES, 'models', name);
    const p = await AutoImageProcessor.fromPretrained(dir);
    assert.equal(p.constructor.name, EXPECTED_CLASS[name], name);
    const got = p.preprocessSync(rgb).pixel_values;
    const want = loadSafetensors(join(dir, 'expected.safetensors')).tensors.get('input.pixel_values')!;
    assert.deepEqual(got.shape, want.shape, `${name} shape`);
    const w = want.toTypedArray() as Float32Array;
    let diff = 0;
    for (let i = 0; i < w.length; i++) if (!Object.is(w[i], got.data[i])) diff++;
    assert.equal(diff, 0, `${name}: ${diff} of ${w.length} pixel values differ`);
    // and through the async path from the files (CLIP converts on its own; the others are given RGB)
    if (name === 'clip') {
      const fromFiles = await p.preprocess(images.map((im) => join(FIXTURES, 'images', im.file)));
      assert.ok(fromFiles.pixel_values.data.every((v, i) => Object.is(v, w[i])), 'clip from files');
    }
  }
});

test('raw RGBA and grayscale images: accepted where transformers accepts them (CLIP), one-line errors where it fails', skip, async () => {
  for (const name of VISION) {
    const dir = join(FIXTURES, 'models', name);
    const exp = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8'));
    const p = await AutoImageProcessor.fromPretrained(dir);
    for (const [file, r] of Object.entries(exp.processor_on_raw_image as Record<string, { ok: boolean; error?: string }>)) {
      const img = await decodeImage(join(FIXTURES, 'images', file));
      if (p instanceof ViTImageProcessor && p.constructor === ViTImageProcessor) continue; // hubtune's ViT converts (documented)
      if (r.ok) assert.doesNotThrow(() => p.preprocessSync([img]), `${name} ${file}`);
      else assert.throws(() => p.preprocessSync([img]), (e: Error) => e.message.includes(r.error!) && !e.message.includes('\n') && /convertToRGB\(\)/.test(e.message), `${name} ${file}`);
    }
  }
});

test('CMYK and 16-bit images: CLIP converts them like PIL, DeiT names the problem in one line', async () => {
  const cmyk: DecodedImage = { width: 4, height: 4, mode: 'CMYK', channels: 4, data: new Uint8Array(64).fill(40) };
  const gray16: DecodedImage = { width: 4, height: 4, mode: 'I;16', channels: 1, data: new Uint16Array(16).fill(1000) };
  const clip = new CLIPImageProcessor({ size: 4, crop_size: 4 });
  const out = clip.preprocessSync([cmyk, gray16]).pixel_values;
  assert.deepEqual(out.shape, [2, 3, 4, 4]);
  // PIL's I;16 -> RGB clips to 255 (1000 -> 255); CMYK (40, 40, 40, 40): nk = 215, 215 - 40 * 215 / 255 -> 181
  const norm = (v: number, c: number) => Math.fround(Math.fround(Math.fround(v * (1 / 255)) - Math.fround(clip.imageMean[c]!)) / Math.fround(clip.imageStd[c]!));
  assert.equal(out.data[0], norm(181, 0));
  assert.equal(out.data[48], norm(255, 0));
  const deit = new DeiTImageProcessor({ size: { height: 4, width: 4 }, crop_size: 4 });
  assert.throws(() => deit.preprocessSync([cmyk]), /^Error: image 0: mode 'CMYK' is not RGB and DeiTImageProcessor takes RGB images \(transformers 4\.29 fails with "Unable to infer channel dimension format"\); convert it/);
  assert.throws(() => deit.preprocessSync([gray16]), /mode 'I;16' is not RGB .*"Unsupported number of image dimensions: 2"/);
  assert.deepEqual(new DeiTImageProcessor({ size: { height: 4, width: 4 }, crop_size: 4, doConvertRgb: true }).preprocessSync([cmyk]).pixel_values.shape, [1, 3, 4, 4]);
});

test('centre crop as transformers: inside the image; larger than the image pads with zeros and loses a row on odd differences', () => {
  const img = rgbImage(6, 5);
  const c = centerCropTransformers(img, 3, 4);
  assert.deepEqual([c.height, c.width], [3, 4]);
  // top = (5 - 3) // 2 = 1, left = (6 - 4) // 2 = 1
  assert.deepEqual([...c.data.subarray(0, 3)], [...img.data.subarray((1 * 6 + 1) * 3, (1 * 6 + 1) * 3 + 3)]);
  // 5x6 into 8x8: height difference 3 (odd) gives 7 rows, width difference 2 gives 8 columns
  const big = centerCropTransformers(img, 8, 8);
  assert.deepEqual([big.height, big.width], [7, 8]);
  // the window starts at canvas (0, 0) and the image sits at canvas (1, 1), as numpy gives it
  assert.deepEqual([...big.data.subarray(0, 3 * 8)], new Array(24).fill(0));
  assert.deepEqual([...big.data.subarray((8 + 1) * 3, (8 + 1) * 3 + 18)], [...img.data.subarray(0, 18)]);
  // through a processor without resizing: an image smaller than the crop gives the smaller array, as in 4.29
  const p = new DeiTImageProcessor({ doResize: false, cropSize: { height: 8, width: 8 } });
  assert.deepEqual(p.preprocessSync([img]).pixel_values.shape, [1, 3, 7, 8]);
  assert.throws(() => p.preprocessSync([img, rgbImage(6, 6)]), /image 1 is 8x8 but image 0 is 8x7/);
});

test('ConvNeXt crop_pct: below 384 resize the shortest edge to int(size / crop_pct) then crop; from 384 warp to a square', () => {
  const p = new ConvNextImageProcessor({ size: { shortest_edge: 32 }, crop_pct: 0.875 });
  assert.deepEqual(p.preprocessSync([rgbImage(50, 70)]).pixel_values.shape, [1, 3, 32, 32]);
  const direct = new DeiTImageProcessor({ size: { height: Math.trunc(36 * 70 / 50), width: 36 }, crop_size: 32, resample: 2, image_mean: p.imageMean, image_std: p.imageStd });
  assert.deepEqual(p.preprocessSync([rgbImage(50, 70)]).pixel_values.data, direct.preprocessSync([rgbImage(50, 70)]).pixel_values.data, 'int(32 / 0.875) = 36 on the short side, long side int(36 * 70 / 50), then the centre 32');
  const big = new ConvNextImageProcessor({ size: 384 });
  assert.deepEqual(big.preprocessSync([rgbImage(50, 70)]).pixel_values.shape, [1, 3, 384, 384]);
  assert.throws(() => new ConvNextImageProcessor({ size: { height: 32, width: 32 } }), /ConvNextImageProcessor: "size" must contain the key "shortest_edge"/);
});

test('defaults and round trip: DeiT/BEiT/ConvNeXt/CLIP write transformers\' keys and load back as the same class', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hubtune-procs-'));
  for (const p of [new DeiTImageProcessor(), new BeitImageProcessor({ do_reduce_labels: false }), new ConvNextImageProcessor(), new CLIPImageProcessor()]) {
    const path = await p.savePretrained(dir);
    const json = JSON.parse(readFileSync(path, 'utf8'));
    assert.equal(json.image_processor_type, p.constructor.name);
    const back = await AutoImageProcessor.fromPretrained(dir);
    assert.equal(back.constructor, p.constructor);
    assert.deepEqual(back.toDict(), p.toDict());
  }
  const clip = new CLIPImageProcessor().toDict();
  assert.deepEqual([clip.size, clip.crop_size, clip.resample, clip.do_convert_rgb, clip.do_center_crop], [{ shortest_edge: 224 }, { height: 224, width: 224 }, 3, true, true]);
  const deit = new DeiTImageProcessor().toDict();
  assert.deepEqual([deit.size, deit.crop_size, deit.resample, deit.image_mean], [{ height: 256, width: 256 }, { height: 224, width: 224 }, 3, [0.5, 0.5, 0.5]]);
  assert.equal(new ConvNextImageProcessor().toDict().crop_pct, 0.875);
  // a legacy CLIP file (feature_extractor_type, int size and crop_size), as openai/clip-vit-base-patch32 has
  writeFileSync(join(dir, 'preprocessor_config.json'), JSON.stringify({ crop_size: 224, do_center_crop: true, do_normalize: true, do_resize: true, feature_extractor_type: 'CLIPFeatureExtractor', resample: 3, size: 224 }));
  const legacy = await AutoImageProcessor.fromPretrained(dir);
  assert.ok(legacy instanceof CLIPImageProcessor);
  assert.deepEqual(legacy.size, { shortestEdge: 224 });
  assert.deepEqual(legacy.preprocessSync([rgbImage(300, 240)]).pixel_values.shape, [1, 3, 224, 224]);
  // no type in the file: config.json's model_type decides
  writeFileSync(join(dir, 'preprocessor_config.json'), JSON.stringify({ size: { shortest_edge: 40 }, crop_pct: 0.875 }));
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ model_type: 'resnet' }));
  assert.ok((await AutoImageProcessor.fromPretrained(dir)) instanceof ConvNextImageProcessor);
  assert.ok(imageProcessorFromDict({ image_processor_type: 'BeitImageProcessor' }) instanceof BeitImageProcessor);
});
