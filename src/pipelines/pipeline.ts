// pipeline(task, {model, ...}): loads a model with its tokenizer or image processor (Auto classes)
// from a Hub id or a local folder and returns a callable pipeline object, like transformers.pipeline.
import { existsSync, statSync } from 'node:fs';
import { resolveDevice } from '../torch/index';
import { AutoConfig } from '../models/auto';
import type { PretrainedConfig } from '../models/config';
import * as models from '../models/index';
import { AutoTokenizer } from '../preprocessing/auto-tokenizer';
import type { PreTrainedTokenizer } from '../preprocessing/tokenization-base';
import { AutoImageProcessor, type ViTImageProcessor } from '../preprocessing/image-processing';
import { OfflineModeError, HubHttpError } from '../hub/errors';
import { isOffline } from '../hub/env';
import { checkTask, type TaskInfo, type TaskName } from './tasks';
import type { Pipeline, PipelineInit, PipelineModel } from './base';
import { ImageClassificationPipeline, type ImageClassificationOptions } from './image-classification';
import { TextClassificationPipeline, type TextClassificationOptions } from './text-classification';
import { FillMaskPipeline, type FillMaskOptions } from './fill-mask';
import { FeatureExtractionPipeline, type FeatureExtractionOptions, type Pooling } from './feature-extraction';

export interface PipelineOptions {
  /** A Hub repo id or a local model folder (default: the task's transformers default, with a notice). */
  model?: string | PipelineModel;
  /** Hub branch, tag or commit. */
  revision?: string;
  /** 'cpu', 'cuda', 'cuda:1' or 'auto' (default: cuda when available, else cpu). */
  device?: string;
  /** Default labels per input (image-classification 5, text-classification 1 (legacy output), fill-mask 5). */
  topK?: number | null;
  /** Inputs per forward pass (default 8). */
  batchSize?: number;
  /** Classification: 'softmax' | 'sigmoid' | 'none' (default from the model's problem type). */
  functionToApply?: 'softmax' | 'sigmoid' | 'none';
  /** feature-extraction: 'none' (token vectors), 'mean' or 'cls'. */
  pooling?: Pooling;
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

/** The Auto class of a task (from src/models). */
function autoClass(info: TaskInfo): { fromPretrained(id: string, o: Record<string, unknown>): Promise<unknown> } {
  const cls = (models as Record<string, unknown>)[info.autoClass];
  if (!cls) throw new PipelineError(`${info.autoClass} is not available in src/models`);
  return cls as { fromPretrained(id: string, o: Record<string, unknown>): Promise<unknown> };
}

/** Checks that the model's config fits the task; returns it. */
function checkFits(config: PretrainedConfig, info: TaskInfo, id: string): void {
  if (!info.modelTypes.includes(config.modelType)) {
    const kind = info.type === 'image' ? 'an image model' : 'a text model';
    throw new PipelineError(`${id} is a ${config.modelType} model, which does not fit the task '${info.task}': it needs ${kind} (${info.modelTypes.join(', ')})`);
  }
}

/**
 * Builds a pipeline for `task`. The result is callable: `await pipe(inputs, options)`; `pipe.call(...)`
 * and `pipe.run(...)` do the same. Inputs and outputs follow transformers' pipelines.
 */
export async function pipeline(task: 'image-classification', options?: PipelineOptions): Promise<ImageClassificationPipeline>;
export async function pipeline(task: 'text-classification' | 'sentiment-analysis', options?: PipelineOptions): Promise<TextClassificationPipeline>;
export async function pipeline(task: 'fill-mask', options?: PipelineOptions): Promise<FillMaskPipeline>;
export async function pipeline(task: 'feature-extraction', options?: PipelineOptions): Promise<FeatureExtractionPipeline>;
export async function pipeline(task: string, options?: PipelineOptions): Promise<Pipeline<any, any, any>>;
export async function pipeline(task: string, options: PipelineOptions = {}): Promise<Pipeline<any, any, any>> {
  const info = checkTask(task);
  if (options === null || typeof options !== 'object') throw new PipelineError('pipeline(task, options): options must be an object like {model: "path/or/repo"}');
  const warn = options.warn ?? ((m: string) => console.warn(m));
  const hub = { revision: options.revision, cacheDir: options.cacheDir, token: options.token, localFilesOnly: options.localFilesOnly };

  let model: PipelineModel;
  let modelId: string;
  let source: string | null = null;
  if (options.model !== undefined && typeof options.model !== 'string') {
    model = options.model;
    modelId = model.config.nameOrPath || '<model object>';
    if (info.type === 'text' && !options.tokenizer) throw new PipelineError(`pipeline('${info.task}') with a model object needs {tokenizer} too`);
    if (info.type === 'image' && !options.imageProcessor) throw new PipelineError(`pipeline('${info.task}') with a model object needs {imageProcessor} too`);
  } else {
    let defaulted = false;
    if (options.model === undefined || options.model === '') {
      const [id, rev] = info.defaultModel;
      modelId = id;
      hub.revision = options.revision ?? rev;
      defaulted = true;
      warn(`No model was supplied, defaulted to ${id} and revision ${rev} (https://huggingface.co/${id}).\nUsing a pipeline without specifying a model name and revision in production is not recommended.`);
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
    model = await autoClass(info).fromPretrained(modelId, { ...hub, quiet: true }) as PipelineModel;
  }

  let tokenizer: PreTrainedTokenizer | null = null;
  let imageProcessor: ViTImageProcessor | null = null;
  if (info.type === 'text') {
    const t = options.tokenizer ?? source!;
    tokenizer = typeof t === 'string' ? await AutoTokenizer.fromPretrained(t, { ...hub, token: hub.token }) : t;
  } else {
    const p = options.imageProcessor ?? source!;
    imageProcessor = typeof p === 'string' ? await AutoImageProcessor.fromPretrained(p, hub) : p;
  }

  const device = resolveDevice(options.device);
  model.to(device);
  model.eval();
  const init: PipelineInit = { task: info.task, model, tokenizer, imageProcessor, device, batchSize: options.batchSize, modelId };
  const pipe = makePipeline(info.task, init);
  const defaults: Record<string, unknown> = {};
  if (options.topK !== undefined) defaults.topK = options.topK;
  if (options.functionToApply !== undefined) defaults.functionToApply = options.functionToApply;
  if (options.pooling !== undefined) defaults.pooling = options.pooling;
  pipe.defaults = defaults;
  return pipe;
}

function makePipeline(task: TaskName, init: PipelineInit): Pipeline<any, any, any> {
  switch (task) {
    case 'image-classification': return new ImageClassificationPipeline(init);
    case 'text-classification': return new TextClassificationPipeline(init);
    case 'fill-mask': return new FillMaskPipeline(init);
    case 'feature-extraction': return new FeatureExtractionPipeline(init);
  }
}

export type { ImageClassificationOptions, TextClassificationOptions, FillMaskOptions, FeatureExtractionOptions };
