// One reader for the JSON files hubtune loads from checkpoints, Hub repos and datasets (config,
// tokenizer, preprocessor, trainer state, dataset info): size, nesting-depth and container-size
// caps checked by one linear scan before JSON.parse, so a hostile file gives a one-line error
// naming it instead of a stack overflow in a later recursive copy or an unbounded loop.
import { readFileSync, statSync } from 'node:fs';

export interface JsonLimits {
  /** Deepest nesting of arrays/objects (default 200; real configs and tokenizers stay under 20). */
  maxDepth?: number;
  /** Most entries in one array or object (default 16 M). */
  maxEntries?: number;
  /** Largest file, bytes (default 1 GiB). */
  maxBytes?: number;
}

export const DEFAULT_JSON_LIMITS: Required<JsonLimits> = { maxDepth: 200, maxEntries: 16 * 1024 * 1024, maxBytes: 1024 * 1024 * 1024 };

export type ErrorClass = new (message: string) => Error;

export class JsonFileError extends Error {
  override name = 'JsonFileError';
}

/** Throws `E` naming `where` when the text nests deeper or holds larger containers than the limits allow. */
export function checkJsonShape(text: string, where: string, E: ErrorClass = JsonFileError, limits: JsonLimits = {}): void {
  const maxDepth = limits.maxDepth ?? DEFAULT_JSON_LIMITS.maxDepth;
  const maxEntries = limits.maxEntries ?? DEFAULT_JSON_LIMITS.maxEntries;
  const counts: number[] = [];
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      // skip the string: the next quote not escaped by an odd run of backslashes
      let j = i;
      for (;;) {
        j = text.indexOf('"', j + 1);
        if (j < 0) return; // unterminated: JSON.parse reports it
        let k = j - 1;
        while (text.charCodeAt(k) === 92 /* \ */) k--;
        if ((j - 1 - k) % 2 === 0) break;
      }
      i = j;
    } else if (c === 91 /* [ */ || c === 123 /* { */) {
      if (counts.length >= maxDepth) {
        throw new E(`${where}: JSON nests deeper than ${maxDepth} levels (at character ${i}); the file is corrupt or hostile, re-download or fix it`);
      }
      counts.push(1);
    } else if (c === 93 /* ] */ || c === 125 /* } */) {
      counts.pop();
    } else if (c === 44 /* , */ && counts.length) {
      const k = counts.length - 1;
      if (++counts[k] > maxEntries) {
        throw new E(`${where}: a JSON ${'array or object'} has more than ${maxEntries} entries (at character ${i}); the file is corrupt or hostile, re-download or fix it`);
      }
    }
  }
}

/** JSON.parse behind the shape caps; a syntax error becomes `E` naming `where`. */
export function parseJsonText(text: string, where: string, E: ErrorClass = JsonFileError, limits: JsonLimits = {}, parse: (t: string) => unknown = JSON.parse): unknown {
  checkJsonShape(text, where, E, limits);
  try {
    return parse(text);
  } catch (e) {
    throw new E(`${where} is not valid JSON (${String((e as Error)?.message ?? e).split('\n')[0]}): re-download or fix the file`);
  }
}

/**
 * Reads and parses a JSON file with the caps; every failure (missing, too large, too deep, invalid)
 * is an `E` naming the file. `object: true` also requires a top-level object.
 */
export function readJsonFile(path: string, E: ErrorClass = JsonFileError, o: JsonLimits & { object?: boolean; what?: string; parse?: (t: string) => unknown } = {}): any {
  const label = o.what ? `${o.what} ${path}` : path;
  const maxBytes = o.maxBytes ?? DEFAULT_JSON_LIMITS.maxBytes;
  let text: string;
  try {
    const size = statSync(path).size;
    if (size > maxBytes) throw new E(`${label} is ${size} bytes, more than the ${maxBytes}-byte limit for a JSON file: the file is corrupt or not what it claims`);
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if (e instanceof E) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new E(code === 'ENOENT' ? `${label} not found` : `cannot read ${label} (${code ?? (e as Error).message})`);
  }
  const v = parseJsonText(text, label, E, o, o.parse);
  if (o.object && (!v || typeof v !== 'object' || Array.isArray(v))) throw new E(`${label} must hold a JSON object, not ${Array.isArray(v) ? 'an array' : JSON.stringify(v)?.slice(0, 40)}`);
  return v;
}
