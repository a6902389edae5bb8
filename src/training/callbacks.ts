// Trainer callbacks, as transformers' trainer_callback.py: TrainerControl, the TrainerCallback
// events, CallbackHandler (calls them in order), DefaultFlowCallback (decides when to log,
// evaluate, save and stop), EarlyStoppingCallback, and JsonlLogCallback (log_history.jsonl).
import * as fs from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomicSync } from './atomic';
import { pyJsonDumps } from './pyjson';
import type { TrainingArguments } from './training-args';
import type { CallbackStateJson, LogEntry, TrainerState } from './trainer-state';

/** Switches callbacks flip to steer the training loop. */
export class TrainerControl {
  shouldTrainingStop = false;
  shouldEpochStop = false;
  shouldSave = false;
  shouldEvaluate = false;
  shouldLog = false;

  constructor(init: Partial<Pick<TrainerControl, 'shouldTrainingStop' | 'shouldEpochStop' | 'shouldSave' | 'shouldEvaluate' | 'shouldLog'>> = {}) {
    Object.assign(this, init);
  }

  newTraining(): void { this.shouldTrainingStop = false; }
  newEpoch(): void { this.shouldEpochStop = false; }
  newStep(): void {
    this.shouldSave = false;
    this.shouldEvaluate = false;
    this.shouldLog = false;
  }

  /** Saved in trainer_state.json's stateful_callbacks under "TrainerControl". */
  state(): CallbackStateJson {
    return {
      args: {
        should_training_stop: this.shouldTrainingStop,
        should_epoch_stop: this.shouldEpochStop,
        should_save: this.shouldSave,
        should_evaluate: this.shouldEvaluate,
        should_log: this.shouldLog,
      },
      attributes: {},
    };
  }

  static fromState(s: CallbackStateJson): TrainerControl {
    const a = s.args as Record<string, boolean>;
    return new TrainerControl({
      shouldTrainingStop: !!a.should_training_stop,
      shouldEpochStop: !!a.should_epoch_stop,
      shouldSave: !!a.should_save,
      shouldEvaluate: !!a.should_evaluate,
      shouldLog: !!a.should_log,
    });
  }
}

/** What the Trainer hands every event besides args/state/control. */
export interface CallbackExtras {
  model?: unknown;
  processingClass?: unknown;
  optimizer?: unknown;
  lrScheduler?: unknown;
  trainDataloader?: unknown;
  evalDataloader?: unknown;
  /** onEvaluate / onPredict only. */
  metrics?: Record<string, number>;
  /** onEvaluate only: the evaluation's predictions (logits) and label ids, flat with their shapes. */
  evalPredictions?: { data: Float32Array; shape: number[] } | null;
  evalLabelIds?: { data: Float32Array; shape: number[] } | null;
  /** onLog only: the values being logged (without "step"). */
  logs?: LogEntry;
  [key: string]: unknown;
}

export type EventResult = TrainerControl | void | Promise<TrainerControl | void>;
export type CallbackEvent = (args: TrainingArguments, state: TrainerState, control: TrainerControl, extras: CallbackExtras) => EventResult;

/** Every method is optional; return a (modified) control or nothing. May be async. */
export interface TrainerCallback {
  onInitEnd?: CallbackEvent;
  onTrainBegin?: CallbackEvent;
  onTrainEnd?: CallbackEvent;
  onEpochBegin?: CallbackEvent;
  onEpochEnd?: CallbackEvent;
  onStepBegin?: CallbackEvent;
  onSubstepEnd?: CallbackEvent;
  onStepEnd?: CallbackEvent;
  onEvaluate?: CallbackEvent;
  onPredict?: CallbackEvent;
  onSave?: CallbackEvent;
  onLog?: CallbackEvent;
  onPredictionStep?: CallbackEvent;
  onPushBegin?: CallbackEvent;
}

/** A callback whose state is saved in checkpoints and restored on resume. */
export interface StatefulCallback extends TrainerCallback {
  state(): CallbackStateJson;
}

type EventName = keyof TrainerCallback;
type CallbackLike = TrainerCallback | (new () => TrainerCallback);

export interface CallbackHandlerRefs {
  model?: unknown;
  processingClass?: unknown;
  optimizer?: unknown;
  lrScheduler?: unknown;
  /** Receives warnings (default console.warn). */
  warn?: (message: string) => void;
}

