// Arrow IPC stream files, the cache/save_to_disk format of Python `datasets`. Reading builds a
// record-batch index from the message headers, so a batch is read only when one of its rows is.
import { closeSync, openSync, readSync, statSync, writeSync } from 'node:fs';
import { replaceFile } from '../util/atomic-file';
import { basename } from 'node:path';
import {
  Binary, Bool, DataType, Field, FixedSizeList, Float16, Float32, Float64, Int16, Int32, Int64, Int8, LargeBinary, LargeUtf8,
  List, Message, makeData, MessageHeader, Null, RecordBatch, Schema, Struct, Table, Uint16, Uint32, Uint64, Uint8, Utf8, tableFromIPC,
  tableToIPC, vectorFromArray, type Vector,
} from 'apache-arrow';
import { ChunkedColumn, type Column } from './columns';
import { ClassLabel, Features, Image, Sequence, Value, isFeatureDict, type FeatureType } from './features';
import { hfFeaturesFromMetadata, normalizeStorage, type OpenedTable } from './parquet';
import { DatasetError, datasetErrorIn } from './errors';
import { verifyArrowMessage } from './arrow-verify';

const EOS = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);

function readAt(fd: number, pos: number, len: number): Uint8Array {
  const buf = Buffer.allocUnsafeSlow(len);
  let off = 0;
  while (off < len) {
    const n = readSync(fd, buf, off, len - off, pos + off);
    if (n === 0) break;
    off += n;
  }
  if (off < len) throw new Error(`file ends at byte ${pos + off}, expected ${len - off} more bytes`);
  return new Uint8Array(buf.buffer, buf.byteOffset, len);
}

interface Msg { offset: number; length: number; type: MessageHeader; rows: number }

function scanMessages(path: string): Msg[] {
  const size = statSync(path).size;
  const fd = openSync(path, 'r');
  const msgs: Msg[] = [];
  try {
    let pos = 0;
    // Arrow *file* format (magic ARROW1): skip the magic; messages follow in stream form
    if (size >= 8 && Buffer.from(readAt(fd, 0, 6)).toString('latin1') === 'ARROW1') pos = 8;
    while (pos + 4 <= size) {
      const head = readAt(fd, pos, Math.min(8, size - pos));
      const dv = new DataView(head.buffer, head.byteOffset, head.byteLength);
      let prefix = 4; let metaLen = dv.getInt32(0, true);
      if (metaLen === -1) { if (head.length < 8) break; metaLen = dv.getInt32(4, true); prefix = 8; }
      if (metaLen === 0) break;
      if (metaLen < 0 || pos + prefix + metaLen > size) throw new Error(`bad message header at byte ${pos}`);
      const meta = readAt(fd, pos + prefix, metaLen);
      // apache-arrow reads flatbuffers unchecked: verify the header first
      verifyArrowMessage(meta, `${path} (message at byte ${pos})`);
      const m = Message.decode(meta);
      const total = prefix + metaLen + Number(m.bodyLength);
      if (pos + total > size) throw new Error(`message at byte ${pos} runs past the end of the file`);
      const rows = m.headerType === MessageHeader.RecordBatch ? Number((m.header() as { length: number | bigint }).length) : 0;
      msgs.push({ offset: pos, length: total, type: m.headerType, rows });
      pos += total;
      if (m.headerType === MessageHeader.Schema && msgs.length > 1) break;
    }
  } finally { closeSync(fd); }
  return msgs;
}

/** Opens an Arrow stream (or file) lazily: an index of record batches; a batch is read when touched. */
export function openArrow(path: string): OpenedTable {
  try {
    return openArrowChecked(path);
  } catch (e) {
    throw datasetErrorIn(path, e, 're-create the file with saveToDisk');
  }
}

