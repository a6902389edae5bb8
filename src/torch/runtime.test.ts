import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { preferredCoretype, isFallbackKernel } from './blas-tuning';
import { getNumThreads, setNumThreads, blasWarning, versions, memoryStats, float32Gemm } from './index';
import { availableParallelism } from 'node:os';

test('OpenBLAS kernel choice: Cooperlake on AVX-512 BF16 CPUs only; fallback kernels detected', () => {
  assert.equal(preferredCoretype(new Set(['avx2', 'avx512f', 'avx512bw', 'avx512vl', 'avx512_bf16'])), 'Cooperlake');
  assert.equal(preferredCoretype(new Set(['avx2', 'fma'])), null);
  assert.ok(isFallbackKernel('OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY Prescott MAX_THREADS=64', new Set(['avx2'])));
  assert.ok(!isFallbackKernel('OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY Cooperlake MAX_THREADS=64', new Set(['avx2'])));
  assert.ok(!isFallbackKernel('OpenBLAS 0.3.21 Prescott', new Set(['sse3'])), 'an old CPU is not misdetected');
});

test('threads are set explicitly at start (oneDNN float32: intra-op = cores, BLAS 1; else the reverse) and can be changed', () => {
  const t = getNumThreads();
  const cores = availableParallelism();
  if (!process.env.HUBTUNE_NUM_THREADS && !process.env.HUBTUNE_BLAS_THREADS && !process.env.OMP_NUM_THREADS) {
    assert.deepEqual(t, float32Gemm() === 'onednn' ? { intraOp: cores, blas: 1 } : { intraOp: 1, blas: cores });
  }
  setNumThreads({ intraOp: 2, blas: 1 });
  assert.deepEqual(getNumThreads(), { intraOp: 2, blas: 1 });
  setNumThreads({ intraOp: t.intraOp, blas: t.blas });
  assert.equal(blasWarning(), null, 'an optimised BLAS is in use here');
  assert.match(versions().torch, /^\d+\.\d+/);
  assert.ok(memoryStats().rssBytes > 0);
});

test('environment variables override the thread defaults; a bad value is a clear error', () => {
  const code = "import('./src/torch/index.ts').then((m) => console.log(JSON.stringify(m.getNumThreads())))";
  const ok = spawnSync(process.execPath, ['--import', 'tsx', '-e', code], { env: { ...process.env, HUBTUNE_NUM_THREADS: '2', HUBTUNE_BLAS_THREADS: '1' }, encoding: 'utf8' });
  assert.deepEqual(JSON.parse(ok.stdout.trim()), { intraOp: 2, blas: 1 });
  const omp = spawnSync(process.execPath, ['--import', 'tsx', '-e', code], { env: { ...process.env, HUBTUNE_NUM_THREADS: '', HUBTUNE_BLAS_THREADS: '', OMP_NUM_THREADS: '1' }, encoding: 'utf8' });
  assert.deepEqual(JSON.parse(omp.stdout.trim()), { intraOp: 1, blas: 1 }, 'OMP_NUM_THREADS=1 (torchrun, hubtune launch): one thread per process');
  const bad = spawnSync(process.execPath, ['--import', 'tsx', '-e', code], { env: { ...process.env, HUBTUNE_NUM_THREADS: 'many' }, encoding: 'utf8' });
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /HUBTUNE_NUM_THREADS=many is not a positive integer/);
});

test('useThreadsFor: oneDNN work gives the intra-op pool the cores and OpenBLAS 1 thread, float32 on BLAS the reverse; a user choice wins', () => {
  const code = `import { useThreadsFor, getNumThreads, setNumThreads, setFloat32Gemm, float32Gemm } from './src/torch/index';
const cores = (await import('node:os')).availableParallelism();
useThreadsFor('low-precision'); const low = getNumThreads();
useThreadsFor('float32'); const f32 = getNumThreads();
setFloat32Gemm('blas'); const f32blas = getNumThreads(); setFloat32Gemm('onednn');

setNumThreads({ intraOp: 1, blas: 1 }); useThreadsFor('low-precision'); const user = getNumThreads();
console.log(JSON.stringify({ ok: JSON.stringify(low) === JSON.stringify({ intraOp: cores, blas: 1 }) && JSON.stringify(f32) === JSON.stringify(float32Gemm() === 'onednn' ? { intraOp: cores, blas: 1 } : { intraOp: 1, blas: cores }) && JSON.stringify(f32blas) === JSON.stringify({ intraOp: 1, blas: cores }), user }));`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { env: { ...process.env, HUBTUNE_NUM_THREADS: '', HUBTUNE_BLAS_THREADS: '', OMP_NUM_THREADS: '' }, encoding: 'utf8' });
  assert.deepEqual(JSON.parse(r.stdout.trim() || 'null'), { ok: true, user: { intraOp: 1, blas: 1 } }, r.stderr);
  const env = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', `import { useThreadsFor, getNumThreads } from './src/torch/index'; useThreadsFor('low-precision'); console.log(JSON.stringify(getNumThreads()));`], { env: { ...process.env, HUBTUNE_NUM_THREADS: '1', HUBTUNE_BLAS_THREADS: '2' }, encoding: 'utf8' });
  assert.deepEqual(JSON.parse(env.stdout.trim()), { intraOp: 1, blas: 2 }, 'HUBTUNE_*_THREADS set: left as the user chose');
});

test('libtorch\'s OpenMP threads spin 1,000 times before sleeping unless the user set a policy or spin count; the setting is not passed on to children', () => {
  const code = "import('./src/torch/index.ts').then(() => console.log('env=' + process.env.GOMP_SPINCOUNT + ',' + process.env.OMP_WAIT_POLICY))";
  const { OMP_WAIT_POLICY: _p, GOMP_SPINCOUNT: _s, ...clean } = process.env;
  const run = (extra: Record<string, string>) => spawnSync(process.execPath, ['--import', 'tsx', '-e', code], { env: { ...clean, OMP_DISPLAY_ENV: 'verbose', ...extra }, encoding: 'utf8' });
  const ours = run({});
  assert.match(ours.stderr, /GOMP_SPINCOUNT = '1000'/, 'libgomp read the spin count when the addon loaded it');
  assert.match(ours.stdout, /env=undefined,undefined/, 'removed again after loading');
  const user = run({ OMP_WAIT_POLICY: 'active' });
  assert.match(user.stderr, /OMP_WAIT_POLICY = 'ACTIVE'/);
  assert.doesNotMatch(user.stderr, /GOMP_SPINCOUNT = '1000'/);
  assert.match(user.stdout, /env=undefined,active/);
  const spins = run({ GOMP_SPINCOUNT: '5' });
  assert.match(spins.stderr, /GOMP_SPINCOUNT = '5'/);
});
