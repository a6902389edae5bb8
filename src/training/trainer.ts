// The Trainer: transformers' training loop (trainer.py: _inner_training_loop, _maybe_log_save_evaluate,
// _save_checkpoint, _rotate_checkpoints, _load_best_model, compute_loss, evaluation_loop), on hubtune's
// engine. A "step" is one optimizer update; logging/eval/save intervals count updates.
//
// Differences from transformers, on purpose:
// - an epoch of L batches with gradient accumulation G has ceil(L / G) updates (the last one over the
//   remaining batches), as transformers >= 4.46 does;
// - the loss accumulators are saved in the checkpoint (rng_state.json), so a resumed run logs the same
//   losses and train_loss as an uninterrupted one;
// - checkpoints hold optimizer.safetensors/optimizer.json and scheduler.json instead of pickles (see checkpoint.ts).
import { existsSync, mkdirSync } from 'node:fs';
import { TrainerHub, HubCallback, type TrainerPushOptions } from '../sharing/trainer-hub';
import type { PushResult } from '../sharing/push';
import { join } from 'node:path';
import {
  Tensor, tidy, disposeAll, noGrad, manualSeed, yieldToEventLoop, resolveDevice, useThreadsFor, nn, optim, saveSafetensors, stack,
} from '../torch/index';
import { LRScheduler } from '../torch/lr-scheduler';
import { isLayerNormForDecay } from '../models/blocks/norms';
import { TrainingArguments, type TrainingArgumentsInit } from './training-args';
import { TrainerState, type LogEntry } from './trainer-state';
import {
  CallbackHandler, DefaultFlowCallback, JsonlLogCallback, TrainerControl, type TrainerCallback,
} from './callbacks';
import { TensorBoardCallback } from './tensorboard';
import { HubtuneDashboardCallback } from './dashboard';
import { ProgressCallback } from './progress';
import { logMetrics as printMetrics, saveMetrics as writeMetrics, type Metrics } from './metrics-io';
import { writeFileAtomicSync, writeDirAtomic, cleanStaleTempDirs } from './atomic';
import { setupDataParallel, broadcastModel, GradientReducer, meanOverRanks, waitForAllRanks, processRank, gatherEvalBatches, type DataParallel, type EvalBatch } from './distributed';
import { DataLoader, rowLengths, type Collator, type DatasetLike, type Feature } from './data-loader';
import { IterableDataLoader, StreamPositionCallback, isIterableDatasetLike, removeColumnsCollator, streamingMaxSteps, type IterableDatasetLike } from './streaming';
import {
  setupMixedPrecision, withAutocast, backwardScaled, optimizerStep, skippedStepMessage, saveScaler, loadScaler, type MixedPrecision,
} from './mixed-precision';
import {
  PREFIX_CHECKPOINT_DIR, TRAINER_STATE_NAME, TRAINING_ARGS_NAME, CheckpointError, getLastCheckpoint, rotateCheckpoints,
  saveOptimizer, loadOptimizer, saveScheduler, loadScheduler, saveRngState, readRngState, restoreRngState, loadModelWeights,
  writeChecksums, verifyCheckpoint, lastIntactCheckpoint, ensureOutputDir, type RngStateFile,
} from './checkpoint';

// ---------------------------------------------------------------------------------- types

/** What the Trainer needs from a model (hubtune's PreTrainedModel fits). */
export interface TrainerModel {
  /** Returns {loss (when labels are given), logits, ...}. */
  forward(batch: Record<string, unknown>): object;
  namedParameters(): [string, Tensor][];
  parameters(): Tensor[];
  namedModules(): Iterable<[string, unknown]>;
  stateDict(): Map<string, Tensor>;
  loadStateDict(sd: Map<string, Tensor>, o?: { strict?: boolean }): unknown;
  train(mode?: boolean): unknown;
  eval(): unknown;
  to(target: string): unknown;
  savePretrained?(dir: string): unknown;
  readonly config?: unknown;
  readonly forwardArgNames?: readonly string[];
  readonly mainInputName?: string;
}

/** A tokenizer or image processor: saved with the model. */
export interface ProcessingClass {
  savePretrained?(dir: string): unknown;
}

/** transformers' EvalPrediction: predictions are the logits as nested arrays. */
export interface EvalPrediction {
  predictions: any;
  labelIds: any;
  /** The logits as one flat array with their shape. */
  predictionsData?: Float32Array;
  predictionsShape?: number[];
  /** Unpacks like Python's: `const [logits, labels] = evalPreds`. */
  [Symbol.iterator](): Iterator<any>;
}

/** An EvalPrediction from predictions and label ids (iterable as `[predictions, labelIds]`). */
export function evalPrediction(p: Omit<EvalPrediction, typeof Symbol.iterator>): EvalPrediction {
  return { ...p, *[Symbol.iterator]() { yield p.predictions; yield p.labelIds; } };
}
/** Returns the metrics by name (what `metric.compute()` returns fits as it is). */
export type ComputeMetrics = (p: EvalPrediction) => Record<string, unknown> | Promise<Record<string, unknown>>;

export interface TrainerOptions {
  model: TrainerModel;
  args?: TrainingArguments | TrainingArgumentsInit;
  /** A Dataset, or a streaming IterableDataset (then maxSteps is required). */
  trainDataset?: DatasetLike | IterableDatasetLike | null;
  evalDataset?: DatasetLike | null;
  dataCollator?: Collator | ((features: Feature[]) => Record<string, unknown>) | null;
  computeMetrics?: ComputeMetrics | null;
  /** Tokenizer or image processor; saved with the model and in checkpoints. */
  processingClass?: ProcessingClass | null;
  /** Older name of processingClass. */
  tokenizer?: ProcessingClass | null;
  callbacks?: (TrainerCallback | (new () => TrainerCallback))[];
  /** [optimizer, scheduler]: defaults are AdamW in the Trainer's parameter groups and args' schedule. */
  optimizers?: [optim.Optimizer | null, LRScheduler | null];
  /**
   * Stop when this many micro-steps in a row have a NaN/infinite loss (with loggingNanInfFilter);
   * without the filter, the first non-finite loss stops training. Default 10.
   */
  maxNonFiniteSteps?: number;
  /** Handle Ctrl-C during train(): save a checkpoint and return with `interrupted: true` (default true). */
  handleSigint?: boolean;
}

export interface TrainOutput {
  globalStep: number;
  trainingLoss: number;
  metrics: Metrics;
  /** True when training stopped on SIGINT (a checkpoint was saved first). */
  interrupted?: boolean;
}

export interface PredictionOutput {
  predictions: any;
  predictionsData: Float32Array;
  predictionsShape: number[];
  labelIds: any;
  metrics: Metrics;
}

export class TrainingDivergedError extends Error {
  override name = 'TrainingDivergedError';
}

/** Seeds every generator hubtune uses (libtorch CPU and CUDA), like transformers' set_seed. */
export function setSeed(seed: number): void {
  if (!Number.isInteger(seed)) throw new Error(`setSeed needs an integer seed, got ${seed}`);
  manualSeed(seed);
}

const round = (x: number, d: number) => { const f = 10 ** d; return Math.round(x * f) / f; };

