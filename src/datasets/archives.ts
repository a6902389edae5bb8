// Data files stored as archives (zip, tar, tar.gz / tgz), as the Hub holds many image datasets
// (`beans`: data/train.zip with train/<label>/<image>). Members are never extracted to disk: zip
// and tar members are byte ranges read when a row is read; a tar.gz is decompressed once, into the
// datasets cache, as one .tar. Every archive is checked before any row is built: a member path that
// is absolute or climbs out (`..`), a link, a device, an encrypted member, or sizes beyond the
// limits (a zip bomb) refuse the whole archive with one line naming it.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { basename, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { fileSource } from '../util/byte-source';
import { ArchiveError, ZipArchive, type ZipEntry } from '../util/zip';
import { isTar, listTar, type TarEntry } from '../util/tar';
import type { Column } from './columns';

export { ArchiveError };

const ARCHIVE_RE = /\.(zip|tar|tar\.gz|tgz)$/i;

export function isArchiveFile(path: string): boolean {
  return ARCHIVE_RE.test(path);
}

function envBytes(name: string, fallback: number): number {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v > 0 ? v : fallback;
}

/** Total uncompressed bytes an archive may declare (`HUBTUNE_MAX_ARCHIVE_BYTES`, default 64 GiB). */
export function maxArchiveBytes(): number {
  return envBytes('HUBTUNE_MAX_ARCHIVE_BYTES', 64 * 2 ** 30);
}
/** Largest single member (`HUBTUNE_MAX_ARCHIVE_MEMBER_BYTES`, default 1 GiB). */
export function maxMemberBytes(): number {
  return envBytes('HUBTUNE_MAX_ARCHIVE_MEMBER_BYTES', 2 ** 30);
}
const MAX_MEMBERS = 10_000_000;

/** A member path inside an archive, normalised; refuses anything that could point outside it. */
export function checkMemberPath(name: string, archive: string): string {
  const n = name.replace(/^(\.\/)+/, '');
  const bad = n === '' || n.includes('\0') || n.includes('\\') || n.startsWith('/') || /^[A-Za-z]:/.test(n) || n.split('/').some((s) => s === '..');
  if (bad) throw new ArchiveError(`${archive}: refusing member ${JSON.stringify(name.replace(/\0/g, '\\0')).slice(0, 120)}: archive paths must stay inside the archive (no absolute paths or "..")`);
  return n;
}

/** Hidden paths `datasets` skips when it walks an extracted archive (`.git/`, `__MACOSX/`, `.DS_Store`). */
function hidden(path: string): boolean {
  return path.split('/').some((s) => s.startsWith('.') || s.startsWith('__'));
}

/** os.walk order as `datasets` iterates an extracted archive: a folder's files (sorted), then its sub-folders (sorted). */
export function walkOrder(a: string, b: string): number {
  const x = a.split('/');
  const y = b.split('/');
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    if (x[i] === y[i]) continue;
    const xFile = i === x.length - 1;
    const yFile = i === y.length - 1;
    if (xFile !== yFile) return xFile ? -1 : 1;
    return x[i] < y[i] ? -1 : 1;
  }
  return x.length - y.length;
}

interface MemberRef {
  name: string;
  size: number;
  /** zip entry, or the tar member's byte offset. */
  zip?: ZipEntry;
  offset?: number;
}

/** An archive checked and indexed: its regular files in walk order. */
export class ArchiveIndex {
  private constructor(
    readonly path: string,
    readonly kind: 'zip' | 'tar',
    /** The file members are read from (the decompressed .tar of a tar.gz). */
    private readonly dataPath: string,
    private readonly zip: ZipArchive | null,
    readonly members: MemberRef[],
  ) {}

  /** Opens and checks `path`; a tar.gz is decompressed once into `extractDir`. */
  static async open(path: string, extractDir: string): Promise<ArchiveIndex> {
    const label = basename(path);
    let dataPath = path;
    if (/\.(tar\.gz|tgz)$/i.test(path)) dataPath = await gunzipOnce(path, extractDir);
    const source = fileSource(dataPath);
    try {
      if (/\.zip$/i.test(path)) {
        if (!ZipArchive.sniff(source)) throw new ArchiveError(`${label} is not a zip archive: check the file`);
        const zip = ZipArchive.open(source, { maxEntries: MAX_MEMBERS });
        return new ArchiveIndex(path, 'zip', dataPath, zip, checkMembers(label, zip.entries.map((e) => {
          if (e.isSymlink) throw new ArchiveError(`${label}: refusing member '${e.name}': it is a symbolic link`);
          if (e.encrypted) throw new ArchiveError(`${label}: refusing member '${e.name}': it is encrypted`);
          if (e.method !== 0 && e.method !== 8 && !e.isDirectory) throw new ArchiveError(`${label}: member '${e.name}' uses compression method ${e.method}; only stored and deflate are supported`);
          // Deflate cannot exceed 1032:1, so a larger declared size is a lie (zip bomb or corruption).
          if (e.method === 8 && e.size > e.compressedSize * 1032 + 1024) throw new ArchiveError(`${label}: member '${e.name}' declares ${e.size} bytes from ${e.compressedSize} compressed, more than deflate can produce (a zip bomb?): refusing the archive`);
          return { name: e.name, size: e.size, dir: e.isDirectory, zip: e };
        })));
      }
      if (!isTar(source)) throw new ArchiveError(`${label} is not a tar archive: check the file`);
      const entries = listTar(source, { maxEntries: MAX_MEMBERS });
      return new ArchiveIndex(path, 'tar', dataPath, null, checkMembers(label, entries.map((e: TarEntry) => {
        if (e.type === 'symlink' || e.type === 'hardlink') throw new ArchiveError(`${label}: refusing member '${e.name}': it is a ${e.type === 'symlink' ? 'symbolic' : 'hard'} link`);
        if (e.type === 'other') throw new ArchiveError(`${label}: refusing member '${e.name}': it is not a regular file or folder`);
        return { name: e.name, size: e.size, dir: e.type === 'dir', offset: e.offset };
      })));
    } finally {
      source.close();
    }
  }

