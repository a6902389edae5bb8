// safetensors reader/writer in pure TypeScript (no engine dependency).
//
// Format (huggingface/safetensors): 8-byte little-endian u64 N, then N bytes of UTF-8 JSON header
// `{"__metadata__": {str: str}?, name: {"dtype", "shape", "data_offsets": [begin, end]}, ...}`, then the
// data section. Offsets are relative to the data section. Validation follows the Rust reference
// (safetensors/src/tensor.rs): header at most 100 MB, known dtype, end - begin == shape x dtype size
// (overflow-checked), tensors contiguous without overlap or gap, and the data section fully covered.
// Writing follows its `serialize`: tensors sorted by dtype (the reference's enum order, descending:
// widest alignment first) then name, compact JSON header padded with spaces to a multiple of 8 bytes.
import { closeSync, fstatSync, mkdirSync, openSync, readFileSync, readSync, readdirSync, unlinkSync, existsSync } from 'node:fs';
import { writeFileAtomicSync } from '../util/atomic-file';
import { constants as bufferConstants } from 'node:buffer';
import { basename, dirname, join } from 'node:path';

/**
 * Dtypes in the reference's enum order (ascending). `serialize` sorts by this order, descending.
 * Sub-byte dtypes (F4, F6_*) are readable as raw bytes when the tensor's bit size is a whole number of bytes.
 */
export const SAFETENSORS_DTYPES = [
  'BOOL', 'F4', 'F6_E2M3', 'F6_E3M2', 'U8', 'I8', 'F8_E5M2', 'F8_E4M3', 'F8_E8M0', 'F8_E4M3FNUZ', 'F8_E5M2FNUZ',
  'I16', 'U16', 'F16', 'BF16', 'I32', 'U32', 'F32', 'C64', 'F64', 'I64', 'U64',
] as const;
export type SafetensorsDType = (typeof SAFETENSORS_DTYPES)[number];

const DTYPE_BITS: Record<SafetensorsDType, number> = {
  BOOL: 8, F4: 4, F6_E2M3: 6, F6_E3M2: 6, U8: 8, I8: 8, F8_E5M2: 8, F8_E4M3: 8, F8_E8M0: 8, F8_E4M3FNUZ: 8,
  F8_E5M2FNUZ: 8, I16: 16, U16: 16, F16: 16, BF16: 16, I32: 32, U32: 32, F32: 32, C64: 64, F64: 64, I64: 64, U64: 64,
};
const DTYPE_RANK = new Map<string, number>(SAFETENSORS_DTYPES.map((d, i) => [d, i]));

/** Largest header the reference accepts (bytes). */
export const MAX_HEADER_SIZE = 100_000_000;

export class SafetensorsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SafetensorsError';
  }
}

export interface SafetensorsTensor {
  dtype: SafetensorsDType;
  shape: number[];
  /** A view into the buffer that was read (no copy). */
  data: Uint8Array;
}

export interface SafetensorsFile {
  /** Tensors in data-section order. */
  tensors: Map<string, SafetensorsTensor>;
  /** `__metadata__` (null when the header has none). */
  metadata: Record<string, string> | null;
}

export interface TensorToWrite {
  dtype: SafetensorsDType | string;
  shape: readonly number[];
  data: ArrayBufferView;
}

export interface SafetensorsHeaderEntry {
  dtype: SafetensorsDType;
  shape: number[];
  dataOffsets: [number, number];
}

export function isSafetensorsDType(d: unknown): d is SafetensorsDType {
  return typeof d === 'string' && DTYPE_RANK.has(d);
}

/** Bits per element of a dtype. */
export function dtypeBits(dtype: SafetensorsDType): number {
  return DTYPE_BITS[dtype];
}

function fail(label: string, msg: string): never {
  throw new SafetensorsError(`${label}: ${msg}`);
}

function fmtShape(shape: readonly unknown[]): string {
  return `[${shape.join(', ')}]`;
}

