// Runs the loaders' fuzz targets in memory-capped child processes (node --max-old-space-size under
// prlimit --as) and watches them: a child that dies mid-input is a crash, an input that does not
// end within the hang limit (12 s) is a hang (the child is killed and restarted after it), an input
// that raises the child's peak RSS by more than 400 MB is a memory spike, and a refusal that is not
// the loader's error class or names no file is counted. Used by scripts/fuzz.ts and the short test.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { PROTOCOL, writeSeeds, type Target } from './fuzz-loaders';

export interface FuzzOptions {
  count: number;
  seed: number;
  hangMs?: number;
  spikeMB?: number;
  /** Address-space cap of each child (prlimit --as), bytes. */
  addressSpaceBytes?: number;
  /** V8 heap cap of each child (--max-old-space-size), MB. */
  heapMB?: number;
  /** Inputs per child before a fresh one starts (bounds state that builds up). */
  perChild?: number;
  onProgress?: (target: Target, done: number) => void;
  /** Extra environment of the children (e.g. tighter limits for a short run on a loaded machine). */
  env?: Record<string, string>;
}

export interface Finding { index: number; kind: 'crash' | 'hang' | 'memory' | 'unnamed' | 'wrongClass' | 'multiline'; detail: string }

export interface TargetReport {
  target: Target;
  seed: number;
  inputs: number;
  loaded: number;
  refused: number;
  crashes: number;
  hangs: number;
  memorySpikes: number;
  errorsWithoutFileName: number;
  errorsOfAnotherClass: number;
  multilineErrors: number;
  maxExtraRssMB: number;
  slowestMs: number;
  childStarts: number;
  seconds: number;
  topRefusals: Array<[string, number]>;
  findings: Finding[];
}

const here = fileURLToPath(new URL('.', import.meta.url));
const childScript = join(here, '..', '..', 'scripts', 'fuzz.ts');