function openArrowChecked(path: string): OpenedTable {
  const name = basename(path);
  let msgs: Msg[];
  try { msgs = scanMessages(path); } catch (e) {
    if (e instanceof DatasetError) throw e;
    throw new DatasetError(`${path}: not a readable Arrow stream file (${(e as Error).message}); re-create it with saveToDisk`);
  }
  const schemaMsg = msgs.find((m) => m.type === MessageHeader.Schema);
  if (!schemaMsg) throw new DatasetError(`${path}: no Arrow schema found; the file is empty or corrupt`);
  if (msgs.some((m) => m.type === MessageHeader.DictionaryBatch)) return openArrowWhole(path);
  const fd0 = openSync(path, 'r');
  let schemaBytes: Uint8Array;
  try { schemaBytes = readAt(fd0, schemaMsg.offset, schemaMsg.length); } finally { closeSync(fd0); }
  const schema = tableFromIPC(concatBytes([schemaBytes, EOS])).schema;
  const hf = hfFeaturesFromMetadata(schema.metadata.get('huggingface') ?? undefined, path);
  const inferred = new Features(schema.fields.map((f) => [f.name, featureFromArrow(f.type)] as const));
  const features = hf && [...inferred.keys()].every((k) => hf.has(k))
    ? new Features([...inferred.keys()].map((k) => [k, hf.get(k)!] as const)) : inferred;
  const batches = msgs.filter((m) => m.type === MessageHeader.RecordBatch);
  const id = `${path}:${statSync(path).mtimeMs}`;
  let starts = 0;
  const recent = new Map<Msg, Promise<Table>>();
  const loadBatch = (b: Msg, start: number): Promise<Table> => {
    const hit = recent.get(b);
    if (hit) return hit;
    const p = readBatch(b, start);
    recent.set(b, p);
    if (recent.size > 4) recent.delete(recent.keys().next().value!);
    return p;
  };
  const readBatch = (b: Msg, start: number): Promise<Table> => {
    const fd = openSync(path, 'r');
    try {
      return Promise.resolve(tableFromIPC(concatBytes([schemaBytes, readAt(fd, b.offset, b.length), EOS])));
    } catch (e) {
      return Promise.reject(new DatasetError(`${name}: cannot read rows ${start}-${start + b.rows - 1} (${String((e as Error)?.message).split('\n')[0].slice(0, 200)}); the file is corrupt, re-create it with saveToDisk`));
    } finally { closeSync(fd); }
  };
  const batchInfo = batches.map((b) => { const s = starts; starts += b.rows; return { b, s }; });
  const columns = new Map<string, Column>();
  for (const [ci, field] of schema.fields.entries()) {
    columns.set(field.name, new ChunkedColumn(batchInfo.map(({ b, s }, bi) => ({
      rows: b.rows,
      key: `arrow:${id}:${bi}:${field.name}`,
      load: async () => {
        const table = await loadBatch(b, s);
        try {
          const vec = table.getChildAt(ci);
          if (!vec || vec.length !== b.rows) throw new Error(`column has ${vec?.length ?? 0} values for ${b.rows} rows`);
          return vectorToStorage(vec);
        } catch (e) {
          throw datasetErrorIn(`${name}: column '${field.name}', rows ${s}-${s + b.rows - 1}`, e, 're-create the file with saveToDisk');
        }
      },
    }))));
  }
  return { numRows: starts, features, columns, hfFeatures: !!hf };
}

function openArrowWhole(path: string): OpenedTable {
  const fd = openSync(path, 'r');
  let table: Table;
  try { table = tableFromIPC(readAt(fd, 0, statSync(path).size)); } finally { closeSync(fd); }
  const hf = hfFeaturesFromMetadata(table.schema.metadata.get('huggingface') ?? undefined, path);
  const features = hf ?? new Features(table.schema.fields.map((f) => [f.name, featureFromArrow(f.type)] as const));
  const columns = new Map<string, Column>();
  for (const [ci, field] of table.schema.fields.entries()) {
    let vals: unknown[] | null = null;
    columns.set(field.name, new ChunkedColumn([{
      rows: table.numRows,
      key: `arrowwhole:${path}:${ci}`,
      load: async () => {
        try {
          return (vals ??= vectorToStorage(table.getChildAt(ci)!));
        } catch (e) {
          throw datasetErrorIn(`${basename(path)}: column '${field.name}'`, e, 're-create the file with saveToDisk');
        }
      },
    }]));
  }
  return { numRows: table.numRows, features, columns, hfFeatures: !!hf };
}

