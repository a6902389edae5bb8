// TrainingArguments: transformers' names (camelCase here, snake_case accepted from JSON/YAML/CLI),
// defaults and __post_init__ checks. One-line errors that name the field and say what to do.
import { isInitialized, getWorldSize } from '../distributed/state';
import { hostname } from 'node:os';
import { basename, join } from 'node:path';
import { inspect } from 'node:util';
import { writeFileAtomicSync } from './atomic';
import { pyJsonDumps, pyRepr, type NumberKindFn } from './pyjson';

export const INTERVAL_STRATEGIES = ['no', 'steps', 'epoch'] as const;
export const SAVE_STRATEGIES = ['no', 'steps', 'epoch', 'best'] as const;
export const HUB_STRATEGIES = ['end', 'every_save', 'checkpoint', 'all_checkpoints'] as const;
export const SCHEDULER_TYPES = [
  'linear', 'cosine', 'cosine_with_restarts', 'polynomial', 'constant', 'constant_with_warmup',
  'inverse_sqrt', 'reduce_lr_on_plateau', 'cosine_with_min_lr', 'cosine_warmup_with_min_lr', 'warmup_stable_decay',
] as const;
export const OPTIMIZER_NAMES = ['adamw_torch'] as const;
export const DEVICES = ['auto', 'cpu', 'cuda'] as const;
/** transformers 4.29's half_precision_backend choices ('apex' is not available in hubtune). */
export const HALF_PRECISION_BACKENDS = ['auto', 'cuda_amp', 'cpu_amp', 'apex'] as const;

export type IntervalStrategy = (typeof INTERVAL_STRATEGIES)[number];
export type SaveStrategy = (typeof SAVE_STRATEGIES)[number];
export type HubStrategy = (typeof HUB_STRATEGIES)[number];
export type SchedulerType = (typeof SCHEDULER_TYPES)[number];
export type OptimizerName = (typeof OPTIMIZER_NAMES)[number];
export type DeviceChoice = (typeof DEVICES)[number];
export type HalfPrecisionBackend = (typeof HALF_PRECISION_BACKENDS)[number];

/** Everything `new TrainingArguments()` accepts (all optional; transformers' defaults otherwise). */
export interface TrainingArgumentsInit {
  outputDir?: string;
  overwriteOutputDir?: boolean;
  doTrain?: boolean;
  doEval?: boolean;
  doPredict?: boolean;
  numTrainEpochs?: number;
  maxSteps?: number;
  perDeviceTrainBatchSize?: number;
  perDeviceEvalBatchSize?: number;
  learningRate?: number;
  weightDecay?: number;
  adamBeta1?: number;
  adamBeta2?: number;
  adamEpsilon?: number;
  maxGradNorm?: number;
  optim?: OptimizerName;
  lrSchedulerType?: SchedulerType;
  lrSchedulerKwargs?: Record<string, unknown> | string;
  warmupSteps?: number;
  warmupRatio?: number;
  gradientAccumulationSteps?: number;
  evalStrategy?: IntervalStrategy;
  /** Older name of evalStrategy. */
  evaluationStrategy?: IntervalStrategy;
  evalSteps?: number | null;
  evalDelay?: number;
  loggingStrategy?: IntervalStrategy;
  loggingSteps?: number;
  loggingFirstStep?: boolean;
  loggingNanInfFilter?: boolean;
  loggingDir?: string | null;
  saveStrategy?: SaveStrategy;
  saveSteps?: number;
  saveTotalLimit?: number | null;
  saveOnlyModel?: boolean;
  loadBestModelAtEnd?: boolean;
  metricForBestModel?: string | null;
  greaterIsBetter?: boolean | null;
  seed?: number;
  dataSeed?: number | null;
  /** bf16 mixed precision: autocast to bfloat16 (CPU autocast on CPU, transformers' use_cpu_amp), fp32 master weights. */
  bf16?: boolean;
  /** fp16 mixed precision with dynamic loss scaling (CUDA only; on CPU use bf16). */
  fp16?: boolean;
  /** 'auto' (cpu_amp on CPU, cuda_amp on CUDA), 'cuda_amp' or 'cpu_amp'. */
  halfPrecisionBackend?: HalfPrecisionBackend;
  /** Evaluate/predict outside training with the model cast to bfloat16 (as transformers does, the cast stays). */
  bf16FullEval?: boolean;
  /** The same in float16 (CUDA only). */
  fp16FullEval?: boolean;
  /** TF32 matrix products on Ampere+ GPUs (null leaves libtorch's default). */
  tf32?: boolean | null;
  /** Recompute each layer's activations in the backward pass: much less memory, about 30% more compute. */
  gradientCheckpointing?: boolean;
  /** torch.utils.checkpoint options, e.g. { use_reentrant: false } (see model.gradientCheckpointingEnable). */
  gradientCheckpointingKwargs?: Record<string, unknown> | string | null;
  removeUnusedColumns?: boolean;
  labelNames?: string[] | null;
  dataloaderNumWorkers?: number;
  dataloaderDropLast?: boolean;
  dataloaderPrefetchFactor?: number | null;
  /** Short name of dataloaderPrefetchFactor. */
  dataloaderPrefetch?: number | null;
  groupByLength?: boolean;
  lengthColumnName?: string;
  resumeFromCheckpoint?: string | boolean | null;
  pushToHub?: boolean;
  hubModelId?: string | null;
  hubStrategy?: HubStrategy;
  hubToken?: string | null;
  hubPrivateRepo?: boolean | null;
  reportTo?: string | string[];
  /** Deprecated (transformers 4.2x): use hubModelId with the full repo name. Accepted with transformers' warning. */
  pushToHubOrganization?: string | null;
  /** Deprecated (transformers 4.2x): use hubModelId. Accepted with transformers' warning. */
  pushToHubModelId?: string | null;
  /** Deprecated (transformers 4.2x): use hubToken. Accepted with transformers' warning. */
  pushToHubToken?: string | null;
  /** Deprecated: use perDeviceTrainBatchSize. Accepted with transformers' warning. */
  perGpuTrainBatchSize?: number | null;
  /** Deprecated: use perDeviceEvalBatchSize. Accepted with transformers' warning. */
  perGpuEvalBatchSize?: number | null;
  /** Deprecated: use halfPrecisionBackend. Accepted with transformers' warning. */
  fp16Backend?: HalfPrecisionBackend;
  /** Deprecated: use device: 'cpu'. Accepted with transformers' warning. */
  noCuda?: boolean;
  device?: DeviceChoice;
  disableTqdm?: boolean;
  runName?: string | null;
  includeInputsForMetrics?: boolean;
}

