// What every model shares (transformers' modeling_utils): from_pretrained with its loading report,
// save_pretrained, freezing, summaries. Inputs, attention, losses and layer stacks are in blocks/.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  Tensor, noGrad, nn, isFloating, loadSafetensors, loadShardedSafetensors, tensorToWrite, type DType,
} from '../torch/index';
import { Module } from '../torch/nn/module';
import { normalizeDType } from '../torch/dtype';
import { dynamicQuantizationConfig, quantizeDynamic, repackQuantized } from '../torch/quantization';
import { writeSharded, writeFileAtomic, SAFE_WEIGHTS_NAME } from '../torch/safetensors';
import { loadTorchBin, loadShardedTorchBin } from '../torch/torch-bin';
import { PretrainedConfig, TRANSFORMERS_VERSION, ConfigError, readConfigJson, withConfigFile, configErrorIn, type ConfigOverrides } from './config';
import { checkModelFits } from './config-limits';
import { resolveModelFile, resolveWeights, type FileOptions } from './files';
import type { ModelInputs, AnyModelOutput } from './blocks/inputs';
import { GenerationConfig, GENERATION_CONFIG_NAME } from '../generation/generation-config';
import { isLayerNormForDecay } from './blocks/norms';
import { setGradientCheckpointing, gradientCheckpointingKwargs, gradientCheckpointingOf } from './blocks/layers';

// ---- loading ----------------------------------------------------------------------------------

export interface LoadingInfo {
  missingKeys: string[];
  unexpectedKeys: string[];
  mismatchedKeys: { key: string; checkpointShape: number[]; modelShape: number[] }[];
}
export interface FromPretrainedOptions extends FileOptions, ConfigOverrides {
  /** A config to use instead of the checkpoint's config.json. */
  config?: PretrainedConfig;
  /** Most bytes the model's parameters may take (default: the tensor memory limit, else RAM; HUBTUNE_MAX_MODEL_BYTES; 0: none). */
  maxModelBytes?: number;
  /** Re-initialise checkpoint tensors whose shape differs (e.g. a classifier with another label count). */
  ignoreMismatchedSizes?: boolean;
  /**
   * The floating-point dtype of the weights (default float32): a dtype, or 'auto' for the
   * checkpoint's own (config.json's torch_dtype, else the first floating tensor's dtype).
   */
  dtype?: DType | 'auto' | string;
  /** transformers' older name of `dtype`. */
  torchDtype?: DType | 'auto' | string;
  device?: string;
  /** No console warnings about missing/unexpected keys (default: HUBTUNE_QUIET=1 in the environment). */
  quiet?: boolean;
  outputLoadingInfo?: boolean;
}
export interface SavePretrainedOptions {
  /** Largest shard, bytes or "5GB"/"500MB" (default "5GB"). */
  maxShardSize?: number | string;
  /** Only true is supported: hubtune writes safetensors. */
  safeSerialization?: boolean;
}

const pyList = (xs: string[]) => `[${xs.map((x) => `'${x}'`).join(', ')}]`;
const torchSize = (s: number[]) => `torch.Size([${s.join(', ')}])`;

