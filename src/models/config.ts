// Model configurations: transformers' `config.json` parsed into typed, camelCase objects.
//
// Each architecture's config class declares its fields as [camelName, json_name, default] rows;
// missing fields take transformers 4.29's defaults, unknown fields are kept (under their JSON name in
// `extraFields`) and written back by `toDict()`. `toDict()` writes like `to_diff_dict`: the class's own
// fields always, the common PretrainedConfig fields only where they differ from the defaults.
import { existsSync } from 'node:fs';
import { readJsonFile } from '../util/safe-json';
import { ConfigError } from './config-error';
import { checkConfigRanges } from './config-limits';
import { inspect } from 'node:util';
import { ACT2FN, unknownActivation } from '../torch/nn/functional';
import { resolveModelFile } from './files';

export const TRANSFORMERS_VERSION = '4.29.2';

export { ConfigError };

/** One field: the camelCase property, the config.json key, and transformers' default. */
export type FieldSpec = readonly [camel: string, json: string, dflt: unknown];

/** Fields every config has (transformers' PretrainedConfig). */
const COMMON_FIELDS: FieldSpec[] = [
  ['architectures', 'architectures', null],
  ['finetuningTask', 'finetuning_task', null],
  ['problemType', 'problem_type', null],
  ['padTokenId', 'pad_token_id', null],
  ['bosTokenId', 'bos_token_id', null],
  ['eosTokenId', 'eos_token_id', null],
  ['torchDtype', 'torch_dtype', null],
  ['tieWordEmbeddings', 'tie_word_embeddings', true],
  ['outputHiddenStates', 'output_hidden_states', false],
  ['outputAttentions', 'output_attentions', false],
  ['returnDict', 'return_dict', true],
  ['isDecoder', 'is_decoder', false],
  ['nameOrPath', '_name_or_path', ''],
];
const MAX_LABELS = 1 << 20;
const PROBLEM_TYPES = ['regression', 'single_label_classification', 'multi_label_classification'] as const;
export type ProblemType = (typeof PROBLEM_TYPES)[number];

export interface ConfigOverrides {
  numLabels?: number;
  id2label?: Record<number | string, string>;
  /** Label name -> class index; string indices (`{c: String(i)}`, the course's form) are accepted. */
  label2id?: Record<string, number | string>;
  problemType?: ProblemType | null;
  [key: string]: unknown;
}

const camelOf = (s: string) => s.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** The base of every model config: labels, problem type, special token ids, and unknown fields. */
export class PretrainedConfig {
  static readonly modelType: string = '';
  /** The architecture's own fields (written to config.json always). */
  static readonly fields: FieldSpec[] = [];
  /** Extra names accepted on input (transformers' attribute_map), json alias -> camel field. */
  static readonly aliases: Record<string, string> = {};
  /** Common fields whose default is the family's own (config.json json name -> default), so that toDict writes a value differing from it. */
  static readonly commonDefaults: Record<string, unknown> = {};

  declare architectures: string[] | null;
  declare finetuningTask: string | null;
  declare problemType: ProblemType | null;
  declare padTokenId: number | null;
  declare bosTokenId: number | null;
  declare eosTokenId: number | null;
  declare torchDtype: string | null;
  declare tieWordEmbeddings: boolean;
  declare outputHiddenStates: boolean;
  declare outputAttentions: boolean;
  declare returnDict: boolean;
  declare isDecoder: boolean;
  declare nameOrPath: string;
  /** Labels by class index (config.json writes the keys as strings). */
  id2label: Record<number, string> = {};
  label2id: Record<string, number> = {};
  /** The transformers version that wrote the file (informational). */
  transformersVersion: string | null = null;
  /** How attention is computed (not saved): 'sdpa' (fused kernel, default) or 'eager' (transformers' op order). */
  attnImplementation: 'sdpa' | 'eager' = 'sdpa';
  /** Fields of config.json this class does not know, under their JSON names; written back on save. */
  extraFields: Record<string, unknown> = {};

