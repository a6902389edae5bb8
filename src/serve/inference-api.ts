// Hugging Face Inference API requests answered by hubtune pipelines: `{inputs, parameters}` JSON (or
// raw image bytes) in, the API's JSON out, per task, so that `@huggingface/inference` pointed at the
// server (endpointUrl) works unchanged. Plus the OpenAI-style completion routes the client uses for
// text generation. Each model is loaded once; its requests are batched or queued.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from '../pipelines/pipeline';
import { checkTask, inferTask } from '../pipelines/tasks';
import type { Pipeline } from '../pipelines/base';
import { toCamelCase } from '../training/training-args';
import type { ServedModel } from './served-models';
import { cardPipelineTag, linkOutMessage, loaderLinkOut } from './model-info';
import { SseTokenStreamer, type StreamFormat, type StreamSink } from './streaming';

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
  /** Where a streamed answer's events go (`"stream": true`, text generation only). */
  sink?: StreamSink;
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

/**
 * What one request asks of the pipeline: `input` (one item when `single`) with `opts`, and how the
 * pipeline's answer for it becomes the API's. Single-item calls of the same task and options can
 * share one batched forward.
 */
interface Call {
  input: unknown;
  opts: Record<string, unknown>;
  single: boolean;
  batchable: boolean;
  finish(out: unknown): unknown;
  /** Calls that are not one pipeline call (the OpenAI-style routes). */
  run?: (pipe: AnyPipeline) => Promise<unknown>;
}
const asIs = (out: unknown) => out;
const call = (input: unknown, opts: Record<string, unknown>, batchable: boolean, finish: (out: unknown) => unknown = asIs): Call =>
  ({ input, opts, single: !Array.isArray(input), batchable, finish });

