// PyTorch checkpoints (`pytorch_model.bin`, `*.pt`) in torch.save's zip format, read in pure
// TypeScript: `<archive>/data.pkl` through the restricted unpickler (pickle.ts), each storage from
// `<archive>/data/<key>`, byte order from `<archive>/byteorder`. The legacy (pre-1.6) format is
// recognised and refused with a clear error. Tensors come out as raw bytes (safetensors-like
// records); torch-bin.ts turns them into engine tensors.
import { type ByteSource, bufferSource, fileSource } from '../util/byte-source';
import { ArchiveError, ZipArchive } from '../util/zip';
import {
  PyDict, UnpicklingError, isTensorRef, torchDTypeSize, unpickle,
  type PyValue, type StorageRef, type TensorRef, type TorchDType,
} from './pickle';

export class TorchCheckpointError extends Error {
  override name = 'TorchCheckpointError';
}

export const WEIGHTS_NAME = 'pytorch_model.bin';
export const WEIGHTS_INDEX_NAME = 'pytorch_model.bin.index.json';

/** A tensor read from a checkpoint: contiguous little-endian bytes of `dtype`. */
export interface RawTensor {
  dtype: TorchDType;
  shape: number[];
  data: Uint8Array;
}

/** torch.save's legacy header: PROTO 2, LONG1 of 10 bytes = MAGIC_NUMBER 0x1950a86a20f9469cfc6c. */
const LEGACY_MAGIC = Uint8Array.from([0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19]);
const MAX_PICKLE_BYTES = 1 << 30;

/** Expanded views (stride 0) may not materialise more than this many elements beyond their storage. */
const MAX_EXPANDED_ELEMENTS = 1 << 26;

function isLegacy(head: Uint8Array): boolean {
  return head.length >= LEGACY_MAGIC.length && LEGACY_MAGIC.every((b, i) => head[i] === b);
}

function isTar(source: ByteSource): boolean {
  if (source.size < 512) return false;
  const magic = new TextDecoder().decode(source.read(257, 5));
  return magic === 'ustar';
}

/** An opened checkpoint: the unpickled root object, with storages read on demand. */
export class TorchCheckpoint {
  private constructor(
    private readonly zip: ZipArchive,
    private readonly prefix: string,
    readonly root: PyValue,
    private readonly bigEndian: boolean,
  ) {}

  get label(): string {
    return this.zip.label;
  }

  static open(source: ByteSource): TorchCheckpoint {
    const label = source.label;
    try {
      if (!ZipArchive.sniff(source)) {
        const head = source.read(0, Math.min(source.size, 16));
        if (isLegacy(head) || isTar(source)) {
          throw new TorchCheckpointError(
            `${label} uses PyTorch's legacy (pre-1.6) torch.save format, which hubtune does not read: re-save it with a current torch.save (or transformers' save_pretrained), or convert it to model.safetensors`,
          );
        }
        const safetensorsLike = head.length >= 9 && head[8] === 0x7b; // "{" after the 8-byte header length
        throw new TorchCheckpointError(
          safetensorsLike
            ? `${label} is a safetensors file, not a PyTorch checkpoint: load it with loadSafetensors or name it model.safetensors`
            : `${label} is not a PyTorch checkpoint (no zip archive and no legacy torch.save header): check the file`,
        );
      }
      const zip = ZipArchive.open(source, { maxEntries: 10_000_000 });
      try {
        const pkl = zip.entries.filter((e) => e.name.endsWith('data.pkl') && /^([^/]+\/)?data\.pkl$/.test(e.name));
        if (pkl.length !== 1) {
          throw new TorchCheckpointError(`${label} is a zip archive but not a torch.save checkpoint (${pkl.length === 0 ? 'no' : 'several'} data.pkl): check the file`);
        }
        const prefix = pkl[0].name.slice(0, -'data.pkl'.length);
        const order = zip.get(`${prefix}byteorder`);
        const byteorder = order ? new TextDecoder().decode(zip.read(order, { maxBytes: 16 })).trim() : 'little';
        if (byteorder !== 'little' && byteorder !== 'big') throw new TorchCheckpointError(`${label}: unknown byteorder '${byteorder.slice(0, 16)}'`);
        const pickle = zip.read(pkl[0], { maxBytes: MAX_PICKLE_BYTES });
        const records = new Map<string, number>();
        for (const e of zip.entries) if (e.name.startsWith(`${prefix}data/`)) records.set(e.name.slice(prefix.length + 5), e.size);
        const root = unpickle(pickle, {
          label: `${label}: data.pkl`,
          persistentLoad: (key, dtype, numel, location): StorageRef => {
            const have = records.get(key);
            if (have === undefined) throw new TorchCheckpointError(`${label}: storage '${key}' is missing from the archive (no ${prefix}data/${key}): the file is truncated or corrupt`);
            const need = BigInt(numel) * BigInt(torchDTypeSize(dtype));
            if (need > BigInt(have)) {
              throw new TorchCheckpointError(`${label}: storage '${key}' declares ${numel} ${dtype} elements (${need} bytes) but the archive holds ${have} bytes: the file is corrupt`);
            }
            return { kind: 'storage', key, dtype, numel, location };
          },
        });
        return new TorchCheckpoint(zip, prefix, root, byteorder === 'big');
      } catch (err) {
        zip.close();
        throw err;
      }
    } catch (err) {
      source.close();
      if (err instanceof ArchiveError || err instanceof UnpicklingError) throw new TorchCheckpointError(err.message, { cause: err });
      throw err;
    }
  }

