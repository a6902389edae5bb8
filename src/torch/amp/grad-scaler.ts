// GradScaler with torch.cuda.amp.GradScaler's semantics (dynamic loss scaling for float16
// training): scale the loss before backward, unscale the gradients (once, before clipping), skip
// the optimizer step when any gradient is inf/NaN, then grow the scale after `growthInterval`
// clean steps or back it off after an overflow. Works on any device (CPU included, for tests).
import { Tensor } from '../tensor';
import { noGrad } from '../runtime';
import type { Optimizer } from '../optim/optimizer';

export interface GradScalerOptions {
  initScale?: number;
  growthFactor?: number;
  backoffFactor?: number;
  growthInterval?: number;
  enabled?: boolean;
}
/** torch's GradScaler.state_dict() keys. */
export interface GradScalerState {
  scale: number;
  growth_factor: number;
  backoff_factor: number;
  growth_interval: number;
  _growth_tracker: number;
}

type Stage = 'ready' | 'unscaled' | 'stepped';
interface PerOptimizer { stage: Stage; foundInf: boolean | null }

export class GradScaler {
  private scaleValue: number;
  private growthFactor: number;
  private backoffFactor: number;
  private growthInterval: number;
  private growthTracker = 0;
  private readonly enabled: boolean;
  private perOptimizer = new Map<Optimizer, PerOptimizer>();

  constructor(o: GradScalerOptions = {}) {
    this.enabled = o.enabled ?? true;
    this.scaleValue = Math.fround(o.initScale ?? 2 ** 16);
    this.growthFactor = o.growthFactor ?? 2.0;
    this.backoffFactor = o.backoffFactor ?? 0.5;
    this.growthInterval = o.growthInterval ?? 2000;
    if (!(this.growthFactor > 1)) throw new Error(`GradScaler: growthFactor must be greater than 1, got ${this.growthFactor}`);
    if (!(this.backoffFactor < 1 && this.backoffFactor > 0)) throw new Error(`GradScaler: backoffFactor must be between 0 and 1, got ${this.backoffFactor}`);
    if (!Number.isInteger(this.growthInterval) || this.growthInterval <= 0) throw new Error(`GradScaler: growthInterval must be a positive integer, got ${this.growthInterval}`);
  }

  isEnabled(): boolean { return this.enabled; }

