// Hugging Face Inference API requests answered by hubtune pipelines: `{inputs, parameters}` JSON (or
// raw image bytes) in, the API's JSON out, per task, so that `@huggingface/inference` pointed at the
// server (endpointUrl) works unchanged. Plus the OpenAI-style completion routes the client uses for
// text generation. Each model is loaded once; its requests run one after another.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from '../pipelines/pipeline';
import { checkTask, inferTask } from '../pipelines/tasks';
import type { Pipeline } from '../pipelines/base';
import { toCamelCase } from '../training/training-args';
import type { ServedModel } from './served-models';

/** An error the client caused: answered with this status and `{error}`. */
export class InferenceRequestError extends Error {
  override name = 'InferenceRequestError';
  constructor(message: string, readonly status = 400) { super(message); }
}

export interface InferenceRequest {
  /** The parsed JSON body, or null when the body is raw bytes. */
  json: Record<string, unknown> | null;
  /** The raw body (image bytes for image tasks). */
  bytes: Buffer;
  /** A task named in the route (`/pipeline/{task}`), else the model's own. */
  task?: string;
  /** 'completions' / 'chat' for the OpenAI-style routes. */
  route?: 'inference' | 'completions' | 'chat';
}

type AnyPipeline = Pipeline<any, any, any>;

/** snake_case API parameters to the pipelines' camelCase options; `null` values are left out. */
function options(params: unknown): Record<string, unknown> {
  if (params === undefined || params === null) return {};
  if (typeof params !== 'object' || Array.isArray(params)) throw new InferenceRequestError('"parameters" must be a JSON object');
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(params)) if (v !== null) out[toCamelCase(k)] = v;
  return out;
}

const BASE64 = /^[A-Za-z0-9+/=\r\n]+$/;
/** An image from the request: the raw body, or base64 in `inputs` (never a path or URL: nothing is read or fetched for a client). */
function imageInput(req: InferenceRequest, value: unknown): Buffer {
  if (req.json === null) {
    if (!req.bytes.length) throw new InferenceRequestError('the request body is empty: send the image bytes, or JSON {"inputs": "<base64 image>"}');
    return req.bytes;
  }
  if (typeof value === 'string' && value.length > 0 && BASE64.test(value)) return Buffer.from(value, 'base64');
  throw new InferenceRequestError('"inputs" must be a base64-encoded image (or send the image bytes as the body)');
}

