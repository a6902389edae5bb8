// Process-wide engine settings: threads, BLAS check, seeds, grad mode, memory statistics.
import { availableParallelism } from 'node:os';
import { native as N } from './native';
import { isFallbackKernel } from './blas-tuning';

/**
 * Threads. float32 Linear layers run on oneDNN's sgemm (float32Gemm(), see setFloat32Gemm) and
 * bfloat16/float16/int8 products in oneDNN too, all on libtorch's intra-op pool: by default that
 * pool gets every core and OpenBLAS (what is left on it: batched attention products) 1 thread, so
 * the two never compete; the pool's idle threads spin briefly, then sleep (native.ts), which keeps
 * a shared machine from stalling it. Where oneDNN's sgemm is absent (float32Gemm() 'blas'), float32
 * products run in OpenBLAS, which gets the cores, and the intra-op pool 1.
 * Override with HUBTUNE_NUM_THREADS (intra-op) and HUBTUNE_BLAS_THREADS, or setNumThreads();
 * OMP_NUM_THREADS (set to 1 per process by torchrun and `hubtune launch`) caps all of them.
 */
export function setNumThreads(o: { intraOp?: number; blas?: number }): void {
  chosenByUser = true;
  N.setWideProducts(0, 0); // the user's count holds for every product
  const t = getNumThreads();
  apply(o.intraOp ?? t.intraOp, o.blas ?? t.blas);
}

// OMP_NUM_THREADS counts as a choice: torchrun and `hubtune launch` set it to 1 per process.
let chosenByUser = !!process.env.HUBTUNE_NUM_THREADS || !!process.env.HUBTUNE_BLAS_THREADS || !!process.env.OMP_NUM_THREADS;

/** Sets the pools; oneDNN's float32 sgemm runs on as many threads as the wider of the two. */
function apply(intraOp: number, blas: number): void {
  const i = Math.max(1, intraOp), b = Math.max(1, blas);
  N.setNumThreads(i);
  N.setBlasThreads(b);
  N.setFloat32GemmThreads(Math.max(i, b));
}

/**
 * The thread split for the work at hand, unless the user chose one (setNumThreads or the
 * HUBTUNE_*_THREADS / OMP_NUM_THREADS variables): work whose matrix products run in oneDNN
 * (bfloat16/float16, int8, and float32 while float32Gemm() is 'onednn') gets the intra-op pool on
 * all cores and OpenBLAS 1 thread; float32 on OpenBLAS the reverse. Measured here: a bf16
 * DistilRoBERTa training step 1.46x faster, ViT-base bf16 inference 1.9x, int8 1.3x, fp32 ViT-base
 * forward 1.3x (against intra-op 1). The Trainer and pipelines call it.
 */
export function useThreadsFor(work: 'float32' | 'low-precision'): void {
  if (chosenByUser) return;
  const cores = availableParallelism();
  if (work === 'float32' && float32Gemm() === 'blas') apply(1, cores);
  else apply(cores, 1);
}

/**
 * Matrix products of fewer multiply-adds than this are too small to share between threads in
 * bfloat16/float16 (oneDNN): waking the second thread costs more than it saves. Cached decoding of
 * SmolLM2-135M in bf16 ([1, 576] x [576, 1536] products, 0.9M multiply-adds), measured on 2 cores,
 * idle / with one other busy process: 28-30 / 25 tokens/s with its decoding steps on 1 thread (the
 * prompt on 2), 25 / 18 with everything on 2; on oneDNN's bf16 gemv (native/dnnl_gemm.cc), idle:
 * 55-58 with the steps on 1 thread and the head on 2, 38-53 with every product on 2. Above ~8M (a
 * 2048 x 8192 layer at batch 1) two win.
 */
export const SMALL_PRODUCT_MACS = 8e6;

