// The one fetch every Hub call goes through: adds the token for the configured endpoint only
// (and strips it everywhere else, redirect by redirect), follows the Hub's redirects (a renamed
// repo's 307, query kept), retries server errors, 408/429 and dropped connections with
// exponential backoff (429 waits what the Hub's `RateLimit` header says, capped), and turns Hub
// error answers (X-Error-Code) into typed errors.
import { downloadTimeoutMs, etagTimeoutMs, maxApiBytes, maxRateLimitWaitMs, maxRetries, retryBaseMs } from './env';
import {
  EntryNotFoundError,
  GatedRepoError,
  HubError,
  HubHttpError,
  RepositoryNotFoundError,
  RevisionNotFoundError,
  type RepoType,
} from './errors';
import { redactSecrets } from './redact';

export interface HubRequestContext {
  /** Hub URL without trailing slash; the only origin that receives the token. */
  endpoint: string;
  token?: string;
  repoId?: string;
  repoType?: RepoType;
  revision?: string;
  /** File path in the repo, for error messages. */
  filename?: string;
}

const RETRY_STATUS = new Set([408, 429, 500, 502, 503, 504]);
const REDIRECT_STATUS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 10;

/** The Hub's `RateLimit: "<resource>";r=<remaining>;t=<reset seconds>` (IETF draft, as huggingface_hub parses it). */
export function parseRateLimit(headers: Headers): { resource: string; remaining: number; reset: number } | undefined {
  const m = /"(\w+)"\s*;\s*r\s*=\s*(\d+)\s*;\s*t\s*=\s*(\d+)/.exec(headers.get('ratelimit') ?? '');
  return m ? { resource: m[1], remaining: Number(m[2]), reset: Number(m[3]) } : undefined;
}

/**
 * How long to wait before retrying a 429, like huggingface_hub: the RateLimit reset (+1 s) when
 * nothing remains, else Retry-After (+1 s), else the backoff. Capped at HUBTUNE_HUB_MAX_RATE_LIMIT_WAIT;
 * the wait is said on stderr (and that it was capped).
 */
function rateLimitWaitMs(res: Response, attempt: number, retries: number, ctx: HubRequestContext): number {
  const limit = parseRateLimit(res.headers);
  const retryAfter = /^\s*\d+\s*$/.test(res.headers.get('retry-after') ?? '') ? Number(res.headers.get('retry-after')) : undefined;
  const askedS = limit && limit.remaining === 0 ? limit.reset + 1 : retryAfter !== undefined ? retryAfter + 1 : undefined;
  if (askedS === undefined) return backoffMs(attempt);
  const cap = maxRateLimitWaitMs();
  const waitMs = Math.min(askedS * 1000, cap);
  const why = limit ? `"${limit.resource}" limit, resets in ${limit.reset} s` : `Retry-After ${retryAfter} s`;
  const capped = askedS * 1000 > cap ? ` (it asks for ${askedS} s; capped by HUBTUNE_HUB_MAX_RATE_LIMIT_WAIT)` : '';
  console.warn(`hubtune: rate limited by the Hub at ${ctx.endpoint} (${why}); waiting ${Math.round(waitMs / 100) / 10} s${capped} before retry ${attempt + 1}/${retries}`);
  return waitMs;
}

