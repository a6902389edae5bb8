// Fingerprints: short hashes that identify a dataset state (data files, then each transform applied),
// used to name map cache files like Python's `cache-<fingerprint>.arrow`.
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';

export function hashParts(...parts: unknown[]): string {
  const h = createHash('sha256');
  for (const p of parts) {
    h.update(typeof p === 'string' ? p : typeof p === 'function' ? p.toString() : stableJSON(p));
    h.update('\u0000');
  }
  return h.digest('hex').slice(0, 16);
}

/** JSON with sorted keys; functions by source, typed arrays as lists. */
export function stableJSON(v: unknown): string {
  return JSON.stringify(v, (_k, x) => {
    if (typeof x === 'function') return `fn:${x.toString()}`;
    if (typeof x === 'bigint') return `${x}n`;
    if (ArrayBuffer.isView(x)) return `view:${hashBytes(x)}`;
    if (x && typeof x === 'object' && !Array.isArray(x)) {
      return Object.fromEntries(Object.keys(x).sort().map((k) => [k, (x as Record<string, unknown>)[k]]));
    }
    return x;
  }) ?? 'undefined';
}

function hashBytes(v: ArrayBufferView): string {
  return createHash('sha256').update(new Uint8Array(v.buffer, v.byteOffset, v.byteLength)).digest('hex').slice(0, 16);
}

/** Fingerprint of data files: path, size and modification time, like Python's for local files. */
export function fingerprintFiles(files: string[], extra: unknown = null): string {
  return hashParts(files.map((f) => {
    try { const s = statSync(f); return `${f}:${s.size}:${s.mtimeMs}`; } catch { return f; }
  }), extra);
}

/** Fingerprint of a transform applied to a dataset with fingerprint `prev`. */
export function updateFingerprint(prev: string, op: string, args: unknown): string {
  return hashParts(prev, op, args);
}

export function randomFingerprint(): string {
  return hashParts(Math.random(), process.hrtime.bigint().toString(), process.pid);
}
