// Data-parallel training throughput on this machine: ViT-base-shaped training with 2 processes x 1
// thread (hubtune launch, Gloo over loopback, batch 4 per rank) against 1 process x 2 threads (batch
// 8): the same cores and the same global batch. Rounds interleaved; medians and the ratio (target:
// >= 0.9, since the cores are the same).
//   node --import tsx bench/ddp.ts [--rounds 3] [--steps 4] [--layers 12]
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { loadavg } from 'node:os';
import { median, round, ratio, machine } from './support/pytorch';

const here = dirname(fileURLToPath(import.meta.url));
const arg = (name: string, dflt: string) => { const i = process.argv.indexOf(`--${name}`); return i >= 0 ? process.argv[i + 1]! : dflt; };
const rounds = Number(arg('rounds', '3')), steps = arg('steps', '4'), layers = arg('layers', '12');
const atStart = machine();
const worker = join(here, 'support/ddp-worker.ts');

function runOnce(ddp: boolean): number {
  const env: NodeJS.ProcessEnv = { ...process.env };
  const args = ddp
    ? [join(here, '../bin/hubtune.mjs'), 'launch', '--nproc-per-node', '2', '--standalone', worker, '4', steps, layers]
    : ['--import', 'tsx', worker, '8', steps, layers];
  // each side gets hubtune's default threads: the cores for one process, 1 each for two (launch sets OMP_NUM_THREADS=1)
  delete env.HUBTUNE_BLAS_THREADS; delete env.HUBTUNE_NUM_THREADS; delete env.OMP_NUM_THREADS;
  const r = spawnSync(process.execPath, args, { env, encoding: 'utf8', timeout: 1_800_000 });
  const line = r.stdout.split('\n').find((l) => l.startsWith('{"samplesPerSecond"'));
  if (r.status !== 0 || !line) throw new Error(`${ddp ? '2 processes' : '1 process'} failed (${r.status}): ${(r.stderr || '').trim().split('\n').slice(-3).join(' | ')}`);
  return JSON.parse(line).samplesPerSecond;
}

const one: number[] = [], two: number[] = [];
for (let k = 0; k < rounds; k++) {
  if (k % 2 === 0) { one.push(runOnce(false)); two.push(runOnce(true)); } else { two.push(runOnce(true)); one.push(runOnce(false)); }
}
const [m1, m2] = [median(one), median(two)];
console.log(JSON.stringify({
  bench: 'ddp', model: `ViT-base/16 224 shape, ${layers} layers, fp32, global batch 8, ${steps} steps per run (first one not timed)`, rounds, machine: atStart,
  loadavgAtEnd: loadavg().map((x) => round(x, 2)),
  samplesPerSecond: { '1 process x 2 threads (batch 8)': round(m1, 3), '2 processes x 1 thread (batch 4 each)': round(m2, 3) },
  all: { one: one.map((x) => round(x, 3)), two: two.map((x) => round(x, 3)) },
  ratioTwoProcessesOverOne: ratio(m2, m1),
}, null, 2));
