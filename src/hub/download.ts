// Internals shared by hfHubDownload and snapshotDownload: fetch one blob into
// `blobs/<etag>` through `<etag>.incomplete` (resumed with Range), verify it, and link the
// snapshot entry to it with a relative symlink.
import { createHash } from 'node:crypto';
import { constants, createReadStream, existsSync, lstatSync, realpathSync, symlinkSync, copyFileSync, renameSync } from 'node:fs';
import { lstat, open } from 'node:fs/promises';
import { dirname, relative } from 'node:path';
import { downloadTimeoutMs, maxRetries } from './env';
import { HubError, HubHttpError, IntegrityError, UnsafePathError } from './errors';
import { backoffMs, raiseForStatus, sleep, type HubRequestContext } from './http';
import { blobPath } from './cache';
import { redactSecrets } from './redact';
import { O_NOFOLLOW, pointerInside, prepareFile, realFoldersUpTo, removeFileInside } from './cache-jail';

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
    st = lstatSync(path);
  } catch {
    return false;
  }
  if (!st.isFile()) return false;
  if (size !== undefined && st.size !== size) return false;
  const kind = digestKind(etag);
  if (kind === 'git-sha1' && st.size <= SMALL_FILE) return (await fileDigest(path, kind, st.size)) === etag;
  return true;
}

/**
 * True when the snapshot entry `pointer` lies in real folders of the cache `root`, resolves to a
 * regular file inside the repo folder `storage`, and that file matches what the Hub announced.
 */
export async function pointerMatches(root: string, storage: string, pointer: string, etag: string, size: number | undefined): Promise<boolean> {
  if (!realFoldersUpTo(root, pointer) || !pointerInside(storage, pointer)) return false;
  return blobMatches(realpathSync(pointer), etag, size);
}

/**
 * Creates (or replaces) `pointer` as a relative symlink to `blob`; copies where symlinks fail.
 * Both lie in the repo folder `storage` under the cache `root`; the link must resolve there.
 */
export function linkPointer(root: string, storage: string, blob: string, pointer: string): void {
  prepareFile(root, pointer);
  removeFileInside(root, pointer);
  try {
    symlinkSync(relative(dirname(pointer), blob), pointer);
  } catch {
    const tmp = `${pointer}.incomplete`;
    removeFileInside(root, tmp);
    copyFileSync(blob, tmp, constants.COPYFILE_EXCL);
    renameSync(tmp, pointer);
  }
  if (!pointerInside(storage, pointer)) {
    removeFileInside(root, pointer);
    throw new UnsafePathError(`refusing snapshot entry ${pointer}: it does not resolve inside ${storage}; remove that folder from the cache and run again`);
  }
}

export interface FetchBlobParams {
  /** Real path of the cache root (HF_HUB_CACHE): nothing is written outside it. */
  root: string;
  storage: string;
  etag: string;
  /** Expected size in bytes, when the Hub announced it. */
  size?: number;
  /** URL to GET (resolve URL or its redirect target). */
  url: string;
  fetchImpl: typeof fetch;
  ctx: HubRequestContext;
  onBytes?: (n: number) => void;
  /**
   * A fresh download URL (a new HEAD) for when a signed CDN URL answers 403, as it does once it has
   * expired (a long or resumed download); the partial file is resumed from there.
   */
  refreshUrl?: () => Promise<string>;
}

/** Signed-URL refreshes per download before a 403 is final. */
const MAX_URL_REFRESHES = 2;

class StreamInterrupted extends Error {}

/** GET following redirects by hand, so the token goes to the endpoint only (hubFetch decides per URL). */
async function getFollowing(url: string, headers: Record<string, string>, fetchImpl: typeof fetch): Promise<{ res: Response; url: string }> {
  for (let i = 0; i < 10; i++) {
    const res = await fetchImpl(url, { headers, redirect: 'manual' });
    const loc = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && loc) {
      await res.body?.cancel().catch(() => {});
      url = new URL(loc, url).href;
      continue;
    }
    return { res, url };
  }
  throw new HubHttpError(`too many redirects while downloading ${url}: check HF_ENDPOINT`);
}

function diskError(err: unknown, path: string, written: number): HubError {
  const code = (err as { code?: string })?.code;
  const what =
    code === 'ENOSPC'
      ? 'no space left on device'
      : code === 'EDQUOT'
        ? 'disk quota exceeded'
        : code === 'EFBIG'
          ? 'file size limit reached'
          : `cannot write (${code ?? (err as Error)?.message})`;
  return new HubError(
    `${what} while writing ${path}: free some space (or set HF_HUB_CACHE) and run again; the ${written} bytes kept are resumed`,
    { cause: err },
  );
}

/** Opens the partial download for writing without following a link planted at its name. */
async function openIncomplete(root: string, incomplete: string, append: boolean) {
  prepareFile(root, incomplete);
  const flags = constants.O_WRONLY | constants.O_CREAT | O_NOFOLLOW | (append ? constants.O_APPEND : constants.O_TRUNC);
  try {
    return await open(incomplete, flags, 0o644);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ELOOP') {
      throw new UnsafePathError(`refusing to write ${incomplete}: it is a symbolic link; remove it from the cache and run again`);
    }
    throw err;
  }
}

/** Size of a partial download already in the cache (0 when absent; a link or folder there is removed or refused). */
async function partialSize(root: string, incomplete: string): Promise<number> {
  let st;
  try {
    st = await lstat(incomplete);
  } catch {
    return 0;
  }
  if (st.isFile()) return st.size;
  removeFileInside(root, incomplete);
  return 0;
}

