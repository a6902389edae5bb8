// PeftModel, getPeftModel (PEFT's peft_model.py, mapping.py, tuners/lora.py LoraModel and
// utils/save_and_load.py): LoRA adapters on a hubtune model, saved and loaded in PEFT's format
// (adapter_config.json + adapter_model.safetensors with PEFT's key names), merged or unloaded.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Tensor, noGrad, nn, loadSafetensors, tensorToWrite } from '../torch/index';
import { Module } from '../torch/nn/module';
import { writeSafetensorsFile } from '../torch/safetensors';
import { writeFileAtomicSync } from '../util/atomic-file';
import type { PreTrainedModel } from '../models/modeling-utils';
import type { GenerateFunction, GenerateOptions } from '../generation/generate';
import { resolveModelFile, type FileOptions } from '../models/files';
import { Conv1D } from '../models/gpt2';
import { LoraConfig, LoraConfigError, DEFAULT_LORA_TARGETS, ADAPTER_CONFIG_NAME, ADAPTER_WEIGHTS_NAME, type LoraConfigInit } from './lora-config';
import { injectLora, mergeLora, loraStateOf, wrapModuleToSave, unwrapModuleToSave, savedModuleStateOf, type LoraTarget } from './lora-layer';

/** Holds the base model under `model` (PEFT's LoraModel), so names read base_model.model.<path>. */
export class LoraModel extends Module {
  constructor(readonly model: PreTrainedModel) {
    super();
    this.registerModule('model', model);
  }
}

const fmt = (n: number) => n.toLocaleString('en-US');

/** Whether a module path matches a target (PEFT: a regex string fullmatches; a name matches the path or its last segments). */
function matches(path: string, targets: string[] | string): boolean {
  if (typeof targets === 'string') return new RegExp(`^(?:${targets})$`).test(path);
  return targets.some((t) => path === t || path.endsWith(`.${t}`));
}

export class PeftModel extends Module {
  readonly baseModelWrapper: LoraModel;
  readonly peftConfig: LoraConfig;
  readonly activeAdapter: string;
  private unloaded = false;

  /** Use getPeftModel(model, config) or PeftModel.fromPretrained(model, path). */
  constructor(model: PreTrainedModel, config: LoraConfig, adapterName = 'default') {
    super();
    this.peftConfig = config;
    this.activeAdapter = adapterName;
    this.baseModelWrapper = this.registerModule('base_model', new LoraModel(model));
    if (config.baseModelNameOrPath === null) config.baseModelNameOrPath = model.config.nameOrPath || null;
    this.inject(model, config, adapterName);
  }

  /** The adapted transformers-style model (base_model.model). */
  get model(): PreTrainedModel { this.checkLive(); return this.baseModelWrapper.model; }
  get config(): PreTrainedModel['config'] { return this.model.config; }
  get forwardArgNames(): readonly string[] { return this.model.forwardArgNames; }
  get mainInputName(): string { return this.model.mainInputName; }
  get generationConfig() { return this.model.generationConfig; }

  private checkLive(): void {
    if (this.unloaded) throw new Error('this PeftModel was merged or unloaded: use the model mergeAndUnload()/unload() returned');
  }

  private inject(model: PreTrainedModel, c: LoraConfig, adapter: string): void {
    const modelType = model.config.modelType;
    let targets = c.targetModules;
    if (targets === null) {
      const d = DEFAULT_LORA_TARGETS[modelType];
      if (!d) throw new LoraConfigError(`Please specify \`targetModules\` in the LoraConfig: hubtune has no default LoRA targets for model_type '${modelType}'`);
      targets = c.targetModules = [...d];
    }
    if (c.taskType === 'SEQ_CLS' || c.taskType === 'TOKEN_CLS' || c.taskType === 'QUESTION_ANS') {
      const heads = c.taskType === 'QUESTION_ANS' ? ['qa_outputs'] : ['classifier', 'score'];
      const present = heads.filter((h) => [...model.namedModules()].some(([n]) => n === h));
      if (present.length) c.modulesToSave = [...new Set([...(c.modulesToSave ?? []), ...present])];
    }
    for (const p of model.parameters()) p.requiresGrad_(false);
    let found = 0;
    for (const [path, m] of [...model.namedModules()]) {
      if (!path || !matches(path, targets)) continue;
      if (!(m instanceof nn.Linear) && !(m instanceof Conv1D)) {
        throw new LoraConfigError(`Target module ${path} (${m.constructor.name}) is not supported. Currently, only Linear and Conv1D layers are supported: target the projections inside it`);
      }
      let fanInFanOut = c.fanInFanOut;
      if (m instanceof Conv1D && !fanInFanOut) {
        if (!c.inferenceMode) console.warn('fan_in_fan_out is set to False but the target module is `Conv1D`. Setting fan_in_fan_out to True.');
        fanInFanOut = c.fanInFanOut = true;
      }
      injectLora(m as LoraTarget, { adapter, r: c.r, alpha: c.loraAlpha, dropout: c.loraDropout, fanInFanOut, initLoraWeights: c.initLoraWeights });
      if (c.bias === 'lora_only' && (m as LoraTarget).bias) (m as LoraTarget).bias!.requiresGrad_(true);
      found++;
    }
    if (!found) {
      const list = typeof targets === 'string' ? targets : `[${targets.map((t) => `'${t}'`).join(', ')}]`;
      throw new LoraConfigError(`Target modules ${list} not found in the base model (${model.constructor.name}). Please check the target modules and try again.`);
    }
    if (c.bias === 'all') for (const [n, p] of model.namedParameters()) if (n.endsWith('bias')) p.requiresGrad_(true);
    for (const name of c.modulesToSave ?? []) {
      for (const [path, m] of [...model.namedModules()]) {
        if (path && (path === name || path.endsWith(`.${name}`)) && !savedModuleStateOf(m)) wrapModuleToSave(m as Module & { forward: (...a: any[]) => any }, adapter);
      }
    }
    if (c.inferenceMode) for (const p of this.parameters()) p.requiresGrad_(false);
  }

