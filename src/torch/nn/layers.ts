// The standard layers. Parameter names match PyTorch's (weight, bias) so checkpoints load by key.
import { Tensor, empty } from '../tensor';
import { Module } from './module';
import * as F from './functional';
import * as init from './init';

export class Linear extends Module {
  weight: Tensor;
  bias: Tensor | null;
  constructor(readonly inFeatures: number, readonly outFeatures: number, o: { bias?: boolean } = {}) {
    super();
    this.weight = this.registerParameter('weight', empty([outFeatures, inFeatures]));
    this.bias = o.bias === false ? null : this.registerParameter('bias', empty([outFeatures]));
    this.resetParameters();
  }
  /** PyTorch's default: kaiming-uniform weights (a = √5) and uniform(±1/√fan_in) bias. */
  resetParameters(): void {
    init.kaimingUniform_(this.weight, { a: Math.sqrt(5) });
    if (this.bias) { const b = 1 / Math.sqrt(this.inFeatures); init.uniform_(this.bias, -b, b); }
  }
  forward(x: Tensor): Tensor { return F.linear(x, this.weight, this.bias); }
  override extraRepr(): string { return `in_features=${this.inFeatures}, out_features=${this.outFeatures}, bias=${this.bias ? 'True' : 'False'}`; }
}

export class Embedding extends Module {
  weight: Tensor;
  constructor(readonly numEmbeddings: number, readonly embeddingDim: number, readonly paddingIdx: number | null = null) {
    super();
    this.weight = this.registerParameter('weight', empty([numEmbeddings, embeddingDim]));
    init.normal_(this.weight);
    if (paddingIdx !== null) this.zeroPaddingRow();
  }
  zeroPaddingRow(): void {
    if (this.paddingIdx === null) return;
    const row = this.weight.select(0, this.paddingIdx);
    init.zeros_(row);
    row.dispose();
  }
  forward(ids: Tensor): Tensor { return F.embedding(ids, this.weight, this.paddingIdx); }
  override extraRepr(): string { return `${this.numEmbeddings}, ${this.embeddingDim}${this.paddingIdx === null ? '' : `, padding_idx=${this.paddingIdx}`}`; }
}

export class LayerNorm extends Module {
  weight: Tensor;
  bias: Tensor;
  constructor(readonly normalizedShape: number | number[], readonly eps = 1e-5) {
    super();
    const shape = typeof normalizedShape === 'number' ? [normalizedShape] : normalizedShape;
    this.weight = this.registerParameter('weight', empty(shape));
    this.bias = this.registerParameter('bias', empty(shape));
    init.ones_(this.weight);
    init.zeros_(this.bias);
  }
  forward(x: Tensor): Tensor {
    return F.layerNorm(x, typeof this.normalizedShape === 'number' ? [this.normalizedShape] : this.normalizedShape, this.weight, this.bias, this.eps);
  }
  override extraRepr(): string {
    const shape = typeof this.normalizedShape === 'number' ? [this.normalizedShape] : this.normalizedShape;
    return `(${shape.join(', ')}${shape.length === 1 ? ',' : ''}), eps=${pyFloat(this.eps)}, elementwise_affine=True`;
  }
}

export class Conv2d extends Module {
  weight: Tensor;
  bias: Tensor | null;
  constructor(readonly inChannels: number, readonly outChannels: number, readonly kernelSize: number | [number, number],
    readonly o: F.Conv2dOptions & { bias?: boolean } = {}) {
    super();
    const [kh, kw] = typeof kernelSize === 'number' ? [kernelSize, kernelSize] : kernelSize;
    const groups = o.groups ?? 1;
    this.weight = this.registerParameter('weight', empty([outChannels, inChannels / groups, kh, kw]));
    this.bias = o.bias === false ? null : this.registerParameter('bias', empty([outChannels]));
    init.kaimingUniform_(this.weight, { a: Math.sqrt(5) });
    if (this.bias) { const b = 1 / Math.sqrt((inChannels / groups) * kh * kw); init.uniform_(this.bias, -b, b); }
  }
  forward(x: Tensor): Tensor { return F.conv2d(x, this.weight, this.bias, this.o); }
  override extraRepr(): string {
    const pair = (v: number | number[] | undefined, d: number) => { const a = v === undefined ? [d, d] : typeof v === 'number' ? [v, v] : v; return `(${a.join(', ')})`; };
    const o = this.o as { stride?: number | number[]; padding?: number | number[] };
    let s = `${this.inChannels}, ${this.outChannels}, kernel_size=${pair(this.kernelSize, 1)}, stride=${pair(o.stride, 1)}`;
    if (o.padding !== undefined && pair(o.padding, 0) !== '(0, 0)') s += `, padding=${pair(o.padding, 0)}`;
    if (!this.bias) s += ', bias=False';
    return s;
  }
}

export class Dropout extends Module {
  constructor(readonly p = 0.5) {
    super();
    if (p < 0 || p > 1) throw new Error(`dropout probability must be between 0 and 1, got ${p}`);
  }
  /** Active only in train mode; in eval mode returns a view of the input. */
  forward(x: Tensor): Tensor { return F.dropout(x, this.p, this.training); }
  override extraRepr(): string { return `p=${pyFloat(this.p)}, inplace=False`; }
}

export class Activation extends Module {
  private readonly fn: (x: Tensor) => Tensor;
  constructor(readonly name: string) { super(); this.fn = F.getActivation(name); }
  forward(x: Tensor): Tensor { return this.fn(x); }
  override toString(): string { return this.constructor === Activation ? `Activation(${this.name})` : `${this.constructor.name}()`; }
}

/** Python's repr of a float: 0.1, 1e-05, 1.0. */
function pyFloat(x: number): string {
  if (Number.isInteger(x) && Math.abs(x) < 1e16) return `${x}.0`;
  const s = String(x);
  return s.replace(/e([+-])(\d)$/, 'e$10$2');
}
export class ReLU extends Activation { constructor() { super('relu'); } }
export class GELU extends Activation { constructor(approximate: 'none' | 'tanh' = 'none') { super(approximate === 'tanh' ? 'gelu_new' : 'gelu'); } }
export class SiLU extends Activation { constructor() { super('silu'); } }
export class Tanh extends Activation { constructor() { super('tanh'); } }

/** Layers applied in order; each must have forward(x). */
export class Sequential extends Module {
  readonly layers: (Module & { forward(x: Tensor): Tensor })[];
  constructor(...layers: (Module & { forward(x: Tensor): Tensor })[]) {
    super();
    this.layers = layers;
    layers.forEach((l, i) => this.registerModule(String(i), l));
  }
  forward(x: Tensor): Tensor {
    let cur = x;
    for (const l of this.layers) {
      const next = l.forward(cur);
      if (cur !== x) cur.dispose();
      cur = next;
    }
    return cur;
  }
}
