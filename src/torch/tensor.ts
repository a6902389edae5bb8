// The Tensor: a handle to a libtorch tensor with PyTorch's methods in camelCase.
// Every method returns a new Tensor (tracked by the current tidy() scope) unless its name ends in `_`.
import { inspect } from 'node:util';
import { native, type NativeTensor } from './native';
import { type DType, dtypeCode, dtypeName, dtypeOfTypedArray, typedArrayFor, type TypedArray, isFloating } from './dtype';
import { track, registerTensorClass } from './scope';
import { formatTensor } from './format';

const N = native;
const enum U { NEG, EXP, LOG, SQRT, RSQRT, TANH, SIGMOID, ABS, RELU, SILU, GELU, GELU_TANH, SIN, COS, FLOOR, CEIL, ROUND,
  SIGN, NOT, RECIP, SQUARE, ISNAN, ISINF, ERF, LOG1P, EXPM1, ISFINITE, ERFINV, TRUNC, LOG2 }
const enum B { ADD, SUB, MUL, DIV, POW, EQ, NE, LT, LE, GT, GE, MAX, MIN, AND, OR, MATMUL, BMM, MM, REM, FLOORDIV, XOR, ATAN2 }

export type { DType };
const INTEGRAL: ReadonlySet<string> = new Set(['int64', 'int32', 'int16', 'int8', 'uint8']);
export type Scalar = number | boolean;
export type TensorLike = Tensor | Scalar;
export type Reduction = 'none' | 'mean' | 'sum';
const REDUCTION: Record<Reduction, number> = { none: 0, mean: 1, sum: 2 };
export function reductionCode(r: Reduction): number {
  const c = REDUCTION[r];
  if (c === undefined) throw new Error(`unknown reduction '${r}': use 'none', 'mean' or 'sum'`);
  return c;
}

/** An index for `Tensor.at()`: a number selects, 'a:b:c' or ':' slices (Python syntax), null adds a dim, a Tensor indexes. */
export type Index = number | string | null | Tensor;

export class Tensor {
  /** @internal */ _h: NativeTensor;
  private _disposed = false;
  private _shape: number[] | undefined;
  private _dtype: DType | undefined;

  /** @internal Wraps an addon handle; use `tensor()`, `zeros()`... to create tensors. */
  constructor(h: NativeTensor) {
    this._h = h;
    track(this);
  }

  /** @internal Replaces the data under this tensor (same object, autograd identity kept), e.g. Module.to(). */
  _setData(src: Tensor): void {
    N.setData(this._h, src._h);
    this._shape = undefined;
    this._dtype = undefined;
  }

  // ---- metadata ---------------------------------------------------------------
  get shape(): number[] { return (this._shape ??= N.shape(this._h)); }
  get dtype(): DType { return (this._dtype ??= dtypeName(N.dtype(this._h))); }
  get device(): string { return N.device(this._h); }
  get ndim(): number { return this.shape.length; }
  get numel(): number { return N.numel(this._h); }
  size(dim?: number): number | number[] {
    if (dim === undefined) return this.shape;
    return this.shape[dim < 0 ? dim + this.ndim : dim]!;
  }
  dim(): number { return this.ndim; }
  get strides(): number[] { return N.strides(this._h); }
  isContiguous(): boolean { return N.isContiguous(this._h); }
  get isDisposed(): boolean { return this._disposed; }
  get requiresGrad(): boolean { return N.requiresGrad(this._h); }
  set requiresGrad(v: boolean) { N.setRequiresGrad(this._h, v); }
  get isLeaf(): boolean { return N.isLeaf(this._h); }
  get gradFn(): string | null { return N.gradFn(this._h); }

  /** Frees the libtorch memory now. Using the tensor afterwards throws "tensor was disposed". */
  dispose(): void {
    if (this._disposed) return;
    this._disposed = true;
    N.dispose(this._h);
  }

