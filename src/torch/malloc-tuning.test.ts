// glibc malloc tuning at addon load (native/allocator.cc TuneMalloc): a training-like loop that frees
// and re-allocates its activations each step reuses that memory instead of taking fresh pages from the
// kernel every step. Each case runs in its own process (malloc settings are process-wide).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

const glibc = Boolean((process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header?.glibcVersionRuntime);

// 4 steps of 48 activations of 1-8 MB (~200 MB), freed together; minor page faults of steps 2-4.
const code = `import('./src/torch/index.ts').then((m) => {
  const step = () => { const ts = []; for (let i = 0; i < 48; i++) { const t = m.empty([(1 + (i % 8)) * 262144]); t.fill_(1); ts.push(t); } ts.forEach((t) => t.dispose()); };
  step();
  const f0 = process.resourceUsage().minorPageFault;
  for (let k = 0; k < 3; k++) step();
  console.log(process.resourceUsage().minorPageFault - f0);
})`;
function faults(env: Record<string, string>): number {
  const env2: Record<string, string | undefined> = { ...process.env, ...env };
  delete env2.GLIBC_TUNABLES;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', code], { env: env2 as NodeJS.ProcessEnv, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return Number(r.stdout.trim().split('\n').pop());
}

test('freed activations are reused without fresh pages; HUBTUNE_MALLOC_TUNING=0 and a user\'s MALLOC_ setting keep glibc\'s defaults', { skip: glibc ? false : 'not glibc: no malloc tuning' }, () => {
  const tuned = faults({});
  const plain = faults({ HUBTUNE_MALLOC_TUNING: '0' });
  const user = faults({ MALLOC_TRIM_THRESHOLD_: '131072' });
  const pages = (3 * 48 * 4.5 * 262144 * 4) / 4096; // what fresh pages for every step would cost
  assert.ok(tuned < pages * 0.05, `tuned: ${tuned} page faults in 3 steps (fresh memory every step would be ${pages})`);
  assert.ok(plain > pages * 0.5, `glibc defaults: ${plain} page faults (expected most of ${pages})`);
  assert.ok(user > pages * 0.5, `user setting: ${user} page faults (expected most of ${pages})`);
});
