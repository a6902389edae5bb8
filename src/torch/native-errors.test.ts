// No aborts, ever: every way the engine can fail in C++ (a refused allocation, a libtorch error,
// an overflowing size) comes back as a JS Error with a one-line message and a code, and the
// process carries on. Each case asks for far more memory than exists (never touched: refused).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Generator, arange, cat, empty, eye, full, linspace, loadSafetensors, loadTorchBin, memoryStats, ones, rand, randint, randn,
  setRngState, setTensorMemoryLimit, tensor, zeros, Tensor, saveSafetensors,
} from './index';
import { native } from './native';

const HUGE = [1e6, 1e6]; // 4 TB of float32

function assertNativeError(fn: () => unknown, code: RegExp = /^ERR_HUBTUNE_/, message: RegExp = /./): void {
  assert.throws(fn, (e: Error & { code?: string }) => {
    assert.ok(e instanceof Error, String(e));
    assert.match(String(e.code ?? ''), code, `${e.message} (code ${e.code})`);
    assert.match(e.message, message);
    assert.ok(!e.message.includes('\n'), `one line: ${e.message}`);
    assert.ok(!/Exception raised from/.test(e.message), e.message);
    return true;
  });
}

test('tensor creation: every constructor refuses an impossible size with an out-of-memory error', () => {
  const live = memoryStats().liveTensors;
  const oom = /^ERR_HUBTUNE_OUT_OF_MEMORY$/;
  const cases: Array<[string, () => unknown]> = [
    ['empty', () => empty(HUGE)],
    ['zeros', () => zeros(HUGE)],
    ['ones', () => ones(HUGE)],
    ['full', () => full(HUGE, 3)],
    ['randn', () => randn(HUGE)],
    ['rand', () => rand(HUGE, { generator: new Generator(1) })],
    ['randint', () => randint(0, 5, HUGE)],
    ['arange', () => arange(0, 1e13)],
    ['linspace', () => linspace(0, 1, 1e13)],
    ['eye', () => eye(1e7)],
  ];
  for (const [name, fn] of cases) {
    assertNativeError(fn, oom, /out of memory: cannot allocate \d+(\.\d)? TB for a tensor/);
    assert.ok(name);
  }
  assert.equal(memoryStats().liveTensors, live, 'nothing half-made stays alive');
  assert.equal(zeros([2, 2]).sum().item(), 0, 'the engine still works');
});

test('sizes that overflow, negative sizes and a buffer of the wrong length are errors, not crashes', () => {
  assertNativeError(() => empty([2 ** 62, 8]), /^ERR_HUBTUNE_/, /overflow/);
  assertNativeError(() => empty([-5]), /^ERR_HUBTUNE_LIBTORCH$/, /negative dimension/);
  assert.throws(() => native.fromBuffer(new Float32Array(4), [2 ** 31, 2 ** 31], 0), /overflow/);
  assert.throws(() => native.fromBuffer(new Float32Array(4), [3], 0), /data has 16 bytes but the shape and dtype need 12/);
  assert.throws(() => tensor([1, 2, 3], { shape: [1e6, 1e6] }));
});

test('operations whose result cannot fit: matmul, repeat, expand + contiguous, cat, one-hot', () => {
  const a = ones([300_000, 1]);
  const b = ones([1, 300_000]);
  const small = ones([1000]);
  const cases: Array<() => Tensor> = [
    () => a.matmul(b), // 360 GB
    () => small.repeat(1e9),
    () => small.view(1, 1000).expand(1e9, 1000).contiguous(),
    () => small.view(1, 1000).expand(1e9, 1000).add(1),
    () => cat([small.view(1, 1000).expand(1e9, 1000), small.view(1, 1000)]),
    () => new Tensor(native.oneHot(randint(0, 3, [10])._h, 1e12)),
  ];
  for (const fn of cases) assertNativeError(fn, /^ERR_HUBTUNE_/);
  assert.equal(a.matmul(ones([1, 3])).shape.join(), '300000,3');
});

test('libtorch errors (shape mismatch, bad RNG state, backward of a non-scalar) are one-line JS errors', () => {
  assertNativeError(() => ones([2, 3]).matmul(ones([2, 3])), /^ERR_HUBTUNE_LIBTORCH$/, /cannot be multiplied|size mismatch|shapes/);
  assertNativeError(() => setRngState(Buffer.alloc(3)), /^ERR_HUBTUNE_LIBTORCH$/, /RNG state size/);
  assertNativeError(() => new Generator(1).setState(Buffer.alloc(7)), /^ERR_HUBTUNE_LIBTORCH$/);
  const x = ones([3], { requiresGrad: true });
  assertNativeError(() => x.mul(2).backward(), /^ERR_HUBTUNE_LIBTORCH$/, /scalar outputs/);
});