  // ---- read back --------------------------------------------------------------
  /** A copy of the elements as a typed array (float16/bfloat16 as raw Uint16Array bits). */
  toTypedArray(): TypedArray { return typedArrayFor(this.dtype, N.toBuffer(this._h)); }
  /** Nested JS arrays of numbers (int64 converted to number, bool to boolean). */
  toArray(): any {
    let flat: ArrayLike<number | bigint>;
    const d = this.dtype;
    if (d === 'float16' || d === 'bfloat16') flat = this.to('float32').toTypedArray() as Float32Array;
    else flat = this.toTypedArray();
    const conv = d === 'int64' ? (x: any) => Number(x) : d === 'bool' ? (x: any) => x !== 0 : (x: any) => x;
    const shape = this.shape;
    if (shape.length === 0) return conv(flat[0]);
    let i = 0;
    const build = (k: number): any => {
      const n = shape[k]!;
      const out = new Array(n);
      if (k === shape.length - 1) { for (let j = 0; j < n; j++) out[j] = conv(flat[i++]); }
      else for (let j = 0; j < n; j++) out[j] = build(k + 1);
      return out;
    };
    return build(0);
  }
  /** The single element as a number (or boolean). */
  item(): number { return N.item(this._h); }
  /** A flat array of numbers. */
  tolist1d(): number[] { return Array.from(this.toTypedArray() as ArrayLike<number | bigint>, Number); }

  toString(): string { return formatTensor(this); }
  [inspect.custom](): string { return this._disposed ? 'Tensor(<disposed>)' : formatTensor(this); }

  // ---- conversion -------------------------------------------------------------
  to(target: DType | string | { dtype?: DType; device?: string; copy?: boolean }): Tensor {
    if (typeof target === 'string') {
      if (/^(cpu|cuda|mps)/.test(target)) return new Tensor(N.to(this._h, null, target, false));
      return new Tensor(N.to(this._h, dtypeCode(target), null, false));
    }
    return new Tensor(N.to(this._h, target.dtype ? dtypeCode(target.dtype) : null, target.device ?? null, !!target.copy));
  }
  float(): Tensor { return this.to('float32'); }
  long(): Tensor { return this.to('int64'); }
  bool(): Tensor { return this.to('bool'); }
  cpu(): Tensor { return this.to({ device: 'cpu' }); }
  cuda(): Tensor { return this.to({ device: 'cuda' }); }
  clone(): Tensor { return new Tensor(N.clone(this._h)); }
  contiguous(): Tensor { return new Tensor(N.contiguous(this._h)); }
  detach(): Tensor { return new Tensor(N.detach(this._h)); }

  // ---- autograd ---------------------------------------------------------------
  requiresGrad_(on = true): this { N.setRequiresGrad(this._h, on); return this; }
  get grad(): Tensor | null {
    const g = N.grad(this._h);
    return g ? new Tensor(g) : null;
  }
  set grad(g: Tensor | null) { N.setGrad(this._h, g ? g._h : null); }
  /** Computes gradients of this tensor (a scalar unless `gradient` is given) w.r.t. graph leaves. */
  backward(gradient?: Tensor | null, opts: { retainGraph?: boolean } = {}): void {
    N.backward(this._h, gradient ? gradient._h : null, !!opts.retainGraph);
  }
  retainGrad(): void { N.retainGrad(this._h); }

