// Two "machines": two network namespaces joined by a veth pair, one rank in each, rendezvous over TCP.
// Needs `ip` and CAP_NET_ADMIN (root); skips saying which is missing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { runNode, WORKER } from './ranks';

const ip = (...a: string[]) => spawnSync('ip', a, { encoding: 'utf8' });

function setUp(): { skip?: string; nsA: string; nsB: string } {
  const id = `${process.pid % 100000}`;
  const nsA = `ht${id}a`, nsB = `ht${id}b`;
  const probe = ip('-V');
  if (probe.error) return { skip: "the 'ip' command (iproute2) is not installed", nsA, nsB };
  const add = ip('netns', 'add', nsA);
  if (add.status !== 0) return { skip: `cannot create a network namespace (needs CAP_NET_ADMIN / root): ${add.stderr.trim()}`, nsA, nsB };
  const steps = [
    ['netns', 'add', nsB],
    ['link', 'add', `${nsA}v`, 'type', 'veth', 'peer', 'name', `${nsB}v`],
    ['link', 'set', `${nsA}v`, 'netns', nsA],
    ['link', 'set', `${nsB}v`, 'netns', nsB],
    ['-n', nsA, 'addr', 'add', '10.231.7.1/24', 'dev', `${nsA}v`],
    ['-n', nsB, 'addr', 'add', '10.231.7.2/24', 'dev', `${nsB}v`],
    ['-n', nsA, 'link', 'set', `${nsA}v`, 'up'], ['-n', nsB, 'link', 'set', `${nsB}v`, 'up'],
    ['-n', nsA, 'link', 'set', 'lo', 'up'], ['-n', nsB, 'link', 'set', 'lo', 'up'],
  ];
  for (const s of steps) {
    const r = ip(...s);
    if (r.status !== 0) { tearDown(nsA, nsB); throw new Error(`ip ${s.join(' ')} failed: ${r.stderr.trim()}`); }
  }
  return { nsA, nsB };
}

function tearDown(nsA: string, nsB: string): void {
  ip('netns', 'del', nsA); // deleting a namespace removes its end of the veth pair, and so the pair
  ip('netns', 'del', nsB);
}

test('two network namespaces joined by a veth pair: one rank in each, every collective', async (t) => {
  const ns = setUp();
  if (ns.skip) { t.skip(ns.skip); return; }
  try {
    const env = { WORLD_SIZE: '2', MASTER_ADDR: '10.231.7.1', MASTER_PORT: '29561', TEST_TIMEOUT_MS: '30000' };
    const [a, b] = await Promise.all([
      runNode([WORKER, 'collectives'], { ...env, RANK: '0' }, 90000, ['ip', 'netns', 'exec', ns.nsA, process.execPath]),
      runNode([WORKER, 'collectives'], { ...env, RANK: '1' }, 90000, ['ip', 'netns', 'exec', ns.nsB, process.execPath]),
    ]);
    for (const [rank, r] of [[0, a], [1, b]] as const) {
      assert.equal(r.code, 0, `rank ${rank}: ${r.stdout} ${r.stderr.slice(-1500)}`);
      assert.equal(r.json.rank, rank);
      assert.deepEqual(r.json.sum, [4, -3]);
      assert.deepEqual(r.json.allGather, [[0.5, 0.5], [1.5, 1.5]]);
      assert.deepEqual(r.json.big, [3, 3]);
    }
  } finally {
    tearDown(ns.nsA, ns.nsB);
  }
});
