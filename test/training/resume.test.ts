// Kill-and-resume and Ctrl-C in real subprocesses: a resumed run ends with the same weights (bit
// for bit) and the same logged losses as an uninterrupted one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;
const script = join(root, 'test/training/fixtures/train-tiny.ts');
const env = { ...process.env, HUBTUNE_QUIET_BLAS_WARNING: '1' };
const tmp = () => mkdtempSync(join(tmpdir(), 'hubtune-resume-'));

function runToEnd(dir: string, extra: string[] = []) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', script, dir, ...extra], { cwd: root, env, encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, `training process failed: ${r.stderr}`);
  assert.match(r.stdout, /DONE at step 12/);
}
const finalWeights = (dir: string) => readFileSync(join(dir, 'final', 'model.safetensors'));
const losses = (dir: string) => JSON.parse(readFileSync(join(dir, 'trainer_state.json'), 'utf8')).log_history
  .filter((e: Record<string, number>) => 'loss' in e).map((e: Record<string, number>) => [e.step, e.loss]);

async function startAndWaitFor(dir: string, until: () => boolean, delayMs: number) {
  const child = spawn(process.execPath, ['--import', 'tsx', script, dir, '--step-delay-ms', String(delayMs)], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { out += d; });
  const exited = new Promise<number | null>((r) => child.on('exit', (code, signal) => r(code ?? (signal ? -1 : null))));
  const deadline = Date.now() + 90_000;
  while (!until()) {
    if (Date.now() > deadline) { child.kill('SIGKILL'); throw new Error(`timed out waiting; output: ${out}`); }
    if (child.exitCode !== null) throw new Error(`training exited early (${child.exitCode}): ${out}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  return { child, exited, output: () => out };
}

let reference: { weights: Buffer; losses: unknown } | null = null;
function getReference() {
  if (!reference) {
    const dir = tmp();
    runToEnd(dir);
    reference = { weights: finalWeights(dir), losses: losses(dir) };
  }
  return reference;
}

test('SIGKILL after checkpoint-3 appears, resume in a new process: identical weights and losses', async () => {
  const ref = getReference();
  const dir = tmp();
  const { child, exited } = await startAndWaitFor(dir, () => existsSync(join(dir, 'checkpoint-3')), 150);
  child.kill('SIGKILL');
  await exited;
  assert.ok(!existsSync(join(dir, 'final')), 'killed before the end');
  runToEnd(dir, ['--resume']);
  assert.ok(finalWeights(dir).equals(ref.weights), 'final weights differ from the uninterrupted run');
  assert.deepEqual(losses(dir), ref.losses);
});

test('Ctrl-C (SIGINT) saves a checkpoint at the current step and exits cleanly; resuming finishes the same run', async () => {
  const ref = getReference();
  const dir = tmp();
  const { child, exited, output } = await startAndWaitFor(dir, () => existsSync(join(dir, 'log_history.jsonl')) && readFileSync(join(dir, 'log_history.jsonl'), 'utf8').split('\n').length > 2, 200);
  child.kill('SIGINT');
  const code = await exited;
  assert.equal(code, 130, output());
  const m = /INTERRUPTED at step (\d+)/.exec(output());
  assert.ok(m, output());
  assert.ok(existsSync(join(dir, `checkpoint-${m![1]}`, 'trainer_state.json')), `checkpoint-${m![1]} saved (${readdirSync(dir)})`);
  assert.doesNotMatch(output(), /Error|at .*\.ts:\d+/);
  runToEnd(dir, ['--resume']);
  assert.ok(finalWeights(dir).equals(ref.weights), 'final weights differ from the uninterrupted run');
  assert.deepEqual(losses(dir), ref.losses);
});
