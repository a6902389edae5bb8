// Engine speed against its references (issue 2, item 10). Prints one JSON object.
//
//  - SGEMM GFLOP/s at 1024 and 2048 (`a.matmul(b)`, float32 randn) through hubtune and through a
//    direct C++ at::mm (bench/support/engine_bench.cc, compiled once with g++ against the same
//    libtorch and cached); target hubtune / C++ >= 0.95.
//  - Per-op overhead: a 1-element `add` (result disposed), plain and with requiresGrad, against C++
//    at::add; target <= 3 µs through hubtune.
//  - A BERT-base-size encoder layer (hidden 768, 12 heads, seq 128, batch 8, intermediate 3072, GELU,
//    post-LayerNorm, no dropout) forward+backward, built from hubtune's nn, against the same layer in
//    Debian's python3-torch (bench/support/engine_bench.py) and in C++; target hubtune <= 1.05 x torch.
//    Two attention variants: 'fused' (F.scaledDotProductAttention -> at::_scaled_dot_product_attention)
//    and 'composed' (matmul + softmax + matmul).
//
// Every implementation runs with the same thread settings: hubtune's (intra-op 1, OpenBLAS = cores
// unless HUBTUNE_NUM_THREADS / HUBTUNE_BLAS_THREADS say otherwise). The machine is shared, so the
// implementations run in interleaved rounds (hubtune, C++, Python, then the reverse) and medians are
// taken over all rounds' samples.
//
// Env: BENCH_ROUNDS (2), BENCH_COMPOSED_ROUNDS (1), BENCH_ENCODER_REPS (3 per round), BENCH_ENCODER_WARMUP (1 per round),
// BENCH_SECTIONS (comma list of sgemm,add,encoder-fused,encoder-composed; default all),
// BENCH_PYTHON (/usr/bin/python3), BENCH_NO_CPP=1, BENCH_NO_PYTHON=1, CXX (g++).
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { spawnSync, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import * as torch from '../src/torch/index';
import { native } from '../src/torch/native';

const { nn, F, tidy } = torch;
type Tensor = torch.Tensor;

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');
const envInt = (name: string, d: number) => {
  const v = Number(process.env[name]);
  return Number.isInteger(v) && v > 0 ? v : d;
};
const ROUNDS = envInt('BENCH_ROUNDS', 2);
// The composed-attention variant is the investigation, not the target: fewer rounds by default.
const COMPOSED_ROUNDS = envInt('BENCH_COMPOSED_ROUNDS', Math.max(1, ROUNDS - 1));
const ENC_REPS = envInt('BENCH_ENCODER_REPS', 3);
const ENC_WARMUP = Number.isInteger(Number(process.env.BENCH_ENCODER_WARMUP)) && process.env.BENCH_ENCODER_WARMUP !== undefined
  ? Number(process.env.BENCH_ENCODER_WARMUP) : 1;
const ALL_SECTIONS = ['sgemm', 'add', 'encoder-fused', 'encoder-composed'] as const;
type Section = (typeof ALL_SECTIONS)[number];
const SECTIONS: Section[] = process.env.BENCH_SECTIONS
  ? (process.env.BENCH_SECTIONS.split(',').map((s) => s.trim()).filter((s) => (ALL_SECTIONS as readonly string[]).includes(s)) as Section[])
  : [...ALL_SECTIONS];

function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
const round = (x: number, d = 3) => (Number.isFinite(x) ? Number(x.toFixed(d)) : null);

// ---- results of one implementation, merged across rounds --------------------------------------
interface EncoderRun { ms: number; forwardMs: number; backwardMs: number; samples: number[] }
interface ImplResult {
  torch?: string;
  threads?: { intraOp: number; blas: number };
  sgemm?: Record<string, { gflops: number; samples: number[] }>;
  add?: { us: number; usRequiresGrad: number };
  encoderFused?: EncoderRun;
  encoderComposed?: EncoderRun;
}
class Collected {
  sgemm: Record<string, number[]> = {};
  add: number[] = [];
  addGrad: number[] = [];
  enc: Record<'fused' | 'composed', { tot: number[]; fwd: number[]; bwd: number[] }> = {
    fused: { tot: [], fwd: [], bwd: [] }, composed: { tot: [], fwd: [], bwd: [] },
  };
  threads?: { intraOp: number; blas: number };
  torch?: string;
  error?: string;
  push(r: ImplResult): void {
    this.threads ??= r.threads;
    this.torch ??= r.torch;
    for (const [n, v] of Object.entries(r.sgemm ?? {})) (this.sgemm[n] ??= []).push(...v.samples);
    if (r.add) { this.add.push(r.add.us); this.addGrad.push(r.add.usRequiresGrad); }
    for (const [k, e] of [['fused', r.encoderFused], ['composed', r.encoderComposed]] as const) {
      if (!e) continue;
      // Children report per-iteration totals and medians of forward/backward: keep the medians per round.
      this.enc[k].tot.push(...e.samples);
      this.enc[k].fwd.push(e.forwardMs);
      this.enc[k].bwd.push(e.backwardMs);
    }
  }
  gflops(n: number): number { return median(this.sgemm[String(n)] ?? []); }
  bestGflops(n: number): number { const g = this.sgemm[String(n)] ?? []; return g.length ? Math.max(...g) : NaN; }
  encoder(k: 'fused' | 'composed') {
    const e = this.enc[k];
    if (e.tot.length === 0) return null;
    return { ms: round(median(e.tot), 1), minMs: round(Math.min(...e.tot), 1), forwardMs: round(median(e.fwd), 1), backwardMs: round(median(e.bwd), 1), samples: e.tot.map((x) => round(x, 1)) };
  }
}

// ---- hubtune side ------------------------------------------------------------------------------
function hubSgemm(): ImplResult['sgemm'] {
  const out: NonNullable<ImplResult['sgemm']> = {};
  for (const n of [1024, 2048]) {
    const a = torch.randn([n, n]);
    const b = torch.randn([n, n]);
    a.matmul(b).dispose();
    const g: number[] = [];
    for (let r = 0; r < (n <= 1024 ? 8 : 4); r++) {
      const t0 = performance.now();
      const c = a.matmul(b);
      const dt = (performance.now() - t0) / 1000;
      c.dispose();
      g.push((2 * n ** 3) / dt / 1e9);
    }
    a.dispose();
    b.dispose();
    out[String(n)] = { gflops: median(g), samples: g };
  }
  return out;
}

function hubAdd(): ImplResult['add'] {
  const run = (grad: boolean) => {
    const a = torch.randn([1], { requiresGrad: grad });
    const b = torch.randn([1]);
    const batch = 1000;
    for (let i = 0; i < 5000; i++) a.add(b).dispose();
    const us: number[] = [];
    for (let k = 0; k < 200; k++) {
      const t0 = performance.now();
      for (let i = 0; i < batch; i++) a.add(b).dispose();
      us.push(((performance.now() - t0) * 1000) / batch);
    }
    a.dispose();
    b.dispose();
    return median(us);
  };
  return { us: run(false), usRequiresGrad: run(true) };
}

/**
 * Where the per-op time goes: an empty N-API call, the addon's add + dispose on raw handles (no JS
 * Tensor), and the whole Tensor path. Medians over 100 batches of 1000, µs per op.
 */
let breakdown: Record<string, number | null> | undefined;
function overheadBreakdown(): Record<string, number | null> {
  const time = (fn: () => void) => {
    for (let i = 0; i < 5000; i++) fn();
    const us: number[] = [];
    for (let k = 0; k < 100; k++) {
      const t0 = performance.now();
      for (let i = 0; i < 1000; i++) fn();
      us.push(performance.now() - t0);
    }
    return round(median(us), 3);
  };
  const a = torch.randn([1]);
  const b = torch.randn([1]);
  const out = {
    emptyNapiCallUs: time(() => { native.isGradEnabled(); }),
    unwrapOneTensorUs: time(() => { native.numel(a._h); }),
    nativeAddAndDisposeUs: time(() => { native.dispose(native.binary(0, a._h, b._h)); }),
    nativeAddNoDisposeUs: time(() => { native.binary(0, a._h, b._h); }),
    tensorAddAndDisposeUs: time(() => { a.add(b).dispose(); }),
  };
  a.dispose();
  b.dispose();
  return out;
}

const B = 8, L = 128, HIDDEN = 768, HEADS = 12, HEAD_DIM = 64, INTER = 3072, EPS = 1e-12;

/** BERT's layer (BertSelfAttention + BertSelfOutput + BertIntermediate + BertOutput), dropout off. */
class EncoderLayer extends nn.Module {
  query = this.registerModule('query', new nn.Linear(HIDDEN, HIDDEN));
  key = this.registerModule('key', new nn.Linear(HIDDEN, HIDDEN));
  value = this.registerModule('value', new nn.Linear(HIDDEN, HIDDEN));
  attnOut = this.registerModule('attnOut', new nn.Linear(HIDDEN, HIDDEN));
  ln1 = this.registerModule('ln1', new nn.LayerNorm(HIDDEN, EPS));
  intermediate = this.registerModule('intermediate', new nn.Linear(HIDDEN, INTER));
  output = this.registerModule('output', new nn.Linear(INTER, HIDDEN));
  ln2 = this.registerModule('ln2', new nn.LayerNorm(HIDDEN, EPS));
  constructor(readonly attention: 'fused' | 'composed') { super(); }

  private heads(t: Tensor): Tensor { return t.view(B, L, HEADS, HEAD_DIM).transpose(1, 2); }
  /** Intermediates are left to the caller's tidy() scope. */
  forward(x: Tensor): Tensor {
    const q = this.heads(this.query.forward(x));
    const k = this.heads(this.key.forward(x));
    const v = this.heads(this.value.forward(x));
    let ctx: Tensor;
    if (this.attention === 'fused') ctx = F.scaledDotProductAttention(q, k, v).output;
    else ctx = q.matmul(k.transpose(-1, -2)).div(Math.sqrt(HEAD_DIM)).softmax(-1).matmul(v);
    const merged = ctx.transpose(1, 2).reshape(B, L, HIDDEN);
    const h = this.ln1.forward(this.attnOut.forward(merged).add(x));
    const inter = F.gelu(this.intermediate.forward(h));
    return this.ln2.forward(this.output.forward(inter).add(h));
  }
}

function hubEncoder(kind: 'fused' | 'composed', layer: EncoderLayer, x: Tensor): EncoderRun {
  const params = layer.parameters();
  const tot: number[] = [], fwd: number[] = [], bwd: number[] = [];
  for (let r = 0; r < ENC_WARMUP + ENC_REPS; r++) {
    for (const p of params) p.grad = null;
    x.grad = null;
    const t0 = performance.now();
    const loss = tidy(() => layer.forward(x).sum());
    const t1 = performance.now();
    loss.backward();
    const t2 = performance.now();
    loss.dispose();
    if (r >= ENC_WARMUP) { tot.push(t2 - t0); fwd.push(t1 - t0); bwd.push(t2 - t1); }
  }
  return { ms: median(tot), forwardMs: median(fwd), backwardMs: median(bwd), samples: tot };
}

let layers: Record<'fused' | 'composed', EncoderLayer> | undefined;
let xIn: Tensor | undefined;
function hubRun(sections: Section[]): ImplResult {
  const r: ImplResult = { torch: torch.versions().torch, threads: torch.getNumThreads() };
  for (const s of sections) {
    if (s === 'sgemm') r.sgemm = hubSgemm();
    else if (s === 'add') r.add = hubAdd();
    else {
      layers ??= { fused: new EncoderLayer('fused'), composed: new EncoderLayer('composed') };
      xIn ??= torch.randn([B, L, HIDDEN], { requiresGrad: true });
      if (s === 'encoder-fused') r.encoderFused = hubEncoder('fused', layers.fused, xIn);
      else r.encoderComposed = hubEncoder('composed', layers.composed, xIn);
    }
  }
  return r;
}

// ---- references: C++ (compiled once, cached) and python3-torch ---------------------------------
function buildCpp(): { path: string; compiled: boolean; compileSeconds?: number } {
  const src = join(here, 'support', 'engine_bench.cc');
  const cfg = (part: string) => execFileSync(process.execPath, [join(root, 'scripts', 'libtorch-config.mjs'), part], { encoding: 'utf8' }).trim();
  const includes = cfg('include').split(/\s+/).filter(Boolean).map((p) => `-I${p}`);
  const defines = cfg('defines').split(/\s+/).filter(Boolean).map((d) => `-D${d}`);
  const libs = cfg('libs').split(/\s+/).filter(Boolean);
  const cxx = process.env.CXX || 'g++';
  const flags = ['-std=c++17', '-O2', '-fexceptions', '-frtti', '-Wno-deprecated-declarations', ...includes, ...defines];
  const key = createHash('sha256').update(readFileSync(src)).update(JSON.stringify([cxx, flags, libs])).digest('hex').slice(0, 16);
  // Not under build/: `node-gyp rebuild` (npm run install) deletes that folder.
  const dir = join(tmpdir(), `hubtune-bench-${process.getuid?.() ?? 'u'}`);
  const bin = join(dir, `engine_bench-${key}`);
  if (existsSync(bin)) return { path: bin, compiled: false };
  mkdirSync(dir, { recursive: true });
  const tmp = `${bin}.tmp${process.pid}`;
  const t0 = performance.now();
  const res = spawnSync(cxx, [...flags, src, '-o', tmp, ...libs], { encoding: 'utf8', timeout: 300_000 });
  if (res.status !== 0) {
    rmSync(tmp, { force: true });
    const msg = (res.error?.message ?? res.stderr ?? '').split('\n').filter(Boolean).slice(0, 5).join(' | ');
    throw new Error(`compiling bench/support/engine_bench.cc with ${cxx} failed: ${msg}`);
  }
  renameSync(tmp, bin);
  return { path: bin, compiled: true, compileSeconds: round((performance.now() - t0) / 1000, 1)! };
}

/** Runs a reference: `cmd ...prefix <blasThreads> <intraOpThreads> <sections...>`, which prints one JSON line. */
function runChild(cmd: string, prefix: string[], threads: { intraOp: number; blas: number }, sections: Section[]): ImplResult {
  const res = spawnSync(cmd, [...prefix, String(threads.blas), String(threads.intraOp), ...sections], {
    encoding: 'utf8',
    timeout: 600_000,
    env: {
      ...process.env,
      OPENBLAS_NUM_THREADS: String(threads.blas),
      OMP_NUM_THREADS: String(threads.intraOp),
      BENCH_ENCODER_REPS: String(ENC_REPS),
      BENCH_ENCODER_WARMUP: String(ENC_WARMUP),
    },
  });
  if (res.status !== 0) {
    const err = (res.error?.message ?? res.stderr ?? '').trim().split('\n').slice(-3).join(' | ');
    throw new Error(`${[cmd, ...prefix].join(' ')} exited with ${res.status ?? res.signal}: ${err}`);
  }
  const line = res.stdout.trim().split('\n').filter((l) => l.startsWith('{')).pop();
  if (!line) throw new Error(`${[cmd, ...prefix].join(' ')} printed no JSON`);
  return JSON.parse(line) as ImplResult;
}

function pythonCmd(): { cmd: string } | { skipped: string } {
  if (process.env.BENCH_NO_PYTHON === '1') return { skipped: 'BENCH_NO_PYTHON=1' };
  const py = process.env.BENCH_PYTHON || '/usr/bin/python3';
  if (!existsSync(py)) return { skipped: `${py} not found (install python3-torch, or set BENCH_PYTHON)` };
  const probe = spawnSync(py, ['-c', 'import torch'], { encoding: 'utf8', timeout: 60_000 });
  if (probe.status !== 0) return { skipped: `${py} cannot import torch (apt-get install python3-torch)` };
  return { cmd: py };
}

// ---- main ------------------------------------------------------------------------------------
async function main(): Promise<void> {
  const t0 = performance.now();
  const load0 = loadavg();
  const cores = availableParallelism();
  const threads = torch.getNumThreads();
  const blas = native.blasInfo();
  const hub = new Collected();
  const cpp = new Collected();
  const py = new Collected();

  let cppBin: ReturnType<typeof buildCpp> | undefined;
  if (process.env.BENCH_NO_CPP === '1') cpp.error = 'BENCH_NO_CPP=1';
  else {
    try { cppBin = buildCpp(); } catch (e) { cpp.error = (e as Error).message; }
  }
  const pyCmd = pythonCmd();
  if ('skipped' in pyCmd) py.error = pyCmd.skipped;

  type Runner = [Collected, (sections: Section[]) => ImplResult];
  const runners: Runner[] = [[hub, hubRun]];
  if (cppBin) runners.push([cpp, (s) => runChild(cppBin!.path, [], threads, s)]);
  if (!('skipped' in pyCmd)) runners.push([py, (s) => runChild(pyCmd.cmd, [join(here, 'support', 'engine_bench.py')], threads, s)]);

  // Interleaved per group, so that the three implementations of one measurement see the same load.
  const groups: { sections: Section[]; rounds: number }[] = [
    { sections: SECTIONS.filter((s) => s === 'sgemm' || s === 'add'), rounds: ROUNDS },
    { sections: SECTIONS.filter((s) => s === 'encoder-fused'), rounds: ROUNDS },
    { sections: SECTIONS.filter((s) => s === 'encoder-composed'), rounds: COMPOSED_ROUNDS },
  ];
  for (const g of groups) {
    if (g.sections.length === 0) continue;
    for (let r = 0; r < g.rounds; r++) {
      const order = r % 2 === 0 ? runners : [...runners].reverse();
      for (const [col, fn] of order) {
        if (col.error) continue;
        try { col.push(fn(g.sections)); } catch (e) { col.error = (e as Error).message; }
      }
    }
  }
  if (SECTIONS.includes('add')) breakdown = overheadBreakdown();

  const ratio = (a: number, b: number) => round(a / b, 3);
  const sgemm: Record<string, unknown> = {};
  if (SECTIONS.includes('sgemm')) {
    for (const n of [1024, 2048]) {
      const h = hub.gflops(n), c = cpp.gflops(n), p = py.gflops(n);
      sgemm[String(n)] = {
        hubtuneGflops: round(h, 1), cppGflops: round(c, 1), pythonGflops: round(p, 1), ratioHubtuneOverCpp: ratio(h, c),
        best: { hubtuneGflops: round(hub.bestGflops(n), 1), cppGflops: round(cpp.bestGflops(n), 1), pythonGflops: round(py.bestGflops(n), 1), ratioHubtuneOverCpp: ratio(hub.bestGflops(n), cpp.bestGflops(n)) },
      };
    }
    const rs = [1024, 2048].map((n) => hub.gflops(n) / cpp.gflops(n));
    sgemm.target = 'hubtune / C++ >= 0.95 (medians)';
    sgemm.met = rs.every(Number.isFinite) ? rs.every((x) => x >= 0.95) : null;
  }
  let opOverhead: Record<string, unknown> | undefined;
  if (SECTIONS.includes('add')) {
    const hu = median(hub.add), hg = median(hub.addGrad);
    opOverhead = {
      op: 'add of two 1-element float32 tensors, result disposed; median over 200 batches of 1000',
      hubtuneUs: round(hu), hubtuneUsRequiresGrad: round(hg),
      cppUs: round(median(cpp.add)), cppUsRequiresGrad: round(median(cpp.addGrad)),
      pythonUs: round(median(py.add)), pythonUsRequiresGrad: round(median(py.addGrad)),
      bindingUs: round(hu - median(cpp.add)), bindingUsRequiresGrad: round(hg - median(cpp.addGrad)),
      target: 'hubtune <= 3 us', met: Number.isFinite(hu) ? hu <= 3 && hg <= 3 : null,
      breakdown,
    };
  }
  const encoder: Record<string, unknown> = {};
  for (const k of ['fused', 'composed'] as const) {
    if (!SECTIONS.includes(`encoder-${k}`)) continue;
    const h = hub.encoder(k), p = py.encoder(k), c = cpp.encoder(k);
    encoder[k] = { hubtune: h, python3Torch: p, cpp: c, ratioHubtuneOverTorch: h && p ? ratio(h.ms!, p.ms!) : null, ratioHubtuneOverCpp: h && c ? ratio(h.ms!, c.ms!) : null };
  }
  if (Object.keys(encoder).length) {
    const f = encoder.fused as { ratioHubtuneOverTorch: number | null } | undefined;
    Object.assign(encoder, {
      config: { hidden: HIDDEN, heads: HEADS, seq: L, batch: B, intermediate: INTER, act: 'gelu', norm: 'post-LayerNorm (eps 1e-12)', dropout: 0, loss: 'sum of outputs', inputRequiresGrad: true },
      timing: `forward+backward ms, median of ${ENC_REPS} per round x ${ROUNDS} rounds (composed: ${COMPOSED_ROUNDS}) after ${ENC_WARMUP} warm-up per round`,
      target: 'hubtune (fused, its default path) <= 1.05 x python3-torch (same path)',
      met: f && f.ratioHubtuneOverTorch !== null ? f.ratioHubtuneOverTorch <= 1.05 : null,
    });
  }

  const out = {
    bench: 'engine',
    machine: { cores, cpu: cpus()[0]?.model ?? 'unknown', loadavgBefore: load0.map((x) => round(x, 2)), loadavgAfter: loadavg().map((x) => round(x, 2)) },
    libtorch: torch.versions().torch,
    blas: { vendor: blas.vendor, config: blas.config, threads: blas.threads },
    threads: { hubtune: threads, cpp: cpp.threads ?? null, python3Torch: py.threads ?? null },
    references: {
      cpp: cpp.error ? { error: cpp.error } : { binary: cppBin?.path, compiledNow: cppBin?.compiled, compileSeconds: cppBin?.compileSeconds, torch: cpp.torch },
      python3Torch: py.error ? { skipped: py.error } : { torch: py.torch },
    },
    rounds: { sgemmAdd: ROUNDS, encoderFused: ROUNDS, encoderComposed: COMPOSED_ROUNDS },
    sgemm: SECTIONS.includes('sgemm') ? sgemm : undefined,
    opOverhead,
    encoderLayer: Object.keys(encoder).length ? encoder : undefined,
    seconds: round((performance.now() - t0) / 1000, 1),
  };
  console.log(JSON.stringify(out, null, 2));
}

main().catch((e) => {
  console.log(JSON.stringify({ bench: 'engine', error: (e as Error).message }));
  process.exitCode = 1;
});
