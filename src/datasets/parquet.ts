// Parquet files: lazy, row-group-at-a-time columns on read; HF-compatible files on write
// (features JSON in the `huggingface` key/value metadata, as `datasets` writes it).
import { statSync } from 'node:fs';
import { basename } from 'node:path';
import { parquetMetadataAsync, parquetSchema, type FileMetaData, type SchemaTree } from 'hyparquet';
import { parquetWriteFile } from 'hyparquet-writer';
import type { SchemaElement } from 'hyparquet-writer';
import { ChunkedColumn, type Column } from './columns';
import { ClassLabel, Features, Image, Sequence, Value, isFeatureDict, type FeatureType } from './features';
import { DatasetError, datasetErrorIn } from './errors';
import { decodeColumnRows, fileBuffer } from './parquet-decode';
import { parseJsonText } from '../util/safe-json';

export interface OpenedTable { numRows: number; features: Features; columns: Map<string, Column>; hfFeatures: boolean }

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
  const meta = parseJsonText(json, `${where}: the 'huggingface' metadata`, DatasetError) as { info?: { features?: Record<string, unknown> } } | null;
  const features = meta && typeof meta === 'object' && meta.info && typeof meta.info === 'object' ? meta.info.features : undefined;
  if (features === undefined || features === null) return null;
  try {
    return Features.fromJSON(features, `${where} huggingface.info.features`);
  } catch (e) {
    throw datasetErrorIn(`${where} huggingface.info.features`, e, 'rewrite the file');
  }
}

/**
 * The footer's counts and offsets checked against the file before any page is read: num_rows equal
 * to the row groups' rows, every column chunk inside the file, no external column files.
 */
export function checkParquetMetadata(md: FileMetaData, fileSize: number, path: string): void {
  const n = (v: unknown) => (typeof v === 'bigint' ? Number(v) : typeof v === 'number' ? v : NaN);
  const numRows = n(md.num_rows);
  if (!Number.isSafeInteger(numRows) || numRows < 0) throw new DatasetError(`${path}: footer field num_rows is ${String(md.num_rows)}, not a row count; the file is corrupt, re-download or regenerate it`);
  if (!Array.isArray(md.row_groups)) throw new DatasetError(`${path}: the footer has no row_groups list; the file is corrupt, re-download or regenerate it`);
  // pages lie between the leading magic and the footer
  const dataEnd = fileSize - 8 - (Number.isSafeInteger(md.metadata_length) ? md.metadata_length : 0);
  let total = 0;
  md.row_groups.forEach((rg, i) => {
    const rows = n(rg.num_rows);
    if (!Number.isSafeInteger(rows) || rows < 0) throw new DatasetError(`${path}: row group ${i} has num_rows ${String(rg.num_rows)}; the file is corrupt, re-download or regenerate it`);
    total += rows;
    for (const [j, cc] of (rg.columns ?? []).entries()) {
      const col = cc.meta_data?.path_in_schema?.join('.') ?? `#${j}`;
      const where = `${path}: row group ${i}, column '${col}'`;
      if (cc.file_path) throw new DatasetError(`${where} is stored in another file (${String(cc.file_path).slice(0, 60)}), which hubtune does not read; rewrite the dataset as self-contained parquet`);
      const m = cc.meta_data;
      if (!m) throw new DatasetError(`${where} has no column metadata; the file is corrupt, re-download or regenerate it`);
      const dataOff = n(m.data_page_offset);
      const dictOff = m.dictionary_page_offset === undefined ? dataOff : n(m.dictionary_page_offset);
      const size = n(m.total_compressed_size);
      const values = n(m.num_values);
      const start = Math.min(dataOff, dictOff);
      if (![dataOff, dictOff, size, values].every((x) => Number.isSafeInteger(x) && x >= 0) || start < 4 || start + size > dataEnd) {
        throw new DatasetError(`${where}: pages at byte ${start} of ${size} bytes (${values} values) do not fit the ${fileSize}-byte file before its footer; the file is corrupt, re-download or regenerate it`);
      }
    }
  });
  if (total !== numRows) throw new DatasetError(`${path}: the footer says num_rows ${numRows} but its row groups hold ${total} rows; the file is corrupt, re-download or regenerate it`);
}

/** Opens a parquet file lazily: reads the footer only; columns load one row group at a time (decoded in a bounded worker). */
export async function openParquet(path: string): Promise<OpenedTable> {
  try {
    return await openParquetChecked(path);
  } catch (e) {
    throw datasetErrorIn(path, e);
  }
}

async function openParquetChecked(path: string): Promise<OpenedTable> {
  const name = basename(path);
  let metadata: FileMetaData;
  const size = statSync(path).size;
  try {
    metadata = await parquetMetadataAsync(fileBuffer(path));
  } catch (e) {
    throw new DatasetError(`${path}: not a readable parquet file (${String((e as Error).message).split('\n')[0].slice(0, 200)}); re-download or regenerate it`);
  }
  checkParquetMetadata(metadata, size, path);
  const schema = parquetSchema(metadata);
  const hf = hfFeaturesFromMetadata(metadata.key_value_metadata?.find((kv) => kv.key === 'huggingface')?.value, path);
  const inferred = new Features(schema.children.map((c) => [c.element.name, featureFromParquet(c)] as const));
  let features = inferred;
  if (hf) {
    const missing = [...hf.keys()].filter((k) => !inferred.has(k));
    if (missing.length) throw new DatasetError(`${path}: the huggingface metadata names columns ${missing.join(', ')} that the file lacks; rewrite the file`);
    features = new Features([...inferred.keys()].map((k) => [k, hf.get(k) ?? inferred.get(k)!] as const));
  }
  const numRows = Number(metadata.num_rows);
  const groups: { start: number; rows: number; bytes: Map<string, number> }[] = [];
  let start = 0;
  for (const rg of metadata.row_groups) {
    const rows = Number(rg.num_rows);
    const bytes = new Map<string, number>();
    for (const cc of rg.columns) {
      const top = cc.meta_data?.path_in_schema?.[0] ?? '';
      bytes.set(top, (bytes.get(top) ?? 0) + Number(cc.meta_data?.total_compressed_size ?? 0));
    }
    groups.push({ start, rows, bytes });
    start += rows;
  }
  const id = `${path}:${statSync(path).mtimeMs}`;
  const columns = new Map<string, Column>();
  for (const col of features.keys()) {
    columns.set(col, new ChunkedColumn(groups.map((g, gi) => ({
      rows: g.rows,
      key: `pq:${id}:${gi}:${col}`,
      load: async () => {
        const where = `${name}: column '${col}', rows ${g.start}-${g.start + g.rows - 1}`;
        const rows = await decodeColumnRows(path, col, g.start, g.start + g.rows, g.bytes.get(col) ?? 0, where);
        if (rows.length !== g.rows) throw new DatasetError(`${where}: decoded ${rows.length} values for ${g.rows} rows; the file is corrupt, re-download or regenerate it`);
        const out = new Array(rows.length);
        for (let i = 0; i < rows.length; i++) out[i] = normalizeStorage(rows[i]);
        return out;
      },
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
