// npm run bench:distributed: 2-process Gloo all-reduce over loopback, hubtune's binding vs a plain C++ c10d
// program (compiled here with g++ against the same libtorch), 1/10/100 MB, rounds interleaved, medians, ratios.
import { execFileSync, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';

const here = fileURLToPath(new URL('.', import.meta.url));
const SIZES = ['1', '10', '100'];
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3), REPS = Number(process.env.BENCH_REPS ?? 10);
const exe = join(tmpdir(), `hubtune-allreduce-${process.pid}`);
execFileSync('g++', ['-O2', '-std=c++17', '-DUSE_C10D_GLOO', join(here, 'distributed/allreduce.cc'), '-I/usr/include/torch/csrc/api/include', '-o', exe, '-Wl,--no-as-needed', '-ltorch', '-ltorch_cpu', '-lc10']);
const port = () => new Promise<number>((res) => { const s = createServer().listen(0, '127.0.0.1', () => { const p = (s.address() as any).port; s.close(() => res(p)); }); });
const run = (cmd: string, args: (r: number, p: number) => string[], env: (r: number, p: number) => Record<string, string>) => port().then((p) =>
  Promise.all([0, 1].map((r) => new Promise<Record<string, number>>((res, rej) => {
    const c = spawn(cmd, args(r, p), { env: { ...process.env, ...env(r, p) }, stdio: ['ignore', 'pipe', 'ignore'] });
    let o = ''; c.stdout.on('data', (d) => { o += d; });
    c.on('close', (code) => (code === 0 ? res(JSON.parse(o.trim().split('\n').pop()!)) : rej(new Error(`${cmd} rank ${r} exited ${code}`))));
  }))).then((x) => x[0]!));
const cpp: Record<string, number>[] = [], js: Record<string, number>[] = [];
for (let i = 0; i < ROUNDS; i++) {
  cpp.push(await run(exe, (r, p) => [String(r), '2', String(p), String(REPS), ...SIZES], () => ({})));
  js.push(await run(process.execPath, () => ['--import', 'tsx', join(here, 'distributed/rank.ts'), String(REPS), ...SIZES], (r, p) => ({ RANK: String(r), WORLD_SIZE: '2', MASTER_ADDR: '127.0.0.1', MASTER_PORT: String(p) })));
}
const med = (xs: number[]) => xs.sort((a, b) => a - b)[xs.length >> 1]!;
const result: Record<string, unknown> = { bench: 'distributed-allreduce', worldSize: 2, backend: 'gloo', transport: 'loopback', rounds: ROUNDS, repsPerRound: REPS };
for (const s of SIZES) {
  const c = med(cpp.map((x) => x[s]!)), h = med(js.map((x) => x[s]!));
  const mb = Number(s);
  result[`${s}MB`] = { cppMs: c, hubtuneMs: h, cppGBps: Number((mb / 1024 / (c / 1000)).toFixed(3)), hubtuneGBps: Number((mb / 1024 / (h / 1000)).toFixed(3)), hubtuneVsCpp: Number((c / h).toFixed(3)) };
}
console.log(JSON.stringify(result, null, 2));
