// torch.distributed's free functions over the default group (or `{ group }`).
import type { Tensor } from '../torch/tensor';
import type { CollectiveOptions, ProcessGroup, ReduceOpName, Work } from './process-group';
import { getDefaultGroup } from './state';

type G = { group?: ProcessGroup };
const pick = (what: string, o?: G) => o?.group ?? getDefaultGroup(what);

export function allReduce(tensor: Tensor, opts: CollectiveOptions & G & { op?: ReduceOpName; async: true }): Work;
export function allReduce(tensor: Tensor, opts?: CollectiveOptions & G & { op?: ReduceOpName }): Promise<void>;
export function allReduce(tensor: Tensor, opts: CollectiveOptions & G & { op?: ReduceOpName } = {}): any {
  return pick('allReduce', opts).allReduce(tensor, opts as any);
}

export function broadcast(tensor: Tensor, opts: CollectiveOptions & G & { src: number; async: true }): Work;
export function broadcast(tensor: Tensor, opts: CollectiveOptions & G & { src: number }): Promise<void>;
export function broadcast(tensor: Tensor, opts: CollectiveOptions & G & { src: number }): any {
  return pick('broadcast', opts).broadcast(tensor, opts as any);
}

export function allGather(outList: Tensor[], tensor: Tensor, opts: CollectiveOptions & G & { async: true }): Work;
export function allGather(outList: Tensor[], tensor: Tensor, opts?: CollectiveOptions & G): Promise<void>;
export function allGather(outList: Tensor[], tensor: Tensor, opts: CollectiveOptions & G = {}): any {
  return pick('allGather', opts).allGather(outList, tensor, opts as any);
}

export function reduceScatter(out: Tensor, inList: Tensor[], opts: CollectiveOptions & G & { op?: ReduceOpName; async: true }): Work;
export function reduceScatter(out: Tensor, inList: Tensor[], opts?: CollectiveOptions & G & { op?: ReduceOpName }): Promise<void>;
export function reduceScatter(out: Tensor, inList: Tensor[], opts: CollectiveOptions & G & { op?: ReduceOpName } = {}): any {
  return pick('reduceScatter', opts).reduceScatter(out, inList, opts as any);
}

export function barrier(opts: CollectiveOptions & G & { async: true }): Work;
export function barrier(opts?: CollectiveOptions & G): Promise<void>;
export function barrier(opts: CollectiveOptions & G = {}): any {
  return pick('barrier', opts).barrier(opts as any);
}
