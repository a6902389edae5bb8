// The training dashboard's data: the runs `hubtune serve` shows (training output folders among the
// served paths, and the runs of this process that report to 'hubtune'), each as a snapshot (logged
// values over steps, progress and ETA, hyper-parameters, the confusion matrix of the last evaluation
// of a classifier) and as a stream of changes. A run of this process is fed by the Trainer's
// HubtuneDashboardCallback through runFeed; a run of another process is followed by watching its
// log_history.jsonl / trainer_state.json (and hubtune_run.json, eval_predictions.json).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { EVAL_PREDICTIONS_FILE, RUN_STATUS_FILE, runFeed, type EvalPredictions, type RunFeedEvent, type RunStatus } from '../training/dashboard';
import type { LogEntry } from '../training/trainer-state';

const LOG_JSONL = 'log_history.jsonl';
const isDir = (p: string) => { try { return statSync(p).isDirectory(); } catch { return false; } };
const mtime = (p: string) => { try { const s = statSync(p); return `${s.mtimeMs}:${s.size}`; } catch { return ''; } };

function checkpoints(dir: string): string[] {
  let names: string[];
  try { names = readdirSync(dir); } catch { return []; }
  return names.filter((n) => /^checkpoint-\d+$/.test(n) && isDir(join(dir, n)))
    .sort((a, b) => Number(b.slice(11)) - Number(a.slice(11))).map((n) => join(dir, n));
}

/** A training output folder: it has a log, a trainer state, a hubtune_run.json, or checkpoints with a state. */
export function isRunFolder(dir: string): boolean {
  if (!isDir(dir)) return false;
  if ([LOG_JSONL, 'trainer_state.json', RUN_STATUS_FILE].some((f) => existsSync(join(dir, f)))) return true;
  return checkpoints(dir).some((c) => existsSync(join(c, 'trainer_state.json')));
}

export interface ConfusionMatrix {
  step: number;
  labels: string[];
  /** matrix[true][predicted] counts. */
  matrix: number[][];
  accuracy: number;
}

/** The confusion matrix of an evaluation's predicted and true class ids (labels -100 skipped). */
export function confusionMatrix(p: EvalPredictions, id2label?: Record<string, string> | null): ConfusionMatrix {
  const names = p.id2label ?? id2label ?? null;
  const k = Math.max(names ? Object.keys(names).length : 0, ...p.predictions.map((x) => x + 1), ...p.label_ids.filter((x) => x >= 0).map((x) => x + 1));
  const labels = Array.from({ length: k }, (_, i) => names?.[String(i)] ?? String(i));
  const matrix = labels.map(() => labels.map(() => 0));
  let right = 0, n = 0;
  p.label_ids.forEach((t, i) => {
    const q = p.predictions[i]!;
    if (t < 0 || t >= k || q < 0 || q >= k) return;
    matrix[t]![q]!++;
    n++;
    if (t === q) right++;
  });
  return { step: p.step, labels, matrix, accuracy: n ? right / n : NaN };
}

/** Python's json.dumps writes NaN and Infinity, which JSON.parse refuses: read as null. */
const pyJson = (text: string): unknown => JSON.parse(text.replace(/\bNaN\b/g, 'null').replace(/-?\bInfinity\b/g, 'null'));

function readJson<T>(path: string): T | null {
  let text: string;
  try { text = readFileSync(path, 'utf8'); } catch { return null; }
  try { return JSON.parse(text) as T; } catch { /* Python's NaN */ }
  try { return pyJson(text) as T; } catch { return null; }
}

/** What the dashboard shows of one run. */
export interface RunSnapshot {
  id: string;
  dir: string;
  /** 'running' (fed or updated lately), 'finished', 'stopped' (a running status not updated for a minute), or 'unknown'. */
  status: string;
  live: boolean;
  global_step: number;
  max_steps: number | null;
  epoch: number | null;
  /** Seconds left, from the steps per second so far; null when not known. */
  eta_seconds: number | null;
  started_at: number | null;
  updated_at: number | null;
  log_history: LogEntry[];
  hyperparameters: Record<string, unknown> | null;
  confusion_matrix: ConfusionMatrix | null;
  /** Why there is no confusion matrix, when there is none. */
  confusion_matrix_note: string | null;
}

const NO_PREDICTIONS = `no evaluation predictions saved for this run: train with reportTo: ['hubtune'] (or hubtune train --dashboard) and an eval dataset to get ${EVAL_PREDICTIONS_FILE}`;

