// A restricted unpickler for PyTorch checkpoints (pure TypeScript; nothing is ever executed).
//
// It accepts exactly what `torch.load(weights_only=True)` accepts (torch/_weights_only_unpickler.py):
// the same opcodes (protocol 2's subset: no FRAME, STACK_GLOBAL, BINBYTES, MEMOIZE...), the same
// allow-list of globals, BUILD only on OrderedDict / Counter / tensors, APPEND only on lists, SETITEM
// only on dicts, persistent ids only for storages. Globals are never looked up by name: each allowed
// one is a tag whose meaning (an OrderedDict, a tensor rebuild...) is written below. Tensors come out
// as references to storages (bounds-checked against the storage's declared size, itself checked by
// the caller against the archive), so a hostile pickle cannot allocate what it merely declares.

export class UnpicklingError extends Error {
  override name = 'UnpicklingError';
}

/** dtypes a checkpoint may declare (torch's names); the engine loads a subset of them. */
export type TorchDType =
  | 'float32' | 'float64' | 'float16' | 'bfloat16' | 'int64' | 'int32' | 'int16' | 'int8' | 'uint8' | 'bool'
  | 'complex64' | 'complex128' | 'complex32' | 'qint8' | 'quint8' | 'qint32' | 'quint4x2' | 'quint2x4'
  | 'uint16' | 'uint32' | 'uint64' | 'float8_e5m2' | 'float8_e4m3fn' | 'float8_e5m2fnuz' | 'float8_e4m3fnuz'
  | 'float8_e8m0fnu' | 'float4_e2m1fn_x2' | 'bits1x8' | 'bits2x4' | 'bits4x2' | 'bits8' | 'bits16';

const DTYPE_SIZE: Record<TorchDType, number> = {
  float32: 4, float64: 8, float16: 2, bfloat16: 2, int64: 8, int32: 4, int16: 2, int8: 1, uint8: 1, bool: 1,
  complex64: 8, complex128: 16, complex32: 4, qint8: 1, quint8: 1, qint32: 4, quint4x2: 1, quint2x4: 1,
  uint16: 2, uint32: 4, uint64: 8, float8_e5m2: 1, float8_e4m3fn: 1, float8_e5m2fnuz: 1, float8_e4m3fnuz: 1,
  float8_e8m0fnu: 1, float4_e2m1fn_x2: 1, bits1x8: 1, bits2x4: 1, bits4x2: 1, bits8: 1, bits16: 2,
};

export function torchDTypeSize(d: TorchDType): number {
  return DTYPE_SIZE[d];
}

/** Storage classes (legacy typed storages, as persistent ids name them) and their dtypes. */
const STORAGE_DTYPES: Record<string, TorchDType> = {
  FloatStorage: 'float32', DoubleStorage: 'float64', HalfStorage: 'float16', BFloat16Storage: 'bfloat16',
  LongStorage: 'int64', IntStorage: 'int32', ShortStorage: 'int16', CharStorage: 'int8', ByteStorage: 'uint8',
  BoolStorage: 'bool', ComplexFloatStorage: 'complex64', ComplexDoubleStorage: 'complex128', QInt8Storage: 'qint8',
  QUInt8Storage: 'quint8', QInt32Storage: 'qint32', QUInt4x2Storage: 'quint4x2', QUInt2x4Storage: 'quint2x4',
};

// ---- Python values -------------------------------------------------------------------------------

export class PyTuple {
  constructor(readonly items: PyValue[]) {}
}
/** dict, collections.OrderedDict or collections.Counter (keys in insertion order). */
export class PyDict {
  readonly map = new Map<unknown, PyValue>();
  /** Attributes set by BUILD (an OrderedDict's `_metadata`). */
  attrs: PyDict | null = null;
  constructor(readonly kind: 'dict' | 'OrderedDict' | 'Counter' = 'dict') {}
}
export class PySet {
  constructor(readonly items: PyValue[]) {}
}
export class PyComplex {
  constructor(readonly real: number, readonly imag: number) {}
}
/** An allowed global used as a value (a dtype, a storage class, a function passed as an argument). */
export class PyGlobal {
  constructor(readonly module: string, readonly name: string) {}
  get fullName(): string {
    return `${this.module}.${this.name}`;
  }
}
export class PyDevice {
  constructor(readonly type: string, readonly index: number | null) {}
}
export class PyLayout {
  constructor(readonly name: string) {}
}

