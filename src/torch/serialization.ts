// Tensors to and from safetensors files (the format parsing itself is in safetensors.ts).
import { native as N } from './native';
import { Tensor } from './tensor';
import { type DType, dtypeCode } from './dtype';
import {
  readSafetensorsFile, readShardedSafetensors, writeSafetensorsFile, SafetensorsError,
  type SafetensorsFile, type SafetensorsDType, type TensorToWrite,
} from './safetensors';

const TO_DTYPE: Partial<Record<SafetensorsDType, DType>> = {
  F32: 'float32', F16: 'float16', BF16: 'bfloat16', F64: 'float64', I64: 'int64', I32: 'int32', I16: 'int16', I8: 'int8', U8: 'uint8', BOOL: 'bool',
};
const FROM_DTYPE: Record<DType, SafetensorsDType> = {
  float32: 'F32', float16: 'F16', bfloat16: 'BF16', float64: 'F64', int64: 'I64', int32: 'I32', int16: 'I16', int8: 'I8', uint8: 'U8', bool: 'BOOL',
};

/** Tensors (copied into libtorch memory) from a parsed safetensors file. */
export function tensorsFromSafetensors(file: SafetensorsFile, label = 'safetensors'): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  for (const [name, st] of file.tensors) {
    try {
      const dt = TO_DTYPE[st.dtype];
      if (!dt) throw new SafetensorsError(`${label}: tensor '${name}' has dtype ${st.dtype}, which hubtune cannot load`);
      out.set(name, new Tensor(N.fromBuffer(st.data, st.shape, dtypeCode(dt), null)));
    } catch (e) {
      // Nothing half-loaded stays alive; an engine error (e.g. the allocator's refusal) names the file and tensor.
      for (const t of out.values()) t.dispose();
      if (e instanceof SafetensorsError) throw e;
      const err = e as Error & { code?: string };
      throw Object.assign(new SafetensorsError(`${label}: tensor '${name}' [${st.shape.join(', ')}] ${st.dtype}: ${err.message}`), err.code ? { code: err.code } : {});
    }
  }
  return out;
}

/** Loads every tensor of a `.safetensors` file, with its `__metadata__`. */
export function loadSafetensors(path: string): { tensors: Map<string, Tensor>; metadata: Record<string, string> | null } {
  const f = readSafetensorsFile(path);
  return { tensors: tensorsFromSafetensors(f, path), metadata: f.metadata };
}
/** Loads a sharded checkpoint through its `model.safetensors.index.json`. */
export function loadShardedSafetensors(dir: string, indexName?: string): Map<string, Tensor> {
  const f = readShardedSafetensors(dir, indexName);
  return tensorsFromSafetensors(f, dir);
}

export function tensorToWrite(t: Tensor): TensorToWrite {
  const cpu = t.device === 'cpu' ? t : t.cpu();
  const bytes = new Uint8Array(N.toBuffer(cpu._h) as ArrayBuffer);
  if (cpu !== t) cpu.dispose();
  return { dtype: FROM_DTYPE[t.dtype], shape: t.shape, data: bytes };
}

/** Writes tensors to a `.safetensors` file atomically (header padded to 8 bytes, like the reference). */
export function saveSafetensors(path: string, tensors: Map<string, Tensor> | Record<string, Tensor>, metadata?: Record<string, string> | null): void {
  const entries = tensors instanceof Map ? [...tensors] : Object.entries(tensors);
  const out = new Map<string, TensorToWrite>();
  for (const [k, t] of entries) out.set(k, tensorToWrite(t));
  writeSafetensorsFile(path, out, metadata ?? null);
}