  /** Builds a config from config.json contents (snake_case) or camelCase fields; missing ones take the defaults. */
  constructor(values: Record<string, unknown> = {}) {
    const ctor = this.constructor as typeof PretrainedConfig;
    const specs = [...COMMON_FIELDS, ...ctor.fields];
    const byJson = new Map<string, FieldSpec>();
    const byCamel = new Map<string, FieldSpec>();
    for (const s of specs) { byJson.set(s[1], s); byCamel.set(s[0], s); (this as any)[s[0]] = structuredClone(s[2]); }
    let numLabels: number | undefined;
    let id2label: Record<string, string> | undefined;
    let label2id: Record<string, number | string> | undefined;
    for (const [k, v] of Object.entries(values)) {
      if (v === undefined) continue;
      if (k === 'model_type' || k === 'modelType') {
        if (ctor.modelType && v !== ctor.modelType) {
          throw new ConfigError(`config.json has model_type '${String(v)}' but ${ctor.name} is for '${ctor.modelType}': load it with AutoConfig`);
        }
        continue;
      }
      if (k === 'num_labels' || k === 'numLabels') { numLabels = v as number; continue; }
      if (k === 'id2label') { id2label = v as Record<string, string>; continue; }
      if (k === 'label2id') { label2id = v as Record<string, number | string>; continue; }
      if (k === 'transformers_version' || k === 'transformersVersion') { this.transformersVersion = String(v); continue; }
      if (k === 'extraFields') {
        if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ConfigError(`extraFields must be an object, got ${JSON.stringify(v)?.slice(0, 60)}`);
        Object.assign(this.extraFields, v);
        continue;
      }
      if (k === 'attnImplementation' || k === 'attn_implementation' || k === '_attn_implementation') { this.attnImplementation = checkAttnImpl(v); continue; }
      const alias = ctor.aliases[k] ?? ctor.aliases[camelOf(k)];
      const spec = byJson.get(k) ?? byCamel.get(k) ?? (alias ? byCamel.get(alias) : undefined);
      if (spec) (this as any)[spec[0]] = v;
      else this.extraFields[k] = v;
    }
    this.setLabels({ numLabels, id2label, label2id });
  }

  /** Whether config.json files of this model_type build this config (CLIP's towers also read a composite 'clip' file). */
  static readsModelType(modelType: unknown): boolean { return modelType === this.modelType; }

  /** The architecture name used by AutoConfig and written as `model_type`. */
  get modelType(): string { return (this.constructor as typeof PretrainedConfig).modelType; }

  /** Number of labels: the length of id2label (transformers' num_labels). Setting it resets the labels to LABEL_i when the count changes. */
  get numLabels(): number { return Object.keys(this.id2label).length; }
  set numLabels(n: number) {
    if (!Number.isInteger(n) || n < 0) throw new ConfigError(`numLabels must be a non-negative integer, got ${n}`);
    if (this.numLabels !== n) this.setLabels({ numLabels: n });
  }