  forward(batch: Record<string, unknown>): any { return this.model.forward(batch); }
  canGenerate(): boolean { return this.model.canGenerate(); }

  /** generate() of the adapted model (a causal or seq2seq LM). */
  readonly generate: GenerateFunction = ((o?: GenerateOptions) => {
    const g = (this.model as unknown as { generate?: GenerateFunction }).generate;
    if (!g) throw new Error(`${this.model.constructor.name} cannot generate: wrap a causal or seq2seq language model`);
    return g(o as GenerateOptions);
  }) as GenerateFunction;

  /** [trainable, all] parameter counts (PEFT's get_nb_trainable_parameters). */
  getNbTrainableParameters(): [number, number] {
    let trainable = 0;
    let all = 0;
    for (const p of this.parameters()) { all += p.numel; if (p.requiresGrad) trainable += p.numel; }
    return [trainable, all];
  }
  /** Prints "trainable params: N || all params: M || trainable%: P" and returns the line. */
  printTrainableParameters(o: { print?: boolean } = {}): string {
    const [t, a] = this.getNbTrainableParameters();
    const line = `trainable params: ${fmt(t)} || all params: ${fmt(a)} || trainable%: ${(100 * t / a).toFixed(4)}`;
    if (o.print !== false) console.log(line);
    return line;
  }

  /** Runs `fn` with the adapter switched off (PEFT's `with model.disable_adapter():`). */
  disableAdapter<T>(fn: () => T): T {
    const states = this.adaptedModules();
    const set = (v: boolean) => {
      for (const [, m] of states) {
        const s = loraStateOf(m) ?? savedModuleStateOf(m);
        if (s) s.disabled = v;
      }
    };
    set(true);
    let async = false;
    try {
      const r = fn();
      if (r && typeof (r as { then?: unknown }).then === 'function') {
        async = true;
        return (r as unknown as Promise<unknown>).finally(() => set(false)) as T;
      }
      return r;
    } finally {
      if (!async) set(false);
    }
  }

  private adaptedModules(): [string, Module][] {
    return [...this.model.namedModules()].filter(([, m]) => loraStateOf(m) || savedModuleStateOf(m));
  }

  /** The adapter's tensors under PEFT's saved names (get_peft_model_state_dict). */
  adapterStateDict(): Map<string, Tensor> {
    const c = this.peftConfig;
    const a = `.${this.activeAdapter}`;
    const out = new Map<string, Tensor>();
    const lora = new Set<string>();
    for (const [path, m] of this.model.namedModules()) if (loraStateOf(m)) lora.add(path);
    for (const [name, t] of this.stateDict()) {
      const inner = name.slice('base_model.model.'.length);
      let keep = false;
      if (name.includes('lora_')) keep = name.includes(`lora_A${a}.`) || name.includes(`lora_B${a}.`);
      else if (name.includes(`.modules_to_save${a}.`)) keep = true;
      else if (c.bias === 'all' && name.endsWith('bias') && !name.includes('.original_module.')) keep = true;
      else if (c.bias === 'lora_only' && name.endsWith('.bias') && lora.has(inner.slice(0, -'.bias'.length))) keep = true;
      if (!keep) continue;
      out.set(name.replace('.modules_to_save.', '.').replaceAll(a, ''), t);
    }
    return out;
  }

  /** Writes adapter_config.json, adapter_model.safetensors (PEFT's key names) and a README.md model card into `dir`. */
  savePretrained(dir: string, o: { safeSerialization?: boolean } = {}): { files: string[] } {
    this.checkLive();
    if (o.safeSerialization === false) throw new Error('PeftModel.savePretrained writes adapter_model.safetensors only (safeSerialization: false would need pickle); PEFT loads safetensors adapters');
    mkdirSync(dir, { recursive: true });
    const toWrite = new Map<string, ReturnType<typeof tensorToWrite>>();
    noGrad(() => {
      for (const [k, t] of this.adapterStateDict()) {
        const c = t.isContiguous() ? t : t.contiguous();
        toWrite.set(k, tensorToWrite(c));
        if (c !== t) c.dispose();
      }
    });
    writeSafetensorsFile(join(dir, ADAPTER_WEIGHTS_NAME), toWrite, { format: 'pt' });
    const cfg = new LoraConfig({ ...this.peftConfig.toDict(), inference_mode: true } as LoraConfigInit);
    cfg.savePretrained(dir);
    const readme = join(dir, 'README.md');
    if (!existsSync(readme)) writeFileAtomicSync(readme, '---\nlibrary_name: peft\n---\n## Training procedure\n\n### Framework versions\n\n\n- PEFT 0.4.0\n');
    return { files: [ADAPTER_CONFIG_NAME, ADAPTER_WEIGHTS_NAME, 'README.md'] };
  }

