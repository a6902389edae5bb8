// Features: the column types of a dataset, as in Python `datasets` (Value, ClassLabel, Image, Sequence,
// nested dicts), with their Python reprs and the Hugging Face JSON/YAML forms.
import { inspect } from 'node:util';
import { decodeImage, encodeImagePng, isDecodedImage, type DecodedImage, type ImageMode } from './image';
import { pyRepr, pyStr } from './pyrepr';

export type FeatureDict = { [name: string]: FeatureType };
export type FeatureType = Value | ClassLabel | Image | Sequence | FeatureDict;

const INT_DTYPES = new Set(['int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64']);
const FLOAT_DTYPES = new Set(['float16', 'float32', 'float64']);
const VALUE_DTYPES = new Set([...INT_DTYPES, ...FLOAT_DTYPES, 'null', 'bool', 'string', 'large_string', 'binary', 'large_binary']);

abstract class FeatureBase {
  abstract readonly _type: string;
  id: string | null = null;
  abstract repr(): string;
  toString(): string { return this.repr(); }
  [inspect.custom](): string { return this.repr(); }
}

export class Value extends FeatureBase {
  readonly _type = 'Value';
  readonly dtype: string;
  constructor(dtype: string, params: { id?: string | null } = {}) {
    super();
    if (dtype === 'double') dtype = 'float64';
    if (dtype === 'float') dtype = 'float32';
    if (dtype === 'boolean') dtype = 'bool';
    if (!VALUE_DTYPES.has(dtype) && !dtype.startsWith('timestamp[') && !dtype.startsWith('date') && !dtype.startsWith('decimal')) {
      throw new Error(`Value: unknown dtype '${dtype}'; use one of ${[...VALUE_DTYPES].join(', ')}`);
    }
    this.dtype = dtype;
    this.id = params.id ?? null;
  }
  get isInt(): boolean { return INT_DTYPES.has(this.dtype); }
  get isFloat(): boolean { return FLOAT_DTYPES.has(this.dtype); }
  get isString(): boolean { return this.dtype === 'string' || this.dtype === 'large_string'; }
  get isBinary(): boolean { return this.dtype === 'binary' || this.dtype === 'large_binary'; }
  repr(): string { return `Value(dtype=${pyStr(this.dtype)}, id=${pyRepr(this.id)})`; }
}

export interface ClassLabelParams { names?: string[]; numClasses?: number; num_classes?: number; id?: string | null }

