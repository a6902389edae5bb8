// GenerationConfig (transformers' generation/configuration_utils.py): how generate() decodes.
// Read from generation_config.json (or the model's config.json), written back with only the values
// that differ from the defaults, like save_pretrained(use_diff=True).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomicSync } from '../util/atomic-file';
import { readConfigJson, TRANSFORMERS_VERSION, ConfigError, type PretrainedConfig } from '../models/config';

export const GENERATION_CONFIG_NAME = 'generation_config.json';

/** [camelName, json_name, default], in transformers' order. */
const FIELDS = [
  ['maxLength', 'max_length', 20],
  ['maxNewTokens', 'max_new_tokens', null],
  ['minLength', 'min_length', 0],
  ['minNewTokens', 'min_new_tokens', null],
  ['earlyStopping', 'early_stopping', false],
  ['maxTime', 'max_time', null],
  ['stopStrings', 'stop_strings', null],
  ['doSample', 'do_sample', false],
  ['numBeams', 'num_beams', 1],
  ['numBeamGroups', 'num_beam_groups', 1],
  ['penaltyAlpha', 'penalty_alpha', null],
  ['useCache', 'use_cache', true],
  ['temperature', 'temperature', 1.0],
  ['topK', 'top_k', 50],
  ['topP', 'top_p', 1.0],
  ['typicalP', 'typical_p', 1.0],
  ['epsilonCutoff', 'epsilon_cutoff', 0.0],
  ['etaCutoff', 'eta_cutoff', 0.0],
  ['diversityPenalty', 'diversity_penalty', 0.0],
  ['repetitionPenalty', 'repetition_penalty', 1.0],
  ['encoderRepetitionPenalty', 'encoder_repetition_penalty', 1.0],
  ['lengthPenalty', 'length_penalty', 1.0],
  ['noRepeatNgramSize', 'no_repeat_ngram_size', 0],
  ['badWordsIds', 'bad_words_ids', null],
  ['forceWordsIds', 'force_words_ids', null],
  ['renormalizeLogits', 'renormalize_logits', false],
  ['constraints', 'constraints', null],
  ['forcedBosTokenId', 'forced_bos_token_id', null],
  ['forcedEosTokenId', 'forced_eos_token_id', null],
  ['removeInvalidValues', 'remove_invalid_values', false],
  ['exponentialDecayLengthPenalty', 'exponential_decay_length_penalty', null],
  ['suppressTokens', 'suppress_tokens', null],
  ['beginSuppressTokens', 'begin_suppress_tokens', null],
  ['forcedDecoderIds', 'forced_decoder_ids', null],
  ['numReturnSequences', 'num_return_sequences', 1],
  ['outputAttentions', 'output_attentions', false],
  ['outputHiddenStates', 'output_hidden_states', false],
  ['outputScores', 'output_scores', false],
  ['returnDictInGenerate', 'return_dict_in_generate', false],
  ['padTokenId', 'pad_token_id', null],
  ['bosTokenId', 'bos_token_id', null],
  ['eosTokenId', 'eos_token_id', null],
  ['encoderNoRepeatNgramSize', 'encoder_no_repeat_ngram_size', 0],
  ['decoderStartTokenId', 'decoder_start_token_id', null],
] as const;

type Field = (typeof FIELDS)[number];
const BY_JSON = new Map<string, Field>(FIELDS.map((f) => [f[1], f]));
const BY_CAMEL = new Map<string, Field>(FIELDS.map((f) => [f[0], f]));
/** Every option name GenerationConfig knows (camelCase and snake_case). */
export const GENERATION_OPTION_NAMES: ReadonlySet<string> = new Set(FIELDS.flatMap((f) => [f[0], f[1]]));

export interface GenerationConfigInit {
  maxLength?: number; maxNewTokens?: number | null; minLength?: number; minNewTokens?: number | null;
  earlyStopping?: boolean | 'never'; maxTime?: number | null; stopStrings?: string | string[] | null;
  doSample?: boolean; numBeams?: number; numBeamGroups?: number; penaltyAlpha?: number | null; useCache?: boolean;
  temperature?: number; topK?: number; topP?: number; typicalP?: number; epsilonCutoff?: number; etaCutoff?: number;
  diversityPenalty?: number; repetitionPenalty?: number; encoderRepetitionPenalty?: number; lengthPenalty?: number;
  noRepeatNgramSize?: number; badWordsIds?: number[][] | null; forceWordsIds?: unknown; renormalizeLogits?: boolean; constraints?: unknown;
  forcedBosTokenId?: number | null; forcedEosTokenId?: number | number[] | null; removeInvalidValues?: boolean;
  exponentialDecayLengthPenalty?: [number, number] | null; suppressTokens?: number[] | null; beginSuppressTokens?: number[] | null;
  forcedDecoderIds?: [number, number][] | null; numReturnSequences?: number; outputAttentions?: boolean; outputHiddenStates?: boolean;
  outputScores?: boolean; returnDictInGenerate?: boolean; padTokenId?: number | null; bosTokenId?: number | null;
  eosTokenId?: number | number[] | null; encoderNoRepeatNgramSize?: number; decoderStartTokenId?: number | null;
  [snakeCase: string]: unknown;
}