test('the allocator limit (HUBTUNE_MAX_TENSOR_BYTES / setTensorMemoryLimit) refuses what would pass it', () => {
  assert.ok(memoryStats().limitBytes > 0, 'default limit: RAM + swap');
  const keep = ones([1000]); // 4 kB held
  const prev = setTensorMemoryLimit(memoryStats().allocatedBytes + 1_000_000);
  try {
    assertNativeError(() => zeros([1_000_000]), /^ERR_HUBTUNE_OUT_OF_MEMORY$/, /cannot allocate 4\.0 MB for a tensor \(the limit is .*HUBTUNE_MAX_TENSOR_BYTES/);
    assert.equal(zeros([1000]).numel, 1000, 'small tensors still fit');
    assertNativeError(() => ones([1000, 1]).matmul(ones([1, 1000])), /^ERR_HUBTUNE_OUT_OF_MEMORY$/); // 4 MB result
  } finally {
    setTensorMemoryLimit(prev);
  }
  assert.equal(keep.sum().item(), 1000);
});

test('loading: a safetensors or .bin file declaring a tensor that cannot fit is an error naming the file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hubtune-native-'));
  // A header that claims a 4 TB tensor in a 100-byte file.
  const header = JSON.stringify({ w: { dtype: 'F32', shape: HUGE, data_offsets: [0, 4e12] } });
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(header.length));
  const st = join(dir, 'huge.safetensors');
  writeFileSync(st, Buffer.concat([len, Buffer.from(header), Buffer.alloc(64)]));
  assert.throws(() => loadSafetensors(st), (e: Error) => e.message.includes('huge.safetensors') && !e.message.includes('\n'));
  const bin = join(dir, 'pytorch_model.bin');
  writeFileSync(bin, Buffer.from('PK\u0003\u0004 not really a zip'));
  assert.throws(() => loadTorchBin(bin), (e: Error) => e.message.includes('pytorch_model.bin'));
});

test('loading a valid file whose tensors the allocator refuses: one error naming the file and tensor, nothing half-loaded, the process carries on', async () => {
  const { torchSave, contiguous } = await import('../../test/support/torch-save');
  const dir = mkdtempSync(join(tmpdir(), 'hubtune-native-'));
  const st = join(dir, 'model.safetensors');
  saveSafetensors(st, new Map([['small', ones([10])], ['big', zeros([1_000_000])]]));
  const bin = join(dir, 'pytorch_model.bin');
  writeFileSync(bin, torchSave({ big: contiguous('float32', [1_000_000], new Uint8Array(4_000_000)) }));
  const live = memoryStats().liveTensors;
  const prev = setTensorMemoryLimit(memoryStats().allocatedBytes + 1_000_000);
  try {
    assertNativeError(() => loadSafetensors(st), /^ERR_HUBTUNE_OUT_OF_MEMORY$/, /model\.safetensors: tensor 'big' \[1000000\] F32: out of memory: cannot allocate 4\.0 MB/);
    assert.throws(() => loadTorchBin(bin), (e: Error) => /pytorch_model\.bin/.test(e.message) && /out of memory|cannot allocate/.test(e.message) && !e.message.includes('\n'));
    assert.equal(memoryStats().liveTensors, live, 'nothing half-loaded stays alive');
  } finally {
    setTensorMemoryLimit(prev);
  }
  assert.equal(loadSafetensors(st).tensors.get('big')!.numel, 1_000_000, 'loads once the limit allows it');
});

test('with no limit at all (HUBTUNE_MAX_TENSOR_BYTES=0), a 4 TB tensor fails in malloc: a JS error in a process that lives on', async () => {
  const { spawnSync } = await import('node:child_process');
  const code = `
    const { empty, zeros, memoryStats } = await import(${JSON.stringify(new URL('./index.ts', import.meta.url).pathname)});
    if (memoryStats().limitBytes !== 0) throw new Error('limit not off');
    for (const make of [() => empty([1e6, 1e6]), () => zeros([1e6, 1e6]), () => zeros([3e5, 1]).matmul(zeros([1, 3e6]))]) {
      try { make(); console.log('ALLOCATED'); } catch (e) { console.log('ERR ' + (e.code ?? '') + ' ' + e.message.split('\\n').length); }
    }
    console.log('ALIVE ' + zeros([2]).add(1).sum().item());`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { encoding: 'utf8', env: { ...process.env, HUBTUNE_MAX_TENSOR_BYTES: '0', HUBTUNE_QUIET_BLAS_WARNING: '1' }, timeout: 60_000 });
  assert.equal(r.signal, null, `killed by ${r.signal}: ${r.stderr}`);
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.deepEqual(lines.slice(0, 3).map((l) => /^ERR ERR_HUBTUNE_\w+ 1$/.test(l)), [true, true, true], r.stdout);
  assert.equal(lines[3], 'ALIVE 2');
});