/** transformers' speed_metrics. */
export function speedMetrics(split: string, startMs: number, numSamples?: number, numSteps?: number): Metrics {
  const runtime = (performance.now() - startMs) / 1000;
  const out: Metrics = { [`${split}_runtime`]: round(runtime, 4) };
  if (runtime === 0) return out;
  if (numSamples !== undefined) out[`${split}_samples_per_second`] = round(numSamples / runtime, 3);
  if (numSteps !== undefined) out[`${split}_steps_per_second`] = round(numSteps / runtime, 3);
  return out;
}

function isTokenizerLike(p: unknown): p is { pad: Function } {
  return !!p && typeof (p as { pad?: unknown }).pad === 'function';
}

interface Gathered { parts: { data: Float32Array; shape: number[] }[] }

export function toFloat32(t: Tensor): { data: Float32Array; shape: number[] } {
  const c = t.device === 'cpu' && t.dtype === 'float32' ? t : t.to({ device: 'cpu', dtype: 'float32' });
  const data = c.toTypedArray() as Float32Array;
  if (c !== t) c.dispose();
  return { data, shape: t.shape };
}

/** transformers' nested_concat: concatenates on dim 0, padding dim 1 with `pad` when lengths differ. */
function concatParts(g: Gathered, pad = -100): { data: Float32Array; shape: number[] } | null {
  if (!g.parts.length) return null;
  const first = g.parts[0]!.shape;
  const rest = (s: number[]) => s.slice(1);
  const same = g.parts.every((p) => rest(p.shape).join(',') === rest(first).join(','));
  let parts = g.parts;
  if (!same) {
    if (first.length < 2) throw new Error('cannot concatenate predictions of different shapes');
    const maxLen = Math.max(...parts.map((p) => p.shape[1]!));
    parts = parts.map((p) => {
      const [b, l, ...inner] = p.shape as [number, number, ...number[]];
      const innerSize = inner.reduce((a, c) => a * c, 1);
      const out = new Float32Array(b * maxLen * innerSize).fill(pad);
      for (let i = 0; i < b; i++) out.set(p.data.subarray(i * l * innerSize, (i + 1) * l * innerSize), i * maxLen * innerSize);
      return { data: out, shape: [b, maxLen, ...inner] };
    });
  }
  const n = parts.reduce((a, p) => a + p.shape[0]!, 0);
  const data = new Float32Array(parts.reduce((a, p) => a + p.data.length, 0));
  let off = 0;
  for (const p of parts) { data.set(p.data, off); off += p.data.length; }
  return { data, shape: [n, ...rest(parts[0]!.shape)] };
}

/** Flat data + shape -> nested arrays. */
export function toNested(data: ArrayLike<number>, shape: number[]): any {
  if (shape.length === 0) return data[0];
  let i = 0;
  const build = (k: number): any => {
    const n = shape[k]!;
    const out = new Array(n);
    if (k === shape.length - 1) for (let j = 0; j < n; j++) out[j] = data[i++];
    else for (let j = 0; j < n; j++) out[j] = build(k + 1);
    return out;
  };
  return build(0);
}

/** A span model's (question answering) start and end logits as one [batch, 2, length] array: predictions[i] is [start, end]. */
function spanLogits(out: Record<string, unknown>): { data: Float32Array; shape: number[] } | null {
  const { startLogits: s, endLogits: e } = out;
  return s instanceof Tensor && e instanceof Tensor ? toFloat32(stack([s, e], 1)) : null;
}

/** argmax over the last axis of nested logits (what computeMetrics usually does first). */
export function argmax(logits: number[][] | { predictions: number[][] }): number[] {
  const rows = Array.isArray(logits) ? logits : logits.predictions;
  return rows.map((r) => { let b = 0; for (let j = 1; j < r.length; j++) if (r[j]! > r[b]!) b = j; return b; });
}

// ---------------------------------------------------------------------------------- Trainer

export class Trainer {
  readonly model: TrainerModel;
  readonly args: TrainingArguments;
  trainDataset: DatasetLike | IterableDatasetLike | null;
  evalDataset: DatasetLike | null;
  readonly dataCollator: Collator;
  readonly computeMetrics: ComputeMetrics | null;
  readonly processingClass: ProcessingClass | null;
  readonly callbackHandler: CallbackHandler;
  optimizer: optim.Optimizer | null;
  lrScheduler: LRScheduler | null;
  state: TrainerState;
  control: TrainerControl;
  /** Hub integration: repo creation, background pushes on save (hubStrategy), model card. */
  readonly hub: TrainerHub;
  readonly device: string;
  readonly labelNames: string[];
  private readonly maxNonFiniteSteps: number;
  private readonly handleSigint: boolean;
  private optimizerParamNames: string[] = [];
  // loss accumulators (transformers' tr_loss, _total_loss_scalar, _globalstep_last_logged)
  private trLoss = 0;
  private totalLossScalar = 0;
  private globalstepLastLogged = 0;
  private nonFiniteRun = 0;
  private lastGradNorm: number | null = null;
  /** bf16/fp16 set-up (autocast dtype, fp16 loss scaler): see mixed-precision.ts. */
  readonly mixedPrecision: MixedPrecision;
  /** transformers' is_in_train: full-precision-eval casts happen only outside training. */
  private isInTrain = false;
  private interruptRequested = false;
  private currentEpochInfo = { epoch: 0, stepsInEpoch: 0, dataSeed: 42 };
  /** The data-parallel group of this run (null: one process), and DDP's gradient reducer over it. */
  private dp: DataParallel | null = null;
  private reducer: GradientReducer | null = null;
  /** Whether the current micro-step ends with an optimizer step (DDP synchronises its gradients). */
  private syncGradients = true;
  /** Training from a stream: its position, saved in checkpoints. */
  private streamPosition: StreamPositionCallback | null = null;

