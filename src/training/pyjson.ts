// Python-compatible number formatting and JSON serialisation, so that the files hubtune writes
// (trainer_state.json, *_results.json, training_args.json, log lines) read exactly like the ones
// transformers writes: `repr(float)` (4.5e-05, 2.0, 1e+16), `round(x, n)` and `f"{x:.nf}"`
// (round-half-even on the exact binary value), `json.dumps` layout (", "/": " separators, indent,
// sort_keys, ensure_ascii, NaN/Infinity).
//
// JavaScript has one number type; Python distinguishes int from float (3 vs 3.0). Integral values
// are written as ints or floats according to a `numberKind(key, value)` function: by default keys
// that transformers stores as int (step, global_step, *_steps, *_samples, ...) are ints and every
// other number is a float, which is what the Trainer logs (loss, learning_rate, epoch, metrics).

export type NumberKind = 'int' | 'float';
/** Decides whether an integral number under `key` (the enclosing object key; undefined at top level) is an int. */
export type NumberKindFn = (key: string | undefined, value: number) => NumberKind;

const INT_KEYS = new Set([
  'step', 'global_step', 'max_steps', 'logging_steps', 'eval_steps', 'save_steps', 'num_train_epochs',
  'train_batch_size', 'eval_batch_size', 'num_input_tokens_seen', 'best_global_step', 'seed', 'data_seed',
  'early_stopping_patience', 'early_stopping_patience_counter', 'training_steps', 'warmup_steps',
  'gradient_accumulation_steps', 'total_train_batch_size', 'total_eval_batch_size', 'num_examples',
]);

/** The Trainer's conventions: step counts, sample counts and memory sizes are ints, everything else float. */
export const defaultNumberKind: NumberKindFn = (key, value) => {
  if (!Number.isInteger(value)) return 'float';
  if (key === undefined) return 'float';
  if (INT_KEYS.has(key) || key.endsWith('_samples') || key.includes('_mem_')) return 'int';
  return 'float';
};

/** Python's `repr(float)` / `str(float)`: shortest round-trip digits, exponent outside [1e-4, 1e16). */
export function pyFloat(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const [mant, expStr] = x.toExponential().split('e');
  const exp = Number(expStr);
  const neg = mant.startsWith('-');
  const digits = mant.replace('-', '').replace('.', '');
  let out: string;
  if (exp >= -4 && exp < 16) {
    if (exp >= 0) {
      const intPart = digits.slice(0, exp + 1).padEnd(exp + 1, '0');
      out = `${intPart}.${digits.slice(exp + 1) || '0'}`;
    } else {
      out = `0.${'0'.repeat(-exp - 1)}${digits}`;
    }
  } else {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    out = `${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  return neg ? `-${out}` : out;
}

/** Python's `str(int)` for an integral JS number (no exponent, any size). */
export function pyInt(x: number): string {
  return BigInt(Math.trunc(x)).toString();
}

/** A number as Python prints it, given whether it is an int or a float there. */
export function pyNumber(x: number, kind: NumberKind): string {
  return kind === 'int' && Number.isInteger(x) ? pyInt(x) : pyFloat(x);
}

/** Python's `f"{x:.{digits}f}"`: correctly rounded, ties to even on the exact binary value. */
export function pyFixed(x: number, digits: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (Math.abs(x) >= 1e21) return `${pyInt(x)}${digits > 0 ? `.${'0'.repeat(digits)}` : ''}`;
  const rounded = x.toFixed(digits); // ties go away from zero: fix those below
  const exact = x.toFixed(Math.min(100, digits + 30));
  const point = exact.indexOf('.');
  const tail = exact.slice(point + 1 + digits);
  if (!/^50*$/.test(tail)) return rounded;
  const truncated = exact.slice(0, digits > 0 ? point + 1 + digits : point);
  const lastDigit = Number(truncated[truncated.length - 1]);
  return lastDigit % 2 === 0 ? truncated : rounded;
}

/** Python's `round(x, ndigits)` for a float. */
export function pyRound(x: number, ndigits: number): number {
  if (!Number.isFinite(x) || Math.abs(x) >= 1e21) return x;
  const r = Number(pyFixed(x, ndigits));
  return r === 0 && x < 0 ? -0 : r;
}

/** Python's `repr(str)`. */
export function pyStrRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === quote || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out + quote;
}

/** Python's `repr()` of JSON-like data (dicts keep insertion order, as Python's do). */
export function pyRepr(value: unknown, numberKind: NumberKindFn = defaultNumberKind, key?: string): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'number') return pyNumber(value, numberKind(key, value));
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'string') return pyStrRepr(value);
  if (Array.isArray(value)) return `[${value.map((v) => pyRepr(v, numberKind, key)).join(', ')}]`;
  if (typeof value === 'object') {
    const parts = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${pyStrRepr(k)}: ${pyRepr(v, numberKind, k)}`);
    return `{${parts.join(', ')}}`;
  }
  return pyStrRepr(String(value));
}

