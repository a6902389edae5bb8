// The Hub cache is a jail: every path the client writes, renames or deletes is built from the
// cache root plus checked names, and every folder on the way (below the root) must be a real
// folder, never a symbolic link, so no write can land outside HF_HUB_CACHE. The root itself may be
// a link (a cache on another disk is common); paths keep the name the user gave it, as Python's.
import { constants, lstatSync, mkdirSync, realpathSync, unlinkSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { UnsafePathError } from './errors';
import { redactSecrets } from './redact';

/** What the Hub sends as a blob name: a git SHA-1 (regular files) or a sha256 (LFS files). */
export const BLOB_NAME_RE = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

/** `open` flags that never follow a symbolic link at the last component (0 where unsupported). */
export const O_NOFOLLOW = constants.O_NOFOLLOW ?? 0;

/** Checks a (normalized) ETag / oid before it is used as a file name under `blobs/`. */
export function checkBlobName(etag: string | undefined, repoId: string, filename: string): string {
  if (typeof etag === 'string' && BLOB_NAME_RE.test(etag)) return etag;
  throw new UnsafePathError(
    `refusing file id ${JSON.stringify(redactSecrets(String(etag ?? ''), [], 80))} sent for ${repoId}/${filename}: a Hub file id is a 40- or 64-hex hash; check that HF_ENDPOINT points at a Hugging Face Hub`,
  );
}

function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel !== '' && !rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel);
}

function refuse(path: string, why: string): never {
  throw new UnsafePathError(`refusing to write ${path}: ${why}; the Hub cache must hold only its own folders (remove it, or set HF_HUB_CACHE to a clean folder)`);
}

/** Throws unless `path` lies strictly inside `root` (lexically). */
export function assertInside(root: string, path: string): void {
  if (!isInside(root, resolve(path))) refuse(path, `it is outside the Hub cache ${root}`);
}

/**
 * Creates `dir` (inside `root`) one component at a time; each existing component below the root
 * must be a real folder. The root is created (following links above it) when missing.
 */
export function ensureDirInside(root: string, dir: string): void {
  const abs = resolve(dir);
  if (abs !== root) assertInside(root, abs);
  mkdirSync(root, { recursive: true });
  let cur = root;
  for (const part of relative(root, abs).split(sep).filter(Boolean)) {
    cur = join(cur, part);
    let st;
    try {
      st = lstatSync(cur);
    } catch {
      try {
        mkdirSync(cur);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      st = lstatSync(cur);
    }
    if (st.isSymbolicLink()) refuse(cur, 'it is a symbolic link');
    if (!st.isDirectory()) refuse(cur, 'it is not a folder');
  }
}

/**
 * Prepares to write, rename onto or delete the file `path` inside `root`: its folders exist and are
 * real, and `path` itself is not a folder. A symbolic link at `path` is fine to replace or delete
 * (the link is removed, never followed).
 */
export function prepareFile(root: string, path: string): void {
  assertInside(root, path);
  ensureDirInside(root, dirname(path));
  try {
    if (lstatSync(path).isDirectory()) refuse(path, 'a folder is in the way');
  } catch (err) {
    if (err instanceof UnsafePathError) throw err;
  }
}

/** The folders below `root` down to `dir`: all real, one missing, or one a link / not a folder (`at`). */
function foldersDownTo(root: string, dir: string): { state: 'real' | 'missing' | 'unsafe'; at?: string } {
  let cur = root;
  for (const part of relative(root, resolve(dir)).split(sep).filter(Boolean)) {
    cur = join(cur, part);
    let st;
    try {
      st = lstatSync(cur);
    } catch {
      return { state: 'missing', at: cur };
    }
    if (st.isSymbolicLink() || !st.isDirectory()) return { state: 'unsafe', at: cur };
  }
  return { state: 'real' };
}

/**
 * Deletes the file or link `path` inside `root` (a link itself, never its target). Nothing to do
 * when a folder on the way is missing; a link or file in place of a folder, or a folder at `path`,
 * is refused.
 */
export function removeFileInside(root: string, path: string): void {
  assertInside(root, path);
  const folders = foldersDownTo(root, dirname(resolve(path)));
  if (folders.state === 'missing') return;
  if (folders.state === 'unsafe') refuse(folders.at!, 'it is a symbolic link or not a folder');
  let st;
  try {
    st = lstatSync(path);
  } catch {
    return;
  }
  if (st.isDirectory()) refuse(path, 'a folder is in the way');
  try {
    unlinkSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/** True when the folders from `root` down to `path`'s parent exist and none is a symbolic link. */
export function realFoldersUpTo(root: string, path: string): boolean {
  return isInside(root, resolve(path)) && foldersDownTo(root, dirname(resolve(path))).state === 'real';
}

/** True when `path` is a regular file (not a link) reached through real folders inside `root`. */
export function isRegularFileInside(root: string, path: string): boolean {
  if (!realFoldersUpTo(root, path)) return false;
  try {
    return lstatSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * True when a snapshot entry resolves to a regular file inside the repo folder `storage` (the
 * usual `../../blobs/<etag>` link, or a copy where links are not possible).
 */
export function pointerInside(storage: string, pointer: string): boolean {
  let realStorage: string;
  let target: string;
  try {
    realStorage = realpathSync(storage);
    target = realpathSync(pointer);
    // The repo folder itself must be real (below a root that may be a link).
    if (realStorage !== join(realpathSync(dirname(resolve(storage))), basename(storage))) return false;
  } catch {
    return false;
  }
  if (!isInside(realStorage, target)) return false;
  try {
    return lstatSync(target).isFile();
  } catch {
    return false;
  }
}
