// Test helpers: run a script as N ranks of one job (torchrun's environment), collect what each prints.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

export const WORKER = fileURLToPath(new URL('./worker.ts', import.meta.url));

export interface RankResult { rank: number; code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; json: any }

/** A TCP port that was free a moment ago (listen on 0, close). */
export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => { const p = (s.address() as any).port; s.close(() => res(p)); });
  });
}

/** Runs `node --import tsx <script> ...args` once with `env` (killed after killAfterMs, never left hanging). */
export function runNode(args: string[], env: Record<string, string | undefined>, killAfterMs = 60000, cmd: string[] = []): Promise<Omit<RankResult, 'rank'>> {
  return new Promise((res) => {
    const argv = cmd.length ? cmd : [process.execPath];
    const child = spawn(argv[0]!, [...argv.slice(1), '--import', 'tsx', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const last = stdout.trim().split('\n').filter((l) => l.startsWith('{')).pop();
      res({ code, signal, stdout, stderr, json: last ? JSON.parse(last) : undefined });
    });
  });
}

/** Runs the worker scenario as ranks 0..n-1 (per-rank env overrides in `perRank`). */
export async function runRanks(scenario: string, n: number, env: Record<string, string> = {}, perRank: (r: number) => Record<string, string | undefined> = () => ({})): Promise<RankResult[]> {
  const base = { WORLD_SIZE: String(n), MASTER_ADDR: '127.0.0.1', LOCAL_WORLD_SIZE: String(n), ...env };
  const runs = Array.from({ length: n }, (_, r) =>
    runNode([WORKER, scenario], { ...base, RANK: String(r), LOCAL_RANK: String(r), ...perRank(r) }).then((x) => ({ rank: r, ...x })));
  return Promise.all(runs);
}