/** One storage of the archive, as a persistent id declares it. */
export interface StorageRef {
  kind: 'storage';
  key: string;
  dtype: TorchDType;
  /** Elements of `dtype` (bytes for untyped storages). */
  numel: number;
  location: string;
}

/** A tensor as a view on a storage (offset and strides in elements). */
export interface TensorRef {
  kind: 'tensor';
  storage: StorageRef;
  dtype: TorchDType;
  offset: number;
  shape: number[];
  stride: number[];
  requiresGrad: boolean;
  isParameter: boolean;
}

export type PyValue =
  | null | boolean | number | bigint | string | Uint8Array | PyValue[]
  | PyTuple | PyDict | PySet | PyComplex | PyGlobal | PyDevice | PyLayout | StorageRef | TensorRef;

export function isTensorRef(v: unknown): v is TensorRef {
  return typeof v === 'object' && v !== null && (v as TensorRef).kind === 'tensor' && !(v instanceof PyDict);
}

// ---- the allow-list (torch._weights_only_unpickler._get_allowed_globals) --------------------------

const REBUILD_FUNCTIONS = [
  '_rebuild_parameter', '_rebuild_parameter_with_state', '_rebuild_qtensor', '_rebuild_tensor', '_rebuild_tensor_v2',
  '_rebuild_tensor_v3', '_rebuild_sparse_tensor', '_rebuild_meta_tensor_no_storage', '_rebuild_wrapper_subclass',
  '_rebuild_device_tensor_from_numpy', '_rebuild_device_tensor_from_cpu_tensor',
];
const DTYPE_NAMES = [
  ...Object.keys(DTYPE_SIZE),
  ...[1, 2, 3, 4, 5, 6, 7].flatMap((x) => [`uint${x}`, `int${x}`]),
];
const TENSOR_TYPES = ['Double', 'Float', 'Half', 'BFloat16', 'Long', 'Int', 'Short', 'Char', 'Byte', 'Bool', 'ComplexFloat', 'ComplexDouble'];

const ALLOWED_GLOBALS: ReadonlySet<string> = new Set([
  'collections.OrderedDict', 'collections.Counter', 'torch.nn.parameter.Parameter', 'torch.serialization._get_layout',
  'torch.Size', 'torch.Tensor', 'torch.device', '_codecs.encode', 'builtins.bytearray', 'builtins.set', 'builtins.complex',
  ...DTYPE_NAMES.map((d) => `torch.${d}`),
  ...TENSOR_TYPES.flatMap((t) => [`torch.${t}Tensor`, `torch.cuda.${t}Tensor`, `torch.sparse.${t}Tensor`, `torch.cuda.sparse.${t}Tensor`]),
  ...Object.keys(STORAGE_DTYPES).flatMap((s) => [`torch.${s}`, `torch.cuda.${s}`]),
  'torch.storage.TypedStorage', 'torch.storage.UntypedStorage', 'torch.UntypedStorage', 'torch.TypedStorage',
  'torch.per_tensor_affine', 'torch.per_tensor_symmetric', 'torch.per_channel_affine', 'torch.per_channel_symmetric',
  'torch.per_channel_affine_float_qparams',
  ...REBUILD_FUNCTIONS.map((f) => `torch._utils.${f}`),
  'torch._tensor._rebuild_from_type_v2',
]);
const BLOCKED_MODULES = new Set(['sys', 'os', 'posix', 'nt']);
/** Python 2 module names pickle protocol 2 may carry (pickle's IMPORT_MAPPING, the part that matters here). */
const PY2_MODULES: Record<string, string> = { __builtin__: 'builtins', copy_reg: 'copyreg' };

/** True when `module.name` is a global torch.load(weights_only=True) accepts. */
export function isAllowedGlobal(fullName: string): boolean {
  return ALLOWED_GLOBALS.has(fullName);
}

// ---- the machine ------------------------------------------------------------------------------------

/** Called for each persistent id ('storage', type, key, location, numel); returns the checked storage. */
export type StorageResolver = (key: string, dtype: TorchDType, numel: number, location: string) => StorageRef;

export interface UnpickleOptions {
  label?: string;
  persistentLoad: StorageResolver;
}

const MAX_DIMS = 64;