let smallProductScopes = 0;
let threadsBeforeSmallProducts = 0;
/**
 * Puts the intra-op pool at 1 thread while work whose matrix products are low-precision and
 * smaller than SMALL_PRODUCT_MACS each runs, unless the user chose the threads; returns the function
 * that ends it (scopes nest; the last one out restores the pool). generate() opens one for its
 * cached decoding steps, once per call: changing libtorch's thread count is not free (it empties
 * oneDNN's primitive cache), so never per op. A single product of at least SMALL_PRODUCT_MACS inside
 * the scope (a language model's head) still runs on the pool's threads: the addon widens OpenMP's
 * count around it alone (+2-4% tokens/s for SmolLM2-135M in bf16, the same scores bit for bit).
 */
export function threadsForSmallProducts(o: { macs: number; dtype: string }): () => void {
  if (chosenByUser || (o.dtype !== 'bfloat16' && o.dtype !== 'float16') || !(o.macs < SMALL_PRODUCT_MACS)) return () => {};
  if (smallProductScopes++ === 0) {
    threadsBeforeSmallProducts = N.getNumThreads();
    if (threadsBeforeSmallProducts > 1) {
      N.setNumThreads(1);
      // a product this rule leaves out (a language model's head) keeps the threads: it is bound by memory
      N.setWideProducts(threadsBeforeSmallProducts, SMALL_PRODUCT_MACS);
    }
  }
  let ended = false;
  return () => {
    if (ended) return;
    ended = true;
    if (--smallProductScopes === 0 && threadsBeforeSmallProducts > 1) {
      N.setWideProducts(0, 0);
      if (!chosenByUser) N.setNumThreads(threadsBeforeSmallProducts);
    }
  };
}

/**
 * Where float32 Linear layers (forward and backward) compute: 'onednn' (the default where libtorch
 * carries oneDNN: its sgemm picks the CPU's best kernels itself, about 2x OpenBLAS under
 * OPENBLAS_CORETYPE=Haswell on an AVX-512 machine) or 'blas' (at::linear, on the BLAS libtorch was
 * built with). Also set by HUBTUNE_FP32_GEMM. Returns the previous setting.
 */
export function setFloat32Gemm(backend: 'onednn' | 'blas'): 'onednn' | 'blas' {
  const prev = N.setFloat32Gemm(backend) as 'onednn' | 'blas';
  useThreadsFor('float32');
  return prev;
}
export function float32Gemm(): 'onednn' | 'blas' { return N.float32Gemm() as 'onednn' | 'blas'; }
export function getNumThreads(): { intraOp: number; blas: number } {
  return { intraOp: N.getNumThreads(), blas: N.blasInfo().threads };
}