const camelOf = (k: string) => k.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

export class GenerationConfig {
  declare maxLength: number; declare maxNewTokens: number | null; declare minLength: number; declare minNewTokens: number | null;
  declare earlyStopping: boolean | 'never'; declare maxTime: number | null; declare stopStrings: string | string[] | null;
  declare doSample: boolean; declare numBeams: number; declare numBeamGroups: number; declare penaltyAlpha: number | null; declare useCache: boolean;
  declare temperature: number; declare topK: number; declare topP: number; declare typicalP: number; declare epsilonCutoff: number; declare etaCutoff: number;
  declare diversityPenalty: number; declare repetitionPenalty: number; declare encoderRepetitionPenalty: number; declare lengthPenalty: number;
  declare noRepeatNgramSize: number; declare badWordsIds: number[][] | null; declare forceWordsIds: unknown; declare renormalizeLogits: boolean; declare constraints: unknown;
  declare forcedBosTokenId: number | null; declare forcedEosTokenId: number | number[] | null; declare removeInvalidValues: boolean;
  declare exponentialDecayLengthPenalty: [number, number] | null; declare suppressTokens: number[] | null; declare beginSuppressTokens: number[] | null;
  declare forcedDecoderIds: [number, number][] | null; declare numReturnSequences: number; declare outputAttentions: boolean; declare outputHiddenStates: boolean;
  declare outputScores: boolean; declare returnDictInGenerate: boolean; declare padTokenId: number | null; declare bosTokenId: number | null;
  declare eosTokenId: number | number[] | null; declare encoderNoRepeatNgramSize: number; declare decoderStartTokenId: number | null;
  /** True when derived from the model's config.json (written as `_from_model_config`). */
  fromModelConfig = false;
  transformersVersion: string | null = null;
  /** Keys this class does not know (kept and written back, like transformers' extra attributes). */
  extraFields: Record<string, unknown> = {};

  constructor(values: GenerationConfigInit = {}) {
    for (const [camel, , d] of FIELDS) (this as any)[camel] = structuredClone(d);
    this.update(values, { keepUnknown: true });
  }

