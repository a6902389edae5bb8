// pipeline(task, {model, ...}): loads a model with its tokenizer or image processor (Auto classes)
// from a Hub id or a local folder and returns a callable pipeline object, like transformers.pipeline.
import { existsSync, statSync } from 'node:fs';
import { resolveDevice, useThreadsFor } from '../torch/index';
import { isFloating, normalizeDType, type DType } from '../torch/dtype';
import { isQuantized, quantizeDynamic } from '../torch/quantization';
import { AutoConfig } from '../models/auto';
import type { PretrainedConfig } from '../models/config';
import { modelClassFor, modelTypesFor, modalityOf, towerFor } from '../models/registry';
import { AutoTokenizer } from '../preprocessing/auto-tokenizer';
import type { PreTrainedTokenizer } from '../preprocessing/tokenization-base';
import { AutoImageProcessor, type ViTImageProcessor } from '../preprocessing/image-processing';
import { OfflineModeError, HubHttpError } from '../hub/errors';
import { isOffline } from '../hub/env';
import { checkTask, type TaskDefinition, type TaskName, type PipelineTypes } from './tasks';
import type { Pipeline, PipelineInit, PipelineModel } from './base';
import type { ImageClassificationPipeline } from './image-classification';
import type { TextClassificationPipeline } from './text-classification';

/** How pipeline() loads the model (the rest of its options are the task's call options, used as defaults). */
export interface PipelineLoadOptions {
  /** A Hub repo id or a local model folder (default: the task's transformers default, with a notice). */
  model?: string | PipelineModel;
  /** Hub branch, tag or commit. */
  revision?: string;
  /** 'cpu', 'cuda', 'cuda:1' or 'auto' (default: cuda when available, else cpu). */
  device?: string;
  /** Inputs per forward pass (default 8). */
  batchSize?: number;
  /** Worker threads that decode and preprocess images while the model runs (default 0: in the main thread). */
  numWorkers?: number;
  /**
   * The model's floating-point dtype: 'float32' (default), 'bfloat16', 'float16', or 'auto' (the
   * checkpoint's torch_dtype). Inputs are cast to it; scores come back in float32.
   */
  dtype?: DType | 'auto' | string;
  /** transformers' older name of `dtype`. */
  torchDtype?: DType | 'auto' | string;
  /** 'int8': dynamic int8 quantization of the Linear layers (CPU, float32 activations), see quantizeDynamic. */
  quantize?: 'int8';
  /** A tokenizer (or its folder / repo id) instead of the model's. */
  tokenizer?: PreTrainedTokenizer | string;
  /** An image processor (or its folder / repo id) instead of the model's. */
  imageProcessor?: ViTImageProcessor | string;
  /** Hub options. */
  cacheDir?: string;
  token?: string;
  localFilesOnly?: boolean;
  /** Where the default-model notice goes (default console.warn). */
  warn?: (message: string) => void;
}
const LOAD_OPTION_KEYS: ReadonlySet<string> = new Set(['model', 'revision', 'device', 'batchSize', 'numWorkers', 'dtype', 'torchDtype', 'quantize', 'tokenizer', 'imageProcessor', 'cacheDir', 'token', 'localFilesOnly', 'warn']);

/** The call options of a pipeline class (its third type parameter). */
export type CallOptionsOf<P> = P extends Pipeline<any, any, infer O> ? O : never;
/**
 * pipeline()'s options for a task: how to load the model, plus the task's own call options
 * (topK, functionToApply, pooling, ...) which become the pipeline's defaults, like transformers' kwargs.
 */
export type PipelineOptions<T extends string = string> = PipelineLoadOptions
  & (T extends TaskName ? Partial<CallOptionsOf<PipelineTypes[T]>> : Record<string, unknown>);

export type ImageClassifier = ImageClassificationPipeline;
export type TextClassifier = TextClassificationPipeline;

export class PipelineError extends Error {
  override name = 'PipelineError';
}

const looksLikePath = (s: string) => /^(\.{1,2}[\\/]|[\\/]|~|[A-Za-z]:[\\/])/.test(s) || s.split('/').length > 2;
const isDir = (p: string) => { try { return statSync(p).isDirectory(); } catch { return false; } };