function envInt(name: string): number | undefined {
  const v = process.env[name];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name}=${v} is not a positive integer`);
  return n;
}

let warned = false;
/** Returns a warning text when libtorch runs on a reference (unoptimised) BLAS, null otherwise. */
export function blasWarning(): string | null {
  const info = N.blasInfo();
  if (info.vendor === 'openblas' && isFallbackKernel(info.config)) {
    return `hubtune: OpenBLAS did not recognise this CPU and uses its generic kernels (${info.config.split(' ').find((w) => /^[A-Z][a-z]+\d*$/.test(w) && w !== 'OpenBLAS') ?? 'fallback'}), matrix products several times slower. Fix: set OPENBLAS_CORETYPE=Haswell (AVX2) or SkylakeX (AVX-512) before starting node`;
  }
  if (info.vendor === 'openblas' || info.vendor === 'mkl') return null;
  return 'hubtune: libtorch is using a reference BLAS (matrix products ~30x slower). Fix: apt-get install libopenblas0-pthread && update-alternatives --set libblas.so.3-x86_64-linux-gnu /usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3';
}

function configure(): void {
  const gemm = process.env.HUBTUNE_FP32_GEMM;
  if (gemm !== undefined && gemm !== '') {
    if (gemm !== 'onednn' && gemm !== 'blas') throw new Error(`HUBTUNE_FP32_GEMM=${gemm} is not a float32 GEMM backend: use onednn or blas`);
    N.setFloat32Gemm(gemm);
  }
  const bf16 = process.env.HUBTUNE_BF16_LINEAR;
  if (bf16 !== undefined && bf16 !== '') {
    if (bf16 !== 'onednn' && bf16 !== 'aten') throw new Error(`HUBTUNE_BF16_LINEAR=${bf16} is not a bfloat16 Linear backend: use onednn or aten`);
    N.setBf16Linear(bf16 === 'onednn');
  }
  const cores = availableParallelism();
  // OMP_NUM_THREADS (as torch reads it) sizes the pool that does the matrix products
  const ompMatch = /^\s*(\d+)/.exec(process.env.OMP_NUM_THREADS ?? '');
  const omp = ompMatch && Number(ompMatch[1]) >= 1 ? Number(ompMatch[1]) : undefined;
  const onBlas = float32Gemm() === 'blas';
  apply(envInt('HUBTUNE_NUM_THREADS') ?? omp ?? (onBlas ? 1 : cores), envInt('HUBTUNE_BLAS_THREADS') ?? (onBlas ? omp ?? cores : 1));
  const w = blasWarning();
  if (w && !warned && !process.env.HUBTUNE_QUIET_BLAS_WARNING) { warned = true; console.warn(w); }
}
configure();

/** Seeds libtorch's default generators (CPU and CUDA), like torch.manual_seed. */
export function manualSeed(seed: number): void { N.manualSeed(seed); }
export function getRngState(): Buffer { return N.getRngState(); }
export function setRngState(state: Buffer): void { N.setRngState(state); }

/** Runs `fn` with gradient recording off (torch.no_grad). */
export function noGrad<T>(fn: () => T): T {
  const prev = N.setGradEnabled(false);
  try {
    const r = fn();
    if (r && typeof (r as any).then === 'function') throw new Error('noGrad() takes a synchronous function');
    return r;
  } finally {
    N.setGradEnabled(prev);
  }
}
export function isGradEnabled(): boolean { return N.isGradEnabled(); }
export function setGradEnabled(on: boolean): boolean { return N.setGradEnabled(on); }

export interface MemoryStats {
  /** Tensor handles alive in JS. */ liveTensors: number;
  /** Bytes of CPU tensor storage allocated by libtorch now. */ allocatedBytes: number;
  peakAllocatedBytes: number;
  rssBytes: number;
  /** Most bytes tensors may hold together (HUBTUNE_MAX_TENSOR_BYTES, default RAM + swap; 0: none). */ limitBytes: number;
}
export function memoryStats(): MemoryStats {
  const s = N.memoryStats();
  return { liveTensors: s.liveTensors, allocatedBytes: s.allocatedBytes, peakAllocatedBytes: s.peakAllocatedBytes, rssBytes: process.memoryUsage.rss(), limitBytes: s.limitBytes };
}
/**
 * Sets the most bytes all tensors may hold together (0: no limit); returns the previous limit. A
 * tensor that would pass it fails at once with an out-of-memory error (code ERR_HUBTUNE_OUT_OF_MEMORY).
 */
export function setTensorMemoryLimit(bytes: number): number { return N.setMemoryLimit(bytes); }
export function resetPeakMemory(): void { N.resetPeakMemory(); }

export const cuda = {
  isAvailable: (): boolean => N.cudaAvailable(),
  deviceCount: (): number => N.cudaDeviceCount(),
};
export function versions(): { torch: string; cuda: boolean } {
  const v = N.versions();
  return { torch: v.torch, cuda: v.cuda };
}
/** 'cuda' when available and asked for ('auto'), else 'cpu'; errors clearly when CUDA is asked but absent. */
export function resolveDevice(d: string | undefined): string {
  if (!d || d === 'auto') return N.cudaAvailable() ? 'cuda' : 'cpu';
  if (d.startsWith('cuda') && !N.cudaAvailable()) {
    throw new Error(`device '${d}' asked for, but CUDA is not available: this libtorch has no CUDA or no GPU is visible (use device 'cpu', or build hubtune with LIBTORCH_USE_PYTORCH=1 against a CUDA PyTorch)`);
  }
  return d;
}
/** Lets queued finalizers run: call once per training step in long synchronous loops. */
export function yieldToEventLoop(): Promise<void> { return new Promise((r) => setImmediate(r)); }
