// Atomic file and folder writes: a reader (or a crash) never sees a half-written file or
// checkpoint. Files: temp file in the same folder, fsync, rename over the target, fsync the folder.
// Folders (checkpoints): build in `<final>.tmp-<pid>`, fsync everything, rename into place.
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fsyncDirSync } from '../util/atomic-file';

/** Names of in-progress (or abandoned) folders from writeDirAtomic: never a checkpoint. */
export const TMP_DIR_PATTERN = /\.tmp-\d+$/;
const OLD_DIR_PATTERN = /\.old-\d+$/;

/** True for a name writeDirAtomic uses for unfinished or replaced folders. */
export function isTempDirName(name: string): boolean {
  return TMP_DIR_PATTERN.test(name) || OLD_DIR_PATTERN.test(name);
}

export { writeFileAtomic, writeFileAtomicSync } from '../util/atomic-file';

function fsyncTreeSync(dir: string): void {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) fsyncTreeSync(p);
    else if (entry.isFile()) {
      const fd = fs.openSync(p, 'r');
      try { fs.fsyncSync(fd); } finally { fs.closeSync(fd); }
    }
  }
  fsyncDirSync(dir);
}

function pidAlive(pid: number): boolean {
  if (pid === process.pid) return false; // our own leftovers are stale by definition here
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes leftovers of interrupted writeDirAtomic calls in `parentDir` (`*.tmp-<pid>` and
 * `*.old-<pid>` folders whose process is gone or is this one). Returns the removed names.
 */
export function cleanStaleTempDirs(parentDir: string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(parentDir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const m = /\.(?:tmp|old)-(\d+)$/.exec(name);
    if (!m || pidAlive(Number(m[1]))) continue;
    fs.rmSync(join(parentDir, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}

/**
 * Builds a folder atomically: `fill(tmpDir)` writes into `<finalDir>.tmp-<pid>`; then every file is
 * fsynced and the folder renamed to `finalDir` (replacing an existing one). If `fill` throws, the
 * temp folder is removed and the error rethrown. Stale temp folders next to it are removed first.
 */
export async function writeDirAtomic(finalDir: string, fill: (tmpDir: string) => Promise<void> | void): Promise<void> {
  const parent = dirname(finalDir);
  await fsp.mkdir(parent, { recursive: true });
  cleanStaleTempDirs(parent);
  const tmp = `${finalDir}.tmp-${process.pid}`;
  await fsp.rm(tmp, { recursive: true, force: true });
  await fsp.mkdir(tmp);
  try {
    await fill(tmp);
    fsyncTreeSync(tmp);
  } catch (err) {
    await fsp.rm(tmp, { recursive: true, force: true });
    throw err;
  }
  const old = `${finalDir}.old-${process.pid}`;
  let replaced = false;
  if (fs.existsSync(finalDir)) {
    await fsp.rm(old, { recursive: true, force: true });
    await fsp.rename(finalDir, old);
    replaced = true;
  }
  await fsp.rename(tmp, finalDir);
  fsyncDirSync(parent);
  if (replaced) await fsp.rm(old, { recursive: true, force: true });
}