/** Calls the callbacks in order for each event; the Trainer awaits each event. */
export class CallbackHandler {
  callbacks: TrainerCallback[] = [];
  model: unknown;
  processingClass: unknown;
  optimizer: unknown;
  lrScheduler: unknown;
  trainDataloader: unknown = undefined;
  evalDataloader: unknown = undefined;
  private warn: (message: string) => void;

  constructor(callbacks: CallbackLike[] = [], refs: CallbackHandlerRefs = {}) {
    this.warn = refs.warn ?? ((m) => console.warn(m));
    for (const cb of callbacks) this.addCallback(cb);
    this.model = refs.model;
    this.processingClass = refs.processingClass;
    this.optimizer = refs.optimizer;
    this.lrScheduler = refs.lrScheduler;
    if (!this.callbacks.some((cb) => cb instanceof DefaultFlowCallback)) {
      this.warn(`The Trainer will not work properly without a DefaultFlowCallback in its callbacks: add one with addCallback(DefaultFlowCallback). Current callbacks: ${this.callbackList || '(none)'}`);
    }
  }

  addCallback(callback: CallbackLike): void {
    const cb = typeof callback === 'function' ? new callback() : callback;
    const cls = cb.constructor;
    if (this.callbacks.some((c) => c.constructor === cls && cls !== Object)) {
      this.warn(`You are adding a ${cls.name} to the callbacks of this Trainer, but there is already one. Current callbacks: ${this.callbackList}`);
    }
    this.callbacks.push(cb);
  }

  /** Removes and returns the first callback that is `callback` (an instance) or of that class. */
  popCallback(callback: CallbackLike): TrainerCallback | undefined {
    const i = this.callbacks.findIndex((c) => (typeof callback === 'function' ? c instanceof callback : c === callback));
    if (i < 0) return undefined;
    return this.callbacks.splice(i, 1)[0];
  }

  removeCallback(callback: CallbackLike): void {
    this.popCallback(callback);
  }

  get callbackList(): string {
    return this.callbacks.map((c) => c.constructor.name).join(', ');
  }

  onInitEnd(args: TrainingArguments, state: TrainerState, control: TrainerControl) {
    return this.callEvent('onInitEnd', args, state, control);
  }
  onTrainBegin(args: TrainingArguments, state: TrainerState, control: TrainerControl) {
    control.shouldTrainingStop = false;
    return this.callEvent('onTrainBegin', args, state, control);
  }
  onTrainEnd(args: TrainingArguments, state: TrainerState, control: TrainerControl) {
    return this.callEvent('onTrainEnd', args, state, control);
  }
  onEpochBegin(args: TrainingArguments, state: TrainerState, control: TrainerControl) {
    control.shouldEpochStop = false;
    return this.callEvent('onEpochBegin', args, state, control);
  }
  onEpochEnd(args: TrainingArguments, state: TrainerState, control: TrainerControl) {
    return this.callEvent('onEpochEnd', args, state, control);
  }
  onStepBegin(args: TrainingArguments, state: TrainerState, control: TrainerControl) {
    control.shouldLog = false;
    control.shouldEvaluate = false;
    control.shouldSave = false;
    return this.callEvent('onStepBegin', args, state, control);
  }
  onSubstepEnd(args: TrainingArguments, state: TrainerState, control: TrainerControl) {
    return this.callEvent('onSubstepEnd', args, state, control);
  }
  onStepEnd(args: TrainingArguments, state: TrainerState, control: TrainerControl) {
    return this.callEvent('onStepEnd', args, state, control);
  }
  onEvaluate(args: TrainingArguments, state: TrainerState, control: TrainerControl, metrics: Record<string, number>, extras: CallbackExtras = {}) {
    control.shouldEvaluate = false;
    return this.callEvent('onEvaluate', args, state, control, { ...extras, metrics });
  }
  onPredict(args: TrainingArguments, state: TrainerState, control: TrainerControl, metrics: Record<string, number>) {
    return this.callEvent('onPredict', args, state, control, { metrics });
  }
  onSave(args: TrainingArguments, state: TrainerState, control: TrainerControl) {
    control.shouldSave = false;
    return this.callEvent('onSave', args, state, control);
  }
  onLog(args: TrainingArguments, state: TrainerState, control: TrainerControl, logs: LogEntry) {
    control.shouldLog = false;
    return this.callEvent('onLog', args, state, control, { logs });
  }
  onPredictionStep(args: TrainingArguments, state: TrainerState, control: TrainerControl, extras: CallbackExtras = {}) {
    return this.callEvent('onPredictionStep', args, state, control, extras);
  }
  onPushBegin(args: TrainingArguments, state: TrainerState, control: TrainerControl, extras: CallbackExtras = {}) {
    return this.callEvent('onPushBegin', args, state, control, extras);
  }