  constructor(o: TrainerOptions) {
    if (!o || !o.model) throw new Error('Trainer needs a model: new Trainer({ model, args, trainDataset, ... })');
    if (typeof o.model.forward !== 'function' || typeof o.model.namedParameters !== 'function') {
      throw new Error('Trainer: the model must be a hubtune model (forward(batch) returning {loss, logits}, namedParameters())');
    }
    this.args = o.args instanceof TrainingArguments ? o.args : new TrainingArguments(o.args ?? {});
    // transformers seeds in __init__ (set_seed(args.seed)); the model was initialised before: seed it with setSeed first.
    setSeed(this.args.seed);
    this.model = o.model;
    this.trainDataset = o.trainDataset ?? null;
    this.evalDataset = o.evalDataset ?? null;
    this.processingClass = o.processingClass ?? o.tokenizer ?? null;
    this.computeMetrics = o.computeMetrics ?? null;
    this.maxNonFiniteSteps = o.maxNonFiniteSteps ?? 10;
    this.handleSigint = o.handleSigint ?? true;
    this.args.checkEvalDataset(!!this.evalDataset);
    this.labelNames = this.args.labelNames ?? ['labels'];
    if (o.dataCollator) this.dataCollator = o.dataCollator as Collator;
    else this.dataCollator = this.defaultCollator();
    this.device = resolveDevice(this.args.device);
    this.mixedPrecision = setupMixedPrecision(this.args, this.device);
    // bf16/fp16 products run in oneDNN on libtorch's intra-op pool: give it the cores (useThreadsFor)
    if ((this.args.bf16 || this.args.fp16) && this.device === 'cpu') useThreadsFor('low-precision');
    if (this.device !== 'cpu') this.model.to(this.device);
    const [opt, sched] = o.optimizers ?? [null, null];
    this.optimizer = opt;
    this.lrScheduler = sched;
    if (this.trainDataset && !isIterableDatasetLike(this.trainDataset) && this.args.removeUnusedColumns) this.trainDataset = this.removeUnusedColumns(this.trainDataset, 'training');
    if (this.evalDataset && this.args.removeUnusedColumns) this.evalDataset = this.removeUnusedColumns(this.evalDataset, 'evaluation');
    this.hub = new TrainerHub(this);
    // in data-parallel training only rank 0 prints, logs and pushes (transformers' should_log / should_save)
    const main = processRank() === 0;
    const cbs: (TrainerCallback | (new () => TrainerCallback))[] = [new DefaultFlowCallback(), ...(main ? [new ProgressCallback(), new JsonlLogCallback()] : []), ...(o.callbacks ?? [])];
    if (this.args.pushToHub && main) cbs.push(new HubCallback(this.hub));
    if (this.args.reportTo.includes('tensorboard') && main) cbs.push(new TensorBoardCallback());
    if (isIterableDatasetLike(this.trainDataset)) cbs.push(this.streamPosition = new StreamPositionCallback());
    if (this.args.reportTo.includes('hubtune') && main) cbs.push(new HubtuneDashboardCallback());
    this.callbackHandler = new CallbackHandler(cbs, { model: this.model, processingClass: this.processingClass, optimizer: this.optimizer, lrScheduler: this.lrScheduler });
    this.state = new TrainerState();
    this.control = new TrainerControl();
    ensureOutputDir(this.args.outputDir);
  }

  private defaultCollator(): Collator {
    const pc = this.processingClass;
    if (isTokenizerLike(pc)) {
      // DataCollatorWithPadding(processingClass), imported lazily (preprocessing pulls in tokenizers).
      let collator: ((f: Feature[]) => Record<string, unknown>) | null = null;
      return async (features) => {
        if (!collator) {
          const { DataCollatorWithPadding } = await import('../preprocessing/collators');
          collator = new DataCollatorWithPadding({ tokenizer: pc as never }) as unknown as (f: Feature[]) => Record<string, unknown>;
        }
        return collator(features);
      };
    }
    return async (features) => (await import('../preprocessing/collators')).defaultDataCollator(features);
  }

  // ------------------------------------------------------------------ datasets

  /** transformers' _remove_unused_columns: keeps the columns the model's forward takes (plus labels). */
  removeUnusedColumns<D extends DatasetLike>(dataset: D, description = 'training'): D {
    const names = this.model.forwardArgNames;
    const ds = dataset as D & { removeColumns?: (c: string[]) => D; columnNames?: string[] };
    if (!names || typeof ds.removeColumns !== 'function' || !ds.columnNames) return dataset;
    const signature = new Set([...names, 'label', 'label_ids', ...this.labelNames]);
    const ignored = ds.columnNames.filter((c) => !signature.has(c));
    const kept = ds.columnNames.filter((c) => signature.has(c));
    if (!kept.length) {
      throw new Error(`No columns in the ${description} dataset match the model's forward arguments (${[...names].join(', ')}); the dataset has ${ds.columnNames.join(', ')}: tokenize/transform the data first, or set removeUnusedColumns: false`);
    }
    if (!ignored.length) return dataset;
    if (this.args.disableTqdm === false && process.env.HUBTUNE_QUIET_TRAINER !== '1') {
      console.log(`The following columns in the ${description} set don't have a corresponding argument in \`${this.model.constructor.name}.forward\` and have been ignored: ${ignored.join(', ')}. If ${ignored.join(', ')} are not expected by \`${this.model.constructor.name}.forward\`, you can safely ignore this message.`);
    }
    return ds.removeColumns(ignored);
  }

  private dataSeed(): number { return this.args.dataSeed ?? this.args.seed; }

  /** The training DataLoader: seeded shuffle (dataSeed ?? seed), dropLast, groupByLength. */
  async getTrainDataloader(): Promise<DataLoader | IterableDataLoader> {
    const ds = this.trainDataset;
    if (!ds) throw new Error('Trainer: training requires a trainDataset');
    if (isIterableDatasetLike(ds)) {
      // a stream's columns are known only as examples arrive: transformers' RemoveColumnsCollator drops the unused ones per batch
      const names = this.args.removeUnusedColumns ? this.model.forwardArgNames : null;
      const collate = names ? removeColumnsCollator(this.dataCollator, new Set([...names, 'label', 'label_ids', ...this.labelNames])) : this.dataCollator;
      return new IterableDataLoader(ds, this.args.trainBatchSize, collate, this.args.dataloaderDropLast, this.streamPosition ?? new StreamPositionCallback(), this.args.dataloaderPrefetchFactor ?? 2, this.dp);
    }
    if (ds.numRows === 0) throw new Error('the training dataset is empty (0 rows): check the split and any filter()/select() before training');
    let lengths: number[] | undefined;
    if (this.args.groupByLength) lengths = await rowLengths(ds, this.args.lengthColumnName, this.model.mainInputName ?? 'input_ids');
    return new DataLoader({
      dataset: ds, batchSize: this.args.trainBatchSize, collateFn: this.dataCollator, shuffle: true, seed: this.dataSeed(),
      dropLast: this.args.dataloaderDropLast, groupByLength: this.args.groupByLength, lengths,
      prefetch: this.args.dataloaderPrefetchFactor ?? 2, shard: this.dp ?? undefined,
    });
  }

  getEvalDataloader(dataset?: DatasetLike | null): DataLoader {
    const ds = dataset ?? this.evalDataset;
    if (!ds) throw new Error('Trainer: evaluation requires an evalDataset (pass one to the Trainer or to evaluate())');
    return new DataLoader({ dataset: ds, batchSize: this.args.evalBatchSize, collateFn: this.dataCollator, shuffle: false, dropLast: this.args.dataloaderDropLast, prefetch: 2, shard: this.dp ?? undefined });
  }

  // ------------------------------------------------------------------ optimizer

