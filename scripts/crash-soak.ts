// Crash soak: SIGKILL a tiny training run (test/training/fixtures/train-tiny.ts) at random moments,
// some of them while a checkpoint is being written, resume each in a new process, and check that the
// resumed run ends bit-identical (final weights and logged losses) to an uninterrupted one and that
// resume never picked a checkpoint it could not load. Prints one JSON object; exits 1 on a mismatch.
//
//   node --import tsx scripts/crash-soak.ts [--runs 20] [--seed 1] [--step-delay-ms 40]
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getLastCheckpoint, verifyCheckpoint, sortedCheckpoints } from '../src/training/checkpoint';
import { createRng } from '../src/demo/rng';

const argv = process.argv.slice(2);
const flag = (name: string, dflt: string) => { const i = argv.indexOf(name); return i >= 0 ? argv[i + 1]! : dflt; };
const RUNS = Number(flag('--runs', '20'));
const DELAY = flag('--step-delay-ms', '40');
const rng = createRng(Number(flag('--seed', '1')));
const rnd = () => rng.next();
const root = fileURLToPath(new URL('..', import.meta.url));
const script = join(root, 'test/training/fixtures/train-tiny.ts');
const env = { ...process.env, HUBTUNE_QUIET_BLAS_WARNING: '1' };
const work = mkdtempSync(join(tmpdir(), 'hubtune-crash-soak-'));

function runToEnd(dir: string, resume: boolean): { ok: boolean; out: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', script, dir, ...(resume ? ['--resume'] : [])], { cwd: root, env, encoding: 'utf8', timeout: 300_000 });
  return { ok: r.status === 0 && /DONE at step 12/.test(r.stdout), out: `${r.stdout}${r.stderr}`.trim().split('\n').slice(-3).join(' | ') };
}
const finalWeights = (dir: string) => readFileSync(join(dir, 'final', 'model.safetensors'));
const losses = (dir: string) => JSON.stringify(JSON.parse(readFileSync(join(dir, 'trainer_state.json'), 'utf8')).log_history
  .filter((e: Record<string, number>) => 'loss' in e).map((e: Record<string, number>) => [e.step, e.loss]));
const tmpDirs = (dir: string) => (existsSync(dir) ? readdirSync(dir).filter((n) => /\.tmp-\d+$/.test(n)) : []);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const started = (dir: string) => existsSync(join(dir, 'log_history.jsonl'));

/** The uninterrupted run, with the same step delay; returns how long it trained (first log line to exit). */
async function referenceRun(dir: string): Promise<number> {
  const child = spawn(process.execPath, ['--import', 'tsx', script, dir, '--step-delay-ms', DELAY], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { out += d; });
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  while (!started(dir) && child.exitCode === null) await sleep(1);
  const t = Date.now();
  const code = await exited;
  if (code !== 0 || !/DONE at step 12/.test(out)) throw new Error(`the uninterrupted run failed: ${out.trim().split('\n').slice(-3).join(' | ')}`);
  return Date.now() - t;
}

/** Starts a run and SIGKILLs it: `afterMs` after its first step, or as soon as the `nthWrite`-th checkpoint write has begun. */
async function killedRun(dir: string, how: { afterMs: number } | { nthWrite: number; extraMs: number }) {
  const t0 = Date.now();
  const child = spawn(process.execPath, ['--import', 'tsx', script, dir, '--step-delay-ms', DELAY], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { out += d; });
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  let writesSeen = 0;
  let inWrite = false;
  if ('afterMs' in how) {
    while (!started(dir) && child.exitCode === null) await sleep(1);
    await Promise.race([sleep(how.afterMs), exited]);
  } else {
    // Poll for checkpoint-N.tmp-<pid>: it exists exactly while a checkpoint is being written.
    const seen = new Set<string>();
    while (child.exitCode === null) {
      for (const n of tmpDirs(dir)) if (!seen.has(n)) { seen.add(n); writesSeen++; }
      if (writesSeen >= how.nthWrite) break;
      await sleep(1);
    }
    if (how.extraMs) await sleep(how.extraMs);
  }
  const finished = child.exitCode !== null;
  inWrite = tmpDirs(dir).length > 0;
  child.kill('SIGKILL');
  await exited;
  // A temp folder left behind means the kill landed inside a checkpoint write.
  const leftTmp = tmpDirs(dir).length > 0;
  return { killedAtMs: Date.now() - t0, finishedBeforeKill: finished, duringWrite: !finished && (inWrite || leftTmp), out };
}

