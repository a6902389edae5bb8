// Learning-rate schedules of transformers' `get_scheduler` (optimization.py), as pure math, plus a
// stateful LambdaLR-like scheduler that drives any optimizer through a `setLr` callback.
//
// Steps count like PyTorch's LambdaLR `last_epoch`: the scheduler is created at step 0, so the lr used
// by optimizer step k (k = 1, 2, ...) is lrAt(k - 1). lr = groupBaseLr * lambda(step), computed in the
// same floating-point order as the Python code so values match bit for bit where the math library does.

export const SCHEDULER_NAMES = [
  'linear', 'cosine', 'cosine_with_restarts', 'polynomial', 'constant', 'constant_with_warmup', 'inverse_sqrt',
] as const;
export type SchedulerName = (typeof SCHEDULER_NAMES)[number];

export interface SchedulerSpecificKwargs {
  /** cosine: number of waves (default 0.5); cosine_with_restarts: number of hard restarts (default 1). */
  numCycles?: number;
  num_cycles?: number;
  /** polynomial: final lr (absolute, default 1e-7). */
  lrEnd?: number;
  lr_end?: number;
  /** polynomial: power (default 1.0). */
  power?: number;
  /** inverse_sqrt: time scale (default numWarmupSteps, or 10000 when that is 0). */
  timescale?: number;
}

export interface GetSchedulerOptions {
  name: SchedulerName | string;
  numWarmupSteps?: number | null;
  numTrainingSteps?: number | null;
  /** The optimizer's default lr (`optimizer.defaults["lr"]`): what lrAt multiplies, and polynomial's lr_init. */
  baseLr: number;
  schedulerSpecificKwargs?: SchedulerSpecificKwargs | null;
  // snake_case, as configs arrive from JSON/YAML
  num_warmup_steps?: number | null;
  num_training_steps?: number | null;
  scheduler_specific_kwargs?: SchedulerSpecificKwargs | null;
}

export interface Schedule {
  readonly name: SchedulerName;
  /** The LambdaLR multiplier at `step` (last_epoch). */
  lambda(step: number): number;
  /** baseLr * lambda(step): the lr in effect after `step` scheduler steps. */
  lrAt(step: number): number;
}

const ALLOWED_KWARGS: Record<SchedulerName, string[]> = {
  linear: [],
  cosine: ['numCycles', 'num_cycles'],
  cosine_with_restarts: ['numCycles', 'num_cycles'],
  polynomial: ['lrEnd', 'lr_end', 'power'],
  constant: [],
  constant_with_warmup: [],
  inverse_sqrt: ['timescale'],
};

function checkSteps(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
    throw new Error(`${what} must be a non-negative integer, got ${JSON.stringify(v)}`);
  }
  return v;
}

function checkStep(step: number): void {
  if (!Number.isInteger(step) || step < 0) throw new Error(`scheduler step must be a non-negative integer, got ${step}`);
}

/** What a scheduler drives: an optimizer's default lr and its parameter groups' lr (any hubtune optimizer). */
export interface SchedulableOptimizer {
  readonly defaults: { lr: number };
  readonly paramGroups: { lr: number; [hyper: string]: unknown }[];
}

/** get_scheduler's arguments with the optimizer it drives (its default lr replaces `baseLr`). */
export type GetSchedulerForOptimizerOptions = Omit<GetSchedulerOptions, 'baseLr'> & { optimizer: SchedulableOptimizer; lastEpoch?: number };

/**
 * transformers' get_scheduler. With an `optimizer`, like Python, it returns the LambdaLR-like
 * LRScheduler that sets the optimizer's lr (call `step()` after each optimizer step); with only
 * `baseLr`, the schedule as pure math (`lambda(step)`, `lrAt(step)`).
 */
export function getScheduler(opts: GetSchedulerForOptimizerOptions): LRScheduler;
export function getScheduler(opts: GetSchedulerOptions): Schedule;
export function getScheduler(opts: GetSchedulerOptions | GetSchedulerForOptimizerOptions): Schedule | LRScheduler {
  if ('optimizer' in opts && opts.optimizer) {
    const opt = opts.optimizer;
    // PyTorch's LRScheduler: each group's initial_lr is set once (setdefault) and is the base lr.
    const groups = opt.paramGroups as { lr: number; initial_lr?: number }[];
    for (const g of groups) g.initial_lr ??= g.lr;
    return LRScheduler.fromSchedule({
      ...opts, baseLr: opt.defaults.lr, baseLrs: groups.map((g) => g.initial_lr!),
      setLr: (i, lr) => { opt.paramGroups[i]!.lr = lr; },
    });
  }
  return scheduleFor(opts as GetSchedulerOptions);
}

