// Progress display callback. On a TTY: status lines at the bottom of the terminal (the training bar,
// and an evaluation bar while evaluating), each fitted to the terminal's width (fields dropped from
// the right when narrow, redrawn on resize); logged dicts, push summaries and other lines are printed
// above them in full, wrapped by the terminal, never clipped. Off a TTY (CI, files): plain lines only,
// in transformers' Python-dict style: {'loss': 0.6931, 'learning_rate': 4.5e-05, 'epoch': 0.33}
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

/**
 * One bar line of at most `width` columns: `label pct%|████    | value/total first | second | ...`.
 * The bar takes the room left (10 to 40 columns); when even 10 do not fit, fields are dropped from
 * the right, then the line is cut at `width`.
 */
export function fitBar(width: number, o: { label?: string; value: number; total: number; fields?: string[] }): string {
  const total = Math.max(0, o.total);
  const value = Math.max(0, Math.min(o.value, total || o.value));
  const pct = total > 0 ? Math.floor((100 * value) / total) : 0;
  const head = `${o.label ? `${o.label} ` : ''}${String(pct).padStart(3)}%`;
  let fields = [`${value}/${total}`, ...(o.fields ?? [])];
  for (;;) {
    // `value/total [times, rate] | field | field`
    const tail = fields.map((f, i) => (i === 0 ? ` ${f}` : i === 1 ? ` ${f}` : ` | ${f}`)).join('');
    const room = width - head.length - 2 - tail.length;
    if (room >= 10 || fields.length === 0) {
      const barWidth = Math.max(0, Math.min(40, room));
      const filled = total > 0 ? Math.min(barWidth, Math.round((barWidth * value) / total)) : 0;
      return `${head}|${'\u2588'.repeat(filled)}${' '.repeat(barWidth - filled)}|${tail}`.slice(0, Math.max(0, width));
    }
    fields = fields.slice(0, -1);
  }
}

type TTYStream = Writable & { isTTY?: boolean; columns?: number; on?: Writable['on']; off?: Writable['off'] };

/**
 * The bottom of a terminal: status lines redrawn in place, other lines printed above them. The
 * status lines are rendered for the current width on every draw, one column short of it so that
 * the terminal never wraps them; printed lines keep their full length.
 */
export class LiveDisplay {
  private status: ((width: number) => string)[] = [];
  /** Lengths of the status lines now on screen (to find their first row again after a resize). */
  private drawn: number[] = [];
  private readonly onResize = () => this.redraw();

  constructor(readonly stream: TTYStream) {
    stream.on?.('resize', this.onResize);
  }

  get columns(): number { return Math.max(10, this.stream.columns ?? 80); }

  /** Escape sequence: back to the first row of the status lines, cleared to the end of the screen. */
  private clearSeq(): string {
    if (!this.drawn.length) return '';
    const cols = this.columns;
    const rows = this.drawn.reduce((n, len) => n + Math.max(1, Math.ceil(len / cols)), 0);
    // one row: clear the line only (a clear-to-end-of-screen from the top-left corner would make tmux
    // scroll the screen into its history)
    return rows > 1 ? `\x1b[${rows - 1}A\r\x1b[J` : '\r\x1b[K';
  }

  private renderSeq(): string {
    const width = this.columns - 1;
    const lines = this.status.map((f) => f(width));
    this.drawn = lines.map((l) => l.length);
    return lines.join('\n');
  }

  /** Replaces the status lines and draws them. */
  setStatus(lines: ((width: number) => string)[]): void {
    this.status = lines;
    this.redraw();
  }

  redraw(): void { this.stream.write(this.clearSeq() + this.renderSeq()); }

  /** Prints `line` above the status lines (in full: the terminal wraps it). */
  log(line: string): void { this.stream.write(`${this.clearSeq()}${line}\n${this.renderSeq()}`); }

  /** Leaves the status lines on screen as they are and moves below them; the display is done. */
  close(): void {
    if (this.drawn.length) this.stream.write('\n');
    this.drawn = [];
    this.status = [];
    this.stream.off?.('resize', this.onResize);
    if (active === this) active = null;
  }
}

let active: LiveDisplay | null = null;

/**
 * Prints a line for the person at the terminal: above the live bars while training shows them,
 * else on stdout. (Push summaries use it.)
 */
export function printLine(line: string): void {
  if (active) active.log(line);
  else process.stdout.write(`${line}\n`);
}

export interface ProgressCallbackOptions {
  /** Where to draw/print (default process.stdout). */
  stream?: TTYStream;
  /** Force TTY (bars) or not; default: the stream's isTTY. */
  tty?: boolean;
  /** Clock in ms, for tests. */
  now?: () => number;
  /** Least time between two redraws of the bars on step ends, in ms (default 100). */
  minRedrawMs?: number;
}

/**
 * The Trainer's progress display. Silent when args.disableTqdm, except that logged dicts are still
 * printed (as transformers' PrinterCallback does).
 */
