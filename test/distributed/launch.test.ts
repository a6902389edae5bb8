// hubtune launch: torchrun's environment, failure of one rank stops the others, signals forwarded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { launch } from '../../src/distributed/launch';
import { parseLaunchArgs } from '../../src/distributed/launch-args';
import { WORKER } from './ranks';

const CHILD = fileURLToPath(new URL('./launch-child.mjs', import.meta.url));
const BIN = fileURLToPath(new URL('../../bin/hubtune.mjs', import.meta.url));

/** Runs the hubtune CLI; `onLine` sees each stdout line (and may signal the launcher). */
function hubtune(args: string[], env: Record<string, string> = {}, onLine?: (line: string, pid: number) => void) {
  return new Promise<{ code: number | null; signal: string | null; lines: any[]; stderr: string }>((res) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', stderr = '';
    const lines: any[] = [];
    child.stdout.on('data', (d) => {
      out += d;
      let nl;
      while ((nl = out.indexOf('\n')) >= 0) {
        const l = out.slice(0, nl); out = out.slice(nl + 1);
        if (l.startsWith('{')) { lines.push(JSON.parse(l)); onLine?.(l, child.pid!); }
      }
    });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.on('close', (code, signal) => { clearTimeout(timer); res({ code, signal, lines, stderr }); });
  });
}

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch { return false; }
}

test('launch arguments: torchrun spellings, --flag=value, script arguments untouched', () => {
  assert.deepEqual(parseLaunchArgs(['--nproc_per_node=2', '--nnodes', '2', '--node-rank', '1', '--master_addr', '10.0.0.1', '--master-port=1234', 'x.ts', '--lr', '3', '--nnodes', '9']),
    { nprocPerNode: 2, nnodes: 2, nodeRank: 1, masterAddr: '10.0.0.1', masterPort: 1234, script: 'x.ts', args: ['--lr', '3', '--nnodes', '9'] });
  assert.throws(() => parseLaunchArgs(['--nprocs', '2', 'x.ts']), /^DistributedError: hubtune launch: unknown option '--nprocs'/);
  assert.throws(() => parseLaunchArgs(['--nnodes', '1:4', 'x.ts']), /elastic training, which hubtune does not do/);
  assert.throws(() => parseLaunchArgs(['--nproc-per-node', 'gpu', 'x.ts']), /must be a number of processes/);
  assert.throws(() => launch({ nprocPerNode: 2, nnodes: 2, script: CHILD }), /--nnodes 2 needs --master-addr/);
  assert.throws(() => launch({ nprocPerNode: 2, nnodes: 2, nodeRank: 2, masterAddr: 'a', script: CHILD }), /--node-rank 2 is outside --nnodes 2/);
  assert.throws(() => launch({ nprocPerNode: 1, script: '/no/such/script.js' }), /script \/no\/such\/script\.js does not exist/);
});

test('each process gets torchrun\'s environment (node 1 of 2)', async () => {
  const r = await hubtune(['launch', '--nproc_per_node', '2', '--nnodes=2', '--node-rank', '1', '--master-addr', '127.0.0.1', '--master-port', '29999', CHILD, 'env', '--x', 'y'], { OMP_NUM_THREADS: '' });
  assert.equal(r.code, 0, r.stderr);
  const byRank = Object.fromEntries(r.lines.map((l) => [l.rank, l]));
  for (const [rank, local] of [[2, 0], [3, 1]] as const) {
    assert.deepEqual(byRank[rank].env, {
      RANK: String(rank), LOCAL_RANK: String(local), WORLD_SIZE: '4', LOCAL_WORLD_SIZE: '2', GROUP_RANK: '1',
      MASTER_ADDR: '127.0.0.1', MASTER_PORT: '29999', OMP_NUM_THREADS: '',
    });
    assert.deepEqual(byRank[rank].args, ['--x', 'y']);
  }
});

