// A pool of worker threads that turn image files/bytes into normalised CHW float32 arrays
// (decode, convert("RGB"), PIL resize, rescale, normalise), returned as transferables.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { ImageSource } from './image-decode';
import { ColorJitter, type TrainAugmentOptions } from './image-transforms';

export interface WorkerInit {
  /** preprocessor_config.json contents (ViTImageProcessor.toDict()). */
  processor: Record<string, unknown>;
  transform: 'processor' | 'train' | 'eval';
  seed: number;
  augment?: TrainAugmentOptions;
}

export interface WorkerJob {
  id: number;
  input: ImageSource;
  name?: string;
  index: number;
  epoch: number;
}

export interface WorkerReply {
  id: number;
  data?: Float32Array;
  shape?: number[];
  error?: string;
}

export interface ImagePreprocessPoolOptions {
  /** A processor (anything with toDict()) or a preprocessor_config.json object. */
  processor: { toDict(): Record<string, unknown> } | Record<string, unknown>;
  /** Worker threads; default os.availableParallelism(). */
  workers?: number;
  /**
   * 'processor' (default): the image processor's own pipeline (ViTImageProcessor);
   * 'train' / 'eval': the image-classification example's torchvision-style transforms.
   */
  transform?: 'processor' | 'train' | 'eval';
  /** Seed for 'train' augmentations; each image draws from deriveSeed(seed, epoch, index). */
  seed?: number;
  /** 'train' augmentations: RandomResizedCrop scale/ratio, flip probability, ColorJitter. */
  augment?: TrainAugmentOptions;
  /** Jobs in flight per worker (overlaps decoding with resizing). Default 2. */
  inFlightPerWorker?: number;
}

export interface PoolResult {
  data: Float32Array;
  shape: number[];
}

interface Pending {
  job: WorkerJob;
  resolve: (r: PoolResult) => void;
  reject: (e: Error) => void;
}

/**
 * The worker's entry. Under tsx (TypeScript sources), `--import tsx` in execArgv does not
 * reach worker threads on Node 20, so a small ESM bootstrap registers tsx's loader in the
 * worker and then imports image-worker.ts. Built JavaScript loads image-worker.js directly.
 */
function workerEntry(): URL {
  const own = import.meta.url;
  if (!/\.[cm]?ts$/.test(new URL(own).pathname)) return new URL('./image-worker.js', own);
  const target = new URL('./image-worker.ts', own).href;
  const api = import.meta.resolve('tsx/esm/api');
  const code = `const { register } = await import(${JSON.stringify(api)}); register(); await import(${JSON.stringify(target)});`;
  return new URL(`data:text/javascript,${encodeURIComponent(code)}`);
}

export class ImagePreprocessPool {
  private workers: { worker: Worker; busy: number }[] = [];
  private queue: Pending[] = [];
  private pending = new Map<number, Pending & { worker: number }>();
  private nextId = 0;
  private closed = false;
  private readonly inFlight: number;
  readonly size: number;
  epoch = 0;

  constructor(opts: ImagePreprocessPoolOptions) {
    const dict = typeof (opts.processor as { toDict?: unknown }).toDict === 'function'
      ? (opts.processor as { toDict(): Record<string, unknown> }).toDict()
      : (opts.processor as Record<string, unknown>);
    const n = opts.workers ?? availableParallelism();
    if (!Number.isInteger(n) || n < 1) throw new Error(`ImagePreprocessPool: workers must be a positive integer, got ${n}`);
    this.size = n;
    this.inFlight = opts.inFlightPerWorker ?? 2;
    // bad augmentation options fail here, in one line, not in every worker
    if (opts.augment?.colorJitter) new ColorJitter(opts.augment.colorJitter);
    const init: WorkerInit = { processor: dict, transform: opts.transform ?? 'processor', seed: opts.seed ?? 0, augment: opts.augment };
    const url = workerEntry();
    for (let i = 0; i < n; i++) {
      const worker = new Worker(url, { workerData: init });
      worker.on('message', (m: WorkerReply) => this.onReply(i, m));
      worker.on('error', (e) => this.onWorkerError(i, e));
      worker.unref();
      this.workers.push({ worker, busy: 0 });
    }
  }

  /** Processes one image (file path or encoded bytes); `index` seeds its augmentation. */
  run(input: ImageSource, opts: { index?: number; name?: string } = {}): Promise<PoolResult> {
    if (this.closed) return Promise.reject(new Error('ImagePreprocessPool is closed'));
    const id = this.nextId++;
    const job: WorkerJob = { id, input, name: opts.name, index: opts.index ?? id, epoch: this.epoch };
    return new Promise((resolve, reject) => {
      this.queue.push({ job, resolve, reject });
      this.pump();
    });
  }

  /** Processes images into one [N, C, H, W] batch (all must come out the same size). */
  async runBatch(inputs: ImageSource[], opts: { startIndex?: number } = {}): Promise<PoolResult> {
    const parts = await Promise.all(inputs.map((input, i) => this.run(input, { index: (opts.startIndex ?? 0) + i })));
    if (parts.length === 0) throw new Error('runBatch: no images given');
    const per = parts[0].data.length;
    const data = new Float32Array(per * parts.length);
    parts.forEach((p, i) => {
      if (p.data.length !== per) throw new Error(`runBatch: image ${i} has shape [${p.shape}] but image 0 has [${parts[0].shape}]`);
      data.set(p.data, i * per);
    });
    return { data, shape: [parts.length, ...parts[0].shape] };
  }

  private pump(): void {
    while (this.queue.length) {
      let best = -1;
      for (let i = 0; i < this.workers.length; i++) {
        if (this.workers[i].busy < this.inFlight && (best < 0 || this.workers[i].busy < this.workers[best].busy)) best = i;
      }
      if (best < 0) return;
      const p = this.queue.shift()!;
      const w = this.workers[best];
      w.busy++;
      if (w.busy === 1) w.worker.ref();
      this.pending.set(p.job.id, { ...p, worker: best });
      w.worker.postMessage(p.job);
    }
  }

  private onReply(i: number, m: WorkerReply): void {
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    const w = this.workers[i];
    w.busy--;
    if (w.busy === 0) w.worker.unref();
    if (m.error !== undefined || !m.data || !m.shape) p.reject(new Error(m.error ?? 'worker returned no data'));
    else p.resolve({ data: m.data, shape: m.shape });
    this.pump();
  }

  private onWorkerError(i: number, e: Error): void {
    const err = new Error(`image worker ${i} failed: ${e.message.split('\n')[0]}`);
    for (const [id, p] of this.pending) {
      if (p.worker === i) {
        this.pending.delete(id);
        p.reject(err);
      }
    }
    this.closed = true;
    for (const q of this.queue.splice(0)) q.reject(err);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const q of this.queue.splice(0)) q.reject(new Error('ImagePreprocessPool closed'));
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
    this.workers = [];
  }
}
