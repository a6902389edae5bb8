// `hubtune launch`: torchrun's static launcher. Starts --nproc-per-node processes on this node with
// torchrun's environment, forwards SIGINT/SIGTERM, and when one rank fails stops the others (SIGTERM,
// then SIGKILL after killTimeoutMs) and reports which rank failed and how: never a hang.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { constants } from 'node:os';
import { dirname, extname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DistributedError } from './errors';

export interface LaunchOptions {
  nprocPerNode: number;
  nnodes?: number;
  nodeRank?: number;
  /** Node 0's address (default 127.0.0.1; required with nnodes > 1). */
  masterAddr?: string;
  masterPort?: number;
  /** A .js/.mjs/.ts script, or a hubtune sub-command (`train`, ...) when `hubtune` is true. */
  script: string;
  args?: string[];
  /** Run `hubtune <script> ...args` (the CLI) instead of a script. */
  hubtune?: boolean;
  /** How long stopped ranks get between SIGTERM and SIGKILL (default 10 s; HUBTUNE_LAUNCH_KILL_TIMEOUT_MS). */
  killTimeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  /** Where the launcher's own lines go (default stderr). */
  log?: (line: string) => void;
}

export interface RankFailure { rank: number; localRank: number; pid: number | undefined; code: number | null; signal: NodeJS.Signals | null }

export interface LaunchResult {
  /** 0 when every rank exited 0; else the failed rank's exit code (128 + signal number when killed), 130/143 when interrupted. */
  exitCode: number;
  failure?: RankFailure;
  /** The signal the launcher received and forwarded, if any. */
  interrupted?: NodeJS.Signals;
  message?: string;
}

function posInt(name: string, v: unknown, min: number): number {
  const n = typeof v === 'string' ? Number(v) : (v as number);
  if (!Number.isInteger(n) || n < min) throw new DistributedError(`${name} must be an integer >= ${min}, got ${JSON.stringify(v)}`);
  return n;
}

const here = dirname(fileURLToPath(import.meta.url));

/** The node arguments that run `script`: TypeScript through tsx (hubtune's own, else the script's project's). */
function nodeArgsFor(script: string, hubtune: boolean): string[] {
  if (hubtune) {
    const bin = resolve(here, '../../bin/hubtune.mjs');
    if (!existsSync(bin)) throw new DistributedError(`cannot find the hubtune command (${bin}) to launch`);
    return [bin];
  }
  const path = resolve(script);
  if (!existsSync(path)) throw new DistributedError(`script ${script} does not exist: give a .js/.mjs/.ts file or a hubtune command (e.g. train)`);
  if (!['.ts', '.mts', '.cts', '.tsx'].includes(extname(path))) return [path];
  for (const from of [import.meta.url, pathToFileURL(path).href]) {
    try {
      const tsx = createRequire(from).resolve('tsx');
      const esm = resolve(dirname(tsx), 'loader.mjs');
      return ['--import', pathToFileURL(existsSync(esm) ? esm : tsx).href, path];
    } catch { /* next */ }
  }
  throw new DistributedError(`${script} is TypeScript and tsx is not installed: npm install --save-dev tsx, or launch the compiled .js`);
}

function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `was killed by ${signal}` : `exited with code ${code}`;
}

