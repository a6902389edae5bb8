// reportTo: 'hubtune': the Trainer feeds `hubtune serve`'s training dashboard. In the same process
// (hubtune train --dashboard, or serve() next to a Trainer) every event reaches the server at once
// through `runFeed`; for a server in another process the callback keeps two small files in the
// output folder, each written atomically: hubtune_run.json (status, progress, hyper-parameters,
// throttled to one write a second) and eval_predictions.json (the last evaluation's predicted and
// true class ids, from which the dashboard draws the confusion matrix). The logged values themselves
// are in log_history.jsonl, which JsonlLogCallback appends on every log.
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeFileAtomicSync } from './atomic';
import { LOG_HISTORY_JSONL, type CallbackExtras, type TrainerCallback, type TrainerControl } from './callbacks';
import type { LogEntry, TrainerState } from './trainer-state';
import type { TrainingArguments } from './training-args';

export const RUN_STATUS_FILE = 'hubtune_run.json';
export const EVAL_PREDICTIONS_FILE = 'eval_predictions.json';

/** hubtune_run.json: what the dashboard shows besides the logged values. */
export interface RunStatus {
  status: 'running' | 'finished';
  /** Epoch milliseconds. */
  started_at: number;
  updated_at: number;
  global_step: number;
  max_steps: number;
  epoch: number;
  num_train_epochs: number;
  /** The TrainingArguments as saved (snake_case, token masked). */
  hyperparameters: Record<string, unknown>;
  /** config.json's id2label when the model has one. */
  id2label?: Record<string, string> | null;
}

/** eval_predictions.json: the last evaluation of a classifier. */
export interface EvalPredictions {
  step: number;
  predictions: number[];
  label_ids: number[];
  id2label?: Record<string, string> | null;
}

export type RunFeedEvent =
  /** `begin`: a (new or resumed) training in this folder starts, with the entries logged before it (a resume's). */
  | { type: 'status'; dir: string; status: RunStatus; begin?: { log: LogEntry[] } }
  | { type: 'log'; dir: string; entry: LogEntry }
  | { type: 'eval_predictions'; dir: string; predictions: EvalPredictions };

/** The runs of this process, by resolved output folder, and their events as they happen. */
class RunFeed extends EventEmitter {
  readonly runs = new Map<string, { status: RunStatus; log: LogEntry[]; evalPredictions: EvalPredictions | null }>();
  publish(ev: RunFeedEvent): void {
    let run = this.runs.get(ev.dir);
    if (ev.type === 'status') {
      if (!run || ev.begin) this.runs.set(ev.dir, run = { status: ev.status, log: [...ev.begin?.log ?? []], evalPredictions: null });
      run.status = ev.status;
    } else if (run) {
      if (ev.type === 'log') run.log.push(ev.entry);
      else run.evalPredictions = ev.predictions;
    }
    this.emit('event', ev);
  }
}
export const runFeed = new RunFeed();
runFeed.setMaxListeners(0);

function id2labelOf(model: unknown): Record<string, string> | null {
  const cfg = (model as { config?: { id2label?: unknown } } | undefined)?.config;
  const m = cfg?.id2label;
  if (!m || typeof m !== 'object') return null;
  const out: Record<string, string> = {};
  for (const [k, v] of m instanceof Map ? m : Object.entries(m)) out[String(k)] = String(v);
  return Object.keys(out).length ? out : null;
}

/** Predicted class ids (argmax of [n, k] logits) and true ids ([n]) when the evaluation is a classification. */
export function classificationIds(p: { data: Float32Array; shape: number[] } | null | undefined, l: { data: Float32Array; shape: number[] } | null | undefined): { predictions: number[]; labelIds: number[] } | null {
  if (!p || !l || p.shape.length !== 2 || l.shape.length !== 1 || p.shape[0] !== l.shape[0] || p.shape[1]! < 2) return null;
  const [n, k] = p.shape as [number, number];
  const predictions: number[] = [];
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let j = 1; j < k; j++) if (p.data[i * k + j]! > p.data[i * k + best]!) best = j;
    predictions.push(best);
  }
  const labelIds = Array.from(l.data, (x) => Math.round(x));
  return { predictions, labelIds };
}

function priorLog(path: string, upTo: number): LogEntry[] {
  let text: string;
  try { text = readFileSync(path, 'utf8'); } catch { return []; }
  const out: LogEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const e = JSON.parse(line.replace(/\bNaN\b/g, 'null').replace(/-?\bInfinity\b/g, 'null')) as LogEntry;
      if (typeof e.step === 'number' && e.step <= upTo) out.push(e);
    } catch { /* a torn line */ }
  }
  return out;
}

export class HubtuneDashboardCallback implements TrainerCallback {
  private dir = '';
  private status: RunStatus | null = null;
  private lastWrite = 0;

  private write(force: boolean, begin?: { log: LogEntry[] }): void {
    if (!this.status) return;
    this.status.updated_at = Date.now();
    runFeed.publish({ type: 'status', dir: this.dir, status: { ...this.status }, begin });
    if (!force && this.status.updated_at - this.lastWrite < 1000) return;
    this.lastWrite = this.status.updated_at;
    writeFileAtomicSync(join(this.dir, RUN_STATUS_FILE), JSON.stringify(this.status) + '\n');
  }

  private progress(state: TrainerState): void {
    if (!this.status) return;
    this.status.global_step = state.globalStep;
    this.status.max_steps = state.maxSteps;
    this.status.epoch = state.epoch ?? 0;
  }

  onTrainBegin(args: TrainingArguments, state: TrainerState, _c: TrainerControl, extras: CallbackExtras): void {
    if (!state.isWorldProcessZero) return;
    this.dir = resolve(args.outputDir);
    const now = Date.now();
    this.status = {
      status: 'running', started_at: now, updated_at: now, global_step: state.globalStep, max_steps: state.maxSteps,
      epoch: state.epoch ?? 0, num_train_epochs: state.numTrainEpochs, hyperparameters: args.toSnakeCaseDict(), id2label: id2labelOf(extras.model),
    };
    // A resumed run starts from what it logged before (log_history.jsonl, already cut at the checkpoint's step).
    this.write(true, { log: state.globalStep > 0 ? priorLog(join(this.dir, LOG_HISTORY_JSONL), state.globalStep) : [] });
  }

  onStepEnd(_a: TrainingArguments, state: TrainerState): void {
    this.progress(state);
    this.write(false);
  }

  onLog(_a: TrainingArguments, state: TrainerState, _c: TrainerControl, extras: CallbackExtras): void {
    if (!this.status || !extras.logs) return;
    runFeed.publish({ type: 'log', dir: this.dir, entry: { ...extras.logs, step: state.globalStep } });
  }

  onEvaluate(_a: TrainingArguments, state: TrainerState, _c: TrainerControl, extras: CallbackExtras): void {
    if (!this.status) return;
    const ids = classificationIds(extras.evalPredictions as never, extras.evalLabelIds as never);
    if (!ids) return;
    const predictions: EvalPredictions = { step: state.globalStep, predictions: ids.predictions, label_ids: ids.labelIds, id2label: this.status.id2label ?? null };
    writeFileAtomicSync(join(this.dir, EVAL_PREDICTIONS_FILE), JSON.stringify(predictions) + '\n');
    runFeed.publish({ type: 'eval_predictions', dir: this.dir, predictions });
  }

  onTrainEnd(_a: TrainingArguments, state: TrainerState): void {
    if (!this.status) return;
    this.progress(state);
    this.status.status = 'finished';
    this.write(true);
  }
}
