// Parquet files: lazy, row-group-at-a-time columns on read; HF-compatible files on write
// (features JSON in the `huggingface` key/value metadata, as `datasets` writes it).
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { parquetMetadataAsync, parquetRead, parquetSchema, type AsyncBuffer, type FileMetaData, type SchemaTree } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { parquetWriteFile } from 'hyparquet-writer';
import type { SchemaElement } from 'hyparquet-writer';
import { ChunkedColumn, type Column } from './columns';
import { ClassLabel, Features, Image, Sequence, Value, isFeatureDict, type FeatureType } from './features';

export interface OpenedTable { numRows: number; features: Features; columns: Map<string, Column>; hfFeatures: boolean }

function fileBuffer(path: string): AsyncBuffer {
  const size = statSync(path).size;
  return {
    byteLength: size,
    slice(start: number, end?: number): Promise<ArrayBuffer> {
      const e = Math.min(end ?? size, size);
      const buf = Buffer.allocUnsafeSlow(Math.max(0, e - start));
      const fd = openSync(path, 'r');
      try {
        let off = 0;
        while (off < buf.length) {
          const n = readSync(fd, buf, off, buf.length - off, start + off);
          if (n === 0) break;
          off += n;
        }
      } finally { closeSync(fd); }
      return Promise.resolve(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer);
    },
  };
}

/** BigInt -> number where safe; recursive over lists and structs. */
export function normalizeStorage(v: unknown): unknown {
  if (typeof v === 'bigint') return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  if (v === null || typeof v !== 'object') return v;
  if (v instanceof Uint8Array || v instanceof Date) return v;
  if (v instanceof BigInt64Array || v instanceof BigUint64Array) return Array.from(v, normalizeStorage);
  if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<number>);
  if (Array.isArray(v)) {
    let needs = false;
    for (const x of v) if (x !== null && (typeof x === 'object' || typeof x === 'bigint')) { needs = true; break; }
    return needs ? v.map(normalizeStorage) : v;
  }
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[k] = normalizeStorage(x);
  return out;
}

export function hfFeaturesFromMetadata(json: string | undefined, where: string): Features | null {
  if (!json) return null;
  let meta: { info?: { features?: Record<string, unknown> } };
  try { meta = JSON.parse(json); } catch { throw new Error(`${where}: the 'huggingface' metadata is not valid JSON; rewrite the file`); }
  return meta.info?.features ? Features.fromJSON(meta.info.features, `${where} huggingface.info.features`) : null;
}

/** Opens a parquet file lazily: reads the footer only; columns load one row group at a time. */
export async function openParquet(path: string): Promise<OpenedTable> {
  const name = basename(path);
  let file: AsyncBuffer; let metadata: FileMetaData;
  try {
    file = fileBuffer(path);
    metadata = await parquetMetadataAsync(file);
  } catch (e) {
    throw new Error(`${path}: not a readable parquet file (${(e as Error).message}); re-download or regenerate it`);
  }
  const schema = parquetSchema(metadata);
  const hf = hfFeaturesFromMetadata(metadata.key_value_metadata?.find((kv) => kv.key === 'huggingface')?.value, path);
  const inferred = new Features(schema.children.map((c) => [c.element.name, featureFromParquet(c)] as const));
  let features = inferred;
  if (hf) {
    const missing = [...hf.keys()].filter((k) => !inferred.has(k));
    if (missing.length) throw new Error(`${path}: the huggingface metadata names columns ${missing.join(', ')} that the file lacks; rewrite the file`);
    features = new Features([...inferred.keys()].map((k) => [k, hf.get(k) ?? inferred.get(k)!] as const));
  }
  const numRows = Number(metadata.num_rows);
  const groups: { start: number; rows: number }[] = [];
  let start = 0;
  for (const rg of metadata.row_groups) { const rows = Number(rg.num_rows); groups.push({ start, rows }); start += rows; }
  const id = `${path}:${statSync(path).mtimeMs}`;
  const columns = new Map<string, Column>();
  for (const col of features.keys()) {
    columns.set(col, new ChunkedColumn(groups.map((g, gi) => ({
      rows: g.rows,
      key: `pq:${id}:${gi}:${col}`,
      load: () => new Promise<unknown[]>((resolve, reject) => {
        parquetRead({
          file, metadata, columns: [col], rowStart: g.start, rowEnd: g.start + g.rows, utf8: false, compressors,
          onComplete: (rows: unknown[][]) => {
            const out = new Array(rows.length);
            for (let i = 0; i < rows.length; i++) out[i] = normalizeStorage(rows[i][0]);
            resolve(out);
          },
        }).catch((e: Error) => reject(new Error(`${name}: cannot read column '${col}' in rows ${g.start}-${g.start + g.rows - 1} (${e.message}); the file is corrupt, re-download or regenerate it`)));
      }),
    }))));
  }
  return { numRows, features, columns, hfFeatures: !!hf };
}

