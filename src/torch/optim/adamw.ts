// AdamW with decoupled weight decay, the same arithmetic in the same order as torch.optim.AdamW
// (torch 1.13 single-tensor path), so parameters match PyTorch's to float rounding.
// Float32 CPU parameters are updated by one fused native pass per parameter (native/fused_optim.cc)
// that rounds exactly as the op-by-op path: the same bits, about a ninth of the memory traffic.
import { Tensor, zerosLike } from '../tensor';
import { native as N } from '../native';
import { noGrad } from '../runtime';
import { Optimizer, type ParamGroup, type ParamGroupInput, type ParamState } from './optimizer';

export interface AdamWOptions {
  lr?: number; betas?: [number, number]; eps?: number; weightDecay?: number; amsgrad?: boolean;
  /**
   * One fused pass per float32 CPU parameter (bit-identical to the op-by-op update). Default: true
   * where the CPU has AVX2+FMA (adamwFusedAvailable()); false runs the op-by-op update.
   */
  fused?: boolean;
}

/** True when this CPU and libtorch build run AdamW's fused update (AVX2+FMA kernels). */
export function adamwFusedAvailable(): boolean { return N.adamwFusedAvailable(); }

export class AdamW extends Optimizer {
  /** Whether step() uses the fused update for float32 CPU parameters. */
  readonly fused: boolean;
  constructor(params: Tensor[] | ParamGroupInput[], o: AdamWOptions = {}) {
    super(params, { lr: o.lr ?? 1e-3, betas: o.betas ?? [0.9, 0.999], eps: o.eps ?? 1e-8, weightDecay: o.weightDecay ?? 1e-2, amsgrad: o.amsgrad ?? false });
    this.fused = (o.fused ?? true) && adamwFusedAvailable();
    for (const g of this.paramGroups) {
      if ((g.lr as number) < 0) throw new Error(`invalid learning rate: ${g.lr}`);
      const [b1, b2] = g.betas as [number, number];
      if (!(b1 >= 0 && b1 < 1) || !(b2 >= 0 && b2 < 1)) throw new Error(`invalid betas: [${b1}, ${b2}] (each must be in [0, 1))`);
    }
  }
  override step(): void {
    if (!this.fused) { super.step(); return; }
    noGrad(() => {
      for (const g of this.paramGroups) {
        const fp: Tensor[] = [], fg: Tensor[] = [], fm: Tensor[] = [], fv: Tensor[] = [], stepSizes: number[] = [], bc2Sqrts: number[] = [];
        const grads: Tensor[] = [];
        const [beta1, beta2] = g.betas as [number, number];
        for (const p of g.params) {
          const grad = p.grad;
          if (!grad) continue;
          grads.push(grad);
          let st = this.state.get(p);
          if (!st) { st = {}; this.state.set(p, st); }
          if (g.amsgrad || !fusable(p, grad)) { this.update(p, grad, st, g); continue; }
          if (st.step === undefined) {
            st.step = 0;
            st.exp_avg = this.newState(zerosLike(p));
            st.exp_avg_sq = this.newState(zerosLike(p));
          }
          const m = st.exp_avg as Tensor, v = st.exp_avg_sq as Tensor;
          if (!fusableState(m, p) || !fusableState(v, p)) { this.update(p, grad, st, g); continue; }
          const step = (st.step as number) + 1;
          st.step = step;
          // the op-by-op path's scalars, computed the same way (see update())
          stepSizes.push(g.lr / (1 - beta1 ** step));
          bc2Sqrts.push(Math.sqrt(1 - beta2 ** step));
          fp.push(p); fg.push(grad); fm.push(m); fv.push(v);
        }
        if (fp.length) {
          N.adamwFused(fp.map((t) => t._h), fg.map((t) => t._h), fm.map((t) => t._h), fv.map((t) => t._h), g.lr, beta1, beta2, g.eps as number,
            (g.weightDecay ?? g.weight_decay ?? 0) as number, stepSizes, bc2Sqrts);
        }
        for (const t of grads) t.dispose();
      }
    });
  }

  protected update(p: Tensor, grad: Tensor, st: ParamState, g: ParamGroup): void {
    const lr = g.lr;
    const [beta1, beta2] = g.betas as [number, number];
    const eps = g.eps as number;
    const wd = (g.weightDecay ?? g.weight_decay ?? 0) as number;
    if (st.step === undefined) {
      st.step = 0;
      st.exp_avg = this.newState(zerosLike(p));
      st.exp_avg_sq = this.newState(zerosLike(p));
      if (g.amsgrad) st.max_exp_avg_sq = this.newState(zerosLike(p));
    }
    const step = (st.step as number) + 1;
    st.step = step;
    const expAvg = st.exp_avg as Tensor;
    const expAvgSq = st.exp_avg_sq as Tensor;
    p.mul_(1 - lr * wd);
    expAvg.mul_(beta1).add_(grad, 1 - beta1);
    expAvgSq.mul_(beta2).addcmul_(grad, grad, 1 - beta2);
    const bc1 = 1 - beta1 ** step;
    const bc2 = 1 - beta2 ** step;
    const stepSize = lr / bc1;
    const bc2Sqrt = Math.sqrt(bc2);
    let base = expAvgSq;
    if (g.amsgrad) {
      const mx = st.max_exp_avg_sq as Tensor;
      const m2 = mx.maximum(expAvgSq);
      mx.copy_(m2);
      m2.dispose();
      base = mx;
    }
    const s = base.sqrt();
    const denom = s.div(bc2Sqrt).add_(eps);
    s.dispose();
    p.addcdiv_(expAvg, denom, -stepSize);
    denom.dispose();
  }
}

function fusable(p: Tensor, grad: Tensor): boolean {
  return p.dtype === 'float32' && grad.dtype === 'float32' && p.device === 'cpu' && grad.device === 'cpu' && p.isContiguous() && grad.isContiguous()
    && grad.numel === p.numel;
}
function fusableState(s: Tensor, p: Tensor): boolean {
  return s.dtype === 'float32' && s.device === 'cpu' && s.isContiguous() && s.numel === p.numel;
}
