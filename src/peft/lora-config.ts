// LoraConfig (PEFT's tuners/lora.py LoraConfig + PeftConfig): what adapter_config.json holds.
// Written with exactly the fields PEFT 0.4 writes (newer PEFT reads them too; older PEFT rejects
// fields it does not know).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomicSync } from '../util/atomic-file';

export const ADAPTER_CONFIG_NAME = 'adapter_config.json';
export const ADAPTER_WEIGHTS_NAME = 'adapter_model.safetensors';

export type TaskType = 'CAUSAL_LM' | 'SEQ_2_SEQ_LM' | 'SEQ_CLS' | 'TOKEN_CLS' | 'QUESTION_ANS' | 'FEATURE_EXTRACTION';
const TASK_TYPES: readonly TaskType[] = ['CAUSAL_LM', 'SEQ_2_SEQ_LM', 'SEQ_CLS', 'TOKEN_CLS', 'QUESTION_ANS', 'FEATURE_EXTRACTION'];
export type LoraBias = 'none' | 'all' | 'lora_only';

/** PEFT's TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING (the defaults when targetModules is not given). */
export const DEFAULT_LORA_TARGETS: Readonly<Record<string, string[]>> = {
  t5: ['q', 'v'], bart: ['q_proj', 'v_proj'], gpt2: ['c_attn'], bert: ['query', 'value'], roberta: ['query', 'value'],
  'xlm-roberta': ['query', 'value'], llama: ['q_proj', 'v_proj'], mistral: ['q_proj', 'v_proj'], qwen2: ['q_proj', 'v_proj'],
  distilbert: ['q_lin', 'v_lin'], vit: ['query', 'value'], deberta: ['in_proj'], 'deberta-v2': ['query_proj', 'value_proj'],
};

export interface LoraConfigInit {
  r?: number;
  loraAlpha?: number;
  loraDropout?: number;
  /** Module names (a module matches when its path ends with `.name`), or a regex string matched against the whole path. */
  targetModules?: string[] | string | null;
  /** Modules trained in full and saved with the adapter (a classifier head). */
  modulesToSave?: string[] | null;
  bias?: LoraBias;
  taskType?: TaskType | null;
  fanInFanOut?: boolean;
  initLoraWeights?: boolean;
  inferenceMode?: boolean;
  baseModelNameOrPath?: string | null;
  revision?: string | null;
  layersToTransform?: number[] | number | null;
  layersPattern?: string | null;
  [snakeCase: string]: unknown;
}

const FIELDS: [camel: string, json: string, dflt: unknown][] = [
  ['autoMapping', 'auto_mapping', null],
  ['baseModelNameOrPath', 'base_model_name_or_path', null],
  ['bias', 'bias', 'none'],
  ['fanInFanOut', 'fan_in_fan_out', false],
  ['inferenceMode', 'inference_mode', false],
  ['initLoraWeights', 'init_lora_weights', true],
  ['layersPattern', 'layers_pattern', null],
  ['layersToTransform', 'layers_to_transform', null],
  ['loraAlpha', 'lora_alpha', 8],
  ['loraDropout', 'lora_dropout', 0.0],
  ['modulesToSave', 'modules_to_save', null],
  ['peftType', 'peft_type', 'LORA'],
  ['r', 'r', 8],
  ['revision', 'revision', null],
  ['targetModules', 'target_modules', null],
  ['taskType', 'task_type', null],
];
const camelOf = (k: string) => k.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

export class LoraConfigError extends Error { override name = 'LoraConfigError'; }

export class LoraConfig {
  declare autoMapping: unknown; declare baseModelNameOrPath: string | null; declare bias: LoraBias; declare fanInFanOut: boolean;
  declare inferenceMode: boolean; declare initLoraWeights: boolean; declare layersPattern: string | null; declare layersToTransform: number[] | number | null;
  declare loraAlpha: number; declare loraDropout: number; declare modulesToSave: string[] | null; declare peftType: string; declare r: number;
  declare revision: string | null; declare targetModules: string[] | string | null; declare taskType: TaskType | null;

  constructor(o: LoraConfigInit = {}) {
    for (const [c, , d] of FIELDS) (this as any)[c] = structuredClone(d);
    const known = new Map(FIELDS.flatMap(([c, j]) => [[c, c], [j, c]] as [string, string][]));
    for (const [k, v] of Object.entries(o ?? {})) {
      if (v === undefined) continue;
      const c = known.get(k) ?? known.get(camelOf(k));
      if (!c) {
        // fields of newer PEFT versions (use_dora, rank_pattern, ...) that change nothing here at their defaults
        if (isNeutralNewerField(k, v)) continue;
        throw new LoraConfigError(`LoraConfig got an unknown option '${k}': it takes ${FIELDS.map(([c]) => c).join(', ')} (camelCase or snake_case)`);
      }
      (this as any)[c] = v;
    }
    this.validate();
  }