  /** `zip://member::/abs/archive.zip` (fsspec's chained form), the path rows carry. */
  memberUrl(name: string): string {
    return `${this.kind}://${name}::${this.path}`;
  }

  /** Reads members (by index into `members`) from one open of the file. */
  read(indices: ArrayLike<number>): Uint8Array[] {
    const source = fileSource(this.dataPath);
    try {
      const zip = this.zip?.reopen(source);
      const out: Uint8Array[] = [];
      for (let i = 0; i < indices.length; i++) {
        const m = this.members[indices[i]];
        out.push(zip ? zip.read(m.zip!, { maxBytes: maxMemberBytes() }) : source.read(m.offset!, m.size));
      }
      return out;
    } finally {
      source.close();
    }
  }
}

function checkMembers(label: string, all: Array<MemberRef & { dir: boolean }>): MemberRef[] {
  let total = 0;
  const files: MemberRef[] = [];
  for (const m of all) {
    const name = checkMemberPath(m.name, label);
    if (m.dir || hidden(name)) continue;
    if (m.size > maxMemberBytes()) throw new ArchiveError(`${label}: member '${name}' declares ${m.size} bytes, more than the ${maxMemberBytes()} allowed (HUBTUNE_MAX_ARCHIVE_MEMBER_BYTES): refusing the archive`);
    total += m.size;
    if (total > maxArchiveBytes()) throw new ArchiveError(`${label}: members declare more than ${maxArchiveBytes()} bytes in all (HUBTUNE_MAX_ARCHIVE_BYTES; a zip bomb?): refusing the archive`);
    files.push({ ...m, name });
  }
  return files.sort((a, b) => walkOrder(a.name, b.name));
}

/** Decompresses a tar.gz once into `<extractDir>/<hash>.tar` (atomically; capped at HUBTUNE_MAX_ARCHIVE_BYTES). */
async function gunzipOnce(path: string, extractDir: string): Promise<string> {
  const st = statSync(path);
  const key = createHash('sha256').update(`${path}\0${st.size}\0${st.mtimeMs}`).digest('hex').slice(0, 32);
  const out = join(extractDir, `${key}.tar`);
  if (existsSync(out)) return out;
  mkdirSync(extractDir, { recursive: true });
  const tmp = `${out}.${process.pid}.incomplete`;
  const cap = Math.min(maxArchiveBytes(), st.size * 1032 + 1024);
  let written = 0;
  const limit = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      written += chunk.length;
      if (written > cap) cb(new ArchiveError(`${basename(path)} decompresses to more than ${cap} bytes (a gzip bomb?): refusing it`));
      else cb(null, chunk);
    },
  });
  try {
    await pipeline(createReadStream(path), createGunzip(), limit, createWriteStream(tmp));
  } catch (err) {
    try { unlinkSync(tmp); } catch { /* absent */ }
    if (err instanceof ArchiveError) throw err;
    throw new ArchiveError(`${basename(path)} is not a valid gzip file (${(err as Error).message}): check the file`);
  }
  renameSync(tmp, out);
  return out;
}

/** Image cells `{bytes, path}` read from archive members when rows are read. */
export class ArchiveMemberColumn implements Column {
  constructor(private readonly archive: ArchiveIndex, private readonly memberIndices: number[]) {}
  get length(): number {
    return this.memberIndices.length;
  }
  async take(indices: ArrayLike<number>): Promise<unknown[]> {
    const which = Array.from(indices, (i) => this.memberIndices[i]);
    const bytes = this.archive.read(which);
    return which.map((m, k) => ({ bytes: bytes[k], path: this.archive.memberUrl(this.archive.members[m].name) }));
  }
  async range(start: number, end: number): Promise<unknown[]> {
    return this.take(Array.from({ length: Math.max(0, end - start) }, (_, k) => start + k));
  }
}
