// torch.autocast: a scope in which ATen casts each op's inputs the way PyTorch does (ATen's own
// AutocastCPU / AutocastCUDA op lists: matmuls and convolutions in the low-precision dtype,
// losses and a few others in float32, mixed inputs promoted). Scopes nest; leaving one restores
// the enclosing state, and leaving the outermost frees the cache of low-precision weight copies.
//
//   const out = autocast('cpu', { dtype: 'bfloat16' }, () => model.forward(batch));
//
// Run backward() outside the scope, as PyTorch recommends: gradients then come back in the
// parameters' own dtype (float32 master weights).
import { native as N } from '../native';
import { type DType, dtypeCode, dtypeName, normalizeDType } from '../dtype';
import { cpuFlags } from '../blas-tuning';

export type AutocastDevice = 'cpu' | 'cuda';
export interface AutocastOptions {
  /** Low-precision dtype: bfloat16 on CPU (the only one CPU autocast supports), float16 (default) or bfloat16 on CUDA. */
  dtype?: DType | string;
  /** false runs fn without autocast (and turns an enclosing autocast off inside it). Default true. */
  enabled?: boolean;
  /** Cache low-precision copies of float32 leaf tensors that require grad (the weights) inside the outermost scope. Default true. */
  cacheEnabled?: boolean;
}

const warned = new Set<string>();
function warnOnce(key: string, msg: string): void {
  if (warned.has(key)) return;
  warned.add(key);
  console.warn(msg);
}

/** True when this CPU runs bf16 matrix products natively (AVX512-BF16 or AMX); elsewhere oneDNN emulates them, slowly. */
export function cpuHasNativeBf16(flags: Set<string> = cpuFlags()): boolean {
  return flags.has('avx512_bf16') || flags.has('amx_bf16');
}

/** The settings a scope would apply: PyTorch's checks and warnings (an unsupported dtype or device disables autocast). */
export function resolveAutocast(deviceType: AutocastDevice, o: AutocastOptions = {}): { enabled: boolean; dtype: DType; cacheEnabled: boolean } {
  if (deviceType !== 'cpu' && deviceType !== 'cuda') {
    throw new Error(`autocast: deviceType must be 'cpu' or 'cuda', got '${String(deviceType)}'`);
  }
  let enabled = o.enabled ?? true;
  let dtype = normalizeDType(o.dtype ?? (deviceType === 'cpu' ? 'bfloat16' : 'float16'));
  if (deviceType === 'cuda' && enabled && !N.cudaAvailable()) {
    warnOnce('cuda', "hubtune: autocast('cuda') asked for, but CUDA is not available: autocast is disabled (use autocast('cpu', { dtype: 'bfloat16' }))");
    enabled = false;
  }
  if (deviceType === 'cpu' && dtype !== 'bfloat16') {
    if (enabled) warnOnce('cpu-dtype', `hubtune: CPU autocast supports only bfloat16, got ${dtype}: autocast is disabled (use dtype 'bfloat16')`);
    enabled = false;
    dtype = 'bfloat16'; // what ATen's CPU autocast accepts as its dtype setting
  }
  if (deviceType === 'cuda' && enabled && dtype !== 'float16' && dtype !== 'bfloat16') {
    throw new Error(`autocast('cuda') supports float16 and bfloat16, got ${dtype}`);
  }
  if (deviceType === 'cpu' && enabled && !cpuHasNativeBf16()) {
    warnOnce('cpu-bf16', 'hubtune: this CPU has no native bfloat16 instructions (AVX512-BF16 or AMX): bf16 autocast works but will be slow, likely slower than float32');
  }
  return { enabled, dtype, cacheEnabled: o.cacheEnabled ?? true };
}

/** Runs `fn` under autocast (torch.autocast(deviceType, dtype=..., enabled=...)); returns what fn returns. */
export function autocast<T>(deviceType: AutocastDevice, fn: () => T): T;
export function autocast<T>(deviceType: AutocastDevice, o: AutocastOptions, fn: () => T): T;
export function autocast<T>(deviceType: AutocastDevice, a: AutocastOptions | (() => T), b?: () => T): T {
  const fn = typeof a === 'function' ? a : b;
  const o = typeof a === 'function' ? {} : a;
  if (typeof fn !== 'function') throw new TypeError("autocast(deviceType, options, fn): fn must be a function, e.g. autocast('cpu', { dtype: 'bfloat16' }, () => model.forward(batch))");
  const s = resolveAutocast(deviceType, o);
  const prev = N.autocastEnter(deviceType, s.enabled, dtypeCode(s.dtype), s.cacheEnabled);
  let result: T;
  try {
    result = fn();
  } finally {
    N.autocastExit(prev);
  }
  if (result && typeof (result as { then?: unknown }).then === 'function') {
    throw new Error('autocast() takes a synchronous function: the autocast state is per thread, so it cannot span an await; wrap each synchronous forward pass instead');
  }
  return result;
}

/** Whether autocast is on for a device type here (torch.is_autocast_enabled / is_autocast_cpu_enabled). */
export function isAutocastEnabled(deviceType: AutocastDevice = 'cuda'): boolean {
  const s = N.autocastState();
  return deviceType === 'cpu' ? s.cpu : s.cuda;
}
/** The dtype autocast casts to on a device type (torch.get_autocast_cpu_dtype / get_autocast_gpu_dtype). */
export function getAutocastDtype(deviceType: AutocastDevice): DType {
  const s = N.autocastState();
  return dtypeName(deviceType === 'cpu' ? s.cpuDtype : s.cudaDtype);
}

/** torch.backends.cuda.matmul.allow_tf32: TF32 matrix products on Ampere and newer GPUs (no effect on CPU). */
export function setAllowTf32(on: boolean): void { N.setAllowTf32(on); }
export function getAllowTf32(): boolean { return N.getAllowTf32(); }
