import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { needsShared, sharedPath } from '../../test/support/shared';
import {
  AutoImageProcessor, ViTFeatureExtractor, ViTImageProcessor, convertToRGB, decodeImage, resizePIL, PILResample,
  ImageProcessorConfigError, type DecodedImage,
} from './image-processing';
import type { DecodedImage as DatasetsDecodedImage } from '../datasets/image';
import { asFloat32, readSafetensorsLite } from './image-testing';

const IMAGES = () => sharedPath('fixtures/hf-reference/images');

interface ExpectedImage { file: string; pil_mode: string; width: number; height: number; decoded_rgb_key: string; resized_u8_key: string }

describe('hf-reference images fixture', needsShared, () => {
  const expected = () => JSON.parse(readFileSync(join(IMAGES(), 'expected.json'), 'utf8')) as { images: ExpectedImage[]; pixel_values_shape: number[] };
  const arrays = () => readSafetensorsLite(join(IMAGES(), 'expected.safetensors'));

  test('decode gives PIL mode and pixels; convert("RGB") matches decoded_rgb exactly', async () => {
    const exp = expected();
    const st = arrays();
    for (const im of exp.images) {
      const img = await decodeImage(join(IMAGES(), im.file));
      assert.equal(img.mode, im.pil_mode, im.file);
      assert.equal(img.width, im.width);
      assert.equal(img.height, im.height);
      const rgb = convertToRGB(img);
      assert.deepEqual(Buffer.from(rgb.data as Uint8Array), Buffer.from(st.get(im.decoded_rgb_key)!.bytes), im.file);
    }
  });

  test('resizePIL(224x224, BILINEAR) is bit-exact with PIL', async () => {
    const exp = expected();
    const st = arrays();
    for (const im of exp.images) {
      const rgb = convertToRGB(await decodeImage(join(IMAGES(), im.file)));
      const out = resizePIL(rgb, [224, 224], PILResample.BILINEAR);
      const want = st.get(im.resized_u8_key)!.bytes;
      let maxDiff = 0;
      for (let i = 0; i < want.length; i++) maxDiff = Math.max(maxDiff, Math.abs(want[i] - out.data[i]));
      assert.equal(maxDiff, 0, `${im.file}: max abs diff ${maxDiff}`);
    }
  });

  test('AutoImageProcessor + preprocess reproduce pixel_values (max abs diff 0, tolerance 1e-6)', async () => {
    const exp = expected();
    const want = asFloat32(arrays().get('pixel_values')!);
    const proc = await AutoImageProcessor.fromPretrained(IMAGES());
    assert.ok(proc instanceof ViTImageProcessor);
    const { pixel_values } = await proc.preprocess(exp.images.map((im) => join(IMAGES(), im.file)), { returnTensors: 'np' });
    assert.deepEqual(pixel_values.shape, exp.pixel_values_shape);
    let maxDiff = 0;
    for (let i = 0; i < want.length; i++) maxDiff = Math.max(maxDiff, Math.abs(want[i] - pixel_values.data[i]));
    assert.ok(maxDiff <= 1e-6, `max abs diff ${maxDiff}`);
    assert.equal(maxDiff, 0);
  });

  test('savePretrained writes the file back as transformers wrote it', async () => {
    const proc = await ViTImageProcessor.fromPretrained(IMAGES());
    const dir = mkdtempSync(join(tmpdir(), 'hubtune-imgproc-'));
    const path = await proc.savePretrained(dir);
    assert.equal(readFileSync(path, 'utf8').trim(), readFileSync(join(IMAGES(), 'preprocessor_config.json'), 'utf8').trim());
  });
});

function rgbImage(w: number, h: number, f: (x: number, y: number, c: number) => number): DecodedImage {
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let c = 0; c < 3; c++) data[(y * w + x) * 3 + c] = f(x, y, c);
  return { width: w, height: h, mode: 'RGB', channels: 3, data };
}

