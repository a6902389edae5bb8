// profileOps: the ATen ops and autograd nodes a piece of code runs, counted with their total and self
// (children excluded) CPU time per name, from the RecordFunction hook torch.profiler uses (native/
// profiler.cc). Compare with torch.autograd.profiler.profile().key_averages() on the same step in Python.
//
//   const { result, ops } = profileOps(() => trainStep());
//   console.log(formatOps(ops, 20));
import { native as N } from './native';

export interface OpStat { name: string; count: number; totalMs: number; selfMs: number }

/** Runs fn (synchronous) under the op profiler; ops sorted by self time. recordShapes groups by input dtypes and shapes too. */
export function profileOps<T>(fn: () => T, o: { recordShapes?: boolean } = {}): { result: T; ops: OpStat[] } {
  N.profilerStart(!!o.recordShapes);
  let rows: [string, number, number, number][] = [];
  let result: T;
  try {
    result = fn();
  } finally {
    rows = N.profilerStop();
  }
  if (result && typeof (result as { then?: unknown }).then === 'function') throw new Error('profileOps() takes a synchronous function');
  const ops = rows.map(([name, count, totalUs, selfUs]) => ({ name, count, totalMs: totalUs / 1000, selfMs: selfUs / 1000 }));
  ops.sort((a, b) => b.selfMs - a.selfMs);
  return { result, ops };
}

/** A text table of the first `limit` ops (name, calls, self ms, total ms), like key_averages().table(). */
export function formatOps(ops: OpStat[], limit = 30): string {
  const w = Math.min(60, Math.max(4, ...ops.slice(0, limit).map((o) => o.name.length)));
  const selfTotal = ops.reduce((s, o) => s + o.selfMs, 0);
  const line = (a: string, b: string, c: string, d: string) => `${a.slice(0, w).padEnd(w)} ${b.padStart(7)} ${c.padStart(10)} ${d.padStart(10)}`;
  return [line('name', 'calls', 'self ms', 'total ms'),
    ...ops.slice(0, limit).map((o) => line(o.name, String(o.count), o.selfMs.toFixed(1), o.totalMs.toFixed(1))),
    line('self total', '', selfTotal.toFixed(1), '')].join('\n');
}
