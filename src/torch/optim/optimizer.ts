// Optimizer base: parameter groups with their own hyper-parameters, per-parameter state, and a
// state dict in PyTorch's shape ({state: {index: {...}}, param_groups: [{..., params: [index]}]}).
import { Tensor } from '../tensor';
import { keep } from '../scope';
import { noGrad } from '../runtime';

export interface ParamGroup { params: Tensor[]; lr: number; [hyper: string]: unknown }
export type ParamGroupInput = { params: Tensor[]; [hyper: string]: unknown };
export type ParamState = Record<string, Tensor | number>;

export interface OptimizerStateDict {
  state: Record<number, ParamState>;
  param_groups: (Record<string, unknown> & { params: number[] })[];
}

export abstract class Optimizer {
  readonly paramGroups: ParamGroup[];
  readonly state = new Map<Tensor, ParamState>();

  constructor(params: Tensor[] | ParamGroupInput[], readonly defaults: Record<string, unknown> & { lr: number }) {
    const groups: ParamGroupInput[] = params.length && !(params[0] instanceof Tensor) ? (params as ParamGroupInput[]) : [{ params: params as Tensor[] }];
    if (!groups.length || groups.every((g) => g.params.length === 0)) throw new Error('optimizer got an empty parameter list');
    this.paramGroups = groups.map((g) => ({ ...defaults, ...g, params: [...g.params] }) as ParamGroup);
    const seen = new Set<Tensor>();
    for (const g of this.paramGroups) for (const p of g.params) {
      if (seen.has(p)) throw new Error('some parameters appear in more than one parameter group');
      seen.add(p);
    }
  }

  /** One update of every parameter that has a gradient. */
  step(): void {
    noGrad(() => {
      for (const g of this.paramGroups) {
        for (const p of g.params) {
          const grad = p.grad;
          if (!grad) continue;
          let st = this.state.get(p);
          if (!st) { st = {}; this.state.set(p, st); }
          this.update(p, grad, st, g);
          grad.dispose();
        }
      }
    });
  }
  protected abstract update(p: Tensor, grad: Tensor, state: ParamState, group: ParamGroup): void;

  /** Clears gradients (set to none, PyTorch 2.x's default). */
  zeroGrad(setToNone = true): void {
    for (const g of this.paramGroups) for (const p of g.params) {
      if (setToNone) p.grad = null;
      else { const gr = p.grad; if (gr) { gr.zero_(); gr.dispose(); } }
    }
  }

  protected newState(t: Tensor): Tensor { return keep(t); }

  stateDict(): OptimizerStateDict {
    const index = new Map<Tensor, number>();
    let i = 0;
    const param_groups = this.paramGroups.map((g) => {
      const { params, ...hyper } = g;
      return { ...hyper, params: params.map((p) => { index.set(p, i); return i++; }) };
    });
    const state: Record<number, ParamState> = {};
    for (const [p, st] of this.state) { const k = index.get(p); if (k !== undefined) state[k] = st; }
    return { state, param_groups };
  }

  /** Restores state saved by stateDict() (tensors copied) for the same parameters in the same order. */
  loadStateDict(sd: OptimizerStateDict): void {
    if (sd.param_groups.length !== this.paramGroups.length) {
      throw new Error(`optimizer state has ${sd.param_groups.length} parameter groups, this optimizer has ${this.paramGroups.length}`);
    }
    const byIndex: Tensor[] = [];
    sd.param_groups.forEach((sg, gi) => {
      const g = this.paramGroups[gi]!;
      if (sg.params.length !== g.params.length) throw new Error(`optimizer state group ${gi} has ${sg.params.length} parameters, this optimizer has ${g.params.length}`);
      sg.params.forEach((idx, j) => { byIndex[idx] = g.params[j]!; });
      for (const [k, v] of Object.entries(sg)) if (k !== 'params') g[k] = v;
    });
    for (const st of this.state.values()) for (const v of Object.values(st)) if (v instanceof Tensor) v.dispose();
    this.state.clear();
    for (const [k, st] of Object.entries(sd.state)) {
      const p = byIndex[Number(k)];
      if (!p) throw new Error(`optimizer state refers to parameter ${k}, which does not exist`);
      const copy: ParamState = {};
      for (const [n, v] of Object.entries(st)) {
        if (v instanceof Tensor) {
          if (n !== 'step' && v.shape.join(',') !== p.shape.join(',')) throw new Error(`optimizer state '${n}' of parameter ${k} has shape [${v.shape}], the parameter has [${p.shape}]`);
          copy[n] = keep(v.to({ device: p.device, copy: true }));
        } else copy[n] = v;
      }
      this.state.set(p, copy);
    }
  }

  /** Frees the optimizer state tensors. */
  dispose(): void {
    for (const st of this.state.values()) for (const v of Object.values(st)) if (v instanceof Tensor) v.dispose();
    this.state.clear();
  }
}
