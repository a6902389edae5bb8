// A verifier for Arrow IPC message headers (the Message flatbuffer: Schema, RecordBatch,
// DictionaryBatch), run before apache-arrow decodes them. apache-arrow reads flatbuffers without
// bounds checks: a corrupt vector length makes it build millions of garbage fields while memory
// grows (docs/upstream-reports.md). Here every table, vtable, vector and string must lie inside the
// header bytes, the number of tables visited is bounded, and a record batch's nodes and buffers must
// fit its body; anything else is a DatasetError naming the file and the byte.
import { DatasetError } from './errors';

const MAX_TABLES = 200_000;
const MAX_DEPTH = 64;

type FieldKind =
  | { k: 'scalar'; size: number }
  | { k: 'string' }
  | { k: 'table'; of: TableSpec }
  | { k: 'tables'; of: TableSpec }
  | { k: 'structs'; size: number }
  | { k: 'scalars'; size: number }
  | { k: 'union'; typeField: number; of: Record<number, TableSpec> };
interface TableSpec { name: string; fields: Array<FieldKind | null> }

const S = (size: number): FieldKind => ({ k: 'scalar', size });
const KeyValue: TableSpec = { name: 'KeyValue', fields: [{ k: 'string' }, { k: 'string' }] };
const scalarTable = (name: string, ...sizes: number[]): TableSpec => ({ name, fields: sizes.map(S) });
// Schema.fbs Type union: 1 Null ... 22 RunEndEncoded (+ view types); tables of scalars except
// Timestamp (a timezone string) and Union (a typeIds vector)
const TYPE_TABLES: Record<number, TableSpec> = {};
for (let t = 1; t <= 26; t++) TYPE_TABLES[t] = scalarTable(`Type${t}`);
TYPE_TABLES[2] = scalarTable('Int', 4, 1);
TYPE_TABLES[8] = scalarTable('Date', 2);
TYPE_TABLES[9] = scalarTable('Time', 2, 4);
TYPE_TABLES[11] = scalarTable('Interval', 2);
TYPE_TABLES[15] = scalarTable('FixedSizeBinary', 4);
TYPE_TABLES[16] = scalarTable('FixedSizeList', 4);
TYPE_TABLES[17] = scalarTable('Map', 1);
TYPE_TABLES[18] = scalarTable('Duration', 2);
TYPE_TABLES[3] = scalarTable('FloatingPoint', 2);
TYPE_TABLES[7] = scalarTable('Decimal', 4, 4, 4);
TYPE_TABLES[10] = { name: 'Timestamp', fields: [S(2), { k: 'string' }] };
TYPE_TABLES[14] = { name: 'Union', fields: [S(2), { k: 'scalars', size: 4 }] };
const DictionaryEncoding: TableSpec = { name: 'DictionaryEncoding', fields: [S(8), { k: 'table', of: TYPE_TABLES[2] }, S(1), S(2)] };
const Field: TableSpec = { name: 'Field', fields: [] };
Field.fields.push({ k: 'string' }, S(1), S(1), { k: 'union', typeField: 2, of: TYPE_TABLES }, { k: 'table', of: DictionaryEncoding }, { k: 'tables', of: Field }, { k: 'tables', of: KeyValue });
const Schema: TableSpec = { name: 'Schema', fields: [S(2), { k: 'tables', of: Field }, { k: 'tables', of: KeyValue }, { k: 'scalars', size: 8 }] };
const BodyCompression: TableSpec = scalarTable('BodyCompression', 1, 1);
const RecordBatch: TableSpec = { name: 'RecordBatch', fields: [S(8), { k: 'structs', size: 16 }, { k: 'structs', size: 16 }, { k: 'table', of: BodyCompression }, { k: 'scalars', size: 8 }] };
const DictionaryBatch: TableSpec = { name: 'DictionaryBatch', fields: [S(8), { k: 'table', of: RecordBatch }, S(1)] };
const Message: TableSpec = {
  name: 'Message',
  fields: [S(2), S(1), { k: 'union', typeField: 1, of: { 1: Schema, 2: DictionaryBatch, 3: RecordBatch } }, S(8), { k: 'tables', of: KeyValue }],
};

