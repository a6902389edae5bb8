// A c10d process group (libtorch's ProcessGroupGloo / ProcessGroupNCCL) and its collectives.
// Each collective is enqueued on the group's own threads and settles a Promise on the JS thread:
// the event loop keeps running while it waits.
import { native } from '../torch/native';
import type { Tensor } from '../torch/tensor';
import type { Backend } from './env';
import { DistributedError, distributedError } from './errors';

export type ReduceOpName = 'sum' | 'avg' | 'max' | 'min' | 'product';

/** What `{ async: true }` returns, as torch's Work: the collective runs; `wait()` settles when it is done. */
export interface Work {
  wait(): Promise<void>;
  isCompleted(): boolean;
}

export interface CollectiveOptions {
  /** Return a Work handle at once instead of a Promise. */
  async?: boolean;
}

const OPS: readonly ReduceOpName[] = ['sum', 'avg', 'max', 'min', 'product'];

function work(p: Promise<void>): Work {
  let done = false;
  const settled = p.then(() => { done = true; }, (e) => { done = true; throw e; });
  settled.catch(() => {}); // reported by wait(); never an unhandled rejection
  return { wait: () => settled, isCompleted: () => done };
}

export class ProcessGroup {
  /** @internal The native handle; C++ reaches the c10d::ProcessGroup with ProcessGroupFromJs (native/distributed.h). */
  _h: unknown;
  readonly backend: Backend;
  private _destroyed = false;

  /** @internal Made by initProcessGroup / newGroup. */
  constructor(h: unknown, backend: Backend, readonly rank: number, readonly worldSize: number) {
    this._h = h;
    this.backend = backend;
  }

  get destroyed(): boolean { return this._destroyed; }
  size(): number { return this.worldSize; }

  private live(what: string): void {
    if (this._destroyed) throw new DistributedError(`${what} on a destroyed process group: call initProcessGroup() again`);
  }

  private tensorOk(t: Tensor, what: string, name = 'tensor'): void {
    if (!t || typeof (t as Tensor).isContiguous !== 'function') throw new DistributedError(`${what}: ${name} must be a Tensor`);
    if (t.isDisposed) throw new DistributedError(`${what}: ${name} was disposed`);
    if (!t.isContiguous()) throw new DistributedError(`${what}: ${name} must be contiguous (call .contiguous() first)`);
    const dev = t.device;
    if (this.backend === 'gloo' && !dev.startsWith('cpu')) throw new DistributedError(`${what}: backend 'gloo' takes CPU tensors, got one on ${dev}`);
    if (this.backend === 'nccl' && !dev.startsWith('cuda')) throw new DistributedError(`${what}: backend 'nccl' takes CUDA tensors, got one on ${dev}`);
  }

  private run(what: string, start: () => Promise<void>, opts?: CollectiveOptions): any {
    this.live(what);
    let p: Promise<void>;
    try {
      p = start().catch((e) => { throw distributedError(e, what); });
    } catch (e) {
      throw distributedError(e, what);
    }
    if (opts?.async) return work(p);
    return p;
  }

  /** Reduces `tensor` across ranks in place (torch.distributed.all_reduce). */
  allReduce(tensor: Tensor, opts?: CollectiveOptions & { op?: ReduceOpName }): Promise<void>;
  allReduce(tensor: Tensor, opts: CollectiveOptions & { op?: ReduceOpName; async: true }): Work;
  allReduce(tensor: Tensor, opts: CollectiveOptions & { op?: ReduceOpName } = {}): Promise<void> | Work {
    const op = opts.op ?? 'sum';
    if (!OPS.includes(op)) throw new DistributedError(`allReduce: unknown op '${op}': use ${OPS.join(', ')}`);
    this.tensorOk(tensor, 'allReduce');
    if (op === 'avg' && !tensor.dtype.startsWith('float') && !tensor.dtype.startsWith('bfloat')) {
      throw new DistributedError(`allReduce: op 'avg' needs a floating-point tensor, got ${tensor.dtype}`);
    }
    return this.run('allReduce', () => native.distAllReduce(this._h, tensor._h, op), opts);
  }