type NamedScheduleOptions = Omit<GetSchedulerForOptimizerOptions, 'name' | 'schedulerSpecificKwargs' | 'scheduler_specific_kwargs'>;
const named = (name: SchedulerName, o: NamedScheduleOptions, kw?: SchedulerSpecificKwargs): LRScheduler =>
  getScheduler({ ...o, name, schedulerSpecificKwargs: kw });
/** transformers' get_constant_schedule. */
export const getConstantSchedule = (o: { optimizer: SchedulableOptimizer; lastEpoch?: number }): LRScheduler => named('constant', o);
/** transformers' get_constant_schedule_with_warmup. */
export const getConstantScheduleWithWarmup = (o: NamedScheduleOptions): LRScheduler => named('constant_with_warmup', o);
/** transformers' get_linear_schedule_with_warmup. */
export const getLinearScheduleWithWarmup = (o: NamedScheduleOptions): LRScheduler => named('linear', o);
/** transformers' get_cosine_schedule_with_warmup (numCycles default 0.5). */
export const getCosineScheduleWithWarmup = (o: NamedScheduleOptions & { numCycles?: number }): LRScheduler => named('cosine', o, { numCycles: o.numCycles });
/** transformers' get_cosine_with_hard_restarts_schedule_with_warmup (numCycles default 1). */
export const getCosineWithHardRestartsScheduleWithWarmup = (o: NamedScheduleOptions & { numCycles?: number }): LRScheduler => named('cosine_with_restarts', o, { numCycles: o.numCycles });
/** transformers' get_polynomial_decay_schedule_with_warmup (lrEnd default 1e-7, power 1). */
export const getPolynomialDecayScheduleWithWarmup = (o: NamedScheduleOptions & { lrEnd?: number; power?: number }): LRScheduler => named('polynomial', o, { lrEnd: o.lrEnd, power: o.power });
/** transformers' get_inverse_sqrt_schedule (timescale default numWarmupSteps or 10000). */
export const getInverseSqrtSchedule = (o: NamedScheduleOptions & { timescale?: number }): LRScheduler => named('inverse_sqrt', o, { timescale: o.timescale });

