// Checkpoint folders (`<outputDir>/checkpoint-<step>/`), as transformers' Trainer lays them out,
// with PyTorch's pickles replaced by formats we can write without pickle:
//
//   model.safetensors + config.json   the model (model.savePretrained), plus processor files
//   optimizer.safetensors             every optimizer state tensor, keyed "state.<param index>.<name>"
//                                     (e.g. "state.3.exp_avg"), parameter indices as in PyTorch's
//                                     optimizer.state_dict(): groups in order, params in group order
//   optimizer.json                    the rest of optimizer.state_dict(): {"format": "hubtune-optimizer-1",
//                                     "param_groups": [{lr, betas, eps, weightDecay, ..., "params": [i]}],
//                                     "state": {"<i>": {"step": n}} (non-tensor state), "param_names": [...]}
//                                     (param_names: model parameter names by index, checked on resume)
//   scheduler.json                    LRScheduler.stateDict() (PyTorch LambdaLR's keys)
//   rng_state.json                    {"cpu": base64 of libtorch's CPU generator state (getRngState),
//                                     "data_seed", "epoch", "steps_in_epoch", "trainer": loss accumulators}
//   trainer_state.json                TrainerState (log_history, best_metric, best_model_checkpoint, ...)
//   training_args.json                TrainingArguments.toJsonString() (hub token masked)
//   checksums.json                    written last: {"format": "hubtune-checksums-1", "algorithm": "sha256",
//                                     "files": {"<relative path>": {"size": n, "sha256": hex}}} for every
//                                     other file; resume verifies it and falls back to the previous intact
//                                     checkpoint (checkpoints without it, e.g. transformers' own, load as before)
//
// A checkpoint is written into `checkpoint-<step>.tmp-<pid>` and renamed into place (writeDirAtomic),
// so an interrupted or failed save (disk full, kill) never leaves a folder named checkpoint-<step>.
import { accessSync, closeSync, constants as fsConstants, existsSync, lstatSync, mkdirSync, openSync, readFileSync, readSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { basename, dirname, join, resolve } from 'node:path';
import { Tensor, loadSafetensors, saveSafetensors, getRngState, setRngState, keep, disposeAll } from '../torch/index';
import type { Optimizer, OptimizerStateDict, ParamState } from '../torch/optim/index';
import type { LRScheduler, LRSchedulerState } from '../torch/lr-scheduler';
import { writeFileAtomicSync } from './atomic';
import { checkJsonShape } from '../util/safe-json';
import { pyJsonDumps } from './pyjson';

export const PREFIX_CHECKPOINT_DIR = 'checkpoint';
export const TRAINER_STATE_NAME = 'trainer_state.json';
export const TRAINING_ARGS_NAME = 'training_args.json';
export const OPTIMIZER_NAME = 'optimizer.safetensors';
export const OPTIMIZER_META_NAME = 'optimizer.json';
export const SCHEDULER_NAME = 'scheduler.json';
export const RNG_STATE_NAME = 'rng_state.json';
export const MODEL_WEIGHTS_NAME = 'model.safetensors';
export const CONFIG_NAME = 'config.json';
export const CHECKSUMS_NAME = 'checksums.json';
const OPTIMIZER_FORMAT = 'hubtune-optimizer-1';
const CHECKSUMS_FORMAT = 'hubtune-checksums-1';

export class CheckpointError extends Error {
  override name = 'CheckpointError';
}

const CHECKPOINT_RE = /^checkpoint-(\d+)$/;

/** Step of a checkpoint folder name, or null. */
export function checkpointStep(name: string): number | null {
  const m = CHECKPOINT_RE.exec(name);
  return m ? Number(m[1]) : null;
}

/** Complete checkpoint folders in `outputDir` (a trainer_state.json inside), sorted by step. */
export function sortedCheckpoints(outputDir: string): string[] {
  if (!existsSync(outputDir)) return [];
  const found: [number, string][] = [];
  for (const name of readdirSync(outputDir)) {
    const step = checkpointStep(name);
    if (step === null) continue;
    const p = join(outputDir, name);
    try {
      if (!statSync(p).isDirectory() || !existsSync(join(p, TRAINER_STATE_NAME))) continue;
    } catch { continue; }
    found.push([step, p]);
  }
  return found.sort((a, b) => a[0] - b[0]).map(([, p]) => p);
}

/** transformers' get_last_checkpoint: the complete checkpoint with the highest step, or null. */
export function getLastCheckpoint(outputDir: string): string | null {
  const all = sortedCheckpoints(outputDir);
  return all.length ? all[all.length - 1]! : null;
}

// ---------------------------------------------------------------------------------- output folder

/**
 * Creates the output folder (and its parents) if needed and checks it is writable; otherwise one
 * line that says why, naming the folder, instead of a raw ENOENT/ENOTDIR from mkdir.
 */
export function ensureOutputDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, fsConstants.W_OK);
    return;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? '';
    // The nearest part of the path that exists says what is wrong.
    let p = resolve(dir);
    while (p !== dirname(p) && !existsSync(p)) p = dirname(p);
    let why: string;
    let broken: string | null = null;
    for (let q = resolve(dir); q !== dirname(q); q = dirname(q)) {
      try { if (lstatSync(q).isSymbolicLink() && !existsSync(q)) { broken = q; break; } } catch { /* missing */ }
    }
    if (broken) why = `${broken} is a broken link`;
    else if (code === 'ENOTDIR' || code === 'EEXIST' || (existsSync(p) && !statSync(p).isDirectory())) why = `${p} is a file, not a folder`;
    else if (code === 'EACCES' || code === 'EPERM') why = `no permission to write in ${p}`;
    else if (code === 'EROFS') why = `${p} is on a read-only file system`;
    else if (code === 'ENOSPC') why = 'the disk is full';
    else why = `${code || (e as Error).message.split('\n')[0]}`;
    throw new OutputDirError(`cannot write the output folder ${dir}: ${why}; choose another outputDir (--output-dir)`);
  }
}