export class ClassLabel extends FeatureBase {
  readonly _type = 'ClassLabel';
  readonly names: string[];
  readonly numClasses: number;
  private readonly index: Map<string, number>;
  constructor(params: ClassLabelParams) {
    super();
    const num = params.numClasses ?? params.num_classes;
    let names = params.names;
    if (!names) {
      if (num === undefined) throw new Error('ClassLabel: give names or numClasses');
      names = Array.from({ length: num }, (_, i) => String(i));
    } else if (!Array.isArray(names)) {
      throw new Error(`ClassLabel: names must be a list of strings, got ${typeof names}`);
    }
    if (num !== undefined && num !== names.length) {
      throw new Error(`ClassLabel: ${names.length} names but numClasses=${num}; make them agree`);
    }
    this.names = names.map(String);
    this.numClasses = this.names.length;
    this.index = new Map(this.names.map((n, i) => [n, i]));
    if (this.index.size !== this.names.length) throw new Error('ClassLabel: some label names are duplicated; each label name must be unique');
    this.id = params.id ?? null;
  }
  /** Label id(s) to name(s); an id outside [0, numClasses) is an error. */
  int2str(value: number): string;
  int2str(values: readonly number[]): string[];
  int2str(values: number | readonly number[]): string | string[] {
    const one = (v: number): string => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0 || n >= this.numClasses) {
        throw new Error(`Invalid integer class label ${v}: ClassLabel has ${this.numClasses} classes (ids 0..${this.numClasses - 1})`);
      }
      return this.names[n];
    };
    return typeof values === 'number' || typeof values === 'bigint' ? one(values as number) : Array.from(values, one);
  }
  /** Label name(s) to id(s); accepts numeric strings of valid ids too, like Python. */
  str2int(value: string): number;
  str2int(values: readonly string[]): number[];
  str2int(values: string | readonly string[]): number | number[] {
    const one = (v: string): number => {
      const s = String(v);
      let id = this.index.get(s) ?? this.index.get(s.trim());
      if (id === undefined && /^\s*-?\d+\s*$/.test(s)) {
        const n = parseInt(s, 10);
        if (n >= -1 && n < this.numClasses) id = n;
      }
      if (id === undefined) {
        throw new Error(`Invalid string class label ${pyStr(s)}: not one of ${pyRepr(this.names.slice(0, 20))}${this.names.length > 20 ? ' ...' : ''}`);
      }
      return id;
    };
    return typeof values === 'string' ? one(values) : Array.from(values, one);
  }
  /** Python's encode_example: a name or an id in [-1, numClasses). */
  encode(v: unknown, where = ''): number | null {
    if (v === null || v === undefined) return null;
    const id = typeof v === 'string' ? this.str2intAt(v, where) : Number(v);
    if (!Number.isInteger(id) || id < -1 || id >= this.numClasses) {
      throw new Error(`${where}class label ${pyRepr(v)} is outside the ClassLabel range [-1, ${this.numClasses}) (names ${pyRepr(this.names)}); fix the label or the ClassLabel names`);
    }
    return id;
  }
  private str2intAt(v: string, where: string): number {
    try { return this.str2int(v); } catch (e) { throw new Error(`${where}${(e as Error).message}`); }
  }
  repr(): string { return `ClassLabel(names=${pyRepr(this.names)}, id=${pyRepr(this.id)})`; }
}

export interface ImageParams { mode?: ImageMode | null; decode?: boolean; id?: string | null }

export class Image extends FeatureBase {
  readonly _type = 'Image';
  readonly mode: ImageMode | null;
  readonly decode: boolean;
  constructor(params: ImageParams = {}) {
    super();
    this.mode = params.mode ?? null;
    this.decode = params.decode ?? true;
    this.id = params.id ?? null;
  }
  repr(): string { return `Image(mode=${pyRepr(this.mode)}, decode=${pyRepr(this.decode)}, id=${pyRepr(this.id)})`; }
}

export interface SequenceParams { feature: FeatureType; length?: number; id?: string | null }

export class Sequence extends FeatureBase {
  readonly _type = 'Sequence';
  readonly feature: FeatureType;
  readonly length: number;
  constructor(params: SequenceParams | FeatureType) {
    super();
    const p: SequenceParams = params && typeof params === 'object' && 'feature' in params && !(params instanceof FeatureBase) && isFeatureType((params as SequenceParams).feature)
      ? params as SequenceParams : { feature: params as FeatureType };
    this.feature = p.feature;
    this.length = p.length ?? -1;
    this.id = p.id ?? null;
  }
  repr(): string { return `Sequence(feature=${featureRepr(this.feature)}, length=${this.length}, id=${pyRepr(this.id)})`; }
}

export function isFeatureType(v: unknown): v is FeatureType {
  return v instanceof FeatureBase || (!!v && typeof v === 'object' && !Array.isArray(v) && Object.values(v).every(isFeatureType));
}
export function isFeatureDict(f: FeatureType): f is FeatureDict {
  return !(f instanceof FeatureBase);
}

export function featureRepr(f: FeatureType): string {
  if (f instanceof FeatureBase) return f.repr();
  return `{${Object.entries(f).map(([k, v]) => `${pyStr(k)}: ${featureRepr(v)}`).join(', ')}}`;
}