type Kind = 'bool' | 'int' | 'float' | 'string' | 'strings' | 'dict' | 'checkpoint';
interface FieldSpec {
  name: keyof TrainingArgumentsInit;
  kind: Kind;
  nullable?: boolean;
  values?: readonly string[];
  /** Written as a Python float in training_args.json even when integral (3.0, 0.0). */
  pyFloat?: boolean;
  /** Accepts ints >= 1 or a float ratio in (0, 1) (logging/eval/save steps, warmup steps). */
  ratio?: boolean;
}

// Order = transformers' field order, as written to training_args.json.
const FIELDS: FieldSpec[] = [
  { name: 'outputDir', kind: 'string' },
  { name: 'overwriteOutputDir', kind: 'bool' },
  { name: 'doTrain', kind: 'bool' },
  { name: 'doEval', kind: 'bool' },
  { name: 'doPredict', kind: 'bool' },
  { name: 'evalStrategy', kind: 'string', values: INTERVAL_STRATEGIES },
  { name: 'perDeviceTrainBatchSize', kind: 'int' },
  { name: 'perDeviceEvalBatchSize', kind: 'int' },
  { name: 'gradientAccumulationSteps', kind: 'int' },
  { name: 'evalDelay', kind: 'float' },
  { name: 'learningRate', kind: 'float', pyFloat: true },
  { name: 'weightDecay', kind: 'float', pyFloat: true },
  { name: 'adamBeta1', kind: 'float', pyFloat: true },
  { name: 'adamBeta2', kind: 'float', pyFloat: true },
  { name: 'adamEpsilon', kind: 'float', pyFloat: true },
  { name: 'maxGradNorm', kind: 'float', pyFloat: true },
  { name: 'numTrainEpochs', kind: 'float', pyFloat: true },
  { name: 'maxSteps', kind: 'int' },
  { name: 'lrSchedulerType', kind: 'string', values: SCHEDULER_TYPES },
  { name: 'lrSchedulerKwargs', kind: 'dict' },
  { name: 'warmupRatio', kind: 'float', pyFloat: true },
  { name: 'warmupSteps', kind: 'float', ratio: true },
  { name: 'loggingDir', kind: 'string', nullable: true },
  { name: 'loggingStrategy', kind: 'string', values: INTERVAL_STRATEGIES },
  { name: 'loggingFirstStep', kind: 'bool' },
  { name: 'loggingSteps', kind: 'float', ratio: true },
  { name: 'loggingNanInfFilter', kind: 'bool' },
  { name: 'saveStrategy', kind: 'string', values: SAVE_STRATEGIES },
  { name: 'saveSteps', kind: 'float', ratio: true },
  { name: 'saveTotalLimit', kind: 'int', nullable: true },
  { name: 'saveOnlyModel', kind: 'bool' },
  { name: 'seed', kind: 'int' },
  { name: 'dataSeed', kind: 'int', nullable: true },
  { name: 'bf16', kind: 'bool' },
  { name: 'fp16', kind: 'bool' },
  { name: 'halfPrecisionBackend', kind: 'string', values: HALF_PRECISION_BACKENDS },
  { name: 'bf16FullEval', kind: 'bool' },
  { name: 'fp16FullEval', kind: 'bool' },
  { name: 'tf32', kind: 'bool', nullable: true },
  { name: 'device', kind: 'string', values: DEVICES },
  { name: 'evalSteps', kind: 'float', nullable: true, ratio: true },
  { name: 'dataloaderNumWorkers', kind: 'int' },
  { name: 'dataloaderPrefetchFactor', kind: 'int', nullable: true },
  { name: 'runName', kind: 'string', nullable: true },
  { name: 'disableTqdm', kind: 'bool' },
  { name: 'removeUnusedColumns', kind: 'bool' },
  { name: 'labelNames', kind: 'strings', nullable: true },
  { name: 'loadBestModelAtEnd', kind: 'bool' },
  { name: 'metricForBestModel', kind: 'string', nullable: true },
  { name: 'greaterIsBetter', kind: 'bool', nullable: true },
  { name: 'dataloaderDropLast', kind: 'bool' },
  { name: 'optim', kind: 'string', values: OPTIMIZER_NAMES },
  { name: 'groupByLength', kind: 'bool' },
  { name: 'lengthColumnName', kind: 'string' },
  { name: 'reportTo', kind: 'strings' },
  { name: 'resumeFromCheckpoint', kind: 'checkpoint', nullable: true },
  { name: 'pushToHub', kind: 'bool' },
  { name: 'hubModelId', kind: 'string', nullable: true },
  { name: 'hubStrategy', kind: 'string', values: HUB_STRATEGIES },
  { name: 'hubToken', kind: 'string', nullable: true },
  { name: 'hubPrivateRepo', kind: 'bool', nullable: true },
  { name: 'gradientCheckpointing', kind: 'bool' },
  { name: 'gradientCheckpointingKwargs', kind: 'dict', nullable: true },
  { name: 'includeInputsForMetrics', kind: 'bool' },
];

