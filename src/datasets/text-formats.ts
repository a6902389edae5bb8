// CSV and JSON/JSON Lines readers with the type inference `datasets` gets from pandas / pyarrow.
// Errors name the file and the line.
import { readFileSync } from 'node:fs';

export interface ParsedColumns { columns: Record<string, unknown[]>; numRows: number; rowLabel: (i: number) => string }

/** Parses CSV (RFC 4180 quoting). Returns string cells per row, with the 1-based line of each row. */
function parseCsvCells(text: string, file: string, sep: string, firstLine = 1): { rows: (string | null)[][]; lines: number[] } {
  const rows: (string | null)[][] = []; const lines: number[] = [];
  let row: (string | null)[] = []; let field = ''; let quoted = false; let inQuotes = false;
  let line = firstLine; let rowLine = firstLine; let i = 0;
  const n = text.length;
  if (text.charCodeAt(0) === 0xfeff) i = 1;
  const endField = (): void => { row.push(field === '' && !quoted ? null : field); field = ''; quoted = false; };
  const endRow = (): void => {
    endField();
    if (!(row.length === 1 && row[0] === null)) { rows.push(row); lines.push(rowLine); }
    row = [];
  };
  while (i < n) {
    const c = text[i];
    if (inQuotes) {
      if (c === '"') {
        if (text[i + 1] === '"') { field += '"'; i += 2; continue; }
        inQuotes = false; i++; continue;
      }
      if (c === '\n') line++;
      field += c; i++; continue;
    }
    if (c === '"' && field === '') { inQuotes = true; quoted = true; i++; continue; }
    if (c === sep) { endField(); i++; continue; }
    if (c === '\r' || c === '\n') {
      endRow();
      if (c === '\r' && text[i + 1] === '\n') i++;
      i++; line++; rowLine = line; continue;
    }
    field += c; i++;
  }
  if (inQuotes) throw new Error(`${file} line ${rowLine}: a quoted field is never closed (EOF inside quotes); fix the quoting in that row`);
  if (field !== '' || quoted || row.length) endRow();
  return { rows, lines };
}

const INT_RE = /^[+-]?\d+$/;
const FLOAT_RE = /^[+-]?(\d+\.?\d*([eE][+-]?\d+)?|\.\d+([eE][+-]?\d+)?|inf|infinity|nan)$/i;
const BOOL_VALUES: Record<string, boolean> = { True: true, TRUE: true, true: true, False: false, FALSE: false, false: false };

/** Converts a column of CSV cells like pandas: ints, floats (ints with blanks become floats), bools, else strings. */
function inferCsvColumn(cells: (string | null)[]): unknown[] {
  let allInt = true; let allFloat = true; let allBool = true; let anyNull = false; let any = false;
  for (const c of cells) {
    if (c === null) { anyNull = true; continue; }
    any = true;
    const t = c.trim();
    if (allInt && !INT_RE.test(t)) allInt = false;
    if (allFloat && !FLOAT_RE.test(t)) allFloat = false;
    if (allBool && !(t in BOOL_VALUES)) allBool = false;
    if (!allInt && !allFloat && !allBool) break;
  }
  if (!any) return cells.map(() => null);
  if (allInt && !anyNull) return cells.map((c) => Number(c));
  if (allInt || allFloat) {
    return cells.map((c) => {
      if (c === null) return null;
      const t = c.trim().toLowerCase();
      return t === 'nan' ? null : t.endsWith('inf') || t.endsWith('infinity') ? (t.startsWith('-') ? -Infinity : Infinity) : Number(c);
    });
  }
  if (allBool) return cells.map((c) => (c === null ? null : BOOL_VALUES[c.trim()]));
  return cells;
}

export function readCsv(file: string, opts: { sep?: string; columnNames?: string[] } = {}): ParsedColumns & { floatColumns: Set<string> } {
  let text: string;
  try { text = readFileSync(file, 'utf8'); } catch (e) { throw new Error(`${file}: cannot read (${(e as NodeJS.ErrnoException).code}); check the path`); }
  return parseCsvText(text, file, opts);
}

