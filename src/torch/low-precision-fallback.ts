// float16 on the CPU: libtorch 1.13 has no CPU float16 kernel for most ops (exp, matmul, softmax,
// layer_norm, conv...: "... not implemented for 'Half'"), where CUDA has them all, and no bfloat16
// one for a few (prod, mse_loss). So that 16-bit tensors work through every op, such an op is run
// again with its 16-bit tensor arguments widened to float32 and its float32 results narrowed back
// (differentiably, so gradients reach 16-bit leaves in their dtype). In-place ops write their
// result back into the 16-bit tensor. Ops that have the kernel (every op on CUDA) never get here.
const FLOAT = 0; // dtype codes of src/torch/dtype.ts
const LOW: Record<string, number> = { Half: 1, BFloat16: 2 };
const MISSING = /not implemented for '(Half|BFloat16)'/;

type Fn = (...args: unknown[]) => unknown;
interface Engine {
  isTensor(x: unknown): boolean;
  dtype(h: unknown): number;
  to(h: unknown, dtype: number | null, device: string | null, copy: boolean): unknown;
  copy_(dst: unknown, src: unknown): unknown;
  dispose(h: unknown): void;
}

function retryInFloat32(N: Engine, fn: Fn, name: string, args: unknown[], error: unknown, low: number): unknown {
  const widened: unknown[] = [];
  const widen = (a: unknown): unknown => {
    if (!N.isTensor(a) || N.dtype(a) !== low) return a;
    const w = N.to(a, FLOAT, null, false);
    widened.push(w);
    return w;
  };
  const up = args.map((a) => (Array.isArray(a) ? a.map(widen) : widen(a)));
  if (!widened.length) throw error;
  try {
    const result = fn(...up);
    // in-place ops (`name_`, and inplace(op, target, ...)) return their target: write it back
    const target = name === 'inplace' ? 1 : name.endsWith('_') ? 0 : -1;
    if (target >= 0 && up[target] !== args[target]) {
      N.copy_(args[target], up[target]);
      return args[target];
    }
    const narrow = (r: unknown): unknown => {
      if (!N.isTensor(r) || N.dtype(r) !== FLOAT) return r;
      const n = N.to(r, low, null, false);
      if (!widened.includes(r)) N.dispose(r);
      return n;
    };
    return Array.isArray(result) ? result.map(narrow) : narrow(result);
  } finally {
    for (const w of widened) N.dispose(w);
  }
}

/** Metadata and memory functions: no kernels, left unwrapped (they are the hottest calls). */
const NO_KERNEL = new Set(['shape', 'strides', 'dtype', 'device', 'numel', 'isContiguous', 'requiresGrad', 'isLeaf', 'gradFn', 'sameStorage',
  'dispose', 'isDisposed', 'isTensor', 'grad', 'setGrad', 'setRequiresGrad', 'setData', 'alias', 'detach', 'to', 'toBuffer', 'fromBuffer', 'memoryStats']);

/** The addon's functions, each retried in float32 when libtorch lacks its float16 CPU kernel. */
export function withLowPrecisionFallback<T extends object>(addon: T): T {
  const N = addon as unknown as Engine;
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(addon)) {
    if (typeof value !== 'function' || /^[A-Z]/.test(name) || NO_KERNEL.has(name)) { out[name] = value; continue; }
    const fn = value as Fn;
    out[name] = function wrapped(this: unknown) {
      try {
        return fn.apply(addon, arguments as unknown as unknown[]);
      } catch (e) {
        const m = MISSING.exec((e as Error)?.message ?? '');
        if (!m) throw e;
        return retryInFloat32(N, (...a) => fn.apply(addon, a), name, Array.from(arguments), e, LOW[m[1]!]!);
      }
    };
  }
  return out as T;
}
