// Internals shared by hfHubDownload and snapshotDownload: fetch one blob into
// `blobs/<etag>` through `<etag>.incomplete` (resumed with Range), verify it, and link the
// snapshot entry to it with a relative symlink.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, lstatSync, mkdirSync, statSync, symlinkSync, unlinkSync, copyFileSync, renameSync } from 'node:fs';
import { open, stat, truncate, unlink } from 'node:fs/promises';
import { dirname, relative } from 'node:path';
import { downloadTimeoutMs, maxRetries } from './env';
import { HubError, HubHttpError, IntegrityError } from './errors';
import { backoffMs, raiseForStatus, sleep, type HubRequestContext } from './http';
import { blobPath } from './cache';

/** Git's blob id: sha1("blob <size>\0" + content). */
async function fileDigest(path: string, kind: 'sha256' | 'git-sha1', size: number): Promise<string> {
  const h = createHash(kind === 'sha256' ? 'sha256' : 'sha1');
  if (kind === 'git-sha1') h.update(`blob ${size}\0`);
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

function digestKind(etag: string): 'sha256' | 'git-sha1' | undefined {
  if (/^[0-9a-f]{64}$/.test(etag)) return 'sha256';
  if (/^[0-9a-f]{40}$/.test(etag)) return 'git-sha1';
  return undefined;
}

/** Size limit under which a cached regular (git sha1) file is re-hashed when reused online. */
const SMALL_FILE = 10 * 1024 * 1024;

/**
 * True when the cached blob matches what the Hub announced: same size, and for small
 * non-LFS files the same git sha1 (LFS blobs are hashed when downloaded, not on reuse).
 */
export async function blobMatches(path: string, etag: string, size: number | undefined): Promise<boolean> {
  let st;
  try {
    st = statSync(path);
  } catch {
    return false;
  }
  if (!st.isFile()) return false;
  if (size !== undefined && st.size !== size) return false;
  const kind = digestKind(etag);
  if (kind === 'git-sha1' && st.size <= SMALL_FILE) return (await fileDigest(path, kind, st.size)) === etag;
  return true;
}

/** Creates (or replaces) `pointer` as a relative symlink to `blob`; copies where symlinks fail. */
export function linkPointer(blob: string, pointer: string): void {
  mkdirSync(dirname(pointer), { recursive: true });
  try {
    lstatSync(pointer);
    unlinkSync(pointer);
  } catch {
    /* absent */
  }
  try {
    symlinkSync(relative(dirname(pointer), blob), pointer);
  } catch {
    const tmp = `${pointer}.incomplete`;
    copyFileSync(blob, tmp);
    renameSync(tmp, pointer);
  }
}

/** Removes a snapshot entry (even a dangling symlink). */
export function removeIfPresent(path: string): void {
  try {
    lstatSync(path);
    unlinkSync(path);
  } catch {
    /* absent */
  }
}

export interface FetchBlobParams {
  storage: string;
  etag: string;
  /** Expected size in bytes, when the Hub announced it. */
  size?: number;
  /** URL to GET (resolve URL or its redirect target). */
  url: string;
  fetchImpl: typeof fetch;
  ctx: HubRequestContext;
  onBytes?: (n: number) => void;
}

class StreamInterrupted extends Error {}

/** GET following redirects by hand, so the token goes to the endpoint only (hubFetch decides per URL). */
async function getFollowing(url: string, headers: Record<string, string>, fetchImpl: typeof fetch): Promise<Response> {
  for (let i = 0; i < 10; i++) {
    const res = await fetchImpl(url, { headers, redirect: 'manual' });
    const loc = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && loc) {
      await res.body?.cancel().catch(() => {});
      url = new URL(loc, url).href;
      continue;
    }
    return res;
  }
  throw new HubHttpError(`too many redirects while downloading ${url}: check HF_ENDPOINT`);
}

function diskError(err: unknown, path: string, written: number): HubError {
  const code = (err as { code?: string })?.code;
  const what = code === 'ENOSPC' ? 'no space left on device' : code === 'EDQUOT' ? 'disk quota exceeded' : `cannot write (${code ?? (err as Error)?.message})`;
  return new HubError(
    `${what} while writing ${path}: free some space (or set HF_HUB_CACHE) and run again; the ${written} bytes kept are resumed`,
    { cause: err },
  );
}

