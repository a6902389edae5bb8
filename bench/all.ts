// Runs every bench script that exists (engine, models, generation, datasets, preprocessing-text,
// preprocessing-images), one after another in child processes, and prints one combined JSON object.
// A missing, failing or silent sub-bench is reported in the object, never fatal.
//
//   node --import tsx bench/all.ts [name...]     (names restrict the run, e.g. `engine datasets`)
//   env: BENCH_TIMEOUT_S (per sub-bench, default 900)
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { availableParallelism, cpus, loadavg } from 'node:os';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const BENCHES = ['engine', 'models', 'generation', 'datasets', 'preprocessing-text', 'preprocessing-images', 'serve'];
const timeoutS = Number(process.env.BENCH_TIMEOUT_S) > 0 ? Number(process.env.BENCH_TIMEOUT_S) : 900;

type Outcome =
  | { status: 'ok'; seconds: number; result: unknown }
  | { status: 'missing'; file: string }
  | { status: 'failed'; seconds: number; exitCode: number | null; signal?: string | null; error: string; result?: unknown };

/** The JSON a bench printed: its whole stdout, else the last parseable object starting on a line of its own. */
export function parseBenchOutput(stdout: string): unknown {
  const text = stdout.trim();
  if (!text) return undefined;
  try { return JSON.parse(text); } catch { /* logs around the JSON */ }
  const lines = text.split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    if (!lines[i]!.startsWith('{')) continue;
    for (let j = lines.length; j > i; j--) {
      try { return JSON.parse(lines.slice(i, j).join('\n')); } catch { /* try a shorter span */ }
    }
  }
  return undefined;
}

function tail(s: string, n = 5): string {
  return s.trim().split('\n').filter(Boolean).slice(-n).join(' | ');
}

function runOne(name: string): Outcome {
  const file = join(here, `${name}.ts`);
  if (!existsSync(file)) return { status: 'missing', file: relative(root, file) };
  const t0 = performance.now();
  const res = spawnSync(process.execPath, ['--import', 'tsx', file], {
    cwd: root, encoding: 'utf8', timeout: timeoutS * 1000, maxBuffer: 64 << 20, env: process.env,
  });
  const seconds = Number(((performance.now() - t0) / 1000).toFixed(1));
  const result = parseBenchOutput(res.stdout ?? '');
  if (res.error || res.status !== 0) {
    const why = res.error
      ? ((res.error as NodeJS.ErrnoException).code === 'ETIMEDOUT' ? `timed out after ${timeoutS} s (BENCH_TIMEOUT_S)` : res.error.message)
      : tail(res.stderr ?? '') || tail(res.stdout ?? '') || 'no output';
    return { status: 'failed', seconds, exitCode: res.status, signal: res.signal, error: why, ...(result !== undefined ? { result } : {}) };
  }
  if (result === undefined) return { status: 'failed', seconds, exitCode: 0, error: `printed no JSON: ${tail(res.stdout ?? '') || tail(res.stderr ?? '') || 'no output'}` };
  return { status: 'ok', seconds, result };
}

function main(): void {
  const asked = process.argv.slice(2);
  const unknown = asked.filter((a) => !BENCHES.includes(a));
  const names = asked.length ? BENCHES.filter((b) => asked.includes(b)) : BENCHES;
  const t0 = performance.now();
  const results: Record<string, Outcome> = {};
  for (const name of names) {
    process.stderr.write(`bench/all: ${name}...\n`);
    results[name] = runOne(name);
    process.stderr.write(`bench/all: ${name} ${results[name]!.status}\n`);
  }
  const by = (s: Outcome['status']) => Object.entries(results).filter(([, o]) => o.status === s).map(([n]) => n);
  const out = {
    bench: 'all',
    machine: { cores: availableParallelism(), cpu: cpus()[0]?.model ?? 'unknown', loadavg: loadavg().map((x) => Number(x.toFixed(2))) },
    node: process.version,
    summary: { ok: by('ok'), failed: by('failed'), missing: by('missing'), ...(unknown.length ? { unknownNames: unknown } : {}) },
    results,
    seconds: Number(((performance.now() - t0) / 1000).toFixed(1)),
  };
  console.log(JSON.stringify(out, null, 2));
}

main();