export class OutputDirError extends Error {
  override name = 'OutputDirError';
}

// ---------------------------------------------------------------------------------- checksums

function sha256File(path: string): string {
  const h = createHash('sha256');
  const buf = Buffer.allocUnsafe(1 << 22);
  const fd = openSync(path, 'r');
  try {
    for (let n; (n = readSync(fd, buf, 0, buf.length, null)) > 0;) h.update(buf.subarray(0, n));
  } finally { closeSync(fd); }
  return h.digest('hex');
}

function listFiles(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(dir, prefix), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...listFiles(dir, rel));
    else if (e.isFile() && rel !== CHECKSUMS_NAME) out.push(rel);
  }
  return out;
}

/** Writes checksums.json (size and sha256 of every other file in `dir`); call it after everything else. */
export function writeChecksums(dir: string): void {
  const files: Record<string, { size: number; sha256: string }> = {};
  for (const rel of listFiles(dir)) files[rel] = { size: statSync(join(dir, rel)).size, sha256: sha256File(join(dir, rel)) };
  writeFileAtomicSync(join(dir, CHECKSUMS_NAME), JSON.stringify({ format: CHECKSUMS_FORMAT, algorithm: 'sha256', files }, null, 2) + '\n');
}

/**
 * Checks a checkpoint against its checksums.json: null when intact (or when it has no checksums.json,
 * like transformers' checkpoints), else what is wrong, naming the file (e.g. "model.safetensors is
 * 100 bytes, 4052 when saved").
 */
export function verifyCheckpoint(dir: string): string | null {
  const p = join(dir, CHECKSUMS_NAME);
  if (!existsSync(p)) return null;
  let meta: { format?: string; files?: Record<string, { size?: unknown; sha256?: unknown }> };
  try { meta = JSON.parse(readFileSync(p, 'utf8')); } catch (e) {
    return `${CHECKSUMS_NAME} is unreadable (${(e as Error).message.split('\n')[0]})`;
  }
  if (meta?.format !== CHECKSUMS_FORMAT || !meta.files || typeof meta.files !== 'object') return `${CHECKSUMS_NAME} is not a hubtune checksum list`;
  for (const [rel, want] of Object.entries(meta.files)) {
    if (rel.split('/').some((part) => part === '..' || part === '') || rel.startsWith('/')) return `${CHECKSUMS_NAME} names a file outside the checkpoint ('${rel}')`;
    const f = join(dir, rel);
    let size: number;
    try { size = statSync(f).size; } catch { return `${rel} is missing`; }
    if (size !== want?.size) return `${rel} is ${size} bytes, ${want?.size} when saved`;
    if (sha256File(f) !== want?.sha256) return `${rel} does not match the sha256 recorded when it was saved`;
  }
  return null;
}

