import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImagePreprocessPool, ViTImageProcessor, decodeImage } from './image-processing';
import { encodePNG } from './image-testing';

const pngs = Array.from({ length: 5 }, (_, k) => encodePNG({
  width: 30 + k, height: 20, colorType: k % 2 ? 2 : 0, bitDepth: 8,
  samples: Array.from({ length: (30 + k) * 20 * (k % 2 ? 3 : 1) }, (_, i) => (i * (k + 3)) & 255),
}));

describe('ImagePreprocessPool (worker threads under tsx)', () => {
  const processor = new ViTImageProcessor({ size: { height: 16, width: 16 }, imageMean: [0.4, 0.5, 0.6] });
  const pool = new ImagePreprocessPool({ processor, workers: 2 });
  after(() => pool.close());

  test('matches the in-process processor exactly', async () => {
    const batch = await pool.runBatch(pngs);
    assert.deepEqual(batch.shape, [5, 3, 16, 16]);
    const local = processor.preprocessSync(await Promise.all(pngs.map((b) => decodeImage(b)))).pixel_values;
    assert.deepEqual(batch.data, local.data);
  });

  test('file paths work; a corrupt file rejects naming it, and the pool keeps working', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hubtune-pool-'));
    const good = join(dir, 'good.png');
    const bad = join(dir, 'bad.png');
    writeFileSync(good, pngs[1]);
    writeFileSync(bad, 'not an image');
    await assert.rejects(pool.run(bad), (e: Error) => e.message.includes(bad));
    const r = await pool.run(good);
    assert.deepEqual(r.shape, [3, 16, 16]);
  });

  test("'train' transforms are deterministic per (seed, index)", async () => {
    const mk = () => new ImagePreprocessPool({ processor, workers: 2, transform: 'train', seed: 5 });
    const p1 = mk(), p2 = mk();
    try {
      const a = await p1.runBatch(pngs);
      const b = await p2.runBatch(pngs);
      assert.deepEqual(a.data, b.data);
      assert.deepEqual(a.shape, [5, 3, 16, 16]);
    } finally {
      await Promise.all([p1.close(), p2.close()]);
    }
  });
});