function typeName(v: unknown): string {
  if (v === null) return 'None';
  if (Array.isArray(v)) return 'list';
  if (v instanceof PyTuple) return 'tuple';
  if (v instanceof PyDict) return v.kind;
  if (v instanceof PySet) return 'set';
  if (v instanceof PyGlobal) return v.fullName;
  if (v instanceof Uint8Array) return 'bytes';
  if (isTensorRef(v)) return 'Tensor';
  if (typeof v === 'object' && (v as StorageRef).kind === 'storage') return 'storage';
  if (typeof v === 'string') return 'str';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (typeof v === 'bigint') return 'int';
  return (v as object).constructor?.name ?? typeof v;
}

class Machine {
  private pos = 0;
  private stack: PyValue[] = [];
  private readonly metastack: PyValue[][] = [];
  private readonly memo = new Map<number, PyValue>();
  private readonly built = new WeakSet<object>();
  private readonly storageTypes = new Map<string, TorchDType>();
  private readonly label: string;

  constructor(private readonly data: Uint8Array, private readonly o: UnpickleOptions) {
    this.label = o.label ?? 'pickle';
  }

  private fail(msg: string, at = this.pos): never {
    throw new UnpicklingError(`${this.label}: ${msg} (pickle byte ${at})`);
  }

  private take(n: number): Uint8Array {
    if (n < 0 || this.pos + n > this.data.byteLength) this.fail(`truncated: needs ${n} more bytes past the end of the data`);
    const out = this.data.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  private u8(): number {
    return this.take(1)[0];
  }

  private u32(): number {
    const b = this.take(4);
    return (b[0] | (b[1] << 8) | (b[2] << 16)) + b[3] * 0x1000000;
  }

  private line(): string {
    const start = this.pos;
    const nl = this.data.indexOf(0x0a, start);
    if (nl < 0 || nl - start > 1024) this.fail('GLOBAL name is not terminated by a newline');
    this.pos = nl + 1;
    return this.utf8(this.data.subarray(start, nl));
  }

  private utf8(b: Uint8Array): string {
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(b);
    } catch {
      return this.fail('string is not valid UTF-8');
    }
  }

  private pop(): PyValue {
    if (this.stack.length === 0) this.fail('stack underflow (the pickle is corrupt)');
    return this.stack.pop()!;
  }

  private top(): PyValue {
    if (this.stack.length === 0) this.fail('stack underflow (the pickle is corrupt)');
    return this.stack[this.stack.length - 1];
  }

  private popMark(): PyValue[] {
    if (this.metastack.length === 0) this.fail('MARK missing (the pickle is corrupt)');
    const items = this.stack;
    this.stack = this.metastack.pop()!;
    return items;
  }