test('--help after the script is the script\'s (torchrun\'s rule); before it, the launcher\'s help', async () => {
  const r = await hubtune(['launch', '--nproc-per-node', '1', CHILD, 'env', '--help', '-h'], { OMP_NUM_THREADS: '' });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.lines.map((l) => l.args), [['--help', '-h']]);
  const help = spawnSync(process.execPath, [BIN, 'launch', '--help'], { encoding: 'utf8' });
  assert.equal(help.status, 0, help.stderr);
  assert.match(help.stdout, /Usage: hubtune launch \[--nproc-per-node N\]/);
});

test('when one rank exits non-zero the others are stopped and the launcher names it', async () => {
  const lines: string[] = [];
  const res = await launch({ nprocPerNode: 2, script: CHILD, args: ['fail'], log: (l) => lines.push(l), env: { ...process.env, OMP_NUM_THREADS: '1' } });
  assert.equal(res.exitCode, 3);
  assert.equal(res.failure?.rank, 1);
  assert.equal(res.failure?.code, 3);
  assert.match(res.message!, /^hubtune launch: rank 1 \(local rank 1, pid \d+\) exited with code 3; stopped the other ranks$/);
  assert.ok(lines.some((l) => /rank 1 .* exited with code 3; stopping the other ranks/.test(l)));
});

test('a rank that ignores SIGTERM is killed after the kill timeout; a killed rank is named with its signal', async () => {
  const pids: number[] = [];
  const r = await hubtune(['launch', '--nproc-per-node', '2', CHILD, 'stubborn'], { HUBTUNE_LAUNCH_KILL_TIMEOUT_MS: '1000' }, (l) => { pids.push(JSON.parse(l).pid); });
  assert.equal(r.code, 128 + 9, r.stderr);
  assert.match(r.stderr, /hubtune launch: rank 1 \(local rank 1, pid \d+\) was killed by SIGKILL; stopped the other ranks/);
  assert.ok(r.lines.some((l) => l.rank === 0 && l.ignoredSigterm), 'rank 0 saw the SIGTERM first');
  for (const pid of pids) assert.equal(alive(pid), false, `pid ${pid} still runs`);
});

test('SIGTERM to the launcher reaches every rank; the launcher exits 143', async () => {
  let ready = 0;
  const r = await hubtune(['launch', '--nproc-per-node', '2', CHILD, 'signal'], {}, (l, pid) => {
    if (JSON.parse(l).ready && ++ready === 2) process.kill(pid, 'SIGTERM');
  });
  assert.equal(r.code, 143, r.stderr);
  assert.deepEqual(r.lines.filter((l) => l.gotSigterm).map((l) => l.rank).sort(), [0, 1]);
  assert.match(r.stderr, /hubtune launch: stopped by SIGTERM/);
});

test('a TypeScript script under launch --standalone joins one process group', async () => {
  const r = await hubtune(['launch', '--standalone', '--nproc-per-node', '2', WORKER, 'ticks']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.lines.map((l) => l.rank).sort(), [0, 1]);
  for (const l of r.lines) assert.deepEqual(l.value, [4]);
});

test('hubtune train --nproc-per-node 2 runs itself as 2 ranks through the launcher', async () => {
  const r = await hubtune(['train', '--nproc-per-node', '2', '--recipe', '/no/such/recipe.yaml']);
  assert.equal(r.code, 1);
  // Both ranks ran `train` (without --nproc-per-node, so neither launched again) and failed on the recipe.
  assert.match(r.stderr, /error: recipe file not found: \/no\/such\/recipe\.yaml/);
  assert.match(r.stderr, /hubtune launch: rank [01] \(local rank [01], pid \d+\) exited with code 1; stopped the other ranks/);
  assert.doesNotMatch(r.stderr, /OMP_NUM_THREADS set to 1 for each of the 2 processes[^]*OMP_NUM_THREADS set to 1/);
});