  // ---- elementwise ------------------------------------------------------------
  private bin(op: number, other: TensorLike, reversed = false): Tensor {
    if (other instanceof Tensor) return reversed ? new Tensor(N.binary(op, other._h, this._h)) : new Tensor(N.binary(op, this._h, other._h));
    if (typeof other === 'number' && Number.isInteger(other) && INTEGRAL.has(this.dtype)) {
      // an integer scalar keeps an integer tensor integral (int64 + 2 is int64), as Python's int does
      const s = N.full([], other, dtypeCode('int64'), null);
      try {
        return new Tensor(reversed ? N.binary(op, s, this._h) : N.binary(op, this._h, s));
      } finally {
        N.dispose(s);
      }
    }
    return new Tensor(N.binaryScalar(op, this._h, other, reversed));
  }
  add(o: TensorLike, alpha?: number): Tensor {
    if (alpha !== undefined && o instanceof Tensor) return new Tensor(N.addAlpha(this._h, o._h, alpha));
    return this.bin(B.ADD, alpha !== undefined ? (o as number) * alpha : o);
  }
  sub(o: TensorLike): Tensor { return this.bin(B.SUB, o); }
  /** other - this */
  rsub(o: TensorLike): Tensor { return this.bin(B.SUB, o, true); }
  mul(o: TensorLike): Tensor { return this.bin(B.MUL, o); }
  div(o: TensorLike): Tensor { return this.bin(B.DIV, o); }
  /** other / this */
  rdiv(o: TensorLike): Tensor { return this.bin(B.DIV, o, true); }
  pow(o: TensorLike): Tensor { return this.bin(B.POW, o); }
  remainder(o: TensorLike): Tensor { return this.bin(B.REM, o); }
  floorDivide(o: TensorLike): Tensor { return this.bin(B.FLOORDIV, o); }
  eq(o: TensorLike): Tensor { return this.bin(B.EQ, o); }
  ne(o: TensorLike): Tensor { return this.bin(B.NE, o); }
  lt(o: TensorLike): Tensor { return this.bin(B.LT, o); }
  le(o: TensorLike): Tensor { return this.bin(B.LE, o); }
  gt(o: TensorLike): Tensor { return this.bin(B.GT, o); }
  ge(o: TensorLike): Tensor { return this.bin(B.GE, o); }
  maximum(o: TensorLike): Tensor { return this.bin(B.MAX, o); }
  minimum(o: TensorLike): Tensor { return this.bin(B.MIN, o); }
  logicalAnd(o: Tensor): Tensor { return this.bin(B.AND, o); }
  logicalOr(o: Tensor): Tensor { return this.bin(B.OR, o); }
  logicalXor(o: Tensor): Tensor { return this.bin(B.XOR, o); }
  logicalNot(): Tensor { return this.un(U.NOT); }
  matmul(o: Tensor): Tensor { return new Tensor(N.binary(B.MATMUL, this._h, o._h)); }
  mm(o: Tensor): Tensor { return new Tensor(N.binary(B.MM, this._h, o._h)); }
  bmm(o: Tensor): Tensor { return new Tensor(N.binary(B.BMM, this._h, o._h)); }

  private un(op: number): Tensor { return new Tensor(N.unary(op, this._h)); }
  neg(): Tensor { return this.un(U.NEG); }
  exp(): Tensor { return this.un(U.EXP); }
  log(): Tensor { return this.un(U.LOG); }
  log2(): Tensor { return this.un(U.LOG2); }
  log1p(): Tensor { return this.un(U.LOG1P); }
  expm1(): Tensor { return this.un(U.EXPM1); }
  sqrt(): Tensor { return this.un(U.SQRT); }
  rsqrt(): Tensor { return this.un(U.RSQRT); }
  tanh(): Tensor { return this.un(U.TANH); }
  sigmoid(): Tensor { return this.un(U.SIGMOID); }
  abs(): Tensor { return this.un(U.ABS); }
  relu(): Tensor { return this.un(U.RELU); }
  silu(): Tensor { return this.un(U.SILU); }
  /** GELU; approximate 'tanh' is transformers' gelu_new. */
  gelu(approximate: 'none' | 'tanh' = 'none'): Tensor { return this.un(approximate === 'tanh' ? U.GELU_TANH : U.GELU); }
  sin(): Tensor { return this.un(U.SIN); }
  cos(): Tensor { return this.un(U.COS); }
  floor(): Tensor { return this.un(U.FLOOR); }
  ceil(): Tensor { return this.un(U.CEIL); }
  round(): Tensor { return this.un(U.ROUND); }
  trunc(): Tensor { return this.un(U.TRUNC); }
  sign(): Tensor { return this.un(U.SIGN); }
  reciprocal(): Tensor { return this.un(U.RECIP); }
  square(): Tensor { return this.un(U.SQUARE); }
  erf(): Tensor { return this.un(U.ERF); }
  erfinv(): Tensor { return this.un(U.ERFINV); }
  isnan(): Tensor { return this.un(U.ISNAN); }
  isinf(): Tensor { return this.un(U.ISINF); }
  isfinite(): Tensor { return this.un(U.ISFINITE); }
  clamp(min?: number | null, max?: number | null): Tensor { return new Tensor(N.clamp(this._h, min ?? null, max ?? null)); }
  maskedFill(mask: Tensor, value: number | Tensor): Tensor {
    return new Tensor(N.maskedFill(this._h, mask._h, value instanceof Tensor ? value._h : value));
  }
  /** where(cond, this, other) */
  where(cond: Tensor, other: TensorLike): Tensor {
    if (other instanceof Tensor) return new Tensor(N.where(cond._h, this._h, other._h));
    return new Tensor(N.whereScalar(cond._h, this._h, other));
  }