function offlineLike(e: unknown): boolean {
  return e instanceof OfflineModeError || (e instanceof HubHttpError && e.status === undefined);
}

/** The dtype pipeline() loads the model in (undefined: float32), checked before anything is loaded. */
function pipelineDtype(o: PipelineLoadOptions): DType | 'auto' | undefined {
  if (o.dtype !== undefined && o.torchDtype !== undefined && o.dtype !== o.torchDtype) {
    throw new PipelineError(`pipeline: dtype '${o.dtype}' and torchDtype '${o.torchDtype}' disagree: torchDtype is the older name of dtype, give only one`);
  }
  const asked = o.dtype ?? o.torchDtype;
  if (asked === undefined || asked === 'auto') return asked;
  let d: DType;
  try {
    d = normalizeDType(String(asked));
  } catch {
    throw new PipelineError(`pipeline: unknown dtype '${String(asked)}': use 'float32', 'bfloat16', 'float16' or 'auto'`);
  }
  if (d === 'int8' || d === 'uint8') throw new PipelineError(`pipeline: dtype '${String(asked)}' is not a floating-point dtype: for int8 inference pass {quantize: 'int8'} (float32 activations)`);
  if (!isFloating(d)) throw new PipelineError(`pipeline: dtype '${String(asked)}' is not a floating-point dtype: use 'float32', 'bfloat16', 'float16' or 'auto'`);
  return d;
}

/** The model_types that fit a task: those its Auto class takes that read the task's inputs. */
export function modelTypesForTask(info: TaskDefinition): string[] {
  const wanted = info.inputs === 'text' ? 'text' : info.inputs === 'image' ? 'vision' : 'multimodal';
  return modelTypesFor(info.autoClass).filter((t) => modalityOf(t) === wanted || modalityOf(t) === 'multimodal');
}

/** Checks that the model's config fits the task. */
function checkFits(config: PretrainedConfig, info: TaskDefinition, id: string): void {
  const fits = modelTypesForTask(info);
  if (!fits.includes(config.modelType)) {
    const kind = info.inputs === 'image' ? 'an image model' : info.inputs === 'text' ? 'a text model' : 'a text-and-image model';
    throw new PipelineError(`${id} is a ${config.modelType} model, which does not fit the task '${info.task}': it needs ${kind} (${fits.join(', ')})`);
  }
}

/**
 * Builds a pipeline for `task`. The result is callable: `await pipe(inputs, options)`; `pipe.call(...)`
 * and `pipe.run(...)` do the same. Inputs and outputs follow transformers' pipelines.
 */
