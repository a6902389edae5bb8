// TrainerState: the Trainer's inner state, saved as trainer_state.json in each checkpoint exactly as
// transformers writes it (json.dumps(asdict(state), indent=2, sort_keys=True) + "\n"), and loadable
// from a file transformers wrote.
import { readFileSync } from 'node:fs';
import { writeFileAtomicSync } from './atomic';
import { checkJsonShape } from '../util/safe-json';
import { defaultNumberKind, pyJsonDumps, pyJsonParse, type NumberKindFn } from './pyjson';

export type LogEntry = Record<string, number | string>;

/** Saved state of a callback that can be restored on resume (transformers' ExportableState). */
export interface CallbackStateJson {
  args: Record<string, unknown>;
  attributes: Record<string, unknown>;
}

export interface TrainerStateInit {
  epoch?: number;
  globalStep?: number;
  maxSteps?: number;
  loggingSteps?: number;
  evalSteps?: number;
  saveSteps?: number;
  trainBatchSize?: number | null;
  numTrainEpochs?: number;
  numInputTokensSeen?: number;
  totalFlos?: number;
  logHistory?: LogEntry[];
  bestMetric?: number | null;
  bestGlobalStep?: number | null;
  bestModelCheckpoint?: string | null;
  isLocalProcessZero?: boolean;
  isWorldProcessZero?: boolean;
  isHyperParamSearch?: boolean;
  trialName?: string | null;
  trialParams?: Record<string, string | number | boolean> | null;
  statefulCallbacks?: Record<string, CallbackStateJson | CallbackStateJson[]>;
}

// snake_case key -> [camelCase property, expected type]
const FIELDS: Array<[string, keyof TrainerStateInit, 'number' | 'number?' | 'string?' | 'bool' | 'array' | 'object' | 'object?']> = [
  ['epoch', 'epoch', 'number'],
  ['global_step', 'globalStep', 'number'],
  ['max_steps', 'maxSteps', 'number'],
  ['logging_steps', 'loggingSteps', 'number'],
  ['eval_steps', 'evalSteps', 'number'],
  ['save_steps', 'saveSteps', 'number'],
  ['train_batch_size', 'trainBatchSize', 'number?'],
  ['num_train_epochs', 'numTrainEpochs', 'number'],
  ['num_input_tokens_seen', 'numInputTokensSeen', 'number'],
  ['total_flos', 'totalFlos', 'number'],
  ['log_history', 'logHistory', 'array'],
  ['best_metric', 'bestMetric', 'number?'],
  ['best_global_step', 'bestGlobalStep', 'number?'],
  ['best_model_checkpoint', 'bestModelCheckpoint', 'string?'],
  ['is_local_process_zero', 'isLocalProcessZero', 'bool'],
  ['is_world_process_zero', 'isWorldProcessZero', 'bool'],
  ['is_hyper_param_search', 'isHyperParamSearch', 'bool'],
  ['trial_name', 'trialName', 'string?'],
  ['trial_params', 'trialParams', 'object?'],
  ['stateful_callbacks', 'statefulCallbacks', 'object'],
];

const FLOAT_KEYS = new Set(['epoch', 'total_flos', 'best_metric']);
/** trainer_state.json number kinds: epoch/total_flos/best_metric and logged values are floats; counters ints. */
export const trainerStateNumberKind: NumberKindFn = (key, value) => {
  if (key !== undefined && FLOAT_KEYS.has(key)) return 'float';
  return defaultNumberKind(key, value);
};

export class TrainerState {
  epoch = 0;
  globalStep = 0;
  maxSteps = 0;
  loggingSteps = 500;
  evalSteps = 500;
  saveSteps = 500;
  trainBatchSize: number | null = null;
  numTrainEpochs = 0;
  numInputTokensSeen = 0;
  totalFlos = 0;
  logHistory: LogEntry[] = [];
  bestMetric: number | null = null;
  bestGlobalStep: number | null = null;
  bestModelCheckpoint: string | null = null;
  isLocalProcessZero = true;
  isWorldProcessZero = true;
  isHyperParamSearch = false;
  trialName: string | null = null;
  trialParams: Record<string, string | number | boolean> | null = null;
  statefulCallbacks: Record<string, CallbackStateJson | CallbackStateJson[]> = {};

  constructor(init: TrainerStateInit = {}) {
    for (const [, prop] of FIELDS) {
      const v = init[prop];
      if (v !== undefined) (this as unknown as Record<string, unknown>)[prop] = v;
    }
  }