  // ---- in place (return this) ------------------------------------------------
  add_(o: TensorLike, alpha?: number): this { N.inplace(B.ADD, this._h, o instanceof Tensor ? o._h : o, alpha ?? null); return this; }
  sub_(o: TensorLike, alpha?: number): this { N.inplace(B.SUB, this._h, o instanceof Tensor ? o._h : o, alpha ?? null); return this; }
  mul_(o: TensorLike): this { N.inplace(B.MUL, this._h, o instanceof Tensor ? o._h : o); return this; }
  div_(o: TensorLike): this { N.inplace(B.DIV, this._h, o instanceof Tensor ? o._h : o); return this; }
  pow_(o: TensorLike): this { N.inplace(B.POW, this._h, o instanceof Tensor ? o._h : o); return this; }
  copy_(src: Tensor): this { N.copy_(this._h, src._h); return this; }
  fill_(v: Scalar): this { N.fill_(this._h, v); return this; }
  zero_(): this { N.zero_(this._h); return this; }
  addcmul_(t1: Tensor, t2: Tensor, value = 1): this { N.addcmul_(this._h, t1._h, t2._h, value); return this; }
  addcdiv_(t1: Tensor, t2: Tensor, value = 1): this { N.addcdiv_(this._h, t1._h, t2._h, value); return this; }
  lerp_(end: Tensor, weight: number): this { N.lerp_(this._h, end._h, weight); return this; }
  sqrt_(): this { N.sqrt_(this._h); return this; }
  erfinv_(): this { N.erfinv_(this._h); return this; }
  clamp_(min?: number | null, max?: number | null): this { N.clamp_(this._h, min ?? null, max ?? null); return this; }
  maskedFill_(mask: Tensor, value: number): this { N.maskedFill_(this._h, mask._h, value); return this; }
  normal_(mean = 0, std = 1, generator?: Generator): this { N.normal_(this._h, mean, std, generator?._g ?? null); return this; }
  uniform_(from = 0, to = 1, generator?: Generator): this { N.uniform_(this._h, from, to, generator?._g ?? null); return this; }
  indexPut_(indices: (Tensor | null)[], values: Tensor, accumulate = false): this {
    N.indexPut_(this._h, indices.map((t) => (t ? t._h : null)), values._h, accumulate);
    return this;
  }

