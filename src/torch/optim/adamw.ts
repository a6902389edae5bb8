// AdamW with decoupled weight decay, the same arithmetic in the same order as torch.optim.AdamW
// (torch 1.13 single-tensor path), so parameters match PyTorch's to float rounding.
import { Tensor, zerosLike } from '../tensor';
import { Optimizer, type ParamGroup, type ParamGroupInput, type ParamState } from './optimizer';

export interface AdamWOptions { lr?: number; betas?: [number, number]; eps?: number; weightDecay?: number; amsgrad?: boolean }

export class AdamW extends Optimizer {
  constructor(params: Tensor[] | ParamGroupInput[], o: AdamWOptions = {}) {
    super(params, { lr: o.lr ?? 1e-3, betas: o.betas ?? [0.9, 0.999], eps: o.eps ?? 1e-8, weightDecay: o.weightDecay ?? 1e-2, amsgrad: o.amsgrad ?? false });
    for (const g of this.paramGroups) {
      if ((g.lr as number) < 0) throw new Error(`invalid learning rate: ${g.lr}`);
      const [b1, b2] = g.betas as [number, number];
      if (!(b1 >= 0 && b1 < 1) || !(b2 >= 0 && b2 < 1)) throw new Error(`invalid betas: [${b1}, ${b2}] (each must be in [0, 1))`);
    }
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
