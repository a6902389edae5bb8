// The one atomic-file primitive of the project: write a temp file in the same folder, fsync it,
// rename it over the target, fsync the folder. A reader (or a crash) never sees a half-written file,
// and a failed write leaves no temp file behind.
import * as fs from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';

export function fsyncDirSync(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch (err) {
    // Some platforms/filesystems cannot fsync a directory; the rename is still atomic there.
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EINVAL' && code !== 'EBADF') throw err;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

function tempFileName(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
}

function missingFolder(path: string, err: unknown): Error {
  if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new Error(`cannot write ${path}: its folder does not exist; create ${dirname(path)} first`);
  return err as Error;
}

function commit(tmp: string, path: string, mode: number | undefined): void {
  const fd = fs.openSync(tmp, 'r+');
  try {
    if (mode !== undefined) fs.fchmodSync(fd, mode);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, path);
}

export interface AtomicOptions {
  /** File mode of the result (e.g. 0o600 for a token). */
  mode?: number;
}

/** Runs `write(tmpPath)` (which creates the temp file), then moves it atomically to `path`. */
export function replaceFileSync(path: string, write: (tmpPath: string) => void, o: AtomicOptions = {}): void {
  const tmp = tempFileName(path);
  try {
    write(tmp);
    commit(tmp, path, o.mode);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw missingFolder(path, err);
  }
  fsyncDirSync(dirname(path));
}

/** Async form of replaceFileSync, for writers that stream (datasets, parquet, Arrow). */
export async function replaceFile(path: string, write: (tmpPath: string) => Promise<void> | void, o: AtomicOptions = {}): Promise<void> {
  const tmp = tempFileName(path);
  try {
    await write(tmp);
    commit(tmp, path, o.mode);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw missingFolder(path, err);
  }
  fsyncDirSync(dirname(path));
}

function writeData(tmp: string, data: string | Uint8Array | Iterable<Uint8Array>, mode: number | undefined): void {
  if (typeof data === 'string' || data instanceof Uint8Array) {
    fs.writeFileSync(tmp, data, { mode: mode ?? 0o644 });
    return;
  }
  const fd = fs.openSync(tmp, 'wx', mode ?? 0o644);
  try {
    for (const c of data) {
      let off = 0;
      while (off < c.byteLength) off += fs.writeSync(fd, c, off, Math.min(c.byteLength - off, 1 << 30));
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** Writes a string, bytes, or a sequence of byte chunks (streamed, no joined copy) atomically. */
export function writeFileAtomicSync(path: string, data: string | Uint8Array | Iterable<Uint8Array>, o: AtomicOptions = {}): void {
  replaceFileSync(path, (tmp) => writeData(tmp, data, o.mode), o);
}

export async function writeFileAtomic(path: string, data: string | Uint8Array, o: AtomicOptions = {}): Promise<void> {
  await replaceFile(path, (tmp) => fs.promises.writeFile(tmp, data, { mode: o.mode ?? 0o644 }), o);
}
