// snapshotDownload: a whole repo (or the files matching patterns) at one commit into the
// Python-compatible cache; returns `.../snapshots/<commit>`.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { datasetInfo, listFiles, modelInfo } from '@huggingface/hub';
import {
  COMMIT_HASH_RE,
  blobPath,
  cachedCommit,
  checkRepoId,
  checkRepoPath,
  pointerPath,
  snapshotFolder,
  storageFolder,
  writeRef,
} from './cache';
import { blobMatches, fetchBlob, linkPointer, pointerMatches } from './download';
import { checkBlobName, ensureDirInside, realFoldersUpTo, removeFileInside } from './cache-jail';
import { hubCacheDir, hubEndpoint, isOffline, resolveToken } from './env';
import { HubError, HubHttpError, OfflineModeError, RevisionNotFoundError, UnsafePathError, type RepoType } from './errors';
import { filterRepoPaths } from './fnmatch';
import { hubFetch, type HubRequestContext } from './http';
import { resolveUrl } from './hf-hub-download';
import { createProgress } from './progress';

export interface SnapshotDownloadParams {
  /** `org/name` (or `name`). */
  repoId: string;
  /** Default `model`. */
  repoType?: RepoType;
  /** Branch, tag or commit hash. Default `main`. */
  revision?: string;
  /** Only files matching one of these fnmatch patterns (`*` also matches `/`; `dir/` means `dir/*`). */
  allowPatterns?: string | string[];
  /** Skip files matching one of these fnmatch patterns. */
  ignorePatterns?: string | string[];
  /** Cache folder. Default `$HF_HUB_CACHE` or `$HF_HOME/hub`. */
  cacheDir?: string;
  /** Token; `false` sends none. Default: `$HF_TOKEN` or the token file. */
  token?: string | false;
  /** Use the cache only, never the network. Default false (true when HF_HUB_OFFLINE is set). */
  localFilesOnly?: boolean;
  /** Hub URL. Default `$HF_ENDPOINT` or https://huggingface.co. */
  endpoint?: string;
  /** Re-download every file. Default false. */
  forceDownload?: boolean;
  /** Files fetched at once. Default 8 (Python's max_workers). */
  maxWorkers?: number;
}

interface RepoFileEntry {
  path: string;
  etag: string;
  size: number;
}

function fromCache(root: string, storage: string, repoId: string, revision: string, offline: boolean, cause?: unknown): string {
  const commit = cachedCommit(storage, revision);
  const folder = commit && snapshotFolder(storage, commit);
  if (folder && existsSync(folder) && realFoldersUpTo(root, `${folder}/.`)) return folder;
  if (cause) throw cause;
  const rev = revision !== 'main' ? ` (revision ${revision})` : '';
  throw new OfflineModeError(
    offline
      ? `offline and not in the cache: ${repoId}${rev}: unset HF_HUB_OFFLINE and download it first`
      : `not in the cache: ${repoId}${rev} and localFilesOnly is set: download it first`,
  );
}

/** The commit a revision points to, and the repo's files there (tree listing, paged). */
async function listRepo(ctx: HubRequestContext & { repoId: string; repoType: RepoType; revision: string }): Promise<{ commit: string; files: RepoFileEntry[] }> {
  const f = hubFetch(ctx);
  const info =
    ctx.repoType === 'dataset'
      ? await datasetInfo({ name: ctx.repoId, revision: ctx.revision, hubUrl: ctx.endpoint, fetch: f, additionalFields: ['sha'] })
      : await modelInfo({ name: ctx.repoId, revision: ctx.revision, hubUrl: ctx.endpoint, fetch: f, additionalFields: ['sha'] });
  const commit = (info as { sha?: string }).sha;
  if (!commit || !COMMIT_HASH_RE.test(commit)) {
    throw new HubHttpError(`${ctx.endpoint} gave no commit hash for ${ctx.repoId} at "${ctx.revision}": check that HF_ENDPOINT points at a Hugging Face Hub`);
  }
  const files: RepoFileEntry[] = [];
  for await (const e of listFiles({ repo: { type: ctx.repoType, name: ctx.repoId }, revision: commit, recursive: true, hubUrl: ctx.endpoint, fetch: f })) {
    if (e.type !== 'file') continue;
    const etag = e.lfs?.oid ?? e.oid;
    if (!etag) throw new HubHttpError(`${ctx.endpoint} listed ${e.path} without an oid: check HF_ENDPOINT`);
    checkRepoPath(e.path, ctx.repoId);
    // The oid becomes a file name in the cache, the size the most bytes accepted for it.
    checkBlobName(etag, ctx.repoId, e.path);
    const size = e.lfs?.size ?? e.size;
    if (!Number.isSafeInteger(size) || size < 0) {
      throw new HubHttpError(`${ctx.endpoint} listed ${ctx.repoId}/${e.path} with an invalid size: check that HF_ENDPOINT points at a Hugging Face Hub`);
    }
    files.push({ path: e.path, etag, size });
  }
  return { commit, files };
}

