// A ZIP reader (APPNOTE 6.3: central directory, ZIP64, stored and deflated entries) over a
// ByteSource. Every offset and size is checked against the file before anything is read, an
// entry is never inflated past its declared size, and callers give a byte limit per entry, so a
// hostile archive can neither read out of bounds nor make us allocate what it merely declares.
import { crc32, inflateRawSync } from 'node:zlib';
import type { ByteSource } from './byte-source';

export class ArchiveError extends Error {
  override name = 'ArchiveError';
}

export interface ZipEntry {
  name: string;
  /** 0 stored, 8 deflated. */
  method: number;
  compressedSize: number;
  size: number;
  crc32: number;
  localHeaderOffset: number;
  isDirectory: boolean;
  /** A Unix symlink entry (never followed or extracted). */
  isSymlink: boolean;
  encrypted: boolean;
}

const EOCD_SIG = 0x06054b50;
const ZIP64_LOCATOR_SIG = 0x07064b50;
const ZIP64_EOCD_SIG = 0x06064b50;
const CENTRAL_SIG = 0x02014b50;
const LOCAL_SIG = 0x04034b50;
const MAX_COMMENT = 0xffff;

function view(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

function u64(dv: DataView, at: number, what: string, label: string): number {
  const v = dv.getBigUint64(at, true);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ArchiveError(`${label}: ${what} ${v} is out of range: the archive is corrupt`);
  return Number(v);
}

function decodeName(bytes: Uint8Array, utf8: boolean): string {
  if (utf8) return new TextDecoder('utf-8').decode(bytes);
  // Not flagged UTF-8: CP437 in the spec; every tool that writes model and dataset archives writes ASCII or UTF-8.
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return String.fromCharCode(...bytes);
  }
}

export class ZipArchive {
  readonly entries: ZipEntry[];
  private readonly byName = new Map<string, ZipEntry>();

  private constructor(readonly source: ByteSource, entries: ZipEntry[]) {
    this.entries = entries;
    for (const e of entries) if (!this.byName.has(e.name)) this.byName.set(e.name, e);
  }

  get label(): string {
    return this.source.label;
  }

  /** True when the source starts like a ZIP file (a local header or an empty archive's end record). */
  static sniff(source: ByteSource): boolean {
    if (source.size < 4) return false;
    const sig = view(source.read(0, 4)).getUint32(0, true);
    return sig === LOCAL_SIG || sig === EOCD_SIG;
  }

