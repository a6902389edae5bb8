// Bad input to initProcessGroup: one-line errors naming what to fix, and never a hang.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { resolveInit } from '../../src/distributed/env';
import { allReduce, getRank, getWorldSize, isInitialized } from '../../src/distributed/index';
import { tensor } from '../../src/torch/index';
import { freePort, runNode, runRanks, WORKER } from './ranks';

const T = { TEST_TIMEOUT_MS: '2000', WORLD_SIZE: '2', MASTER_ADDR: '127.0.0.1' };
const oneLine = (s: string) => { assert.equal(typeof s, 'string'); assert.ok(!s.includes('\n'), s); };

test('options and environment checked before any connection', () => {
  const env = { RANK: '0', WORLD_SIZE: '2', MASTER_ADDR: '127.0.0.1', MASTER_PORT: '29500' };
  assert.deepEqual(resolveInit({}, env), { backend: 'gloo', method: 'tcp', host: '127.0.0.1', port: 29500, rank: 0, worldSize: 2, timeoutMs: 1800000, ifname: undefined });
  assert.deepEqual(resolveInit({ initMethod: 'tcp://[::1]:1234', rank: 1, world_size: 3, timeout: 5000 }, {}).host, '::1');
  assert.equal(resolveInit({ init_method: 'file:///tmp/x', rank: 0, worldSize: 1 }, {}).path, '/tmp/x');
  assert.throws(() => resolveInit({}, { ...env, RANK: '2' }), /^DistributedError: rank 2 is outside worldSize 2: ranks go from 0 to 1$/);
  assert.throws(() => resolveInit({}, { ...env, WORLD_SIZE: 'two' }), /WORLD_SIZE must be an integer >= 1, got "two"/);
  assert.throws(() => resolveInit({}, { ...env, MASTER_ADDR: undefined }), /MASTER_ADDR is not set: run under hubtune launch/);
  assert.throws(() => resolveInit({}, { ...env, MASTER_PORT: '70000' }), /MASTER_PORT must be a TCP port \(1-65535\), got 70000/);
  assert.throws(() => resolveInit({}, { WORLD_SIZE: '2' }), /no rank: pass \{ rank \} or set RANK/);
  assert.throws(() => resolveInit({ backend: 'mpi' as any }, env), /unknown backend 'mpi': use 'gloo' \(CPU\) or 'nccl' \(CUDA\)/);
  assert.throws(() => resolveInit({ initMethod: 'redis://x' }, env), /initMethod 'redis:\/\/x' is not supported/);
  assert.throws(() => resolveInit({ timeout: -1 }, env), /timeout must be a positive number of milliseconds/);
  // Without a group: a single process is rank 0 of 1, and collectives say what to call first.
  assert.equal(isInitialized(), false);
  assert.equal(getRank(), 0);
  assert.equal(getWorldSize(), 1);
  assert.throws(() => allReduce(tensor([1.5])), /^DistributedError: allReduce needs a process group: call await initProcessGroup/);
});

describe('rendezvous failures', { concurrency: true }, () => {
  test('the port is in use on rank 0', async () => {
    const srv = createServer();
    await new Promise<void>((res) => srv.listen(0, '::', () => res()));
    const port = (srv.address() as { port: number }).port;
    try {
      const r = await runNode([WORKER, 'init-only'], { ...T, RANK: '0', MASTER_PORT: String(port) });
      assert.equal(r.json.error, `rank 0 cannot listen on port ${port} for the rendezvous: the port is in use; choose a free MASTER_PORT (--master-port)`);
      assert.equal(r.json.name, 'DistributedError');
    } finally {
      srv.close();
    }
  });

  test('nothing answers at MASTER_ADDR:MASTER_PORT', async () => {
    const port = await freePort();
    const r = await runNode([WORKER, 'init-only'], { ...T, RANK: '1', MASTER_PORT: String(port) });
    assert.match(r.json.error, new RegExp(`^rank 1 could not reach the rendezvous at 127\\.0\\.0\\.1:${port} \\(MASTER_ADDR:MASTER_PORT\\) within 2 s: check that rank 0 runs there`));
    oneLine(r.json.error);
  });

  test('MASTER_ADDR does not resolve', async () => {
    const r = await runNode([WORKER, 'init-only'], { ...T, RANK: '1', MASTER_ADDR: 'no-such-host.invalid', MASTER_PORT: '29500' });
    assert.match(r.json.error, /^the rendezvous address 'no-such-host\.invalid' \(MASTER_ADDR\) does not resolve \(\w+\): give node 0's IP address or host name$/);
  });

  test('a rank never joins: rank 0 times out naming it', async () => {
    const port = await freePort();
    const r = await runNode([WORKER, 'init-only'], { ...T, RANK: '0', WORLD_SIZE: '3', MASTER_PORT: String(port) });
    assert.equal(r.json.error, `timed out after 2 s waiting for ranks 1, 2 (of worldSize 3) to join the rendezvous at 127.0.0.1:${port}: start every rank (same MASTER_ADDR/MASTER_PORT), or raise the timeout`);
  });

  test('mismatched world sizes: both ranks say so', async () => {
    const port = await freePort();
    const res = await runRanks('init-only', 2, { ...T, MASTER_PORT: String(port), TEST_TIMEOUT_MS: '20000' }, (r) => (r === 1 ? { WORLD_SIZE: '3' } : {}));
    // Whichever rank sees the difference first posts the message; both report it.
    for (const r of res) assert.match(r.json.error, /^mismatched world sizes: rank ([01]) was started with worldSize ([23]) and rank (?!\1)[01] with (?!\2)[23]: start every rank with the same WORLD_SIZE \(--nnodes x --nproc-per-node\)$/);
  });

  test('two processes with the same RANK', async () => {
    const port = await freePort();
    const res = await runRanks('init-only', 3, { ...T, WORLD_SIZE: '3', MASTER_PORT: String(port), TEST_TIMEOUT_MS: '20000' }, (r) => (r === 2 ? { RANK: '1' } : {}));
    const errors = res.map((r) => r.json?.error ?? `rank ${r.rank}: ${r.stdout} ${r.stderr.slice(-500)}`);
    assert.ok(errors.some((e) => e === `two processes joined the rendezvous at 127.0.0.1:${port} as rank 1: give every process its own RANK`), JSON.stringify(errors));
    for (const e of errors) oneLine(e);
  });
});