  run(): PyValue {
    for (;;) {
      const at = this.pos;
      if (this.pos >= this.data.byteLength) this.fail('ends without STOP (truncated)');
      const op = this.u8();
      switch (op) {
        case 0x80: // PROTO
          if (this.u8() > 5) this.fail('unsupported pickle protocol');
          break;
        case 0x2e: // STOP
          return this.pop();
        case 0x28: // MARK
          this.metastack.push(this.stack);
          this.stack = [];
          break;
        case 0x29: this.stack.push(new PyTuple([])); break; // EMPTY_TUPLE
        case 0x5d: this.stack.push([]); break; // EMPTY_LIST
        case 0x7d: this.stack.push(new PyDict('dict')); break; // EMPTY_DICT
        case 0x8f: this.stack.push(new PySet([])); break; // EMPTY_SET
        case 0x4e: this.stack.push(null); break; // NONE
        case 0x88: this.stack.push(true); break; // NEWTRUE
        case 0x89: this.stack.push(false); break; // NEWFALSE
        case 0x4a: { // BININT
          const b = this.take(4);
          this.stack.push(new DataView(b.buffer, b.byteOffset, 4).getInt32(0, true));
          break;
        }
        case 0x4b: this.stack.push(this.u8()); break; // BININT1
        case 0x4d: { // BININT2
          const b = this.take(2);
          this.stack.push(b[0] | (b[1] << 8));
          break;
        }
        case 0x8a: { // LONG1
          const n = this.u8();
          this.stack.push(decodeLong(this.take(n)));
          break;
        }
        case 0x47: { // BINFLOAT (big-endian)
          const b = this.take(8);
          this.stack.push(new DataView(b.buffer, b.byteOffset, 8).getFloat64(0, false));
          break;
        }
        case 0x58: { // BINUNICODE
          const n = this.u32();
          this.stack.push(this.utf8(this.take(n)));
          break;
        }
        case 0x55: { // SHORT_BINSTRING (torch.load decodes with utf-8)
          const n = this.u8();
          this.stack.push(this.utf8(this.take(n)));
          break;
        }
        case 0x74: { // TUPLE
          const items = this.popMark();
          this.stack.push(new PyTuple(items));
          break;
        }
        case 0x85: this.stack.push(new PyTuple([this.pop()])); break; // TUPLE1
        case 0x86: { // TUPLE2
          const b = this.pop();
          const a = this.pop();
          this.stack.push(new PyTuple([a, b]));
          break;
        }
        case 0x87: { // TUPLE3
          const c = this.pop();
          const b = this.pop();
          const a = this.pop();
          this.stack.push(new PyTuple([a, b, c]));
          break;
        }
        case 0x61: { // APPEND
          const item = this.pop();
          this.listTarget('APPEND').push(item);
          break;
        }
        case 0x65: { // APPENDS
          const items = this.popMark();
          const list = this.listTarget('APPENDS');
          for (const it of items) list.push(it);
          break;
        }
        case 0x73: { // SETITEM
          const v = this.pop();
          const k = this.pop();
          this.dictTarget('SETITEM').map.set(dictKey(k), v);
          break;
        }
        case 0x75: { // SETITEMS
          const items = this.popMark();
          const d = this.dictTarget('SETITEMS');
          if (items.length % 2) this.fail('SETITEMS with an odd number of items (the pickle is corrupt)');
          for (let i = 0; i < items.length; i += 2) d.map.set(dictKey(items[i]), items[i + 1]);
          break;
        }
        case 0x68: this.get(this.u8()); break; // BINGET
        case 0x6a: this.get(this.u32()); break; // LONG_BINGET
        case 0x71: this.memo.set(this.u8(), this.top()); break; // BINPUT
        case 0x72: this.memo.set(this.u32(), this.top()); break; // LONG_BINPUT
        case 0x63: this.stack.push(this.global(at)); break; // GLOBAL
        case 0x52: { // REDUCE
          const args = this.pop();
          const fn = this.pop();
          this.stack.push(this.call(fn, args, 'REDUCE', at));
          break;
        }
        case 0x81: { // NEWOBJ
          const args = this.pop();
          const cls = this.pop();
          this.stack.push(this.newobj(cls, args, at));
          break;
        }
        case 0x62: { // BUILD
          const state = this.pop();
          this.build(this.top(), state, at);
          break;
        }
        case 0x51: { // BINPERSID
          this.stack.push(this.persistent(this.pop(), at));
          break;
        }
        default:
          this.fail(`unsupported opcode 0x${op.toString(16).padStart(2, '0')} (torch.load(weights_only=True) refuses it too)`, at);
      }
    }
  }

  private get(i: number): void {
    if (!this.memo.has(i)) this.fail(`memo entry ${i} is read before it is written (the pickle is corrupt)`);
    this.stack.push(this.memo.get(i)!);
  }

  private listTarget(op: string): PyValue[] {
    const t = this.top();
    if (!Array.isArray(t)) this.fail(`${op} on a ${typeName(t)}: only lists can be appended to`);
    return t;
  }

  private dictTarget(op: string): PyDict {
    const t = this.top();
    if (!(t instanceof PyDict)) this.fail(`${op} on a ${typeName(t)}: only dict, OrderedDict and Counter take items`);
    return t;
  }

  private global(at: number): PyGlobal {
    let module = this.line();
    const name = this.line();
    module = PY2_MODULES[module] ?? module;
    const full = `${module}.${name}`;
    if (BLOCKED_MODULES.has(module) || !ALLOWED_GLOBALS.has(full)) {
      this.fail(`refusing global ${full}: torch.load(weights_only=True) does not allow it, so the file may be malicious; load only checkpoints you trust, or use its model.safetensors`, at);
    }
    return new PyGlobal(module, name);
  }