  /** Sets numLabels / id2label / label2id together, checking that they agree. */
  setLabels(o: { numLabels?: number; id2label?: Record<number | string, string>; label2id?: Record<string, number | string> }): void {
    let id2label: Record<number, string> | undefined;
    for (const [name, v] of [['id2label', o.id2label], ['label2id', o.label2id]] as const) {
      if (v !== undefined && v !== null && (typeof v !== 'object' || Array.isArray(v))) throw new ConfigError(`config field '${name}' must be an object, got ${JSON.stringify(v)?.slice(0, 60)}`);
    }
    if (o.numLabels !== undefined && typeof o.numLabels === 'number' && o.numLabels > MAX_LABELS) {
      throw new ConfigError(`num_labels ${o.numLabels} is more than the ${MAX_LABELS} labels hubtune accepts: check the config`);
    }
    if (o.id2label) {
      id2label = {};
      for (const [k, v] of Object.entries(o.id2label)) {
        const i = Number(k);
        if (!Number.isInteger(i) || i < 0) throw new ConfigError(`id2label key '${k}' is not a class index (a non-negative integer)`);
        id2label[i] = String(v);
      }
    }
    if (o.numLabels !== undefined && (!Number.isInteger(o.numLabels) || o.numLabels < 0)) {
      throw new ConfigError(`num_labels must be a non-negative integer, got ${JSON.stringify(o.numLabels)}`);
    }
    if (id2label && o.numLabels !== undefined && Object.keys(id2label).length !== o.numLabels) {
      throw new ConfigError(`num_labels is ${o.numLabels} but id2label has ${Object.keys(id2label).length} entries: give matching values (or only one of them)`);
    }
    if (!id2label) {
      const n = o.numLabels ?? (o.label2id ? Object.keys(o.label2id).length : 2);
      id2label = {};
      if (o.label2id && Object.keys(o.label2id).length === n) for (const [name, i] of Object.entries(o.label2id)) id2label[Number(i)] = name;
      else for (let i = 0; i < n; i++) id2label[i] = `LABEL_${i}`;
    }
    const n = Object.keys(id2label).length;
    for (let i = 0; i < n; i++) {
      if (!(i in id2label)) throw new ConfigError(`id2label must have the keys 0..${n - 1}, but ${i} is missing`);
    }
    let label2id: Record<string, number>;
    if (o.label2id) {
      label2id = {};
      for (const [k, v] of Object.entries(o.label2id)) {
        const i = Number(v);
        if (!Number.isInteger(i)) throw new ConfigError(`label2id['${k}'] must be an integer class index, got ${JSON.stringify(v)}`);
        label2id[k] = i;
      }
      if (Object.keys(label2id).length !== n) {
        throw new ConfigError(`label2id has ${Object.keys(label2id).length} entries but id2label has ${n}: they must describe the same labels`);
      }
    } else {
      label2id = {};
      for (const [i, name] of Object.entries(id2label)) label2id[name] = Number(i);
    }
    this.id2label = id2label;
    this.label2id = label2id;
  }

  /** Applies from_pretrained-style overrides (numLabels, id2label, label2id, problemType, any field). */
  update(o: ConfigOverrides): this {
    const { numLabels, id2label, label2id, ...rest } = o;
    if (numLabels !== undefined || id2label !== undefined || label2id !== undefined) {
      if (id2label === undefined && label2id === undefined && numLabels === this.numLabels) { /* keep the names */ }
      else this.setLabels({ numLabels, id2label, label2id });
    }
    const ctor = this.constructor as typeof PretrainedConfig;
    const specs = [...COMMON_FIELDS, ...ctor.fields];
    for (const [k, v] of Object.entries(rest)) {
      if (v === undefined) continue;
      if (k === 'attnImplementation' || k === 'attn_implementation') { this.attnImplementation = checkAttnImpl(v); continue; }
      const alias = ctor.aliases[k] ?? ctor.aliases[camelOf(k)];
      const spec = specs.find((s) => s[0] === k || s[1] === k || s[0] === alias);
      if (spec) (this as any)[spec[0]] = v;
      else this.extraFields[k] = v;
    }
    this.validate();
    return this;
  }