  // ---- reductions ------------------------------------------------------------
  sum(dim?: number | number[] | null, keepdim = false, dtype?: DType): Tensor {
    return new Tensor(N.sum(this._h, dim ?? null, keepdim, dtype ? dtypeCode(dtype) : null));
  }
  mean(dim?: number | number[] | null, keepdim = false): Tensor { return new Tensor(N.mean(this._h, dim ?? null, keepdim)); }
  prod(dim?: number, keepdim = false): Tensor { return new Tensor(N.prod(this._h, dim ?? null, keepdim)); }
  /** Variance with Bessel's correction by default (correction=1), like torch.var. */
  var(dim?: number | number[] | null, opts: { correction?: number; keepdim?: boolean } = {}): Tensor {
    return new Tensor(N.var(this._h, dim ?? null, opts.correction ?? 1, !!opts.keepdim));
  }
  std(dim?: number | number[] | null, opts: { correction?: number; keepdim?: boolean } = {}): Tensor {
    return new Tensor(N.std(this._h, dim ?? null, opts.correction ?? 1, !!opts.keepdim));
  }
  /** max() of all elements, or { values, indices } along a dim. */
  max(): Tensor;
  max(dim: number, keepdim?: boolean): { values: Tensor; indices: Tensor };
  max(dim?: number, keepdim = false): any {
    if (dim === undefined) return new Tensor(N.max(this._h));
    const [v, i] = N.max(this._h, dim, keepdim);
    return { values: new Tensor(v), indices: new Tensor(i) };
  }
  min(): Tensor;
  min(dim: number, keepdim?: boolean): { values: Tensor; indices: Tensor };
  min(dim?: number, keepdim = false): any {
    if (dim === undefined) return new Tensor(N.min(this._h));
    const [v, i] = N.min(this._h, dim, keepdim);
    return { values: new Tensor(v), indices: new Tensor(i) };
  }
  argmax(dim?: number, keepdim = false): Tensor { return new Tensor(N.argmax(this._h, dim ?? null, keepdim)); }
  argmin(dim?: number, keepdim = false): Tensor { return new Tensor(N.argmin(this._h, dim ?? null, keepdim)); }
  topk(k: number, dim = -1, largest = true, sorted = true): { values: Tensor; indices: Tensor } {
    const [v, i] = N.topk(this._h, k, dim, largest, sorted);
    return { values: new Tensor(v), indices: new Tensor(i) };
  }
  sort(dim = -1, descending = false): { values: Tensor; indices: Tensor } {
    const [v, i] = N.sort(this._h, dim, descending);
    return { values: new Tensor(v), indices: new Tensor(i) };
  }
  softmax(dim: number, dtype?: DType): Tensor { return new Tensor(N.softmax(this._h, dim, dtype ? dtypeCode(dtype) : null)); }
  logSoftmax(dim: number, dtype?: DType): Tensor { return new Tensor(N.logSoftmax(this._h, dim, dtype ? dtypeCode(dtype) : null)); }
  logsumexp(dim: number | number[], keepdim = false): Tensor { return new Tensor(N.logsumexp(this._h, dim, keepdim)); }
  cumsum(dim: number, dtype?: DType): Tensor { return new Tensor(N.cumsum(this._h, dim, dtype ? dtypeCode(dtype) : null)); }
  norm(p = 2, dim?: number | number[] | null, keepdim = false): Tensor { return new Tensor(N.norm(this._h, p, dim ?? null, keepdim)); }
  all(dim?: number, keepdim = false): Tensor { return new Tensor(N.all(this._h, dim ?? null, keepdim)); }
  any(dim?: number, keepdim = false): Tensor { return new Tensor(N.any(this._h, dim ?? null, keepdim)); }
  equal(o: Tensor): boolean { return N.equal(this._h, o._h); }
  allclose(o: Tensor, rtol = 1e-5, atol = 1e-8): boolean { return N.allclose(this._h, o._h, rtol, atol); }