  /** Reads the central directory. `maxEntries` bounds the work a hostile directory can ask for. */
  static open(source: ByteSource, o: { maxEntries?: number } = {}): ZipArchive {
    const label = source.label;
    const maxEntries = o.maxEntries ?? 1_000_000;
    if (source.size < 22) throw new ArchiveError(`${label}: ${source.size} bytes is too small for a ZIP archive`);
    const tailLen = Math.min(source.size, 22 + MAX_COMMENT);
    const tailStart = source.size - tailLen;
    const tail = source.read(tailStart, tailLen);
    const tdv = view(tail);
    let eocd = -1;
    for (let i = tailLen - 22; i >= 0; i--) {
      if (tdv.getUint32(i, true) === EOCD_SIG && i + 22 + tdv.getUint16(i + 20, true) <= tailLen) {
        eocd = i;
        break;
      }
    }
    if (eocd < 0) throw new ArchiveError(`${label}: no ZIP end-of-central-directory record: the file is truncated or not a ZIP archive`);
    let count = tdv.getUint16(eocd + 10, true);
    let cdSize = tdv.getUint32(eocd + 12, true);
    let cdOffset = tdv.getUint32(eocd + 16, true);
    if (tdv.getUint16(eocd + 4, true) !== 0 || tdv.getUint16(eocd + 6, true) !== 0) {
      throw new ArchiveError(`${label}: multi-part (split) ZIP archives are not supported: join the parts into one file`);
    }
    if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
      const locAt = tailStart + eocd - 20;
      if (locAt < 0) throw new ArchiveError(`${label}: ZIP64 locator missing: the archive is corrupt`);
      const loc = view(source.read(locAt, 20));
      if (loc.getUint32(0, true) !== ZIP64_LOCATOR_SIG) throw new ArchiveError(`${label}: ZIP64 locator missing: the archive is corrupt`);
      const z64At = u64(loc, 8, 'ZIP64 record offset', label);
      if (z64At + 56 > source.size) throw new ArchiveError(`${label}: ZIP64 record at ${z64At} is past the end of the file: the archive is truncated`);
      const z = view(source.read(z64At, 56));
      if (z.getUint32(0, true) !== ZIP64_EOCD_SIG) throw new ArchiveError(`${label}: bad ZIP64 end record: the archive is corrupt`);
      count = u64(z, 32, 'entry count', label);
      cdSize = u64(z, 40, 'central directory size', label);
      cdOffset = u64(z, 48, 'central directory offset', label);
    }
    if (count > maxEntries) throw new ArchiveError(`${label}: ${count} entries is more than the ${maxEntries} allowed: refusing the archive`);
    if (cdOffset + cdSize > source.size || count * 46 > cdSize) {
      throw new ArchiveError(`${label}: central directory (${count} entries, ${cdSize} bytes at ${cdOffset}) does not fit in the ${source.size}-byte file: the archive is truncated or corrupt`);
    }
    const cd = source.read(cdOffset, cdSize);
    const dv = view(cd);
    const entries: ZipEntry[] = [];
    let p = 0;
    for (let i = 0; i < count; i++) {
      if (p + 46 > cdSize || dv.getUint32(p, true) !== CENTRAL_SIG) throw new ArchiveError(`${label}: central directory entry ${i} is corrupt`);
      const madeBy = dv.getUint16(p + 4, true) >> 8;
      const flags = dv.getUint16(p + 8, true);
      const method = dv.getUint16(p + 10, true);
      const crc = dv.getUint32(p + 16, true);
      let compressedSize = dv.getUint32(p + 20, true);
      let size = dv.getUint32(p + 24, true);
      const nameLen = dv.getUint16(p + 28, true);
      const extraLen = dv.getUint16(p + 30, true);
      const commentLen = dv.getUint16(p + 32, true);
      const external = dv.getUint32(p + 38, true);
      let localHeaderOffset = dv.getUint32(p + 42, true);
      const end = p + 46 + nameLen + extraLen + commentLen;
      if (end > cdSize) throw new ArchiveError(`${label}: central directory entry ${i} runs past the directory: the archive is corrupt`);
      const name = decodeName(cd.subarray(p + 46, p + 46 + nameLen), (flags & 0x800) !== 0);
      // ZIP64 extra field: the 64-bit values, in this order, for the fields saturated at 0xFFFFFFFF.
      let x = p + 46 + nameLen;
      const xEnd = x + extraLen;
      while (x + 4 <= xEnd) {
        const id = dv.getUint16(x, true);
        const len = dv.getUint16(x + 2, true);
        if (x + 4 + len > xEnd) break;
        if (id === 0x0001) {
          let q = x + 4;
          const take = (): number => {
            if (q + 8 > x + 4 + len) throw new ArchiveError(`${label}: ZIP64 field of '${name}' is short: the archive is corrupt`);
            const v = u64(dv, q, `size of '${name}'`, label);
            q += 8;
            return v;
          };
          if (size === 0xffffffff) size = take();
          if (compressedSize === 0xffffffff) compressedSize = take();
          if (localHeaderOffset === 0xffffffff) localHeaderOffset = take();
        }
        x += 4 + len;
      }
      const unixMode = madeBy === 3 ? external >>> 16 : 0;
      entries.push({
        name,
        method,
        compressedSize,
        size,
        crc32: crc,
        localHeaderOffset,
        isDirectory: name.endsWith('/'),
        isSymlink: (unixMode & 0o170000) === 0o120000,
        encrypted: (flags & 1) !== 0,
      });
      p = end;
    }
    return new ZipArchive(source, entries);
  }

  /** The same directory over a fresh source (the file reopened): no re-parsing. */
  reopen(source: ByteSource): ZipArchive {
    return new ZipArchive(source, this.entries);
  }

  get(name: string): ZipEntry | undefined {
    return this.byName.get(name);
  }

  /** Offset of the entry's (compressed) bytes, checked against the file. */
  dataOffset(e: ZipEntry): number {
    const label = this.label;
    if (e.localHeaderOffset + 30 > this.source.size) throw new ArchiveError(`${label}: '${e.name}' starts past the end of the file: the archive is truncated`);
    const h = view(this.source.read(e.localHeaderOffset, 30));
    if (h.getUint32(0, true) !== LOCAL_SIG) throw new ArchiveError(`${label}: local header of '${e.name}' is corrupt`);
    const start = e.localHeaderOffset + 30 + h.getUint16(26, true) + h.getUint16(28, true);
    if (start + e.compressedSize > this.source.size) {
      throw new ArchiveError(`${label}: '${e.name}' (${e.compressedSize} bytes at ${start}) runs past the end of the ${this.source.size}-byte file: the archive is truncated`);
    }
    return start;
  }

  /**
   * The entry's bytes. Refuses, before reading anything, an entry larger than `maxBytes`; a
   * deflated entry is inflated to at most its declared size; the CRC-32 is checked.
   */
  read(e: ZipEntry, o: { maxBytes?: number; checkCrc?: boolean } = {}): Uint8Array {
    const label = this.label;
    if (e.encrypted) throw new ArchiveError(`${label}: '${e.name}' is encrypted: extract it with its password first`);
    if (e.isSymlink) throw new ArchiveError(`${label}: '${e.name}' is a symbolic link: refusing it`);
    if (o.maxBytes !== undefined && e.size > o.maxBytes) {
      throw new ArchiveError(`${label}: '${e.name}' declares ${e.size} bytes, more than the ${o.maxBytes} allowed: refusing it`);
    }
    const start = this.dataOffset(e);
    let out: Uint8Array;
    if (e.method === 0) {
      if (e.compressedSize !== e.size) throw new ArchiveError(`${label}: stored entry '${e.name}' has ${e.compressedSize} bytes but declares ${e.size}: the archive is corrupt`);
      out = this.source.read(start, e.size);
    } else if (e.method === 8) {
      // Deflate cannot exceed 1032:1; an entry declaring more is lying (a zip bomb or corruption).
      if (e.size > e.compressedSize * 1032 + 1024) throw new ArchiveError(`${label}: '${e.name}' declares ${e.size} bytes from ${e.compressedSize} compressed, more than deflate can produce (a zip bomb?): refusing it`);
      const raw = this.source.read(start, e.compressedSize);
      try {
        // One byte more than declared, so an entry that inflates past its declared size is caught, not truncated.
        out = inflateRawSync(raw, { maxOutputLength: Math.max(1, e.size + 1) });
      } catch (err) {
        const why = (err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE' ? `inflates past its declared ${e.size} bytes (a zip bomb?)` : `cannot be inflated (${(err as Error).message})`;
        throw new ArchiveError(`${label}: '${e.name}' ${why}: refusing it`);
      }
      if (out.byteLength !== e.size) throw new ArchiveError(`${label}: '${e.name}' inflates to ${out.byteLength} bytes, not the declared ${e.size}: the archive is corrupt`);
    } else {
      throw new ArchiveError(`${label}: '${e.name}' uses compression method ${e.method}; only stored (0) and deflate (8) are supported: re-create the archive with plain zip`);
    }
    if ((o.checkCrc ?? true) && (crc32(out) >>> 0) !== e.crc32) throw new ArchiveError(`${label}: '${e.name}' fails its CRC-32 check: the archive is corrupt`);
    return out;
  }

  close(): void {
    this.source.close();
  }
}
