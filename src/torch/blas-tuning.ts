// OpenBLAS kernel choice, made before libtorch (and with it OpenBLAS) is loaded.
//
// Debian's OpenBLAS 0.3.21 does not recognise recent AVX-512 CPUs (e.g. Sapphire Rapids) and falls
// back to its SSE3 'Prescott' kernels: every matrix product ~4x slower (512x768x768 sgemm: 35 ms vs
// 8.3 ms here). On CPUs with AVX-512 BF16 we therefore ask for the 'Cooperlake' kernels, the ones the
// Python reference fixtures were computed with (hubtune's eager path then matches them bit for bit).
// A user's own OPENBLAS_CORETYPE always wins; HUBTUNE_BLAS_AUTOTUNE=0 turns this off.
import { readFileSync } from 'node:fs';

export function cpuFlags(): Set<string> {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((l) => l.startsWith('flags'));
    return new Set(line ? line.slice(line.indexOf(':') + 1).trim().split(/\s+/) : []);
  } catch {
    return new Set();
  }
}

/** The OPENBLAS_CORETYPE hubtune sets for this CPU when the user set none (null: leave OpenBLAS's own choice). */
export function preferredCoretype(flags: Set<string> = cpuFlags()): string | null {
  if (flags.has('avx512_bf16') && flags.has('avx512bw') && flags.has('avx512vl')) return 'Cooperlake';
  return null;
}

export function tuneOpenblasBeforeLoad(): void {
  if (process.env.OPENBLAS_CORETYPE !== undefined || process.env.HUBTUNE_BLAS_AUTOTUNE === '0') return;
  const core = preferredCoretype();
  if (core) process.env.OPENBLAS_CORETYPE = core;
}

/** OpenBLAS kernels that ignore the CPU's vector units (a detection fallback), given its config string. */
export function isFallbackKernel(config: string, flags: Set<string> = cpuFlags()): boolean {
  return /\b(Prescott|Core2|Katmai|Atom|Nehalem)\b/.test(config) && flags.has('avx2');
}