/** True for a Location without scheme or host (RFC 7231 relative reference): the Hub's renamed-repo and resolve-cache 307s. */
export function isRelativeLocation(loc: string): boolean {
  return !/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(loc) && !loc.startsWith('//');
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export function backoffMs(attempt: number): number {
  return Math.min(retryBaseMs() * 2 ** attempt, Math.max(8000, retryBaseMs()));
}

function sameOrigin(url: string, endpoint: string): boolean {
  try {
    return new URL(url).origin === new URL(endpoint).origin;
  } catch {
    return false;
  }
}

function describeRepo(ctx: HubRequestContext): string {
  if (!ctx.repoId) return 'the Hub';
  return `${ctx.repoType === 'dataset' ? 'dataset ' : ''}${ctx.repoId}`;
}

/** A network failure (refused, reset, DNS, timeout) as opposed to an HTTP answer. */
export function isNetworkError(err: unknown): boolean {
  if (err instanceof HubError) return err instanceof HubHttpError && err.status === undefined;
  const e = err as { name?: string; cause?: { code?: string }; code?: string; message?: string };
  return e?.name === 'TypeError' || e?.name === 'AbortError' || e?.name === 'TimeoutError' || !!e?.cause?.code || !!e?.code;
}

export function networkError(ctx: HubRequestContext, err: unknown): HubHttpError {
  if (err instanceof StallError) {
    return new HubHttpError(`the Hub at ${ctx.endpoint} gave ${err.message}: try again later, or set HF_HUB_OFFLINE=1 to use the cache`, { cause: err });
  }
  const e = err as { cause?: { code?: string; message?: string }; code?: string; message?: string; name?: string };
  const why = e?.cause?.code ?? e?.code ?? e?.cause?.message ?? e?.name ?? 'network error';
  return new HubHttpError(
    `could not reach the Hub at ${ctx.endpoint} (${why}): check the connection or HF_ENDPOINT, or set HF_HUB_OFFLINE=1 to use the cache`,
    { cause: err },
  );
}

/** Throws the typed error for a non-OK Hub answer (reads the body for the server's message). */
export async function raiseForStatus(res: Response, ctx: HubRequestContext): Promise<never> {
  const code = res.headers.get('x-error-code') ?? '';
  // Server text is untrusted: it may echo the Authorization header or carry escape sequences.
  const serverMessage = redactSecrets(res.headers.get('x-error-message') ?? '', [ctx.token], 200);
  try {
    await res.body?.cancel();
  } catch {
    /* ignore */
  }
  const what = describeRepo(ctx);
  const loginHint = ctx.token
    ? 'check that your token (HF_TOKEN or `hubtune login`) has access to it'
    : 'if it is private or gated, log in with `hubtune login` or set HF_TOKEN';
  const status = res.status;
  if (code === 'RepoNotFound' || (status === 404 && !code && !ctx.filename) ) {
    throw new RepositoryNotFoundError(
      `repository not found: ${what} on ${ctx.endpoint}: check the repo id and repo type; ${loginHint}`,
      { status },
    );
  }
  if (code === 'RevisionNotFound') {
    throw new RevisionNotFoundError(
      `revision not found: "${ctx.revision ?? 'main'}" in ${what}: check the branch, tag or commit name`,
      { status },
    );
  }
  if (code === 'EntryNotFound' || (status === 404 && ctx.filename)) {
    throw new EntryNotFoundError(
      `file not found: ${ctx.repoId}/${ctx.filename} at revision "${ctx.revision ?? 'main'}": check the file name`,
      { status },
    );
  }
  if (code === 'GatedRepo') {
    throw new GatedRepoError(
      `${what} is gated: accept its conditions at ${ctx.endpoint}/${ctx.repoType === 'dataset' ? 'datasets/' : ''}${ctx.repoId}, then log in with \`hubtune login\` or set HF_TOKEN`,
      { status },
    );
  }
  if (status === 401) {
    throw new GatedRepoError(
      ctx.token
        ? `the Hub refused the token for ${what} (401): run \`hubtune login\` with a valid token or fix HF_TOKEN`
        : `${what} needs authentication (401): log in with \`hubtune login\` or set HF_TOKEN`,
      { status },
    );
  }
  if (status === 403) {
    throw new GatedRepoError(
      `access to ${what} is forbidden (403)${serverMessage ? `: ${serverMessage}` : ''}: use a token with the needed permission (\`hubtune login\`)`,
      { status },
    );
  }
  if (status === 404) {
    throw new RepositoryNotFoundError(`not found (404) on ${ctx.endpoint} for ${what}: check the repo id and repo type`, { status });
  }
  if (status === 429) {
    const rl = parseRateLimit(res.headers);
    throw new HubHttpError(
      `rate limited by the Hub at ${ctx.endpoint} for ${what}${rl ? ` ("${rl.resource}" limit, resets in ${rl.reset} s)` : ''}: try again later${ctx.token ? '' : ', or log in (`hubtune login`) for a higher limit'}`,
      { status },
    );
  }
  throw new HubHttpError(
    `the Hub at ${ctx.endpoint} answered ${status} ${redactSecrets(res.statusText, [ctx.token], 60)}${serverMessage ? ` (${serverMessage})` : ''} for ${what}: try again later`,
    { status },
  );
}

export interface HubFetchOptions {
  /** Throw typed errors for non-OK answers (default true). 206/304/3xx are passed through. */
  throwOnError?: boolean;
  /**
   * Most bytes a response body may have (default `HUBTUNE_HUB_MAX_API_BYTES`, 64 MB: API JSON);
   * `Infinity` for file downloads, which their caller caps at the announced size.
   */
  maxBodyBytes?: number;
  /** Wait for the answer's headers of a GET/HEAD, per attempt (default: HF_HUB_ETAG_TIMEOUT for HEAD, HF_HUB_DOWNLOAD_TIMEOUT for GET). */
  timeoutMs?: number;
}

/** Raised (as an abort reason) when a request or its body stalls; turned into a one-line HubHttpError. */
class StallError extends Error {
  override name = 'TimeoutError';
}

function pathOf(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return url;
  }
}