  /** Loads an adapter's tensors (PEFT's set_peft_model_state_dict); a key or shape the model lacks is an error naming the base. */
  loadAdapterWeights(file: string): void {
    const sd = loadSafetensors(file).tensors;
    const own = this.stateDict();
    const a = this.activeAdapter;
    const base = this.peftConfig.baseModelNameOrPath ?? 'unknown';
    try {
      noGrad(() => {
        for (const [k0, t] of sd) {
          let k = k0.replace(/\.lora_([AB])\.weight$/, `.lora_$1.${a}.weight`);
          if (!own.has(k)) {
            const saved = k0.replace(/\.(weight|bias)$/, `.modules_to_save.${a}.$1`);
            const modKey = k0.replace(/^(.*)\.([^.]+)$/, `$1.modules_to_save.${a}.$2`);
            k = own.has(saved) ? saved : own.has(modKey) ? modKey : k;
          }
          const p = own.get(k);
          if (!p) {
            throw new LoraConfigError(`${ADAPTER_WEIGHTS_NAME} has ${k0}, which ${this.model.constructor.name} does not have: the adapter was trained on another base model (base_model_name_or_path '${base}')`);
          }
          if (p.shape.join() !== t.shape.join()) {
            throw new LoraConfigError(`size mismatch for ${k}: the adapter has shape [${t.shape.join(', ')}] but the model has [${p.shape.join(', ')}]: the adapter was trained on another base model (base_model_name_or_path '${base}')`);
          }
          p.copy_(t);
        }
      });
    } finally {
      for (const t of sd.values()) t.dispose();
    }
  }

  /**
   * Loads a saved adapter (a folder or a Hub repo with adapter_config.json + adapter_model.safetensors)
   * onto `model`. Frozen for inference unless isTrainable.
   */
  static async fromPretrained(model: PreTrainedModel, idOrPath: string, o: FileOptions & { isTrainable?: boolean; adapterName?: string; config?: LoraConfig } = {}): Promise<PeftModel> {
    const { isTrainable, adapterName, config: given, ...hub } = o;
    const config = given ?? LoraConfig.fromJsonFile(await resolveModelFile(idOrPath, ADAPTER_CONFIG_NAME, hub));
    config.inferenceMode = !isTrainable;
    const want = config.baseModelNameOrPath;
    const have = model.config.nameOrPath;
    const hubId = (s: string | null) => !!s && /^[\w.-]+\/[\w.-]+$/.test(s) && !existsSync(s);
    if (hubId(want) && hubId(have) && want !== have) {
      console.warn(`the adapter ${idOrPath} was trained on ${want} but is being loaded onto ${have}: check that it is the same model`);
    }
    let weights: string;
    try {
      weights = await resolveModelFile(idOrPath, ADAPTER_WEIGHTS_NAME, hub);
    } catch (e) {
      if (existsSync(join(idOrPath, 'adapter_model.bin'))) throw new LoraConfigError(`${idOrPath} has only adapter_model.bin: hubtune loads safetensors adapters (save it with save_pretrained(safe_serialization=True))`);
      throw e;
    }
    const pm = new PeftModel(model, config, adapterName ?? 'default');
    pm.loadAdapterWeights(weights);
    if (!isTrainable) for (const p of pm.parameters()) p.requiresGrad_(false);
    return pm;
  }

  /** Adds the LoRA updates into the base weights, removes the adapter and returns the base model. */
  mergeAndUnload(): PreTrainedModel { return this.unloadAll(true); }
  /** Removes the adapter without merging and returns the base model. */
  unload(): PreTrainedModel { return this.unloadAll(false); }

  private unloadAll(merge: boolean): PreTrainedModel {
    const model = this.model;
    for (const [, m] of model.namedModules()) {
      if (loraStateOf(m)) mergeLora(m as LoraTarget, { merge });
      if (savedModuleStateOf(m)) unwrapModuleToSave(m as Module & { forward: (...a: any[]) => any });
    }
    this.unloaded = true;
    return model;
  }

  override toString(): string { return `PeftModel(${this.peftConfig.taskType ?? 'LORA'}, r=${this.peftConfig.r}, base=${this.baseModelWrapper.model.constructor.name})`; }
}

/** Wraps `model` with a new LoRA adapter (PEFT's get_peft_model): only the adapter (and modulesToSave) train. */
export function getPeftModel(model: PreTrainedModel, config: LoraConfig | LoraConfigInit, adapterName = 'default'): PeftModel {
  const c = config instanceof LoraConfig ? config : new LoraConfig(config);
  return new PeftModel(model, c, adapterName);
}
