// SGD with momentum, dampening, nesterov and (coupled) weight decay, as torch.optim.SGD.
import { Tensor } from '../tensor';
import { Optimizer, type ParamGroup, type ParamGroupInput, type ParamState } from './optimizer';

export interface SGDOptions { lr: number; momentum?: number; dampening?: number; weightDecay?: number; nesterov?: boolean }

export class SGD extends Optimizer {
  constructor(params: Tensor[] | ParamGroupInput[], o: SGDOptions) {
    super(params, { lr: o.lr, momentum: o.momentum ?? 0, dampening: o.dampening ?? 0, weightDecay: o.weightDecay ?? 0, nesterov: o.nesterov ?? false });
    for (const g of this.paramGroups) {
      if (g.nesterov && (((g.momentum as number) <= 0) || (g.dampening as number) !== 0)) {
        throw new Error('nesterov momentum needs a momentum > 0 and zero dampening');
      }
    }
  }
  protected update(p: Tensor, grad: Tensor, st: ParamState, g: ParamGroup): void {
    const wd = (g.weightDecay ?? g.weight_decay ?? 0) as number;
    const momentum = g.momentum as number;
    const owned: Tensor[] = [];
    let dp = grad;
    if (wd !== 0) { dp = dp.add(p, wd); owned.push(dp); }
    if (momentum !== 0) {
      let buf = st.momentum_buffer as Tensor | undefined;
      if (!buf) {
        buf = this.newState(dp.detach().clone());
        st.momentum_buffer = buf;
      } else {
        buf.mul_(momentum).add_(dp, 1 - (g.dampening as number));
      }
      if (g.nesterov) { dp = dp.add(buf, momentum); owned.push(dp); }
      else dp = buf;
    }
    p.add_(dp, -g.lr);
    owned.forEach((t) => t.dispose());
  }
}