  /** outputs x scale (a tensor, or arrays/objects of tensors); unchanged when disabled. */
  scale<T>(outputs: T): T {
    if (!this.enabled) return outputs;
    const s = this.scaleValue;
    const apply = (v: unknown): unknown => {
      if (v instanceof Tensor) return v.mul(s);
      if (Array.isArray(v)) return v.map(apply);
      if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, apply(x)]));
      throw new TypeError('GradScaler.scale: outputs must be a Tensor or arrays/objects of Tensors');
    };
    return apply(outputs) as T;
  }

  private state(opt: Optimizer): PerOptimizer {
    let st = this.perOptimizer.get(opt);
    if (!st) { st = { stage: 'ready', foundInf: null }; this.perOptimizer.set(opt, st); }
    return st;
  }

  /**
   * Divides the optimizer's gradients by the scale in place and records whether any is inf/NaN.
   * Call it before clipping gradients; at most once per optimizer between update() calls.
   */
  unscale_(optimizer: Optimizer): void {
    if (!this.enabled) return;
    const st = this.state(optimizer);
    if (st.stage === 'unscaled') throw new Error('unscale_() has already been called on this optimizer since the last update().');
    if (st.stage === 'stepped') throw new Error('unscale_() is being called after step().');
    const inv = Math.fround(1 / this.scaleValue);
    let found = false;
    noGrad(() => {
      for (const g of optimizer.paramGroups) {
        for (const p of g.params) {
          const grad = p.grad;
          if (!grad) continue;
          if (grad.dtype === 'float16') { grad.dispose(); throw new Error('Attempting to unscale FP16 gradients.'); }
          if (!found) {
            const ok = grad.isfinite();
            const all = ok.all();
            found = !all.item();
            ok.dispose(); all.dispose();
          }
          grad.mul_(inv);
          grad.dispose();
        }
      }
    });
    st.foundInf = found;
    st.stage = 'unscaled';
  }

  /** optimizer.step() unless the (unscaled) gradients held inf/NaN; returns whether it stepped. */
  step(optimizer: Optimizer): boolean {
    if (!this.enabled) { optimizer.step(); return true; }
    const st = this.state(optimizer);
    if (st.stage === 'stepped') throw new Error('step() has already been called since the last update().');
    if (st.stage === 'ready') this.unscale_(optimizer);
    if (st.foundInf === null) throw new Error('No inf checks were recorded for this optimizer.');
    const run = !st.foundInf;
    if (run) optimizer.step();
    st.stage = 'stepped';
    return run;
  }

  /**
   * Updates the scale: backoffFactor x after an inf/NaN in any optimizer since the last update,
   * growthFactor x after growthInterval clean steps in a row; or sets `newScale`.
   */
  update(newScale?: number): void {
    if (!this.enabled) return;
    if (newScale !== undefined) {
      if (!(newScale > 0) || !Number.isFinite(newScale)) throw new Error(`GradScaler.update: newScale must be a positive finite number, got ${newScale}`);
      this.scaleValue = Math.fround(newScale);
    } else {
      const infs = [...this.perOptimizer.values()].map((s) => s.foundInf).filter((f): f is boolean => f !== null);
      if (!infs.length) throw new Error('No inf checks were recorded prior to update.');
      if (infs.some(Boolean)) {
        this.scaleValue = Math.fround(this.scaleValue * this.backoffFactor);
        this.growthTracker = 0;
      } else if (this.growthTracker + 1 === this.growthInterval) {
        const grown = Math.fround(this.scaleValue * this.growthFactor);
        if (Number.isFinite(grown)) this.scaleValue = grown;
        this.growthTracker = 0;
      } else {
        this.growthTracker += 1;
      }
    }
    this.perOptimizer = new Map();
  }

  /** The current scale (1.0 when disabled). */
  getScale(): number { return this.enabled ? this.scaleValue : 1.0; }
  getGrowthFactor(): number { return this.growthFactor; }
  setGrowthFactor(v: number): void { this.growthFactor = v; }
  getBackoffFactor(): number { return this.backoffFactor; }
  setBackoffFactor(v: number): void { this.backoffFactor = v; }
  getGrowthInterval(): number { return this.growthInterval; }
  setGrowthInterval(v: number): void { this.growthInterval = v; }
  /** Clean steps since the last growth or backoff. */
  getGrowthTracker(): number { return this.growthTracker; }
  /** Whether the last step() of this optimizer found inf/NaN gradients (and so skipped). */
  foundInf(optimizer: Optimizer): boolean { return this.perOptimizer.get(optimizer)?.foundInf ?? false; }

  /** torch's state_dict (empty when disabled). */
  stateDict(): GradScalerState | Record<string, never> {
    if (!this.enabled) return {};
    return { scale: this.scaleValue, growth_factor: this.growthFactor, backoff_factor: this.backoffFactor, growth_interval: this.growthInterval, _growth_tracker: this.growthTracker };
  }
  loadStateDict(sd: Partial<GradScalerState>): void {
    if (!this.enabled) return;
    if (!sd || Object.keys(sd).length === 0) throw new Error('The source state dict is empty, possibly because it was saved from a disabled instance of GradScaler.');
    for (const k of ['scale', 'growth_factor', 'backoff_factor', 'growth_interval', '_growth_tracker'] as const) {
      if (typeof sd[k] !== 'number' || !Number.isFinite(sd[k])) throw new Error(`GradScaler state: '${k}' must be a finite number, got ${JSON.stringify(sd[k])}`);
    }
    this.scaleValue = Math.fround(sd.scale!);
    this.growthFactor = sd.growth_factor!;
    this.backoffFactor = sd.backoff_factor!;
    this.growthInterval = sd.growth_interval!;
    this.growthTracker = sd._growth_tracker!;
  }
}