describe('ViTImageProcessor', () => {
  test('defaults are transformers ViT defaults', () => {
    const p = new ViTImageProcessor();
    assert.deepEqual(p.toDict(), {
      do_normalize: true, do_rescale: true, do_resize: true, image_mean: [0.5, 0.5, 0.5],
      image_processor_type: 'ViTImageProcessor', image_std: [0.5, 0.5, 0.5], resample: 2,
      rescale_factor: 1 / 255, size: { height: 224, width: 224 },
    });
  });

  test('rescale in float64 then float32, normalise in float32, channels first', () => {
    const img = rgbImage(2, 1, (x, _y, c) => [7, 200, 13, 255, 0, 128][x * 3 + c]);
    const p = new ViTImageProcessor({ doResize: false, imageMean: [0.485, 0.456, 0.406], imageStd: [0.229, 0.224, 0.225] });
    const { pixel_values } = p.preprocessSync(img);
    assert.deepEqual(pixel_values.shape, [1, 3, 1, 2]);
    const f = Math.fround;
    const mean = [0.485, 0.456, 0.406], std = [0.229, 0.224, 0.225];
    const vals = [[7, 255], [200, 0], [13, 128]];
    // numpy: uint8 * python float -> float64, astype(float32); then (x - mean32) / std32 in float32
    const want = vals.flatMap((row, c) => row.map((v) => f(f(f(v * (1 / 255)) - f(mean[c])) / f(std[c]))));
    assert.deepEqual(Array.from(pixel_values.data), want);
  });

  test('size as int, shortest_edge, and per-call overrides', () => {
    const img = rgbImage(40, 20, (x, y, c) => (x * 5 + y * 3 + c * 50) & 255);
    assert.deepEqual(new ViTImageProcessor({ size: 8 }).preprocessSync(img).pixel_values.shape, [1, 3, 8, 8]);
    const se = new ViTImageProcessor({ size: { shortest_edge: 10 } });
    assert.deepEqual(se.preprocessSync(img).pixel_values.shape, [1, 3, 10, 20]);
    assert.deepEqual(se.toDict().size, { shortest_edge: 10 });
    assert.deepEqual(se.preprocessSync(img, { size: { height: 5, width: 6 } }).pixel_values.shape, [1, 3, 5, 6]);
  });

  test('non-RGB images are converted like PIL convert("RGB")', () => {
    const gray: DecodedImage = { width: 3, height: 2, mode: 'L', channels: 1, data: Uint8Array.from([0, 50, 100, 150, 200, 250]) };
    const p = new ViTImageProcessor({ doResize: false });
    const a = p.preprocessSync(gray).pixel_values.data;
    const b = p.preprocessSync(convertToRGB(gray)).pixel_values.data;
    assert.deepEqual(a, b);
    assert.throws(() => new ViTImageProcessor({ doResize: false, doConvertRgb: false }).preprocessSync(gray), /mode 'L' is not RGB/);
  });

  test('datasets DecodedImage is accepted as is', () => {
    const theirs: DatasetsDecodedImage = { width: 1, height: 1, mode: 'RGBA', channels: 4, data: Uint8Array.from([1, 2, 3, 4]) };
    const ours: DecodedImage = theirs;
    assert.deepEqual(Array.from(convertToRGB(ours).data), [1, 2, 3]);
  });

  test('images of different sizes with shortest_edge: clear error for a batch, list works', async () => {
    const p = new ViTImageProcessor({ size: { shortest_edge: 4 } });
    const imgs = [rgbImage(8, 4, () => 1), rgbImage(4, 8, () => 2)];
    await assert.rejects(p.preprocess(imgs), /image 1 is 4x8 but image 0 is 8x4/);
    const { pixel_values } = await p.preprocess(imgs, { returnTensors: 'list' });
    assert.deepEqual(pixel_values.map((x) => x.shape), [[3, 4, 8], [3, 8, 4]]);
  });
});