/** The warnings transformers' _load_pretrained_model logs, in the same words. */
export function loadingWarnings(info: LoadingInfo, checkpoint: string, modelClass: string): string[] {
  const out: string[] = [];
  if (info.unexpectedKeys.length) {
    out.push(`Some weights of the model checkpoint at ${checkpoint} were not used when initializing ${modelClass}: ${pyList(info.unexpectedKeys)}\n`
      + `- This IS expected if you are initializing ${modelClass} from the checkpoint of a model trained on another task or with another architecture (e.g. initializing a BertForSequenceClassification model from a BertForPreTraining model).\n`
      + `- This IS NOT expected if you are initializing ${modelClass} from the checkpoint of a model that you expect to be exactly identical (initializing a BertForSequenceClassification model from a BertForSequenceClassification model).`);
  }
  if (info.missingKeys.length) {
    out.push(`Some weights of ${modelClass} were not initialized from the model checkpoint at ${checkpoint} and are newly initialized: ${pyList(info.missingKeys)}\n`
      + 'You should probably TRAIN this model on a down-stream task to be able to use it for predictions and inference.');
  }
  if (info.mismatchedKeys.length) {
    const lines = info.mismatchedKeys.map((m) => `- ${m.key}: found shape ${torchSize(m.checkpointShape)} in the checkpoint and ${torchSize(m.modelShape)} in the model instantiated`);
    out.push(`Some weights of ${modelClass} were not initialized from the model checkpoint at ${checkpoint} and are newly initialized because the shapes did not match:\n${lines.join('\n')}\n`
      + 'You should probably TRAIN this model on a down-stream task to be able to use it for predictions and inference.');
  }
  return out;
}

/** Tied-weight aliases a checkpoint may store explicitly (older transformers did): alias -> canonical. */
const TIED_ALIASES: [RegExp, (m: RegExpMatchArray) => string[]][] = [
  [/^lm_head\.decoder\.weight$/, () => ['roberta.embeddings.word_embeddings.weight', 'embeddings.word_embeddings.weight']],
  [/^lm_head\.decoder\.bias$/, () => ['lm_head.bias']],
  [/^cls\.predictions\.decoder\.weight$/, () => ['bert.embeddings.word_embeddings.weight', 'embeddings.word_embeddings.weight']],
  [/^cls\.predictions\.decoder\.bias$/, () => ['cls.predictions.bias']],
  [/^vocab_projector\.weight$/, () => ['distilbert.embeddings.word_embeddings.weight', 'embeddings.word_embeddings.weight']],
];

/** Drops alias keys whose tensor equals the canonical tensor in the same checkpoint (one tied form). */
function dropTiedAliases(sd: Map<string, Tensor>): void {
  for (const key of [...sd.keys()]) {
    for (const [re, canon] of TIED_ALIASES) {
      const m = key.match(re);
      if (!m) continue;
      const c = canon(m).find((k) => sd.has(k));
      if (!c) continue;
      const a = sd.get(key)!;
      const b = sd.get(c)!;
      if (a.shape.join() === b.shape.join() && a.dtype === b.dtype && a.equal(b)) { sd.delete(key); a.dispose(); }
    }
  }
}

/** The dtype fromPretrained casts to: a dtype name, or 'auto' (torch_dtype of config.json, else the checkpoint's first floating tensor). */
function resolveLoadDtype(asked: string, configDtype: string | null, sd: Map<string, Tensor>, where: string): DType {
  if (asked !== 'auto') {
    const d = normalizeDType(asked);
    if (!isFloating(d)) throw new Error(`fromPretrained: dtype '${asked}' is not a floating-point dtype: use 'float32', 'bfloat16', 'float16' or 'auto'`);
    return d;
  }
  if (configDtype) {
    try { return normalizeDType(configDtype); } catch {
      throw new ConfigError(`${where}: config.json has torch_dtype '${configDtype}', which hubtune does not know: pass dtype explicitly`);
    }
  }
  const t = [...sd.values()].find((x) => isFloating(x.dtype));
  return t ? t.dtype : 'float32';
}

type ModelClass<M> = { new (config: any): M; configClass: typeof PretrainedConfig; name: string };

// ---- the base class ---------------------------------------------------------------------------

/** The base of every model: config, forward contract, from/save pretrained, freezing. */
export abstract class PreTrainedModel<C extends PretrainedConfig = PretrainedConfig> extends Module {
  /** The config class this model takes. */
  static configClass: typeof PretrainedConfig = PretrainedConfig;
  /** Attribute and key prefix of the backbone in head models ('bert', 'vit', ...). */
  static baseModelPrefix = '';
  /** Checkpoint keys that are never reported as unexpected (transformers' _keys_to_ignore_on_load_unexpected). */
  static ignoreOnLoadUnexpected: RegExp[] = [];
  /** Tied parameters: [alias, canonical] state-dict names; the alias is not saved and never missing. */
  tiedWeights(): [string, string][] { return []; }

