// The one place where text preprocessing turns plain values into engine tensors
// (returnTensors: 'pt' and the data collators). Everything before this works on plain and
// typed arrays.

import { tensor, isTensor as isEngineTensor, type Tensor, type DType } from '../torch';

export type { Tensor };
export type TensorDType = DType;

/** Creates an engine tensor from flat data and a shape. */
export function makeTensor(data: ArrayLike<number> | ArrayLike<bigint>, dtype: TensorDType, shape: number[]): Tensor {
  return tensor(data, { dtype, shape });
}

/** True for an engine tensor. */
export function isTensor(x: unknown): x is Tensor {
  return isEngineTensor(x);
}

function kind(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (ArrayBuffer.isView(v)) return `a ${v.constructor.name}`;
  if (isTensor(v)) return 'a Tensor';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

const TYPED_DTYPES: Record<string, TensorDType> = {
  Float32Array: 'float32', Float64Array: 'float32', Int32Array: 'int32', Uint8Array: 'uint8',
  BigInt64Array: 'int64', Int16Array: 'int32', Uint16Array: 'int32', Int8Array: 'int32', Uint8ClampedArray: 'uint8',
};

/**
 * Stacks one value per example into a tensor with a leading batch axis. Values may be numbers,
 * bigints, booleans, (nested) arrays, typed arrays, `{data, shape}` objects or Tensors, all of
 * the same shape. The dtype
 * is `dtype` when given, else int64 for integers, float32 for fractional numbers, the typed
 * array's or tensor's own type otherwise.
 */
export function stackToTensor(key: string, values: readonly unknown[], dtype?: TensorDType): Tensor {
  if (values.length === 0) throw new Error(`cannot make a tensor from ${key}: the batch is empty`);
  const first = values[0];
  const fail = (i: number, why: string): never => {
    throw new Error(`cannot make a tensor from ${key}: example ${i} ${why}; pad or truncate to one length (padding: true, truncation: true) or drop the column`);
  };
  if (isTensor(first)) {
    const shape = first.shape;
    const width = shape.reduce((a, b) => a * b, 1);
    const parts = values.map((v, i) => {
      if (!isTensor(v) || v.shape.length !== shape.length || v.shape.some((d, j) => d !== shape[j])) fail(i, `is ${kind(v)} of another shape than example 0 ([${shape.join(', ')}])`);
      return (v as Tensor).toTypedArray();
    });
    const dt = dtype ?? (first.dtype as TensorDType);
    return makeTensor(concat(parts, width, dt), dt, [values.length, ...shape]);
  }
  if (isShapedArray(first)) {
    const shape = first.shape;
    const width = shape.reduce((a, b) => a * b, 1);
    const parts = values.map((v, i) => {
      if (!isShapedArray(v) || v.shape.length !== shape.length || v.shape.some((d, j) => d !== shape[j]) || v.data.length !== width) {
        fail(i, `is ${kind(v)} of another shape than example 0 ([${shape.join(', ')}])`);
      }
      return (v as ShapedArray).data;
    });
    const dt = dtype ?? TYPED_DTYPES[first.data.constructor.name] ?? 'float32';
    return makeTensor(concat(parts, width, dt), dt, [values.length, ...shape]);
  }
  if (ArrayBuffer.isView(first) && !(first instanceof DataView)) {
    const width = (first as unknown as ArrayLike<number>).length;
    const parts = values.map((v, i) => {
      if (!ArrayBuffer.isView(v) || (v as unknown as ArrayLike<number>).length !== width) fail(i, `is ${kind(v)} of another length than example 0 (${width})`);
      return v as unknown as ArrayLike<number | bigint>;
    });
    const dt = dtype ?? TYPED_DTYPES[first.constructor.name] ?? 'float32';
    return makeTensor(concat(parts, width, dt), dt, [values.length, width]);
  }
  // numbers, bigints, booleans and nested arrays of them
  const shape = shapeOf(first);
  const flat: unknown[] = [];
  for (let i = 0; i < values.length; i++) {
    if (!flattenInto(values[i], shape, 0, flat)) fail(i, `is ${kind(values[i])} whose shape differs from example 0 ([${shape.join(', ')}])`);
  }
  let dt = dtype;
  if (!dt) {
    dt = 'int64';
    for (const x of flat) {
      if (typeof x === 'boolean') { dt = 'bool'; break; }
      if (typeof x === 'number' && !Number.isInteger(x)) { dt = 'float32'; break; }
    }
  }
  for (let i = 0; i < flat.length; i++) {
    const x = flat[i];
    if (typeof x !== 'number' && typeof x !== 'bigint' && typeof x !== 'boolean') {
      throw new TypeError(`cannot make a tensor from ${key}: it holds ${kind(x)}, not numbers; remove that column before collating`);
    }
  }
  return makeTensor(concat([flat as ArrayLike<number | bigint | boolean> as ArrayLike<number>], flat.length, dt), dt, [values.length, ...shape]);
}

/** `{data, shape}`: a flat typed array with its shape (what the image processor returns). */
export interface ShapedArray { data: ArrayLike<number | bigint> & ArrayBufferView; shape: number[] }

function isShapedArray(v: unknown): v is ShapedArray {
  return typeof v === 'object' && v !== null && !isTensor(v) && ArrayBuffer.isView((v as any).data) && Array.isArray((v as any).shape);
}

function shapeOf(v: unknown): number[] {
  const shape: number[] = [];
  while (Array.isArray(v)) {
    shape.push(v.length);
    v = v[0];
  }
  return shape;
}

function flattenInto(v: unknown, shape: number[], depth: number, out: unknown[]): boolean {
  if (depth === shape.length) {
    if (Array.isArray(v)) return false;
    out.push(v);
    return true;
  }
  if (!Array.isArray(v) || v.length !== shape[depth]) return false;
  for (const x of v) if (!flattenInto(x, shape, depth + 1, out)) return false;
  return true;
}

function concat(parts: ReadonlyArray<ArrayLike<number | bigint | boolean>>, width: number, dtype: TensorDType): ArrayLike<number> | ArrayLike<bigint> {
  const n = parts.length * width;
  if (dtype === 'int64') {
    const out = new BigInt64Array(n);
    let o = 0;
    for (const p of parts) for (let j = 0; j < width; j++) { const x = p[j]; out[o++] = typeof x === 'bigint' ? x : BigInt(Math.trunc(Number(x))); }
    return out;
  }
  const out = dtype === 'float32' ? new Float32Array(n) : dtype === 'int32' ? new Int32Array(n) : dtype === 'uint8' || dtype === 'bool' ? new Uint8Array(n) : new Float32Array(n);
  let o = 0;
  for (const p of parts) for (let j = 0; j < width; j++) out[o++] = Number(p[j]);
  return out;
}
