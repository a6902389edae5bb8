// Images/s of ImagePreprocessPool (500x500 JPEG -> 224x224 ViT pixel_values) with 1 and 2
// workers, for bench:inference and bench:preprocessing. A pool is long-lived in training, so
// each pool is warmed up first: a fresh worker's first ~100 images run 2-3x slower (the JIT, and
// glibc growing the new thread's arena), and a short run measures mostly that. The cold rate
// of those first images is reported beside the steady one. Rounds of the two pools interleave.
import { cpus } from 'node:os';
import sharp from 'sharp';
import { ImagePreprocessPool, ViTImageProcessor } from '../../src/preprocessing/image-processing';

/** Smooth colour fields plus noise, JPEG quality 90: closer to a photo than flat noise. */
export async function benchJpegs(count = 32, w = 500, h = 500): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const px = Buffer.alloc(w * h * 3);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const o = (y * w + x) * 3;
        const n = ((x * 7919 + y * 104729 + i * 31) % 61) - 30;
        px[o] = Math.max(0, Math.min(255, 128 + 100 * Math.sin((x + i * 13) / 37) + n));
        px[o + 1] = Math.max(0, Math.min(255, 128 + 90 * Math.cos((y - i * 7) / 29) + n));
        px[o + 2] = Math.max(0, Math.min(255, ((x + y + i * 11) % 256) + n / 2));
      }
    }
    out.push(await sharp(px, { raw: { width: w, height: h, channels: 3 } }).jpeg({ quality: 90 }).toBuffer());
  }
  return out;
}

export interface PoolThroughput {
  workers: number;
  /** Median images/s (wall clock) over the measured rounds, after warm-up. */
  imagesPerSecond: number;
  rounds: number[];
  /** Process CPU ms per image in the measured rounds (main thread + workers). */
  cpuMsPerImage: number;
  /** Images/s over the first `coldImages` images a fresh pool processes, worker start-up excluded. */
  coldImagesPerSecond: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function imagePoolThroughput(opts: { workers?: number[]; images?: number; rounds?: number; warmupImages?: number; coldImages?: number } = {}): Promise<PoolThroughput[]> {
  const workerCounts = opts.workers ?? [1, Math.min(2, cpus().length)];
  const n = opts.images ?? 400;
  const roundsN = opts.rounds ?? 5;
  const warm = opts.warmupImages ?? 300;
  const coldN = opts.coldImages ?? 100;
  const jpegs = await benchJpegs();
  const processor = new ViTImageProcessor(); // 224x224, BILINEAR, mean/std 0.5
  const burst = async (pool: ImagePreprocessPool, count: number, from = 0) => {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const out = await Promise.all(Array.from({ length: count }, (_, i) => pool.run(jpegs[(from + i) % jpegs.length], { index: i })));
    const secs = (performance.now() - t0) / 1000;
    const c = process.cpuUsage(c0);
    if (out.some((r) => r.data.length !== 3 * 224 * 224)) throw new Error('image pool bench: bad output shape');
    return { perSecond: count / secs, cpuMs: (c.user + c.system) / 1000 / count };
  };
  const pools = [...new Set(workerCounts)].map((workers) => ({ workers, pool: new ImagePreprocessPool({ processor, workers }), rounds: [] as number[], cpu: [] as number[], cold: 0 }));
  try {
    for (const p of pools) {
      await p.pool.runBatch(jpegs.slice(0, p.workers)); // workers started and their modules loaded
      p.cold = (await burst(p.pool, coldN)).perSecond;
      await burst(p.pool, Math.max(0, warm - coldN), coldN);
    }
    for (let r = 0; r < roundsN; r++) {
      for (const p of pools) {
        const b = await burst(p.pool, n);
        p.rounds.push(b.perSecond);
        p.cpu.push(b.cpuMs);
      }
    }
  } finally {
    await Promise.all(pools.map((p) => p.pool.close()));
  }
  const r1 = (x: number) => Math.round(x * 10) / 10;
  return pools.map((p) => ({
    workers: p.workers, imagesPerSecond: r1(median(p.rounds)), rounds: p.rounds.map(r1),
    cpuMsPerImage: Math.round(median(p.cpu) * 100) / 100, coldImagesPerSecond: r1(p.cold),
  }));
}
