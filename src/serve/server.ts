// `hubtune serve`: an HTTP server over local model folders and the Hub cache, answering the Hugging
// Face Inference API's routes (POST /models/{id}, /models/{id}/pipeline/{task}, /pipeline/{task}/{id},
// and /models/{id}/v1/completions | /v1/chat/completions; `"stream": true` for text generation) and
// listing what it serves (GET /api/models); with the index and model pages (model-pages.ts), the
// dataset viewer and training dashboard (dash-api.ts). Binds to 127.0.0.1 unless told otherwise;
// bodies are size-capped; a failing model never stops it.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { hubCacheDir } from '../hub/env';
import { redactSecrets } from '../hub/redact';
import { InferenceRequestError, InferenceService, type InferenceRequest } from './inference-api';
import { servedModels, type ServedModel } from './served-models';
import { DashboardApi } from './dash-api';
import { ModelPages } from './model-pages';
import { servedDatasets } from './served-datasets';

export interface ServeOptions {
  /** Model folders, training output folders, dataset folders and files, or folders of those. */
  paths?: string[];
  port?: number;
  host?: string;
  /** Also serve the models of the Hub cache (default true; the folder is HF_HUB_CACHE's). */
  hubCache?: boolean | string;
  /** Largest request body (default 16 MiB). */
  maxBodyBytes?: number;
}

export interface RunningServer {
  url: string;
  models: Map<string, ServedModel>;
  /** The dataset viewer's and training dashboard's data. */
  dash: DashboardApi;
  /** Requests answered and pipeline calls made so far. */
  stats(): { requests: number; forwards: number };
  close(): Promise<void>;
}

/** Errors caused by what the client sent (answered 400); anything else is the server's (500). */
const CLIENT_ERRORS = /^(PipelineInputError|PipelineError|UnknownTaskError|ImageDecodeError|DecompressionBombError|GenerationConfigError)$/;

function send(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/**
 * The request body, at most `limit` bytes. Over the limit (declared or counted) it fails with 413;
 * the rest of the body is read and dropped, so the client gets the answer instead of a reset.
 */
function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer> {
  const tooBig = (what: string) => new InferenceRequestError(`request body ${what} is over the limit of ${limit} bytes: send less, or start hubtune serve with a larger --max-body-mb`, 413);
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limit) { req.resume(); reject(tooBig(`of ${declared} bytes`)); return; }
    const parts: Buffer[] = [];
    let size = 0;
    const onData = (c: Buffer) => {
      size += c.length;
      if (size > limit) { req.off('data', onData); req.resume(); reject(tooBig(`of more than ${limit} bytes`)); return; }
      parts.push(c);
    };
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(parts)));
    req.on('error', reject);
  });
}

const SUFFIXES: [RegExp, Partial<InferenceRequest>][] = [
  [/\/v1\/chat\/completions$/, { route: 'chat' }],
  [/\/v1\/completions$/, { route: 'completions' }],
];

/** Splits `/models/...` or `/pipeline/{task}/...` into the served model and the request's route. */
function route(path: string, models: Map<string, ServedModel>): { model: ServedModel; extra: Partial<InferenceRequest> } | null {
  let rest: string;
  let extra: Partial<InferenceRequest> = {};
  const p = /^\/pipeline\/([^/]+)\/(.+)$/.exec(path);
  if (p) { extra.task = p[1]; rest = p[2]!; }
  else if (path.startsWith('/models/')) rest = path.slice('/models/'.length);
  else return null;
  for (const [re, e] of SUFFIXES) if (re.test(rest)) { rest = rest.replace(re, ''); extra = { ...extra, ...e }; }
  const t = /^(.+)\/pipeline\/([^/]+)$/.exec(rest);
  if (t && !models.has(rest)) { rest = t[1]!; extra.task = t[2]; }
  const model = models.get(rest.replace(/\/+$/, ''));
  return model ? { model, extra } : null;
}

export async function serve(o: ServeOptions = {}): Promise<RunningServer> {
  const cache = o.hubCache === false ? null : typeof o.hubCache === 'string' ? o.hubCache : hubCacheDir();
  const models = servedModels(o.paths ?? [], cache);
  const service = new InferenceService();
  const limit = o.maxBodyBytes ?? 16 * 1024 * 1024;
  const dash = new DashboardApi({ datasets: servedDatasets(o.paths ?? [], cache), runRoots: o.paths ?? [] });
  const pages = new ModelPages(models);

  const server = http.createServer((req, res) => {
    void (async () => {
      let path: string;
      let url: URL;
      try {
        url = new URL(req.url ?? '/', 'http://localhost');
        path = decodeURIComponent(url.pathname);
      } catch {
        send(res, 400, { error: 'malformed URL' });
        return;
      }
      if (await dash.handle(req, res, path, url.searchParams)) return;
      if (pages.handle(req, res, path)) return;
      if (req.method === 'GET' && path === '/api/models') {
        send(res, 200, [...models.values()].map((m) => ({ id: m.id, source: m.source, pipeline_tag: safeTask(m) })));
        return;
      }
      const hit = route(path, models);
      if (!hit) {
        send(res, 404, { error: path.startsWith('/models/') || path.startsWith('/pipeline/') ? `Model ${path.replace(/^\/(models|pipeline\/[^/]+)\//, '')} is not served here: see GET /api/models` : `Not found: ${path}` });
        return;
      }
      if (req.method !== 'POST') { send(res, 405, { error: 'use POST with {"inputs": ..., "parameters": {...}}' }); return; }
      const bytes = await readBody(req, limit);
      const isJson = /application\/json/i.test(req.headers['content-type'] ?? '') || (bytes[0] === 0x7b /* { */ && !/^image\//i.test(req.headers['content-type'] ?? ''));
      let json: Record<string, unknown> | null = null;
      if (isJson) {
        try {
          const parsed: unknown = JSON.parse(bytes.toString('utf8'));
          if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
          json = parsed as Record<string, unknown>;
        } catch {
          throw new InferenceRequestError('the request body is not a JSON object: send {"inputs": ..., "parameters": {...}}');
        }
      }
      if (json?.stream === true) {
        // Server-sent events, started with the first token (an error before it is a plain JSON answer).
        const sink = (data: unknown) => {
          if (!res.headersSent) res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
          res.write(`data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`);
        };
        await service.handle(hit.model, { json, bytes, ...hit.extra, sink });
        res.end();
        return;
      }
      const out = await service.handle(hit.model, { json, bytes, ...hit.extra });
      send(res, 200, out);
    })().catch((e: unknown) => {
      const err = e as Error;
      const status = e instanceof InferenceRequestError ? e.status : CLIENT_ERRORS.test(err?.name ?? '') ? 400 : 500;
      const message = redactSecrets(String(err?.message ?? err), [], 2000).split('\n')[0];
      if (!res.headersSent) send(res, status, { error: message });
      else if (/event-stream/.test(String(res.getHeader('content-type')))) res.end(`data: ${JSON.stringify({ error: message })}\n\n`);
      else res.destroy();
    });
  });
  // Slow or stuck clients cannot hold the server.
  server.requestTimeout = 120_000;
  server.headersTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => reject(e.code === 'EADDRINUSE' ? new Error(`hubtune serve: port ${o.port} is in use: pick another with --port`) : e));
    server.listen(o.port ?? 7860, o.host ?? '127.0.0.1', () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${host}:${addr.port}`,
    models,
    dash,
    stats: () => ({ ...service.stats }),
    close: async () => {
      dash.close();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      await service.close();
    },
  };
}

function safeTask(m: ServedModel): string | null {
  try { return InferenceService.defaultTask(m); } catch { return null; }
}