  /** Checks the fields; throws a ConfigError naming the field. Subclasses add their own checks. */
  validate(): void {
    if (this.problemType !== null && !PROBLEM_TYPES.includes(this.problemType)) {
      throw new ConfigError(`problem_type '${this.problemType}' is not supported: use one of ${PROBLEM_TYPES.join(', ')}`);
    }
    const shown = (v: unknown) => JSON.stringify(v)?.slice(0, 60);
    if (this.architectures !== null && !(Array.isArray(this.architectures) && this.architectures.every((a) => typeof a === 'string'))) {
      throw new ConfigError(`config field 'architectures' must be a list of class names, got ${shown(this.architectures)}`);
    }
    for (const [json, v] of [['pad_token_id', this.padTokenId], ['bos_token_id', this.bosTokenId], ['eos_token_id', this.eosTokenId]] as const) {
      const ok = (x: unknown) => typeof x === 'number' && Number.isSafeInteger(x);
      if (v !== null && !ok(v) && !(Array.isArray(v) && v.length <= 1024 && v.every(ok))) throw new ConfigError(`config field '${json}' must be a token id (an integer) or null, got ${shown(v)}`);
    }
    for (const [json, v] of [['torch_dtype', this.torchDtype], ['finetuning_task', this.finetuningTask]] as const) {
      if (v !== null && typeof v !== 'string') throw new ConfigError(`config field '${json}' must be a string or null, got ${shown(v)}`);
    }
    if (typeof this.nameOrPath !== 'string') throw new ConfigError(`config field '_name_or_path' must be a string, got ${shown(this.nameOrPath)}`);
    for (const [camel, json] of COMMON_FIELDS) {
      const v = (this as any)[camel];
      const d = COMMON_FIELDS.find((f) => f[0] === camel)![2];
      if (typeof d === 'boolean' && typeof v !== 'boolean') throw new ConfigError(`config field '${json}' must be true or false, got ${shown(v)}`);
    }
    for (const [camel, json, d] of (this.constructor as typeof PretrainedConfig).fields) {
      const v = (this as any)[camel];
      if (typeof d === 'number' && typeof v !== 'number') throw new ConfigError(`config field '${json}' must be a number, got ${JSON.stringify(v)}`);
      if (typeof d === 'boolean' && typeof v !== 'boolean') throw new ConfigError(`config field '${json}' must be true or false, got ${JSON.stringify(v)}`);
    }
    checkConfigRanges(this.toDict({ full: true }));
  }

  protected positive(json: string, v: number): void {
    if (!Number.isInteger(v) || v <= 0) throw new ConfigError(`config field '${json}' must be a positive integer, got ${JSON.stringify(v)}`);
  }
  protected divisible(hiddenJson: string, hidden: number, headsJson: string, heads: number): void {
    this.positive(hiddenJson, hidden);
    this.positive(headsJson, heads);
    if (hidden % heads !== 0) {
      throw new ConfigError(`${hiddenJson} (${hidden}) is not a multiple of ${headsJson} (${heads}): each attention head needs hidden/heads dimensions`);
    }
  }
  protected probability(json: string, v: number | null): void {
    if (v !== null && !(typeof v === 'number' && v >= 0 && v <= 1)) throw new ConfigError(`config field '${json}' must be a probability in [0, 1], got ${JSON.stringify(v)}`);
  }

  /** config.json contents (snake_case), keys sorted like save_pretrained. `full` also writes common fields at their defaults. */
  toDict(o: { full?: boolean } = {}): Record<string, unknown> {
    const ctor = this.constructor as typeof PretrainedConfig;
    const out: Record<string, unknown> = { ...this.extraFields };
    for (const [camel, json, d] of COMMON_FIELDS) {
      const v = (this as any)[camel];
      const dflt = json in ctor.commonDefaults ? ctor.commonDefaults[json] : d;
      if (o.full || JSON.stringify(v) !== JSON.stringify(dflt)) out[json] = v;
    }
    for (const [camel, json] of ctor.fields) out[json] = (this as any)[camel];
    const n = this.numLabels;
    const defaultLabels = n === 2 && this.id2label[0] === 'LABEL_0' && this.id2label[1] === 'LABEL_1'
      && this.label2id.LABEL_0 === 0 && this.label2id.LABEL_1 === 1 && Object.keys(this.label2id).length === 2;
    if (o.full || !defaultLabels) {
      out.id2label = Object.fromEntries(Object.entries(this.id2label).map(([k, v]) => [String(k), v]));
      out.label2id = { ...this.label2id };
    }
    out.model_type = this.modelType;
    // transformers' to_dict writes its own __version__: the version whose behaviour hubtune follows.
    out.transformers_version = TRANSFORMERS_VERSION;
    return sortKeys(out) as Record<string, unknown>;
  }
  /** JSON text as save_pretrained writes it (indent 2, sorted keys, trailing newline). */
  toJsonString(o: { full?: boolean } = {}): string {
    return JSON.stringify(this.toDict(o), null, 2) + '\n';
  }