  /** transformers' create_optimizer: AdamW, weight decay on all but biases and LayerNorm weights. */
  createOptimizer(): optim.Optimizer {
    const named = this.model.namedParameters().filter(([, p]) => p.requiresGrad);
    if (!named.length) throw new Error('the model has no trainable parameters: unfreeze some (model.unfreeze() or freeze({ except: [...] }))');
    if (!this.optimizer) {
      const ln = new Set<Tensor>();
      for (const [, m] of this.model.namedModules()) if (isLayerNormForDecay(m)) for (const p of (m as nn.LayerNorm).parameters()) ln.add(p);
      const decay = named.filter(([n, p]) => !ln.has(p) && !n.includes('bias'));
      const noDecay = named.filter(([n, p]) => ln.has(p) || n.includes('bias'));
      this.optimizerParamNames = [...decay, ...noDecay].map(([n]) => n);
      this.optimizer = new optim.AdamW([
        { params: decay.map(([, p]) => p), weightDecay: this.args.weightDecay },
        { params: noDecay.map(([, p]) => p), weightDecay: 0 },
      ], { lr: this.args.learningRate, betas: [this.args.adamBeta1, this.args.adamBeta2], eps: this.args.adamEpsilon });
    } else {
      const byTensor = new Map(this.model.namedParameters().map(([n, p]) => [p, n] as const));
      this.optimizerParamNames = this.optimizer.paramGroups.flatMap((g) => g.params.map((p) => byTensor.get(p) ?? '?'));
    }
    this.callbackHandler.optimizer = this.optimizer;
    return this.optimizer;
  }

  /** transformers' create_scheduler (get_scheduler with args' type, warmup and kwargs). */
  createScheduler(numTrainingSteps: number): LRScheduler {
    if (!this.lrScheduler) {
      const opt = this.optimizer!;
      const type = this.args.lrSchedulerType;
      if (!['linear', 'cosine', 'cosine_with_restarts', 'polynomial', 'constant', 'constant_with_warmup', 'inverse_sqrt'].includes(type)) {
        throw new Error(`lrSchedulerType '${type}' is not available in hubtune yet: use linear, cosine, cosine_with_restarts, polynomial, constant, constant_with_warmup or inverse_sqrt`);
      }
      this.lrScheduler = LRScheduler.fromSchedule({
        name: type, numWarmupSteps: this.args.getWarmupSteps(numTrainingSteps), numTrainingSteps,
        baseLr: opt.defaults.lr, baseLrs: opt.paramGroups.map((g) => g.lr),
        schedulerSpecificKwargs: this.args.lrSchedulerKwargs as never,
        setLr: (i, lr) => { opt.paramGroups[i]!.lr = lr; },
      });
    }
    this.callbackHandler.lrScheduler = this.lrScheduler;
    return this.lrScheduler;
  }

  // ------------------------------------------------------------------ batches