/** A run's state read from its folder. */
export function readRunFolder(id: string, dir: string): RunSnapshot {
  const status = readJson<RunStatus>(join(dir, RUN_STATUS_FILE));
  const cks = checkpoints(dir);
  let log: LogEntry[] | null = null;
  if (existsSync(join(dir, LOG_JSONL))) log = parseJsonl(readFileSync(join(dir, LOG_JSONL), 'utf8')).entries;
  const stateFile = [join(dir, 'trainer_state.json'), ...cks.map((c) => join(c, 'trainer_state.json'))].find((f) => existsSync(f));
  const state = stateFile ? readJson<{ log_history?: LogEntry[]; global_step?: number; max_steps?: number; epoch?: number }>(stateFile) : null;
  if (!log) log = Array.isArray(state?.log_history) ? state.log_history : [];
  const lastStep = log.reduce((m, e) => Math.max(m, typeof e.step === 'number' ? e.step : 0), 0);
  const argsFile = [join(dir, 'training_args.json'), ...cks.map((c) => join(c, 'training_args.json'))].find((f) => existsSync(f));
  const preds = readJson<EvalPredictions>(join(dir, EVAL_PREDICTIONS_FILE));
  let st = status?.status ?? (state && state.global_step !== undefined && state.max_steps && state.global_step >= state.max_steps ? 'finished' : 'unknown');
  if (st === 'running' && status && Date.now() - status.updated_at > 60_000) st = 'stopped';
  const globalStep = Math.max(status?.global_step ?? 0, state?.global_step ?? 0, lastStep);
  const maxSteps = status?.max_steps ?? state?.max_steps ?? null;
  const isClassifier = !!(status?.id2label && Object.keys(status.id2label).length);
  return {
    id, dir, status: st, live: false, global_step: globalStep, max_steps: maxSteps,
    epoch: status?.epoch ?? state?.epoch ?? null,
    eta_seconds: st === 'running' && status ? eta(status.started_at, status.updated_at, status.global_step, maxSteps) : null,
    started_at: status?.started_at ?? null, updated_at: status?.updated_at ?? null,
    log_history: log,
    hyperparameters: status?.hyperparameters ?? (argsFile ? readJson(argsFile) : null),
    confusion_matrix: preds ? confusionMatrix(preds, status?.id2label) : null,
    confusion_matrix_note: preds ? null : isClassifier || !status ? NO_PREDICTIONS : 'not a classification run (the model has no id2label)',
  };
}

function eta(startedAt: number, now: number, step: number, maxSteps: number | null): number | null {
  if (!maxSteps || step <= 0 || now <= startedAt) return null;
  return Math.max(0, Math.round((maxSteps - step) * (now - startedAt) / step / 1000));
}

function parseJsonl(text: string): { entries: LogEntry[]; consumed: number } {
  const entries: LogEntry[] = [];
  let at = 0;
  for (;;) {
    const nl = text.indexOf('\n', at);
    if (nl < 0) break;
    const line = text.slice(at, nl).trim();
    at = nl + 1;
    if (!line) continue;
    try {
      const e = pyJson(line) as LogEntry;
      if (e && typeof e === 'object') entries.push(e);
    } catch { /* a torn or foreign line is skipped */ }
  }
  return { entries, consumed: Buffer.byteLength(text.slice(0, at)) };
}

/** A live run of this process as a snapshot. */
function liveSnapshot(id: string, dir: string): RunSnapshot | null {
  const r = runFeed.runs.get(dir);
  if (!r) return null;
  const s = r.status;
  return {
    id, dir, status: s.status, live: true, global_step: s.global_step, max_steps: s.max_steps, epoch: s.epoch,
    eta_seconds: s.status === 'running' ? eta(s.started_at, s.updated_at, s.global_step, s.max_steps) : null,
    started_at: s.started_at, updated_at: s.updated_at, log_history: [...r.log], hyperparameters: s.hyperparameters,
    confusion_matrix: r.evalPredictions ? confusionMatrix(r.evalPredictions, s.id2label) : null,
    confusion_matrix_note: r.evalPredictions ? null : s.id2label ? 'no evaluation yet: the matrix appears after the first evaluation on an eval dataset' : 'not a classification run (the model has no id2label)',
  };
}