const ALIASES: Record<string, keyof TrainingArgumentsInit> = {
  evaluationStrategy: 'evalStrategy',
  dataloaderPrefetch: 'dataloaderPrefetchFactor',
};

const SPEC_BY_NAME = new Map(FIELDS.map((f) => [f.name as string, f]));

/** transformers 4.2x's deprecated arguments: still accepted, with its warning, and mapped onto their successors. */
const DEPRECATED: Record<string, FieldSpec> = {
  pushToHubOrganization: { name: 'hubModelId', kind: 'string', nullable: true },
  pushToHubModelId: { name: 'hubModelId', kind: 'string', nullable: true },
  pushToHubToken: { name: 'hubToken', kind: 'string', nullable: true },
  perGpuTrainBatchSize: { name: 'perDeviceTrainBatchSize', kind: 'int', nullable: true },
  perGpuEvalBatchSize: { name: 'perDeviceEvalBatchSize', kind: 'int', nullable: true },
  fp16Backend: { name: 'halfPrecisionBackend', kind: 'string', values: HALF_PRECISION_BACKENDS },
  noCuda: { name: 'device', kind: 'bool' },
};

/** report_to values of transformers' integrations; hubtune has tensorboard. */
const INTEGRATIONS = ['azure_ml', 'clearml', 'codecarbon', 'comet_ml', 'dagshub', 'dvclive', 'flyte', 'mlflow', 'neptune', 'tensorboard', 'wandb'];

/** Where deprecation warnings go (console.warn); tests may replace it. */
export let warnDeprecated: (message: string) => void = (m) => console.warn(m);
export function setDeprecationWarner(fn: ((message: string) => void) | null): void { warnDeprecated = fn ?? ((m) => console.warn(m)); }

export const FP16_NEEDS_CUDA = 'fp16 mixed precision training (fp16) and fp16 half-precision evaluation (fp16FullEval) can only be used on CUDA devices, and this run is on the CPU: use bf16 instead (CPU autocast in bfloat16)';
export const TF32_NEEDS_CUDA = 'tf32 requires an Ampere or newer NVIDIA GPU with CUDA, and this run is on the CPU: leave tf32 unset';

export function toSnakeCase(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
}
export function toCamelCase(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

function levenshtein(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_v, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length];
}

/** The valid key closest to `key`, spelled in the same style (snake_case or camelCase). */
export function closestKey(key: string, candidates: readonly string[]): string {
  const norm = (s: string) => s.toLowerCase().replace(/_/g, '');
  let best = candidates[0];
  let bestD = Infinity;
  for (const c of candidates) {
    const d = levenshtein(norm(key), norm(c));
    if (d < bestD) { bestD = d; best = c; }
  }
  return best;
}