  /** Copies rank `src`'s tensor into every rank's `tensor` (torch.distributed.broadcast). */
  broadcast(tensor: Tensor, opts: CollectiveOptions & { src: number; async: true }): Work;
  broadcast(tensor: Tensor, opts: CollectiveOptions & { src: number }): Promise<void>;
  broadcast(tensor: Tensor, opts: CollectiveOptions & { src: number }): Promise<void> | Work {
    const src = opts?.src;
    if (!Number.isInteger(src) || src < 0 || src >= this.worldSize) throw new DistributedError(`broadcast: src must be a rank from 0 to ${this.worldSize - 1}, got ${src}`);
    this.tensorOk(tensor, 'broadcast');
    return this.run('broadcast', () => native.distBroadcast(this._h, tensor._h, src), opts);
  }

  /** Fills `outList[r]` with rank r's `tensor` (torch.distributed.all_gather). */
  allGather(outList: Tensor[], tensor: Tensor, opts?: CollectiveOptions): Promise<void>;
  allGather(outList: Tensor[], tensor: Tensor, opts: CollectiveOptions & { async: true }): Work;
  allGather(outList: Tensor[], tensor: Tensor, opts: CollectiveOptions = {}): Promise<void> | Work {
    if (!Array.isArray(outList) || outList.length !== this.worldSize) throw new DistributedError(`allGather: outList must hold worldSize (${this.worldSize}) tensors, got ${Array.isArray(outList) ? outList.length : typeof outList}`);
    this.tensorOk(tensor, 'allGather');
    outList.forEach((t, i) => {
      this.tensorOk(t, 'allGather', `outList[${i}]`);
      if (t.numel !== tensor.numel || t.dtype !== tensor.dtype) throw new DistributedError(`allGather: outList[${i}] must have the tensor's size and dtype (${tensor.numel} ${tensor.dtype}), got ${t.numel} ${t.dtype}`);
    });
    return this.run('allGather', () => native.distAllGather(this._h, outList.map((t) => t._h), tensor._h), opts);
  }

  /** Reduces `inList[r]` over all ranks into rank r's `out` (torch.distributed.reduce_scatter). */
  reduceScatter(out: Tensor, inList: Tensor[], opts?: CollectiveOptions & { op?: ReduceOpName }): Promise<void>;
  reduceScatter(out: Tensor, inList: Tensor[], opts: CollectiveOptions & { op?: ReduceOpName; async: true }): Work;
  reduceScatter(out: Tensor, inList: Tensor[], opts: CollectiveOptions & { op?: ReduceOpName } = {}): Promise<void> | Work {
    const op = opts.op ?? 'sum';
    if (!OPS.includes(op)) throw new DistributedError(`reduceScatter: unknown op '${op}': use ${OPS.join(', ')}`);
    if (!Array.isArray(inList) || inList.length !== this.worldSize) throw new DistributedError(`reduceScatter: inList must hold worldSize (${this.worldSize}) tensors, got ${Array.isArray(inList) ? inList.length : typeof inList}`);
    this.tensorOk(out, 'reduceScatter', 'out');
    inList.forEach((t, i) => {
      this.tensorOk(t, 'reduceScatter', `inList[${i}]`);
      if (t.numel !== out.numel || t.dtype !== out.dtype) throw new DistributedError(`reduceScatter: inList[${i}] must have out's size and dtype (${out.numel} ${out.dtype}), got ${t.numel} ${t.dtype}`);
    });
    if (op === 'avg' && !out.dtype.startsWith('float') && !out.dtype.startsWith('bfloat')) throw new DistributedError(`reduceScatter: op 'avg' needs a floating-point tensor, got ${out.dtype}`);
    return this.run('reduceScatter', () => native.distReduceScatter(this._h, out._h, inList.map((t) => t._h), op), opts);
  }

  /** Settles when every rank has reached it (torch.distributed.barrier). */
  barrier(opts?: CollectiveOptions): Promise<void>;
  barrier(opts: CollectiveOptions & { async: true }): Work;
  barrier(opts: CollectiveOptions = {}): Promise<void> | Work {
    return this.run('barrier', () => native.distBarrier(this._h), opts);
  }

  /** Releases the group (and, on rank 0, its rendezvous server). */
  destroy(): void {
    if (this._destroyed) return;
    this._destroyed = true;
    native.distDestroy(this._h);
  }

  toString(): string {
    return `<ProcessGroup backend='${this.backend}' rank=${this.rank} world_size=${this.worldSize}${this._destroyed ? ' destroyed' : ''}>`;
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string { return this.toString(); }
}