/** The features of a dataset: column name -> feature type, in column order (Python's `Features` dict). */
export class Features extends Map<string, FeatureType> {
  constructor(entries?: Record<string, FeatureType> | Iterable<readonly [string, FeatureType]> | null) {
    super(entries && !(Symbol.iterator in Object(entries)) ? Object.entries(entries as Record<string, FeatureType>) : entries as Iterable<readonly [string, FeatureType]> | undefined);
  }
  /** The ClassLabel of a column (an error naming the column otherwise). */
  classLabel(column: string): ClassLabel {
    const f = this.get(column);
    if (!(f instanceof ClassLabel)) throw new Error(`column '${column}' is ${f ? featureRepr(f) : 'missing'}, not a ClassLabel`);
    return f;
  }
  toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [k, v] of this) out[k] = featureToJSON(v);
    return out;
  }
  static fromJSON(obj: Record<string, unknown>, where = 'features'): Features {
    if (!obj || typeof obj !== 'object' || Array.isArray(obj)) throw new Error(`${where}: expected a JSON object of column -> feature`);
    return new Features(Object.entries(obj).map(([k, v]) => [k, featureFromJSON(v, `${where}.${k}`)] as const));
  }
  /** The README `dataset_info.features` list form ({name, dtype | class_label | sequence | list | struct}). */
  static fromYamlList(list: unknown, where = 'dataset_info.features'): Features {
    if (!Array.isArray(list)) throw new Error(`${where}: expected a list of {name, dtype}`);
    return new Features(list.map((item, i) => {
      if (!item || typeof item.name !== 'string') throw new Error(`${where}[${i}]: each feature needs a name`);
      return [item.name as string, featureFromYaml(item, `${where}.${item.name}`)] as const;
    }));
  }
  copy(): Features { return new Features(this); }
  repr(): string { return `{${[...this].map(([k, v]) => `${pyStr(k)}: ${featureRepr(v)}`).join(', ')}}`; }
  override toString(): string { return this.repr(); }
  [inspect.custom](): string { return this.repr(); }
}

// ---------------------------------------------------------------------------------------------
// JSON / YAML forms

export function featureToJSON(f: FeatureType): unknown {
  if (f instanceof Value) return { dtype: f.dtype, _type: 'Value' };
  if (f instanceof ClassLabel) return { names: f.names, _type: 'ClassLabel' };
  if (f instanceof Image) return f.mode ? { mode: f.mode, decode: f.decode, _type: 'Image' } : { decode: f.decode, _type: 'Image' };
  if (f instanceof Sequence) return { feature: featureToJSON(f.feature), length: f.length, _type: 'Sequence' };
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(f)) out[k] = featureToJSON(v);
  return out;
}

export function featureFromJSON(obj: unknown, where: string): FeatureType {
  if (Array.isArray(obj)) {
    if (obj.length !== 1) throw new Error(`${where}: a list feature must hold exactly one feature`);
    return new Sequence({ feature: featureFromJSON(obj[0], `${where}[0]`) });
  }
  if (!obj || typeof obj !== 'object') throw new Error(`${where}: expected a feature object, got ${JSON.stringify(obj)}`);
  const o = obj as Record<string, unknown>;
  const t = o._type;
  if (typeof t !== 'string') {
    const out: FeatureDict = {};
    for (const [k, v] of Object.entries(o)) out[k] = featureFromJSON(v, `${where}.${k}`);
    return out;
  }
  switch (t) {
    case 'Value': return new Value(String(o.dtype), { id: (o.id as string) ?? null });
    case 'ClassLabel': return new ClassLabel({ names: o.names as string[] | undefined, numClasses: (o.num_classes as number | undefined) ?? undefined, id: (o.id as string) ?? null });
    case 'Image': return new Image({ mode: (o.mode as ImageMode) ?? null, decode: (o.decode as boolean) ?? true, id: (o.id as string) ?? null });
    case 'Sequence': case 'List': case 'LargeList':
      return new Sequence({ feature: featureFromJSON(o.feature, `${where}.feature`), length: (o.length as number) ?? -1, id: (o.id as string) ?? null });
    default:
      throw new Error(`${where}: feature type '${t}' is not supported; supported: Value, ClassLabel, Image, Sequence`);
  }
}