function featureFromParquet(node: SchemaTree): FeatureType {
  const el = node.element;
  const ct = el.converted_type; const lt = el.logical_type;
  if (ct === 'LIST' || lt?.type === 'LIST') {
    let inner = node.children[0];
    if (inner?.element.repetition_type === 'REPEATED' && inner.children.length === 1) inner = inner.children[0];
    return new Sequence({ feature: featureFromParquet(inner) });
  }
  if (el.repetition_type === 'REPEATED' && !node.children.length) {
    return new Sequence({ feature: featureFromParquet({ ...node, element: { ...el, repetition_type: 'OPTIONAL' } }) });
  }
  if (node.children.length) return Object.fromEntries(node.children.map((c) => [c.element.name, featureFromParquet(c)]));
  switch (el.type) {
    case 'BOOLEAN': return new Value('bool');
    case 'INT32': {
      if (lt?.type === 'INTEGER') return new Value(`${lt.isSigned ? '' : 'u'}int${lt.bitWidth}`);
      if (ct === 'INT_8') return new Value('int8');
      if (ct === 'INT_16') return new Value('int16');
      if (ct === 'UINT_8') return new Value('uint8');
      if (ct === 'UINT_16') return new Value('uint16');
      if (ct === 'UINT_32') return new Value('uint32');
      return new Value('int32');
    }
    case 'INT64': return new Value(ct === 'UINT_64' || (lt?.type === 'INTEGER' && !lt.isSigned) ? 'uint64' : 'int64');
    case 'FLOAT': return new Value('float32');
    case 'DOUBLE': return new Value('float64');
    case 'BYTE_ARRAY': return ct === 'UTF8' || lt?.type === 'STRING' || ct === 'JSON' || ct === 'ENUM' ? new Value('string') : new Value('binary');
    default: return new Value('binary');
  }
}

// ---------------------------------------------------------------------------------------------
// Writing

function schemaFor(name: string, f: FeatureType, out: SchemaElement[]): void {
  if (f instanceof ClassLabel) { out.push({ name, type: 'INT64', repetition_type: 'OPTIONAL' }); return; }
  if (f instanceof Image) {
    out.push({ name, repetition_type: 'OPTIONAL', num_children: 2 });
    out.push({ name: 'bytes', type: 'BYTE_ARRAY', repetition_type: 'OPTIONAL' });
    out.push({ name: 'path', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' });
    return;
  }
  if (f instanceof Sequence) {
    out.push({ name, repetition_type: 'OPTIONAL', num_children: 1, converted_type: 'LIST' });
    out.push({ name: 'list', repetition_type: 'REPEATED', num_children: 1 });
    schemaFor('element', f.feature, out);
    return;
  }
  if (isFeatureDict(f)) {
    const keys = Object.keys(f);
    out.push({ name, repetition_type: 'OPTIONAL', num_children: keys.length });
    for (const k of keys) schemaFor(k, f[k], out);
    return;
  }
  const v = f as Value;
  const d = v.dtype;
  const el: SchemaElement = { name, repetition_type: 'OPTIONAL', type: 'BYTE_ARRAY' };
  if (d === 'bool') el.type = 'BOOLEAN';
  else if (d === 'int64' || d === 'uint64') { el.type = 'INT64'; if (d === 'uint64') el.converted_type = 'UINT_64'; }
  else if (v.isInt) {
    el.type = 'INT32';
    const ct = ({ int8: 'INT_8', int16: 'INT_16', uint8: 'UINT_8', uint16: 'UINT_16', uint32: 'UINT_32' } as const)[d as 'int8'];
    if (ct) el.converted_type = ct;
  } else if (d === 'float32' || d === 'float16') el.type = 'FLOAT';
  else if (d === 'float64') el.type = 'DOUBLE';
  else if (v.isString) el.converted_type = 'UTF8';
  out.push(el);
}

function toParquetValue(f: FeatureType, v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (f instanceof ClassLabel) return BigInt(v as number);
  if (f instanceof Value) {
    if (f.dtype === 'int64' || f.dtype === 'uint64') return typeof v === 'bigint' ? v : BigInt(v as number);
    return v;
  }
  if (f instanceof Image) return v;
  if (f instanceof Sequence) return (v as unknown[]).map((x) => toParquetValue(f.feature, x));
  const out: Record<string, unknown> = {};
  for (const [k, sub] of Object.entries(f as Record<string, FeatureType>)) out[k] = toParquetValue(sub, (v as Record<string, unknown>)[k]);
  return out;
}

/** Writes storage columns to a parquet file that Python `datasets`/pyarrow read with the same features. */
export function writeParquet(path: string, features: Features, columns: Record<string, unknown[]>, opts: { rowGroupSize?: number } = {}): void {
  const schema: SchemaElement[] = [{ name: 'schema', num_children: features.size }];
  for (const [name, f] of features) schemaFor(name, f, schema);
  const columnData = [...features].map(([name, f]) => ({ name, data: columns[name].map((v) => toParquetValue(f, v)) }));
  parquetWriteFile({
    filename: path,
    columnData,
    schema,
    rowGroupSize: opts.rowGroupSize ?? 10_000,
    kvMetadata: [{ key: 'huggingface', value: JSON.stringify({ info: { features: features.toJSON() } }) }],
  });
}
