// Data-parallel training for the Trainer on hubtune's c10d bindings (src/distributed), as
// DistributedDataParallel does it: every rank starts from rank 0's weights, trains on its shard of
// each global batch (DataLoader `shard`, accelerate's order), and c10d's Reducer averages gradients
// across ranks during the backward pass of each synchronised step (none on gradient-accumulation
// micro-steps: DDP's no_sync), so every rank takes the same step. Logging and saving happen on rank 0 (transformers' should_log/should_save).
import { tensor, type Tensor } from '../torch/index';
import { native } from '../torch/native';
import { isInitialized, getRank, getWorldSize, getDefaultGroup, initProcessGroup, allReduce, allGather, broadcast, barrier, DistributedError } from '../distributed/index';

export interface DataParallel { rank: number; worldSize: number }

/**
 * The run's data-parallel group: the one initProcessGroup() made, or one made from torchrun's /
 * `hubtune launch`'s environment (WORLD_SIZE > 1) as transformers' TrainingArguments does. Null for
 * a single process.
 */
export async function setupDataParallel(): Promise<DataParallel | null> {
  if (!isInitialized()) {
    const ws = Number(process.env.WORLD_SIZE ?? '1');
    if (!(ws > 1)) return null;
    await initProcessGroup({ backend: 'gloo' });
  }
  const worldSize = getWorldSize();
  return worldSize > 1 ? { rank: getRank(), worldSize } : null;
}

// FNV-1a over the names, dtypes and shapes: equal on every rank when the models are the same
function signature(sd: Map<string, Tensor>): number {
  let h = 0x811c9dc5;
  for (const [name, t] of sd) {
    for (const ch of `${name}:${t.dtype}:${t.shape.join('x')};`) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  }
  return h;
}

/**
 * This process's rank, known before the group exists (torchrun's RANK when WORLD_SIZE > 1): the
 * Trainer gives the printing, logging and pushing callbacks to rank 0 only.
 */
export function processRank(): number {
  if (isInitialized()) return getRank();
  return Number(process.env.WORLD_SIZE ?? '1') > 1 ? Number(process.env.RANK ?? '0') : 0;
}

/** Rank 0's parameters and buffers on every rank; a model that differs between ranks is refused first. */
export async function broadcastModel(model: { stateDict(): Map<string, Tensor> }, dp: DataParallel): Promise<void> {
  const sd = model.stateDict();
  const mine = tensor([signature(sd), sd.size], { dtype: 'int64' });
  const all = Array.from({ length: dp.worldSize }, () => tensor([0, 0], { dtype: 'int64' }));
  try {
    await allGather(all, mine);
    const sigs = all.map((t) => t.tolist1d() as number[]);
    const bad = sigs.findIndex((s) => s[0] !== sigs[0]![0] || s[1] !== sigs[0]![1]);
    if (bad >= 0) {
      throw new DistributedError(`the model differs between ranks: rank ${bad} has ${sigs[bad]![1]} tensors (signature ${sigs[bad]![0]}), rank 0 has ${sigs[0]![1]} (signature ${sigs[0]![0]}); load the same model and config on every rank`);
    }
  } finally {
    mine.dispose();
    for (const t of all) t.dispose();
  }
  for (const t of new Set(sd.values())) await broadcast(t, { src: 0 });
}

const BUCKET_BYTES = 25 * 1024 * 1024; // DDP's bucket_cap_mb default
const FIRST_BUCKET_BYTES = 1024 * 1024; // torch.distributed._DEFAULT_FIRST_BUCKET_BYTES

/**
 * DistributedDataParallel's gradient averaging, on c10d's Reducer (native/ddp.cc): autograd hooks
 * all-reduce each bucket of gradients as soon as it is complete, while backward still runs.
 */