/** Downloads one blob into the cache (resuming `<etag>.incomplete`) and returns its path. */
export async function fetchBlob(p: FetchBlobParams): Promise<string> {
  const blob = blobPath(p.storage, p.etag);
  const incomplete = `${blob}.incomplete`;
  prepareFile(p.root, blob);
  const retries = maxRetries();
  const idleMs = downloadTimeoutMs();
  const where = `${p.ctx.repoId}/${p.ctx.filename}`;
  let integrityRetried = false;
  let failures = 0;
  let url = p.url;
  let refreshes = 0;
  for (;;) {
    let resume = await partialSize(p.root, incomplete);
    if (p.size !== undefined && resume > p.size) {
      removeFileInside(p.root, incomplete);
      resume = 0;
    }
    const complete = p.size !== undefined && resume === p.size && resume > 0;
    if (!complete) {
      const headers: Record<string, string> = { 'accept-encoding': 'identity' };
      if (resume > 0) headers.range = `bytes=${resume}-`;
      const got = await getFollowing(url, headers, p.fetchImpl);
      const res = got.res;
      if (res.status === 403 && p.refreshUrl && refreshes < MAX_URL_REFRESHES && new URL(got.url).origin !== new URL(p.ctx.endpoint).origin) {
        // An expired signed CDN URL: ask the Hub again (a fresh HEAD) and resume.
        await res.body?.cancel().catch(() => {});
        refreshes++;
        url = await p.refreshUrl();
        continue;
      }
      if (res.status === 416) {
        await res.body?.cancel().catch(() => {});
        removeFileInside(p.root, incomplete);
        if (++failures > retries) throw new HubHttpError(`the Hub refused to resume ${where} (416): run again`);
        continue;
      }
      if (res.status !== 200 && res.status !== 206) await raiseForStatus(res, p.ctx);
      const start = res.status === 200 ? 0 : resume;
      // Never take more than announced: the tree size or X-Linked-Size, else this answer's Content-Length.
      const length = res.headers.get('content-length');
      const declared = length !== null && /^\d+$/.test(length) ? start + Number(length) : undefined;
      const limit = p.size ?? declared;
      if (p.size !== undefined && declared !== undefined && declared > p.size) {
        await res.body?.cancel().catch(() => {});
        throw new HubHttpError(`the server announced ${declared} bytes for ${where} instead of ${p.size}: check that HF_ENDPOINT points at a Hugging Face Hub`);
      }
      let fh;
      try {
        fh = await openIncomplete(p.root, incomplete, res.status !== 200);
      } catch (err) {
        await res.body?.cancel().catch(() => {});
        if (err instanceof HubError) throw err;
        throw diskError(err, incomplete, resume);
      }
      let written = start;
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
          if (limit !== undefined && written + next.value.byteLength > limit) {
            reader.cancel().catch(() => {});
            throw new HubHttpError(`the server sent more than the ${limit} bytes announced for ${where}: check that HF_ENDPOINT points at a Hugging Face Hub`);
          }
          try {
            // A write can be short (a full disk, a file-size limit): loop until it fails or is whole.
            for (let off = 0; off < next.value.byteLength; ) {
              const { bytesWritten } = await fh.write(next.value, off, next.value.byteLength - off);
              off += bytesWritten;
              written += bytesWritten;
            }
          } catch (err) {
            reader.cancel().catch(() => {});
            throw diskError(err, incomplete, written);
          }
          p.onBytes?.(next.value.byteLength);
        }
      } catch (err) {
        await fh.close().catch(() => {});
        if (err instanceof StreamInterrupted) {
          if (++failures > retries) {
            throw new HubHttpError(
              `download of ${where} kept failing (${redactSecrets(err.message, [p.ctx.token], 120)}) after ${failures} attempts: run again to resume from the ${written} bytes kept`,
            );
          }
          await sleep(backoffMs(failures - 1));
          continue;
        }
        if (err instanceof HubHttpError) removeFileInside(p.root, incomplete);
        throw err;
      }
      try {
        await fh.close();
      } catch (err) {
        throw diskError(err, incomplete, written);
      }
      if (p.size !== undefined && written < p.size) {
        if (++failures > retries) {
          throw new HubHttpError(`download of ${where} ended early after ${failures} attempts: run again to resume`);
        }
        await sleep(backoffMs(failures - 1));
        continue;
      }
    }
    // Verify size and hash before the blob becomes visible.
    const size = (await lstat(incomplete)).size;
    const kind = digestKind(p.etag);
    const bad =
      p.size !== undefined && size !== p.size
        ? `size ${size} instead of ${p.size}`
        : kind && (await fileDigest(incomplete, kind, size)) !== p.etag
          ? `${kind === 'sha256' ? 'sha256' : 'git sha1'} differs from ${p.etag}`
          : undefined;
    if (bad) {
      removeFileInside(p.root, incomplete);
      p.onBytes?.(-size);
      if (!integrityRetried) {
        integrityRetried = true;
        continue;
      }
      throw new IntegrityError(`downloaded ${where} is corrupt (${bad}) twice: run again later or report it to the repo owner`);
    }
    // rename() replaces a link at `blob` rather than following it; a folder there is refused.
    prepareFile(p.root, blob);
    renameSync(incomplete, blob);
    return blob;
  }
}

export { existsSync };