  /**
   * Sets fields from camelCase or snake_case keys; returns the keys that are not generation options
   * (transformers' update() returns them as model kwargs). With keepUnknown they are kept as extra fields.
   */
  update(values: Record<string, unknown>, o: { keepUnknown?: boolean } = {}): Record<string, unknown> {
    const unused: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(values)) {
      if (v === undefined) continue;
      if (k === '_from_model_config' || k === 'fromModelConfig') { this.fromModelConfig = !!v; continue; }
      if (k === 'transformers_version' || k === 'transformersVersion') { this.transformersVersion = String(v); continue; }
      if (k === 'extraFields' && v && typeof v === 'object') { Object.assign(this.extraFields, v); continue; }
      const f = BY_JSON.get(k) ?? BY_CAMEL.get(k) ?? BY_CAMEL.get(camelOf(k));
      if (f) (this as any)[f[0]] = v;
      else if (o.keepUnknown) this.extraFields[k] = v;
      else unused[k] = v;
    }
    return unused;
  }

  /** The eos ids as a list (eos_token_id may be one id or several). */
  get eosTokenIds(): number[] {
    const e = this.eosTokenId;
    return e === null || e === undefined ? [] : Array.isArray(e) ? e : [e];
  }

  /** Checks the values (transformers' validate(), with the errors generate() raises for impossible settings). */
  validate(): void {
    const int = (name: string, v: unknown, min: number) => {
      if (!(typeof v === 'number' && Number.isInteger(v) && v >= min)) throw new ConfigError(`generation option '${name}' must be an integer >= ${min}, got ${JSON.stringify(v)}`);
    };
    int('max_length', this.maxLength, 0);
    if (this.maxNewTokens !== null) {
      if (!(typeof this.maxNewTokens === 'number' && Number.isInteger(this.maxNewTokens) && this.maxNewTokens > 0)) {
        throw new ConfigError(`\`max_new_tokens\` must be greater than 0, but is ${this.maxNewTokens}.`);
      }
    }
    int('min_length', this.minLength, 0);
    if (this.minNewTokens !== null) int('min_new_tokens', this.minNewTokens, 0);
    int('num_beams', this.numBeams, 1);
    int('num_beam_groups', this.numBeamGroups, 1);
    int('num_return_sequences', this.numReturnSequences, 1);
    int('no_repeat_ngram_size', this.noRepeatNgramSize, 0);
    int('top_k', this.topK, 0);
    if (!(this.temperature > 0)) throw new ConfigError(`\`temperature\` (=${this.temperature}) has to be a strictly positive float, otherwise your next token scores will be invalid. If you're looking for greedy decoding strategies, set \`do_sample=False\`.`);
    if (!(this.topP >= 0 && this.topP <= 1)) throw new ConfigError(`\`top_p\` has to be a float > 0 and < 1, but is ${this.topP}`);
    if (!(this.repetitionPenalty > 0)) throw new ConfigError(`\`repetition_penalty\` has to be a strictly positive float, but is ${this.repetitionPenalty}`);
    if (this.earlyStopping !== true && this.earlyStopping !== false && this.earlyStopping !== 'never') {
      throw new ConfigError(`early_stopping must be true, false or "never", got ${JSON.stringify(this.earlyStopping)}`);
    }
    if (this.numBeams === 1 && !this.doSample && this.numReturnSequences > 1) {
      throw new ConfigError(`Greedy methods without beam search do not support \`num_return_sequences\` different than 1 (got ${this.numReturnSequences}).`);
    }
    if (this.numReturnSequences > this.numBeams && !this.doSample) {
      throw new ConfigError('`num_return_sequences` has to be smaller or equal to `num_beams`.');
    }
    if (this.numBeamGroups > 1 || this.penaltyAlpha !== null || this.constraints !== null || this.forceWordsIds !== null) {
      throw new ConfigError('group beam search, contrastive search and constrained beam search are not supported by hubtune: use greedy, sampling or beam search');
    }
    if (this.stopStrings !== null && typeof this.stopStrings !== 'string' && !(Array.isArray(this.stopStrings) && this.stopStrings.every((s) => typeof s === 'string' && s))) {
      throw new ConfigError('stop_strings must be a string or an array of non-empty strings');
    }
  }

  /** generation_config.json contents: only values that differ from the defaults (use_diff), sorted. */
  toDict(o: { full?: boolean } = {}): Record<string, unknown> {
    const out: Record<string, unknown> = { ...this.extraFields };
    for (const [camel, json, d] of FIELDS) {
      const v = (this as any)[camel];
      if (o.full || JSON.stringify(v) !== JSON.stringify(d)) out[json] = v;
    }
    if (this.fromModelConfig || o.full) out._from_model_config = this.fromModelConfig;
    out.transformers_version = TRANSFORMERS_VERSION;
    return Object.fromEntries(Object.keys(out).sort().map((k) => [k, out[k]]));
  }
  toJsonString(o: { full?: boolean } = {}): string { return JSON.stringify(this.toDict(o), null, 2) + '\n'; }

  clone(): GenerationConfig {
    const g = new GenerationConfig(structuredClone(this.toDict({ full: true })) as GenerationConfigInit);
    g.extraFields = structuredClone(this.extraFields);
    return g;
  }

  /** Writes generation_config.json into `dir` (atomically). */
  savePretrained(dir: string): string {
    const p = join(dir, GENERATION_CONFIG_NAME);
    writeFileAtomicSync(p, this.toJsonString());
    return p;
  }

  /** Reads a generation_config.json file. */
  static fromJsonFile(path: string): GenerationConfig {
    return new GenerationConfig(readConfigJson(path));
  }

  /** Loads generation_config.json from a folder or a Hub repo. */
  static async fromPretrained(idOrPath: string, o: { revision?: string; cacheDir?: string; token?: string | false; localFilesOnly?: boolean; endpoint?: string } = {}): Promise<GenerationConfig> {
    const { resolveModelFile } = await import('../models/files');
    return GenerationConfig.fromJsonFile(await resolveModelFile(idOrPath, GENERATION_CONFIG_NAME, o));
  }

  /** transformers' from_model_config: the generation options that config.json carries (special token ids, legacy max_length, num_beams, ...). */
  static fromModelConfig(config: PretrainedConfig): GenerationConfig {
    const d = config.toDict({ full: true });
    const picked: Record<string, unknown> = {};
    for (const [, json] of FIELDS) if (json in d && d[json] !== undefined) picked[json] = d[json];
    for (const [k, v] of Object.entries(config.extraFields)) if (BY_JSON.has(k)) picked[k] = v;
    const g = new GenerationConfig(picked as GenerationConfigInit);
    g.fromModelConfig = true;
    g.transformersVersion = config.transformersVersion;
    return g;
  }

  /** Whether a local folder holds a generation_config.json. */
  static existsIn(dir: string): boolean { return existsSync(join(dir, GENERATION_CONFIG_NAME)); }
}
