// initProcessGroup: rendezvous over libtorch's TCPStore / FileStore, then a c10d ProcessGroupGloo
// (or ProcessGroupNCCL) installed as the default group, as torch.distributed.init_process_group.
import { lookup } from 'node:dns/promises';
import { native } from '../torch/native';
import { resolveInit, type InitProcessGroupOptions } from './env';
import { DistributedError, distributedError } from './errors';
import { ProcessGroup } from './process-group';
import { isInitialized, setDefaultGroup } from './state';

/**
 * Joins the job's process group; resolves once every rank has joined. Without options it reads
 * torchrun's environment (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT), as `hubtune launch` sets it.
 * Runs off the JS thread: waiting for the other ranks never blocks the event loop.
 */
export async function initProcessGroup(opts: InitProcessGroupOptions = {}): Promise<ProcessGroup> {
  if (isInitialized()) throw new DistributedError('the default process group is already initialized: call destroyProcessGroup() first');
  const pg = await newGroup(opts);
  if (isInitialized()) { pg.destroy(); throw new DistributedError('initProcessGroup ran twice at once: await the first call'); }
  setDefaultGroup(pg);
  return pg;
}

/** @internal A process group that is not installed as the default (benchmarks, tests). */
export async function newGroup(opts: InitProcessGroupOptions = {}): Promise<ProcessGroup> {
  const r = resolveInit(opts);
  const have = native.distBackends() as { gloo: boolean; nccl: boolean };
  if (r.backend === 'gloo' && !have.gloo) throw new DistributedError("backend 'gloo' is not in this build of the addon: install libgloo-dev (apt-get install libgloo-dev) and rebuild (npm rebuild hubtune)");
  if (r.backend === 'nccl' && !have.nccl) throw new DistributedError("backend 'nccl' needs a libtorch with CUDA and NCCL (build with LIBTORCH_USE_PYTORCH=1 against a CUDA PyTorch); this build has none: use backend 'gloo'");
  if (r.method === 'tcp') {
    try {
      await lookup(r.host!);
    } catch (e) {
      throw new DistributedError(`the rendezvous address '${r.host}' (MASTER_ADDR) does not resolve (${(e as NodeJS.ErrnoException).code ?? e}): give node 0's IP address or host name`);
    }
  }
  let h: unknown;
  try {
    h = await native.distInit(r);
  } catch (e) {
    throw distributedError(e);
  }
  return new ProcessGroup(h, r.backend, r.rank, r.worldSize);
}
