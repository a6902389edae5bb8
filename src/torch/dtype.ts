// dtype names and the integer codes the addon uses (order fixed in native/addon.cc).
export type DType = 'float32' | 'float16' | 'bfloat16' | 'int64' | 'int32' | 'bool' | 'uint8' | 'float64' | 'int8' | 'int16';

export const DTYPES: readonly DType[] = ['float32', 'float16', 'bfloat16', 'int64', 'int32', 'bool', 'uint8', 'float64', 'int8', 'int16'];
const CODES = new Map<string, number>(DTYPES.map((d, i) => [d, i]));
const ALIASES: Record<string, DType> = {
  float: 'float32', half: 'float16', double: 'float64', long: 'int64', int: 'int32',
  'torch.float32': 'float32', 'torch.float16': 'float16', 'torch.bfloat16': 'bfloat16', 'torch.int64': 'int64',
  'torch.int32': 'int32', 'torch.bool': 'bool', 'torch.uint8': 'uint8', 'torch.float64': 'float64',
  fp32: 'float32', fp16: 'float16', bf16: 'bfloat16',
};

export function dtypeCode(d: DType | string): number {
  const name = (ALIASES[d] ?? d) as string;
  const c = CODES.get(name);
  if (c === undefined) throw new Error(`unknown dtype '${d}': use one of ${DTYPES.join(', ')}`);
  return c;
}
export function dtypeName(code: number): DType {
  const d = DTYPES[code];
  if (!d) throw new Error(`unknown dtype code ${code}`);
  return d;
}
export function normalizeDType(d: DType | string): DType {
  return dtypeName(dtypeCode(d));
}
export const isFloating = (d: DType) => d === 'float32' || d === 'float16' || d === 'bfloat16' || d === 'float64';

export type TypedArray = Float32Array | Float64Array | BigInt64Array | Int32Array | Int16Array | Int8Array | Uint8Array | Uint16Array;

/** The typed array that holds a dtype's elements when read back (float16/bfloat16 as raw Uint16). */
export function typedArrayFor(d: DType, buf: ArrayBuffer): TypedArray {
  switch (d) {
    case 'float32': return new Float32Array(buf);
    case 'float64': return new Float64Array(buf);
    case 'int64': return new BigInt64Array(buf);
    case 'int32': return new Int32Array(buf);
    case 'int16': return new Int16Array(buf);
    case 'int8': return new Int8Array(buf);
    case 'uint8': case 'bool': return new Uint8Array(buf);
    case 'float16': case 'bfloat16': return new Uint16Array(buf);
  }
}

export function dtypeOfTypedArray(a: ArrayBufferView): DType {
  if (a instanceof Float32Array) return 'float32';
  if (a instanceof Float64Array) return 'float64';
  if (a instanceof BigInt64Array) return 'int64';
  if (a instanceof Int32Array) return 'int32';
  if (a instanceof Int16Array) return 'int16';
  if (a instanceof Int8Array) return 'int8';
  if (a instanceof Uint8Array || a instanceof Uint8ClampedArray) return 'uint8';
  throw new Error(`unsupported typed array ${a.constructor.name}: use Float32Array, Float64Array, BigInt64Array, Int32Array or Uint8Array`);
}

export function elementSize(d: DType): number {
  switch (d) {
    case 'float64': case 'int64': return 8;
    case 'float32': case 'int32': return 4;
    case 'float16': case 'bfloat16': case 'int16': return 2;
    default: return 1;
  }
}