/** Runs `count` inputs of `target`; the seeds are written to `seedRoot` by the caller (writeSeeds). */
export async function fuzzTarget(target: Target, seedRoot: string, o: FuzzOptions): Promise<TargetReport> {
  const hangMs = o.hangMs ?? 12_000;
  const spikeMB = o.spikeMB ?? 400;
  const perChild = o.perChild ?? 2000;
  const work = mkdtempSync(join(tmpdir(), `fuzz-${target}-`));
  const rep: TargetReport = {
    target, seed: o.seed, inputs: 0, loaded: 0, refused: 0, crashes: 0, hangs: 0, memorySpikes: 0, errorsWithoutFileName: 0, errorsOfAnotherClass: 0,
    multilineErrors: 0, maxExtraRssMB: 0, slowestMs: 0, childStarts: 0, seconds: 0, topRefusals: [], findings: [],
  };
  const kinds = new Map<string, number>();
  const find = (f: Finding) => { if (rep.findings.length < 25) rep.findings.push(f); };
  const t0 = performance.now();
  let next = 0;
  try {
    while (next < o.count) {
      const end = Math.min(o.count, next + perChild);
      next = await runChild(next, end);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  rep.seconds = Math.round((performance.now() - t0) / 100) / 10;
  rep.topRefusals = [...kinds].sort((a, b) => b[1] - a[1]).slice(0, 12);
  return rep;

  /** One child over [start, end); resolves with the next index to run. */
  function runChild(start: number, end: number): Promise<number> {
    rep.childStarts++;
    const childWork = join(work, `c${rep.childStarts}`);
    // wasm's trap handler reserves ~10 GB of address space per instance: off, so the cap can be tight
    const args = ['--disable-wasm-trap-handler', `--max-old-space-size=${o.heapMB ?? 2048}`, '--import', 'tsx', childScript, '--child', target, '--seed-root', seedRoot,
      '--seed', String(o.seed), '--start', String(start), '--end', String(end), '--work', childWork];
    const asBytes = o.addressSpaceBytes ?? 32 * 2 ** 30;
    const useLimit = existsSync('/usr/bin/prlimit');
    const cmd = useLimit ? '/usr/bin/prlimit' : process.execPath;
    const argv = useLimit ? [`--as=${asBytes}`, process.execPath, ...args] : args;
    const child = spawn(cmd, argv, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env, HUBTUNE_QUIET: '1', HF_HUB_OFFLINE: '1', HF_HOME: join(childWork, 'hf-home'), HF_DATASETS_CACHE: join(childWork, 'ds-cache'),
        // bounded decode of hostile parquet pages well inside the hang limit; models of at most 256 MB
        HUBTUNE_PARQUET_DECODE_TIMEOUT_MS: String(Math.min(5000, Math.floor(hangMs / 2))), HUBTUNE_PARQUET_WORKER_MB: '512',
        HUBTUNE_MAX_MODEL_BYTES: String(256 * 2 ** 20), HUBTUNE_MAX_TENSOR_BYTES: String(1024 * 2 ** 20),
        // PIL's default pixel cap lets a 1 KB PNG decode to ~1 GB (178 M pixels) in seconds: the
        // run holds images to 8 M pixels (refused above 16 M), so a spike is a loader fault
        HUBTUNE_MAX_IMAGE_PIXELS: '8388608',
        ...o.env,
      },
    });
    let stderrTail = '';
    child.stderr!.on('data', (d: Buffer) => { stderrTail = (stderrTail + d.toString()).slice(-2000); });
    let current = -1;
    let resume = start;
    let timer: NodeJS.Timeout | null = null;
    let hung = false;
    const arm = () => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => { hung = true; child.kill('SIGKILL'); }, hangMs);
    };
    const rl = createInterface({ input: child.stdout! });
    rl.on('line', (l) => {
      if (!l.startsWith(PROTOCOL)) return;
      const m = JSON.parse(l.slice(PROTOCOL.length));
      if (m.begin !== undefined) { current = m.begin; arm(); return; }
      if (m.end === undefined) return;
      if (timer) clearTimeout(timer);
      timer = null;
      current = -1;
      resume = m.end + 1;
      rep.inputs++;
      if (m.loaded) rep.loaded++;
      else {
        rep.refused++;
        kinds.set(`${m.errorClass}: ${m.kind}`, (kinds.get(`${m.errorClass}: ${m.kind}`) ?? 0) + 1);
        if (m.unnamed) { rep.errorsWithoutFileName++; find({ index: m.end, kind: 'unnamed', detail: `${m.errorClass}: ${m.message}` }); }
        if (m.wrongClass) { rep.errorsOfAnotherClass++; find({ index: m.end, kind: 'wrongClass', detail: `${m.errorClass}: ${m.message}` }); }
        if (m.multiline) { rep.multilineErrors++; find({ index: m.end, kind: 'multiline', detail: `${m.errorClass}: ${m.message}` }); }
      }
      rep.slowestMs = Math.max(rep.slowestMs, m.ms);
      rep.maxExtraRssMB = Math.max(rep.maxExtraRssMB, m.extraMB);
      if (m.extraMB > spikeMB) { rep.memorySpikes++; find({ index: m.end, kind: 'memory', detail: `${m.extraMB} MB above the RSS before it` }); }
      if (o.onProgress && rep.inputs % 500 === 0) o.onProgress(target, rep.inputs);
    });
    return new Promise<number>((resolve) => {
      child.on('close', (code, signal) => {
        if (timer) clearTimeout(timer);
        if (current >= 0) {
          rep.inputs++;
          if (hung) { rep.hangs++; find({ index: current, kind: 'hang', detail: `no result within ${hangMs} ms` }); }
          else { rep.crashes++; find({ index: current, kind: 'crash', detail: `child ended (${signal ?? `exit ${code}`}): ${stderrTail.trim().split('\n').slice(-3).join(' | ').slice(0, 400)}` }); }
          resolve(current + 1);
        } else if (resume < end) {
          // died between inputs or at start-up: count the next input as a crash so the run advances
          rep.inputs++;
          rep.crashes++;
          find({ index: resume, kind: 'crash', detail: `child ended before input ${resume} (${signal ?? `exit ${code}`}): ${stderrTail.trim().split('\n').slice(-3).join(' | ').slice(0, 400)}` });
          resolve(resume + 1);
        } else resolve(end);
      });
    });
  }
}

/** Writes the seeds and fuzzes each target in turn. */
export async function fuzzLoaders(targets: readonly Target[], o: FuzzOptions): Promise<TargetReport[]> {
  const seedRoot = mkdtempSync(join(tmpdir(), 'fuzz-seeds-'));
  try {
    await writeSeeds(seedRoot);
    const out: TargetReport[] = [];
    for (const t of targets) out.push(await fuzzTarget(t, seedRoot, o));
    return out;
  } finally {
    rmSync(seedRoot, { recursive: true, force: true });
  }
}