  private toDevice(batch: Record<string, unknown>): Record<string, unknown> {
    if (this.device === 'cpu') return batch;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(batch)) {
      if (v instanceof Tensor && v.device !== this.device) { out[k] = v.to(this.device); v.dispose(); } else out[k] = v;
    }
    return out;
  }

  private numLabels(): number | null {
    const c = this.model.config as Record<string, unknown> | undefined;
    if (!c) return null;
    const n = c.numLabels ?? c.num_labels;
    if (typeof n === 'number') return n;
    const id2 = c.id2label ?? c.id2Label;
    return id2 && typeof id2 === 'object' ? Object.keys(id2).length : null;
  }

  /** Labels outside [0, numLabels) (other than -100) make a clear error instead of a libtorch assert. */
  private checkLabels(batch: Record<string, unknown>, where: string, rows: number[]): void {
    const labels = batch[this.labelNames[0]!] ?? batch.labels;
    // language models take token ids as labels, not class ids
    if ((this.model as { canGenerate?: () => boolean }).canGenerate?.()) return;
    // multiple choice: the label is a choice index, below the number of choices
    const ids = batch.input_ids ?? batch.inputIds;
    const choices = ids instanceof Tensor && ids.shape.length === 3;
    const n = choices ? ids.shape[1]! : this.numLabels();
    if (!(labels instanceof Tensor) || n === null || labels.dtype !== 'int64') return;
    const c = this.model.config as Record<string, unknown>;
    const problem = c.problemType ?? c.problem_type;
    if (problem === 'regression' || problem === 'multi_label_classification' || n === 1) return;
    const v = labels.device === 'cpu' ? labels.toTypedArray() : (() => { const t = labels.cpu(); const a = t.toTypedArray(); t.dispose(); return a; })();
    const perRow = v.length / Math.max(1, labels.shape[0] ?? 1);
    for (let i = 0; i < v.length; i++) {
      const x = Number(v[i]);
      if (x === -100) continue;
      if (x < 0 || x >= n) {
        const row = rows[Math.floor(i / perRow)];
        if (choices) throw new Error(`${where}: label ${x} (dataset row ${row}) is not one of the ${n} choices 0..${n - 1}: the label is the index of the right choice`);
        throw new Error(`${where}: label ${x} (dataset row ${row}) is outside the model's ${n} labels 0..${n - 1}: fix the labels, or load the model with numLabels = the number of classes (and id2label/label2id)`);
      }
    }
  }

  /** transformers' compute_loss: the model's own loss (from `labels`). */
  computeLoss(model: TrainerModel, inputs: Record<string, unknown>): Tensor {
    const out = model.forward(inputs) as { loss?: Tensor | null; logits?: Tensor };
    if (!out || !(out.loss instanceof Tensor)) {
      throw new Error(`The model did not return a loss from the inputs, only the following keys: ${Object.keys(out ?? {}).filter((k) => (out as Record<string, unknown>)[k] != null).join(',')}. For reference, the inputs it received are ${Object.keys(inputs).join(',')}: pass labels (a '${this.labelNames[0]}' or 'label' column)`);
    }
    return out.loss;
  }

  private flosPerBatch(inputs: Record<string, unknown>): number {
    const main = this.model.mainInputName ?? 'input_ids';
    const t = inputs[main];
    if (!(t instanceof Tensor)) return 0;
    return 6 * t.numel * this.nonEmbeddingParams();
  }
  private _nonEmb: number | null = null;
  private nonEmbeddingParams(): number {
    if (this._nonEmb !== null) return this._nonEmb;
    const emb = new Set<Tensor>();
    for (const [, m] of this.model.namedModules()) if (m instanceof nn.Embedding) emb.add(m.weight);
    let n = 0;
    for (const p of this.model.parameters()) if (!emb.has(p)) n += p.numel;
    return (this._nonEmb = n);
  }

  // ------------------------------------------------------------------ train

  /** Trains; `resumeFromCheckpoint` is a checkpoint folder or true (the latest in outputDir). */
  async train(o: { resumeFromCheckpoint?: string | boolean | null } = {}): Promise<TrainOutput> {
    const args = this.args;
    let resume = o.resumeFromCheckpoint ?? args.resumeFromCheckpoint ?? null;
    if (resume === false) resume = null;
    if (resume === true) {
      const last = lastIntactCheckpoint(args.outputDir);
      if (!last) throw new CheckpointError(`No valid checkpoint found in output directory (${args.outputDir}): train without resumeFromCheckpoint, or point it at a checkpoint folder`);
      resume = last;
    }
    if (typeof resume === 'string') {
      if (!existsSync(resume)) throw new CheckpointError(`Can't find a valid checkpoint at ${resume}: give a checkpoint-<step> folder or true for the latest in ${args.outputDir}`);
      if (!existsSync(join(resume, TRAINER_STATE_NAME))) throw new CheckpointError(`${resume} is not a complete checkpoint (no ${TRAINER_STATE_NAME}): resume from another checkpoint`);
      const problem = verifyCheckpoint(resume);
      if (problem) throw new CheckpointError(`cannot load ${resume}: ${problem}; the checkpoint is corrupt, resume from another checkpoint (resumeFromCheckpoint: true picks the newest intact one)`);
      // Check everything before changing anything: state and RNG file parse, then weights (validated before copying).
      TrainerState.load(join(resume, TRAINER_STATE_NAME));
      readRngState(resume);
      loadModelWeights(resume, this.model);
    } else {
      setSeed(args.seed);
    }
    cleanStaleTempDirs(args.outputDir);
    this.isInTrain = true;
    try {
      return await this.innerTrainingLoop(resume);
    } finally {
      this.isInTrain = false;
      this.reducer = null;
      this.syncGradients = true;
    }
  }

  private async innerTrainingLoop(resume: string | null): Promise<TrainOutput> {
    const args = this.args;
    this.dp = await setupDataParallel();
    const loader = await this.getTrainDataloader();
    const streaming = loader instanceof IterableDataLoader;
    // a stream has no length: transformers' max_steps rules (one "epoch" = maxSteps updates or the end of a pass)
    const lenDataloader = streaming ? streamingMaxSteps(args.maxSteps) * args.gradientAccumulationSteps : loader.length;
    if (!streaming && lenDataloader === 0) {
      throw new Error(`the training dataset (${(loader as DataLoader).dataset.numRows} rows) gives no batch of ${args.trainBatchSize} with dataloaderDropLast: use a smaller batch size or turn dataloaderDropLast off`);
    }
    const GA = args.gradientAccumulationSteps;
    const updatesPerEpoch = Math.max(Math.ceil(lenDataloader / GA), 1);
    let maxSteps: number, numTrainEpochs: number, numTrainSamples: number;
    if (args.maxSteps > 0) {
      maxSteps = args.maxSteps;
      numTrainEpochs = streaming ? Number.MAX_SAFE_INTEGER : Math.floor(maxSteps / updatesPerEpoch) + (maxSteps % updatesPerEpoch > 0 ? 1 : 0);
      numTrainSamples = maxSteps * args.totalTrainBatchSize;
    } else {
      maxSteps = Math.ceil(args.numTrainEpochs * updatesPerEpoch);
      numTrainEpochs = Math.ceil(args.numTrainEpochs);
      numTrainSamples = (loader as DataLoader).dataset.numRows * args.numTrainEpochs;
    }

    this.state = new TrainerState({ trainBatchSize: args.trainBatchSize });
    this.state.computeSteps({ loggingSteps: args.loggingSteps, evalSteps: args.evalSteps, saveSteps: args.saveSteps }, maxSteps);
    if (args.gradientCheckpointing) this.enableGradientCheckpointing();
    this.createOptimizer();
    this.createScheduler(maxSteps);
    this.control = new TrainerControl();

    let epochsTrained = 0;
    let stepsTrainedInCurrentEpoch = 0;
    let rng: RngStateFile | null = null;
    this.trLoss = 0; this.totalLossScalar = 0; this.globalstepLastLogged = 0; this.nonFiniteRun = 0;
    if (resume) {
      this.state = TrainerState.load(join(resume, TRAINER_STATE_NAME));
      if (this.state.trainBatchSize !== null && this.state.trainBatchSize !== args.trainBatchSize) {
        console.warn(`The checkpoint ${resume} was trained with batch size ${this.state.trainBatchSize}, this run uses ${args.trainBatchSize}: the data order and loss curve will differ from the original run`);
      }
      loadOptimizer(resume, this.optimizer!, this.optimizerParamNames);
      loadScheduler(resume, this.lrScheduler!);
      if (this.mixedPrecision.scaler) loadScaler(resume, this.mixedPrecision.scaler);
      this.loadCallbackStates();
      epochsTrained = Math.floor(this.state.globalStep / updatesPerEpoch);
      stepsTrainedInCurrentEpoch = (this.state.globalStep % updatesPerEpoch) * GA;
      if (streaming && this.streamPosition) [epochsTrained, stepsTrainedInCurrentEpoch] = [this.streamPosition.epoch, this.streamPosition.batches];
      rng = readRngState(resume);
      if (rng) {
        this.totalLossScalar = rng.trainer.total_loss;
        this.trLoss = rng.trainer.tr_loss;
        this.globalstepLastLogged = rng.trainer.globalstep_last_logged;
        this.nonFiniteRun = rng.trainer.nonfinite_run;
      } else {
        this.globalstepLastLogged = this.state.globalStep;
      }
      if (this.state.globalStep >= maxSteps) {
        // A finished run: transformers trains no further step and writes no further checkpoint.
        epochsTrained = numTrainEpochs;
        if (!process.env.HUBTUNE_QUIET_TRAINER) console.log(`The checkpoint ${resume} is at global step ${this.state.globalStep} of ${maxSteps}: training already finished, nothing to do`);
      } else if (!process.env.HUBTUNE_QUIET_TRAINER) {
        console.log(`Continuing training from checkpoint ${resume}: epoch ${epochsTrained}, global step ${this.state.globalStep}, skipping the first ${stepsTrainedInCurrentEpoch} batches of the epoch`);
      }
    }
    this.state.maxSteps = maxSteps;
    this.state.numTrainEpochs = numTrainEpochs;
    this.state.trainBatchSize = args.trainBatchSize;
    this.callbackHandler.trainDataloader = loader;

    if (this.dp) await broadcastModel(this.model as never, this.dp);
    this.model.train();
    this.optimizer!.zeroGrad();
    const startMs = performance.now();
    this.control = await this.callbackHandler.onTrainBegin(args, this.state, this.control);

    const onSigint = () => {
      if (this.interruptRequested) { console.error('\nInterrupted again: exiting without saving.'); process.exit(130); }
      this.interruptRequested = true;
      console.error(`\nInterrupt received: saving a checkpoint after the current step, then stopping (Ctrl-C again to exit at once).`);
    };
    this.interruptRequested = false;
    if (this.handleSigint) process.on('SIGINT', onSigint);
    let interrupted = false;
    const params = this.model.parameters().filter((p) => p.requiresGrad);
    this.reducer = this.dp ? new GradientReducer(params, { findUnusedParameters: !args.gradientCheckpointing }) : null;
    try {
      for (let epoch = epochsTrained; epoch < numTrainEpochs; epoch++) {
        const stepsInEpoch = lenDataloader;
        this.currentEpochInfo = { epoch, stepsInEpoch, dataSeed: this.dataSeed() };
        this.control = await this.callbackHandler.onEpochBegin(args, this.state, this.control);
        const skip = epoch === epochsTrained ? stepsTrainedInCurrentEpoch : 0;
        if (rng) {
          // The generator state saved with the checkpoint (transformers' _load_rng_state after skipping).
          restoreRngState(rng, resume!);
          rng = null;
        }
        let step = -1;
        for await (const { batch: raw, indices, index } of loader.iterate({ epoch, skipBatches: skip })) {
          step = index;
          const inputs = this.toDevice(raw);
          try {
            if (step % GA === 0) this.control = await this.callbackHandler.onStepBegin(args, this.state, this.control);
            this.checkLabels(inputs, `training batch ${index} of epoch ${epoch}`, indices);
            this.state.totalFlos += this.flosPerBatch(inputs);
            this.syncGradients = (step + 1) % GA === 0 || step + 1 === stepsInEpoch;
            const lossStep = this.trainingStep(inputs, GA);
            this.accumulateLoss(lossStep, index, epoch);
          } finally {
            disposeAll(inputs);
            disposeAll(raw);
          }
          const isSync = (step + 1) % GA === 0 || step + 1 === stepsInEpoch;
          if (isSync) {
            const r = optimizerStep({ optimizer: this.optimizer!, scheduler: this.lrScheduler!, params, maxGradNorm: args.maxGradNorm, scaler: this.mixedPrecision.scaler });
            this.lastGradNorm = r.gradNorm;
            if (!r.stepped && !process.env.HUBTUNE_QUIET_TRAINER) console.warn(skippedStepMessage(this.state.globalStep + 1, r));
            this.state.globalStep += 1;
            this.state.epoch = epoch + (step + 1) / stepsInEpoch;
            this.control = await this.callbackHandler.onStepEnd(args, this.state, this.control);
            if (this.interruptRequested) {
              interrupted = true;
              this.control.shouldSave = true;
              this.control.shouldTrainingStop = true;
              this.control.shouldEvaluate = false;
            }
            await this.maybeLogSaveEvaluate();
          } else {
            this.control = await this.callbackHandler.onSubstepEnd(args, this.state, this.control);
          }
          await yieldToEventLoop();
          if (this.control.shouldEpochStop || this.control.shouldTrainingStop) break;
        }
        if (step < 0 && skip === 0) throw new Error(`epoch ${epoch} produced no batches`);
        this.control = await this.callbackHandler.onEpochEnd(args, this.state, this.control);
        if (!interrupted) await this.maybeLogSaveEvaluate();
        if (this.control.shouldTrainingStop) break;
      }
    } finally {
      if (this.handleSigint) process.removeListener('SIGINT', onSigint);
    }

    if (!interrupted && args.loadBestModelAtEnd && this.state.bestModelCheckpoint) this.loadBestModel();
    this.totalLossScalar += this.dp ? await meanOverRanks(this.trLoss) : this.trLoss;
    const trainLoss = this.totalLossScalar / Math.max(this.state.globalStep, 0.001);
    const metrics: Metrics = speedMetrics('train', startMs, numTrainSamples, maxSteps);
    metrics.total_flos = this.state.totalFlos;
    metrics.train_loss = trainLoss;
    if (!interrupted) {
      await this.log(metrics as LogEntry);
      if (this.state.bestModelCheckpoint && args.saveTotalLimit === 1 && this.isMainProcess) {
        rotateCheckpoints(args.outputDir, 1, this.state.bestModelCheckpoint);
      }
    } else {
      metrics.epoch = this.state.epoch;
    }
    this.control = await this.callbackHandler.onTrainEnd(args, this.state, this.control);
    return { globalStep: this.state.globalStep, trainingLoss: trainLoss, metrics, ...(interrupted ? { interrupted } : {}) };
  }

  /** One forward/backward in a tidy scope; returns the (accumulation-scaled) loss value. */
  trainingStep(inputs: Record<string, unknown>, gradientAccumulationSteps = 1): number {
    return tidy(() => {
      // forward under autocast (bf16/fp16), backward outside it, scaled under fp16
      const reducer = this.syncGradients ? this.reducer : null; // DDP: gradients averaged in this backward
      reducer?.prepareForward();
      let loss = withAutocast(this.mixedPrecision, () => this.computeLoss(this.model, inputs));
      if (gradientAccumulationSteps > 1) loss = loss.div(gradientAccumulationSteps);
      reducer?.prepareForBackward([loss]);
      backwardScaled(this.mixedPrecision, loss);
      return loss.item();
    });
  }

  /** transformers: args.gradientCheckpointing calls model.gradient_checkpointing_enable(gradient_checkpointing_kwargs). */
  private enableGradientCheckpointing(): void {
    const m = this.model as TrainerModel & { gradientCheckpointingEnable?: (o: { gradientCheckpointingKwargs?: Record<string, unknown> | null }) => unknown };
    if (typeof m.gradientCheckpointingEnable !== 'function') {
      throw new Error(`gradientCheckpointing: ${this.model.constructor.name} has no gradientCheckpointingEnable(): use a hubtune PreTrainedModel, or turn gradientCheckpointing off`);
    }
    m.gradientCheckpointingEnable({ gradientCheckpointingKwargs: this.args.gradientCheckpointingKwargs });
  }

  private accumulateLoss(lossStep: number, batchIndex: number, epoch: number): void {
    const args = this.args;
    if (Number.isFinite(lossStep)) {
      this.nonFiniteRun = 0;
      this.trLoss += lossStep;
      return;
    }
    this.nonFiniteRun += 1;
    const where = `global step ${this.state.globalStep + 1} (epoch ${epoch}, batch ${batchIndex})`;
    if (!args.loggingNanInfFilter) {
      throw new TrainingDivergedError(`training diverged: the loss is ${lossStep} at ${where}; lower learningRate, check the inputs/labels of that batch, or set loggingNanInfFilter to tolerate occasional bad batches`);
    }
    if (this.nonFiniteRun >= this.maxNonFiniteSteps) {
      throw new TrainingDivergedError(`training diverged: the loss was NaN or infinite for ${this.nonFiniteRun} steps in a row, the last at ${where}; lower learningRate or check the data (checkpoints saved so far are intact)`);
    }
    // logging_nan_inf_filter: count this step as the average of the logged ones so far.
    this.trLoss += this.trLoss / (1 + this.state.globalStep - this.globalstepLastLogged);
  }

  private async maybeLogSaveEvaluate(): Promise<void> {
    const args = this.args;
    if (this.control.shouldLog && this.state.globalStep > this.globalstepLastLogged) {
      const logs: LogEntry = {};
      const steps = this.state.globalStep - this.globalstepLastLogged;
      if (this.dp) this.trLoss = await meanOverRanks(this.trLoss); // the loss over all ranks' samples
      logs.loss = round(this.trLoss / steps, 4);
      if (this.lastGradNorm !== null) logs.grad_norm = this.lastGradNorm;
      logs.learning_rate = this.lrScheduler!.getLastLr()[0]!;
      this.totalLossScalar += this.trLoss;
      this.trLoss = 0;
      this.globalstepLastLogged = this.state.globalStep;
      await this.log(logs);
    }
    let metrics: Metrics | null = null;
    if (this.control.shouldEvaluate) {
      metrics = await this.evaluate();
      const isNewBest = this.determineBestMetric(metrics);
      if (args.saveStrategy === 'best') this.control.shouldSave = isNewBest;
    }
    if (this.control.shouldSave) {
      // rank 0 writes; the others wait until the checkpoint is complete
      if (this.isMainProcess) await this.saveCheckpoint();
      await waitForAllRanks(this.dp);
      this.control = await this.callbackHandler.onSave(args, this.state, this.control);
    }
  }

  private determineBestMetric(metrics: Metrics): boolean {
    const args = this.args;
    if (!args.metricForBestModel) return false;
    let key = args.metricForBestModel;
    if (!key.startsWith('eval_')) key = `eval_${key}`;
    const value = metrics[key];
    if (typeof value !== 'number') {
      throw new Error(`The metricForBestModel '${args.metricForBestModel}' is not among the evaluation metrics (${Object.keys(metrics).join(', ')}): set metricForBestModel to one of them, or return it from computeMetrics`);
    }
    const greater = args.greaterIsBetter ?? true;
    const best = this.state.bestMetric ?? (greater ? -Infinity : Infinity);
    if (greater ? value > best : value < best) {
      this.state.bestMetric = value;
      this.state.bestGlobalStep = this.state.globalStep;
      return true;
    }
    if (this.state.bestMetric === null) this.state.bestMetric = best;
    return false;
  }

  /** transformers' log: adds epoch, appends to log_history, calls onLog. */
  async log(logs: LogEntry): Promise<void> {
    if (this.state.epoch !== null && this.state.epoch !== undefined) logs.epoch = round(this.state.epoch, 2);
    const output = { ...logs, step: this.state.globalStep };
    this.state.logHistory.push(output);
    this.control = await this.callbackHandler.onLog(this.args, this.state, this.control, logs);
  }

  // ------------------------------------------------------------------ checkpoints

  /** The checkpoint folder of the current step (written atomically), then rotation. */
  async saveCheckpoint(): Promise<string> {
    const args = this.args;
    const name = `${PREFIX_CHECKPOINT_DIR}-${this.state.globalStep}`;
    const finalDir = join(args.outputDir, name);
    if (args.metricForBestModel && this.state.bestGlobalStep) {
      const bestDir = join(args.outputDir, `${PREFIX_CHECKPOINT_DIR}-${this.state.bestGlobalStep}`);
      if (this.state.bestGlobalStep === this.state.globalStep || existsSync(bestDir)) this.state.bestModelCheckpoint = bestDir;
    }
    const stateful = this.callbackHandler.callbacks.filter((c): c is TrainerCallback & { state(): never } => typeof (c as { state?: unknown }).state === 'function');
    this.state.setStatefulCallbacks([this.control, ...stateful] as never);
    try {
      await writeDirAtomic(finalDir, async (tmp) => {
        await this.writeCheckpointFiles(tmp);
        writeChecksums(tmp); // last, so that it covers whatever writeCheckpointFiles (or an override) wrote
      });
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      const last = getLastCheckpoint(args.outputDir);
      throw new CheckpointError(`saving ${name} failed (${err.code ?? ''}${err.code ? ': ' : ''}${err.message.split('\n')[0]}); nothing was left half-written${err.code === 'ENOSPC' ? ': free disk space' : ''}, and training can resume from ${last ?? 'the start'}`);
    }
    rotateCheckpoints(args.outputDir, args.saveTotalLimit, this.state.bestModelCheckpoint);
    return finalDir;
  }

  /** Everything a checkpoint holds, written into `dir` (overridable, e.g. to add files). */
  protected async writeCheckpointFiles(dir: string): Promise<void> {
    await this.saveModelFiles(dir);
    if (!this.args.saveOnlyModel) {
      saveOptimizer(dir, this.optimizer!, this.optimizerParamNames);
      saveScheduler(dir, this.lrScheduler!);
      if (this.mixedPrecision.scaler) saveScaler(dir, this.mixedPrecision.scaler);
      saveRngState(dir, {
        data_seed: this.currentEpochInfo.dataSeed, epoch: this.currentEpochInfo.epoch, steps_in_epoch: this.currentEpochInfo.stepsInEpoch,
        trainer: { total_loss: this.totalLossScalar, tr_loss: this.trLoss, globalstep_last_logged: this.globalstepLastLogged, nonfinite_run: this.nonFiniteRun },
      });
    }
    this.state.save(join(dir, TRAINER_STATE_NAME));
  }

  private loadCallbackStates(): void {
    const saved = this.state.statefulCallbacks ?? {};
    for (const cb of this.callbackHandler.callbacks) {
      if (typeof (cb as { state?: unknown }).state !== 'function') continue;
      const s = saved[cb.constructor.name];
      const one = Array.isArray(s) ? s[0] : s;
      if (!one) continue;
      for (const [k, v] of Object.entries(one.attributes ?? {})) {
        const camel = k.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
        if (camel in (cb as object)) (cb as Record<string, unknown>)[camel] = v;
      }
    }
  }

  /** transformers' _load_best_model: the best checkpoint's weights into the model. */
  private loadBestModel(): void {
    const best = this.state.bestModelCheckpoint!;
    if (!existsSync(best)) {
      console.warn(`Could not locate the best model at ${best}, if you are running a distributed training on multiple nodes, you should activate --save_on_each_node.`);
      return;
    }
    const problem = verifyCheckpoint(best);
    if (problem) {
      console.warn(`Warning: the best model's checkpoint ${best} is damaged (${problem}): keeping the last weights instead`);
      return;
    }
    if (!process.env.HUBTUNE_QUIET_TRAINER) console.log(`Loading best model from ${best} (score: ${this.state.bestMetric}).`);
    loadModelWeights(best, this.model);
  }

  // ------------------------------------------------------------------ saving

  private async saveModelFiles(dir: string): Promise<void> {
    mkdirSync(dir, { recursive: true });
    if (typeof this.model.savePretrained === 'function') await this.model.savePretrained(dir);
    else {
      saveSafetensors(join(dir, 'model.safetensors'), this.model.stateDict(), { format: 'pt' });
      const cfg = this.model.config as { toJsonString?: () => string } | undefined;
      if (cfg) writeFileAtomicSync(join(dir, 'config.json'), typeof cfg.toJsonString === 'function' ? cfg.toJsonString() : JSON.stringify(cfg, null, 2) + '\n');
    }
    if (this.processingClass && typeof this.processingClass.savePretrained === 'function') await this.processingClass.savePretrained(dir);
    this.args.saveJson(join(dir, TRAINING_ARGS_NAME));
  }

  /** Saves the model (+ processor files and training_args.json) to `dir` (default outputDir), loadable by fromPretrained. */
  /** Saves the model into outputDir, writes the model card and uploads outputDir to the Hub (transformers' trainer.push_to_hub). */
  pushToHub(o: TrainerPushOptions & { blocking?: true } = {}): Promise<PushResult> {
    return this.hub.pushToHub(o);
  }

  /** Writes README.md (the model card transformers generates from the training run) into outputDir. */
  createModelCard(o: Parameters<TrainerHub['createModelCard']>[0] = {}): ReturnType<TrainerHub['createModelCard']> {
    return this.hub.createModelCard(o);
  }

  /** Whether this process saves and logs: always, except on ranks other than 0 in data-parallel training. */
  get isMainProcess(): boolean { return (this.dp?.rank ?? processRank()) === 0; }

  async saveModel(dir?: string): Promise<void> {
    if (!this.isMainProcess) return;
    await this.saveModelFiles(dir ?? this.args.outputDir);
  }

  /** Prints metrics like transformers' log_metrics ("***** train metrics *****"); returns the lines. */
  logMetrics(split: string, metrics: Metrics, o: { print?: ((line: string) => void) | false } = {}): string[] {
    return printMetrics(split, metrics, o);
  }

  /** Writes <outputDir>/<split>_results.json and merges into all_results.json. */
  saveMetrics(split: string, metrics: Metrics, combined = true): string[] {
    return writeMetrics(this.args.outputDir, split, metrics, { combined });
  }

  /** Writes <outputDir>/trainer_state.json. */
  saveState(): string {
    const path = join(this.args.outputDir, TRAINER_STATE_NAME);
    this.state.save(path);
    return path;
  }

  // ------------------------------------------------------------------ evaluation

  private async evaluationLoop(ds: DatasetLike, description: string, prefix: string): Promise<{ predictions: { data: Float32Array; shape: number[] } | null; labels: { data: Float32Array; shape: number[] } | null; metrics: Metrics; numSamples: number }> {
    if (ds.numRows === 0) throw new Error(`the ${description} dataset is empty (0 rows): nothing to evaluate`);
    const loader = this.getEvalDataloader(ds);
    // transformers: outside training, full fp16/bf16 evaluation casts the model first (and it stays cast)
    if (!this.isInTrain && (this.args.fp16FullEval || this.args.bf16FullEval)) this.model.to(this.args.fp16FullEval ? 'float16' : 'bfloat16');
    const wasTraining = (this.model as { training?: boolean }).training ?? false;
    this.model.eval();
    // each batch's loss, rows, predictions and labels; with data parallelism, this rank's share first
    let batches: EvalBatch[] = [];
    try {
      for await (const { batch: raw, indices, index } of loader.iterate()) {
        const inputs = this.toDevice(raw);
        try {
          this.checkLabels(inputs, `${description} batch ${index}`, indices);
          const r = await this.predictionStep(inputs);
          const lab = inputs[this.labelNames[0]!];
          batches.push({ loss: r.loss, rows: indices.length, logits: r.logits, labels: lab instanceof Tensor ? toFloat32(lab) : null });
        } finally {
          disposeAll(inputs);
          disposeAll(raw);
        }
        this.control = await this.callbackHandler.onPredictionStep(this.args, this.state, this.control, { evalDataloader: loader });
        await yieldToEventLoop();
      }
    } finally {
      if (wasTraining) this.model.train();
    }
    if (this.dp) batches = await gatherEvalBatches(batches, ds.numRows, this.dp);
    const preds: Gathered = { parts: [] };
    const labels: Gathered = { parts: [] };
    let lossSum = 0, lossCount = 0, numSamples = 0;
    for (const b of batches) {
      numSamples += b.rows;
      if (b.loss !== null) { lossSum += b.loss * b.rows; lossCount += b.rows; }
      if (b.logits) preds.parts.push(b.logits);
      if (b.labels) labels.parts.push(b.labels);
    }
    const predictions = concatParts(preds);
    const labelArr = concatParts(labels);
    let metrics: Metrics = {};
    if (this.computeMetrics && predictions && labelArr) {
      const lab = toNested(labelArr.data, labelArr.shape);
      const computed = await this.computeMetrics(evalPrediction({ predictions: toNested(predictions.data, predictions.shape), labelIds: lab, predictionsData: predictions.data, predictionsShape: predictions.shape }));
      metrics = { ...computed } as Metrics;
    }
    if (lossCount > 0) metrics[`${prefix}_loss`] = Math.fround(lossSum / lossCount);
    for (const k of Object.keys(metrics)) {
      if (!k.startsWith(`${prefix}_`)) { const v = metrics[k]!; delete metrics[k]; metrics[`${prefix}_${k}`] = v; }
    }
    return { predictions, labels: labelArr, metrics, numSamples };
  }

  /**
   * One evaluation batch (transformers' prediction_step): the loss and the predictions (the logits)
   * as float32 data. Seq2SeqTrainer overrides it to predict with generate().
   */
  protected async predictionStep(inputs: Record<string, unknown>): Promise<{ loss: number | null; logits: { data: Float32Array; shape: number[] } | null }> {
    return noGrad(() => tidy(() => {
      const out = withAutocast(this.mixedPrecision, () => this.model.forward(inputs)) as { loss?: Tensor | null; logits?: Tensor };
      const loss = out.loss instanceof Tensor ? out.loss.item() : null;
      const logits = out.logits instanceof Tensor ? toFloat32(out.logits) : spanLogits(out as Record<string, unknown>);
      return { loss, logits };
    }));
  }

  /** Evaluates on `dataset` (default evalDataset): eval_loss, eval_<metric>, runtime and speed, epoch. */
  async evaluate(dataset?: DatasetLike | null, o: { metricKeyPrefix?: string } = {}): Promise<Metrics> {
    const prefix = o.metricKeyPrefix ?? 'eval';
    let ds = dataset ?? this.evalDataset;
    if (!ds) throw new Error('Trainer: evaluation requires an evalDataset (pass one to the Trainer or to evaluate())');
    if (dataset && this.args.removeUnusedColumns) ds = this.removeUnusedColumns(ds, 'evaluation');
    const start = performance.now();
    const out = await this.evaluationLoop(ds, 'evaluation', prefix);
    Object.assign(out.metrics, speedMetrics(prefix, start, out.numSamples, Math.ceil(out.numSamples / this.args.evalBatchSize)));
    await this.log(out.metrics as LogEntry);
    this.control = await this.callbackHandler.onEvaluate(this.args, this.state, this.control, out.metrics as Record<string, number>, { evalPredictions: out.predictions, evalLabelIds: out.labels });
    return out.metrics;
  }

  /** Predicts on `dataset`: logits, label ids and test_ metrics (not logged). */
  async predict(dataset: DatasetLike, o: { metricKeyPrefix?: string } = {}): Promise<PredictionOutput> {
    const prefix = o.metricKeyPrefix ?? 'test';
    const ds = this.args.removeUnusedColumns ? this.removeUnusedColumns(dataset, 'test') : dataset;
    const start = performance.now();
    const out = await this.evaluationLoop(ds, 'test', prefix);
    Object.assign(out.metrics, speedMetrics(prefix, start, out.numSamples, Math.ceil(out.numSamples / this.args.evalBatchSize)));
    this.control = await this.callbackHandler.onPredict(this.args, this.state, this.control, out.metrics as Record<string, number>);
    const p = out.predictions ?? { data: new Float32Array(0), shape: [0] };
    return {
      predictions: toNested(p.data, p.shape), predictionsData: p.data, predictionsShape: p.shape,
      labelIds: out.labels ? toNested(out.labels.data, out.labels.shape) : null, metrics: out.metrics,
    };
  }

  // ------------------------------------------------------------------ callbacks

  addCallback(cb: TrainerCallback | (new () => TrainerCallback)): void { this.callbackHandler.addCallback(cb); }
  popCallback(cb: TrainerCallback | (new () => TrainerCallback)): TrainerCallback | undefined { return this.callbackHandler.popCallback(cb); }
  removeCallback(cb: TrainerCallback | (new () => TrainerCallback)): void { this.callbackHandler.removeCallback(cb); }
}

