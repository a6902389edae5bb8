// The layers of convolutional networks beside Conv2d: BatchNorm2d with running statistics, pooling,
// Flatten and Identity. Parameter and buffer names match PyTorch's so checkpoints load by key.
import { Tensor, ones, zeros, scalarTensor } from '../tensor';
import { noGrad } from '../runtime';
import { Module } from './module';
import * as F from './functional';

export interface BatchNormOptions {
  eps?: number;
  /** Weight of the new batch statistics in the running ones (default 0.1); null: a cumulative average. */
  momentum?: number | null;
  affine?: boolean;
  trackRunningStats?: boolean;
}

/**
 * torch.nn.BatchNorm2d: in train mode it normalises with the batch statistics and updates
 * running_mean/running_var (and counts num_batches_tracked); in eval mode it uses the running ones.
 * A frozen layer (freezeBatchNorm) stays in eval mode whatever train() says.
 */
export class BatchNorm2d extends Module {
  readonly eps: number;
  readonly momentum: number | null;
  weight: Tensor | null;
  bias: Tensor | null;
  runningMean: Tensor | null;
  runningVar: Tensor | null;
  numBatchesTracked: Tensor | null;
  /** Keeps the layer in eval mode (fixed running statistics) when the model trains. */
  frozen = false;

  constructor(readonly numFeatures: number, o: BatchNormOptions = {}) {
    super();
    if (!Number.isInteger(numFeatures) || numFeatures < 1) throw new Error(`BatchNorm2d: numFeatures must be a positive integer, got ${numFeatures}`);
    this.eps = o.eps ?? 1e-5;
    this.momentum = o.momentum === undefined ? 0.1 : o.momentum;
    const affine = o.affine ?? true;
    this.weight = affine ? this.registerParameter('weight', ones([numFeatures])) : null;
    this.bias = affine ? this.registerParameter('bias', zeros([numFeatures])) : null;
    const track = o.trackRunningStats ?? true;
    this.runningMean = track ? this.registerBuffer('running_mean', zeros([numFeatures])) : null;
    this.runningVar = track ? this.registerBuffer('running_var', ones([numFeatures])) : null;
    this.numBatchesTracked = track ? this.registerBuffer('num_batches_tracked', scalarTensor(0, { dtype: 'int64' })) : null;
  }

  /** Running statistics back to mean 0, variance 1, no batches counted. */
  resetRunningStats(): void {
    noGrad(() => {
      this.runningMean?.zero_();
      this.runningVar?.fill_(1);
      this.numBatchesTracked?.zero_();
    });
  }

  forward(x: Tensor): Tensor {
    if (x.ndim !== 4) throw new Error(`BatchNorm2d expected 4D input [batch, channels, height, width] (got ${x.ndim}D input)`);
    if (x.shape[1] !== this.numFeatures) throw new Error(`BatchNorm2d(${this.numFeatures}) got ${x.shape[1]} channels: input shape [${x.shape.join(', ')}]`);
    const training = this.training && !this.frozen;
    let factor = this.momentum ?? 0;
    if (training && this.numBatchesTracked) {
      // an int64 counter: add an int64 one (a JS number would promote to float)
      noGrad(() => { const one = scalarTensor(1, { dtype: 'int64' }); this.numBatchesTracked!.add_(one); one.dispose(); });
      if (this.momentum === null) factor = 1 / this.numBatchesTracked.item();
    }
    // eval mode without running statistics normalises with the batch's, like PyTorch
    const useBatchStats = training || (this.runningMean === null && this.runningVar === null);
    return F.batchNorm(x, this.runningMean, this.runningVar, { weight: this.weight, bias: this.bias, training: useBatchStats, momentum: factor, eps: this.eps });
  }
}

/**
 * Freezes every BatchNorm2d in `model`: running statistics stay fixed (eval behaviour in training)
 * and, unless `affine: true`, their weight and bias stop training. Returns how many layers it froze.
 */
export function freezeBatchNorm(model: Module, o: { affine?: boolean } = {}): number {
  let n = 0;
  for (const [, m] of model.namedModules()) {
    if (!(m instanceof BatchNorm2d)) continue;
    m.frozen = true;
    if (!o.affine) for (const p of m.parameters()) p.requiresGrad_(false);
    n++;
  }
  return n;
}
/** Undoes freezeBatchNorm (the parameters train again). */
export function unfreezeBatchNorm(model: Module): number {
  let n = 0;
  for (const [, m] of model.namedModules()) {
    if (!(m instanceof BatchNorm2d)) continue;
    m.frozen = false;
    for (const p of m.parameters()) p.requiresGrad_(true);
    n++;
  }
  return n;
}

export class MaxPool2d extends Module {
  constructor(readonly kernelSize: number | number[], readonly o: { stride?: number | number[] } & F.Pool2dOptions = {}) { super(); }
  forward(x: Tensor): Tensor { return F.maxPool2d(x, this.kernelSize, this.o.stride, this.o); }
}

export class AvgPool2d extends Module {
  constructor(readonly kernelSize: number | number[], readonly stride?: number | number[]) { super(); }
  forward(x: Tensor): Tensor { return F.avgPool2d(x, this.kernelSize, this.stride); }
}

export class AdaptiveAvgPool2d extends Module {
  constructor(readonly outputSize: number | number[]) { super(); }
  forward(x: Tensor): Tensor { return F.adaptiveAvgPool2d(x, this.outputSize); }
}

/** torch.nn.Flatten (dims startDim..endDim into one; default keeps the batch dim). */
export class Flatten extends Module {
  constructor(readonly startDim = 1, readonly endDim = -1) { super(); }
  forward(x: Tensor): Tensor { return x.flatten(this.startDim, this.endDim); }
}

/** torch.nn.Identity: returns its input (a view, so callers may dispose either). */
export class Identity extends Module {
  forward(x: Tensor): Tensor { return x.view(x.shape); }
}