export class ProgressCallback implements TrainerCallback {
  private display: LiveDisplay | null = null;
  private training = false;
  private startTime = 0;
  private startStep = 0;
  private lastLoss: number | null = null;
  private lastLr: number | null = null;
  private lastDraw = 0;
  private state: TrainerState | null = null;
  private evalBar: { value: number; total: number; start: number } | null = null;
  private readonly stream: TTYStream;
  private readonly tty: boolean;
  private readonly now: () => number;
  private readonly minRedrawMs: number;

  constructor(opts: ProgressCallbackOptions = {}) {
    this.stream = opts.stream ?? process.stdout;
    this.tty = opts.tty ?? this.stream.isTTY === true;
    this.now = opts.now ?? (() => Date.now());
    this.minRedrawMs = opts.minRedrawMs ?? 100;
  }

  private write(line: string): void {
    if (this.display) this.display.log(line);
    else this.stream.write(`${line}\n`);
  }

  private rate(done: number, seconds: number): string {
    const rate = seconds > 0 && done > 0 ? done / seconds : 0;
    return rate >= 1 || rate === 0 ? `${rate.toFixed(2)}it/s` : `${(1 / rate).toFixed(2)}s/it`;
  }

  private trainLine(width: number): string {
    const state = this.state!;
    const elapsed = (this.now() - this.startTime) / 1000;
    const done = state.globalStep - this.startStep;
    const left = done > 0 ? ((state.maxSteps - state.globalStep) * elapsed) / done : NaN;
    return fitBar(width, {
      value: state.globalStep,
      total: state.maxSteps,
      fields: [
        `[${formatDuration(elapsed)}<${formatDuration(left)}, ${this.rate(done, elapsed)}]`,
        `loss ${this.lastLoss === null ? '-' : this.lastLoss.toFixed(4)}`,
        `lr ${this.lastLr === null ? '-' : pyFloat(Number(this.lastLr.toPrecision(3)))}`,
        `epoch ${state.epoch.toFixed(2)}/${state.numTrainEpochs}`,
      ],
    });
  }

  private evalLine(width: number): string {
    const b = this.evalBar!;
    const elapsed = (this.now() - b.start) / 1000;
    const left = b.value > 0 ? ((b.total - b.value) * elapsed) / b.value : NaN;
    return fitBar(width, { label: 'eval', value: b.value, total: b.total, fields: [`[${formatDuration(elapsed)}<${formatDuration(left)}, ${this.rate(b.value, elapsed)}]`] });
  }

  private setStatus(): void {
    if (!this.display) return;
    const lines: ((w: number) => string)[] = [];
    if (this.training && this.state) lines.push((w) => this.trainLine(w));
    if (this.evalBar) lines.push((w) => this.evalLine(w));
    this.display.setStatus(lines);
    this.lastDraw = this.now();
  }

  private openDisplay(): void {
    if (this.display) return;
    active?.close();
    this.display = new LiveDisplay(this.stream);
    active = this.display;
  }

  private closeDisplay(): void {
    this.display?.close();
    this.display = null;
  }

  onTrainBegin(args: TrainingArguments, state: TrainerState): void {
    this.startTime = this.now();
    this.startStep = state.globalStep;
    this.state = state;
    if (!state.isWorldProcessZero || args.disableTqdm || !this.tty) return;
    this.training = true;
    this.openDisplay();
    this.setStatus();
  }

  onStepEnd(_args: TrainingArguments, state: TrainerState): void {
    this.state = state;
    if (this.display && this.now() - this.lastDraw >= this.minRedrawMs) this.setStatus();
  }

  onPredictionStep(args: TrainingArguments, state: TrainerState, _control: TrainerControl, extras: CallbackExtras): void {
    if (!state.isWorldProcessZero || args.disableTqdm || !this.tty) return;
    const total = (extras?.evalDataloader as { length?: number } | undefined)?.length;
    if (typeof total !== 'number') return;
    if (!this.evalBar) {
      this.evalBar = { value: 0, total, start: this.now() };
      this.openDisplay();
    }
    this.evalBar.value++;
    if (this.evalBar.value === 1 || this.evalBar.value >= total || this.now() - this.lastDraw >= this.minRedrawMs) this.setStatus();
  }

  private endEval(): void {
    if (!this.evalBar) return;
    if (this.training) {
      // during training the evaluation bar goes away (transformers: leave=False)
      this.evalBar = null;
      this.setStatus();
    } else {
      this.setStatus();
      this.evalBar = null;
      this.closeDisplay();
    }
  }

  onEvaluate(): void { this.endEval(); }
  onPredict(): void { this.endEval(); }

  onLog(_args: TrainingArguments, state: TrainerState, _control: TrainerControl, extras: CallbackExtras): void {
    const logs = extras.logs;
    if (!logs || !state.isWorldProcessZero) return;
    if (typeof logs.loss === 'number') this.lastLoss = logs.loss;
    if (typeof logs.learning_rate === 'number') this.lastLr = logs.learning_rate;
    this.state = state;
    // Printed on and off a TTY (above the bars on a TTY), as transformers writes str(logs).
    if (this.display) { this.setStatus(); this.display.log(formatLogLine(logs)); } else this.write(formatLogLine(logs));
  }

  onTrainEnd(_args: TrainingArguments, state: TrainerState): void {
    this.state = state;
    this.evalBar = null;
    this.setStatus();
    this.training = false;
    this.closeDisplay();
  }
}
