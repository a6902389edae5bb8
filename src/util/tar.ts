// A tar reader (ustar, pax `path`/`size`, GNU long names, base-256 sizes) over a ByteSource:
// headers are checksum-verified, sizes checked against the file, and members are byte ranges
// read on demand. Links, devices and FIFOs are reported so callers can refuse them.
import { ArchiveError } from './zip';
import type { ByteSource } from './byte-source';

export interface TarEntry {
  name: string;
  /** 'file', 'dir', or what a safe reader refuses: 'symlink', 'hardlink', 'other'. */
  type: 'file' | 'dir' | 'symlink' | 'hardlink' | 'other';
  size: number;
  /** Offset of the member's bytes in the tar. */
  offset: number;
}

function cstring(b: Uint8Array): string {
  const end = b.indexOf(0);
  return new TextDecoder('utf-8').decode(end < 0 ? b : b.subarray(0, end));
}

function octal(b: Uint8Array, what: string, label: string): number {
  if (b[0] & 0x80) {
    // GNU base-256: big-endian, first byte's high bit set.
    let v = BigInt(b[0] & 0x7f);
    for (let i = 1; i < b.length; i++) v = (v << 8n) | BigInt(b[i]);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ArchiveError(`${label}: ${what} is out of range: the archive is corrupt`);
    return Number(v);
  }
  const s = cstring(b).trim();
  if (s === '') return 0;
  if (!/^[0-7]+$/.test(s)) throw new ArchiveError(`${label}: ${what} '${s.slice(0, 12)}' is not octal: the archive is corrupt or not a tar file`);
  return parseInt(s, 8);
}

function paxRecords(data: Uint8Array, label: string): Map<string, string> {
  const out = new Map<string, string>();
  const text = new TextDecoder('utf-8').decode(data);
  let i = 0;
  while (i < text.length) {
    const sp = text.indexOf(' ', i);
    if (sp < 0) break;
    const len = Number(text.slice(i, sp));
    if (!Number.isInteger(len) || len <= 0 || i + len > text.length) throw new ArchiveError(`${label}: bad pax header record: the archive is corrupt`);
    const rec = text.slice(sp + 1, i + len - 1);
    const eq = rec.indexOf('=');
    if (eq > 0) out.set(rec.slice(0, eq), rec.slice(eq + 1));
    i += len;
  }
  return out;
}

/** True when the source starts like a tar file (a ustar magic, or a valid v7 header checksum). */
export function isTar(source: ByteSource): boolean {
  if (source.size < 512) return false;
  const h = source.read(0, 512);
  if (new TextDecoder().decode(h.subarray(257, 262)) === 'ustar') return true;
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : h[i];
  try {
    return h[0] !== 0 && octal(h.subarray(148, 156), 'checksum', 'tar') === sum;
  } catch {
    return false;
  }
}

/** Lists the members of a tar archive (at most `maxEntries`). */
export function listTar(source: ByteSource, o: { maxEntries?: number } = {}): TarEntry[] {
  const label = source.label;
  const maxEntries = o.maxEntries ?? 1_000_000;
  const out: TarEntry[] = [];
  let pos = 0;
  let longName: string | undefined;
  let pax = new Map<string, string>();
  while (pos + 512 <= source.size) {
    const h = source.read(pos, 512);
    if (h.every((b) => b === 0)) break; // end of archive
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : h[i];
    if (octal(h.subarray(148, 156), 'header checksum', label) !== sum) throw new ArchiveError(`${label}: tar header at byte ${pos} fails its checksum: the archive is corrupt`);
    const typeflag = String.fromCharCode(h[156] || 0x30);
    let size = octal(h.subarray(124, 136), 'member size', label);
    const dataAt = pos + 512;
    if (pax.has('size')) size = Number(pax.get('size'));
    if (!Number.isSafeInteger(size) || size < 0 || dataAt + size > source.size) {
      throw new ArchiveError(`${label}: tar member at byte ${pos} declares ${size} bytes, past the end of the ${source.size}-byte file: the archive is truncated`);
    }
    const next = dataAt + Math.ceil(size / 512) * 512;
    if (typeflag === 'x' || typeflag === 'g' || typeflag === 'L') {
      if (size > 1 << 20) throw new ArchiveError(`${label}: a ${size}-byte tar extension header is too large: refusing the archive`);
      const data = source.read(dataAt, size);
      if (typeflag === 'x') pax = paxRecords(data, label);
      else if (typeflag === 'L') longName = cstring(data);
      pos = next;
      continue;
    }
    const prefix = new TextDecoder().decode(h.subarray(257, 262)) === 'ustar' ? cstring(h.subarray(345, 500)) : '';
    const base = cstring(h.subarray(0, 100));
    const name = pax.get('path') ?? longName ?? (prefix ? `${prefix}/${base}` : base);
    const type: TarEntry['type'] =
      typeflag === '0' || typeflag === '7' || typeflag === '\0' ? 'file'
        : typeflag === '5' ? 'dir'
          : typeflag === '2' ? 'symlink'
            : typeflag === '1' ? 'hardlink'
              : 'other';
    out.push({ name, type, size, offset: dataAt });
    if (out.length > maxEntries) throw new ArchiveError(`${label}: more than ${maxEntries} members: refusing the archive`);
    longName = undefined;
    pax = new Map();
    pos = next;
  }
  return out;
}
