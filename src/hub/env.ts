// Environment as Python's huggingface_hub reads it (constants.py): HF_HOME, HF_HUB_CACHE,
// HF_ENDPOINT, HF_HUB_OFFLINE, HF_TOKEN, HF_TOKEN_PATH and the token file.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

const TRUE_VALUES = new Set(['1', 'ON', 'YES', 'TRUE']);

function isTrue(value: string | undefined): boolean {
  return value !== undefined && TRUE_VALUES.has(value.trim().toUpperCase());
}

/** `$HF_HOME`, default `$XDG_CACHE_HOME/huggingface` or `~/.cache/huggingface`. */
export function hfHome(): string {
  if (process.env.HF_HOME) return process.env.HF_HOME;
  const xdg = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(xdg, 'huggingface');
}

/** The Hub cache folder: `$HF_HUB_CACHE` (or the legacy `$HUGGINGFACE_HUB_CACHE`), default `$HF_HOME/hub`. */
export function hubCacheDir(): string {
  return process.env.HF_HUB_CACHE || process.env.HUGGINGFACE_HUB_CACHE || join(hfHome(), 'hub');
}

/** Where the active token is stored: `$HF_TOKEN_PATH`, default `$HF_HOME/token`. */
export function tokenPath(): string {
  return process.env.HF_TOKEN_PATH || join(hfHome(), 'token');
}

/** The Hub URL: `$HF_ENDPOINT` without trailing slashes, default `https://huggingface.co`. */
export function hubEndpoint(): string {
  return (process.env.HF_ENDPOINT || 'https://huggingface.co').replace(/\/+$/, '');
}

/** True when `HF_HUB_OFFLINE` (or `TRANSFORMERS_OFFLINE`) is 1/ON/YES/TRUE: no network call is made. */
export function isOffline(): boolean {
  return isTrue(process.env.HF_HUB_OFFLINE) || isTrue(process.env.TRANSFORMERS_OFFLINE);
}

/** True when progress bars are disabled (`HF_HUB_DISABLE_PROGRESS_BARS`). */
export function progressBarsDisabled(): boolean {
  return isTrue(process.env.HF_HUB_DISABLE_PROGRESS_BARS);
}

function cleanToken(token: string | undefined | null): string | undefined {
  if (token == null) return undefined;
  const t = token.replace(/\r/g, '').replace(/\n/g, '').trim();
  return t === '' ? undefined : t;
}

/**
 * The Hub token as Python finds it: `$HF_TOKEN`, then the legacy `$HUGGING_FACE_HUB_TOKEN`,
 * then the token file (`$HF_TOKEN_PATH` or `$HF_HOME/token`). Undefined when none is set.
 */
export function getToken(): string | undefined {
  const fromEnv = cleanToken(process.env.HF_TOKEN) ?? cleanToken(process.env.HUGGING_FACE_HUB_TOKEN);
  if (fromEnv) return fromEnv;
  try {
    return cleanToken(readFileSync(tokenPath(), 'utf8'));
  } catch {
    return undefined;
  }
}

/**
 * The token to send: an explicit string wins, `false` sends none, undefined uses {@link getToken}
 * unless `HF_HUB_DISABLE_IMPLICIT_TOKEN` is set.
 */
export function resolveToken(token: string | false | undefined): string | undefined {
  if (token === false) return undefined;
  if (typeof token === 'string') return cleanToken(token);
  if (isTrue(process.env.HF_HUB_DISABLE_IMPLICIT_TOKEN)) return undefined;
  return getToken();
}

function numberEnv(name: string, fallback: number): number {
  const v = process.env[name];
  if (v === undefined || v.trim() === '') return fallback;
  const n = Number(v);
  return Number.isFinite(n) && n >= 0 ? n : fallback;
}

/** Seconds to wait for the metadata (HEAD) answer: `HF_HUB_ETAG_TIMEOUT`, default 10. */
export function etagTimeoutMs(): number {
  return numberEnv('HF_HUB_ETAG_TIMEOUT', 10) * 1000;
}

/** Seconds without any byte before a download is retried: `HF_HUB_DOWNLOAD_TIMEOUT`, default 10. */
export function downloadTimeoutMs(): number {
  return numberEnv('HF_HUB_DOWNLOAD_TIMEOUT', 10) * 1000;
}

/** Retries after a server error or dropped connection: `HUBTUNE_HUB_MAX_RETRIES`, default 5 (Python's http_backoff). */
export function maxRetries(): number {
  return Math.floor(numberEnv('HUBTUNE_HUB_MAX_RETRIES', 5));
}

/** First backoff wait in ms, doubled each retry up to 8 s: `HUBTUNE_HUB_RETRY_BASE_MS`, default 1000. */
export function retryBaseMs(): number {
  return numberEnv('HUBTUNE_HUB_RETRY_BASE_MS', 1000);
}

/** Most bytes an API answer (JSON: repo info, tree pages) may have: `HUBTUNE_HUB_MAX_API_BYTES`, default 64 MB. */
export function maxApiBytes(): number {
  return numberEnv('HUBTUNE_HUB_MAX_API_BYTES', 64 * 1024 * 1024) || 64 * 1024 * 1024;
}

/** Longest wait for a 429's RateLimit reset or Retry-After: `HUBTUNE_HUB_MAX_RATE_LIMIT_WAIT` seconds, default 300 (the Hub's window). */
export function maxRateLimitWaitMs(): number {
  return numberEnv('HUBTUNE_HUB_MAX_RATE_LIMIT_WAIT', 300) * 1000;
}