function textInput(value: unknown, what = '"inputs"'): string | string[] {
  if (typeof value === 'string' || (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string'))) return value as string | string[];
  throw new InferenceRequestError(`${what} must be a string or an array of strings`);
}

/** Per task: request -> pipeline call -> the Inference API's answer. */
async function runTask(task: string, pipe: AnyPipeline, req: InferenceRequest): Promise<unknown> {
  const body = req.json ?? {};
  const inputs = body.inputs;
  const o = options(body.parameters);
  switch (task) {
    case 'text-classification': {
      const texts = textInput(inputs);
      const out = await pipe(texts, { topK: null, ...o });
      return typeof texts === 'string' ? [out] : out;
    }
    case 'token-classification':
      return pipe(textInput(inputs), { aggregationStrategy: 'simple', ...o });
    case 'fill-mask':
    case 'feature-extraction':
    case 'summarization':
    case 'translation':
    case 'text2text-generation':
      return pipe(textInput(inputs), o);
    case 'question-answering': {
      const qa = inputs as { question?: unknown; context?: unknown } | undefined;
      if (!qa || typeof qa.question !== 'string' || typeof qa.context !== 'string') throw new InferenceRequestError('"inputs" must be {"question": string, "context": string}');
      return pipe({ question: qa.question, context: qa.context }, o);
    }
    case 'zero-shot-classification': {
      const r = await pipe(textInput(inputs), o) as { labels: string[]; scores: number[] } | { labels: string[]; scores: number[] }[];
      const pairs = (x: { labels: string[]; scores: number[] }) => x.labels.map((label, i) => ({ label, score: x.scores[i] }));
      return Array.isArray(r) ? r.map(pairs) : pairs(r);
    }
    case 'image-classification':
      return pipe(imageInput(req, inputs), o);
    case 'image-feature-extraction':
      return pipe(imageInput(req, inputs), o);
    case 'zero-shot-image-classification': {
      const image = req.json === null ? undefined : (inputs as { image?: unknown } | undefined)?.image ?? inputs;
      return pipe(imageInput(req, image), o);
    }
    case 'text-generation': {
      if (req.route === 'completions') return completion(pipe, body);
      if (req.route === 'chat') return chatCompletion(pipe, body);
      return pipe(textInput(inputs), o);
    }
    default:
      throw new InferenceRequestError(`the task '${task}' is not served yet`, 501);
  }
}

/** OpenAI-style generation parameters to transformers' names. */
function generationOptions(body: Record<string, unknown>): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  if (body.max_tokens !== undefined && body.max_tokens !== null) o.maxNewTokens = body.max_tokens;
  for (const k of ['temperature', 'top_p', 'top_k', 'seed', 'do_sample', 'repetition_penalty']) if (body[k] !== undefined && body[k] !== null) o[toCamelCase(k)] = body[k];
  if (o.temperature !== undefined || o.topP !== undefined) o.doSample ??= true;
  return o;
}

async function completion(pipe: AnyPipeline, body: Record<string, unknown>): Promise<unknown> {
  if (typeof body.prompt !== 'string') throw new InferenceRequestError('"prompt" must be a string');
  const [out] = await pipe(body.prompt, { ...generationOptions(body), returnFullText: false }) as { generated_text: string }[];
  return { id: `cmpl-${Date.now()}`, object: 'text_completion', created: Math.floor(Date.now() / 1000), model: String(body.model ?? ''), choices: [{ index: 0, text: out!.generated_text, finish_reason: 'stop', logprobs: null }] };
}

async function chatCompletion(pipe: AnyPipeline, body: Record<string, unknown>): Promise<unknown> {
  const messages = body.messages;
  if (!Array.isArray(messages) || !messages.length) throw new InferenceRequestError('"messages" must be a non-empty array of {role, content}');
  const [out] = await pipe(messages, generationOptions(body)) as { generated_text: { role: string; content: string }[] }[];
  const last = out!.generated_text.at(-1)!;
  return { id: `chatcmpl-${Date.now()}`, object: 'chat.completion', created: Math.floor(Date.now() / 1000), model: String(body.model ?? ''), choices: [{ index: 0, message: { role: 'assistant', content: last.content }, finish_reason: 'stop', logprobs: null }] };
}

/** Loads each served model's pipeline once per task and runs its requests in order. */
export class InferenceService {
  private pipes = new Map<string, Promise<AnyPipeline>>();
  private queues = new Map<string, Promise<unknown>>();

  /** The task a model serves by default: the one its config's architectures name. */
  static defaultTask(model: ServedModel): string {
    try {
      return inferTask(JSON.parse(readFileSync(join(model.dir, 'config.json'), 'utf8')) as { architectures?: string[] });
    } catch {
      throw new InferenceRequestError(`${model.id}: config.json cannot be read`, 500);
    }
  }

  async handle(model: ServedModel, req: InferenceRequest): Promise<unknown> {
    let task = req.route === 'completions' || req.route === 'chat' ? 'text-generation' : req.task ?? InferenceService.defaultTask(model);
    try {
      task = checkTask(task).task;
    } catch (e) {
      throw new InferenceRequestError((e as Error).message, 400);
    }
    const key = `${model.id}\0${task}`;
    let loading = this.pipes.get(key);
    if (!loading) {
      loading = pipeline(task, { model: model.dir, localFilesOnly: true, warn: () => {} }) as Promise<AnyPipeline>;
      this.pipes.set(key, loading);
      loading.catch(() => this.pipes.delete(key)); // a broken folder can be fixed and retried
    }
    const pipe = await loading;
    // One request at a time per model: the forward already uses every core.
    const prev = this.queues.get(model.id) ?? Promise.resolve();
    const run = prev.catch(() => {}).then(() => runTask(task, pipe, req));
    this.queues.set(model.id, run);
    try {
      return await run;
    } finally {
      if (this.queues.get(model.id) === run) this.queues.delete(model.id);
    }
  }

  /** Frees every loaded model. */
  async close(): Promise<void> {
    for (const p of this.pipes.values()) {
      try { (await p as { dispose?: () => void }).dispose?.(); } catch { /* already reported */ }
    }
    this.pipes.clear();
  }
}