  async callEvent(event: EventName, args: TrainingArguments, state: TrainerState, control: TrainerControl, extra: CallbackExtras = {}): Promise<TrainerControl> {
    for (const cb of this.callbacks) {
      const fn = cb[event];
      if (typeof fn !== 'function') continue;
      const result = await fn.call(cb, args, state, control, {
        model: this.model,
        processingClass: this.processingClass,
        optimizer: this.optimizer,
        lrScheduler: this.lrScheduler,
        trainDataloader: this.trainDataloader,
        evalDataloader: this.evalDataloader,
        ...extra,
      });
      if (result instanceof TrainerControl) control = result;
    }
    return control;
  }
}

/** Decides when to log, evaluate, save and stop, exactly as transformers' DefaultFlowCallback. */
export class DefaultFlowCallback implements TrainerCallback {
  onStepEnd(args: TrainingArguments, state: TrainerState, control: TrainerControl): TrainerControl {
    // Log
    if (state.globalStep === 1 && args.loggingFirstStep) control.shouldLog = true;
    if (args.loggingStrategy === 'steps' && state.globalStep % state.loggingSteps === 0) control.shouldLog = true;
    // Evaluate
    if (args.evalStrategy === 'steps' && state.globalStep % state.evalSteps === 0 && args.evalDelay <= state.globalStep) {
      control.shouldEvaluate = true;
    }
    // Save
    if (args.saveStrategy === 'steps' && state.saveSteps > 0 && state.globalStep % state.saveSteps === 0) {
      control.shouldSave = true;
    }
    // End training (and save at the end with a step save strategy)
    if (state.globalStep >= state.maxSteps) {
      control.shouldTrainingStop = true;
      if (args.saveStrategy === 'steps') control.shouldSave = true;
    }
    return control;
  }

  onEpochEnd(args: TrainingArguments, state: TrainerState, control: TrainerControl): TrainerControl {
    if (args.loggingStrategy === 'epoch') control.shouldLog = true;
    if (args.evalStrategy === 'epoch' && args.evalDelay <= state.epoch) control.shouldEvaluate = true;
    if (args.saveStrategy === 'epoch') control.shouldSave = true;
    return control;
  }
}

export interface EarlyStoppingOptions {
  /** Stop after this many evaluations without improvement of metricForBestModel (default 1). */
  earlyStoppingPatience?: number;
  /** How much the metric must improve to count as an improvement (default 0). */
  earlyStoppingThreshold?: number;
  warn?: (message: string) => void;
}

/** Stops training when metricForBestModel stops improving (transformers' EarlyStoppingCallback). */
export class EarlyStoppingCallback implements StatefulCallback {
  earlyStoppingPatience: number;
  earlyStoppingThreshold: number;
  /** Number of evaluations in a row that failed to improve the metric. */
  earlyStoppingPatienceCounter = 0;
  private warn: (message: string) => void;

  constructor(opts: EarlyStoppingOptions = {}) {
    this.earlyStoppingPatience = opts.earlyStoppingPatience ?? 1;
    this.earlyStoppingThreshold = opts.earlyStoppingThreshold ?? 0;
    this.warn = opts.warn ?? ((m) => console.warn(m));
    if (!Number.isInteger(this.earlyStoppingPatience) || this.earlyStoppingPatience < 1) {
      throw new Error(`earlyStoppingPatience must be an integer of 1 or more, got ${this.earlyStoppingPatience}`);
    }
    if (!Number.isFinite(this.earlyStoppingThreshold) || this.earlyStoppingThreshold < 0) {
      throw new Error(`earlyStoppingThreshold must be 0 or a positive number, got ${this.earlyStoppingThreshold}`);
    }
  }

  checkMetricValue(args: TrainingArguments, state: TrainerState, metricValue: number): void {
    const better = args.greaterIsBetter ? metricValue > (state.bestMetric ?? -Infinity) : metricValue < (state.bestMetric ?? Infinity);
    if (state.bestMetric === null || (better && Math.abs(metricValue - state.bestMetric) > this.earlyStoppingThreshold)) {
      this.earlyStoppingPatienceCounter = 0;
    } else {
      this.earlyStoppingPatienceCounter += 1;
    }
  }