  private persistent(pid: PyValue, at: number): StorageRef {
    if (!(pid instanceof PyTuple) || pid.items.length !== 5 || pid.items[0] !== 'storage') {
      this.fail(`persistent id ${typeName(pid)} is not a ('storage', type, key, location, numel) tuple: only storages may be loaded this way`, at);
    }
    const [, type, key, location, numel] = pid.items;
    if (!(type instanceof PyGlobal)) this.fail(`storage type is a ${typeName(type)}, not a storage class`, at);
    let dtype: TorchDType | undefined;
    if (type.name === 'UntypedStorage') dtype = 'uint8';
    else if (type.module === 'torch' || type.module === 'torch.cuda') dtype = STORAGE_DTYPES[type.name];
    if (!dtype) this.fail(`${type.fullName} is not a storage class`, at);
    if (typeof key !== 'string' || !/^[A-Za-z0-9_.-]{1,128}$/.test(key)) this.fail(`storage key ${JSON.stringify(String(key)).slice(0, 40)} is not a plain record name`, at);
    if (typeof location !== 'string') this.fail(`storage location is a ${typeName(location)}, not a string`, at);
    const n = asIndex(numel);
    if (n === undefined) this.fail(`storage '${key}' declares ${String(numel)} elements`, at);
    const seen = this.storageTypes.get(key);
    if (seen && seen !== dtype) this.fail(`storage '${key}' is declared as both ${seen} and ${dtype}`, at);
    this.storageTypes.set(key, dtype);
    return this.o.persistentLoad(key, dtype, n, location);
  }

  private argList(args: PyValue, fn: string, at: number): PyValue[] {
    if (!(args instanceof PyTuple)) this.fail(`${fn} called with a ${typeName(args)} instead of an argument tuple`, at);
    return args.items;
  }

  private call(fn: PyValue, args: PyValue, op: string, at: number): PyValue {
    if (!(fn instanceof PyGlobal)) this.fail(`${op} on a ${typeName(fn)}, which is not an allowed callable`, at);
    const name = fn.fullName;
    const a = this.argList(args, name, at);
    const bad = (why: string): never => this.fail(`${name}${why}`, at);
    switch (name) {
      case 'collections.OrderedDict':
      case 'collections.Counter': {
        const d = new PyDict(name === 'collections.Counter' ? 'Counter' : 'OrderedDict');
        if (a.length > 1) bad(' takes at most one argument');
        const src = a[0];
        if (src === undefined || src === null) return d;
        if (src instanceof PyDict) for (const [k, v] of src.map) d.map.set(k, v);
        else if (Array.isArray(src) || src instanceof PyTuple) {
          for (const pair of Array.isArray(src) ? src : src.items) {
            const items = pair instanceof PyTuple ? pair.items : Array.isArray(pair) ? pair : null;
            if (!items || items.length !== 2) bad(' needs (key, value) pairs');
            d.map.set(dictKey(items![0]), items![1]);
          }
        } else bad(` cannot be built from a ${typeName(src)}`);
        return d;
      }
      case 'builtins.set': {
        const src = a[0];
        if (src === undefined) return new PySet([]);
        if (Array.isArray(src)) return new PySet([...src]);
        if (src instanceof PyTuple) return new PySet([...src.items]);
        return bad(` cannot be built from a ${typeName(src)}`);
      }
      case '_codecs.encode':
      case 'builtins.bytearray': {
        if (a.length === 0) return new Uint8Array(0);
        if (a[0] instanceof Uint8Array && a.length === 1) return a[0];
        const [s, enc] = a;
        if (typeof s !== 'string' || (enc !== 'latin1' && enc !== 'latin-1') || a.length !== 2) return bad(' supports only (str, "latin1"), as pickle writes bytes');
        const out = new Uint8Array(s.length);
        for (let i = 0; i < s.length; i++) {
          const c = s.charCodeAt(i);
          if (c > 255) bad(': a character is outside latin-1');
          out[i] = c;
        }
        return out;
      }
      case 'builtins.complex': {
        const [re = 0, im = 0] = a;
        if (typeof re !== 'number' || typeof im !== 'number' || a.length > 2) return bad(' needs two numbers');
        return new PyComplex(re, im);
      }
      case 'torch.Size': {
        const src = a[0];
        const items = src instanceof PyTuple ? src.items : Array.isArray(src) ? src : null;
        if (!items || a.length !== 1 || items.some((d) => asIndex(d) === undefined)) return bad(' needs a tuple of non-negative ints');
        return new PyTuple(items.map((d) => asIndex(d)!));
      }
      case 'torch.device': {
        const [t, idx] = a;
        if (typeof t !== 'string' || a.length > 2 || (idx !== undefined && idx !== null && asIndex(idx) === undefined)) return bad(' needs ("type", index)');
        const m = /^([a-z_]+)(?::(\d+))?$/.exec(t);
        if (!m) return bad(`: unknown device ${JSON.stringify(t).slice(0, 40)}`);
        return new PyDevice(m[1], m[2] !== undefined ? Number(m[2]) : idx === undefined || idx === null ? null : asIndex(idx)!);
      }
      case 'torch.serialization._get_layout': {
        if (typeof a[0] !== 'string' || a.length !== 1) return bad(' needs a layout name');
        return new PyLayout(a[0]);
      }
      case 'torch._utils._rebuild_tensor':
        return this.rebuildTensor(name, a[0], a[1], a[2], a[3], false, undefined, a.length === 4, at);
      case 'torch._utils._rebuild_tensor_v2':
        return this.rebuildTensor(name, a[0], a[1], a[2], a[3], a[4], undefined, a.length === 6 || a.length === 7, at);
      case 'torch._utils._rebuild_tensor_v3':
        return this.rebuildTensor(name, a[0], a[1], a[2], a[3], a[4], a[6], a.length === 7 || a.length === 8, at);
      case 'torch._utils._rebuild_parameter':
      case 'torch._utils._rebuild_parameter_with_state': {
        const [data, requiresGrad] = a;
        if (!isTensorRef(data) || typeof requiresGrad !== 'boolean' || a.length < 3 || a.length > 4) return bad(' needs (tensor, requires_grad, hooks[, state])');
        return { ...data, requiresGrad, isParameter: true };
      }
      case 'torch._tensor._rebuild_from_type_v2': {
        const [func, newType, inner, state] = a;
        if (a.length !== 4 || !(inner instanceof PyTuple)) return bad(' needs (func, type, args, state)');
        if (!(newType instanceof PyGlobal) || (newType.fullName !== 'torch.Tensor' && newType.fullName !== 'torch.nn.parameter.Parameter')) {
          return bad(`: tensor subclass ${typeName(newType)} is not supported`);
        }
        if (state !== null && !(state instanceof PyDict) && !(state instanceof PyTuple)) return bad(` with a ${typeName(state)} state`);
        const t = this.call(func, inner, 'REDUCE', at);
        if (!isTensorRef(t)) return bad(' did not rebuild a tensor');
        return newType.name === 'Parameter' ? { ...t, isParameter: true } : t;
      }
      case 'torch._utils._rebuild_device_tensor_from_cpu_tensor': {
        const [data, dtype] = a;
        if (!isTensorRef(data) || !(dtype instanceof PyGlobal) || dtype.module !== 'torch' || dtype.name !== data.dtype) {
          return bad(' with a dtype change is not supported');
        }
        return data;
      }
      case 'torch._utils._rebuild_qtensor':
        return bad(': quantized tensors are not supported by hubtune; dequantize the checkpoint first');
      case 'torch._utils._rebuild_sparse_tensor':
        return bad(': sparse tensors are not supported by hubtune; save dense tensors');
      case 'torch._utils._rebuild_meta_tensor_no_storage':
        return bad(': the checkpoint holds meta tensors (no data); save it after materialising the weights');
      default:
        return bad(` cannot be called here (allowed as a value only)`);
    }
  }