/**
 * The checkpoint `resumeFromCheckpoint: true` resumes from: the newest one that verifies. When newer
 * ones are damaged, `warn` gets one line naming them; when none is intact, a CheckpointError.
 * Returns null when outputDir has no checkpoint at all.
 */
export function lastIntactCheckpoint(outputDir: string, warn: (line: string) => void = (l) => console.warn(l)): string | null {
  const all = sortedCheckpoints(outputDir).reverse();
  const damaged: string[] = [];
  for (const ck of all) {
    const problem = verifyCheckpoint(ck);
    if (!problem) {
      if (damaged.length) warn(`Warning: ${damaged.join('; ')}: resuming from ${basename(ck)} instead`);
      return ck;
    }
    damaged.push(`${basename(ck)} is damaged (${problem})`);
  }
  if (damaged.length) throw new CheckpointError(`no intact checkpoint in ${outputDir}: ${damaged.join('; ')}; train without resumeFromCheckpoint to start over`);
  return null;
}

/**
 * transformers' _rotate_checkpoints: deletes the oldest checkpoints beyond `saveTotalLimit`, never
 * the best one (it is moved next to the newest), and never the newest. Returns the deleted folders.
 */
export function rotateCheckpoints(outputDir: string, saveTotalLimit: number | null, bestModelCheckpoint: string | null): string[] {
  if (saveTotalLimit === null || saveTotalLimit <= 0) return [];
  const sorted = sortedCheckpoints(outputDir);
  if (bestModelCheckpoint) {
    const bi = sorted.findIndex((p) => p === bestModelCheckpoint || p.endsWith(`/${bestModelCheckpoint.split('/').pop()}`));
    if (bi >= 0) {
      // Move the best just before the newest: kept whatever the limit.
      for (let i = bi; i < sorted.length - 2; i++) [sorted[i], sorted[i + 1]] = [sorted[i + 1]!, sorted[i]!];
    }
  }
  let limit = saveTotalLimit;
  const last = sorted[sorted.length - 1];
  if (limit === 1 && bestModelCheckpoint && last && !last.endsWith(`/${bestModelCheckpoint.split('/').pop()}`)) limit = 2;
  if (sorted.length <= limit) return [];
  const toDelete = sorted.slice(0, sorted.length - limit);
  for (const p of toDelete) rmSync(p, { recursive: true, force: true });
  return toDelete;
}

// ---------------------------------------------------------------------------------- optimizer

/** Writes optimizer.safetensors + optimizer.json (format in the header comment). */
export function saveOptimizer(dir: string, optimizer: Optimizer, paramNames: string[]): void {
  const sd = optimizer.stateDict();
  const tensors = new Map<string, Tensor>();
  const scalars: Record<string, Record<string, number>> = {};
  for (const [idx, st] of Object.entries(sd.state)) {
    for (const [name, v] of Object.entries(st)) {
      if (v instanceof Tensor) tensors.set(`state.${idx}.${name}`, v);
      else (scalars[idx] ??= {})[name] = v;
    }
  }
  saveSafetensors(join(dir, OPTIMIZER_NAME), tensors, { format: 'pt' });
  const meta = { format: OPTIMIZER_FORMAT, param_groups: sd.param_groups, state: scalars, param_names: paramNames };
  writeFileAtomicSync(join(dir, OPTIMIZER_META_NAME), JSON.stringify(meta, null, 2) + '\n');
}

function readJson(path: string, what: string): any {
  let text: string;
  try { text = readFileSync(path, 'utf8'); } catch (e) {
    throw new CheckpointError(`cannot read ${what} ${path} (${(e as NodeJS.ErrnoException).code ?? e}): the checkpoint is incomplete; resume from another checkpoint`);
  }
  checkJsonShape(text, `${what} ${path}`, CheckpointError);
  try { return JSON.parse(text); } catch (e) {
    throw new CheckpointError(`${what} ${path} is not valid JSON (${(e as Error).message}): the checkpoint is corrupt; resume from another checkpoint`);
  }
}