/** CSV text (a whole file, or a chunk of its records starting at line `firstLine` with `columnNames` given) to typed columns. */
export function parseCsvText(text: string, file: string, opts: { sep?: string; columnNames?: string[]; firstLine?: number } = {}): ParsedColumns & { floatColumns: Set<string> } {
  const { rows, lines } = parseCsvCells(text, file, opts.sep ?? ',', opts.firstLine ?? 1);
  if (!rows.length) return { columns: {}, numRows: 0, rowLabel: (i) => `${file} row ${i}`, floatColumns: new Set() };
  const header = opts.columnNames ?? rows.shift()!.map((h, k) => h ?? `Unnamed: ${k}`);
  if (!opts.columnNames) lines.shift();
  const columns: Record<string, unknown[]> = {};
  const cells: (string | null)[][] = header.map(() => []);
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r];
    if (row.length > header.length) {
      throw new Error(`${file} line ${lines[r]}: expected ${header.length} fields, saw ${row.length}; fix the row (quote fields that contain '${opts.sep ?? ','}')`);
    }
    for (let k = 0; k < header.length; k++) cells[k].push(row[k] ?? null);
  }
  const floatColumns = new Set<string>();
  header.forEach((h, k) => {
    columns[h] = inferCsvColumn(cells[k]);
    const vals = cells[k];
    if (!vals.every((c) => c === null || INT_RE.test(c.trim())) || vals.some((c) => c === null)) {
      if (vals.some((c) => c !== null) && vals.every((c) => c === null || FLOAT_RE.test(c.trim()))) floatColumns.add(h);
    }
  });
  return { columns, numRows: rows.length, rowLabel: (i) => `${file} line ${lines[i]}`, floatColumns };
}

/** Reads JSON Lines, a JSON list of objects, a JSON object of columns, or `field` inside a JSON object. */
export function readJson(file: string, opts: { field?: string } = {}): ParsedColumns {
  let text: string;
  try { text = readFileSync(file, 'utf8'); } catch (e) { throw new Error(`${file}: cannot read (${(e as NodeJS.ErrnoException).code}); check the path`); }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const trimmed = text.trimStart();
  let rows: Record<string, unknown>[] | null = null;
  let lineOf: number[] = [];
  if (opts.field || trimmed.startsWith('[') || (trimmed.startsWith('{') && !looksLikeJsonLines(trimmed))) {
    let doc: unknown;
    try { doc = JSON.parse(text); } catch (e) {
      throw new Error(`${file}: invalid JSON (${(e as Error).message}); fix the file or use one JSON object per line`);
    }
    if (opts.field) {
      if (!doc || typeof doc !== 'object' || !(opts.field in (doc as object))) throw new Error(`${file}: field '${opts.field}' not found at the top level of the JSON object`);
      doc = (doc as Record<string, unknown>)[opts.field];
    }
    if (Array.isArray(doc)) {
      doc.forEach((r, i) => {
        if (!r || typeof r !== 'object' || Array.isArray(r)) throw new Error(`${file} item ${i}: expected a JSON object per row, got ${Array.isArray(r) ? 'a list' : JSON.stringify(r)}`);
      });
      rows = doc as Record<string, unknown>[];
      lineOf = rows.map((_, i) => i);
      return toColumns(rows, (i) => `${file} item ${lineOf[i]}`);
    }
    if (doc && typeof doc === 'object') {
      const cols = doc as Record<string, unknown>;
      const lens = new Set(Object.values(cols).map((v) => (Array.isArray(v) ? v.length : -1)));
      if (lens.has(-1) || lens.size > 1) throw new Error(`${file}: a JSON object must map column names to lists of equal length (or pass field: to pick a list inside it)`);
      return { columns: cols as Record<string, unknown[]>, numRows: lens.size ? [...lens][0] : 0, rowLabel: (i) => `${file} row ${i}` };
    }
    throw new Error(`${file}: expected JSON objects, got ${typeof doc}`);
  }
  rows = [];
  const lines = text.split('\n');
  for (let ln = 0; ln < lines.length; ln++) {
    const s = lines[ln].trim();
    if (!s) continue;
    let obj: unknown;
    try { obj = JSON.parse(s); } catch (e) {
      throw new Error(`${file} line ${ln + 1}: invalid JSON (${(e as Error).message}); fix or remove that line`);
    }
    if (!obj || typeof obj !== 'object' || Array.isArray(obj)) throw new Error(`${file} line ${ln + 1}: expected a JSON object per line`);
    rows.push(obj as Record<string, unknown>);
    lineOf.push(ln + 1);
  }
  return toColumns(rows, (i) => `${file} line ${lineOf[i]}`);
}

function looksLikeJsonLines(text: string): boolean {
  const firstLine = text.slice(0, text.indexOf('\n') === -1 ? text.length : text.indexOf('\n')).trim();
  try { JSON.parse(firstLine); return text.trim().includes('\n'); } catch { return false; }
}

function toColumns(rows: Record<string, unknown>[], rowLabel: (i: number) => string): ParsedColumns {
  const names: string[] = [];
  const seen = new Set<string>();
  for (const r of rows) for (const k of Object.keys(r)) if (!seen.has(k)) { seen.add(k); names.push(k); }
  const columns: Record<string, unknown[]> = {};
  for (const n of names) columns[n] = rows.map((r) => (n in r ? r[n] : null));
  return { columns, numRows: rows.length, rowLabel };
}