/** Runs the job's processes on this node; resolves when all have ended. */
export function launch(opts: LaunchOptions): Promise<LaunchResult> {
  const nproc = posInt('--nproc-per-node', opts.nprocPerNode, 1);
  const nnodes = posInt('--nnodes', opts.nnodes ?? 1, 1);
  const nodeRank = posInt('--node-rank', opts.nodeRank ?? 0, 0);
  if (nodeRank >= nnodes) throw new DistributedError(`--node-rank ${nodeRank} is outside --nnodes ${nnodes}: node ranks go from 0 to ${nnodes - 1}`);
  if (nnodes > 1 && !opts.masterAddr) throw new DistributedError(`--nnodes ${nnodes} needs --master-addr: the address of node 0, the same on every node`);
  const masterAddr = opts.masterAddr ?? '127.0.0.1';
  const masterPort = posInt('--master-port', opts.masterPort ?? 29500, 1);
  if (masterPort > 65535) throw new DistributedError(`--master-port must be a TCP port (1-65535), got ${masterPort}`);
  const envIn = opts.env ?? process.env;
  const killTimeoutMs = opts.killTimeoutMs ?? (envIn.HUBTUNE_LAUNCH_KILL_TIMEOUT_MS ? Number(envIn.HUBTUNE_LAUNCH_KILL_TIMEOUT_MS) : 10000);
  const log = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const nodeArgs = nodeArgsFor(opts.script, !!opts.hubtune);
  const argv = [...nodeArgs, ...(opts.hubtune ? [opts.script] : []), ...(opts.args ?? [])];
  const worldSize = nnodes * nproc;
  const extra: Record<string, string> = {};
  if (nproc > 1 && envIn.OMP_NUM_THREADS === undefined) {
    extra.OMP_NUM_THREADS = '1';
    log(`hubtune launch: OMP_NUM_THREADS set to 1 for each of the ${nproc} processes (as torchrun); set it yourself to change that`);
  }

  return new Promise((resolveAll) => {
    const children: { child: ChildProcess; rank: number; localRank: number; done: boolean }[] = [];
    let failure: RankFailure | undefined;
    let interrupted: NodeJS.Signals | undefined;
    let killTimer: NodeJS.Timeout | undefined;
    let left = nproc;

    const signalAll = (sig: NodeJS.Signals) => {
      for (const c of children) {
        if (c.done || c.child.pid === undefined) continue;
        try { process.kill(-c.child.pid, sig); } catch { try { c.child.kill(sig); } catch { /* gone */ } }
      }
    };
    const stopOthers = (sig: NodeJS.Signals) => {
      signalAll(sig);
      killTimer ??= setTimeout(() => signalAll('SIGKILL'), killTimeoutMs);
      killTimer.unref?.();
    };
    const onSignal = (sig: NodeJS.Signals) => {
      if (!interrupted) log(`hubtune launch: got ${sig}, passing it to the ${nproc} processes`);
      interrupted ??= sig;
      stopOthers(sig);
    };
    const onInt = () => onSignal('SIGINT');
    const onTerm = () => onSignal('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);

    const finish = () => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      if (killTimer) clearTimeout(killTimer);
      if (failure) {
        const f = failure;
        const message = `hubtune launch: rank ${f.rank} (local rank ${f.localRank}, pid ${f.pid}) ${describeExit(f.code, f.signal)}; stopped the other ranks`;
        const exitCode = f.code !== null && f.code !== 0 ? f.code : 128 + (f.signal ? constants.signals[f.signal] ?? 0 : 0);
        resolveAll({ exitCode, failure: f, interrupted, message });
      } else if (interrupted) {
        resolveAll({ exitCode: 128 + (constants.signals[interrupted] ?? 0), interrupted, message: `hubtune launch: stopped by ${interrupted}` });
      } else {
        resolveAll({ exitCode: 0 });
      }
    };

    for (let localRank = 0; localRank < nproc; localRank++) {
      const rank = nodeRank * nproc + localRank;
      const env = {
        ...envIn, ...extra,
        RANK: String(rank), LOCAL_RANK: String(localRank), WORLD_SIZE: String(worldSize), LOCAL_WORLD_SIZE: String(nproc),
        GROUP_RANK: String(nodeRank), ROLE_RANK: String(rank), ROLE_WORLD_SIZE: String(worldSize), ROLE_NAME: 'default',
        MASTER_ADDR: masterAddr, MASTER_PORT: String(masterPort), HUBTUNE_LAUNCHED: '1',
      };
      // Each rank leads its own process group, so stopping it also stops what it started.
      const child = spawn(process.execPath, argv, { env, stdio: 'inherit', detached: true });
      const entry = { child, rank, localRank, done: false };
      children.push(entry);
      const ended = (code: number | null, signal: NodeJS.Signals | null) => {
        if (entry.done) return;
        entry.done = true;
        left--;
        const failed = code !== 0;
        if (failed && !failure && !interrupted) {
          failure = { rank, localRank, pid: child.pid, code, signal };
          log(`hubtune launch: rank ${rank} (local rank ${localRank}, pid ${child.pid}) ${describeExit(code, signal)}; stopping the other ranks`);
          stopOthers('SIGTERM');
        }
        if (left === 0) finish();
      };
      child.on('exit', ended);
      child.on('error', (e) => { log(`hubtune launch: rank ${rank} could not start: ${e.message}`); ended(127, null); });
    }
  });
}