function featureFromYaml(item: Record<string, unknown>, where: string): FeatureType {
  if ('sequence' in item || 'list' in item) {
    const inner = item.sequence ?? item.list;
    const feature = typeof inner === 'string' ? new Value(inner)
      : Array.isArray(inner) ? Object.fromEntries(inner.map((x: Record<string, unknown>) => [x.name as string, featureFromYaml(x, `${where}.${x.name}`)]))
        : featureFromYaml(inner as Record<string, unknown>, where);
    return new Sequence({ feature, length: (item.length as number) ?? -1 });
  }
  if ('struct' in item) {
    return Object.fromEntries((item.struct as Record<string, unknown>[]).map((x) => [x.name as string, featureFromYaml(x, `${where}.${x.name}`)]));
  }
  if ('class_label' in item) return classLabelFromYaml(item.class_label, where);
  const d = item.dtype;
  if (typeof d === 'string') {
    if (d === 'image') return new Image();
    return new Value(d);
  }
  if (d && typeof d === 'object') {
    const o = d as Record<string, unknown>;
    if ('class_label' in o) return classLabelFromYaml(o.class_label, where);
    if ('image' in o) return new Image({ decode: (o.image as { decode?: boolean })?.decode ?? true });
    return featureFromYaml(o, where);
  }
  throw new Error(`${where}: cannot read this feature from the README (${JSON.stringify(item)})`);
}

function classLabelFromYaml(cl: unknown, where: string): ClassLabel {
  const names = (cl as { names?: unknown })?.names;
  if (Array.isArray(names)) return new ClassLabel({ names: names.map(String) });
  if (names && typeof names === 'object') {
    const ids = Object.keys(names).map(Number).sort((a, b) => a - b);
    if (ids.some((id, i) => id !== i)) throw new Error(`${where}: ClassLabel expected a name for every label id 0..${ids[ids.length - 1]} but some ids are missing`);
    return new ClassLabel({ names: ids.map((id) => String((names as Record<string, unknown>)[String(id)])) });
  }
  throw new Error(`${where}: class_label needs names`);
}

// ---------------------------------------------------------------------------------------------
// Encoding (user values -> storage values) and decoding (storage -> user values)

/** True when decoding this feature needs async work (image decoding). */
export function needsDecode(f: FeatureType): boolean {
  if (f instanceof Image) return f.decode;
  if (f instanceof Sequence) return needsDecode(f.feature) || isFeatureDict(f.feature);
  if (f instanceof FeatureBase) return false;
  return Object.values(f).some(needsDecode);
}

function hasImage(f: FeatureType): boolean {
  if (f instanceof Image) return true;
  if (f instanceof Sequence) return hasImage(f.feature);
  if (f instanceof FeatureBase) return false;
  return Object.values(f).some(hasImage);
}

/** Storage value -> user value (images decoded, Sequence of dicts as dict of lists like Python). */
export async function decodeValue(f: FeatureType, v: unknown, where: string): Promise<unknown> {
  if (v === null || v === undefined) return null;
  if (f instanceof Image) {
    if (!f.decode) return v;
    const o = v as { bytes?: Uint8Array | null; path?: string | null };
    return decodeImage(o, { mode: f.mode, source: o.path ? `${where} (${o.path})` : where });
  }
  if (f instanceof Sequence) {
    const arr = v as unknown[];
    if (isFeatureDict(f.feature)) {
      const out: Record<string, unknown[]> = {};
      for (const [k, sub] of Object.entries(f.feature)) {
        out[k] = await Promise.all(arr.map((x) => decodeValue(sub, (x as Record<string, unknown> | null)?.[k] ?? null, where)));
      }
      return out;
    }
    if (!needsDecode(f.feature)) return arr;
    return Promise.all(Array.from(arr, (x) => decodeValue(f.feature, x, where)));
  }
  if (f instanceof FeatureBase) return v;
  const out: Record<string, unknown> = {};
  for (const [k, sub] of Object.entries(f)) out[k] = await decodeValue(sub, (v as Record<string, unknown>)[k], where);
  return out;
}

