// Loads the libtorch addon built by `npm ci` (node-gyp) and types its functions.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';
import { tuneOpenblasBeforeLoad } from './blas-tuning';
import { withLowPrecisionFallback } from './low-precision-fallback';

/** An opaque handle (a tagged N-API External) to a libtorch tensor owned by the addon. */
export interface NativeTensor {
  readonly __nativeTensor?: never;
}
export interface NativeGenerator {
  manualSeed(seed: number): void;
  initialSeed(): number;
  getState(): Buffer;
  setState(state: Buffer): void;
}

type H = NativeTensor;
type N = number | null | undefined;
export interface NativeAddon {
  Generator: new (seed?: number) => NativeGenerator;
  setNumThreads(n: number): void;
  getNumThreads(): number;
  setBlasThreads(n: number): boolean;
  blasInfo(): { vendor: string; config: string; threads: number };
  versions(): { torch: string; major: number; minor: number; cuda: boolean; config: string };
  cudaAvailable(): boolean;
  cudaDeviceCount(): number;
  memoryStats(): { liveTensors: number; allocatedBytes: number; peakAllocatedBytes: number; allocations: number; limitBytes: number };
  resetPeakMemory(): void;
  /** Sets the most bytes tensors may hold together (0: none); returns the previous limit. */
  setMemoryLimit(bytes: number): number;
  manualSeed(seed: number): void;
  getRngState(): Buffer;
  setRngState(b: Buffer): void;
  setGradEnabled(on: boolean): boolean;
  isGradEnabled(): boolean;
  isTensor(x: unknown): boolean;
  dispose(h: NativeTensor): void;
  isDisposed(h: NativeTensor): boolean;
  [op: string]: any;
}

const here = dirname(fileURLToPath(import.meta.url));
const candidates = [resolve(here, '../../build/Release/hubtune_native.node'), resolve(here, '../../build/Debug/hubtune_native.node')];

function load(): NativeAddon {
  const path = candidates.find((p) => existsSync(p));
  if (!path) {
    throw new Error('hubtune native addon is not built: in a project, install libtorch (`sudo apt-get install -y libtorch-dev libopenblas0-pthread g++ make`) and run `npm rebuild hubtune`; in a hubtune checkout, run `bash scripts/bootstrap.sh`');
  }
  tuneOpenblasBeforeLoad();
  // libgomp (libtorch's intra-op pool) reads how long idle threads spin once, when the addon loads
  // it. Its default (300,000 spins) holds a core the other work on a shared machine needs; sleeping
  // at once (a passive policy) makes every parallel region wake its threads, which in a VM costs tens
  // of microseconds. 1,000 spins keep most of both, measured on 2 cores (idle / one other busy
  // process): ViT-base forward fp32 174 / 307 ms (passive 211 / 295, 100,000 spins 177 / 1051),
  // bf16 90 / 168 ms (passive 120 / 154). A user's OMP_WAIT_POLICY or GOMP_SPINCOUNT is kept; ours
  // is not passed on to child processes.
  const ours = process.env.OMP_WAIT_POLICY === undefined && process.env.GOMP_SPINCOUNT === undefined;
  if (ours) process.env.GOMP_SPINCOUNT = '1000';
  const require = createRequire(import.meta.url);
  try {
    return withLowPrecisionFallback(require(path) as NativeAddon);
  } finally {
    if (ours) delete process.env.GOMP_SPINCOUNT;
  }
}

export const native: NativeAddon = load();
export type { H as Handle, N as OptNum };