  /**
   * transformers' compute_steps: logging/eval/save steps below 1 are ratios of `maxSteps`
   * (rounded up); null/undefined steps leave the defaults.
   */
  computeSteps(args: { loggingSteps: number | null; evalSteps: number | null; saveSteps: number | null }, maxSteps: number): void {
    const set = (v: number | null): number | null => (v === null || v === undefined ? null : v < 1 ? Math.ceil(maxSteps * v) : v);
    const l = set(args.loggingSteps);
    const e = set(args.evalSteps);
    const s = set(args.saveSteps);
    if (l !== null) this.loggingSteps = l;
    if (e !== null) this.evalSteps = e;
    if (s !== null) this.saveSteps = s;
  }

  /** Stores the callbacks' states (each with a `state()` method) under their class names. */
  setStatefulCallbacks(callbacks: Array<{ state(): CallbackStateJson }>): void {
    const out: Record<string, CallbackStateJson | CallbackStateJson[]> = {};
    for (const cb of callbacks) {
      const name = cb.constructor.name;
      const s = cb.state();
      const prev = out[name];
      if (prev === undefined) out[name] = s;
      else out[name] = Array.isArray(prev) ? [...prev, s] : [prev, s];
    }
    this.statefulCallbacks = out;
  }

  /** The dict transformers saves (snake_case keys, dataclass field order). */
  toDict(): Record<string, unknown> {
    const d: Record<string, unknown> = {};
    for (const [key, prop] of FIELDS) d[key] = (this as unknown as Record<string, unknown>)[prop];
    return d;
  }

  /** The exact text of trainer_state.json. */
  toJsonString(): string {
    return pyJsonDumps(this.toDict(), { indent: 2, sortKeys: true, numberKind: trainerStateNumberKind }) + '\n';
  }

  /** Writes trainer_state.json atomically. */
  save(path: string): void {
    writeFileAtomicSync(path, this.toJsonString());
  }

  /** Reads a trainer_state.json (ours or transformers'); a missing or corrupt file gives an error naming it. */
  static load(path: string): TrainerState {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new Error(`cannot read trainer state ${path} (${code ?? String(err)}): check the checkpoint folder, or start without resuming`);
    }
    // nesting and container caps before parsing: a hostile file fails here, naming itself
    checkJsonShape(text, `trainer state ${path}`);
    let data: unknown;
    try {
      data = pyJsonParse(text);
    } catch (err) {
      throw new Error(`trainer state ${path} is not valid JSON (${(err as Error).message}): the checkpoint is corrupt; resume from an earlier checkpoint or delete this one`);
    }
    return TrainerState.fromDict(data, path);
  }

  /** Builds a state from a parsed trainer_state.json dict; `source` names it in errors. */
  static fromDict(data: unknown, source = 'trainer state'): TrainerState {
    const bad = (what: string): never => {
      throw new Error(`${source} is corrupt: ${what}; resume from an earlier checkpoint or delete this one`);
    };
    if (data === null || typeof data !== 'object' || Array.isArray(data)) bad('expected a JSON object');
    const obj = data as Record<string, unknown>;
    const known = new Set(FIELDS.map(([k]) => k));
    const init: Record<string, unknown> = {};
    for (const [key, prop, type] of FIELDS) {
      const v = obj[key];
      if (v === undefined) continue;
      const nullable = type.endsWith('?');
      if (v === null) {
        if (nullable) { init[prop] = null; continue; }
        if (key === 'epoch') continue; // older transformers wrote null before training started
        bad(`'${key}' is null`);
      }
      const base = type.replace('?', '');
      const ok = base === 'number' ? typeof v === 'number'
        : base === 'string' ? typeof v === 'string'
          : base === 'bool' ? typeof v === 'boolean'
            : base === 'array' ? Array.isArray(v)
              : typeof v === 'object' && !Array.isArray(v);
      if (!ok) bad(`'${key}' should be ${base === 'bool' ? 'a boolean' : base === 'array' ? 'a list' : `a ${base}`}, got ${JSON.stringify(v)}`);
      init[prop] = v;
    }
    for (const key of Object.keys(obj)) {
      if (!known.has(key)) bad(`unknown key '${key}'`);
    }
    if (init.logHistory !== undefined) {
      (init.logHistory as unknown[]).forEach((e, i) => {
        if (e === null || typeof e !== 'object' || Array.isArray(e)) bad(`log_history[${i}] is not an object`);
      });
    }
    if (typeof init.globalStep === 'number' && (!Number.isInteger(init.globalStep) || init.globalStep < 0)) {
      bad(`'global_step' must be a non-negative integer, got ${init.globalStep}`);
    }
    return new TrainerState(init as TrainerStateInit);
  }
}