export class TrainingArgumentsError extends Error {
  override name = 'TrainingArgumentsError';
}
const fail = (msg: string): never => { throw new TrainingArgumentsError(msg); };

function list(values: readonly string[]): string {
  return values.map((v) => `'${v}'`).join(', ');
}

function coerce(spec: FieldSpec, raw: unknown, shown: string): unknown {
  if (raw === undefined) return undefined;
  if (raw === null || raw === 'None' || raw === 'null') {
    if (spec.nullable) return null;
    return fail(`${shown} cannot be null: give a value or leave it out for the default`);
  }
  switch (spec.kind) {
    case 'bool': {
      if (typeof raw === 'boolean') return raw;
      if (typeof raw === 'string' && /^(true|false|yes|no|1|0)$/i.test(raw)) return /^(true|yes|1)$/i.test(raw);
      if (raw === 1 || raw === 0) return raw === 1;
      return fail(`${shown} must be true or false, got ${JSON.stringify(raw)}`);
    }
    case 'int':
    case 'float': {
      const n = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
      if (typeof n !== 'number' || !Number.isFinite(n)) return fail(`${shown} must be a number, got ${JSON.stringify(raw)}`);
      if (spec.kind === 'int' && !Number.isInteger(n)) return fail(`${shown} must be an integer, got ${n}`);
      return n;
    }
    case 'string': {
      if (typeof raw !== 'string') return fail(`${shown} must be a string, got ${JSON.stringify(raw)}`);
      if (spec.values && !spec.values.includes(raw)) {
        return fail(`${shown} must be one of ${list(spec.values)}, got '${raw}'`);
      }
      return raw;
    }
    case 'strings': {
      if (typeof raw === 'string') return raw.includes(',') ? raw.split(',').map((s) => s.trim()).filter(Boolean) : [raw];
      if (Array.isArray(raw) && raw.every((s) => typeof s === 'string')) return [...raw];
      return fail(`${shown} must be a string or a list of strings, got ${JSON.stringify(raw)}`);
    }
    case 'dict': {
      if (typeof raw === 'string') {
        if (!raw.trim().startsWith('{')) return fail(`${shown} must be an object or a JSON object string, got ${JSON.stringify(raw)}`);
        try { return JSON.parse(raw) as unknown; } catch { return fail(`${shown} is not valid JSON: ${raw}`); }
      }
      if (typeof raw === 'object' && !Array.isArray(raw)) return { ...(raw as Record<string, unknown>) };
      return fail(`${shown} must be an object, got ${JSON.stringify(raw)}`);
    }
    case 'checkpoint': {
      if (typeof raw === 'boolean') return raw;
      if (typeof raw === 'string') return /^(true|false)$/i.test(raw) ? raw.toLowerCase() === 'true' : raw;
      return fail(`${shown} must be a checkpoint folder path or true (latest checkpoint), got ${JSON.stringify(raw)}`);
    }
  }
}

/** transformers' default_logdir(): runs/<Mon DD_HH-MM-SS>_<hostname>. */
function defaultLogdir(): string {
  const d = new Date();
  const mon = d.toLocaleString('en-US', { month: 'short' });
  const p = (n: number) => String(n).padStart(2, '0');
  return join('runs', `${mon}${p(d.getDate())}_${p(d.getHours())}-${p(d.getMinutes())}-${p(d.getSeconds())}_${hostname()}`);
}

export class TrainingArguments {
  outputDir = 'trainer_output';
  overwriteOutputDir = false;
  doTrain = false;
  doEval = false;
  doPredict = false;
  evalStrategy: IntervalStrategy = 'no';
  perDeviceTrainBatchSize = 8;
  perDeviceEvalBatchSize = 8;
  gradientAccumulationSteps = 1;
  evalDelay = 0;
  learningRate = 5e-5;
  weightDecay = 0;
  adamBeta1 = 0.9;
  adamBeta2 = 0.999;
  adamEpsilon = 1e-8;
  maxGradNorm = 1.0;
  numTrainEpochs = 3;
  maxSteps = -1;
  lrSchedulerType: SchedulerType = 'linear';
  lrSchedulerKwargs: Record<string, unknown> = {};
  warmupRatio = 0;
  warmupSteps = 0;
  loggingDir: string | null = null;
  loggingStrategy: IntervalStrategy = 'steps';
  loggingFirstStep = false;
  loggingSteps = 500;
  loggingNanInfFilter = true;
  saveStrategy: SaveStrategy = 'steps';
  saveSteps = 500;
  saveTotalLimit: number | null = null;
  saveOnlyModel = false;
  seed = 42;
  dataSeed: number | null = null;
  bf16 = false;
  fp16 = false;
  halfPrecisionBackend: HalfPrecisionBackend = 'auto';
  bf16FullEval = false;
  fp16FullEval = false;
  tf32: boolean | null = null;
  device: DeviceChoice = 'auto';
  evalSteps: number | null = null;
  dataloaderNumWorkers = 0;
  dataloaderPrefetchFactor: number | null = null;
  runName: string | null = null;
  disableTqdm = false;
  removeUnusedColumns = true;
  labelNames: string[] | null = null;
  loadBestModelAtEnd = false;
  metricForBestModel: string | null = null;
  greaterIsBetter: boolean | null = null;
  dataloaderDropLast = false;
  optim: OptimizerName = 'adamw_torch';
  groupByLength = false;
  lengthColumnName = 'length';
  reportTo: string[] = [];
  resumeFromCheckpoint: string | boolean | null = null;
  pushToHub = false;
  hubModelId: string | null = null;
  hubStrategy: HubStrategy = 'every_save';
  hubPrivateRepo: boolean | null = null;
  gradientCheckpointing = false;
  gradientCheckpointingKwargs: Record<string, unknown> | null = null;
  includeInputsForMetrics = false;
  // Kept out of enumerable properties so console.log / JSON.stringify / spreading never show it.
  #hubToken: string | null = null;
  #deprecated: Record<string, unknown> = {};