/** Decodes a column of storage values; `rowLabel(i)` names the row in errors. */
export async function decodeColumn(f: FeatureType, values: unknown[], rowLabel: (i: number) => string): Promise<unknown[]> {
  if (!needsDecode(f)) return values;
  return Promise.all(values.map((v, i) => decodeValue(f, v, rowLabel(i))));
}

/** User value -> storage value, checking it fits the feature (ClassLabel ranges, names, numbers). */
export function encodeValue(f: FeatureType, v: unknown, where: string): unknown {
  if (v === null || v === undefined) return null;
  if (f instanceof ClassLabel) return f.encode(typeof v === 'bigint' ? Number(v) : v, where ? `${where}: ` : '');
  if (f instanceof Value) return encodeScalar(f, v, where);
  if (f instanceof Image) {
    if (typeof v === 'string') return { bytes: null, path: v };
    if (v instanceof Uint8Array) return { bytes: v, path: null };
    if (isDecodedImage(v)) {
      if (v.bytes) return { bytes: v.bytes, path: v.path ?? null };
      if (v.path) return { bytes: null, path: v.path };
      throw new Error(`${where}: a decoded image without bytes or path must be PNG-encoded first (use encodeColumnAsync)`);
    }
    const o = v as { bytes?: unknown; path?: unknown };
    if (typeof o === 'object' && ('bytes' in o || 'path' in o)) {
      return { bytes: (o.bytes as Uint8Array) ?? null, path: (o.path as string) ?? null };
    }
    throw new Error(`${where}: an Image value must be a path, bytes, {bytes, path} or a DecodedImage, got ${typeof v}`);
  }
  if (f instanceof Sequence) {
    if (isFeatureDict(f.feature) && !Array.isArray(v) && typeof v === 'object' && !ArrayBuffer.isView(v)) {
      // dict of lists -> list of dicts (Python's Sequence(dict) storage)
      const cols = v as Record<string, unknown[]>;
      const keys = Object.keys(f.feature);
      const n = keys.length ? (cols[keys[0]]?.length ?? 0) : 0;
      return Array.from({ length: n }, (_, i) => encodeValue(f.feature, Object.fromEntries(keys.map((k) => [k, cols[k]?.[i] ?? null])), where));
    }
    if (!Array.isArray(v) && !ArrayBuffer.isView(v)) throw new Error(`${where}: expected a list for ${f.repr()}, got ${typeof v}`);
    const arr = Array.from(v as ArrayLike<unknown>);
    if (f.length >= 0 && arr.length !== f.length) throw new Error(`${where}: expected a list of length ${f.length}, got ${arr.length}`);
    if (f.feature instanceof Value && (f.feature.isFloat || f.feature.isInt) && ArrayBuffer.isView(v)) return arr.map(Number);
    return arr.map((x, i) => encodeValue(f.feature, x, `${where}[${i}]`));
  }
  if (typeof v !== 'object' || Array.isArray(v)) throw new Error(`${where}: expected an object with keys ${Object.keys(f).join(', ')}, got ${Array.isArray(v) ? 'a list' : typeof v}`);
  const out: Record<string, unknown> = {};
  for (const [k, sub] of Object.entries(f)) out[k] = encodeValue(sub, (v as Record<string, unknown>)[k], `${where}.${k}`);
  return out;
}

function encodeScalar(f: Value, v: unknown, where: string): unknown {
  const d = f.dtype;
  if (f.isString) {
    if (typeof v === 'object' && !(v instanceof Date)) throw new Error(`${where}: expected a string, got ${Array.isArray(v) ? 'a list' : 'an object'}`);
    return String(v);
  }
  if (f.isInt || f.isFloat) {
    let n: number;
    if (typeof v === 'number') n = v;
    else if (typeof v === 'bigint') n = Number(v);
    else if (typeof v === 'boolean') n = v ? 1 : 0;
    else if (typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v))) n = Number(v);
    else throw new Error(`${where}: cannot store ${pyRepr(typeof v === 'string' ? v : typeof v)} as ${d}; give a number`);
    if (f.isInt && !Number.isInteger(n)) throw new Error(`${where}: ${n} is not an integer (column dtype ${d}); cast the column to float64 or round the value`);
    if (d === 'float32') n = Math.fround(n);
    return n;
  }
  if (d === 'bool') {
    if (typeof v === 'boolean') return v;
    if (typeof v === 'number') return v !== 0;
    if (v === 'True' || v === 'true') return true;
    if (v === 'False' || v === 'false') return false;
    throw new Error(`${where}: cannot store ${pyRepr(v)} as bool`);
  }
  if (f.isBinary) {
    if (v instanceof Uint8Array) return v;
    if (typeof v === 'string') return new TextEncoder().encode(v);
    throw new Error(`${where}: expected bytes (Uint8Array)`);
  }
  return v;
}