/**
 * Downloads a repo snapshot (optionally filtered) into the cache with huggingface_hub's
 * rules and returns the absolute snapshot folder. Unchanged files (same etag and size) are
 * not fetched again. Offline (HF_HUB_OFFLINE or `localFilesOnly`) it answers from the cache.
 */
export async function snapshotDownload(params: SnapshotDownloadParams): Promise<string> {
  const repoType = params.repoType ?? 'model';
  const repoId = checkRepoId(params.repoId);
  const revision = params.revision ?? 'main';
  const root = resolve(params.cacheDir ?? hubCacheDir());
  const storage = storageFolder(root, repoId, repoType);
  const offline = isOffline();
  if (offline || params.localFilesOnly) return fromCache(root, storage, repoId, revision, offline);

  const endpoint = (params.endpoint ?? hubEndpoint()).replace(/\/+$/, '');
  const ctx = { endpoint, token: resolveToken(params.token), repoId, repoType, revision };
  let listing: { commit: string; files: RepoFileEntry[] };
  try {
    listing = await listRepo(ctx);
  } catch (err) {
    // Like Python: any failure but a missing revision falls back to a cached snapshot (never a refused server answer).
    if (err instanceof RevisionNotFoundError || err instanceof UnsafePathError || params.forceDownload || !(err instanceof HubError)) throw err;
    return fromCache(root, storage, repoId, revision, false, err);
  }
  const { commit } = listing;
  const wanted = new Set(filterRepoPaths(listing.files.map((f) => f.path), params.allowPatterns, params.ignorePatterns));
  const files = listing.files.filter((f) => wanted.has(f.path));
  writeRef(root, storage, revision, commit);

  // Decide which files need bytes.
  const todo: RepoFileEntry[] = [];
  for (const f of files) {
    const pointer = pointerPath(storage, commit, f.path);
    if (!params.forceDownload) {
      if (await pointerMatches(root, storage, pointer, f.etag, f.size)) continue;
      const blob = blobPath(storage, f.etag);
      if (realFoldersUpTo(root, blob) && (await blobMatches(blob, f.etag, f.size))) {
        linkPointer(root, storage, blob, pointer);
        continue;
      }
    }
    removeFileInside(root, pointer);
    removeFileInside(root, blobPath(storage, f.etag));
    todo.push(f);
  }
  const folder = snapshotFolder(storage, commit);
  ensureDirInside(root, folder);
  const progress = createProgress(`Fetching ${todo.length} files`, todo.reduce((s, f) => s + f.size, 0), todo.length);
  try {
    // Same blob under two paths: fetch it once.
    const byEtag = new Map<string, RepoFileEntry[]>();
    for (const f of todo) byEtag.set(f.etag, [...(byEtag.get(f.etag) ?? []), f]);
    const jobs = [...byEtag.values()];
    let next = 0;
    let failed = false;
    const worker = async () => {
      while (!failed && next < jobs.length) {
        const group = jobs[next++];
        const first = group[0];
        const fctx = { ...ctx, revision: commit, filename: first.path };
        const blob = await fetchBlob({
          root,
          storage,
          etag: first.etag,
          size: first.size,
          url: resolveUrl(endpoint, repoId, repoType, commit, first.path),
          // The resolve URL redirects to a freshly signed CDN URL each time: start from it again after a 403.
          refreshUrl: async () => resolveUrl(endpoint, repoId, repoType, commit, first.path),
          fetchImpl: hubFetch(fctx, { throwOnError: false, maxBodyBytes: Infinity }),
          ctx: fctx,
          onBytes: (n) => progress.add(n),
        }).catch((err) => {
          failed = true;
          throw err;
        });
        for (const f of group) {
          linkPointer(root, storage, blob, pointerPath(storage, commit, f.path));
          progress.fileDone();
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(params.maxWorkers ?? 8, jobs.length)) }, worker));
  } finally {
    progress.stop();
  }
  return folder;
}