  readonly config: C;
  /** What from_pretrained found: missing, unexpected and mismatched keys. */
  loadingInfo: LoadingInfo | null = null;
  /** 'input_ids' or 'pixel_values'. */
  abstract readonly mainInputName: string;
  /** The inputs forward takes (snake_case), for the Trainer's removeUnusedColumns. */
  abstract readonly forwardArgNames: readonly string[];

  /** How generate() decodes (models that can generate; from generation_config.json or the config). */
  generationConfig: GenerationConfig | null;

  constructor(config: C) {
    super();
    config.validate();
    this.config = config;
    this.generationConfig = this.canGenerate() ? GenerationConfig.fromModelConfig(config) : null;
  }

  /** Whether the model has a language-modelling head that generate() can drive (transformers' can_generate). */
  canGenerate(): boolean {
    return typeof (this as { prepareInputsForGeneration?: unknown }).prepareInputsForGeneration === 'function';
  }

  /** One batch through the model: heads return {loss?, logits, ...}, backbones {lastHiddenState, ...}. */
  abstract forward(batch: ModelInputs): AnyModelOutput;
  /** transformers' _init_weights for one module. */
  protected abstract initModule(m: Module): void;

  /** Initialises every module like transformers' post_init (uses the global generator: seed with manualSeed). */
  initWeights(): this {
    noGrad(() => { for (const [, m] of this.namedModules()) this.initModule(m); });
    return this;
  }

  /** The backbone (e.g. `bert`) in head models, the model itself in base models. */
  get baseModel(): Module {
    const prefix = (this.constructor as typeof PreTrainedModel).baseModelPrefix;
    for (const [n, m] of this.children()) if (n === prefix) return m;
    return this;
  }

  // -- gradient checkpointing --
  /** transformers' supports_gradient_checkpointing: every family whose layers run through runLayers does. */
  static supportsGradientCheckpointing = true;
  /**
   * Recomputes each layer's forward pass during backward instead of keeping its activations
   * (transformers' gradient_checkpointing_enable): much less memory for about one more forward
   * pass of compute. Applies in train mode; gradients are the same as without.
   */
  gradientCheckpointingEnable(o: { gradientCheckpointingKwargs?: Record<string, unknown> | null } = {}): this {
    if (!(this.constructor as typeof PreTrainedModel).supportsGradientCheckpointing) {
      throw new Error(`${this.constructor.name} does not support gradient checkpointing.`);
    }
    setGradientCheckpointing(this, gradientCheckpointingKwargs(o.gradientCheckpointingKwargs));
    return this;
  }
  gradientCheckpointingDisable(): this {
    setGradientCheckpointing(this, null);
    return this;
  }
  /** transformers' is_gradient_checkpointing. */
  get isGradientCheckpointing(): boolean { return gradientCheckpointingOf(this) !== null; }

  // -- freezing --
  /** Freezes the backbone: only the head trains (transfer learning). */
  freezeBackbone(): this {
    if (this.baseModel === this) throw new Error(`${this.constructor.name} is a backbone without a head: nothing would train; use freeze({ except: [...] })`);
    this.baseModel.requiresGrad_(false);
    return this;
  }
  unfreezeBackbone(): this { this.baseModel.requiresGrad_(true); return this; }
  /** Freezes every parameter except those whose name starts with (or contains a segment equal to) an entry of `except`. */
  freeze(o: { except?: string[] } = {}): this {
    const keep = o.except ?? [];
    for (const [name, p] of this.namedParameters()) {
      const spared = keep.some((e) => name === e || name.startsWith(e + '.') || name.includes('.' + e + '.') || name.startsWith(e));
      p.requiresGrad_(spared);
    }
    return this;
  }
  unfreeze(): this { return this.requiresGrad_(true); }

