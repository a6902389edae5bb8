// Columnar storage: every dataset column is a Column that reads storage values lazily, by row
// positions. File-backed columns read one chunk (parquet row group / Arrow record batch) at a time
// through a small shared LRU cache, so memory follows the columns and rows touched.

export interface Column {
  readonly length: number;
  /** Storage values at the given row positions (each in [0, length)). */
  take(indices: ArrayLike<number>): Promise<unknown[]>;
  /** Storage values of rows [start, end). */
  range(start: number, end: number): Promise<unknown[]>;
}

export class ArrayColumn implements Column {
  constructor(readonly values: unknown[]) {}
  get length(): number { return this.values.length; }
  async take(indices: ArrayLike<number>): Promise<unknown[]> {
    const out = new Array(indices.length);
    for (let i = 0; i < indices.length; i++) out[i] = this.values[indices[i]];
    return out;
  }
  async range(start: number, end: number): Promise<unknown[]> { return this.values.slice(start, end); }
}

/** A view of rows of another column (select, shuffle, filter, splits): no data is copied. */
export class TakeColumn implements Column {
  readonly base: Column;
  readonly indices: Uint32Array;
  constructor(base: Column, indices: Uint32Array) {
    // compose views instead of stacking them
    if (base instanceof TakeColumn) {
      const inner = base.indices;
      const composed = new Uint32Array(indices.length);
      for (let i = 0; i < indices.length; i++) composed[i] = inner[indices[i]];
      this.base = base.base; this.indices = composed;
    } else {
      this.base = base; this.indices = indices;
    }
  }
  get length(): number { return this.indices.length; }
  take(indices: ArrayLike<number>): Promise<unknown[]> {
    const mapped = new Uint32Array(indices.length);
    for (let i = 0; i < indices.length; i++) mapped[i] = this.indices[indices[i]];
    return this.base.take(mapped);
  }
  range(start: number, end: number): Promise<unknown[]> { return this.base.take(this.indices.subarray(start, end)); }
}

/** Columns placed end to end (several files of one split, concatenateDatasets). */
export class ConcatColumn implements Column {
  readonly length: number;
  private readonly starts: number[];
  constructor(readonly parts: Column[]) {
    this.starts = [];
    let n = 0;
    for (const p of parts) { this.starts.push(n); n += p.length; }
    this.length = n;
  }
  async take(indices: ArrayLike<number>): Promise<unknown[]> {
    return takeFromParts(indices, this.starts, this.length, (p, local) => this.parts[p].take(local));
  }
  async range(start: number, end: number): Promise<unknown[]> {
    const out: unknown[] = [];
    for (let p = 0; p < this.parts.length; p++) {
      const s = this.starts[p]; const e = s + this.parts[p].length;
      if (e <= start || s >= end) continue;
      for (const v of await this.parts[p].range(Math.max(start, s) - s, Math.min(end, e) - s)) out.push(v);
    }
    return out;
  }
}

/** Finds the part holding row i (parts start at `starts`, sorted). */
export function partOf(starts: number[], i: number): number {
  let lo = 0; let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= i) lo = mid; else hi = mid - 1;
  }
  return lo;
}

async function takeFromParts(indices: ArrayLike<number>, starts: number[], length: number, read: (part: number, local: number[]) => Promise<unknown[]>): Promise<unknown[]> {
  const out = new Array(indices.length);
  const byPart = new Map<number, { pos: number[]; local: number[] }>();
  for (let i = 0; i < indices.length; i++) {
    const idx = indices[i];
    if (!(idx >= 0 && idx < length)) throw new RangeError(`row index ${idx} is out of range for ${length} rows`);
    const p = partOf(starts, idx);
    let g = byPart.get(p);
    if (!g) { g = { pos: [], local: [] }; byPart.set(p, g); }
    g.pos.push(i); g.local.push(idx - starts[p]);
  }
  await Promise.all([...byPart].map(async ([p, g]) => {
    const vals = await read(p, g.local);
    for (let k = 0; k < g.pos.length; k++) out[g.pos[k]] = vals[k];
  }));
  return out;
}

// ---------------------------------------------------------------------------------------------
// Chunk cache

const CACHE_LIMIT_BYTES = Number(process.env.HUBTUNE_DATASETS_CACHE_MB ?? 512) * 1024 * 1024;
const cache = new Map<string, { values: Promise<unknown[]>; bytes: number }>();
let cachedBytes = 0;

function estimateBytes(values: unknown[]): number {
  let n = values.length * 8;
  const step = Math.max(1, Math.floor(values.length / 64));
  let sampled = 0; let extra = 0;
  for (let i = 0; i < values.length; i += step) { extra += deepSize(values[i]); sampled++; }
  return n + (sampled ? Math.round(extra / sampled * values.length) : 0);
}
function deepSize(v: unknown): number {
  if (v == null) return 0;
  if (typeof v === 'string') return v.length * 2;
  if (v instanceof Uint8Array) return v.byteLength;
  if (ArrayBuffer.isView(v)) return v.byteLength;
  if (Array.isArray(v)) { let s = 8 * v.length; for (const x of v.slice(0, 16)) s += deepSize(x) * Math.max(1, v.length / 16); return s; }
  if (typeof v === 'object') { let s = 0; for (const x of Object.values(v)) s += 16 + deepSize(x); return s; }
  return 8;
}

/** Loads a chunk through the shared LRU cache (keyed by file, chunk and column). */
export function cachedChunk(key: string, load: () => Promise<unknown[]>): Promise<unknown[]> {
  const hit = cache.get(key);
  if (hit) { cache.delete(key); cache.set(key, hit); return hit.values; }
  const entry = { values: load(), bytes: 0 };
  cache.set(key, entry);
  entry.values.then((vals) => {
    if (cache.get(key) !== entry) return;
    entry.bytes = estimateBytes(vals);
    cachedBytes += entry.bytes;
    for (const [k, e] of cache) {
      if (cachedBytes <= CACHE_LIMIT_BYTES || k === key) break;
      cache.delete(k); cachedBytes -= e.bytes;
    }
  }, () => { if (cache.get(key) === entry) cache.delete(key); });
  return entry.values;
}

export function clearChunkCache(): void { cache.clear(); cachedBytes = 0; }

/** A file-backed column made of chunks (row groups or record batches) loaded on demand. */
export class ChunkedColumn implements Column {
  readonly length: number;
  private readonly starts: number[];
  constructor(readonly chunks: { rows: number; key: string; load: () => Promise<unknown[]> }[]) {
    this.starts = [];
    let n = 0;
    for (const c of chunks) { this.starts.push(n); n += c.rows; }
    this.length = n;
  }
  private chunk(p: number): Promise<unknown[]> {
    const c = this.chunks[p];
    return cachedChunk(c.key, c.load);
  }
  take(indices: ArrayLike<number>): Promise<unknown[]> {
    return takeFromParts(indices, this.starts, this.length, async (p, local) => {
      const vals = await this.chunk(p);
      return local.map((i) => vals[i]);
    });
  }
  async range(start: number, end: number): Promise<unknown[]> {
    const out: unknown[] = [];
    if (end <= start) return out;
    for (let p = partOf(this.starts, start); p < this.chunks.length && this.starts[p] < end; p++) {
      const s = this.starts[p];
      const vals = await this.chunk(p);
      const a = Math.max(start, s) - s; const b = Math.min(end, s + this.chunks[p].rows) - s;
      if (a === 0 && b === vals.length) { for (const v of vals) out.push(v); } else { for (let i = a; i < b; i++) out.push(vals[i]); }
    }
    return out;
  }
}
