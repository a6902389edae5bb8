// The Trainer's mixed precision, as transformers 4.29's Trainer sets it up: bf16 is autocast to
// bfloat16 (CPU autocast on CPU, transformers' use_cpu_amp; CUDA autocast on a GPU), fp16 is CUDA
// autocast in float16 with a GradScaler (dynamic loss scaling, skipped steps on overflow). The
// weights and the optimizer state stay float32; backward runs outside autocast.
import { join } from 'node:path';
import { existsSync, readFileSync } from 'node:fs';
import { autocast, GradScaler, optim, setAllowTf32, type Tensor, type GradScalerState } from '../torch/index';
import { resolveAutocast } from '../torch/amp/autocast';
import type { LRScheduler } from '../torch/lr-scheduler';
import { TrainingArgumentsError, FP16_NEEDS_CUDA, TF32_NEEDS_CUDA, type TrainingArguments } from './training-args';
import { writeFileAtomicSync } from './atomic';
import { CheckpointError } from './checkpoint';

export const SCALER_NAME = 'scaler.json';

export interface MixedPrecision {
  /** 'cpu_amp' or 'cuda_amp' when bf16/fp16 is on, else null. */
  backend: 'cpu_amp' | 'cuda_amp' | null;
  /** The autocast dtype, or null for float32 training. */
  dtype: 'bfloat16' | 'float16' | null;
  /** fp16: the loss scaler; null otherwise. */
  scaler: GradScaler | null;
}

/**
 * transformers' mixed-precision set-up for a run on `device` ('cpu' or 'cuda'): checks the
 * device-dependent options (fp16 needs CUDA, tf32 needs CUDA), resolves halfPrecisionBackend
 * 'auto', sets TF32 and makes the GradScaler for fp16.
 */
export function setupMixedPrecision(args: TrainingArguments, device: string): MixedPrecision {
  const cuda = device.startsWith('cuda');
  if ((args.fp16 || args.fp16FullEval) && !cuda) throw new TrainingArgumentsError(FP16_NEEDS_CUDA);
  if (args.tf32 !== null) {
    if (args.tf32 && !cuda) throw new TrainingArgumentsError(TF32_NEEDS_CUDA);
    if (cuda) setAllowTf32(args.tf32);
  }
  if (!args.fp16 && !args.bf16) return { backend: null, dtype: null, scaler: null };
  let backend = args.halfPrecisionBackend;
  if (backend === 'auto') backend = cuda ? 'cuda_amp' : 'cpu_amp';
  if (backend === 'cuda_amp' && !cuda) throw new TrainingArgumentsError(`halfPrecisionBackend 'cuda_amp' needs CUDA, and this run is on the CPU: use 'auto' or 'cpu_amp'`);
  if (backend === 'cpu_amp' && args.fp16) throw new TrainingArgumentsError(`halfPrecisionBackend 'cpu_amp' supports bf16 only: set bf16 instead of fp16`);
  if (backend !== 'cpu_amp' && backend !== 'cuda_amp') throw new TrainingArgumentsError(`halfPrecisionBackend '${backend}' is not available in hubtune: use 'auto'`);
  const dtype = args.fp16 ? 'float16' : 'bfloat16';
  // warns once where the CPU has no native bf16 (it works, slowly)
  resolveAutocast(backend === 'cpu_amp' ? 'cpu' : 'cuda', { dtype });
  return { backend, dtype, scaler: dtype === 'float16' ? new GradScaler() : null };
}

/** Runs fn under the run's autocast (transformers' autocast_smart_context_manager), or plainly. */
export function withAutocast<T>(mp: MixedPrecision, fn: () => T): T {
  if (!mp.backend || !mp.dtype) return fn();
  return autocast(mp.backend === 'cpu_amp' ? 'cpu' : 'cuda', { dtype: mp.dtype }, fn);
}

/** backward() of the loss, scaled by the GradScaler under fp16. */
export function backwardScaled(mp: MixedPrecision, loss: Tensor): void {
  if (!mp.scaler) { loss.backward(); return; }
  const scaled = mp.scaler.scale(loss);
  try { scaled.backward(); } finally { scaled.dispose(); }
}

export interface OptimizerStepResult {
  /** The gradient norm before clipping (null without clipping); inf/NaN on an overflowed fp16 step. */
  gradNorm: number | null;
  /** False when the GradScaler skipped the update (inf/NaN gradients); the schedule then does not advance. */
  stepped: boolean;
  scaleBefore: number;
  scaleAfter: number;
}

/**
 * One optimizer update as transformers' training loop does it: unscale (fp16) before clipping,
 * clip, step (skipped by the scaler on overflow), scaler update, scheduler step only when the
 * optimizer ran.
 */
export function optimizerStep(o: { optimizer: optim.Optimizer; scheduler: LRScheduler; params: Tensor[]; maxGradNorm: number; scaler: GradScaler | null }): OptimizerStepResult {
  const { optimizer, scheduler, scaler } = o;
  if (scaler && o.maxGradNorm > 0) scaler.unscale_(optimizer);
  const gradNorm = o.maxGradNorm > 0 ? optim.clipGradNorm(o.params, o.maxGradNorm) : null;
  let stepped = true;
  let scaleBefore = 1;
  let scaleAfter = 1;
  if (scaler) {
    scaleBefore = scaler.getScale();
    scaler.step(optimizer);
    scaler.update();
    scaleAfter = scaler.getScale();
    stepped = scaleBefore <= scaleAfter;
  } else {
    optimizer.step();
  }
  if (stepped) scheduler.step();
  optimizer.zeroGrad();
  return { gradNorm, stepped, scaleBefore, scaleAfter };
}

/** The line logged for a skipped fp16 step. */
export function skippedStepMessage(step: number, r: OptimizerStepResult): string {
  return `fp16: inf/NaN gradients at step ${step}: optimizer step skipped, loss scale ${r.scaleBefore} -> ${r.scaleAfter}`;
}

export function saveScaler(dir: string, scaler: GradScaler): void {
  writeFileAtomicSync(join(dir, SCALER_NAME), JSON.stringify(scaler.stateDict(), null, 2) + '\n');
}
/** Restores the scaler from a checkpoint (transformers loads scaler.pt when present). */
export function loadScaler(dir: string, scaler: GradScaler): void {
  const p = join(dir, SCALER_NAME);
  if (!existsSync(p)) return;
  let sd: GradScalerState;
  try { sd = JSON.parse(readFileSync(p, 'utf8')); } catch (e) {
    throw new CheckpointError(`${p} is not valid JSON (${(e as Error).message}): the checkpoint is corrupt; resume from another checkpoint`);
  }
  try { scaler.loadStateDict(sd); } catch (e) {
    throw new CheckpointError(`the loss scaler state in ${p} does not fit: ${(e as Error).message}`);
  }
}
