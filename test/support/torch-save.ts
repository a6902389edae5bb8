// torch.save's zip format written from TypeScript for tests: a protocol-2 pickle the way
// Python's pickler writes a state dict (memo puts, _rebuild_tensor_v2, OrderedDict hooks, one
// persistent id per storage), storages as `<archive>/data/<key>`. Also a raw pickle builder for
// hostile checkpoints.
import { writeZip, type ZipInput } from './archive-writer';

export type SaveDType = 'float32' | 'float64' | 'float16' | 'bfloat16' | 'int64' | 'int32' | 'int16' | 'int8' | 'uint8' | 'bool';

const STORAGE_CLASS: Record<SaveDType, string> = {
  float32: 'FloatStorage', float64: 'DoubleStorage', float16: 'HalfStorage', bfloat16: 'BFloat16Storage', int64: 'LongStorage',
  int32: 'IntStorage', int16: 'ShortStorage', int8: 'CharStorage', uint8: 'ByteStorage', bool: 'BoolStorage',
};
export const SAVE_DTYPE_SIZE: Record<SaveDType, number> = {
  float32: 4, float64: 8, float16: 2, bfloat16: 2, int64: 8, int32: 4, int16: 2, int8: 1, uint8: 1, bool: 1,
};

export interface SaveStorage {
  dtype: SaveDType;
  data: Uint8Array;
}

export interface SaveTensor {
  storage: SaveStorage;
  offset: number;
  shape: number[];
  stride: number[];
  requiresGrad?: boolean;
  parameter?: boolean;
}

/** A contiguous tensor with its own storage. */
export function contiguous(dtype: SaveDType, shape: number[], data: Uint8Array): SaveTensor {
  const stride: number[] = [];
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    stride[i] = s;
    s *= shape[i];
  }
  return { storage: { dtype, data }, offset: 0, shape, stride };
}

/** Raw pickle opcodes, for writing checkpoints op by op. */
export class PickleBuilder {
  private readonly parts: number[] = [];
  private memoNext = 0;

