// hfHubDownload: one file into the Python-compatible cache; returns its snapshot path.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  COMMIT_HASH_RE,
  blobPath,
  cachedCommit,
  checkRepoId,
  checkRepoPath,
  markNoExist,
  noExistPath,
  normalizeEtag,
  pointerPath,
  storageFolder,
  writeRef,
} from './cache';
import { blobMatches, fetchBlob, linkPointer, pointerMatches } from './download';
import { checkBlobName, pointerInside, realFoldersUpTo, removeFileInside } from './cache-jail';
import { hubCacheDir, hubEndpoint, isOffline, resolveToken } from './env';
import {
  EntryNotFoundError,
  HubError,
  HubHttpError,
  OfflineModeError,
  RevisionNotFoundError,
  UnsafePathError,
  type RepoType,
} from './errors';
import { hubFetch, isRelativeLocation, raiseForStatus, type HubRequestContext } from './http';
import { createProgress } from './progress';

export interface HfHubDownloadParams {
  /** `org/name` (or `name`). */
  repoId: string;
  /** Path of the file in the repo, `/`-separated. */
  filename: string;
  /** Folder inside the repo, prefixed to `filename`. */
  subfolder?: string;
  /** Default `model`. */
  repoType?: RepoType;
  /** Branch, tag or commit hash. Default `main`. */
  revision?: string;
  /** Cache folder. Default `$HF_HUB_CACHE` or `$HF_HOME/hub`. */
  cacheDir?: string;
  /** Token; `false` sends none. Default: `$HF_TOKEN` or the token file. */
  token?: string | false;
  /** Use the cache only, never the network. Default false (true when HF_HUB_OFFLINE is set). */
  localFilesOnly?: boolean;
  /** Hub URL. Default `$HF_ENDPOINT` or https://huggingface.co. */
  endpoint?: string;
  /** Download even when the cache has the file. Default false. */
  forceDownload?: boolean;
}

export interface FileMetadata {
  commit: string;
  etag: string;
  size?: number;
  /** Where to GET the content (the resolve URL or its redirect target). */
  location: string;
  /** Xet content hash of a file served through the Xet bridge (X-Xet-Hash); its bytes still come over plain HTTP. */
  xetHash?: string;
}

export function resolveUrl(endpoint: string, repoId: string, repoType: RepoType, revision: string, filename: string): string {
  const prefix = repoType === 'dataset' ? 'datasets/' : '';
  return `${endpoint}/${prefix}${repoId}/resolve/${encodeURIComponent(revision)}/${filename.split('/').map(encodeURIComponent).join('/')}`;
}

/** Python's get_hf_file_metadata: a HEAD on the resolve URL, following same-origin redirects only. */
export async function getFileMetadata(
  ctx: HubRequestContext & { repoId: string; repoType: RepoType; revision: string; filename: string },
  cache?: { root: string; storage: string },
): Promise<FileMetadata> {
  const f = hubFetch(ctx, { throwOnError: false });
  let url = resolveUrl(ctx.endpoint, ctx.repoId, ctx.repoType, ctx.revision, ctx.filename);
  for (let hop = 0; ; hop++) {
    const res = await f(url, {
      method: 'HEAD',
      redirect: 'manual',
      headers: { 'accept-encoding': 'identity' },
    });
    const loc = res.headers.get('location');
    const commit = res.headers.get('x-repo-commit') ?? undefined;
    const redirect = res.status >= 300 && res.status < 400 && !!loc;
    if (redirect && isRelativeLocation(loc!)) {
      // Like huggingface_hub: relative redirects (a renamed repo, /api/resolve-cache) are followed with the
      // Location's path and this URL's query; an absolute one (CDN, Xet bridge) carries the metadata.
      if (hop >= 10) throw new HubHttpError(`too many redirects from ${ctx.endpoint} for ${ctx.repoId}/${ctx.filename}: check HF_ENDPOINT`);
      const next = new URL(url);
      next.pathname = new URL(loc!, url).pathname;
      url = next.href;
      continue;
    } else if (res.status >= 400) {
      if (res.status === 404 && res.headers.get('x-error-code') === 'EntryNotFound' && commit && cache && COMMIT_HASH_RE.test(commit)) {
        markNoExist(cache.root, cache.storage, commit, ctx.filename);
      }
      await raiseForStatus(res, ctx);
    }
    const etag = normalizeEtag(res.headers.get('x-linked-etag') ?? res.headers.get('etag'));
    // A redirect's Content-Length is its own (empty) body's, not the file's.
    const sizeHeader = res.headers.get('x-linked-size') ?? (redirect ? null : res.headers.get('content-length'));
    if (!commit || !COMMIT_HASH_RE.test(commit)) {
      throw new HubHttpError(`${ctx.endpoint} did not send X-Repo-Commit for ${ctx.repoId}/${ctx.filename}: check that HF_ENDPOINT points at a Hugging Face Hub`);
    }
    if (!etag) {
      throw new HubHttpError(`${ctx.endpoint} did not send an ETag for ${ctx.repoId}/${ctx.filename}: check that HF_ENDPOINT points at a Hugging Face Hub`);
    }
    // The ETag becomes a file name in the cache: only a hash is acceptable.
    checkBlobName(etag, ctx.repoId, ctx.filename);
    const size = sizeHeader !== null && /^\d{1,15}$/.test(sizeHeader) ? Number(sizeHeader) : undefined;
    if (size === undefined) {
      throw new HubHttpError(`${ctx.endpoint} did not announce the size of ${ctx.repoId}/${ctx.filename}: check that HF_ENDPOINT points at a Hugging Face Hub`);
    }
    return { commit, etag, size, location: redirect ? new URL(loc!, url).href : url, xetHash: res.headers.get('x-xet-hash') ?? undefined };
  }
}