  private rebuildTensor(fn: string, storage: PyValue, offset: PyValue, size: PyValue, stride: PyValue, requiresGrad: PyValue, dtypeArg: PyValue | undefined, arity: boolean, at: number): TensorRef {
    const bad = (why: string): never => this.fail(`${fn}${why}`, at);
    if (!arity) bad(': wrong number of arguments');
    if (typeof storage !== 'object' || storage === null || (storage as StorageRef).kind !== 'storage') return bad(` needs a storage, got a ${typeName(storage)}`);
    const st = storage as StorageRef;
    const dims = (v: PyValue, what: string): number[] => {
      const items = v instanceof PyTuple ? v.items : Array.isArray(v) ? v : null;
      if (!items || items.length > MAX_DIMS) return bad(`: ${what} must be a tuple of at most ${MAX_DIMS} ints`);
      return items.map((d) => {
        const n = asIndex(d);
        if (n === undefined) bad(`: ${what} has ${String(d)}, not a non-negative int`);
        return n!;
      });
    };
    const shape = dims(size, 'size');
    const strides = dims(stride, 'stride');
    if (shape.length !== strides.length) bad(`: size has ${shape.length} dims but stride ${strides.length}`);
    const off = asIndex(offset);
    if (off === undefined) bad(`: storage offset ${String(offset)} is not a non-negative int`);
    if (typeof requiresGrad !== 'boolean') bad(`: requires_grad is a ${typeName(requiresGrad)}`);
    let dtype = st.dtype;
    let numel = st.numel;
    if (dtypeArg !== undefined) {
      if (!(dtypeArg instanceof PyGlobal) || dtypeArg.module !== 'torch' || !(dtypeArg.name in DTYPE_SIZE)) return bad(`: ${typeName(dtypeArg)} is not a dtype`);
      dtype = dtypeArg.name as TorchDType;
      const bytes = st.numel * DTYPE_SIZE[st.dtype];
      numel = Math.floor(bytes / DTYPE_SIZE[dtype]);
    }
    // The highest element the view touches must lie inside the storage (BigInt: no overflow).
    let count = 1n;
    let last = BigInt(off!);
    for (let i = 0; i < shape.length; i++) {
      count *= BigInt(shape[i]);
      if (shape[i] > 0) last += BigInt(shape[i] - 1) * BigInt(strides[i]);
    }
    if (count > 0n && last >= BigInt(numel)) {
      bad(`: a ${'[' + shape.join(', ') + ']'} view at offset ${off} with strides [${strides.join(', ')}] reaches element ${last}, past the ${numel} elements of storage '${st.key}' (the checkpoint is corrupt)`);
    }
    return { kind: 'tensor', storage: st, dtype, offset: off!, shape, stride: strides, requiresGrad: requiresGrad as boolean, isParameter: false };
  }

