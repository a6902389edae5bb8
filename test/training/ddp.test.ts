// Data-parallel training over 2 processes (Gloo on loopback, started by `hubtune launch`) against one
// process with the same global batch: 2 ranks x batch 4 equal 1 x batch 8, with gradient accumulation,
// clipping, evaluation and checkpoints; resuming across world sizes; a killed rank; unequal models.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(new URL('../..', import.meta.url).pathname);
const SCRIPT = join(ROOT, 'test/support/ddp-train.ts');
let work: string;
before(() => { work = mkdtempSync(join(tmpdir(), 'hubtune-ddp-')); });
after(() => rmSync(work, { recursive: true, force: true }));

interface Result { logHistory: Record<string, number>[]; weights: Record<string, number[]>; predictions?: number[][] }

function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; out: string }> {
  return new Promise((res) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env } });
    let out = '';
    child.stdout.on('data', (d) => { out += String(d); });
    child.stderr.on('data', (d) => { out += String(d); });
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('close', (code) => { clearTimeout(timer); res({ code, out }); });
  });
}
const single = (dir: string, rest: string[] = [], env: Record<string, string> = {}) => run(['--import', 'tsx', SCRIPT, join(work, dir), '8', ...rest], env);
const twoRanks = (dir: string, rest: string[] = [], env: Record<string, string> = {}) =>
  run([join(ROOT, 'bin/hubtune.mjs'), 'launch', '--nproc-per-node', '2', '--standalone', SCRIPT, join(work, dir), '4', ...rest], env);
const result = (dir: string): Result => JSON.parse(readFileSync(join(work, dir, 'result.json'), 'utf8'));
const losses = (r: Result) => r.logHistory.filter((e) => 'loss' in e || 'eval_loss' in e).map((e) => [e.step, e.loss ?? e.eval_loss]);

function assertSameRun(a: Result, b: Result, what: string): void {
  const la = losses(a), lb = losses(b);
  assert.equal(la.length, lb.length, what);
  la.forEach(([step, x], i) => {
    assert.equal(lb[i]![0], step, what);
    assert.ok(Math.abs(x! - lb[i]![1]!) <= 1e-5 * Math.abs(x!), `${what}: loss at step ${step}: ${x} vs ${lb[i]![1]}`);
  });
  // relative to the model's largest weight: a key bias (zero gradient in exact arithmetic) is only rounding noise
  const scale = Math.max(...Object.values(a.weights).map((w) => Math.max(...w.map(Math.abs))));
  for (const [k, wa] of Object.entries(a.weights)) {
    const wb = b.weights[k]!;
    const diff = Math.max(...wa.map((v, i) => Math.abs(v - wb[i]!)));
    assert.ok(diff <= 1e-5 * scale, `${what}: ${k} differs by ${diff} (the largest weight is ${scale})`);
  }
}

test('2 processes x batch 4 train like 1 process x batch 8: loss curve, evaluations and final weights', async () => {
  const [a, b] = await Promise.all([single('single'), twoRanks('two')]);
  assert.equal(a.code, 0, a.out);
  assert.equal(b.code, 0, b.out);
  assertSameRun(result('single'), result('two'), '2x4 vs 1x8');
  assert.equal(losses(result('two')).length, 6, '4 logged steps and 2 evaluations');
  // predict over 10 rows: each row predicted once across the ranks, in order, the evening-out repeats dropped
  const [pa, pb] = [result('single').predictions!, result('two').predictions!];
  assert.equal(pb.length, 10);
  const steps = (dir: string, rank: number) => Number(readFileSync(join(work, dir, `prediction-steps-rank${rank}.json`), 'utf8'));
  assert.deepEqual([steps('single', 0), steps('two', 0), steps('two', 1)], [2, 1, 1], 'each rank predicts one of the two batches of 8');
  pa.forEach((row, i) => row.forEach((v, j) => assert.ok(Math.abs(v - pb[i]![j]!) <= 1e-5, `prediction ${i}`)));
  assert.ok(existsSync(join(work, 'two', 'checkpoint-2', 'model.safetensors')) && existsSync(join(work, 'two', 'checkpoint-4')), 'rank 0 saved the checkpoints');
});

test('resume across world sizes: 1 process from a 2-rank checkpoint, and 2 ranks from a 1-process one', async () => {
  const [a, b] = await Promise.all([
    single('resume-1-of-2', [join(work, 'two', 'checkpoint-2')]),
    twoRanks('resume-2-of-1', [join(work, 'single', 'checkpoint-2')]),
  ]);
  assert.equal(a.code, 0, a.out);
  assert.equal(b.code, 0, b.out);
  const full = result('single');
  for (const dir of ['resume-1-of-2', 'resume-2-of-1']) {
    const r = result(dir);
    assert.deepEqual(r.weights && Object.keys(r.weights), Object.keys(full.weights));
    assertSameRun({ logHistory: full.logHistory.filter((e) => e.step! > 2), weights: full.weights }, { logHistory: r.logHistory.filter((e) => e.step! > 2), weights: r.weights }, dir);
  }
});

test('a rank killed mid-training ends the job with the rank named; a resume from the last checkpoint finishes the run', async () => {
  const killed = await twoRanks('killed', [], { DDP_TEST_KILL_RANK: '1', HUBTUNE_LAUNCH_KILL_TIMEOUT_MS: '3000' });
  assert.notEqual(killed.code, 0);
  assert.match(killed.out, /rank 1\b.*(SIGKILL|signal)/i);
  assert.ok(!existsSync(join(work, 'killed', 'result.json')));
  const resumed = await twoRanks('killed', [join(work, 'killed', 'checkpoint-2')]);
  assert.equal(resumed.code, 0, resumed.out);
  assertSameRun(result('single'), result('killed'), 'killed then resumed');
});

test('from a stream: each rank keeps its slice of every global batch (accelerate\'s IterableDatasetShard), like one process', async () => {
  const env = { DDP_TEST_STREAMING: '1' };
  const [a, b] = await Promise.all([single('stream-single', [], env), twoRanks('stream-two', [], env)]);
  assert.equal(a.code, 0, a.out);
  assert.equal(b.code, 0, b.out);
  assertSameRun(result('stream-single'), result('stream-two'), 'streaming 2x4 vs 1x8');
});

test('a model that differs between ranks is refused at the first broadcast, in one line', async () => {
  const r = await twoRanks('mismatch', [], { DDP_TEST_MISMATCH: '1' });
  assert.notEqual(r.code, 0);
  assert.match(r.out, /the model differs between ranks: rank 1 has \d+ tensors/);
  assert.ok(!existsSync(join(work, 'mismatch', 'checkpoint-2')), 'nothing trained or saved');
});