class Verifier {
  private tables = 0;
  private readonly dv: DataView;
  constructor(private readonly buf: Uint8Array, private readonly where: string) {
    this.dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  fail(what: string, at: number): never {
    throw new DatasetError(`${this.where}: the Arrow message header is corrupt (${what} at header byte ${at}); re-create the file with saveToDisk`);
  }
  need(at: number, len: number, what: string): void {
    if (!(at >= 0 && len >= 0 && at + len <= this.buf.byteLength)) this.fail(`${what} runs past the ${this.buf.byteLength}-byte header`, at);
  }
  u32(at: number, what: string): number { this.need(at, 4, what); return this.dv.getUint32(at, true); }
  /** Position of the object an offset field at `at` points to. */
  deref(at: number, what: string): number {
    const p = at + this.u32(at, what);
    this.need(p, 4, what);
    return p;
  }
  /** Vector at `v`: its length, checked against the bytes it needs. */
  vector(v: number, elem: number, what: string): number {
    const n = this.u32(v, `${what} length`);
    if (n * elem > this.buf.byteLength) this.fail(`${what} claims ${n} entries, more than the header holds`, v);
    this.need(v + 4, n * elem, what);
    return n;
  }
  /** Table at `t`: returns the absolute position of each present field (or 0). */
  table(t: number, spec: TableSpec, depth: number): number[] {
    if (++this.tables > MAX_TABLES) this.fail(`more than ${MAX_TABLES} tables`, t);
    if (depth > MAX_DEPTH) this.fail(`${spec.name} nested deeper than ${MAX_DEPTH}`, t);
    this.need(t, 4, spec.name);
    const vt = t - this.dv.getInt32(t, true);
    this.need(vt, 4, `${spec.name} vtable`);
    const vtSize = this.dv.getUint16(vt, true);
    const tSize = this.dv.getUint16(vt + 2, true);
    if (vtSize < 4 || vtSize % 2) this.fail(`${spec.name} vtable size ${vtSize}`, vt);
    this.need(vt, vtSize, `${spec.name} vtable`);
    this.need(t, tSize, spec.name);
    const pos: number[] = [];
    for (let i = 0; i < spec.fields.length; i++) {
      const off = 4 + 2 * i < vtSize ? this.dv.getUint16(vt + 4 + 2 * i, true) : 0;
      pos.push(off ? t + off : 0);
    }
    for (let i = 0; i < spec.fields.length; i++) {
      const f = spec.fields[i];
      const p = pos[i];
      if (!f || !p) continue;
      const what = `${spec.name} field ${i}`;
      switch (f.k) {
        case 'scalar': this.need(p, f.size, what); break;
        case 'string': { const s = this.deref(p, what); this.vector(s, 1, what); break; }
        case 'table': this.table(this.deref(p, what), f.of, depth + 1); break;
        case 'structs': case 'scalars': this.vector(this.deref(p, what), f.size, what); break;
        case 'tables': {
          const v = this.deref(p, what);
          const n = this.vector(v, 4, what);
          for (let j = 0; j < n; j++) this.table(this.deref(v + 4 + 4 * j, `${what}[${j}]`), f.of, depth + 1);
          break;
        }
        case 'union': {
          const tp = pos[f.typeField];
          const type = tp ? this.buf[tp] : 0;
          const of = f.of[type];
          if (!of) this.fail(`${what} has union type ${type}, which hubtune does not read`, p);
          this.table(this.deref(p, what), of, depth + 1);
          break;
        }
      }
    }
    return pos;
  }
  root(): number[] {
    return this.table(this.deref(0, 'root offset'), Message, 0);
  }
}

/** A flatbuffer vector of 16-byte structs (FieldNode / Buffer) as [a, b] int64 pairs. */
function pairs(dv: DataView, fieldPos: number): Array<[bigint, bigint]> {
  if (!fieldPos) return [];
  const v = fieldPos + dv.getUint32(fieldPos, true);
  const n = dv.getUint32(v, true);
  const out: Array<[bigint, bigint]> = [];
  for (let i = 0; i < n; i++) out.push([dv.getBigInt64(v + 4 + 16 * i, true), dv.getBigInt64(v + 12 + 16 * i, true)]);
  return out;
}

/**
 * Verifies one message header (the flatbuffer bytes after the length prefix) before apache-arrow
 * decodes it; `where` names the file and the message's byte in it.
 */
export function verifyArrowMessage(meta: Uint8Array, where: string): void {
  const v = new Verifier(meta, where);
  const msg = v.root();
  const dv = new DataView(meta.buffer, meta.byteOffset, meta.byteLength);
  const headerType = msg[1] ? meta[msg[1]] : 0;
  const bodyLength = msg[3] ? dv.getBigInt64(msg[3], true) : 0n;
  if (bodyLength < 0n) v.fail(`bodyLength ${bodyLength}`, msg[3]);
  if (headerType !== 2 && headerType !== 3) return;
  // RecordBatch (or a DictionaryBatch's): nodes and buffers inside the body
  let rb = msg[2] + dv.getUint32(msg[2], true);
  if (headerType === 2) {
    const pos = tablePositions(dv, rb, 3);
    if (!pos[1]) v.fail('a DictionaryBatch without data', rb);
    rb = pos[1] + dv.getUint32(pos[1], true);
  }
  const pos = tablePositions(dv, rb, 5);
  const length = pos[0] ? dv.getBigInt64(pos[0], true) : 0n;
  const maxRows = 8n * bodyLength + 65_536n;
  if (length < 0n || length > maxRows) v.fail(`a record batch of ${length} rows in a ${bodyLength}-byte body`, pos[0]);
  for (const [i, [len, nulls]] of pairs(dv, pos[1]).entries()) {
    if (len < 0n || len > maxRows || nulls < 0n || nulls > len) v.fail(`field node ${i}: length ${len}, null count ${nulls}`, pos[1]);
  }
  for (const [i, [off, len]] of pairs(dv, pos[2]).entries()) {
    if (off < 0n || len < 0n || off + len > bodyLength) v.fail(`buffer ${i}: ${len} bytes at body byte ${off}, past the ${bodyLength}-byte body`, pos[2]);
  }
}

function tablePositions(dv: DataView, t: number, n: number): number[] {
  const vt = t - dv.getInt32(t, true);
  const vtSize = dv.getUint16(vt, true);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const off = 4 + 2 * i < vtSize ? dv.getUint16(vt + 4 + 2 * i, true) : 0;
    out.push(off ? t + off : 0);
  }
  return out;
}
