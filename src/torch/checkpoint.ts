// torch.utils.checkpoint: run a segment without keeping its activations; the backward pass runs
// it again (same RNG state, so the same dropout masks, and the same autocast state) and
// back-propagates through the recomputation. Trades compute (one more forward) for memory.
import { native as N, type NativeTensor } from './native';
import { Tensor } from './tensor';
import { tidy } from './scope';

export interface CheckpointOptions {
  /** Restore the RNG state for the recomputation (default true): dropout masks come out the same. */
  preserveRngState?: boolean;
  /**
   * Checkpoint even when no input needs a gradient, because the segment's own parameters do (a
   * frozen embedding in front of trainable layers). Without it such a segment runs plainly
   * (keeping its activations), where PyTorch's reentrant checkpoint would lose those gradients.
   */
  requiresGrad?: boolean;
}

/**
 * Runs `fn(...inputs)` as a checkpointed segment and returns its outputs (tensors or nulls). Every
 * tensor `fn` reads must come in through `inputs` (or be a parameter/buffer): tensors captured in
 * a closure may be disposed before the backward pass needs them again.
 */
export function checkpoint(fn: (...inputs: (Tensor | null)[]) => (Tensor | null)[], inputs: (Tensor | null)[], o: CheckpointOptions = {}): (Tensor | null)[] {
  const run = (handles: (NativeTensor | null)[]) => tidy(() => {
    const xs = handles.map((h) => (h ? new Tensor(h) : null));
    const outs = fn(...xs);
    if (!Array.isArray(outs)) throw new TypeError('a checkpointed function must return an array of tensors (or nulls)');
    // Fresh handles for the native side, which takes them over; the Tensor objects here are disposed with the scope.
    return outs.map((t) => (t ? (N.alias(t._h) as NativeTensor) : null));
  });
  const out = N.checkpoint(run, inputs.map((t) => (t ? t._h : null)), !!o.requiresGrad, o.preserveRngState ?? true) as (NativeTensor | null)[];
  return out.map((h) => (h ? new Tensor(h) : null));
}
