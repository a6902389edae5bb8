// Writes ZIP and tar archives for tests (checkpoints in torch.save's layout, image-folder
// datasets as the Hub stores them), including hostile ones (traversal names, lying sizes).
import { crc32, deflateRawSync, gzipSync } from 'node:zlib';

export interface ZipInput {
  name: string;
  data: Uint8Array | string;
  /** Deflate the entry (default: stored). */
  deflate?: boolean;
  /** Write this as the declared uncompressed size instead of the real one. */
  declaredSize?: number;
  /** Unix symlink entry. */
  symlink?: boolean;
}

const bytes = (d: Uint8Array | string) => (typeof d === 'string' ? Buffer.from(d) : Buffer.from(d.buffer, d.byteOffset, d.byteLength));

/** A ZIP archive (no ZIP64). Stored entries are padded so data starts 64-byte aligned, like torch.save. */
export function writeZip(inputs: ZipInput[], o: { align?: number } = {}): Uint8Array {
  const align = o.align ?? 64;
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const f of inputs) {
    const raw = bytes(f.data);
    const body = f.deflate ? deflateRawSync(raw) : raw;
    const name = Buffer.from(f.name);
    const crc = crc32(raw) >>> 0;
    const size = f.declaredSize ?? raw.length;
    let extraLen = 0;
    if (!f.deflate && align > 1) {
      const start = offset + 30 + name.length;
      extraLen = (align - (start % align)) % align;
      if (extraLen > 0 && extraLen < 4) extraLen += align;
    }
    const extra = Buffer.alloc(extraLen);
    if (extraLen) {
      extra.writeUInt16LE(0xcafe, 0);
      extra.writeUInt16LE(extraLen - 4, 2);
    }
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x800, 6);
    local.writeUInt16LE(f.deflate ? 8 : 0, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(extraLen, 28);
    parts.push(local, name, extra, body);
    const c = Buffer.alloc(46);
    c.writeUInt32LE(0x02014b50, 0);
    c.writeUInt16LE((3 << 8) | 20, 4);
    c.writeUInt16LE(20, 6);
    c.writeUInt16LE(0x800, 8);
    c.writeUInt16LE(f.deflate ? 8 : 0, 10);
    c.writeUInt32LE(crc, 16);
    c.writeUInt32LE(body.length, 20);
    c.writeUInt32LE(size, 24);
    c.writeUInt16LE(name.length, 28);
    c.writeUInt32LE(((f.symlink ? 0o120777 : f.name.endsWith('/') ? 0o40755 : 0o100644) << 16) >>> 0, 38);
    c.writeUInt32LE(offset, 42);
    central.push(c, name);
    offset += 30 + name.length + extraLen + body.length;
  }
  const cd = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(inputs.length, 8);
  end.writeUInt16LE(inputs.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return new Uint8Array(Buffer.concat([...parts, cd, end]));
}

export interface TarInput {
  name: string;
  data?: Uint8Array | string;
  type?: 'file' | 'dir' | 'symlink' | 'hardlink';
  linkname?: string;
  /** Declared size in the header (default: the real one). */
  declaredSize?: number;
}

function tarHeader(name: string, size: number, type: string, linkname = ''): Buffer {
  const h = Buffer.alloc(512);
  h.write(name.slice(0, 100), 0);
  h.write('0000644\0', 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write(size.toString(8).padStart(11, '0') + '\0', 124);
  h.write('00000000000\0', 136);
  h.write('        ', 148);
  h.write(type, 156);
  h.write(linkname.slice(0, 100), 157);
  h.write('ustar\0', 257);
  h.write('00', 263);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
  return h;
}

/** A ustar archive (long names through a pax header), optionally gzipped. */
export function writeTar(inputs: TarInput[], o: { gzip?: boolean } = {}): Uint8Array {
  const parts: Buffer[] = [];
  const pad = (n: number) => Buffer.alloc((512 - (n % 512)) % 512);
  for (const f of inputs) {
    const body = f.data === undefined ? Buffer.alloc(0) : bytes(f.data);
    if (Buffer.byteLength(f.name) > 100) {
      const rec = `path=${f.name}\n`;
      let len = rec.length + 3;
      while (`${len} ${rec}`.length !== len) len = `${len} ${rec}`.length;
      const pax = Buffer.from(`${len} ${rec}`);
      parts.push(tarHeader('PaxHeader', pax.length, 'x'), pax, pad(pax.length));
    }
    const type = f.type === 'dir' ? '5' : f.type === 'symlink' ? '2' : f.type === 'hardlink' ? '1' : '0';
    parts.push(tarHeader(f.name, f.declaredSize ?? body.length, type, f.linkname), body, pad(body.length));
  }
  parts.push(Buffer.alloc(1024));
  const tar = Buffer.concat(parts);
  return new Uint8Array(o.gzip ? gzipSync(tar) : tar);
}
