// The arithmetic of the machine that produced the Python fixtures, for parity.test.ts (import it
// FIRST there: it must run before libtorch, and with it OpenBLAS, is loaded).
//
// hubtune's eager path (attnImplementation: 'eager') performs the same libtorch 1.13 ops in the same
// order as transformers 4.29.2, so its gradients equal Python's bit for bit, including the pure
// rounding noise of gradients that are zero in exact arithmetic (the attention key bias). That
// holds only where the float operations are carried out by the same kernels:
//  - OpenBLAS must use the kernels the fixture machine used: 'Cooperlake' (AVX-512 with BF16). The
//    'SkylakeX', 'Haswell', 'Zen', 'Sandybridge' and 'Prescott' kernels accumulate the matrix
//    products in other orders (the roberta_mlm backward even differs between SkylakeX and
//    Cooperlake). Debian's OpenBLAS 0.3.21 does not recognise some AVX-512 CPUs (e.g. this
//    workplace's virtualised Sapphire Rapids) and falls back to its SSE3 'Prescott' kernels; it
//    also skips 'Cooperlake' when looking up OPENBLAS_CORETYPE, but then picks Cooperlake by CPU
//    features on AVX-512-BF16 CPUs. So the variable is set only where the CPU has avx512_bf16
//    (elsewhere Cooperlake kernels could not run) and only when the user has not set it.
//  - threads: libtorch intra-op 1 and OpenBLAS 2 (the fixture machine had 2 cores); the test sets
//    them with setNumThreads. With intra-op 2, libtorch's LayerNorm backward sums the weight and
//    bias gradients in per-thread partial sums: those (and only those) then differ in the last bits.
// parity.test.ts checks which kernel OpenBLAS really uses (blasInfo) and holds the training steps
// to 1e-6 for every value only there; on other CPUs it says so and applies the noise bound.
import { cpuFlags } from '../torch/blas-tuning';

/** OpenBLAS's name for the kernels that reproduce the fixtures. */
export const FIXTURE_BLAS_CORE = 'Cooperlake';
/** libtorch intra-op and OpenBLAS threads that reproduce the fixtures. */
export const FIXTURE_THREADS = { intraOp: 1, blas: 2 } as const;

/** Whether this CPU can run OpenBLAS's Cooperlake kernels. */
export const cpuRunsFixtureKernels = cpuFlags().has('avx512_bf16');
// The engine asks for these kernels itself on such CPUs (src/torch/blas-tuning.ts); set here too in
// case HUBTUNE_BLAS_AUTOTUNE=0 turned that off, since the strict checks need them.
if (cpuRunsFixtureKernels && process.env.OPENBLAS_CORETYPE === undefined) process.env.OPENBLAS_CORETYPE = FIXTURE_BLAS_CORE;