export class GradientReducer {
  private readonly h: unknown;
  /**
   * `findUnusedParameters`: parameters a step does not reach are marked ready at once (transformers
   * turns it on for its models unless gradient checkpointing is on).
   */
  constructor(params: Tensor[], o: { findUnusedParameters: boolean }) {
    this.h = native.ddpReducerNew(getDefaultGroup('DDP')._h, params.map((p) => p._h), BUCKET_BYTES, FIRST_BUCKET_BYTES, o.findUnusedParameters);
  }
  /** Before the forward pass of a step whose gradients are synchronised. */
  prepareForward(): void { native.ddpPrepareForward(this.h); }
  /** After that forward pass: its backward averages the (accumulated) gradients across ranks. */
  prepareForBackward(outputs: Tensor[]): void { native.ddpPrepareForBackward(this.h, outputs.map((t) => t._h)); }
}

/** The mean of a number over ranks (the logged loss: transformers gathers tr_loss before logging). */
export async function meanOverRanks(x: number): Promise<number> {
  const t = tensor([x], { dtype: 'float64' });
  try {
    await allReduce(t, { op: 'avg' });
    return (t.tolist1d() as number[])[0]!;
  } finally { t.dispose(); }
}

/** Every rank waits here (around saves: rank 0 writes, the others must not read a half-written folder). */
export async function waitForAllRanks(dp: DataParallel | null): Promise<void> {
  if (dp) await barrier();
}

/** Every rank's `value` (JSON with Float32Arrays), in rank order: torch.distributed.all_gather_object. */
export async function gatherObjects<T>(value: T, dp: DataParallel): Promise<T[]> {
  const json = JSON.stringify(value, (_k, v) => (v instanceof Float32Array ? { __f32: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') } : v));
  const bytes = Buffer.from(json, 'utf8');
  const len = tensor([bytes.length], { dtype: 'int64' });
  const lens = Array.from({ length: dp.worldSize }, () => tensor([0], { dtype: 'int64' }));
  await allGather(lens, len);
  const sizes = lens.map((t) => (t.tolist1d() as number[])[0]!);
  len.dispose();
  for (const t of lens) t.dispose();
  const max = Math.max(...sizes);
  const padded = new Uint8Array(max);
  padded.set(bytes);
  const mine = tensor(padded, { dtype: 'uint8' });
  const all = Array.from({ length: dp.worldSize }, () => tensor(new Uint8Array(max), { dtype: 'uint8' }));
  try {
    await allGather(all, mine);
    return all.map((t, r) => JSON.parse(Buffer.from(t.toTypedArray() as Uint8Array).subarray(0, sizes[r]).toString('utf8'), (_k, v) => {
      if (v && typeof v === 'object' && typeof v.__f32 === 'string') {
        const b = Buffer.from(v.__f32, 'base64');
        return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
      }
      return v;
    }) as T);
  } finally {
    mine.dispose();
    for (const t of all) t.dispose();
  }
}

export interface EvalBatch { loss: number | null; rows: number; logits: { data: Float32Array; shape: number[] } | null; labels: { data: Float32Array; shape: number[] } | null }

const firstRows = (p: { data: Float32Array; shape: number[] } | null, m: number) => {
  if (!p || p.shape[0] === m) return p;
  const row = p.data.length / p.shape[0]!;
  return { data: p.data.slice(0, m * row), shape: [m, ...p.shape.slice(1)] };
};

/**
 * The whole evaluation set's batches from every rank's share (accelerate's gather_for_metrics):
 * in the epoch's batch order, without the rows repeated to even out the last round.
 */
export async function gatherEvalBatches(mine: EvalBatch[], numRows: number, dp: DataParallel): Promise<EvalBatch[]> {
  const all = await gatherObjects(mine, dp);
  const out: EvalBatch[] = [];
  let kept = 0;
  for (let k = 0; kept < numRows && all.some((r) => k < r.length); k++) {
    for (const rank of all) {
      const b = rank[k];
      if (!b || kept >= numRows) continue;
      const m = Math.min(b.rows, numRows - kept);
      out.push({ loss: b.loss, rows: m, logits: firstRows(b.logits, m), labels: firstRows(b.labels, m) });
      kept += m;
    }
  }
  return out;
}