export async function pipeline<T extends TaskName>(task: T, options?: PipelineOptions<T>): Promise<PipelineTypes[T]>;
export async function pipeline(task: string, options?: PipelineLoadOptions & Record<string, unknown>): Promise<Pipeline<any, any, any>>;
export async function pipeline(task: string, given: object = {}): Promise<Pipeline<any, any, any>> {
  const info = checkTask(task);
  const options = given as PipelineLoadOptions & Record<string, unknown>;
  if (options === null || typeof options !== 'object') throw new PipelineError('pipeline(task, options): options must be an object like {model: "path/or/repo"}');
  const warn = options.warn ?? ((m: string) => console.warn(m));
  const dtype = pipelineDtype(options);
  if (options.quantize !== undefined && options.quantize !== 'int8') throw new PipelineError(`pipeline: quantize must be 'int8' (got '${String(options.quantize)}')`);
  if (options.quantize && dtype !== undefined && dtype !== 'auto' && dtype !== 'float32') {
    throw new PipelineError(`pipeline: quantize 'int8' runs float32 activations: leave dtype out (got '${String(dtype)}')`);
  }
  const hub = { revision: options.revision, cacheDir: options.cacheDir, token: options.token, localFilesOnly: options.localFilesOnly };

  let model: PipelineModel;
  let modelId: string;
  let source: string | null = null;
  if (options.model !== undefined && typeof options.model !== 'string') {
    model = options.model;
    modelId = model.config.nameOrPath || '<model object>';
    if (info.inputs !== 'image' && !options.tokenizer) throw new PipelineError(`pipeline('${info.task}') with a model object needs {tokenizer} too`);
    if (info.inputs !== 'text' && !options.imageProcessor) throw new PipelineError(`pipeline('${info.task}') with a model object needs {imageProcessor} too`);
  } else {
    let defaulted = false;
    if (options.model === undefined || options.model === '') {
      const [id, rev] = info.defaultModel;
      modelId = id;
      hub.revision = options.revision ?? rev;
      defaulted = true;
      // transformers' notice, word for word (it names the revision actually used).
      warn(`No model was supplied, defaulted to ${id} and revision ${hub.revision}.\nUsing a pipeline without specifying a model name and revision in production is not recommended.`);
    } else {
      modelId = options.model;
    }
    source = modelId;
    if (!isDir(modelId) && (looksLikePath(modelId) || existsSync(modelId))) {
      throw new PipelineError(`model folder not found: ${modelId} (pass an existing folder with config.json, or a Hub repo id like '${info.defaultModel[0]}')`);
    }
    let config: PretrainedConfig;
    try {
      config = await AutoConfig.fromPretrained(modelId, hub);
    } catch (e) {
      if (!isDir(modelId) && (offlineLike(e) || isOffline())) {
        const why = isOffline() ? 'offline mode (HF_HUB_OFFLINE=1)' : 'the Hub is unreachable';
        const what = defaulted ? `no model was given and the default ${modelId} is not in the cache` : `${modelId} is not in the cache`;
        throw new PipelineError(`cannot load a model for '${info.task}': ${what} and ${why}; pass a local model folder, e.g. pipeline('${info.task}', {model: './my-model'}) or \`hubtune predict ./my-model ...\``);
      }
      throw e;
    }
    checkFits(config, info, modelId);
    // a text-only or image-only task on a text-and-image checkpoint (CLIP) runs that modality's tower
    const tower = info.autoClass === 'AutoModel' && info.inputs !== 'multimodal' && modalityOf(config.modelType) === 'multimodal'
      ? towerFor(config.modelType, info.inputs === 'text' ? 'text' : 'vision') : undefined;
    model = await (tower ?? modelClassFor(info.autoClass, config.modelType, modelId)).fromPretrained(modelId, { ...hub, dtype, quiet: true }) as unknown as PipelineModel;
  }

  let tokenizer: PreTrainedTokenizer | null = null;
  let imageProcessor: ViTImageProcessor | null = null;
  if (info.inputs !== 'image') {
    const t = options.tokenizer ?? source!;
    tokenizer = typeof t === 'string' ? await AutoTokenizer.fromPretrained(t, { ...hub, token: hub.token }) : t;
  }
  if (info.inputs !== 'text') {
    const p = options.imageProcessor ?? source!;
    imageProcessor = typeof p === 'string' ? await AutoImageProcessor.fromPretrained(p, hub) : p;
  }

  const device = resolveDevice(options.device);
  // a model object given with a dtype is cast ('auto' keeps its own)
  if (options.model !== undefined && typeof options.model !== 'string' && dtype !== undefined && dtype !== 'auto') model.to(dtype as never);
  model.to(device);
  model.eval();
  if (options.quantize === 'int8' && !isQuantized(model as never)) {
    if (device !== 'cpu') throw new PipelineError(`pipeline: quantize 'int8' runs on the CPU only (device is '${device}'): pass device: 'cpu'`);
    quantizeDynamic(model as never);
  }
  // int8 and bf16/fp16 products run in oneDNN on the intra-op pool: give it the cores (useThreadsFor)
  const floatDtype = (model as unknown as { parameters?(): { dtype: string }[] }).parameters?.().find((p) => isFloating(p.dtype as DType))?.dtype;
  if (device === 'cpu' && (isQuantized(model as never) || floatDtype === 'bfloat16' || floatDtype === 'float16')) useThreadsFor('low-precision');
  // translation_xx_to_yy keeps its language pair
  const init: PipelineInit = { task: /^translation_.+_to_.+$/.test(task) ? task : info.task, model, tokenizer, imageProcessor, device, batchSize: options.batchSize, numWorkers: options.numWorkers, modelId };
  const pipe = info.create(init);
  pipe.defaults = Object.fromEntries(Object.entries(options).filter(([k, v]) => !LOAD_OPTION_KEYS.has(k) && v !== undefined));
  return pipe;
}