function jsonString(s: string, ensureAscii: boolean): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    const c = s.charCodeAt(i);
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (c < 0x20 || (ensureAscii && c > 0x7e)) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return out + '"';
}

function jsonNumber(x: number, kind: NumberKind): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  return pyNumber(x, kind);
}

export interface PyJsonOptions {
  /** Like Python's `indent`: a number of spaces, or undefined for one line with ", " and ": " separators. */
  indent?: number;
  sortKeys?: boolean;
  /** Python's default `ensure_ascii=True` escapes every non-ASCII character. */
  ensureAscii?: boolean;
  numberKind?: NumberKindFn;
}

/** Python's `json.dumps(value, indent=..., sort_keys=...)`, byte for byte. */
export function pyJsonDumps(value: unknown, opts: PyJsonOptions = {}): string {
  const { indent, sortKeys = false, ensureAscii = true, numberKind = defaultNumberKind } = opts;
  const enc = (v: unknown, key: string | undefined, level: number): string => {
    if (v === null || v === undefined) return 'null';
    if (v === true) return 'true';
    if (v === false) return 'false';
    if (typeof v === 'number') return jsonNumber(v, numberKind(key, v));
    if (typeof v === 'bigint') return v.toString();
    if (typeof v === 'string') return jsonString(v, ensureAscii);
    if (typeof v === 'object' && typeof (v as { toJSON?: unknown }).toJSON === 'function' && !Array.isArray(v)) {
      return enc((v as { toJSON(): unknown }).toJSON(), key, level);
    }
    const nl = indent === undefined ? '' : `\n${' '.repeat(indent * (level + 1))}`;
    const close = indent === undefined ? '' : `\n${' '.repeat(indent * level)}`;
    const sep = indent === undefined ? ', ' : ',';
    if (Array.isArray(v)) {
      if (v.length === 0) return '[]';
      return `[${nl}${v.map((x) => enc(x, key, level + 1)).join(sep + nl)}${close}]`;
    }
    if (typeof v === 'object') {
      let entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
      if (entries.length === 0) return '{}';
      if (sortKeys) entries = entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      const items = entries.map(([k, x]) => `${jsonString(k, ensureAscii)}: ${enc(x, k, level + 1)}`);
      return `{${nl}${items.join(sep + nl)}${close}}`;
    }
    throw new Error(`pyJsonDumps: cannot serialise a value of type ${typeof v} under key ${key ?? '(top level)'}; convert it to JSON data first`);
  };
  return enc(value, undefined, 0);
}

/** Parses JSON written by Python (accepts NaN, Infinity, -Infinity as Python's json module does). */
export function pyJsonParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    if (!/\b(NaN|Infinity)\b/.test(text)) throw err;
    // Replace the bare tokens outside strings with sentinels, then restore them.
    const replaced = text.replace(/("(?:[^"\\]|\\.)*")|-?Infinity|NaN/g, (m, str: string | undefined) =>
      str !== undefined ? str : `{"__pyjson_special__":"${m}"}`);
    return JSON.parse(replaced, (_k, v) => {
      if (v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 1 && '__pyjson_special__' in v) {
        const s = (v as Record<string, string>).__pyjson_special__;
        return s === 'NaN' ? NaN : s === 'Infinity' ? Infinity : -Infinity;
      }
      return v;
    });
  }
}