const t00 = Date.now();
const refDir = join(work, 'reference');
const refTrainMs = await referenceRun(refDir);
const refWeights = finalWeights(refDir);
const refLosses = losses(refDir);

interface Trial { run: number; kill: string; killedAtMs: number; duringWrite: boolean; checkpointsAfterKill: string[]; damaged: string[]; resumedFrom: string | null; identicalWeights: boolean; identicalLosses: boolean; error?: string }
const trials: Trial[] = [];
for (let i = 0; i < RUNS; i++) {
  const dir = join(work, `run-${i}`);
  // Half the kills at a random moment of the run; half just after a checkpoint write has begun.
  const how = i % 2 === 0 ? { afterMs: Math.floor(rnd() * refTrainMs) } : { nthWrite: 1 + Math.floor(rnd() * 4), extraMs: Math.floor(rnd() * 4) };
  const k = await killedRun(dir, how);
  const cks = sortedCheckpoints(dir).map((p) => p.split('/').pop()!);
  const damaged = sortedCheckpoints(dir).filter((p) => verifyCheckpoint(p) !== null).map((p) => p.split('/').pop()!);
  const last = getLastCheckpoint(dir);
  const trial: Trial = {
    run: i, kill: 'afterMs' in how ? `${how.afterMs} ms after step 1` : `at checkpoint write ${how.nthWrite} (+${how.extraMs} ms)`,
    killedAtMs: k.killedAtMs, duringWrite: k.duringWrite, checkpointsAfterKill: cks, damaged,
    resumedFrom: last ? last.split('/').pop()! : null, identicalWeights: false, identicalLosses: false,
  };
  if (k.finishedBeforeKill && existsSync(join(dir, 'final'))) {
    trial.resumedFrom = 'finished before the kill';
  } else {
    const r = runToEnd(dir, last !== null);
    if (!r.ok) trial.error = r.out;
  }
  if (existsSync(join(dir, 'final', 'model.safetensors'))) {
    trial.identicalWeights = finalWeights(dir).equals(refWeights);
    trial.identicalLosses = losses(dir) === refLosses;
  }
  trials.push(trial);
  process.stderr.write(`run ${i}: killed ${trial.kill}${trial.duringWrite ? ' (during a checkpoint write)' : ''}, resumed from ${trial.resumedFrom ?? 'the start'}: ${trial.identicalWeights && trial.identicalLosses ? 'identical' : `DIFFERENT ${trial.error ?? ''}`}\n`);
  rmSync(dir, { recursive: true, force: true });
}
rmSync(work, { recursive: true, force: true });

const bad = trials.filter((t) => !t.identicalWeights || !t.identicalLosses || t.error || t.damaged.length);
console.log(JSON.stringify({
  runs: trials.length,
  killsDuringCheckpointWrite: trials.filter((t) => t.duringWrite).length,
  resumedFromACheckpoint: trials.filter((t) => t.resumedFrom?.startsWith('checkpoint-')).length,
  restartedFromScratch: trials.filter((t) => t.resumedFrom === null).length,
  identicalToUninterrupted: trials.filter((t) => t.identicalWeights && t.identicalLosses).length,
  damagedCheckpointsSeen: trials.reduce((n, t) => n + t.damaged.length, 0),
  referenceTrainingMs: refTrainMs, seconds: Math.round((Date.now() - t00) / 1000),
  trials,
}, null, 2));
process.exit(bad.length ? 1 : 0);
