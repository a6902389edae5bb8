// initProcessGroup's options resolved against torchrun's environment (RANK, WORLD_SIZE, LOCAL_RANK,
// LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT) as torch.distributed.init_process_group reads them.
import { fileURLToPath } from 'node:url';
import { DistributedError } from './errors';

export type Backend = 'gloo' | 'nccl';

export interface InitProcessGroupOptions {
  /** 'gloo' (CPU tensors) or 'nccl' (CUDA tensors; needs a libtorch with CUDA). Default: 'gloo'. */
  backend?: Backend;
  /** 'env://' (default: MASTER_ADDR/MASTER_PORT), 'tcp://host:port' or 'file:///path' (a fresh file every rank can reach). */
  initMethod?: string;
  /** This process's rank (default: RANK). */
  rank?: number;
  /** Number of processes (default: WORLD_SIZE). */
  worldSize?: number;
  /** How long rendezvous and each collective may wait, in milliseconds (default 30 minutes, torch's default). */
  timeout?: number;
  /** snake_case spellings, as configs arrive from JSON/YAML. */
  init_method?: string;
  world_size?: number;
}

export interface ResolvedInit {
  backend: Backend;
  method: 'tcp' | 'file';
  host?: string;
  port?: number;
  path?: string;
  rank: number;
  worldSize: number;
  timeoutMs: number;
  ifname?: string;
}

export const DEFAULT_TIMEOUT_MS = 30 * 60 * 1000;

function intFrom(name: string, raw: unknown, min: number): number {
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
  if (!Number.isInteger(n) || n < min) {
    throw new DistributedError(`${name} must be an integer >= ${min}, got ${JSON.stringify(raw)}`);
  }
  return n;
}

export function resolveInit(opts: InitProcessGroupOptions = {}, env: NodeJS.ProcessEnv = process.env): ResolvedInit {
  const backend = (opts.backend ?? 'gloo') as Backend;
  if (backend !== 'gloo' && backend !== 'nccl') throw new DistributedError(`unknown backend '${backend}': use 'gloo' (CPU) or 'nccl' (CUDA)`);
  const rankRaw = opts.rank ?? env.RANK;
  const sizeRaw = opts.worldSize ?? opts.world_size ?? env.WORLD_SIZE;
  if (rankRaw === undefined) throw new DistributedError('no rank: pass { rank } or set RANK (hubtune launch sets it for every process)');
  if (sizeRaw === undefined) throw new DistributedError('no world size: pass { worldSize } or set WORLD_SIZE (hubtune launch sets it for every process)');
  const rank = intFrom(opts.rank !== undefined ? 'rank' : 'RANK', rankRaw, 0);
  const worldSize = intFrom((opts.worldSize ?? opts.world_size) !== undefined ? 'worldSize' : 'WORLD_SIZE', sizeRaw, 1);
  if (rank >= worldSize) throw new DistributedError(`rank ${rank} is outside worldSize ${worldSize}: ranks go from 0 to ${worldSize - 1}`);
  const timeoutMs = opts.timeout === undefined ? DEFAULT_TIMEOUT_MS : opts.timeout;
  if (!(Number.isFinite(timeoutMs) && timeoutMs > 0)) throw new DistributedError(`timeout must be a positive number of milliseconds, got ${opts.timeout}`);
  const ifname = env.GLOO_SOCKET_IFNAME || undefined;
  const method = opts.initMethod ?? opts.init_method ?? 'env://';
  const base = { backend, rank, worldSize, timeoutMs: Math.round(timeoutMs), ifname };
  if (method === 'env://') {
    const host = env.MASTER_ADDR;
    if (!host) throw new DistributedError("MASTER_ADDR is not set: run under hubtune launch, set MASTER_ADDR and MASTER_PORT, or pass initMethod 'tcp://host:port'");
    if (env.MASTER_PORT === undefined) throw new DistributedError('MASTER_PORT is not set: run under hubtune launch or set MASTER_PORT (e.g. 29500)');
    return { ...base, method: 'tcp', host, port: port('MASTER_PORT', env.MASTER_PORT) };
  }
  if (method.startsWith('tcp://')) {
    const m = /^tcp:\/\/(\[[^\]]+\]|[^:/]+):(\d+)\/?$/.exec(method);
    if (!m) throw new DistributedError(`initMethod '${method}' is not tcp://host:port`);
    return { ...base, method: 'tcp', host: m[1]!.replace(/^\[|\]$/g, ''), port: port('the tcp:// port', m[2]!) };
  }
  if (method.startsWith('file://')) {
    let path: string;
    try { path = fileURLToPath(method); } catch { throw new DistributedError(`initMethod '${method}' is not a file:///absolute/path URL`); }
    return { ...base, method: 'file', path };
  }
  throw new DistributedError(`initMethod '${method}' is not supported: use 'env://', 'tcp://host:port' or 'file:///path'`);
}

function port(name: string, raw: string): number {
  const p = intFrom(name, raw, 1);
  if (p > 65535) throw new DistributedError(`${name} must be a TCP port (1-65535), got ${raw}`);
  return p;
}