describe('preprocessor_config.json loading', () => {
  const dirWith = (cfg: unknown, extra: Record<string, string> = {}) => {
    const dir = mkdtempSync(join(tmpdir(), 'hubtune-imgcfg-'));
    writeFileSync(join(dir, 'preprocessor_config.json'), typeof cfg === 'string' ? cfg : JSON.stringify(cfg));
    for (const [k, v] of Object.entries(extra)) writeFileSync(join(dir, k), v);
    return dir;
  };

  test('unknown keys are kept and written back; feature_extractor_type maps to ViT', async () => {
    const dir = dirWith({ feature_extractor_type: 'ViTFeatureExtractor', size: 32, resample: 3, crop_pct: 0.9, custom: { a: 1 } });
    const p = await AutoImageProcessor.fromPretrained(dir);
    assert.deepEqual(p.size, { height: 32, width: 32 });
    assert.equal(p.resample, 3);
    const out = mkdtempSync(join(tmpdir(), 'hubtune-imgcfg-out-'));
    const saved = JSON.parse(readFileSync(await p.savePretrained(out), 'utf8'));
    assert.equal(saved.crop_pct, 0.9);
    assert.deepEqual(saved.custom, { a: 1 });
    assert.equal(saved.feature_extractor_type, 'ViTFeatureExtractor');
    assert.deepEqual(saved.size, { height: 32, width: 32 });
    assert.equal((await ViTFeatureExtractor.fromPretrained(dir)).toDict().image_processor_type, 'ViTFeatureExtractor');
  });

  test('options passed to fromPretrained override the file', async () => {
    const dir = dirWith({ image_processor_type: 'ViTImageProcessor', do_normalize: true });
    const p = await AutoImageProcessor.fromPretrained(dir, { doNormalize: false, size: { height: 10, width: 12 } });
    assert.equal(p.config.doNormalize, false);
    assert.deepEqual(p.size, { height: 10, width: 12 });
  });

  const invalid: [unknown, RegExp][] = [
    [{ image_processor_type: 'ViTImageProcessor', resample: 9 }, /"resample" must be a PIL filter code/],
    [{ image_processor_type: 'ViTImageProcessor', size: { height: 0, width: 3 } }, /"size\.height" must be a positive integer/],
    [{ image_processor_type: 'ViTImageProcessor', size: 'big' }, /"size" must be an integer/],
    [{ image_processor_type: 'ViTImageProcessor', image_std: [0.5, 0, 0.5] }, /"image_std" must not contain 0/],
    [{ image_processor_type: 'ViTImageProcessor', image_mean: [0.5, 0.5] }, /"image_mean" must be a number or a list of 3/],
    [{ image_processor_type: 'ViTImageProcessor', do_resize: 'yes' }, /"do_resize" must be true or false/],
    [{ image_processor_type: 'ViTImageProcessor', rescale_factor: null }, /"rescale_factor" must be a finite number/],
    [{ image_processor_type: 'SamImageProcessor' }, /"image_processor_type" "SamImageProcessor" is not supported/],
    [{ do_resize: true }, /no "image_processor_type"/],
    ['{ not json', /not valid JSON/],
  ];
  for (const [cfg, re] of invalid) {
    test(`invalid config: ${re.source}`, async () => {
      const dir = dirWith(cfg);
      await assert.rejects(AutoImageProcessor.fromPretrained(dir), (e: Error) => {
        assert.ok(e instanceof ImageProcessorConfigError, e.message);
        assert.match(e.message, re);
        assert.ok(e.message.includes(join(dir, 'preprocessor_config.json')), e.message);
        assert.ok(!e.message.includes('\n'));
        return true;
      });
    });
  }

  test('no type but config.json says vit', async () => {
    const dir = dirWith({ do_resize: true }, { 'config.json': JSON.stringify({ model_type: 'vit' }) });
    assert.ok((await AutoImageProcessor.fromPretrained(dir)) instanceof ViTImageProcessor);
  });

  test('missing folder / missing file', async () => {
    await assert.rejects(AutoImageProcessor.fromPretrained('./does/not/exist'), /folder not found: \.\/does\/not\/exist/);
    const empty = mkdtempSync(join(tmpdir(), 'hubtune-imgcfg-empty-'));
    mkdirSync(join(empty, 'x'));
    await assert.rejects(AutoImageProcessor.fromPretrained(empty), /No preprocessor_config\.json in/);
  });
});