/** Reads optimizer files back into a state dict (tensors owned by the caller: dispose after loading). */
export function readOptimizer(dir: string, paramNames: string[]): OptimizerStateDict {
  const metaPath = join(dir, OPTIMIZER_META_NAME);
  const meta = readJson(metaPath, 'optimizer state');
  if (meta?.format !== OPTIMIZER_FORMAT || !Array.isArray(meta.param_groups)) {
    throw new CheckpointError(`${metaPath} is not a hubtune optimizer state (format '${meta?.format}'): the checkpoint is corrupt or from another tool`);
  }
  if (Array.isArray(meta.param_names) && meta.param_names.join('\n') !== paramNames.join('\n')) {
    const diff = meta.param_names.find((n: string, i: number) => n !== paramNames[i]) ?? paramNames[meta.param_names.length];
    throw new CheckpointError(`the optimizer state in ${dir} is for a different model (${meta.param_names.length} parameters, first difference at '${diff}'; this model has ${paramNames.length}): resume with the model that made the checkpoint`);
  }
  let tensors: Map<string, Tensor>;
  try { tensors = loadSafetensors(join(dir, OPTIMIZER_NAME)).tensors; } catch (e) {
    throw new CheckpointError(`cannot load ${join(dir, OPTIMIZER_NAME)}: ${(e as Error).message.split('\n')[0]}; the checkpoint is corrupt, resume from another checkpoint`);
  }
  const state: Record<number, ParamState> = {};
  for (const [idx, sc] of Object.entries(meta.state ?? {})) state[Number(idx)] = { ...(sc as Record<string, number>) };
  for (const [key, t] of tensors) {
    const m = /^state\.(\d+)\.(.+)$/.exec(key);
    if (!m) { t.dispose(); throw new CheckpointError(`${join(dir, OPTIMIZER_NAME)} has an unexpected tensor '${key}': the checkpoint is corrupt`); }
    (state[Number(m[1])] ??= {})[m[2]!] = keep(t);
  }
  return { state, param_groups: meta.param_groups };
}

export function loadOptimizer(dir: string, optimizer: Optimizer, paramNames: string[]): void {
  const sd = readOptimizer(dir, paramNames);
  try {
    optimizer.loadStateDict(sd);
  } catch (e) {
    throw new CheckpointError(`the optimizer state in ${dir} does not fit this model's optimizer: ${(e as Error).message}`);
  } finally {
    disposeAll(Object.values(sd.state).map((s) => Object.values(s)));
  }
}

// ---------------------------------------------------------------------------------- scheduler / rng

export function saveScheduler(dir: string, scheduler: LRScheduler): void {
  writeFileAtomicSync(join(dir, SCHEDULER_NAME), JSON.stringify(scheduler.stateDict(), null, 2) + '\n');
}
export function loadScheduler(dir: string, scheduler: LRScheduler): void {
  const sd = readJson(join(dir, SCHEDULER_NAME), 'scheduler state') as LRSchedulerState;
  try { scheduler.loadStateDict(sd); } catch (e) {
    throw new CheckpointError(`the scheduler state in ${dir} does not fit: ${(e as Error).message}`);
  }
}

export interface RngStateFile {
  /** libtorch CPU generator state, base64. */
  cpu: string;
  data_seed: number;
  epoch: number;
  steps_in_epoch: number;
  /** Loss accumulators at save time, so a resumed run logs the same losses. */
  trainer: { total_loss: number; tr_loss: number; globalstep_last_logged: number; nonfinite_run: number };
}

export function saveRngState(dir: string, extra: Omit<RngStateFile, 'cpu'>): void {
  const st: RngStateFile = { cpu: getRngState().toString('base64'), ...extra };
  writeFileAtomicSync(join(dir, RNG_STATE_NAME), pyJsonDumps(st, { indent: 2 }) + '\n');
}
export function readRngState(dir: string): RngStateFile | null {
  const p = join(dir, RNG_STATE_NAME);
  if (!existsSync(p)) return null;
  const st = readJson(p, 'RNG state') as RngStateFile;
  const bad = (what: string) => new CheckpointError(`${p}: ${what}: the checkpoint is corrupt; resume from another checkpoint`);
  if (!st || typeof st !== 'object' || Array.isArray(st)) throw bad('not a JSON object');
  if (typeof st.cpu !== 'string') throw bad(`field 'cpu' (the generator state) is missing or not a string`);
  if (Buffer.from(st.cpu, 'base64').length !== getRngState().length) throw bad(`field 'cpu' is not a libtorch CPU generator state`);
  for (const k of ['data_seed', 'epoch', 'steps_in_epoch'] as const) {
    if (st[k] !== undefined && st[k] !== null && !Number.isFinite(st[k])) throw bad(`field '${k}' is ${JSON.stringify(st[k])}, not a number`);
  }
  const tr = st.trainer as Record<string, unknown> | undefined;
  if (!tr || typeof tr !== 'object' || Array.isArray(tr)) throw bad(`field 'trainer' (the loss accumulators) is missing or not an object`);
  for (const k of ['total_loss', 'tr_loss', 'globalstep_last_logged', 'nonfinite_run']) {
    if (typeof tr[k] !== 'number' || Number.isNaN(tr[k])) throw bad(`field 'trainer.${k}' is ${JSON.stringify(tr[k])}, not a number`);
  }
  return st;
}
export function restoreRngState(st: RngStateFile, dir: string): void {
  try { setRngState(Buffer.from(st.cpu, 'base64')); } catch (e) {
    throw new CheckpointError(`cannot restore the random generator state from ${join(dir, RNG_STATE_NAME)}: ${(e as Error).message}`);
  }
}