/** Per task: the request as a pipeline call, and the Inference API's answer. */
function plan(task: string, req: InferenceRequest): Call {
  const body = req.json ?? {};
  const inputs = body.inputs;
  const o = options(body.parameters);
  if (body.stream === true && task !== 'text-generation') throw new InferenceRequestError(`"stream" is for text-generation; ${task} answers in one piece: leave "stream" out`);
  switch (task) {
    case 'text-classification': {
      const texts = textInput(inputs);
      // The API answers one text with [[...labels]].
      return call(texts, { topK: null, ...o }, true, (out) => typeof texts === 'string' ? [out] : out);
    }
    case 'token-classification':
      return call(textInput(inputs), { aggregationStrategy: 'simple', ...o }, true);
    case 'fill-mask':
    case 'feature-extraction':
      return call(textInput(inputs), o, true);
    case 'summarization':
    case 'translation':
    case 'text2text-generation':
      return call(textInput(inputs), o, false);
    case 'question-answering': {
      const qa = inputs as { question?: unknown; context?: unknown } | undefined;
      if (!qa || typeof qa.question !== 'string' || typeof qa.context !== 'string') throw new InferenceRequestError('"inputs" must be {"question": string, "context": string}');
      return { ...call({ question: qa.question, context: qa.context }, o, false), single: true };
    }
    case 'zero-shot-classification': {
      const pairs = (x: { labels: string[]; scores: number[] }) => x.labels.map((label, i) => ({ label, score: x.scores[i] }));
      return call(textInput(inputs), o, false, (r) => Array.isArray(r) ? r.map(pairs) : pairs(r as { labels: string[]; scores: number[] }));
    }
    case 'image-classification':
    case 'image-feature-extraction':
      return { ...call(imageInput(req, inputs), o, true), single: true };
    case 'zero-shot-image-classification': {
      const image = req.json === null ? undefined : (inputs as { image?: unknown } | undefined)?.image ?? inputs;
      return { ...call(imageInput(req, image), o, true), single: true };
    }
    case 'text-generation': {
      if (body.stream === true) return streamCall(req, body, o);
      if (req.route === 'completions') return { ...call(null, {}, false), run: (pipe) => completion(pipe, body) };
      if (req.route === 'chat') return { ...call(null, {}, false), run: (pipe) => chatCompletion(pipe, body) };
      return call(textInput(inputs), o, false);
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
  // OpenAI's temperature 0 is greedy decoding (transformers refuses a zero temperature).
  if (o.temperature === 0) { delete o.temperature; o.doSample ??= false; }
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

/** A streamed generation: each new token is an event of the route's format, sent as it is generated. */
function streamCall(req: InferenceRequest, body: Record<string, unknown>, params: Record<string, unknown>): Call {
  const sink = req.sink;
  if (!sink) throw new InferenceRequestError('"stream": true needs a streaming connection');
  let format: StreamFormat = 'tgi';
  let input: unknown;
  let opts: Record<string, unknown>;
  if (req.route === 'completions' || req.route === 'chat') {
    format = req.route;
    if (format === 'completions' && typeof body.prompt !== 'string') throw new InferenceRequestError('"prompt" must be a string');
    if (format === 'chat' && (!Array.isArray(body.messages) || !body.messages.length)) throw new InferenceRequestError('"messages" must be a non-empty array of {role, content}');
    input = format === 'chat' ? body.messages : body.prompt;
    opts = generationOptions(body);
  } else {
    if (typeof body.inputs !== 'string') throw new InferenceRequestError('"inputs" must be a string to stream');
    input = body.inputs;
    opts = params;
  }
  return {
    ...call(null, {}, false),
    run: async (pipe) => {
      const tok = pipe.tokenizer!;
      const streamer = new SseTokenStreamer(tok, format, sink, { model: String(body.model ?? ''), maxNewTokens: opts.maxNewTokens as number | undefined, special: new Set(tok.allSpecialIds) });
      await pipe(input, { ...opts, returnFullText: false, streamer });
      return null;
    },
  };
}

interface Job { task: string; call: Call; key: string; resolve(v: unknown): void; reject(e: unknown): void }

/**
 * Loads each served model's pipeline once per task and runs its requests one forward at a time;
 * waiting single-item requests of the same task and options go through together as one batch.
 */
export class InferenceService {
  private pipes = new Map<string, Promise<AnyPipeline>>();
  private waiting = new Map<string, Job[]>();
  private busy = new Set<string>();
  /** Requests answered and pipeline calls made (fewer calls than requests when batches formed). */
  readonly stats = { requests: 0, forwards: 0 };

  constructor(private readonly maxBatch = 16) {}

  /** The task a model serves by default: its card's pipeline_tag (as on the Hub), else the one its config's architectures name. */
  static defaultTask(model: ServedModel): string {
    const linked = loaderLinkOut(model);
    if (linked) throw new InferenceRequestError(linkOutMessage(model, linked), 403);
    const tag = cardPipelineTag(model);
    if (tag) return tag;
    try {
      return inferTask(JSON.parse(readFileSync(join(model.dir, 'config.json'), 'utf8')) as { architectures?: string[] });
    } catch {
      throw new InferenceRequestError(`${model.id}: config.json cannot be read`, 500);
    }
  }

  private load(model: ServedModel, task: string): Promise<AnyPipeline> {
    const key = `${model.id}\0${task}`;
    let loading = this.pipes.get(key);
    if (!loading) {
      const linked = loaderLinkOut(model);
      if (linked) return Promise.reject(new InferenceRequestError(linkOutMessage(model, linked), 403));
      loading = pipeline(task, { model: model.dir, localFilesOnly: true, warn: () => {} }) as Promise<AnyPipeline>;
      this.pipes.set(key, loading);
      loading.catch(() => this.pipes.delete(key)); // a broken folder can be fixed and retried
    }
    return loading;
  }

  async handle(model: ServedModel, req: InferenceRequest): Promise<unknown> {
    let task = req.route === 'completions' || req.route === 'chat' ? 'text-generation' : req.task ?? InferenceService.defaultTask(model);
    // An NLI classifier's task on the Hub is zero-shot-classification (its pipeline_tag); here a
    // request with candidate labels says so.
    const params = req.json?.parameters as Record<string, unknown> | undefined;
    if (!req.task && task === 'text-classification' && params && typeof params === 'object' && ('candidate_labels' in params || 'candidateLabels' in params)) task = 'zero-shot-classification';
    try {
      task = checkTask(task).task;
    } catch (e) {
      throw new InferenceRequestError((e as Error).message, 400);
    }
    const c = plan(task, req);
    await this.load(model, task);
    return new Promise((resolve, reject) => {
      const list = this.waiting.get(model.id) ?? [];
      list.push({ task, call: c, key: c.batchable && c.single ? `${task}\0${JSON.stringify(c.opts)}` : '', resolve, reject });
      this.waiting.set(model.id, list);
      void this.drain(model);
    });
  }

  /** Runs the model's waiting jobs: the first, with every later job that can share its batch. */
  private async drain(model: ServedModel): Promise<void> {
    if (this.busy.has(model.id)) return;
    this.busy.add(model.id);
    try {
      for (let list = this.waiting.get(model.id); list?.length; list = this.waiting.get(model.id)) {
        const first = list[0]!;
        const batch = first.key ? list.filter((j) => j.key === first.key).slice(0, this.maxBatch) : [first];
        this.waiting.set(model.id, list.filter((j) => !batch.includes(j)));
        this.stats.forwards++;
        this.stats.requests += batch.length;
        try {
          const pipe = await this.load(model, first.task);
          if (first.call.run) first.resolve(await first.call.run(pipe));
          else if (batch.length === 1) first.resolve(first.call.finish(await pipe(first.call.input, first.call.opts)));
          else {
            const outs = await pipe(batch.map((j) => j.call.input), first.call.opts) as unknown[];
            batch.forEach((j, i) => j.resolve(j.call.finish(outs[i])));
          }
        } catch (e) {
          if (batch.length === 1) first.reject(e);
          // One bad item must not fail the others: each runs again on its own.
          else {
            this.stats.requests -= batch.length; // counted again when each runs alone
            for (const j of [...batch].reverse()) {
              j.key = '';
              this.requeue(model, j);
            }
          }
        }
      }
    } finally {
      this.busy.delete(model.id);
    }
  }

  private requeue(model: ServedModel, job: Job): void {
    const list = this.waiting.get(model.id) ?? [];
    list.unshift(job);
    this.waiting.set(model.id, list);
  }

  /** Frees every loaded model. */
  async close(): Promise<void> {
    for (const p of this.pipes.values()) {
      try { (await p as { dispose?: () => void }).dispose?.(); } catch { /* already reported */ }
    }
    this.pipes.clear();
  }
}