/** Builds the lr lambda for a schedule, following transformers' get_scheduler argument rules. */
function scheduleFor(opts: GetSchedulerOptions): Schedule {
  const name = opts.name as SchedulerName;
  if (!SCHEDULER_NAMES.includes(name)) {
    throw new Error(`unknown lr scheduler '${opts.name}': use one of ${SCHEDULER_NAMES.join(', ')}`);
  }
  const baseLr = opts.baseLr;
  if (typeof baseLr !== 'number' || !Number.isFinite(baseLr) || baseLr < 0) {
    throw new Error(`baseLr must be a non-negative finite number, got ${JSON.stringify(baseLr)}`);
  }
  const kw: SchedulerSpecificKwargs = opts.schedulerSpecificKwargs ?? opts.scheduler_specific_kwargs ?? {};
  const unknown = Object.keys(kw).filter((k) => (kw as Record<string, unknown>)[k] !== undefined && !ALLOWED_KWARGS[name].includes(k));
  if (unknown.length) {
    throw new Error(`scheduler '${name}' does not take ${unknown.join(', ')}${ALLOWED_KWARGS[name].length ? ` (it takes ${ALLOWED_KWARGS[name].join(', ')})` : ' (it takes no extra arguments)'}`);
  }
  const make = (lambda: (step: number) => number): Schedule => ({
    name,
    lambda(step: number) {
      checkStep(step);
      return lambda(step);
    },
    lrAt(step: number) {
      checkStep(step);
      return baseLr * lambda(step);
    },
  });

  if (name === 'constant') return make(() => 1);

  const warmupRaw = opts.numWarmupSteps ?? opts.num_warmup_steps;
  if (warmupRaw == null) throw new Error(`${name} requires \`numWarmupSteps\`, please provide that argument.`);
  const warmup = checkSteps(warmupRaw, 'numWarmupSteps');
  const warm = (step: number) => step / Math.max(1, warmup);

  if (name === 'constant_with_warmup') return make((s) => (s < warmup ? warm(s) : 1.0));

  if (name === 'inverse_sqrt') {
    const timescale = kw.timescale ?? (warmup || 10_000);
    if (!(timescale > 0)) throw new Error(`inverse_sqrt timescale must be positive, got ${timescale}`);
    const shift = timescale - warmup;
    return make((s) => (s < warmup ? warm(s) : 1.0 / Math.sqrt((s + shift) / timescale)));
  }

  const totalRaw = opts.numTrainingSteps ?? opts.num_training_steps;
  if (totalRaw == null) throw new Error(`${name} requires \`numTrainingSteps\`, please provide that argument.`);
  const total = checkSteps(totalRaw, 'numTrainingSteps');
  const progress = (s: number) => (s - warmup) / Math.max(1, total - warmup);

  switch (name) {
    case 'linear':
      return make((s) => (s < warmup ? warm(s) : Math.max(0.0, (total - s) / Math.max(1, total - warmup))));
    case 'cosine': {
      const cycles = kw.numCycles ?? kw.num_cycles ?? 0.5;
      return make((s) => (s < warmup ? warm(s) : Math.max(0.0, 0.5 * (1.0 + Math.cos(Math.PI * cycles * 2.0 * progress(s))))));
    }
    case 'cosine_with_restarts': {
      const cycles = kw.numCycles ?? kw.num_cycles ?? 1;
      return make((s) => {
        if (s < warmup) return warm(s);
        const p = progress(s);
        if (p >= 1.0) return 0.0;
        return Math.max(0.0, 0.5 * (1.0 + Math.cos(Math.PI * ((cycles * p) % 1.0))));
      });
    }
    case 'polynomial': {
      const lrEnd = kw.lrEnd ?? kw.lr_end ?? 1e-7;
      const power = kw.power ?? 1.0;
      const lrInit = baseLr;
      if (!(lrInit > lrEnd)) throw new Error(`lr_end (${lrEnd}) must be smaller than initial lr (${lrInit})`);
      return make((s) => {
        if (s < warmup) return warm(s);
        if (s > total) return lrEnd / lrInit; // LambdaLR multiplies by lr_init
        const lrRange = lrInit - lrEnd;
        const decaySteps = total - warmup;
        const pctRemaining = 1 - (s - warmup) / decaySteps;
        const decay = lrRange * pctRemaining ** power + lrEnd;
        return decay / lrInit;
      });
    }
  }
  throw new Error(`unreachable: ${name}`);
}

// ---------------------------------------------------------------------------------------------

export interface LRSchedulerState {
  base_lrs: number[];
  last_epoch: number;
  _step_count: number;
  _last_lr: number[];
  verbose: boolean;
  _get_lr_called_within_step: boolean;
  lr_lambdas: null[];
}

export interface LRSchedulerOptions {
  /** One lambda for every group, or one per group (PyTorch LambdaLR's lr_lambda). */
  lrLambda: ((step: number) => number) | Array<(step: number) => number>;
  /** Each param group's initial lr (PyTorch's `initial_lr`). */
  baseLrs: number[];
  /** Sets param group `groupIndex`'s lr in the optimizer. */
  setLr: (groupIndex: number, lr: number) => void;
  /** Resume from this last_epoch (default -1: a fresh start). */
  lastEpoch?: number;
}

/**
 * PyTorch's LambdaLR without the optimizer: construction performs the initial step (last_epoch
 * becomes lastEpoch + 1 and every group's lr is set), then call step() after each optimizer step.
 */
export class LRScheduler {
  private readonly lambdas: Array<(step: number) => number>;
  private readonly setLr: (groupIndex: number, lr: number) => void;
  private baseLrs: number[];
  private _lastEpoch: number;
  private stepCount = 0;
  private lastLr: number[] = [];