  /** The state dict as saved: tied aliases stored once, no integer position-id buffers. */
  stateDictForSave(): Map<string, Tensor> {
    const sd = this.stateDict();
    for (const [alias] of this.tiedWeights()) sd.delete(alias);
    return sd;
  }

  // -- saving --
  /**
   * Writes config.json and model.safetensors (sharded with model.safetensors.index.json above
   * maxShardSize) into `dir`, loadable by Python transformers; files are written atomically.
   */
  /** Saves the model (config.json + model.safetensors) and uploads it to a Hub repo, created when missing. */
  pushToHub(repoId: string, opts: import('../sharing/push').PushToHubOptions = {}) {
    return import('../sharing/push').then((m) => m.pushModelToHub(this, repoId, opts));
  }

  savePretrained(dir: string, o: SavePretrainedOptions = {}): { files: string[] } {
    if (o.safeSerialization === false) {
      throw new Error('savePretrained: hubtune writes safetensors only (safeSerialization: false would need pickle); transformers loads model.safetensors directly');
    }
    mkdirSync(dir, { recursive: true });
    const sd = this.stateDictForSave();
    // transformers' get_parameter_dtype: the first floating-point parameter's dtype
    const floating = (t: Tensor) => isFloating(t.dtype);
    const first = this.parameters().find(floating) ?? [...sd.values()].find(floating);
    const cfg = this.config.clone();
    cfg.architectures = [this.constructor.name];
    cfg.torchDtype = first?.dtype ?? 'float32';
    cfg.transformersVersion = TRANSFORMERS_VERSION;
    const toWrite = new Map<string, ReturnType<typeof tensorToWrite>>();
    noGrad(() => {
      for (const [k, t] of sd) {
        const c = t.isContiguous() ? t : t.contiguous();
        toWrite.set(k, tensorToWrite(c));
        if (c !== t) c.dispose();
      }
    });
    const { files, index } = writeSharded(dir, toWrite, { maxShardSize: o.maxShardSize ?? '5GB', metadata: { format: 'pt' } });
    writeFileAtomic(join(dir, 'config.json'), [Buffer.from(cfg.toJsonString(), 'utf8')]);
    if (this.generationConfig) this.generationConfig.savePretrained(dir);
    return { files: ['config.json', ...(this.generationConfig ? [GENERATION_CONFIG_NAME] : []), ...files, ...(index ? ['model.safetensors.index.json'] : [])] };
  }

  // -- loading --
  /** A randomly initialised model (training from scratch). */
  static fromConfig<M extends PreTrainedModel>(this: ModelClass<M>, config: PretrainedConfig | Record<string, unknown>, o: { maxModelBytes?: number } = {}): M {
    const cfg = config instanceof PretrainedConfig ? config : this.configClass.fromDict(config);
    if (!(cfg instanceof this.configClass)) {
      const got = cfg as PretrainedConfig;
      throw new ConfigError(`${this.name} needs a ${this.configClass.name}, got a ${got.constructor.name} (model_type '${got.modelType}')`);
    }
    // plausibility before any allocation: sizes in range, parameter bytes within the limit
    checkModelFits(cfg, o);
    const m = new this(cfg);
    m.initWeights();
    return m;
  }