  /** transformers' repr: `ViTConfig {` + the config.json text + `}`. */
  toString(): string { return `${this.constructor.name} ${this.toJsonString()}`; }
  [inspect.custom](): string { return this.toString().trimEnd(); }

  /** A deep copy. */
  clone(): this {
    const C = this.constructor as new (v: Record<string, unknown>) => this;
    return new C({ ...this.toDict({ full: true }), extraFields: structuredClone(this.extraFields), attnImplementation: this.attnImplementation });
  }

  /** Parses config.json text or an object; `label` names the file in errors. */
  static fromDict<T extends typeof PretrainedConfig>(this: T, json: Record<string, unknown>): InstanceType<T> {
    const c = new this(json) as InstanceType<T>;
    c.validate();
    return c;
  }
  static fromJsonFile<T extends typeof PretrainedConfig>(this: T, path: string): InstanceType<T> {
    return withConfigFile(path, () => (this as any).fromDict(readConfigJson(path)));
  }
  /** Loads `config.json` from a local folder or a Hub repo, applying overrides. */
  static async fromPretrained<T extends typeof PretrainedConfig>(this: T, idOrPath: string, o: ConfigOverrides & HubOptions = {}): Promise<InstanceType<T>> {
    const { revision, cacheDir, token, localFilesOnly, endpoint, ...overrides } = o;
    const path = await resolveModelFile(idOrPath, 'config.json', { revision, cacheDir, token, localFilesOnly, endpoint });
    // PretrainedConfig.from_pretrained keeps the file's _name_or_path; AutoConfig and the models set the id.
    const c = (this as any).fromJsonFile(path) as InstanceType<T>;
    return c.update(overrides);
  }
}

function checkAttnImpl(v: unknown): 'sdpa' | 'eager' {
  if (v !== 'sdpa' && v !== 'eager') throw new ConfigError(`attnImplementation must be 'sdpa' or 'eager', got ${JSON.stringify(v)}`);
  return v;
}

export interface HubOptions { revision?: string; cacheDir?: string; token?: string | false; localFilesOnly?: boolean; endpoint?: string }

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) o[k] = sortKeys((v as Record<string, unknown>)[k]);
    return o;
  }
  return v;
}

export function readConfigJson(path: string): Record<string, unknown> {
  if (!existsSync(path)) throw new ConfigError(`${path} not found: a model folder needs a config.json`);
  return readJsonFile(path, ConfigError, { object: true }) as Record<string, unknown>;
}

/**
 * Runs `fn`, which parses or builds from the config file `path`: any failure becomes a one-line
 * ConfigError naming the file (and, from the checks, the field), never a bare TypeError.
 */
export function withConfigFile<T>(path: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw configErrorIn(path, e);
  }
}

export function configErrorIn(path: string, e: unknown): Error {
  const msg = String((e as Error)?.message ?? e).split('\n')[0];
  if (e instanceof ConfigError) return msg.includes(path) ? e : new ConfigError(`${path}: ${msg}`);
  const err = new ConfigError(`${path}: cannot use this config (${(e as Error)?.name ?? 'Error'}: ${msg}); fix or re-download it`);
  if ((e as NodeJS.ErrnoException)?.code) (err as NodeJS.ErrnoException).code = (e as NodeJS.ErrnoException).code;
  return err;
}

export function checkActivation(json: string, name: string): void {
  if (typeof name !== 'string' || !Object.hasOwn(ACT2FN, name)) {
    throw new ConfigError(`config field '${json}': ${unknownActivation(name)}`);
  }
}