  private newobj(cls: PyValue, args: PyValue, at: number): PyValue {
    if (!(cls instanceof PyGlobal)) this.fail(`NEWOBJ on a ${typeName(cls)}, which is not an allowed class`, at);
    const a = this.argList(args, cls.fullName, at);
    if (cls.fullName === 'torch.nn.parameter.Parameter') {
      const [data, requiresGrad = true] = a;
      if (!isTensorRef(data) || typeof requiresGrad !== 'boolean') this.fail('Parameter needs (tensor, requires_grad)', at);
      return { ...(data as TensorRef), requiresGrad: requiresGrad as boolean, isParameter: true };
    }
    if (['collections.OrderedDict', 'collections.Counter', 'builtins.set'].includes(cls.fullName)) return this.call(cls, args, 'NEWOBJ', at);
    return this.fail(`NEWOBJ on ${cls.fullName} is not supported`, at);
  }

  private build(inst: PyValue, state: PyValue, at: number): void {
    if (typeof inst === 'object' && inst !== null) {
      if (this.built.has(inst)) this.fail(`BUILD applied twice to the same ${typeName(inst)} (nested BUILD)`, at);
      this.built.add(inst);
    }
    if (inst instanceof PyDict && (inst.kind === 'OrderedDict' || inst.kind === 'Counter')) {
      if (state === null) return;
      if (!(state instanceof PyDict)) this.fail(`BUILD of an ${inst.kind} with a ${typeName(state)} state`, at);
      if ([...state.map.values()].some((v) => isTensorRef(v))) this.fail(`BUILD of an ${inst.kind} whose state holds tensors`, at);
      inst.attrs = state;
      return;
    }
    if (isTensorRef(inst)) {
      const empty = state === null || (state instanceof PyDict && state.map.size === 0) || (state instanceof PyTuple && state.items.every((s) => s === null || (s instanceof PyDict && s.map.size === 0)));
      if (!empty) this.fail('BUILD with state on a tensor is not supported', at);
      return;
    }
    this.fail(`BUILD on a ${typeName(inst)}: only OrderedDict, Counter and tensors may be built`, at);
  }
}

/** A Python int from LONG1's little-endian two's complement bytes (a number when safe). */
function decodeLong(b: Uint8Array): number | bigint {
  if (b.length === 0) return 0;
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
  if (b[b.length - 1] & 0x80) v -= 1n << BigInt(8 * b.length);
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

/** A non-negative safe integer, or undefined. */
function asIndex(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return v;
  if (typeof v === 'bigint' && v >= 0n && v <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  return undefined;
}

/** Map key for a Python dict key: primitives as themselves (tuples and others by identity). */
function dictKey(k: PyValue): unknown {
  return k;
}

/** Runs the restricted unpickler over `data` and returns the root object. */
export function unpickle(data: Uint8Array, o: UnpickleOptions): PyValue {
  return new Machine(data, o).run();
}
