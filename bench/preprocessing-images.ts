// Image preprocessing throughput: 500x500 JPEGs -> 224x224 normalised float32 CHW
// (libjpeg-turbo decode, PIL-exact BILINEAR resize, rescale + normalise), in-process per stage
// and through warmed-up ImagePreprocessPools (worker threads; bench/support/image-pool-throughput.ts).
// Prints one JSON object.
//   node --import tsx bench/preprocessing-images.ts [--images 400] [--workers 2]
import { availableParallelism, cpus, loadavg } from 'node:os';
import { ViTImageProcessor, decodeImage, resizePIL } from '../src/preprocessing/image-processing';
import { benchJpegs, imagePoolThroughput } from './support/image-pool-throughput';
import { rescaleNormalizeToCHW } from '../src/preprocessing/image-processing';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}

const N = arg('images', 400);
const WORKERS = arg('workers', availableParallelism());

function ms(t0: number): number {
  return performance.now() - t0;
}

async function main(): Promise<void> {
  const jpegs = await benchJpegs();
  const DISTINCT = jpegs.length;
  const processor = new ViTImageProcessor(); // 224x224, BILINEAR, mean/std 0.5

  // in-process stages (warm up first)
  for (let i = 0; i < 10; i++) processor.processImage(await decodeImage(jpegs[i % DISTINCT]));
  const M = 60;
  let tDecode = 0, tResize = 0, tNorm = 0;
  for (let i = 0; i < M; i++) {
    let t = performance.now();
    const img = await decodeImage(jpegs[i % DISTINCT]);
    tDecode += ms(t);
    t = performance.now();
    const r = resizePIL(img, [224, 224], 2);
    tResize += ms(t);
    t = performance.now();
    rescaleNormalizeToCHW(r.data as Uint8Array, 224, 224, processor.config);
    tNorm += ms(t);
  }
  let t = performance.now();
  for (let i = 0; i < M; i++) processor.processImage(await decodeImage(jpegs[i % DISTINCT]));
  const singleMs = ms(t) / M;

  const runs = await imagePoolThroughput({ workers: [...new Set([1, WORKERS])], images: N });
  const best = Math.max(...runs.map((r) => r.imagesPerSecond));
  const load = loadavg()[0];
  console.log(JSON.stringify({
    bench: 'preprocessing-images',
    task: '500x500 JPEG -> 224x224 BILINEAR -> rescale/normalise float32 CHW',
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model,
    node: process.version,
    inProcessMsPerImage: {
      decode: +(tDecode / M).toFixed(2),
      resize: +(tResize / M).toFixed(2),
      rescaleNormalize: +(tNorm / M).toFixed(2),
      total: +singleMs.toFixed(2),
    },
    pool: runs,
    loadAverage1m: +load.toFixed(2),
    target: 400,
    meetsTarget: best >= 400,
  }, null, 2));
}

await main();