  // ---- shapes -----------------------------------------------------------------
  reshape(...shape: number[] | [number[]]): Tensor { return new Tensor(N.reshape(this._h, flatShape(shape))); }
  view(...shape: number[] | [number[]]): Tensor { return new Tensor(N.view(this._h, flatShape(shape))); }
  permute(...dims: number[] | [number[]]): Tensor { return new Tensor(N.permute(this._h, flatShape(dims))); }
  transpose(a: number, b: number): Tensor { return new Tensor(N.transpose(this._h, a, b)); }
  /** Transpose of a 2-D tensor. */
  t(): Tensor { return this.transpose(0, 1); }
  expand(...shape: number[] | [number[]]): Tensor { return new Tensor(N.expand(this._h, flatShape(shape))); }
  expandAs(o: Tensor): Tensor { return this.expand(o.shape); }
  squeeze(dim?: number): Tensor { return new Tensor(N.squeeze(this._h, dim ?? null)); }
  unsqueeze(dim: number): Tensor { return new Tensor(N.unsqueeze(this._h, dim)); }
  flatten(start = 0, end = -1): Tensor { return new Tensor(N.flatten(this._h, start, end)); }
  slice(dim: number, start?: number | null, end?: number | null, step = 1): Tensor {
    return new Tensor(N.slice(this._h, dim, start ?? null, end ?? null, step));
  }
  select(dim: number, index: number): Tensor { return new Tensor(N.select(this._h, dim, index)); }
  narrow(dim: number, start: number, length: number): Tensor { return new Tensor(N.narrow(this._h, dim, start, length)); }
  indexSelect(dim: number, index: Tensor): Tensor { return new Tensor(N.indexSelect(this._h, dim, index._h)); }
  gather(dim: number, index: Tensor): Tensor { return new Tensor(N.gather(this._h, dim, index._h)); }
  scatter(dim: number, index: Tensor, src: Tensor): Tensor { return new Tensor(N.scatter(this._h, dim, index._h, src._h)); }
  scatterAdd(dim: number, index: Tensor, src: Tensor): Tensor { return new Tensor(N.scatterAdd(this._h, dim, index._h, src._h)); }
  /** Advanced indexing with one tensor (or null for ':') per leading dim, like `t[idx0, idx1]`. */
  index(indices: (Tensor | null)[]): Tensor { return new Tensor(N.index(this._h, indices.map((t) => (t ? t._h : null)))); }
  maskedSelect(mask: Tensor): Tensor { return new Tensor(N.maskedSelect(this._h, mask._h)); }
  nonzero(): Tensor { return new Tensor(N.nonzero(this._h)); }
  split(sizeOrSizes: number | number[], dim = 0): Tensor[] { return (N.split(this._h, sizeOrSizes, dim) as NativeTensor[]).map((h) => new Tensor(h)); }
  chunk(chunks: number, dim = 0): Tensor[] { return (N.chunk(this._h, chunks, dim) as NativeTensor[]).map((h) => new Tensor(h)); }
  repeat(...times: number[] | [number[]]): Tensor { return new Tensor(N.repeat(this._h, flatShape(times))); }
  flip(dims: number[]): Tensor { return new Tensor(N.flip(this._h, dims)); }
  /** torch.roll: shifts elements along dims, wrapping around. */
  roll(shifts: number | number[], dims: number | number[]): Tensor {
    return new Tensor(N.roll(this._h, typeof shifts === 'number' ? [shifts] : shifts, typeof dims === 'number' ? [dims] : dims));
  }
  tril(diagonal = 0): Tensor { return new Tensor(N.tril(this._h, diagonal)); }
  triu(diagonal = 0): Tensor { return new Tensor(N.triu(this._h, diagonal)); }

  /**
   * Python-style indexing: `t.at(0)` is `t[0]`, `t.at(':', 0)` is `t[:, 0]`, `t.at('1:3')` is `t[1:3]`,
   * `t.at(null)` adds a dim, a Tensor index selects (`t[idx]`), '...' skips to the trailing dims.
   */
  at(...indices: Index[]): Tensor {
    const consumed = indices.filter((x) => x !== null && x !== '...').length;
    const expanded: Index[] = [];
    for (const ix of indices) {
      if (ix === '...') for (let s = 0; s < this.ndim - consumed; s++) expanded.push(':');
      else expanded.push(ix);
    }
    let cur: Tensor = this;
    let dim = 0;
    const tensorIdx: (Tensor | null)[] = [];
    let usedTensor = false;
    const step = (next: Tensor) => { if (cur !== this) cur.dispose(); cur = next; };
    for (const ix of expanded) {
      if (typeof ix === 'number') step(cur.select(dim, ix));
      else if (ix === null) { step(cur.unsqueeze(dim)); tensorIdx.push(null); dim++; }
      else if (typeof ix === 'string') {
        const [a, b, c] = parseSlice(ix);
        if (a !== null || b !== null || (c ?? 1) !== 1) step(cur.slice(dim, a, b, c ?? 1));
        tensorIdx.push(null);
        dim++;
      } else { tensorIdx.push(ix); usedTensor = true; dim++; }
    }
    if (usedTensor) step(cur.index(tensorIdx));
    return cur === this ? this.view(this.shape) : cur;
  }
}
registerTensorClass(Tensor);

function parseSlice(s: string): [number | null, number | null, number | null] {
  const parts = s.split(':');
  if (parts.length < 2 || parts.length > 3) throw new Error(`bad slice '${s}': use 'start:end' or 'start:end:step'`);
  const num = (p: string | undefined) => (p === undefined || p.trim() === '' ? null : Number(p));
  const out = [num(parts[0]), num(parts[1]), num(parts[2])] as [number | null, number | null, number | null];
  if (out.some((x) => x !== null && !Number.isInteger(x))) throw new Error(`bad slice '${s}': bounds must be integers`);
  return out;
}

function flatShape(a: number[] | [number[]]): number[] {
  return Array.isArray(a[0]) ? (a[0] as number[]) : (a as number[]);
}