export type RunEvent =
  | { event: 'snapshot'; data: RunSnapshot }
  | { event: 'log'; data: LogEntry }
  | { event: 'progress'; data: Pick<RunSnapshot, 'status' | 'global_step' | 'max_steps' | 'epoch' | 'eta_seconds' | 'updated_at'> }
  | { event: 'confusion_matrix'; data: ConfusionMatrix };

/** Runs by id: the served paths scanned on each call (runs appear while serving), and this process's live runs. */
export class RunService {
  constructor(private readonly roots: string[]) {}

  runs(): Map<string, { id: string; dir: string }> {
    const dirs: string[] = [];
    for (const given of this.roots) {
      const p = resolve(given);
      if (isRunFolder(p)) { dirs.push(p); continue; }
      let names: string[];
      try { names = readdirSync(p).sort(); } catch { continue; }
      for (const n of names) if (isRunFolder(join(p, n))) dirs.push(join(p, n));
    }
    for (const d of runFeed.runs.keys()) if (!dirs.includes(d)) dirs.push(d);
    const byId = new Map<string, { id: string; dir: string }>();
    for (const dir of dirs) {
      let id = basename(dir);
      for (let n = 2; byId.has(id); n++) id = `${basename(dir)}-${n}`;
      byId.set(id, { id, dir });
    }
    return byId;
  }

  list(): Record<string, unknown>[] {
    return [...this.runs().values()].map(({ id, dir }) => {
      const s = this.snapshot(id, dir);
      return { id, status: s.status, live: s.live, global_step: s.global_step, max_steps: s.max_steps, last_loss: [...s.log_history].reverse().find((e) => typeof e.loss === 'number')?.loss ?? null };
    });
  }

  find(id: string): { id: string; dir: string } | null { return this.runs().get(id) ?? null; }

  snapshot(id: string, dir: string): RunSnapshot {
    return liveSnapshot(id, dir) ?? readRunFolder(id, dir);
  }

  /** Calls `send` with a snapshot, then with each change; returns the function that stops it. */
  subscribe(id: string, dir: string, send: (e: RunEvent) => void): () => void {
    let snap = this.snapshot(id, dir);
    send({ event: 'snapshot', data: snap });
    if (snap.live) {
      const on = (ev: RunFeedEvent) => {
        if (ev.dir !== dir) return;
        if (ev.type === 'log') send({ event: 'log', data: ev.entry });
        else if (ev.type === 'eval_predictions') { const s = liveSnapshot(id, dir); if (s?.confusion_matrix) send({ event: 'confusion_matrix', data: s.confusion_matrix }); }
        else if (ev.begin) send({ event: 'snapshot', data: liveSnapshot(id, dir)! });
        else { const s = liveSnapshot(id, dir)!; send({ event: 'progress', data: progressOf(s) }); }
      };
      runFeed.on('event', on);
      return () => runFeed.off('event', on);
    }
    // Another process's run: compare the folder's files every half second.
    let seen = fileStamp(dir);
    const timer = setInterval(() => {
      const now = fileStamp(dir);
      if (now === seen) return;
      seen = now;
      if (runFeed.runs.has(dir)) return;
      const next = readRunFolder(id, dir);
      const old = snap.log_history;
      // Appended entries are sent one by one; anything else (a resume cut the log) is a new snapshot.
      const prefixKept = next.log_history.length >= old.length && old.every((e, i) => JSON.stringify(e) === JSON.stringify(next.log_history[i]));
      if (!prefixKept) send({ event: 'snapshot', data: next });
      else {
        for (const e of next.log_history.slice(old.length)) send({ event: 'log', data: e });
        send({ event: 'progress', data: progressOf(next) });
        if (next.confusion_matrix && JSON.stringify(next.confusion_matrix) !== JSON.stringify(snap.confusion_matrix)) send({ event: 'confusion_matrix', data: next.confusion_matrix });
      }
      snap = next;
    }, 500);
    timer.unref();
    return () => clearInterval(timer);
  }
}

function progressOf(s: RunSnapshot): Extract<RunEvent, { event: 'progress' }>['data'] {
  return { status: s.status, global_step: s.global_step, max_steps: s.max_steps, epoch: s.epoch, eta_seconds: s.eta_seconds, updated_at: s.updated_at };
}

function fileStamp(dir: string): string {
  const cks = checkpoints(dir).slice(0, 1);
  return [LOG_JSONL, 'trainer_state.json', RUN_STATUS_FILE, EVAL_PREDICTIONS_FILE].map((f) => mtime(join(dir, f))).concat(cks.map((c) => mtime(join(c, 'trainer_state.json')))).join('|');
}
