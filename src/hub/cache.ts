// Python huggingface_hub's cache layout:
//   <cache>/models--org--name/{blobs/<etag>, snapshots/<commit>/<path> -> ../../blobs/<etag>,
//   refs/<revision> (a commit hash, no newline), .no_exist/<commit>/<path> (empty markers)}
import { readFileSync, writeFileSync } from 'node:fs';
import { writeFileAtomicSync } from '../util/atomic-file';
import { dirname, join, resolve } from 'node:path';
import { UnsafePathError, type RepoType } from './errors';
import { ensureDirInside, prepareFile } from './cache-jail';

export const COMMIT_HASH_RE = /^[0-9a-f]{40}$/;

/** `models--org--name` / `datasets--org--name`, as Python's repo_folder_name. */
export function repoFolderName(repoId: string, repoType: RepoType = 'model'): string {
  return [`${repoType}s`, ...repoId.split('/')].join('--');
}

/** Absolute path of a repo's folder in the cache. */
export function storageFolder(cacheDir: string, repoId: string, repoType: RepoType = 'model'): string {
  return resolve(cacheDir, repoFolderName(repoId, repoType));
}

/** Refuses a repo file path that could escape the snapshot folder; returns it unchanged otherwise. */
export function checkRepoPath(path: string, repoId: string): string {
  const bad =
    typeof path !== 'string' ||
    path === '' ||
    path.includes('\0') ||
    path.includes('\\') ||
    path.startsWith('/') ||
    /^[A-Za-z]:/.test(path) ||
    path.split('/').some((seg) => seg === '..' || seg === '.' || seg === '');
  if (bad) {
    throw new UnsafePathError(
      `refusing unsafe file name ${JSON.stringify(String(path).replace(/\0/g, '\\0'))} in ${repoId}: names must be relative, without "..", backslashes or NUL`,
    );
  }
  return path;
}

/** Checks a repo id (`name` or `org/name`). */
export function checkRepoId(repoId: string): string {
  if (typeof repoId !== 'string' || !/^[A-Za-z0-9][\w.-]*(\/[\w.-]+)?$/.test(repoId) || repoId.includes('..') || repoId.endsWith('.git')) {
    throw new UnsafePathError(`invalid repo id ${JSON.stringify(repoId)}: use "name" or "org/name" (letters, digits, "-", "_", ".")`);
  }
  return repoId;
}

/** Commit hash a revision resolves to in the cache (itself when it is a hash), or undefined. */
export function cachedCommit(storage: string, revision: string): string | undefined {
  if (COMMIT_HASH_RE.test(revision)) return revision;
  try {
    const c = readFileSync(join(storage, 'refs', revision), 'utf8').trim();
    return COMMIT_HASH_RE.test(c) ? c : undefined;
  } catch {
    return undefined;
  }
}

/** Writes `refs/<revision>` = commit (Python writes it for every non-hash revision), inside the cache `root`. */
export function writeRef(root: string, storage: string, revision: string, commit: string): void {
  if (revision === commit || COMMIT_HASH_RE.test(revision)) return;
  checkRepoPath(revision, 'revision');
  const p = join(storage, 'refs', revision);
  prepareFile(root, p);
  try {
    if (readFileSync(p, 'utf8').trim() === commit) return;
  } catch {
    /* absent */
  }
  writeFileAtomicSync(p, commit);
}

export function snapshotFolder(storage: string, commit: string): string {
  return join(storage, 'snapshots', commit);
}

export function pointerPath(storage: string, commit: string, filename: string): string {
  return join(storage, 'snapshots', commit, ...filename.split('/'));
}

export function blobPath(storage: string, etag: string): string {
  return join(storage, 'blobs', etag);
}

export function noExistPath(storage: string, commit: string, filename: string): string {
  return join(storage, '.no_exist', commit, ...filename.split('/'));
}

/** Records that `filename` does not exist at `commit` (Python's `.no_exist` marker), inside the cache `root`. */
export function markNoExist(root: string, storage: string, commit: string, filename: string): void {
  try {
    const p = noExistPath(storage, commit, filename);
    ensureDirInside(root, dirname(p));
    writeFileSync(p, '', { flag: 'wx' }); // O_EXCL: never through a link
  } catch {
    /* a marker is an optimisation only; it may exist already */
  }
}

/** Python's _normalize_etag: drops a weak `W/` prefix and the quotes. */
export function normalizeEtag(etag: string | null | undefined): string | undefined {
  if (!etag) return undefined;
  return etag.replace(/^W\//, '').replace(/^"+|"+$/g, '') || undefined;
}