/**
 * Wraps a response body so that it fails with a one-line HubHttpError when no byte comes for
 * `idleMs` (HF_HUB_DOWNLOAD_TIMEOUT) or when it grows past `maxBytes`.
 */
function boundedResponse(res: Response, url: string, ctx: HubRequestContext, idleMs: number, maxBytes: number, abort: AbortController): Response {
  if (!res.body) return res;
  const declared = Number(res.headers.get('content-length'));
  const tooBig = () =>
    new HubHttpError(
      `the answer of ${pathOf(url)} exceeds ${maxBytes} bytes: check that HF_ENDPOINT points at a Hugging Face Hub (HUBTUNE_HUB_MAX_API_BYTES raises the limit)`,
    );
  if (Number.isFinite(maxBytes) && Number.isFinite(declared) && declared > maxBytes) {
    abort.abort(tooBig());
    res.body.cancel().catch(() => {});
    throw tooBig();
  }
  const reader = res.body.getReader();
  let seen = 0;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      let timer: NodeJS.Timeout | undefined;
      try {
        const next = await Promise.race([
          reader.read(),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => {
              const err = new HubHttpError(
                `the server sent no data for ${idleMs / 1000} s while answering ${pathOf(url)} (HF_HUB_DOWNLOAD_TIMEOUT): try again later, or raise HF_HUB_DOWNLOAD_TIMEOUT on a slow connection`,
              );
              abort.abort(err);
              reject(err);
            }, idleMs);
          }),
        ]);
        if (next.done) {
          controller.close();
          return;
        }
        seen += next.value.byteLength;
        if (seen > maxBytes) {
          const err = tooBig();
          abort.abort(err);
          throw err;
        }
        controller.enqueue(next.value);
      } catch (err) {
        reader.cancel().catch(() => {});
        controller.error(err instanceof HubError ? err : networkError(ctx, err));
      } finally {
        clearTimeout(timer);
      }
    },
    cancel(reason) {
      return reader.cancel(reason).catch(() => {});
    },
  });
  const wrapped = new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
  Object.defineProperty(wrapped, 'url', { value: res.url || url });
  return wrapped;
}

const NULL_BODY_STATUS = new Set([101, 103, 204, 205, 304]);

/**
 * A `fetch` bound to a context: sets `Authorization: Bearer <token>` for the endpoint's origin and
 * removes any Authorization header for other origins; retries 429/5xx and network failures
 * (`HUBTUNE_HUB_MAX_RETRIES`, backoff from `HUBTUNE_HUB_RETRY_BASE_MS` doubling to 8 s).
 * Every answer is bounded: headers of a GET/HEAD within the timeout, then no pause in the body
 * longer than HF_HUB_DOWNLOAD_TIMEOUT, and at most `maxBodyBytes`.
 */
