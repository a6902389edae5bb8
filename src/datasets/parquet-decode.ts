// Parquet pages are decoded in a worker thread with a time and memory bound: hyparquet's decoders
// can loop for billions of steps on a corrupt page (an RLE / bit-packed run whose count overflows,
// see docs/upstream-reports.md), which on the main thread would block the event loop forever.
// A job that runs past its time or heap limit ends the worker and fails with a DatasetError naming
// the file, column and rows; the next job starts a fresh worker.
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import type { AsyncBuffer } from 'hyparquet';
import { DatasetError } from './errors';

/** A parquet file as hyparquet's AsyncBuffer: reads the asked byte range on demand. */
export function fileBuffer(path: string): AsyncBuffer {
  const size = statSync(path).size;
  return {
    byteLength: size,
    slice(start: number, end?: number): Promise<ArrayBuffer> {
      const s = Math.max(0, Math.min(start, size));
      const e = Math.max(s, Math.min(end ?? size, size));
      const buf = Buffer.allocUnsafeSlow(e - s);
      const fd = openSync(path, 'r');
      try {
        let off = 0;
        while (off < buf.length) {
          const n = readSync(fd, buf, off, buf.length - off, s + off);
          if (n === 0) break;
          off += n;
        }
      } finally { closeSync(fd); }
      return Promise.resolve(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer);
    },
  };
}

export interface DecodeJob {
  id: number;
  path: string;
  column: string;
  rowStart: number;
  rowEnd: number;
}
export interface DecodeReply {
  id: number;
  rows?: unknown[];
  error?: string;
}

interface Pending { job: DecodeJob; bytes: number; where: string; resolve: (rows: unknown[]) => void; reject: (e: Error) => void }

const envNumber = (name: string, dflt: number): number => {
  const v = Number(process.env[name]);
  return process.env[name] !== undefined && process.env[name] !== '' && Number.isFinite(v) && v > 0 ? v : dflt;
};

/** Time a decode may take: HUBTUNE_PARQUET_DECODE_TIMEOUT_MS, else 10 s plus 1 s per MB of the column chunk. */
export function decodeTimeoutMs(chunkBytes: number): number {
  return envNumber('HUBTUNE_PARQUET_DECODE_TIMEOUT_MS', 10_000 + Math.ceil(chunkBytes / 1000));
}

let worker: Worker | null = null;
let nextId = 1;
const queue: Pending[] = [];
let running: (Pending & { timer: NodeJS.Timeout }) | null = null;

/**
 * The worker: plain JavaScript (no TypeScript loader to start), hyparquet's own file reader; it
 * keeps the footers of the last files it read and answers one job at a time.
 */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { statSync } = require('node:fs');
const libs = Promise.all([import(${JSON.stringify(import.meta.resolve('hyparquet'))}), import(${JSON.stringify(import.meta.resolve('hyparquet-compressors'))})]);
const opened = new Map();
async function open(hp, path) {
  const st = statSync(path);
  const stamp = st.size + ':' + st.mtimeMs;
  let o = opened.get(path);
  if (!o || o.stamp !== stamp) {
    const file = await hp.asyncBufferFromFile(path);
    o = { stamp, file, metadata: await hp.parquetMetadataAsync(file) };
    opened.set(path, o);
    if (opened.size > 16) opened.delete(opened.keys().next().value);
  }
  return o;
}
parentPort.on('message', async (job) => {
  let reply;
  try {
    const [hp, { compressors }] = await libs;
    const { file, metadata } = await open(hp, job.path);
    const rows = await new Promise((resolve, reject) => {
      hp.parquetRead({
        file, metadata, columns: [job.column], rowStart: job.rowStart, rowEnd: job.rowEnd, utf8: false, compressors,
        onComplete: (rs) => { const out = new Array(rs.length); for (let i = 0; i < rs.length; i++) out[i] = rs[i][0]; resolve(out); },
      }).catch(reject);
    });
    reply = { id: job.id, rows };
  } catch (e) {
    reply = { id: job.id, error: String(e && e.name || 'Error') + ': ' + String(e && e.message || e).split('\\n')[0].slice(0, 200) };
  }
  try { parentPort.postMessage(reply); } catch (e) { parentPort.postMessage({ id: job.id, error: 'cannot return the decoded values (' + e.message + ')' }); }
});
`;

function startWorker(): Worker {
  // the worker's JS heap is bounded (HUBTUNE_PARQUET_WORKER_MB, default 4096): a page that claims
  // billions of values fails there, not in this process
  const w = new Worker(WORKER_SOURCE, {
    eval: true,
    resourceLimits: { maxOldGenerationSizeMb: envNumber('HUBTUNE_PARQUET_WORKER_MB', 4096), maxYoungGenerationSizeMb: 64 },
  });
  w.on('message', (m: DecodeReply) => {
    const r = running;
    if (!r || r.job.id !== m.id) return;
    clearTimeout(r.timer);
    running = null;
    if (m.error !== undefined) r.reject(new DatasetError(`${r.where}: ${m.error}; the file is corrupt, re-download or regenerate it`));
    else r.resolve(m.rows!);
    pump();
  });
  w.on('error', (e: Error & { code?: string }) => fail(w, e.code === 'ERR_WORKER_OUT_OF_MEMORY'
    ? `decoding needed more than the ${envNumber('HUBTUNE_PARQUET_WORKER_MB', 4096)} MB decoder heap (HUBTUNE_PARQUET_WORKER_MB)`
    : `the decoder failed (${e.name}: ${String(e.message).split('\n')[0].slice(0, 200)})`));
  w.on('exit', () => fail(w, 'the decoder stopped'));
  w.unref();
  return w;
}

function fail(w: Worker, why: string): void {
  if (worker !== w) return;
  worker = null;
  const r = running;
  running = null;
  if (r) {
    clearTimeout(r.timer);
    r.reject(new DatasetError(`${r.where}: ${why}; the file is corrupt, re-download or regenerate it`));
  }
  pump();
}

function pump(): void {
  if (running || !queue.length) return;
  const p = queue.shift()!;
  worker ??= startWorker();
  const w = worker;
  const ms = decodeTimeoutMs(p.bytes);
  const timer = setTimeout(() => {
    // a page that never finishes decoding: end the worker (the only way to stop a sync loop)
    fail(w, `decoding did not finish in ${(ms / 1000).toFixed(1)} s (a corrupt page?; HUBTUNE_PARQUET_DECODE_TIMEOUT_MS sets the limit)`);
    void w.terminate();
  }, ms);
  running = { ...p, timer };
  // the worker keeps the process alive only while a job runs
  w.ref();
  w.postMessage(p.job);
}

/**
 * Decodes rows [rowStart, rowEnd) of one column in the worker; the values come back as hyparquet
 * gives them (BigInt for INT64). `chunkBytes` (the column chunk's size) scales the time limit;
 * `where` (file, column, rows) starts every error message.
 */
export function decodeColumnRows(path: string, column: string, rowStart: number, rowEnd: number, chunkBytes: number, where: string): Promise<unknown[]> {
  return new Promise<unknown[]>((resolve, reject) => {
    const job: DecodeJob = { id: nextId++, path, column, rowStart, rowEnd };
    queue.push({
      job, bytes: chunkBytes, where,
      resolve: (rows) => { idle(); resolve(rows); },
      reject: (e) => { idle(); reject(e); },
    });
    pump();
  });
}

function idle(): void {
  if (!running && !queue.length) worker?.unref();
}