  /** lora_alpha / r: the factor of the low-rank update. */
  get scaling(): number { return this.loraAlpha / this.r; }

  validate(): void {
    if (this.peftType !== 'LORA') throw new LoraConfigError(`peft_type '${this.peftType}' is not supported by hubtune: only LORA adapters`);
    if (!(Number.isInteger(this.r) && this.r > 0)) throw new LoraConfigError(`r must be a positive integer (the rank of the update), got ${JSON.stringify(this.r)}`);
    if (!(typeof this.loraAlpha === 'number' && this.loraAlpha > 0)) throw new LoraConfigError(`loraAlpha must be a positive number, got ${JSON.stringify(this.loraAlpha)}`);
    if (!(this.loraDropout >= 0 && this.loraDropout < 1)) throw new LoraConfigError(`loraDropout must be in [0, 1), got ${JSON.stringify(this.loraDropout)}`);
    if (!['none', 'all', 'lora_only'].includes(this.bias)) throw new LoraConfigError(`bias must be 'none', 'all' or 'lora_only', got ${JSON.stringify(this.bias)}`);
    if (this.taskType !== null && !TASK_TYPES.includes(this.taskType)) throw new LoraConfigError(`taskType '${this.taskType}' is not one of ${TASK_TYPES.join(', ')}`);
    if (this.targetModules !== null && typeof this.targetModules !== 'string' && !(Array.isArray(this.targetModules) && this.targetModules.every((t) => typeof t === 'string' && t))) {
      throw new LoraConfigError('targetModules must be a list of module names (e.g. ["q_proj", "v_proj"]) or a regex string');
    }
    if (this.modulesToSave !== null && !(Array.isArray(this.modulesToSave) && this.modulesToSave.every((t) => typeof t === 'string' && t))) {
      throw new LoraConfigError('modulesToSave must be a list of module names (e.g. ["classifier"])');
    }
    if (this.layersPattern !== null || this.layersToTransform !== null) throw new LoraConfigError('layersToTransform / layersPattern are not supported by hubtune yet: target modules by name');
  }

  /** adapter_config.json contents, keys sorted like PEFT's json.dumps(sort_keys=True). */
  toDict(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [c, j] of FIELDS) out[j] = (this as any)[c];
    return out;
  }
  toJsonString(): string { return JSON.stringify(this.toDict(), null, 2); }

  savePretrained(dir: string): string {
    const p = join(dir, ADAPTER_CONFIG_NAME);
    writeFileAtomicSync(p, this.toJsonString());
    return p;
  }

  static fromDict(d: Record<string, unknown>, where = ADAPTER_CONFIG_NAME): LoraConfig {
    if (d.peft_type !== undefined && d.peft_type !== 'LORA') {
      throw new LoraConfigError(`${where} has peft_type '${String(d.peft_type)}': hubtune loads LORA adapters only`);
    }
    return new LoraConfig(d as LoraConfigInit);
  }
  static fromJsonFile(path: string): LoraConfig {
    let d: unknown;
    try { d = JSON.parse(readFileSync(path, 'utf8')); } catch (e) {
      throw new LoraConfigError(`${path} is not valid JSON (${(e as Error).message}): re-save the adapter`);
    }
    if (!d || typeof d !== 'object' || Array.isArray(d)) throw new LoraConfigError(`${path} must hold a JSON object`);
    return LoraConfig.fromDict(d as Record<string, unknown>, path);
  }
}

/** Newer PEFT fields that hubtune accepts when they are at values that change nothing. */
function isNeutralNewerField(k: string, v: unknown): boolean {
  const neutral: Record<string, (v: unknown) => boolean> = {
    use_dora: (x) => x === false, use_rslora: (x) => x === false, rank_pattern: (x) => !x || Object.keys(x as object).length === 0,
    alpha_pattern: (x) => !x || Object.keys(x as object).length === 0, megatron_config: (x) => x === null, megatron_core: () => true,
    loftq_config: (x) => !x || Object.keys(x as object).length === 0, layer_replication: (x) => x === null, exclude_modules: (x) => x === null,
    eva_config: (x) => x === null, corda_config: (x) => x === null, lora_bias: (x) => x === false, use_qalora: (x) => x === false,
    trainable_token_indices: (x) => x === null, target_parameters: (x) => x === null || (Array.isArray(x) && !x.length),
    qalora_group_size: () => true, runtime_config: () => true,
  };
  const f = neutral[k] ?? neutral[k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)];
  return !!f && f(v);
}