/** Downloads one blob into the cache (resuming `<etag>.incomplete`) and returns its path. */
export async function fetchBlob(p: FetchBlobParams): Promise<string> {
  const blob = blobPath(p.storage, p.etag);
  const incomplete = `${blob}.incomplete`;
  mkdirSync(dirname(blob), { recursive: true });
  const retries = maxRetries();
  const idleMs = downloadTimeoutMs();
  let integrityRetried = false;
  let failures = 0;
  for (;;) {
    let resume = 0;
    try {
      resume = (await stat(incomplete)).size;
    } catch {
      resume = 0;
    }
    if (p.size !== undefined && resume > p.size) {
      await truncate(incomplete, 0);
      resume = 0;
    }
    const complete = p.size !== undefined && resume === p.size && resume > 0;
    if (!complete) {
      let res: Response;
      const headers: Record<string, string> = { 'accept-encoding': 'identity' };
      if (resume > 0) headers.range = `bytes=${resume}-`;
      res = await getFollowing(p.url, headers, p.fetchImpl);
      if (res.status === 416) {
        await res.body?.cancel().catch(() => {});
        await unlink(incomplete).catch(() => {});
        if (++failures > retries) throw new HubHttpError(`the Hub refused to resume ${p.ctx.repoId}/${p.ctx.filename} (416): run again`);
        continue;
      }
      if (res.status !== 200 && res.status !== 206) await raiseForStatus(res, p.ctx);
      let fh;
      try {
        fh = await open(incomplete, res.status === 200 ? 'w' : 'a');
      } catch (err) {
        await res.body?.cancel().catch(() => {});
        throw diskError(err, incomplete, resume);
      }
      let written = res.status === 200 ? 0 : resume;
      try {
        if (res.status === 200 && resume > 0) p.onBytes?.(-resume);
        const reader = res.body!.getReader();
        for (;;) {
          let timer: NodeJS.Timeout | undefined;
          const next = await Promise.race([
            reader.read(),
            new Promise<never>((_, rej) => {
              timer = setTimeout(() => rej(new StreamInterrupted('timeout')), idleMs);
            }),
          ]).catch((err) => {
            reader.cancel().catch(() => {});
            throw err instanceof StreamInterrupted ? err : new StreamInterrupted(String(err?.message ?? err));
          }).finally(() => clearTimeout(timer));
          if (next.done) break;
          try {
            await fh.write(next.value);
          } catch (err) {
            reader.cancel().catch(() => {});
            throw diskError(err, incomplete, written);
          }
          written += next.value.byteLength;
          p.onBytes?.(next.value.byteLength);
        }
      } catch (err) {
        await fh.close().catch(() => {});
        if (err instanceof StreamInterrupted) {
          if (++failures > retries) {
            throw new HubHttpError(
              `download of ${p.ctx.repoId}/${p.ctx.filename} kept failing (${err.message}) after ${failures} attempts: run again to resume from the ${written} bytes kept`,
            );
          }
          await sleep(backoffMs(failures - 1));
          continue;
        }
        throw err;
      }
      try {
        await fh.close();
      } catch (err) {
        throw diskError(err, incomplete, written);
      }
      if (p.size !== undefined && written < p.size) {
        if (++failures > retries) {
          throw new HubHttpError(`download of ${p.ctx.repoId}/${p.ctx.filename} ended early after ${failures} attempts: run again to resume`);
        }
        await sleep(backoffMs(failures - 1));
        continue;
      }
    }
    // Verify size and hash before the blob becomes visible.
    const size = (await stat(incomplete)).size;
    const kind = digestKind(p.etag);
    const bad =
      p.size !== undefined && size !== p.size
        ? `size ${size} instead of ${p.size}`
        : kind && (await fileDigest(incomplete, kind, size)) !== p.etag
          ? `${kind === 'sha256' ? 'sha256' : 'git sha1'} differs from ${p.etag}`
          : undefined;
    if (bad) {
      await unlink(incomplete).catch(() => {});
      p.onBytes?.(-size);
      if (!integrityRetried) {
        integrityRetried = true;
        continue;
      }
      throw new IntegrityError(`downloaded ${p.ctx.repoId}/${p.ctx.filename} is corrupt (${bad}) twice: run again later or report it to the repo owner`);
    }
    renameSync(incomplete, blob);
    return blob;
  }
}

export { existsSync };
