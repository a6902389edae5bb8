// Progress display callback. On a TTY: a live bar (cli-progress) with epoch, step/total, loss,
// learning rate, it/s and time left; logged dicts are printed above it. Off a TTY (CI, files):
// one line per log, in transformers' Python-dict style: {'loss': 0.6931, 'learning_rate': 4.5e-05, 'epoch': 0.33}
import cliProgress from 'cli-progress';
import type { Writable } from 'node:stream';
import type { CallbackExtras, TrainerCallback, TrainerControl } from './callbacks';
import { defaultNumberKind, pyFloat, pyRepr } from './pyjson';
import type { TrainingArguments } from './training-args';
import type { LogEntry, TrainerState } from './trainer-state';

/** Python repr of a logged dict, total_flos removed (as transformers' ProgressCallback/PrinterCallback). */
export function formatLogLine(logs: LogEntry): string {
  const { total_flos: _dropped, ...rest } = logs;
  return pyRepr(rest, defaultNumberKind);
}

/** Seconds -> "1:02:03" / "02:03" for the bar. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const mm = String(m).padStart(2, '0');
  const ss = String(sec).padStart(2, '0');
  return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

export interface ProgressCallbackOptions {
  /** Where to draw/print (default process.stderr for the bar, process.stdout for log lines off a TTY). */
  stream?: Writable & { isTTY?: boolean; columns?: number };
  /** Force TTY (bar) or not; default: the stream's isTTY. */
  tty?: boolean;
  /** Clock in ms, for tests. */
  now?: () => number;
}

/**
 * The Trainer's progress display. Silent when args.disableTqdm, except that logged dicts are still
 * printed (as transformers' PrinterCallback does).
 */
export class ProgressCallback implements TrainerCallback {
  private multibar: cliProgress.MultiBar | null = null;
  private bar: cliProgress.SingleBar | null = null;
  private startTime = 0;
  private startStep = 0;
  private lastLoss: number | null = null;
  private lastLr: number | null = null;
  private readonly stream: Writable & { isTTY?: boolean; columns?: number };
  private readonly tty: boolean;
  private readonly now: () => number;

  constructor(opts: ProgressCallbackOptions = {}) {
    this.stream = opts.stream ?? (opts.tty ? process.stderr : process.stdout);
    this.tty = opts.tty ?? this.stream.isTTY === true;
    this.now = opts.now ?? (() => Date.now());
  }

  private write(line: string): void {
    if (this.multibar) this.multibar.log(`${line}\n`);
    else this.stream.write(`${line}\n`);
  }

  private payload(state: TrainerState) {
    const elapsed = (this.now() - this.startTime) / 1000;
    const done = state.globalStep - this.startStep;
    const rate = elapsed > 0 && done > 0 ? done / elapsed : 0;
    const left = rate > 0 ? (state.maxSteps - state.globalStep) / rate : NaN;
    return {
      epochStr: state.epoch.toFixed(2),
      numEpochs: String(state.numTrainEpochs),
      lossStr: this.lastLoss === null ? '-' : this.lastLoss.toFixed(4),
      lrStr: this.lastLr === null ? '-' : pyFloat(Number(this.lastLr.toPrecision(3))),
      rateStr: rate >= 1 || rate === 0 ? `${rate.toFixed(2)}it/s` : `${(1 / rate).toFixed(2)}s/it`,
      leftStr: formatDuration(left),
      elapsedStr: formatDuration(elapsed),
    };
  }

  onTrainBegin(args: TrainingArguments, state: TrainerState): void {
    this.startTime = this.now();
    this.startStep = state.globalStep;
    if (!state.isWorldProcessZero || args.disableTqdm || !this.tty) return;
    this.multibar = new cliProgress.MultiBar({
      stream: this.stream as NodeJS.WritableStream,
      format: 'epoch {epochStr}/{numEpochs} |{bar}| {value}/{total} steps | loss {lossStr} | lr {lrStr} | {rateStr} | {elapsedStr}<{leftStr}',
      barCompleteChar: '\u2588',
      barIncompleteChar: '\u2591',
      hideCursor: true,
      clearOnComplete: false,
      stopOnComplete: false,
      forceRedraw: false,
      etaBuffer: 50,
    });
    this.bar = this.multibar.create(state.maxSteps, state.globalStep, this.payload(state));
  }

  onStepEnd(_args: TrainingArguments, state: TrainerState): void {
    this.bar?.update(state.globalStep, this.payload(state));
  }

  onLog(args: TrainingArguments, state: TrainerState, _control: TrainerControl, extras: CallbackExtras): void {
    const logs = extras.logs;
    if (!logs || !state.isWorldProcessZero) return;
    if (typeof logs.loss === 'number') this.lastLoss = logs.loss;
    if (typeof logs.learning_rate === 'number') this.lastLr = logs.learning_rate;
    this.bar?.update(state.globalStep, this.payload(state));
    // Printed on and off a TTY (above the bar on a TTY), as transformers writes str(logs).
    void args;
    this.write(formatLogLine(logs));
  }

  onTrainEnd(_args: TrainingArguments, state: TrainerState): void {
    if (this.bar) this.bar.update(state.globalStep, this.payload(state));
    // Render once more so lines logged since the last redraw are flushed, then stop.
    (this.multibar as unknown as { update?: () => void } | null)?.update?.();
    this.multibar?.stop();
    this.multibar = null;
    this.bar = null;
  }
}