/** Encodes a column; images given as DecodedImage without a file are PNG-encoded (async). */
export async function encodeColumnAsync(f: FeatureType, values: unknown[], rowLabel: (i: number) => string): Promise<unknown[]> {
  if (hasImage(f)) values = await Promise.all(values.map((v) => encodeImagesDeep(f, v)));
  return values.map((v, i) => encodeValue(f, v, rowLabel(i)));
}

async function encodeImagesDeep(f: FeatureType, v: unknown): Promise<unknown> {
  if (v === null || v === undefined) return v;
  if (f instanceof Image) {
    if (isDecodedImage(v) && !v.bytes && !v.path) return { bytes: await encodeImagePng(v), path: null };
    if (isDecodedImage(v) && v.bytes) return { bytes: v.bytes, path: v.path ?? null };
    return v;
  }
  if (f instanceof Sequence && Array.isArray(v)) return Promise.all(v.map((x) => encodeImagesDeep(f.feature, x)));
  if (isFeatureDict(f) && typeof v === 'object') {
    const out: Record<string, unknown> = { ...(v as Record<string, unknown>) };
    for (const [k, sub] of Object.entries(f)) out[k] = await encodeImagesDeep(sub, out[k]);
    return out;
  }
  return v;
}

// ---------------------------------------------------------------------------------------------
// Inference from JS values (like pyarrow's inference as used by `datasets`)

type Kind = { t: 'null' } | { t: 'int' } | { t: 'float' } | { t: 'bool' } | { t: 'string' } | { t: 'binary' } | { t: 'image' }
  | { t: 'list'; item: Kind; typed?: string } | { t: 'struct'; fields: Map<string, Kind> };

function kindOf(v: unknown): Kind {
  if (v === null || v === undefined) return { t: 'null' };
  switch (typeof v) {
    case 'number': return Number.isInteger(v) ? { t: 'int' } : { t: 'float' };
    case 'bigint': return { t: 'int' };
    case 'boolean': return { t: 'bool' };
    case 'string': return { t: 'string' };
  }
  if (v instanceof Uint8Array && !(v instanceof Uint8ClampedArray)) return { t: 'binary' };
  if (isDecodedImage(v)) return { t: 'image' };
  if (ArrayBuffer.isView(v)) {
    const typed = v instanceof Float32Array ? 'float32' : v instanceof Float64Array ? 'float64' : v instanceof Int32Array ? 'int32'
      : v instanceof Int16Array ? 'int16' : v instanceof Int8Array ? 'int8' : v instanceof BigInt64Array ? 'int64' : v instanceof Uint16Array ? 'uint16'
        : v instanceof Uint32Array ? 'uint32' : 'uint8';
    return { t: 'list', item: { t: 'null' }, typed };
  }
  if (Array.isArray(v)) {
    let item: Kind = { t: 'null' };
    for (const x of v) item = mergeKind(item, kindOf(x), '');
    return { t: 'list', item };
  }
  if (typeof v === 'object') {
    const fields = new Map<string, Kind>();
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) fields.set(k, kindOf(x));
    return { t: 'struct', fields };
  }
  throw new Error(`cannot store a value of type ${typeof v}`);
}

function kindName(k: Kind): string {
  return k.t === 'list' ? 'list' : k.t === 'struct' ? 'object' : k.t === 'int' || k.t === 'float' ? 'number' : k.t;
}