  constructor(opts: LRSchedulerOptions) {
    const { baseLrs, lrLambda, setLr } = opts;
    if (!Array.isArray(baseLrs) || baseLrs.length === 0 || !baseLrs.every((x) => typeof x === 'number' && Number.isFinite(x))) {
      throw new Error(`baseLrs must be a non-empty array of finite numbers (one per param group), got ${JSON.stringify(baseLrs)}`);
    }
    if (Array.isArray(lrLambda)) {
      if (lrLambda.length !== baseLrs.length) throw new Error(`expected ${baseLrs.length} lr lambdas (one per param group), got ${lrLambda.length}`);
      this.lambdas = [...lrLambda];
    } else {
      this.lambdas = baseLrs.map(() => lrLambda);
    }
    if (typeof setLr !== 'function') throw new Error('setLr(groupIndex, lr) callback is required');
    this.setLr = setLr;
    this.baseLrs = [...baseLrs];
    const lastEpoch = opts.lastEpoch ?? -1;
    if (!Number.isInteger(lastEpoch) || lastEpoch < -1) throw new Error(`lastEpoch must be an integer >= -1, got ${lastEpoch}`);
    this._lastEpoch = lastEpoch;
    this.step();
  }

  /** Creates a scheduler for a named transformers schedule; `baseLr` is the optimizer's default lr. */
  static fromSchedule(opts: GetSchedulerOptions & { baseLrs?: number[]; setLr: (groupIndex: number, lr: number) => void; lastEpoch?: number }): LRScheduler {
    const schedule = scheduleFor(opts);
    return new LRScheduler({ lrLambda: (s) => schedule.lambda(s), baseLrs: opts.baseLrs ?? [opts.baseLr], setLr: opts.setLr, lastEpoch: opts.lastEpoch });
  }

  get lastEpoch(): number {
    return this._lastEpoch;
  }

  /** Advances one step and sets every group's lr. */
  step(): void {
    this.stepCount += 1;
    this._lastEpoch += 1;
    this.lastLr = this.baseLrs.map((b, i) => b * this.lambdas[i](this._lastEpoch));
    this.lastLr.forEach((lr, i) => this.setLr(i, lr));
  }

  /** The lr of each group after the last step (what the next optimizer step uses). */
  getLastLr(): number[] {
    return [...this.lastLr];
  }

  /** JSON-serialisable state with PyTorch's LambdaLR keys (lambdas are not saved, as in PyTorch for plain functions). */
  stateDict(): LRSchedulerState {
    return {
      base_lrs: [...this.baseLrs],
      last_epoch: this._lastEpoch,
      _step_count: this.stepCount,
      _last_lr: [...this.lastLr],
      verbose: false,
      _get_lr_called_within_step: false,
      lr_lambdas: this.lambdas.map(() => null),
    };
  }

  /** Restores a stateDict() and re-applies the restored lrs to the optimizer's groups. */
  loadStateDict(state: Partial<LRSchedulerState>): void {
    if (!state || typeof state !== 'object') throw new Error('scheduler state must be an object from stateDict()');
    const { base_lrs: baseLrs, last_epoch: lastEpoch, _step_count: stepCount, _last_lr: lastLr } = state;
    const n = this.baseLrs.length;
    const isNums = (a: unknown): a is number[] => Array.isArray(a) && a.length === n && a.every((x) => typeof x === 'number' && Number.isFinite(x));
    if (!isNums(baseLrs)) throw new Error(`scheduler state base_lrs must hold ${n} numbers (one per param group), got ${JSON.stringify(baseLrs)}`);
    if (typeof lastEpoch !== 'number' || !Number.isInteger(lastEpoch) || lastEpoch < -1) throw new Error(`scheduler state last_epoch must be an integer >= -1, got ${JSON.stringify(lastEpoch)}`);
    if (lastLr !== undefined && !isNums(lastLr)) throw new Error(`scheduler state _last_lr must hold ${n} numbers, got ${JSON.stringify(lastLr)}`);
    this.baseLrs = [...baseLrs];
    this._lastEpoch = lastEpoch;
    this.stepCount = typeof stepCount === 'number' ? stepCount : lastEpoch + 1;
    this.lastLr = lastLr ? [...lastLr] : this.baseLrs.map((b, i) => b * this.lambdas[i](Math.max(0, lastEpoch)));
    this.lastLr.forEach((lr, i) => this.setLr(i, lr));
  }
}