  /**
   * Loads a model from a local folder or a Hub repo (config.json + safetensors weights). Keys are
   * matched with and without the backbone prefix; what is missing is initialised like transformers,
   * and the report is printed (unless quiet) and kept in `model.loadingInfo`.
   */
  static async fromPretrained<M extends PreTrainedModel>(this: ModelClass<M>, idOrPath: string, o?: FromPretrainedOptions & { outputLoadingInfo?: false }): Promise<M>;
  static async fromPretrained<M extends PreTrainedModel>(this: ModelClass<M>, idOrPath: string, o: FromPretrainedOptions & { outputLoadingInfo: true }): Promise<{ model: M; loadingInfo: LoadingInfo }>;
  static async fromPretrained<M extends PreTrainedModel>(this: ModelClass<M>, idOrPath: string, o: FromPretrainedOptions = {}): Promise<any> {
    const { config: given, ignoreMismatchedSizes, dtype: dtypeOpt, torchDtype, device, quiet, outputLoadingInfo, revision, cacheDir, token, localFilesOnly, endpoint, maxModelBytes, ...overrides } = o;
    if (dtypeOpt !== undefined && torchDtype !== undefined && dtypeOpt !== torchDtype) {
      throw new Error(`fromPretrained: dtype '${dtypeOpt}' and torchDtype '${torchDtype}' disagree: torchDtype is the older name of dtype, give only one`);
    }
    const dtypeAsked = dtypeOpt ?? torchDtype;
    const fileOpts = { revision, cacheDir, token, localFilesOnly, endpoint };
    let config: PretrainedConfig;
    let configPath: string | null = null;
    if (given) config = given.clone().update(overrides);
    else {
      const path = configPath = await resolveModelFile(idOrPath, 'config.json', fileOpts);
      const json = readConfigJson(path);
      if (json.model_type !== undefined && !this.configClass.readsModelType(json.model_type)) {
        throw new ConfigError(`${path} is a '${String(json.model_type)}' model but ${this.name} is for '${this.configClass.modelType}': use the Auto classes (AutoModel...) or the matching class`);
      }
      config = withConfigFile(path, () => this.configClass.fromDict(json));
      config.update(overrides);
    }
    // PreTrainedModel.from_pretrained: config.name_or_path = pretrained_model_name_or_path (whatever the file says)
    config.nameOrPath = idOrPath;
    // refuse an implausible config before reading any weights
    if (configPath) withConfigFile(configPath, () => checkModelFits(config, { maxModelBytes }));
    else checkModelFits(config, { maxModelBytes });
    const weights = await resolveWeights(idOrPath, fileOpts);
    const sd = weights.format === 'pytorch'
      ? (weights.sharded ? loadShardedTorchBin(weights.dir) : loadTorchBin(weights.file))
      : weights.sharded ? loadShardedSafetensors(weights.dir) : loadSafetensors(weights.file).tensors;
    const dtype = dtypeAsked === undefined ? undefined : resolveLoadDtype(dtypeAsked, config.torchDtype, sd, idOrPath);
    let model: M;
    try {
      model = (this as any).fromConfig(config, { maxModelBytes }) as M;
    } catch (e) {
      for (const t of sd.values()) t.dispose();
      throw configPath && !(e as NodeJS.ErrnoException)?.code?.startsWith?.('ERR_HUBTUNE') ? configErrorIn(configPath, e) : e;
    }
    let info: LoadingInfo;
    try {
      const quantized = dynamicQuantizationConfig(config.extraFields, idOrPath);
      if (quantized) {
        // an int8 model saved by quantizeDynamic: int8 layers first, then its checkpoint into them
        if (dtype && dtype !== 'float32') throw new Error(`fromPretrained: ${idOrPath} is an int8-quantized model (float32 activations): leave dtype out or use 'float32'`);
        model.eval();
        quantizeDynamic(model, { modules: quantized.modules, structureOnly: true });
      }
      info = model.loadCheckpoint(sd, { ignoreMismatchedSizes });
      if (quantized) repackQuantized(model);
    } catch (e) {
      model.dispose();
      throw e;
    } finally {
      for (const t of sd.values()) t.dispose();
    }
    if (model.canGenerate()) {
      // generation_config.json when the checkpoint has one; otherwise the one derived from config.json stays
      try {
        model.generationConfig = await GenerationConfig.fromPretrained(idOrPath, fileOpts);
      } catch (e) {
        const name = (e as Error).name;
        if (!['ModelFileNotFoundError', 'EntryNotFoundError', 'OfflineModeError'].includes(name)) throw e;
      }
    }
    if (dtype && dtype !== 'float32') model.to(dtype);
    if (device && device !== 'cpu') model.to(device);
    model.eval();
    const silent = quiet ?? ['1', 'true', 'yes'].includes((process.env.HUBTUNE_QUIET ?? '').toLowerCase());
    if (!silent) for (const w of loadingWarnings(info, idOrPath, this.name)) console.warn(w);
    return outputLoadingInfo ? { model, loadingInfo: info } : model;
  }