function mergeKind(a: Kind, b: Kind, where: string): Kind {
  if (a.t === 'null') return b;
  if (b.t === 'null') return a;
  if (a.t === b.t) {
    if (a.t === 'list' && b.t === 'list') {
      if (a.typed && b.typed && a.typed === b.typed) return a;
      return { t: 'list', item: mergeKind(a.typed ? typedKind(a.typed) : a.item, b.typed ? typedKind(b.typed) : b.item, where) };
    }
    if (a.t === 'struct' && b.t === 'struct') {
      const fields = new Map(a.fields);
      for (const [k, v] of b.fields) fields.set(k, fields.has(k) ? mergeKind(fields.get(k)!, v, `${where}.${k}`) : v);
      return { t: 'struct', fields };
    }
    return a;
  }
  if ((a.t === 'int' && b.t === 'float') || (a.t === 'float' && b.t === 'int')) return { t: 'float' };
  throw new MixedTypeError(`${where}mixes ${kindName(a)} and ${kindName(b)} values`);
}

function typedKind(typed: string): Kind {
  return typed.startsWith('float') ? { t: 'float' } : { t: 'int' };
}

class MixedTypeError extends Error {}

function kindToFeature(k: Kind): FeatureType {
  switch (k.t) {
    case 'null': return new Value('null');
    case 'int': return new Value('int64');
    case 'float': return new Value('float64');
    case 'bool': return new Value('bool');
    case 'string': return new Value('string');
    case 'binary': return new Value('binary');
    case 'image': return new Image();
    case 'list': return new Sequence({ feature: k.typed ? new Value(k.typed) : kindToFeature(k.item) });
    case 'struct': return Object.fromEntries([...k.fields].map(([n, f]) => [n, kindToFeature(f)]));
  }
}

/**
 * Infers the feature of a column from its values (ints -> int64, floats -> float64, lists -> Sequence,
 * objects -> dicts, DecodedImage -> Image). Mixed types are an error naming the column and row.
 */
export function inferFeature(values: ArrayLike<unknown>, column: string, rowLabel: (i: number) => string = (i) => `row ${i}`): FeatureType {
  let k: Kind = { t: 'null' };
  for (let i = 0; i < values.length; i++) {
    try {
      k = mergeKind(k, kindOf(values[i]), '');
    } catch (e) {
      if (e instanceof MixedTypeError) {
        throw new Error(`column '${column}' ${e.message} (first conflict at ${rowLabel(i)}); make the column a single type or pass explicit features`);
      }
      throw e;
    }
  }
  return kindToFeature(k);
}

/** Whether values already stored under feature `f` can keep it after a map (e.g. ints in a ClassLabel column). */
export function valuesFit(f: FeatureType, sample: ArrayLike<unknown>): boolean {
  try {
    for (let i = 0; i < Math.min(sample.length, 100); i++) encodeValue(f, sample[i], '');
    const inferred = inferFeature(Array.prototype.slice.call(sample, 0, 100), '');
    return sameKind(f, inferred);
  } catch {
    return false;
  }
}

function sameKind(f: FeatureType, inferred: FeatureType): boolean {
  if (inferred instanceof Value && inferred.dtype === 'null') return true;
  if (f instanceof ClassLabel) return inferred instanceof Value && inferred.isInt;
  if (f instanceof Value) {
    if (!(inferred instanceof Value)) return false;
    if (f.isFloat) return inferred.isFloat || inferred.isInt;
    if (f.isInt) return inferred.isInt;
    if (f.isString) return inferred.isString;
    return f.dtype === inferred.dtype;
  }
  if (f instanceof Image) return inferred instanceof Image || isFeatureDict(inferred) || (inferred instanceof Value && (inferred.isString || inferred.isBinary));
  if (f instanceof Sequence) return inferred instanceof Sequence && sameKind(f.feature, inferred.feature);
  if (!isFeatureDict(inferred)) return false;
  return Object.keys(inferred).every((k) => k in f && sameKind((f as FeatureDict)[k], (inferred as FeatureDict)[k]));
}

export type { DecodedImage };