  /** `new TrainingArguments('test-trainer', {evalStrategy: 'epoch'})` is Python's `TrainingArguments("test-trainer", eval_strategy="epoch")`. */
  constructor(outputDir: string, init?: TrainingArgumentsInit);
  constructor(init?: TrainingArgumentsInit);
  constructor(first: TrainingArgumentsInit | string = {}, rest: TrainingArgumentsInit = {}) {
    const init = typeof first === 'string' ? { ...rest, outputDir: first } : first;
    if (typeof first === 'string' && rest.outputDir !== undefined && rest.outputDir !== first) fail(`TrainingArguments: outputDir given twice ('${first}' and '${rest.outputDir}'): keep one`);
    this.#assign(init as Record<string, unknown>);
    this.#postInit();
  }

  /** From a plain object (JSON/YAML/CLI): snake_case or camelCase keys, string values coerced. */
  static fromObject(obj: Record<string, unknown>): TrainingArguments {
    if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
      fail('TrainingArguments.fromObject expects an object of training arguments (snake_case or camelCase keys)');
    }
    return new TrainingArguments(obj as TrainingArgumentsInit);
  }

  get hubToken(): string | null { return this.#hubToken; }
  set hubToken(v: string | null) { this.#hubToken = v; }

  #assign(obj: Record<string, unknown>): void {
    const seen = new Map<string, string>();
    const validCamel = [...FIELDS.map((f) => f.name as string), ...Object.keys(ALIASES)];
    for (const [rawKey, rawValue] of Object.entries(obj)) {
      if (rawValue === undefined) continue;
      const camel = toCamelCase(rawKey);
      if (DEPRECATED[camel]) { this.#deprecated[camel] = coerce(DEPRECATED[camel], rawValue, rawKey); continue; }
      if (camel === 'evaluationStrategy') warnDeprecated('`evaluation_strategy` is deprecated and will be removed in version 4.46 of 🤗 Transformers. Use `eval_strategy` instead');
      const target = (ALIASES[camel] ?? camel) as string;
      const spec = SPEC_BY_NAME.get(target);
      if (!spec) {
        const style = rawKey.includes('_') ? validCamel.map(toSnakeCase) : validCamel;
        fail(`unknown training argument '${rawKey}': did you mean '${closestKey(rawKey, style)}'?`);
        return;
      }
      const prev = seen.get(target);
      if (prev !== undefined && JSON.stringify(obj[prev]) !== JSON.stringify(rawValue)) {
        fail(`training arguments '${prev}' and '${rawKey}' set the same option with different values: keep only one of them`);
      }
      seen.set(target, rawKey);
      let value = coerce(spec, rawValue, rawKey);
      if (target === 'hubToken' && value === '<HUB_TOKEN>') value = null; // a saved, masked file read back
      if (target === 'hubToken') this.#hubToken = value as string | null;
      else (this as unknown as Record<string, unknown>)[target] = value;
    }
  }

  /** transformers' __post_init__ handling of the deprecated arguments (same warnings, same effect). */
  #applyDeprecated(): void {
    const d = this.#deprecated;
    if (d.pushToHubToken !== undefined) {
      warnDeprecated('The `--push_to_hub_token` argument is deprecated and will be removed in version 5 of 🤗 Transformers. Use `--hub_token` instead.');
      if (this.#hubToken === null) this.#hubToken = d.pushToHubToken as string | null;
    }
    const model = d.pushToHubModelId as string | null | undefined;
    const org = d.pushToHubOrganization as string | null | undefined;
    if (model) {
      this.hubModelId = org ? `${org}/${model}` : model;
      warnDeprecated(`The \`--push_to_hub_model_id\` and \`--push_to_hub_organization\` arguments are deprecated and will be removed in version 5 of 🤗 Transformers. Use \`--hub_model_id\` instead and pass the full repo name to this argument (in this case ${this.hubModelId}).`);
    } else if (org) {
      this.hubModelId = `${org}/${basename(this.outputDir)}`;
      warnDeprecated(`The \`--push_to_hub_organization\` argument is deprecated and will be removed in version 5 of 🤗 Transformers. Use \`--hub_model_id\` instead and pass the full repo name to this argument (in this case ${this.hubModelId}).`);
    }
    for (const [old, now, snake] of [['perGpuTrainBatchSize', 'perDeviceTrainBatchSize', 'per_gpu_train_batch_size'], ['perGpuEvalBatchSize', 'perDeviceEvalBatchSize', 'per_gpu_eval_batch_size']] as const) {
      const v = d[old] as number | null | undefined;
      if (v === undefined || v === null) continue;
      warnDeprecated(`Using deprecated \`--${snake}\` argument which will be removed in a future version. Using \`--${toSnakeCase(now)}\` is preferred.`);
      this[now] = v;
    }
    if (d.fp16Backend !== undefined && d.fp16Backend !== 'auto') {
      warnDeprecated('`fp16_backend` is deprecated and will be removed in version 5 of 🤗 Transformers. Use `half_precision_backend` instead');
      this.halfPrecisionBackend = d.fp16Backend as HalfPrecisionBackend;
    }
    if (d.noCuda) {
      warnDeprecated('using `no_cuda` is deprecated and will be removed in version 5.0 of 🤗 Transformers. Use `use_cpu` instead');
      this.device = 'cpu';
    }
  }

  /** report_to: 'tensorboard' is the transformers integration hubtune has ('all' means it, as transformers' "every installed one"), 'hubtune' feeds hubtune serve's training dashboard; the others are errors saying so. */
  #checkReportTo(): void {
    const out = new Set<string>();
    for (const r of this.reportTo) {
      if (r === 'none') continue;
      if (r === 'all' || r === 'tensorboard') { out.add('tensorboard'); continue; }
      if (r === 'hubtune') { out.add('hubtune'); continue; }
      if (INTEGRATIONS.includes(r)) fail(`reportTo '${r}' is not available in hubtune: use reportTo: 'tensorboard' or 'none' ('hubtune' feeds hubtune serve's dashboard; the logged metrics are also in trainer_state.json's log_history)`);
      fail(`reportTo '${r}' is not supported, only ${[...INTEGRATIONS, 'hubtune', 'all', 'none'].join(', ')} are known (tensorboard and hubtune are the ones hubtune has): use reportTo: 'tensorboard', 'hubtune' or 'none'`);
    }
    this.reportTo = [...out];
  }

  #postInit(): void {
    this.#applyDeprecated();
    this.#checkReportTo();
    if (this.outputDir.startsWith('~')) this.outputDir = join(process.env.HOME ?? '~', this.outputDir.slice(1));
    if (this.loggingDir === null) this.loggingDir = join(this.outputDir, defaultLogdir());
    if (this.doEval === false && this.evalStrategy !== 'no') this.doEval = true;

    for (const [name, v] of [['perDeviceTrainBatchSize', this.perDeviceTrainBatchSize], ['perDeviceEvalBatchSize', this.perDeviceEvalBatchSize]] as const) {
      if (v <= 0) fail(`${name} must be a positive integer, got ${v}: use 1 or more`);
    }
    if (this.gradientAccumulationSteps < 1) fail(`gradientAccumulationSteps must be 1 or more, got ${this.gradientAccumulationSteps}`);
    if (this.maxSteps === 0 || this.maxSteps < -1) fail(`maxSteps must be a positive number of steps, or -1 to use numTrainEpochs; got ${this.maxSteps}`);
    if (this.maxSteps === -1 && !(this.numTrainEpochs > 0)) fail(`numTrainEpochs must be greater than 0 when maxSteps is -1, got ${this.numTrainEpochs}`);
    if (this.learningRate < 0) fail(`learningRate must not be negative, got ${this.learningRate}`);
    if (this.maxGradNorm < 0) fail(`maxGradNorm must be 0 (no clipping) or positive, got ${this.maxGradNorm}`);
    if (this.warmupRatio < 0 || this.warmupRatio > 1) fail(`warmupRatio must lie in range [0,1], got ${this.warmupRatio}`);
    if (this.warmupSteps < 0) fail(`warmupSteps must be 0 or more (an integer, or a float below 1 for a ratio of the training steps), got ${this.warmupSteps}`);
    if (this.warmupSteps > 1 && !Number.isInteger(this.warmupSteps)) fail(`warmupSteps must be an integer if bigger than 1: ${this.warmupSteps}`);
    if (this.saveTotalLimit !== null && this.saveTotalLimit < 1) fail(`saveTotalLimit must be 1 or more (or null to keep every checkpoint), got ${this.saveTotalLimit}`);
    if (this.dataloaderNumWorkers < 0) fail(`dataloaderNumWorkers must be 0 or more, got ${this.dataloaderNumWorkers}`);
    if (this.evalDelay < 0) fail(`evalDelay must be 0 or more, got ${this.evalDelay}`);

    // eval_steps falls back to logging_steps
    if (this.evalStrategy === 'steps' && (this.evalSteps === null || this.evalSteps === 0)) {
      if (this.loggingSteps > 0) this.evalSteps = this.loggingSteps;
      else fail(`evalStrategy 'steps' requires either non-zero evalSteps or loggingSteps`);
    }
    if (this.loggingStrategy === 'steps' && this.loggingSteps === 0) fail(`loggingStrategy 'steps' requires non-zero loggingSteps`);
    for (const [name, strategy, v] of [
      ['loggingSteps', this.loggingStrategy, this.loggingSteps],
      ['evalSteps', this.evalStrategy, this.evalSteps],
      ['saveSteps', this.saveStrategy, this.saveSteps],
    ] as const) {
      if (v === null) continue;
      if (v < 0) fail(`${name} must be positive (an integer, or a float below 1 for a ratio of the training steps), got ${v}`);
      if (strategy === 'steps' && v > 1 && !Number.isInteger(v)) fail(`${name} must be an integer if bigger than 1: ${v}`);
    }

    if (this.loadBestModelAtEnd && this.saveStrategy !== 'best') {
      if (this.evalStrategy !== this.saveStrategy) {
        fail(`loadBestModelAtEnd requires the save and eval strategy to match, but found evalStrategy '${this.evalStrategy}' and saveStrategy '${this.saveStrategy}': set them to the same value`);
      }
      if (this.evalStrategy === 'steps' && this.evalSteps !== null) {
        const save = this.saveSteps;
        const evalS = this.evalSteps;
        if (save % evalS !== 0) {
          if (evalS < 1 || save < 1) {
            if (!(evalS < 1 && save < 1)) {
              fail(`loadBestModelAtEnd requires the saving steps to be a multiple of the evaluation steps, which cannot get guaranteed when mixing ratio and absolute steps for saveSteps ${save} and evalSteps ${evalS}: use both ratios or both step counts`);
            }
            if (Math.round(save * 1_000_000) % Math.round(evalS * 1_000_000) !== 0) {
              fail(`loadBestModelAtEnd requires the saving steps to be a multiple of the evaluation steps, but found ${save}, which is not a multiple of ${evalS}`);
            }
          } else {
            fail(`loadBestModelAtEnd requires the saving steps to be a round multiple of the evaluation steps, but found ${save}, which is not a round multiple of ${evalS}: change saveSteps or evalSteps`);
          }
        }
      }
    }
    if ((this.loadBestModelAtEnd || this.lrSchedulerType === 'reduce_lr_on_plateau') && this.metricForBestModel === null) {
      this.metricForBestModel = 'loss';
    }
    if (this.saveStrategy === 'best' && this.metricForBestModel === null) {
      fail(`saveStrategy 'best' needs metricForBestModel: name the metric to compare checkpoints by (e.g. 'accuracy' or 'loss')`);
    }
    if (this.greaterIsBetter === null && this.metricForBestModel !== null) {
      this.greaterIsBetter = !this.metricForBestModel.endsWith('loss');
    }
    if (this.lrSchedulerType === 'reduce_lr_on_plateau' && this.evalStrategy === 'no') {
      fail(`lrSchedulerType 'reduce_lr_on_plateau' requires an eval strategy: set evalStrategy to 'steps' or 'epoch'`);
    }
    if (this.dataloaderNumWorkers === 0 && this.dataloaderPrefetchFactor !== null) {
      fail(`dataloaderPrefetchFactor can only be set when data is loaded in a different process, i.e. when dataloaderNumWorkers > 0`);
    }
    this.#checkPrecision();
    if (this.runName === null) this.runName = this.outputDir;
  }

  /** transformers' checks of the mixed-precision options that need no device (the Trainer checks the rest). */
  #checkPrecision(): void {
    if (this.fp16 && this.bf16) fail('At most one of fp16 and bf16 can be true, but not both: use bf16 on CPU, fp16 or bf16 on CUDA');
    if (this.fp16FullEval && this.bf16FullEval) fail('At most one of fp16FullEval and bf16FullEval can be true, but not both');
    if (this.halfPrecisionBackend === 'apex') fail(`halfPrecisionBackend 'apex' (NVIDIA Apex) is not available in hubtune: use 'auto' (native autocast)`);
    if (this.bf16 && this.halfPrecisionBackend === 'cuda_amp' && this.device === 'cpu') fail(`halfPrecisionBackend 'cuda_amp' needs CUDA, but device is 'cpu': use 'auto' or 'cpu_amp'`);
    if (this.fp16 && this.halfPrecisionBackend === 'cpu_amp') fail(`halfPrecisionBackend 'cpu_amp' supports bf16 only (CPU autocast runs in bfloat16): set bf16 instead of fp16`);
    if ((this.fp16 || this.fp16FullEval) && this.device === 'cpu') fail(FP16_NEEDS_CUDA);
    if (this.tf32 === true && this.device === 'cpu') fail(TF32_NEEDS_CUDA);
  }

  /** Batch size per optimizer micro-step on the one device hubtune trains on. */
  get trainBatchSize(): number { return this.perDeviceTrainBatchSize; }
  get evalBatchSize(): number { return this.perDeviceEvalBatchSize; }
  /** Processes of a data-parallel run (transformers' world_size): the process group's, or torchrun's WORLD_SIZE. */
  get worldSize(): number { return isInitialized() ? getWorldSize() : Math.max(1, Number(process.env.WORLD_SIZE ?? '1') || 1); }
  /** perDeviceTrainBatchSize x gradientAccumulationSteps x worldSize. */
  get totalTrainBatchSize(): number { return this.trainBatchSize * this.gradientAccumulationSteps * this.worldSize; }

  /** Warmup steps for a run of `numTrainingSteps` (warmupSteps >= 1 wins; a float below 1 is a ratio; else warmupRatio). */
  getWarmupSteps(numTrainingSteps: number): number {
    if (this.warmupSteps >= 1) return Math.trunc(this.warmupSteps);
    if (this.warmupSteps > 0) return Math.ceil(numTrainingSteps * this.warmupSteps);
    return Math.ceil(numTrainingSteps * this.warmupRatio);
  }

  /** The Trainer's check: an eval strategy needs an eval dataset. */
  checkEvalDataset(hasEvalDataset: boolean): void {
    if (this.evalStrategy !== 'no' && !hasEvalDataset) {
      fail(`You have set evalStrategy to '${this.evalStrategy}' but you didn't pass an evalDataset to the Trainer: either set evalStrategy to 'no' or pass an evalDataset`);
    }
  }

  /** snake_case dict in field order, tokens masked ("<HUB_TOKEN>", as transformers' to_dict). */
  toSnakeCaseDict(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const f of FIELDS) {
      const key = toSnakeCase(f.name);
      if (f.name === 'hubToken') { out[key] = '<HUB_TOKEN>'; continue; }
      const v = (this as unknown as Record<string, unknown>)[f.name];
      out[key] = Array.isArray(v) ? [...v] : v && typeof v === 'object' ? { ...(v as object) } : v;
    }
    return out;
  }

  /** JSON.stringify(args) gives the saved (snake_case, token-masked) form. */
  toJSON(): Record<string, unknown> { return this.toSnakeCaseDict(); }

  /** Python's to_json_string(): json.dumps(to_dict(), indent=2). */
  toJsonString(): string {
    return pyJsonDumps(this.toSnakeCaseDict(), { indent: 2, numberKind: trainingArgsNumberKind });
  }

  /** Writes `training_args.json` (or another path) atomically. */
  saveJson(path: string): void {
    writeFileAtomicSync(path, this.toJsonString() + '\n');
  }

  /** Python's __str__: TrainingArguments(\nkey=value,\n...) sorted, token masked. */
  toString(): string {
    const d = this.toSnakeCaseDict();
    const lines = Object.keys(d).sort().map((k) => `${k}=${pyStr(d[k], k)},\n`);
    return `TrainingArguments(\n${lines.join('')})`;
  }

  [inspect.custom](): string { return this.toString(); }
}

const PY_FLOAT_FIELDS = new Set(FIELDS.filter((f) => f.pyFloat).map((f) => toSnakeCase(f.name)));
/** Number kinds for training_args.json: transformers' float-typed fields are written as floats. */
export const trainingArgsNumberKind: NumberKindFn = (key, value) =>
  !Number.isInteger(value) || (key !== undefined && PY_FLOAT_FIELDS.has(key)) ? 'float' : 'int';

function pyStr(v: unknown, key: string): string {
  if (typeof v === 'string') return v; // str() of a str has no quotes
  return pyRepr(v, trainingArgsNumberKind, key);
}

/** All accepted keys (camelCase), for CLI help and completion. */
export const TRAINING_ARGUMENT_NAMES: readonly string[] = FIELDS.map((f) => f.name as string);