export function hubFetch(ctx: HubRequestContext, options: HubFetchOptions = {}): typeof fetch {
  const once = hubFetchOnce(ctx, options);
  const f = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    // redirect: 'manual' hands 3xx answers to the caller (the HEAD of a file stops at the CDN redirect).
    if (init?.redirect === 'manual' || input instanceof Request) return once(input, init);
    let url = typeof input === 'string' ? input : input.href;
    let hopInit: RequestInit = { ...init, redirect: 'manual' };
    for (let hop = 0; ; hop++) {
      const res = await once(url, hopInit);
      const loc = res.headers.get('location');
      if (!REDIRECT_STATUS.has(res.status) || !loc) return res;
      await res.body?.cancel().catch(() => {});
      if (hop >= MAX_REDIRECTS) throw new HubHttpError(`too many redirects from ${ctx.endpoint} for ${pathOf(url)}: check HF_ENDPOINT`);
      const next = new URL(loc, url);
      // A renamed repo's 307 names the new path; the request's query (paging, expand, blobs) is kept.
      if (!next.search) next.search = new URL(url).search;
      const method = (hopInit.method ?? 'GET').toUpperCase();
      if (res.status === 303 || ((res.status === 301 || res.status === 302) && method === 'POST')) {
        hopInit = { ...hopInit, method: method === 'HEAD' ? 'HEAD' : 'GET', body: undefined };
      } else if (hopInit.body instanceof ReadableStream) {
        throw new HubHttpError(`${ctx.endpoint} redirected an upload (${res.status}) that cannot be sent twice: run again`);
      }
      url = next.href;
    }
  };
  return f as typeof fetch;
}

/** One request (with retries), no redirect followed: the token is decided for this URL alone. */
function hubFetchOnce(ctx: HubRequestContext, options: HubFetchOptions): typeof fetch {
  const throwOnError = options.throwOnError ?? true;
  const f = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined));
    headers.delete('authorization');
    if (ctx.token && sameOrigin(url, ctx.endpoint)) headers.set('authorization', `Bearer ${ctx.token}`);
    if (!headers.has('user-agent')) headers.set('user-agent', 'hubtune/0.1; hf_hub-compatible');
    const method = (init?.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase();
    const timed = method === 'GET' || method === 'HEAD';
    const headerTimeoutMs = options.timeoutMs ?? (method === 'HEAD' ? etagTimeoutMs() : downloadTimeoutMs());
    const idleMs = downloadTimeoutMs();
    const maxBytes = options.maxBodyBytes ?? maxApiBytes();
    const retries = maxRetries();
    for (let attempt = 0; ; attempt++) {
      let res: Response;
      const abort = new AbortController();
      const signal = init?.signal ? AbortSignal.any([init.signal, abort.signal]) : abort.signal;
      const timer = timed
        ? setTimeout(
            () =>
              abort.abort(
                new StallError(`no answer within ${headerTimeoutMs / 1000} s (${method === 'HEAD' ? 'HF_HUB_ETAG_TIMEOUT' : 'HF_HUB_DOWNLOAD_TIMEOUT'})`),
              ),
            headerTimeoutMs,
          )
        : undefined;
      try {
        res = await fetch(url, { ...init, headers, signal, redirect: 'manual' });
      } catch (err) {
        if (attempt < retries && !init?.signal?.aborted) {
          await sleep(backoffMs(attempt));
          continue;
        }
        throw networkError(ctx, abort.signal.aborted ? abort.signal.reason : err);
      } finally {
        clearTimeout(timer);
      }
      if (RETRY_STATUS.has(res.status) && attempt < retries) {
        try {
          await res.body?.cancel();
        } catch {
          /* ignore */
        }
        await sleep(res.status === 429 ? rateLimitWaitMs(res, attempt, retries, ctx) : backoffMs(attempt));
        continue;
      }
      if (throwOnError && res.status >= 400) {
        if (RETRY_STATUS.has(res.status)) {
          const err = await raiseForStatus(res, ctx).catch((e) => e as HubError);
          err.message = err.message.replace(': try again later', ` after ${attempt + 1} attempts: try again later`);
          throw err;
        }
        await raiseForStatus(res, ctx);
      }
      if (NULL_BODY_STATUS.has(res.status) || method === 'HEAD') return res;
      return boundedResponse(res, url, ctx, idleMs, maxBytes, abort);
    }
  };
  return f as typeof fetch;
}