/** A seedable random-number generator (libtorch's CPU mt19937), for reproducible init and sampling. */
export class Generator {
  /** @internal */ readonly _g: import('./native').NativeGenerator;
  constructor(seed?: number) { this._g = new native.Generator(seed); }
  manualSeed(seed: number): this { this._g.manualSeed(seed); return this; }
  initialSeed(): number { return this._g.initialSeed(); }
  getState(): Buffer { return this._g.getState(); }
  setState(b: Buffer): void { this._g.setState(b); }
}

// ---- creation ---------------------------------------------------------------------
export interface CreateOptions { dtype?: DType; device?: string; requiresGrad?: boolean }

function finish(t: Tensor, o?: CreateOptions): Tensor {
  if (o?.requiresGrad) t.requiresGrad_(true);
  return t;
}
const dc = (o?: CreateOptions, dflt: DType = 'float32') => dtypeCode(o?.dtype ?? dflt);
const dv = (o?: CreateOptions) => o?.device ?? null;

function inferShape(data: unknown): number[] {
  const shape: number[] = [];
  let cur: unknown = data;
  while (Array.isArray(cur)) { shape.push(cur.length); cur = cur[0]; }
  return shape;
}
function flattenNested(data: unknown, shape: number[], out: (number | boolean | bigint)[], depth = 0): void {
  if (depth === shape.length) { out.push(data as number); return; }
  if (!Array.isArray(data) || data.length !== shape[depth]) {
    throw new Error(`ragged nested array at depth ${depth}: expected length ${shape[depth]}, got ${Array.isArray(data) ? data.length : typeof data}`);
  }
  for (const x of data) flattenNested(x, shape, out, depth + 1);
}

/** torch.tensor's inference: bool < int64 < float32 (the default float type). */
function inferDType(flat: (number | boolean | bigint)[]): DType {
  if (!flat.length) return 'float32';
  let kind: DType = 'bool';
  for (const x of flat) {
    if (typeof x === 'number') {
      if (!Number.isInteger(x)) return 'float32';
      kind = 'int64';
    } else if (typeof x === 'bigint') kind = 'int64';
  }
  return kind;
}

/**
 * A tensor from nested arrays, a number, or a typed array (copied). Without `dtype` the type is
 * inferred like `torch.tensor`: all integers (or bigints) give int64, any fractional number float32,
 * only booleans bool, an empty list float32. JS has no separate float literal, so `tensor([1.0, 2.0])`
 * is int64 here: pass `{ dtype: 'float32' }` for integer-valued floats. Typed arrays keep their type.
 */