  /**
   * Copies a checkpoint's tensors into this model (transformers' _load_pretrained_model): handles the
   * backbone prefix both ways, tied aliases, shape mismatches; returns the report and sets loadingInfo.
   */
  loadCheckpoint(checkpoint: Map<string, Tensor>, o: { ignoreMismatchedSizes?: boolean } = {}): LoadingInfo {
    const ctor = this.constructor as typeof PreTrainedModel;
    const prefix = ctor.baseModelPrefix;
    const sd = new Map(checkpoint);
    // non-persistent integer buffers of older checkpoints are never reported
    for (const k of [...sd.keys()]) if (/(^|\.)position_ids$/.test(k)) sd.delete(k);
    dropTiedAliases(sd);
    // this model's own tied aliases (lm_head.weight, embed_tokens...): the canonical tensor is loaded once
    for (const [alias, canon] of this.tiedWeights()) {
      const a = sd.get(alias);
      if (!a) continue;
      if (!sd.has(canon)) sd.set(canon, a);
      sd.delete(alias);
    }
    const own = this.stateDictForSave();
    const expected = [...own.keys()];
    const hasPrefix = prefix !== '' && [...sd.keys()].some((k) => k.startsWith(prefix + '.'));
    const expectsPrefix = prefix !== '' && expected.some((k) => k.startsWith(prefix + '.'));
    const removePrefixFromModel = !hasPrefix && expectsPrefix; // a backbone checkpoint into a head model
    const addPrefixToModel = hasPrefix && !expectsPrefix; // a head checkpoint into a backbone
    const toCkpt = (k: string) => (removePrefixFromModel ? (k.startsWith(prefix + '.') ? k.slice(prefix.length + 1) : null) : addPrefixToModel ? `${prefix}.${k}` : k);
    const missingKeys: string[] = [];
    const mismatchedKeys: LoadingInfo['mismatchedKeys'] = [];
    const used = new Set<string>();
    const nan: string[] = [];
    noGrad(() => {
      for (const [k, t] of own) {
        const ck = toCkpt(k);
        const s = ck === null ? undefined : sd.get(ck);
        // integer buffers the model computes itself (PyTorch fills a missing num_batches_tracked too)
        if (!s && /(^|\.)(num_batches_tracked|relative_position_index)$/.test(k)) continue;
        if (!s) { missingKeys.push(ck ?? (k.startsWith(prefix + '.') ? k.slice(prefix.length + 1) : k)); continue; }
        used.add(ck!);
        if (s.shape.join(',') !== t.shape.join(',')) {
          if (o.ignoreMismatchedSizes) { mismatchedKeys.push({ key: ck!, checkpointShape: s.shape, modelShape: t.shape }); continue; }
          throw new Error(`size mismatch for ${ck}: the checkpoint has shape [${s.shape.join(', ')}] but ${ctor.name} expects [${t.shape.join(', ')}]; pass ignoreMismatchedSizes: true to re-initialise it (e.g. a classifier with another number of labels)`);
        }
        if (s.dtype.startsWith('float') || s.dtype === 'bfloat16') {
          const bad = s.isnan().any();
          if (bad.item()) nan.push(ck!);
          bad.dispose();
        }
        t.copy_(s);
      }
    });
    const ignore = ctor.ignoreOnLoadUnexpected;
    const unexpectedKeys = [...sd.keys()].filter((k) => !used.has(k) && !mismatchedKeys.some((m) => m.key === k))
      .filter((k) => !ignore.some((re) => re.test(k)));
    if (nan.length) console.warn(`hubtune: the checkpoint has NaN values in ${nan.length} tensor(s): ${nan.slice(0, 10).join(', ')}${nan.length > 10 ? ', ...' : ''}; outputs will be NaN`);
    const info: LoadingInfo = { missingKeys: missingKeys.sort(), unexpectedKeys: unexpectedKeys.sort(), mismatchedKeys };
    this.loadingInfo = info;
    return info;
  }
}