  onTrainBegin(args: TrainingArguments): void {
    if (!args.loadBestModelAtEnd) {
      this.warn('Using EarlyStoppingCallback without loadBestModelAtEnd=true: once training is finished, the best model will not be loaded automatically.');
    }
    if (args.metricForBestModel === null) {
      throw new Error('EarlyStoppingCallback requires metricForBestModel to be set: name the metric to watch (e.g. "loss" or "accuracy")');
    }
    if (args.evalStrategy === 'no') {
      throw new Error("EarlyStoppingCallback requires evalStrategy 'steps' or 'epoch': it only acts after evaluations");
    }
  }

  onEvaluate(args: TrainingArguments, state: TrainerState, control: TrainerControl, extras: CallbackExtras): void {
    let metricToCheck = args.metricForBestModel ?? 'loss';
    if (!metricToCheck.startsWith('eval_')) metricToCheck = `eval_${metricToCheck}`;
    const metricValue = extras.metrics?.[metricToCheck];
    if (metricValue === undefined || metricValue === null) {
      this.warn(`early stopping required metricForBestModel, but did not find ${metricToCheck} so early stopping is disabled`);
      return;
    }
    this.checkMetricValue(args, state, metricValue);
    if (this.earlyStoppingPatienceCounter >= this.earlyStoppingPatience) control.shouldTrainingStop = true;
  }

  state(): CallbackStateJson {
    return {
      args: { early_stopping_patience: this.earlyStoppingPatience, early_stopping_threshold: this.earlyStoppingThreshold },
      attributes: { early_stopping_patience_counter: this.earlyStoppingPatienceCounter },
    };
  }

  static fromState(s: CallbackStateJson): EarlyStoppingCallback {
    const cb = new EarlyStoppingCallback({
      earlyStoppingPatience: s.args.early_stopping_patience as number,
      earlyStoppingThreshold: (s.args.early_stopping_threshold as number | null) ?? 0,
    });
    cb.earlyStoppingPatienceCounter = (s.attributes.early_stopping_patience_counter as number) ?? 0;
    return cb;
  }
}

export const LOG_HISTORY_JSONL = 'log_history.jsonl';

/**
 * Appends every logged dict to `<outputDir>/log_history.jsonl`, one JSON object per line (the
 * values as logged, plus "step"; "epoch" as logged), so other tools can follow a run with `tail -f`.
 * On train begin, lines past the (resumed) global step are dropped, so the file matches
 * trainer_state.json's log_history; a torn last line from a crash is dropped too.
 */
export class JsonlLogCallback implements TrainerCallback {
  constructor(private readonly opts: { outputDir?: string; fileName?: string } = {}) {}

  path(args: TrainingArguments): string {
    return join(this.opts.outputDir ?? args.outputDir, this.opts.fileName ?? LOG_HISTORY_JSONL);
  }

  onTrainBegin(args: TrainingArguments, state: TrainerState): void {
    const p = this.path(args);
    if (!state.isWorldProcessZero || !fs.existsSync(p)) return;
    const lines = fs.readFileSync(p, 'utf8').split('\n').filter((l) => l.trim() !== '');
    const kept = lines.filter((l) => {
      try {
        const o = JSON.parse(l) as { step?: unknown };
        return typeof o.step === 'number' && o.step <= state.globalStep;
      } catch {
        return false;
      }
    });
    if (kept.length !== lines.length) writeFileAtomicSync(p, kept.map((l) => `${l}\n`).join(''));
  }

  onLog(args: TrainingArguments, state: TrainerState, _control: TrainerControl, extras: CallbackExtras): void {
    if (!state.isWorldProcessZero || !extras.logs) return;
    const dir = this.opts.outputDir ?? args.outputDir;
    fs.mkdirSync(dir, { recursive: true });
    const line = pyJsonDumps({ ...extras.logs, step: state.globalStep }) + '\n';
    // One write() on an O_APPEND descriptor: a follower never sees half a line from us.
    const fd = fs.openSync(this.path(args), 'a');
    try {
      fs.writeSync(fd, line);
    } finally {
      fs.closeSync(fd);
    }
  }
}