/** Bits for `shape` of `dtype`, in BigInt: no overflow, and nothing is allocated from it. */
function bitSize(shape: readonly number[], dtype: SafetensorsDType): bigint {
  let n = 1n;
  for (const d of shape) n *= BigInt(d);
  return n * BigInt(DTYPE_BITS[dtype]);
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

function isDim(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

interface ParsedHeader {
  headerLen: number;
  entries: Array<[string, SafetensorsHeaderEntry]>;
  metadata: Record<string, string> | null;
  dataLen: number;
}

/** Parses and validates the header against a file of `fileLen` bytes (whose first 8 + N bytes are in `buf`). */
function parseHeader(buf: Uint8Array, fileLen: number, label: string): ParsedHeader {
  if (buf.byteLength < 8) {
    fail(label, `${fileLen} bytes is too small for a safetensors file (8-byte header length missing): truncated or not a safetensors file`);
  }
  const n64 = new DataView(buf.buffer, buf.byteOffset, 8).getBigUint64(0, true);
  if (n64 > BigInt(MAX_HEADER_SIZE)) {
    fail(label, `header length ${n64} exceeds the ${MAX_HEADER_SIZE}-byte limit: not a safetensors file, or corrupted`);
  }
  const n = Number(n64);
  if (8 + n > fileLen) {
    fail(label, `header length ${n} goes past the end of the file (${fileLen} bytes): the file is truncated or not a safetensors file`);
  }
  if (8 + n > buf.byteLength) fail(label, `internal: header bytes not loaded`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(buf.subarray(8, 8 + n));
  } catch {
    fail(label, 'header is not valid UTF-8');
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    fail(label, `header is not valid JSON (${(e as Error).message})`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) {
    fail(label, `header must be a JSON object, got ${Array.isArray(header) ? 'an array' : header === null ? 'null' : typeof header}`);
  }
  const dataLen = fileLen - 8 - n;
  let metadata: Record<string, string> | null = null;
  const entries: Array<[string, SafetensorsHeaderEntry]> = [];
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (raw === null) continue;
      if (typeof raw !== 'object' || Array.isArray(raw)) fail(label, `__metadata__ must be an object of strings, got ${Array.isArray(raw) ? 'an array' : typeof raw}`);
      metadata = {};
      for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
        if (typeof v !== 'string') fail(label, `__metadata__ value for key '${k}' must be a string, got ${v === null ? 'null' : typeof v}`);
        metadata[k] = v;
      }
      continue;
    }
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) fail(label, `tensor '${name}' entry must be an object with dtype, shape and data_offsets`);
    const info = raw as Record<string, unknown>;
    const { dtype, shape, data_offsets: offs } = info;
    if (!isSafetensorsDType(dtype)) {
      fail(label, `tensor '${name}' has unknown dtype ${JSON.stringify(dtype)} (known: ${SAFETENSORS_DTYPES.join(', ')})`);
    }
    if (!Array.isArray(shape) || !shape.every(isDim)) {
      fail(label, `tensor '${name}' shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
    }
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every(isDim)) {
      fail(label, `tensor '${name}' data_offsets must be [begin, end] non-negative integers, got ${JSON.stringify(offs)}`);
    }
    const [b, e] = offs as [number, number];
    if (e < b) fail(label, `tensor '${name}' data_offsets [${b}, ${e}] end before begin`);
    const bits = bitSize(shape, dtype);
    if (bits % 8n !== 0n) fail(label, `tensor '${name}' shape ${fmtShape(shape)} of ${dtype} is not a whole number of bytes`);
    const bytes = bits / 8n;
    if (bytes > MAX_SAFE) fail(label, `tensor '${name}' byte size of shape ${fmtShape(shape)} x ${dtype} overflows (${bytes} bytes)`);
    if (BigInt(e - b) !== bytes) {
      fail(label, `tensor '${name}' data_offsets [${b}, ${e}] hold ${e - b} bytes but shape ${fmtShape(shape)} of ${dtype} needs ${bytes}`);
    }
    if (e > dataLen) fail(label, `tensor '${name}' data_offsets [${b}, ${e}] out of the data section (${dataLen} bytes)`);
    entries.push([name, { dtype, shape: shape as number[], dataOffsets: [b, e] }]);
  }
  // Contiguity, like the reference: sorted by offsets, each tensor starts where the previous ended.
  entries.sort((x, y) => x[1].dataOffsets[0] - y[1].dataOffsets[0] || x[1].dataOffsets[1] - y[1].dataOffsets[1]);
  let pos = 0;
  let prev: string | null = null;
  for (const [name, { dataOffsets: [b, e] }] of entries) {
    if (b < pos) fail(label, `tensor '${name}' data_offsets [${b}, ${e}] overlap tensor '${prev}' (which ends at ${pos})`);
    if (b > pos) fail(label, `tensor '${name}' data_offsets [${b}, ${e}] leave a gap: bytes ${pos}..${b} of the data section belong to no tensor`);
    pos = e;
    prev = name;
  }
  if (pos !== dataLen) {
    fail(label, `data section has ${dataLen} bytes but the tensors cover only ${pos}: extra bytes at the end, or the header is incomplete`);
  }
  return { headerLen: n, entries, metadata, dataLen };
}

/** Reads a whole safetensors file held in memory; tensor `data` are views into `buf` (no copy). */
export function readSafetensors(buf: Uint8Array, label = 'safetensors buffer'): SafetensorsFile {
  const h = parseHeader(buf, buf.byteLength, label);
  const base = 8 + h.headerLen;
  const tensors = new Map<string, SafetensorsTensor>();
  for (const [name, e] of h.entries) {
    tensors.set(name, { dtype: e.dtype, shape: e.shape, data: buf.subarray(base + e.dataOffsets[0], base + e.dataOffsets[1]) });
  }
  return { tensors, metadata: h.metadata };
}

function readWholeFile(path: string): Uint8Array {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size > bufferConstants.MAX_LENGTH) {
      throw new SafetensorsError(`${basename(path)}: ${size} bytes is larger than this Node can hold in one buffer (${bufferConstants.MAX_LENGTH}); load its tensors through the engine instead`);
    }
    // Not pooled: its own ArrayBuffer at offset 0, so tensor views are 8-byte aligned in well-formed files.
    const buf = Buffer.allocUnsafeSlow(size);
    let off = 0;
    const CHUNK = 1 << 30;
    while (off < size) {
      const got = readSync(fd, buf, off, Math.min(CHUNK, size - off), off);
      if (got === 0) break;
      off += got;
    }
    if (off !== size) throw new SafetensorsError(`${basename(path)}: file shrank while reading (${off} of ${size} bytes)`);
    return new Uint8Array(buf.buffer, buf.byteOffset, size);
  } finally {
    closeSync(fd);
  }
}

/** Reads a .safetensors file (once, into one buffer); errors name the file. */
export function readSafetensorsFile(path: string): SafetensorsFile {
  return readSafetensors(readWholeFile(path), basename(path));
}

/** Reads and validates only the header of a .safetensors file (no tensor data is read). */
export function readSafetensorsHeader(path: string): { tensors: Map<string, SafetensorsHeaderEntry>; metadata: Record<string, string> | null; headerLength: number } {
  const label = basename(path);
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const first = Buffer.alloc(Math.min(8, size));
    readSync(fd, first, 0, first.length, 0);
    let n = 0;
    if (first.length === 8) {
      const n64 = first.readBigUInt64LE(0);
      n = n64 > BigInt(MAX_HEADER_SIZE) ? MAX_HEADER_SIZE + 1 : Number(n64);
    }
    const want = Math.min(size, 8 + Math.min(n, MAX_HEADER_SIZE));
    const buf = Buffer.alloc(want);
    readSync(fd, buf, 0, want, 0);
    const h = parseHeader(new Uint8Array(buf.buffer, buf.byteOffset, want), size, label);
    return { tensors: new Map(h.entries), metadata: h.metadata, headerLength: h.headerLen };
  } finally {
    closeSync(fd);
  }
}

function utf8Compare(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

interface Prepared {
  header: Uint8Array;
  order: Array<{ name: string; data: Uint8Array }>;
  dataLen: number;
}

function prepare(tensors: Record<string, TensorToWrite> | Map<string, TensorToWrite>, metadata: Record<string, string> | null | undefined, label: string): Prepared {
  const items = tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors);
  const checked: Array<{ name: string; dtype: SafetensorsDType; shape: number[]; data: Uint8Array }> = [];
  for (const [name, t] of items) {
    if (name === '__metadata__') fail(label, `'__metadata__' is reserved and cannot be a tensor name`);
    if (!t || typeof t !== 'object') fail(label, `tensor '${name}' must be {dtype, shape, data}`);
    if (!isSafetensorsDType(t.dtype)) fail(label, `tensor '${name}' has unknown dtype ${JSON.stringify(t.dtype)} (known: ${SAFETENSORS_DTYPES.join(', ')})`);
    if (!Array.isArray(t.shape) || !t.shape.every(isDim)) fail(label, `tensor '${name}' shape must be an array of non-negative integers, got ${JSON.stringify(t.shape)}`);
    if (!t.data || !ArrayBuffer.isView(t.data)) fail(label, `tensor '${name}' data must be a typed array or other ArrayBufferView`);
    const bits = bitSize(t.shape, t.dtype);
    if (bits % 8n !== 0n) fail(label, `tensor '${name}' shape ${fmtShape(t.shape)} of ${t.dtype} is not a whole number of bytes`);
    const bytes = bits / 8n;
    if (BigInt(t.data.byteLength) !== bytes) {
      fail(label, `tensor '${name}' data has ${t.data.byteLength} bytes but shape ${fmtShape(t.shape)} of ${t.dtype} needs ${bytes}`);
    }
    checked.push({ name, dtype: t.dtype, shape: [...t.shape], data: new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength) });
  }
  checked.sort((a, b) => DTYPE_RANK.get(b.dtype)! - DTYPE_RANK.get(a.dtype)! || utf8Compare(a.name, b.name));
  const parts: string[] = [];
  if (metadata != null) {
    if (typeof metadata !== 'object' || Array.isArray(metadata)) fail(label, `metadata must be an object of strings`);
    const m: string[] = [];
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') fail(label, `metadata value for key '${k}' must be a string, got ${v === null ? 'null' : typeof v}`);
      m.push(`${JSON.stringify(k)}:${JSON.stringify(v)}`);
    }
    parts.push(`"__metadata__":{${m.join(',')}}`);
  }
  let offset = 0;
  for (const t of checked) {
    const end = offset + t.data.byteLength;
    parts.push(`${JSON.stringify(t.name)}:{"dtype":"${t.dtype}","shape":[${t.shape.join(',')}],"data_offsets":[${offset},${end}]}`);
    offset = end;
  }
  const json = Buffer.from(`{${parts.join(',')}}`, 'utf8');
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded > MAX_HEADER_SIZE) fail(label, `header would be ${padded} bytes, over the ${MAX_HEADER_SIZE}-byte limit: too many tensors for one file, shard the checkpoint`);
  const header = new Uint8Array(8 + padded);
  new DataView(header.buffer).setBigUint64(0, BigInt(padded), true);
  header.set(json, 8);
  header.fill(0x20, 8 + json.length);
  return { header, order: checked.map((t) => ({ name: t.name, data: t.data })), dataLen: offset };
}

/** Serialises tensors (+ optional `__metadata__`) to safetensors bytes, like the reference `serialize`. */
export function writeSafetensors(tensors: Record<string, TensorToWrite> | Map<string, TensorToWrite>, metadata?: Record<string, string> | null): Uint8Array {
  const p = prepare(tensors, metadata, 'safetensors');
  const out = new Uint8Array(p.header.length + p.dataLen);
  out.set(p.header, 0);
  let off = p.header.length;
  for (const t of p.order) {
    out.set(t.data, off);
    off += t.data.byteLength;
  }
  return out;
}

/**
 * Writes `chunks` to `path` atomically: a temp file in the same folder, fsync, rename, then a
 * best-effort fsync of the folder. The temp file is removed on failure.
 */
/** Writes byte chunks to `path` atomically (the project's one primitive, src/util/atomic-file.ts). */
export function writeFileAtomic(path: string, chunks: Iterable<Uint8Array>): void {
  writeFileAtomicSync(path, chunks);
}

/** Writes a .safetensors file atomically, streaming tensor data (no second full copy in memory). */
export function writeSafetensorsFile(path: string, tensors: Record<string, TensorToWrite> | Map<string, TensorToWrite>, metadata?: Record<string, string> | null): void {
  const p = prepare(tensors, metadata, basename(path));
  writeFileAtomic(path, [p.header, ...p.order.map((t) => t.data)]);
}

// ---------------------------------------------------------------------------------------------
// Sharded checkpoints (transformers' `model.safetensors.index.json`)

export const SAFE_WEIGHTS_NAME = 'model.safetensors';
export const SAFE_WEIGHTS_INDEX_NAME = 'model.safetensors.index.json';

export interface ShardedIndex {
  /** `metadata` of the index (usually `{ total_size }`). */
  metadata: Record<string, unknown>;
  totalSize: number | null;
  weightMap: Map<string, string>;
  /** Shard file names, in order of first appearance in weight_map. */
  files: string[];
}

/** Reads and validates `<dir>/model.safetensors.index.json` (or `indexName`). */
export function readShardedIndex(dir: string, indexName = SAFE_WEIGHTS_INDEX_NAME): ShardedIndex {
  const path = join(dir, indexName);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT') throw new SafetensorsError(`${indexName}: not found in ${dir}`);
    throw new SafetensorsError(`${indexName}: not valid JSON (${err.message})`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new SafetensorsError(`${indexName}: must be a JSON object with "weight_map"`);
  const obj = raw as Record<string, unknown>;
  const wm = obj.weight_map;
  if (wm === null || typeof wm !== 'object' || Array.isArray(wm)) throw new SafetensorsError(`${indexName}: "weight_map" must be an object {tensor name: shard file}`);
  const md = obj.metadata ?? {};
  if (md === null || typeof md !== 'object' || Array.isArray(md)) throw new SafetensorsError(`${indexName}: "metadata" must be an object`);
  const metadata = md as Record<string, unknown>;
  let totalSize: number | null = null;
  if (metadata.total_size !== undefined) {
    if (!isDim(metadata.total_size)) throw new SafetensorsError(`${indexName}: metadata.total_size must be a non-negative integer, got ${JSON.stringify(metadata.total_size)}`);
    totalSize = metadata.total_size;
  }
  const weightMap = new Map<string, string>();
  const files: string[] = [];
  for (const [name, file] of Object.entries(wm as Record<string, unknown>)) {
    if (typeof file !== 'string' || file === '') throw new SafetensorsError(`${indexName}: weight_map['${name}'] must be a file name string`);
    if (file.includes('/') || file.includes('\\') || file === '.' || file === '..') {
      throw new SafetensorsError(`${indexName}: weight_map['${name}'] = '${file}' must be a plain file name inside the checkpoint folder`);
    }
    weightMap.set(name, file);
    if (!files.includes(file)) files.push(file);
  }
  return { metadata, totalSize, weightMap, files };
}

/**
 * Loads every shard listed by the index and returns all tensors; checks that each tensor named in
 * weight_map is in its shard.
 */
export function readShardedSafetensors(dir: string, indexName = SAFE_WEIGHTS_INDEX_NAME): SafetensorsFile & { index: ShardedIndex } {
  const index = readShardedIndex(dir, indexName);
  const tensors = new Map<string, SafetensorsTensor>();
  let metadata: Record<string, string> | null = null;
  for (const file of index.files) {
    if (!existsSync(join(dir, file))) throw new SafetensorsError(`${indexName}: shard '${file}' is listed but missing from ${dir}`);
    const shard = readSafetensorsFile(join(dir, file));
    metadata ??= shard.metadata;
    for (const [name, t] of shard.tensors) if (index.weightMap.get(name) === file) tensors.set(name, t);
  }
  for (const [name, file] of index.weightMap) {
    if (!tensors.has(name)) throw new SafetensorsError(`${file}: tensor '${name}' is listed in ${indexName} but not in the shard`);
  }
  return { tensors, metadata, index };
}

const SIZE_UNITS: Array<[string, number]> = [
  ['GIB', 2 ** 30], ['MIB', 2 ** 20], ['KIB', 2 ** 10], ['GB', 1e9], ['MB', 1e6], ['KB', 1e3],
];

/** "5GB" / "500MiB" / 1000 -> bytes, like transformers' convert_file_size_to_int (GB = 10^9, GiB = 2^30). */
export function parseFileSize(size: number | string): number {
  if (typeof size === 'number') {
    if (!(size > 0) || !Number.isFinite(size)) throw new SafetensorsError(`maxShardSize must be a positive number of bytes, got ${size}`);
    return Math.floor(size);
  }
  const s = size.trim().toUpperCase();
  for (const [unit, mult] of SIZE_UNITS) {
    if (s.endsWith(unit)) {
      const v = Number(s.slice(0, -unit.length));
      if (!(v > 0)) break;
      const bytes = Math.floor(v * mult);
      // transformers: a size given in bits ("b" suffix) is divided by 8
      return size.trim().endsWith('b') ? Math.floor(bytes / 8) : bytes;
    }
  }
  if (/^\d+$/.test(s)) return Number(s);
  throw new SafetensorsError(`maxShardSize '${size}' is not understood: use bytes or a size like "5GB", "500MB", "2GiB"`);
}

export interface WriteShardedOptions {
  /** Bytes or "10GB"-style string (transformers 4.29 default: "10GB"). */
  maxShardSize?: number | string;
  /** `__metadata__` of every shard (default `{format: "pt"}` like save_pretrained). */
  metadata?: Record<string, string> | null;
  weightsName?: string;
}

/**
 * Splits tensors into shards like transformers' shard_checkpoint (insertion order; a new shard starts
 * when adding a tensor would pass maxShardSize and the current one is not empty) and writes them to
 * `dir` atomically. One shard -> `model.safetensors` without index; otherwise
 * `model-0000i-of-0000n.safetensors` + `model.safetensors.index.json` (indent 2, sorted keys).
 * Old shards of the same name pattern that are not part of this save are removed, and so is a stale
 * single file or index of the other layout (it would shadow or contradict the new one).
 */
export function writeSharded(
  dir: string,
  tensors: Record<string, TensorToWrite> | Map<string, TensorToWrite>,
  opts: WriteShardedOptions = {},
): { files: string[]; index: { metadata: { total_size: number }; weight_map: Record<string, string> } | null } {
  const maxShard = parseFileSize(opts.maxShardSize ?? '10GB');
  const weightsName = opts.weightsName ?? SAFE_WEIGHTS_NAME;
  if (!weightsName.endsWith('.safetensors')) throw new SafetensorsError(`weightsName '${weightsName}' must end with .safetensors`);
  const metadata = opts.metadata === undefined ? { format: 'pt' } : opts.metadata;
  const items = tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors);
  const shards: Array<Array<[string, TensorToWrite]>> = [[]];
  let last = 0;
  let total = 0;
  for (const [name, t] of items) {
    const size = t?.data?.byteLength ?? 0;
    if (last + size > maxShard && shards[shards.length - 1].length > 0) {
      shards.push([]);
      last = 0;
    }
    shards[shards.length - 1].push([name, t]);
    last += size;
    total += size;
  }
  const stem = weightsName.slice(0, -'.safetensors'.length);
  const indexName = `${weightsName}.index.json`;
  const n = shards.length;
  const names = n === 1 ? [weightsName] : shards.map((_, i) => `${stem}-${String(i + 1).padStart(5, '0')}-of-${String(n).padStart(5, '0')}.safetensors`);
  // validate everything before touching the folder
  const prepared = shards.map((s, i) => prepare(new Map(s), metadata, names[i]));
  mkdirSync(dir, { recursive: true });
  prepared.forEach((p, i) => writeFileAtomic(join(dir, names[i]), [p.header, ...p.order.map((t) => t.data)]));
  let index: { metadata: { total_size: number }; weight_map: Record<string, string> } | null = null;
  if (n > 1) {
    const weightMap: Record<string, string> = {};
    const sortedNames = shards.flatMap((s, i) => s.map(([name]) => [name, names[i]] as const)).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    for (const [name, file] of sortedNames) weightMap[name] = file;
    index = { metadata: { total_size: total }, weight_map: weightMap };
    writeFileAtomic(join(dir, indexName), [Buffer.from(pythonJsonDumps(index) + '\n', 'utf8')]);
  }
  const shardRe = new RegExp(`^${stem.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-\\d{5}-of-\\d{5}\\.safetensors$`);
  for (const f of readdirSync(dir)) {
    const stale = (shardRe.test(f) && !names.includes(f)) || (n > 1 && f === weightsName) || (n === 1 && f === indexName);
    if (stale) {
      try { unlinkSync(join(dir, f)); } catch { /* raced */ }
    }
  }
  return { files: names, index };
}

/** json.dumps(obj, indent=2, sort_keys=True) for plain objects of strings/numbers (ensure_ascii). */
function pythonJsonDumps(obj: { metadata: { total_size: number }; weight_map: Record<string, string> }): string {
  // keys are already in sorted order ("metadata" < "weight_map"; weight_map sorted by the caller);
  // JSON.stringify would reorder integer-like keys, so the map is written by hand.
  const esc = (s: string) => JSON.stringify(s).replace(/[\u007f-\uffff]/g, (c) => (c === '\u007f' ? c : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));
  const wm = Object.keys(obj.weight_map);
  const lines = wm.map((k) => `    ${esc(k)}: ${esc(obj.weight_map[k])}`);
  return `{\n  "metadata": {\n    "total_size": ${obj.metadata.total_size}\n  },\n  "weight_map": {${wm.length ? '\n' + lines.join(',\n') + '\n  ' : ''}}\n}`;
}

// ---------------------------------------------------------------------------------------------
// Typed views

export type SafetensorsTypedArray =
  | Float64Array | Float32Array | BigInt64Array | BigUint64Array | Int32Array | Uint32Array
  | Int16Array | Uint16Array | Int8Array | Uint8Array;

/**
 * The tensor's data as a typed array of its element type (F16/BF16 as raw Uint16Array bits, 8-bit
 * floats/BOOL as Uint8Array, C64 as interleaved Float32Array). A view when aligned, else a copy.
 * Assumes a little-endian host (every platform Node supports for hubtune).
 */
export function toTypedArray(t: { dtype: SafetensorsDType; data: Uint8Array }): SafetensorsTypedArray {
  const ctor = (() => {
    switch (t.dtype) {
      case 'F64': return Float64Array;
      case 'F32': case 'C64': return Float32Array;
      case 'I64': return BigInt64Array;
      case 'U64': return BigUint64Array;
      case 'I32': return Int32Array;
      case 'U32': return Uint32Array;
      case 'I16': return Int16Array;
      case 'U16': case 'F16': case 'BF16': return Uint16Array;
      case 'I8': return Int8Array;
      default: return Uint8Array;
    }
  })();
  const { data } = t;
  const bpe = ctor.BYTES_PER_ELEMENT;
  const src = data.byteOffset % bpe === 0 ? data : data.slice();
  return new (ctor as unknown as new (b: ArrayBufferLike, o: number, n: number) => SafetensorsTypedArray)(src.buffer, src.byteOffset, src.byteLength / bpe);
}

/** Decodes F32/F64/F16/BF16 (and integer dtypes) to a new Float32Array. */
export function toFloat32Array(t: { dtype: SafetensorsDType; data: Uint8Array }): Float32Array {
  const a = toTypedArray(t);
  if (t.dtype === 'F16' || t.dtype === 'BF16') {
    const out = new Float32Array(a.length);
    const bits = a as Uint16Array;
    if (t.dtype === 'BF16') {
      const u = new Uint32Array(out.buffer);
      for (let i = 0; i < bits.length; i++) u[i] = bits[i] << 16;
    } else {
      for (let i = 0; i < bits.length; i++) out[i] = halfToFloat(bits[i]);
    }
    return out;
  }
  if (a instanceof BigInt64Array || a instanceof BigUint64Array) return Float32Array.from(a, (v) => Number(v));
  return Float32Array.from(a as ArrayLike<number>);
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}