function concatBytes(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

interface DataLike { type: DataType; offset: number; length: number; valueOffsets?: ArrayLike<number | bigint>; values?: { length: number }; children: DataLike[] }

/**
 * Offsets of list, string and binary data point inside their child or value buffer, rising, and
 * child lengths cover their parent: apache-arrow trusts them, so a corrupt offset would make one
 * row a slice of billions of values (a hang, then out of memory) instead of an error.
 */
function checkData(d: DataLike, path: string): void {
  const t = d.type;
  const end = d.offset + d.length;
  const offs = d.valueOffsets;
  if (offs && (DataType.isList(t) || DataType.isUtf8(t) || DataType.isBinary(t) || DataType.isLargeUtf8?.(t) || DataType.isLargeBinary?.(t))) {
    if (offs.length < end + 1) throw new Error(`${path}: ${offs.length} offsets for ${end} values`);
    const limit = DataType.isList(t) ? (d.children[0]?.length ?? 0) : (d.values?.length ?? 0);
    let prev = Number(offs[d.offset]);
    if (!(prev >= 0)) throw new Error(`${path}: offset ${prev} at value ${d.offset} is negative`);
    for (let i = d.offset + 1; i <= end; i++) {
      const o = Number(offs[i]);
      if (!(o >= prev) || o > limit) throw new Error(`${path}: offset ${o} at value ${i - 1} is out of order or past the ${limit} values it indexes`);
      prev = o;
    }
  }
  if (DataType.isFixedSizeList(t) && (d.children[0]?.length ?? 0) < end * t.listSize) {
    throw new Error(`${path}: ${d.children[0]?.length ?? 0} child values for ${end} lists of ${t.listSize}`);
  }
  if (DataType.isStruct(t)) for (const c of d.children) if (c.length < end) throw new Error(`${path}: a struct field has ${c.length} values for ${end} rows`);
  d.children.forEach((c, i) => checkData(c, `${path}.${(t.children?.[i] as { name?: string } | undefined)?.name ?? i}`));
}

/** Arrow vector -> plain storage values (numbers, strings, Uint8Array, arrays, objects). */
export function vectorToStorage(vec: Vector): unknown[] {
  const t = vec.type as DataType;
  for (const d of vec.data as unknown as DataLike[]) checkData(d, 'values');
  if (DataType.isInt(t) || DataType.isFloat(t)) {
    if (vec.nullCount === 0) {
      const arr = vec.toArray() as ArrayLike<number | bigint>;
      return typeof arr[0] === 'bigint' ? Array.from(arr, (x) => normalizeStorage(x)) : Array.from(arr as ArrayLike<number>);
    }
  }
  const out = new Array(vec.length);
  for (let i = 0; i < vec.length; i++) out[i] = arrowValueToStorage(vec.get(i), t);
  return out;
}

function arrowValueToStorage(v: unknown, t: DataType): unknown {
  if (v === null || v === undefined) return null;
  if (DataType.isStruct(t)) {
    const out: Record<string, unknown> = {};
    const row = v as Record<string, unknown>;
    for (const f of t.children) out[f.name] = arrowValueToStorage(row[f.name], f.type);
    return out;
  }
  if (DataType.isList(t) || DataType.isFixedSizeList(t)) {
    const inner = (v as Vector);
    const it = t.children[0].type;
    const out = new Array(inner.length);
    for (let i = 0; i < inner.length; i++) out[i] = arrowValueToStorage(inner.get(i), it);
    return out;
  }
  if (typeof v === 'bigint') return normalizeStorage(v);
  if (v instanceof Uint8Array) return new Uint8Array(v); // detach from the batch buffer
  return v;
}

export function featureFromArrow(t: DataType): FeatureType {
  if (DataType.isStruct(t)) return Object.fromEntries(t.children.map((f) => [f.name, featureFromArrow(f.type)]));
  if (DataType.isList(t)) return new Sequence({ feature: featureFromArrow(t.children[0].type) });
  if (DataType.isFixedSizeList(t)) return new Sequence({ feature: featureFromArrow(t.children[0].type), length: t.listSize });
  if (DataType.isBool(t)) return new Value('bool');
  if (DataType.isInt(t)) return new Value(`${t.isSigned ? '' : 'u'}int${t.bitWidth}`);
  if (DataType.isFloat(t)) return new Value(['float16', 'float32', 'float64'][t.precision]);
  if (DataType.isUtf8(t)) return new Value('string');
  if (DataType.isLargeUtf8(t)) return new Value('large_string');
  if (DataType.isBinary(t)) return new Value('binary');
  if (DataType.isLargeBinary(t)) return new Value('large_binary');
  if (DataType.isNull(t)) return new Value('null');
  if (DataType.isDictionary(t)) return featureFromArrow(t.dictionary);
  throw new Error(`Arrow type ${t} is not supported`);
}

/** The Arrow type `datasets` uses for a feature (so Python's load_from_disk accepts the file). */
export function arrowTypeOf(f: FeatureType): DataType {
  if (f instanceof ClassLabel) return new Int64();
  if (f instanceof Image) return new Struct([new Field('bytes', new Binary(), true), new Field('path', new Utf8(), true)]);
  if (f instanceof Sequence) {
    const item = new Field('item', arrowTypeOf(f.feature), true);
    return f.length >= 0 ? new FixedSizeList(f.length, item) : new List(item);
  }
  if (isFeatureDict(f)) return new Struct(Object.entries(f).map(([k, sub]) => new Field(k, arrowTypeOf(sub), true)));
  const d = (f as Value).dtype;
  const map: Record<string, () => DataType> = {
    null: () => new Null(), bool: () => new Bool(), int8: () => new Int8(), int16: () => new Int16(), int32: () => new Int32(), int64: () => new Int64(),
    uint8: () => new Uint8(), uint16: () => new Uint16(), uint32: () => new Uint32(), uint64: () => new Uint64(),
    float16: () => new Float16(), float32: () => new Float32(), float64: () => new Float64(),
    string: () => new Utf8(), large_string: () => new LargeUtf8(), binary: () => new Binary(), large_binary: () => new LargeBinary(),
  };
  const mk = map[d];
  if (!mk) throw new Error(`cannot write Value('${d}') to Arrow yet; cast the column to a supported dtype`);
  return mk();
}

/** Writes an Arrow stream file batch by batch (bounded memory), atomically. */
export async function writeArrowFileStreaming(path: string, features: Features, numRows: number, read: (start: number, end: number) => Promise<Record<string, unknown[]>>, batchSize = 1000): Promise<void> {
  const fields = [...features].map(([name, f]) => new Field(name, arrowTypeOf(f), true));
  const schema = new Schema(fields, new Map([['huggingface', JSON.stringify({ info: { features: features.toJSON() } })]]));
  const header = tableToIPC(new Table(schema), 'stream');
  const schemaBytes = header.subarray(0, header.length - 8);
  await replaceFile(path, async (tmp) => {
    const fd = openSync(tmp, 'w');
    try {
      writeSync(fd, schemaBytes);
      for (let s = 0; s < numRows; s += batchSize) {
        const e = Math.min(numRows, s + batchSize);
        const data = await read(s, e);
        const children = fields.map((fld) => {
          const f = features.get(fld.name)!;
          const vec = vectorFromArray(data[fld.name].map((v) => toArrowValue(f, v)), fld.type);
          return vec.data[0];
        });
        const batch = new RecordBatch(schema, makeData({ type: new Struct(fields), length: e - s, nullCount: 0, children }));
        const bytes = tableToIPC(new Table([batch]), 'stream');
        writeSync(fd, bytes.subarray(schemaBytes.length, bytes.length - 8));
      }
      writeSync(fd, new Uint8Array([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]));
    } finally { closeSync(fd); }
  });
}

function toArrowValue(f: FeatureType, v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (f instanceof ClassLabel) return BigInt(v as number);
  if (f instanceof Value) return (f.dtype === 'int64' || f.dtype === 'uint64') && typeof v === 'number' ? BigInt(v) : v;
  if (f instanceof Image) return v;
  if (f instanceof Sequence) return (v as unknown[]).map((x) => toArrowValue(f.feature, x));
  const out: Record<string, unknown> = {};
  for (const [k, sub] of Object.entries(f as Record<string, FeatureType>)) out[k] = toArrowValue(sub, (v as Record<string, unknown>)[k]);
  return out;
}