// ---------------------------------------------------------------------------------- model weights

interface LoadableModel {
  stateDict(): Map<string, Tensor>;
  loadStateDict(sd: Map<string, Tensor>, o?: { strict?: boolean }): unknown;
  config?: unknown;
}

/**
 * Loads `model.safetensors` of a checkpoint into the model after checking every key and shape
 * first (nothing is copied when the checkpoint is from a different model or corrupt).
 */
export function loadModelWeights(dir: string, model: LoadableModel): void {
  const path = join(dir, MODEL_WEIGHTS_NAME);
  if (!existsSync(path)) {
    throw new CheckpointError(`${dir} has no ${MODEL_WEIGHTS_NAME}: it is not a complete checkpoint; resume from another checkpoint`);
  }
  const cfgPath = join(dir, CONFIG_NAME);
  const ownType = (model.config as { model_type?: string; modelType?: string } | undefined);
  const ownModelType = ownType?.model_type ?? ownType?.modelType;
  if (existsSync(cfgPath) && ownModelType) {
    const cfg = readJson(cfgPath, 'model config');
    if (cfg.model_type && cfg.model_type !== ownModelType) {
      throw new CheckpointError(`${dir} holds a '${cfg.model_type}' model, but the Trainer's model is '${ownModelType}': resume with the model that made the checkpoint`);
    }
  }
  let tensors: Map<string, Tensor>;
  try { tensors = loadSafetensors(path).tensors; } catch (e) {
    throw new CheckpointError(`cannot load ${path}: ${(e as Error).message.split('\n')[0]}; the checkpoint is corrupt, resume from another checkpoint`);
  }
  try {
    const own = model.stateDict();
    const byTensor = new Map<Tensor, string[]>();
    for (const [k, t] of own) byTensor.set(t, [...(byTensor.get(t) ?? []), k]);
    const unexpected = [...tensors.keys()].filter((k) => !own.has(k));
    const missing = [...own.keys()].filter((k) => !tensors.has(k) && !(byTensor.get(own.get(k)!) ?? []).some((alias) => tensors.has(alias)));
    const mismatched = [...tensors].filter(([k, t]) => own.has(k) && own.get(k)!.shape.join(',') !== t.shape.join(','));
    if (unexpected.length || missing.length || mismatched.length) {
      const parts: string[] = [];
      if (mismatched.length) parts.push(`shape of ${mismatched[0]![0]} is [${mismatched[0]![1].shape}] there, [${own.get(mismatched[0]![0])!.shape}] here`);
      if (missing.length) parts.push(`${missing.length} weights missing (e.g. ${missing[0]})`);
      if (unexpected.length) parts.push(`${unexpected.length} unexpected weights (e.g. ${unexpected[0]})`);
      throw new CheckpointError(`the checkpoint ${dir} is from a different model: ${parts.join('; ')}; resume with the model that made it, or start without resumeFromCheckpoint`);
    }
    // Tied weights saved under one name only: fill the aliases.
    const full = new Map(tensors);
    for (const [k, t] of own) if (!full.has(k)) { const alias = byTensor.get(t)!.find((a) => tensors.has(a)); if (alias) full.set(k, tensors.get(alias)!); }
    model.loadStateDict(full);
  } finally {
    for (const t of tensors.values()) t.dispose();
  }
}