  /** The storage's bytes (checked, CRC included). */
  storageBytes(s: StorageRef): Uint8Array {
    const e = this.zip.get(`${this.prefix}data/${s.key}`);
    if (!e) throw new TorchCheckpointError(`${this.label}: storage '${s.key}' is missing from the archive`);
    const bytes = s.numel * torchDTypeSize(s.dtype);
    try {
      return this.zip.read(e, { maxBytes: Math.max(bytes, e.size) }).subarray(0, bytes);
    } catch (err) {
      if (err instanceof ArchiveError) throw new TorchCheckpointError(err.message, { cause: err });
      throw err;
    }
  }

  /** Contiguous bytes of a tensor view (copied out of its storage, byte-swapped from big-endian files). */
  materialize(t: TensorRef, storage: Uint8Array, name: string): RawTensor {
    const size = torchDTypeSize(t.dtype);
    let numel = 1;
    for (const d of t.shape) numel *= d;
    const storageElems = Math.floor(storage.byteLength / size);
    if (numel > storageElems && numel > MAX_EXPANDED_ELEMENTS) {
      throw new TorchCheckpointError(`${this.label}: tensor '${name}' expands ${storageElems} stored elements to ${numel}: refusing the allocation`);
    }
    const out = new Uint8Array(numel * size);
    if (numel > 0) {
      if (isContiguous(t.shape, t.stride)) {
        out.set(storage.subarray(t.offset * size, (t.offset + numel) * size));
      } else {
        gather(storage, out, t, size);
      }
    }
    if (this.bigEndian && size > 1) swapBytes(out, size);
    return { dtype: t.dtype, shape: [...t.shape], data: out };
  }

  close(): void {
    this.zip.close();
  }
}

function isContiguous(shape: number[], stride: number[]): boolean {
  let expected = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    if (shape[i] !== 1 && stride[i] !== expected) return false;
    expected *= shape[i];
  }
  return true;
}

/** Copies a strided view element by element (row-major order of `shape`). */
function gather(src: Uint8Array, dst: Uint8Array, t: TensorRef, size: number): void {
  const nd = t.shape.length;
  const idx = new Array<number>(nd).fill(0);
  let o = 0;
  let s = t.offset;
  const total = dst.byteLength / size;
  for (let n = 0; n < total; n++) {
    const from = s * size;
    for (let b = 0; b < size; b++) dst[o + b] = src[from + b];
    o += size;
    for (let d = nd - 1; d >= 0; d--) {
      idx[d]++;
      s += t.stride[d];
      if (idx[d] < t.shape[d]) break;
      s -= t.stride[d] * t.shape[d];
      idx[d] = 0;
    }
  }
}

function swapBytes(b: Uint8Array, size: number): void {
  for (let i = 0; i < b.byteLength; i += size) {
    for (let j = 0, k = size - 1; j < k; j++, k--) {
      const x = b[i + j];
      b[i + j] = b[i + k];
      b[i + k] = x;
    }
  }
}

/** The tensors of a state dict (the root must be a dict of name -> tensor), in file order. */
export function stateDictRefs(root: PyValue, label: string): Map<string, TensorRef> {
  if (!(root instanceof PyDict)) {
    throw new TorchCheckpointError(`${label} holds a ${root === null ? 'None' : Array.isArray(root) ? 'list' : (root as object).constructor?.name ?? typeof root}, not a state dict of tensors: save model.state_dict()`);
  }
  const out = new Map<string, TensorRef>();
  for (const [k, v] of root.map) {
    if (typeof k !== 'string') throw new TorchCheckpointError(`${label}: state dict key ${String(k)} is not a string`);
    if (!isTensorRef(v)) throw new TorchCheckpointError(`${label}: entry '${k}' is not a tensor: the file is not a plain state dict (save model.state_dict())`);
    out.set(k, v);
  }
  return out;
}

/** Reads every tensor of a state-dict checkpoint held in memory (pure TS; used by tests and the fuzzer). */
export function readTorchStateDict(buf: Uint8Array, label = 'checkpoint'): Map<string, RawTensor> {
  return readFrom(bufferSource(buf, label));
}

/** Reads every tensor of a `pytorch_model.bin` file (storages read one at a time). */
export function readTorchStateDictFile(path: string): Map<string, RawTensor> {
  return readFrom(fileSource(path));
}

function readFrom(source: ByteSource): Map<string, RawTensor> {
  const ckpt = TorchCheckpoint.open(source);
  try {
    const refs = stateDictRefs(ckpt.root, ckpt.label);
    const out = new Map<string, RawTensor>();
    forEachByStorage(ckpt, refs, (name, raw) => out.set(name, raw));
    // File order, not storage order.
    return new Map([...refs.keys()].map((k) => [k, out.get(k)!]));
  } finally {
    ckpt.close();
  }
}

/** Materialises tensors grouped by storage, so each storage is read once and dropped after its views. */
export function forEachByStorage(ckpt: TorchCheckpoint, refs: Map<string, TensorRef>, fn: (name: string, raw: RawTensor) => void): void {
  const byKey = new Map<string, Array<[string, TensorRef]>>();
  for (const [name, t] of refs) {
    const g = byKey.get(t.storage.key);
    if (g) g.push([name, t]);
    else byKey.set(t.storage.key, [[name, t]]);
  }
  for (const group of byKey.values()) {
    const bytes = ckpt.storageBytes(group[0][1].storage);
    for (const [name, t] of group) fn(name, ckpt.materialize(t, bytes, name));
  }
}