/** A cached snapshot entry that may be returned: reached through real folders, resolving inside the repo folder. */
function usablePointer(root: string, storage: string, pointer: string): boolean {
  return realFoldersUpTo(root, pointer) && pointerInside(storage, pointer);
}

function fromCache(root: string, storage: string, repoId: string, filename: string, revision: string, offline: boolean, cause?: unknown): string {
  const commit = cachedCommit(storage, revision);
  if (commit) {
    const pointer = pointerPath(storage, commit, filename);
    if (usablePointer(root, storage, pointer)) return pointer;
    if (existsSync(noExistPath(storage, commit, filename))) {
      throw new EntryNotFoundError(`file not found: ${repoId}/${filename} at revision "${revision}" (known from the cache): check the file name`);
    }
  }
  if (cause) throw cause;
  throw new OfflineModeError(
    offline
      ? `offline and not in the cache: ${repoId}/${filename}: unset HF_HUB_OFFLINE and download it first${revision !== 'main' ? ` (revision ${revision})` : ''}`
      : `not in the cache: ${repoId}/${filename} and localFilesOnly is set: download it first${revision !== 'main' ? ` (revision ${revision})` : ''}`,
  );
}

/**
 * Downloads one file of a repo into the cache with huggingface_hub's rules and returns the
 * absolute path of its snapshot entry (`.../snapshots/<commit>/<filename>`).
 * Offline (HF_HUB_OFFLINE or `localFilesOnly`) it answers from the cache without any request.
 */
export async function hfHubDownload(params: HfHubDownloadParams): Promise<string> {
  const repoType = params.repoType ?? 'model';
  const repoId = checkRepoId(params.repoId);
  const filename = checkRepoPath(params.subfolder ? `${params.subfolder.replace(/\/+$/, '')}/${params.filename}` : params.filename, repoId);
  const revision = params.revision ?? 'main';
  const root = resolve(params.cacheDir ?? hubCacheDir());
  const storage = storageFolder(root, repoId, repoType);
  const offline = isOffline();

  if (!params.forceDownload && COMMIT_HASH_RE.test(revision)) {
    const pointer = pointerPath(storage, revision, filename);
    if (usablePointer(root, storage, pointer)) return pointer;
  }
  if (offline || params.localFilesOnly) return fromCache(root, storage, repoId, filename, revision, offline);

  const endpoint = (params.endpoint ?? hubEndpoint()).replace(/\/+$/, '');
  const ctx = { endpoint, token: resolveToken(params.token), repoId, repoType, revision, filename };
  let meta: FileMetadata;
  try {
    meta = await getFileMetadata(ctx, { root, storage });
  } catch (err) {
    // Like Python: any failure but a missing revision or file falls back to the cache (never a refused server answer).
    if (err instanceof RevisionNotFoundError || err instanceof EntryNotFoundError || err instanceof UnsafePathError || params.forceDownload || !(err instanceof HubError)) throw err;
    return fromCache(root, storage, repoId, filename, revision, false, err);
  }
  writeRef(root, storage, revision, meta.commit);
  const pointer = pointerPath(storage, meta.commit, filename);
  const blob = blobPath(storage, meta.etag);
  if (!params.forceDownload) {
    if (await pointerMatches(root, storage, pointer, meta.etag, meta.size)) {
      // The entry may link to a blob under another name (e.g. copied caches); keep it if it matches.
      return pointer;
    }
    if (realFoldersUpTo(root, blob) && (await blobMatches(blob, meta.etag, meta.size))) {
      linkPointer(root, storage, blob, pointer);
      return pointer;
    }
  }
  // Missing, corrupt or forced: nothing broken stays visible while we fetch.
  removeFileInside(root, pointer);
  removeFileInside(root, blob);
  const progress = createProgress(filename.split('/').pop() ?? filename, meta.size ?? 0, 1);
  try {
    // A signed CDN URL that expired (403) is replaced by a fresh HEAD's, pinned to the commit found first.
    const refreshUrl = async (): Promise<string> => {
      const fresh = await getFileMetadata({ ...ctx, revision: meta.commit }, { root, storage });
      if (fresh.etag !== meta.etag) throw new HubHttpError(`${repoId}/${filename} changed on the Hub while downloading: run again`);
      return fresh.location;
    };
    await fetchBlob({ root, storage, etag: meta.etag, size: meta.size, url: meta.location, fetchImpl: hubFetch(ctx, { throwOnError: false, maxBodyBytes: Infinity }), ctx, onBytes: (n) => progress.add(n), refreshUrl });
    progress.fileDone();
  } finally {
    progress.stop();
  }
  linkPointer(root, storage, blob, pointer);
  return pointer;
}