// ---- summaries --------------------------------------------------------------------------------

export interface ModelSummary { total: number; trainable: number; nonTrainable: number; text: string }

/** A Keras-style summary: top-level layers with parameter counts, then total/trainable/non-trainable. */
export function modelSummary(model: Module, o: { print?: boolean } = {}): ModelSummary {
  const fmt = (n: number) => n.toLocaleString('en-US');
  const rows: [string, string, number][] = [];
  const seen = new Set<Tensor>();
  const count = (m: Module) => {
    let n = 0;
    for (const [, p] of m.namedParameters()) if (!seen.has(p)) { seen.add(p); n += p.numel; }
    return n;
  };
  const own = model.namedParameters().filter(([n]) => !n.includes('.'));
  for (const [name, child] of model.children()) rows.push([name, child.constructor.name, count(child)]);
  for (const [name, p] of own) if (!seen.has(p)) { seen.add(p); rows.push([name, 'Parameter', p.numel]); }
  let total = 0;
  let trainable = 0;
  for (const p of model.parameters()) { total += p.numel; if (p.requiresGrad) trainable += p.numel; }
  const w1 = Math.max(12, ...rows.map((r) => r[0].length + r[1].length + 3));
  const line = '='.repeat(w1 + 18);
  const text = [
    `Model: "${model.constructor.name}"`,
    line,
    `${'Layer (type)'.padEnd(w1)}${'Param #'.padStart(18)}`,
    line,
    ...rows.map(([n, t, c]) => `${`${n} (${t})`.padEnd(w1)}${fmt(c).padStart(18)}`),
    line,
    `Total params: ${fmt(total)}`,
    `Trainable params: ${fmt(trainable)}`,
    `Non-trainable params: ${fmt(total - trainable)}`,
    '_'.repeat(w1 + 18),
  ].join('\n');
  if (o.print !== false) console.log(text);
  return { total, trainable, nonTrainable: total - trainable, text };
}

/**
 * The Trainer's parameter groups: weight decay on everything but biases and LayerNorm weights
 * (transformers' get_parameter_names(model, ALL_LAYERNORM_LAYERS) minus 'bias'). Frozen parameters are left out.
 */
export function decayParameterGroups(model: Module, weightDecay: number): { decay: [string, Tensor][]; noDecay: [string, Tensor][]; groups: { params: Tensor[]; weightDecay: number }[] } {
  const lnParams = new Set<Tensor>();
  for (const [, m] of model.namedModules()) if (isLayerNormForDecay(m)) for (const p of (m as Module).parameters()) lnParams.add(p);
  const decay: [string, Tensor][] = [];
  const noDecay: [string, Tensor][] = [];
  for (const [n, p] of model.namedParameters()) {
    if (!p.requiresGrad) continue;
    if (lnParams.has(p) || n.includes('bias')) noDecay.push([n, p]);
    else decay.push([n, p]);
  }
  return { decay, noDecay, groups: [{ params: decay.map((x) => x[1]), weightDecay }, { params: noDecay.map((x) => x[1]), weightDecay: 0 }] };
}

export { SAFE_WEIGHTS_NAME };