export function tensor(data: unknown, opts: CreateOptions & { shape?: number[] } = {}): Tensor {
  if (ArrayBuffer.isView(data)) {
    const src = data as ArrayBufferView;
    const srcType = dtypeOfTypedArray(src);
    const shape = opts.shape ?? [src.byteLength / (src as any).BYTES_PER_ELEMENT];
    let t = new Tensor(N.fromBuffer(src, shape, dtypeCode(srcType), null));
    if ((opts.dtype && opts.dtype !== srcType) || (opts.device && opts.device !== 'cpu')) {
      const u = t.to({ dtype: opts.dtype ?? srcType, device: opts.device });
      t.dispose();
      t = u;
    }
    return finish(t, opts);
  }
  const shape = inferShape(data);
  const flat: (number | boolean | bigint)[] = [];
  flattenNested(data, shape, flat);
  let dtype: DType = opts.dtype ?? inferDType(flat);
  let buf: ArrayBufferView;
  switch (dtype) {
    case 'float64': buf = Float64Array.from(flat as number[], Number); break;
    case 'int64': buf = BigInt64Array.from(flat, (x) => BigInt(typeof x === 'boolean' ? +x : Math.trunc(Number(x)))); break;
    case 'int32': buf = Int32Array.from(flat as number[], Number); break;
    case 'int16': buf = Int16Array.from(flat as number[], Number); break;
    case 'int8': buf = Int8Array.from(flat as number[], Number); break;
    case 'uint8': case 'bool': buf = Uint8Array.from(flat as number[], (x) => Number(x)); break;
    default: buf = Float32Array.from(flat as number[], Number);
  }
  const direct = dtype === 'float16' || dtype === 'bfloat16' ? 'float32' : dtype;
  let t = new Tensor(N.fromBuffer(buf, opts.shape ?? shape, dtypeCode(direct), null));
  if (direct !== dtype || (opts.device && opts.device !== 'cpu')) {
    const u = t.to({ dtype, device: opts.device });
    t.dispose();
    t = u;
  }
  return finish(t, opts);
}
export const fromArray = tensor;
export function scalarTensor(v: number, opts?: CreateOptions): Tensor { return full([], v, opts); }
export const zeros = (shape: number[], o?: CreateOptions) => finish(new Tensor(N.zeros(shape, dc(o), dv(o))), o);
export const ones = (shape: number[], o?: CreateOptions) => finish(new Tensor(N.ones(shape, dc(o), dv(o))), o);
export const empty = (shape: number[], o?: CreateOptions) => finish(new Tensor(N.empty(shape, dc(o), dv(o))), o);
export const full = (shape: number[], value: Scalar, o?: CreateOptions) => finish(new Tensor(N.full(shape, value, dc(o), dv(o))), o);
export const eye = (n: number, o?: CreateOptions) => finish(new Tensor(N.eye(n, dc(o), dv(o))), o);
export const zerosLike = (t: Tensor) => new Tensor(N.zerosLike(t._h));
export const onesLike = (t: Tensor) => new Tensor(N.onesLike(t._h));
export const fullLike = (t: Tensor, v: Scalar) => new Tensor(N.fullLike(t._h, v));
/** arange(end) or arange(start, end, step); integers give int64 like torch. */
export function arange(a: number, b?: number, step = 1, o?: CreateOptions): Tensor {
  const [start, end] = b === undefined ? [0, a] : [a, b];
  const ints = Number.isInteger(start) && Number.isInteger(end) && Number.isInteger(step);
  return finish(new Tensor(N.arange(start, end, step, dc(o, ints ? 'int64' : 'float32'), dv(o))), o);
}
export const linspace = (start: number, end: number, steps: number, o?: CreateOptions) =>
  finish(new Tensor(N.linspace(start, end, steps, dc(o), dv(o))), o);
export interface RandomOptions extends CreateOptions { generator?: Generator }
export const randn = (shape: number[], o?: RandomOptions) => finish(new Tensor(N.randn(shape, o?.generator?._g ?? null, dc(o), dv(o))), o);
export const rand = (shape: number[], o?: RandomOptions) => finish(new Tensor(N.rand(shape, o?.generator?._g ?? null, dc(o), dv(o))), o);
export const randint = (low: number, high: number, shape: number[], o?: RandomOptions) =>
  finish(new Tensor(N.randint(low, high, shape, o?.generator?._g ?? null, dc(o, 'int64'), dv(o))), o);
export const randperm = (n: number, o?: { generator?: Generator }) => new Tensor(N.randperm(n, o?.generator?._g ?? null));
export function normal(mean: number, std: number, shape: number[], o?: RandomOptions): Tensor {
  return empty(shape, o).normal_(mean, std, o?.generator);
}
export const bernoulli = (p: Tensor | number, o?: { generator?: Generator; shape?: number[] }): Tensor => {
  if (p instanceof Tensor) return new Tensor(N.bernoulli(p._h, o?.generator?._g ?? null));
  const base = empty(o?.shape ?? []);
  const r = new Tensor(N.bernoulliP(base._h, p, o?.generator?._g ?? null));
  base.dispose();
  return r;
};
export const multinomial = (probs: Tensor, n: number, replacement = false, generator?: Generator) =>
  new Tensor(N.multinomial(probs._h, n, replacement, generator?._g ?? null));

export const cat = (ts: Tensor[], dim = 0) => new Tensor(N.cat(ts.map((t) => t._h), dim));
export const stack = (ts: Tensor[], dim = 0) => new Tensor(N.stack(ts.map((t) => t._h), dim));
export const where = (cond: Tensor, a: Tensor, b: TensorLike) => a.where(cond, b);
export const isTensor = (x: unknown): x is Tensor => x instanceof Tensor;
export { isFloating };
