// The PyTorch side of the speed benchmarks: Debian's python3-torch (installed with apt-get when it is
// missing and we may), driven as a long-lived worker so that hubtune and PyTorch rounds interleave
// in one run (both see the same machine load). The worker reads one JSON request per line and
// answers one JSON line; the Python files are in bench/support (*_worker.py).
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadavg, availableParallelism, cpus } from 'node:os';

export const PYTHON = process.env.BENCH_PYTHON || '/usr/bin/python3';
const here = dirname(fileURLToPath(import.meta.url));

/** Whether PYTHON imports torch; installs Debian's python3-torch first when it does not and we are root. */
export function ensurePythonTorch(log: (s: string) => void = (s) => process.stderr.write(`${s}\n`)): { ok: true; torch: string } | { ok: false; why: string } {
  const probe = () => spawnSync(PYTHON, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
  let r = probe();
  if (r.status !== 0 && !process.env.BENCH_NO_INSTALL && process.getuid?.() === 0 && PYTHON === '/usr/bin/python3') {
    log('bench: python3-torch is missing: apt-get install -y python3-torch (once; set BENCH_NO_INSTALL=1 to skip)');
    const inst = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'python3-torch'], {
      stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, timeout: 1_200_000,
    });
    if (inst.status !== 0) return { ok: false, why: `apt-get install python3-torch failed: ${(inst.stderr || '').trim().split('\n').pop()}` };
    r = probe();
  }
  if (r.status !== 0) return { ok: false, why: `${PYTHON} cannot import torch (apt-get install python3-torch, or set BENCH_PYTHON)` };
  return { ok: true, torch: r.stdout.trim() };
}

export class PyWorker {
  private readonly proc: ChildProcessWithoutNullStreams;
  private readonly pending: ((line: string) => void)[] = [];
  private stderr = '';
  private exited: string | null = null;
  constructor(script: string) {
    this.proc = spawn(PYTHON, [join(here, script)], { stdio: ['pipe', 'pipe', 'pipe'], env: process.env });
    createInterface({ input: this.proc.stdout }).on('line', (line) => this.pending.shift()?.(line));
    this.proc.stderr.on('data', (d) => { this.stderr = (this.stderr + String(d)).slice(-4000); });
    this.proc.on('exit', (code, sig) => {
      this.exited = `the PyTorch worker exited (${code ?? sig}): ${this.stderr.trim().split('\n').slice(-2).join(' | ')}`;
      for (const p of this.pending.splice(0)) p(JSON.stringify({ error: this.exited }));
    });
  }
  /** Sends a request and waits for its answer (an `error` field is thrown). */
  async call<T = Record<string, unknown>>(req: Record<string, unknown>): Promise<T> {
    if (this.exited) throw new Error(this.exited);
    const line = await new Promise<string>((resolve) => { this.pending.push(resolve); this.proc.stdin.write(`${JSON.stringify(req)}\n`); });
    const r = JSON.parse(line);
    if (r.error) throw new Error(`PyTorch worker: ${r.error}`);
    return r as T;
  }
  close(): void { this.proc.stdin.end(); }
}

export const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); const n = s.length; return n ? (n % 2 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2) : NaN; };
export const round = (x: number, d = 3) => Number(x.toFixed(d));
export const ratio = (a: number, b: number) => round(a / b, 2);
export function machine(): Record<string, unknown> {
  return { cores: availableParallelism(), cpu: cpus()[0]?.model ?? 'unknown', loadavgAtStart: loadavg().map((x) => round(x, 2)) };
}
export const load1 = () => round(loadavg()[0]!, 2);