  op(...bytes: number[]): this {
    this.parts.push(...bytes);
    return this;
  }
  proto(v = 2): this { return this.op(0x80, v); }
  stop(): this { return this.op(0x2e); }
  mark(): this { return this.op(0x28); }
  emptyDict(): this { return this.op(0x7d); }
  emptyList(): this { return this.op(0x5d); }
  emptyTuple(): this { return this.op(0x29); }
  tuple(): this { return this.op(0x74); }
  tuple1(): this { return this.op(0x85); }
  tuple2(): this { return this.op(0x86); }
  tuple3(): this { return this.op(0x87); }
  none(): this { return this.op(0x4e); }
  bool(v: boolean): this { return this.op(v ? 0x88 : 0x89); }
  reduce(): this { return this.op(0x52); }
  build(): this { return this.op(0x62); }
  newobj(): this { return this.op(0x81); }
  setitem(): this { return this.op(0x73); }
  setitems(): this { return this.op(0x75); }
  append(): this { return this.op(0x61); }
  appends(): this { return this.op(0x65); }
  binpersid(): this { return this.op(0x51); }
  int(n: number): this {
    if (n >= 0 && n < 256) return this.op(0x4b, n);
    if (n >= 0 && n < 65536) return this.op(0x4d, n & 0xff, n >> 8);
    if (n >= -(2 ** 31) && n < 2 ** 31) {
      const b = Buffer.alloc(4);
      b.writeInt32LE(n);
      return this.op(0x4a, ...b);
    }
    return this.long(BigInt(n));
  }
  long(v: bigint): this {
    const out: number[] = [];
    let x = v;
    for (;;) {
      out.push(Number(x & 0xffn));
      x >>= 8n;
      if ((x === 0n && !(out[out.length - 1] & 0x80)) || (x === -1n && out[out.length - 1] & 0x80)) break;
    }
    return this.op(0x8a, out.length, ...out);
  }
  float(v: number): this {
    const b = Buffer.alloc(8);
    b.writeDoubleBE(v);
    return this.op(0x47, ...b);
  }
  str(s: string): this {
    const b = Buffer.from(s, 'utf8');
    const n = Buffer.alloc(4);
    n.writeUInt32LE(b.length);
    return this.op(0x58, ...n, ...b);
  }
  global(module: string, name: string): this {
    return this.op(0x63, ...Buffer.from(`${module}\n${name}\n`));
  }
  /** BINPUT of the next memo slot; returns the slot through `slot`. */
  put(slot?: (i: number) => void): this {
    const i = this.memoNext++;
    slot?.(i);
    return i < 256 ? this.op(0x71, i) : this.op(0x72, i & 0xff, (i >> 8) & 0xff, (i >> 16) & 0xff, i >>> 24);
  }
  get(i: number): this {
    return i < 256 ? this.op(0x68, i) : this.op(0x6a, i & 0xff, (i >> 8) & 0xff, (i >> 16) & 0xff, i >>> 24);
  }
  bytes(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

export interface TorchSaveOptions {
  /** Folder name inside the zip (torch uses the file's stem, or "archive"). Default `archive`. */
  archiveName?: string;
  /** Write `<archive>/byteorder` (torch >= 2.1 does). Default 'little'. */
  byteorder?: 'little' | 'big' | null;
  /** Wrap each tensor in _rebuild_parameter (nn.Parameter). */
  parameters?: boolean;
}

/** The pickle of a state dict as torch.save writes it, and the storages by key. */
export function stateDictPickle(sd: Map<string, SaveTensor> | Record<string, SaveTensor>, o: TorchSaveOptions = {}): { pickle: Uint8Array; storages: Map<string, SaveStorage> } {
  const entries = sd instanceof Map ? [...sd] : Object.entries(sd);
  const p = new PickleBuilder().proto(2).emptyDict().put().mark();
  const keys = new Map<SaveStorage, string>();
  const storages = new Map<string, SaveStorage>();
  const memo = new Map<string, number>();
  const memoized = (k: string, write: () => void) => {
    const hit = memo.get(k);
    if (hit !== undefined) p.get(hit);
    else {
      write();
      p.put((i) => memo.set(k, i));
    }
  };
  for (const [name, t] of entries) {
    p.str(name).put();
    if (t.parameter || o.parameters) memoized('G:param', () => p.global('torch._utils', '_rebuild_parameter'));
    if (t.parameter || o.parameters) p.mark();
    memoized('G:v2', () => p.global('torch._utils', '_rebuild_tensor_v2'));
    p.mark();
    let key = keys.get(t.storage);
    const size = SAVE_DTYPE_SIZE[t.storage.dtype];
    if (key === undefined) {
      key = String(keys.size);
      keys.set(t.storage, key);
      storages.set(key, t.storage);
    }
    p.mark();
    memoized('S:storage', () => p.str('storage'));
    memoized(`G:${t.storage.dtype}`, () => p.global('torch', STORAGE_CLASS[t.storage.dtype]));
    memoized(`K:${key}`, () => p.str(key!));
    memoized('S:cpu', () => p.str('cpu'));
    p.int(t.storage.data.byteLength / size).tuple().put().binpersid();
    p.int(t.offset);
    for (const dims of [t.shape, t.stride]) {
      if (dims.length === 0) p.emptyTuple();
      else if (dims.length <= 3) {
        for (const d of dims) p.int(d);
        p.op([0, 0x85, 0x86, 0x87][dims.length]);
      } else {
        p.mark();
        for (const d of dims) p.int(d);
        p.tuple();
      }
      p.put();
    }
    p.bool(t.requiresGrad ?? false);
    memoized('G:od', () => p.global('collections', 'OrderedDict'));
    p.emptyTuple().reduce().put().tuple().put().reduce().put();
    if (t.parameter || o.parameters) {
      p.bool(t.requiresGrad ?? true);
      p.get(memo.get('G:od')!).emptyTuple().reduce().put().tuple().put().reduce().put();
    }
  }
  p.setitems().stop();
  return { pickle: p.bytes(), storages };
}

/** A whole checkpoint file (zip) for a state dict. */
export function torchSave(sd: Map<string, SaveTensor> | Record<string, SaveTensor>, o: TorchSaveOptions = {}): Uint8Array {
  const { pickle, storages } = stateDictPickle(sd, o);
  return checkpointZip(pickle, storages, o);
}

/** Zips a pickle and storages in torch.save's layout. */
export function checkpointZip(pickle: Uint8Array, storages: Map<string, SaveStorage | Uint8Array>, o: TorchSaveOptions = {}): Uint8Array {
  const dir = o.archiveName ?? 'archive';
  const byteorder = o.byteorder === undefined ? 'little' : o.byteorder;
  const files: ZipInput[] = [{ name: `${dir}/data.pkl`, data: pickle }];
  if (byteorder) files.push({ name: `${dir}/byteorder`, data: byteorder });
  for (const [k, s] of storages) {
    const data = s instanceof Uint8Array ? s : s.data;
    files.push({ name: `${dir}/data/${k}`, data: byteorder === 'big' && !(s instanceof Uint8Array) ? swap(data, SAVE_DTYPE_SIZE[s.dtype]) : data });
  }
  files.push({ name: `${dir}/version`, data: '3\n' });
  return writeZip(files);
}

function swap(b: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(b);
  for (let i = 0; i < out.length; i += size) out.subarray(i, i + size).reverse();
  return out;
}

/** Float32 bytes of the given values. */
export function f32(values: number[]): Uint8Array {
  return new Uint8Array(new Float32Array(values).buffer);
}

const FROM_SAFETENSORS: Record<string, SaveDType> = {
  F32: 'float32', F64: 'float64', F16: 'float16', BF16: 'bfloat16', I64: 'int64', I32: 'int32', I16: 'int16', I8: 'int8', U8: 'uint8', BOOL: 'bool',
};

/** A pytorch_model.bin for tensors given as safetensors records (`{dtype: 'F32', shape, data}`), e.g. from tensorToWrite. */
export function torchSaveRecords(records: Map<string, { dtype: string; shape: readonly number[]; data: ArrayBufferView }>, o: TorchSaveOptions = {}): Uint8Array {
  const sd = new Map<string, SaveTensor>();
  for (const [k, r] of records) {
    const dtype = FROM_SAFETENSORS[r.dtype] ?? (r.dtype as SaveDType);
    sd.set(k, contiguous(dtype, [...r.shape], new Uint8Array(r.data.buffer, r.data.byteOffset, r.data.byteLength)));
  }
  return torchSave(sd, o);
}
