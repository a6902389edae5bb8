// Module: the base of every layer and model, with PyTorch's naming of parameters, buffers and
// children, so state-dict keys match Hub checkpoints ("encoder.layer.0.attention.self.query.weight").
import { Tensor, type DType } from '../tensor';
import { keep } from '../scope';
import { noGrad } from '../runtime';
import { inspect } from 'node:util';

export interface LoadResult { missingKeys: string[]; unexpectedKeys: string[]; mismatchedKeys: { key: string; expected: number[]; got: number[] }[] }

export class Module {
  training = true;
  private readonly _parameters = new Map<string, Tensor | null>();
  private readonly _buffers = new Map<string, Tensor | null>();
  private readonly _nonPersistent = new Set<string>();
  private readonly _modules = new Map<string, Module | null>();

  /** Registers a trainable tensor (requiresGrad set) under `name`; returns it for assignment to a field. */
  registerParameter(name: string, t: Tensor | null, requiresGrad = true): Tensor {
    if (t) { keep(t); if (requiresGrad && !t.requiresGrad) t.requiresGrad_(true); }
    this._parameters.set(name, t);
    return t as Tensor;
  }
  registerBuffer(name: string, t: Tensor | null, persistent = true): Tensor {
    if (t) keep(t);
    this._buffers.set(name, t);
    if (!persistent) this._nonPersistent.add(name);
    return t as Tensor;
  }
  registerModule<M extends Module | null>(name: string, m: M): M {
    this._modules.set(name, m);
    return m;
  }
  /** Replaces a registered parameter (e.g. to tie weights); the field that held it must be updated by the caller. */
  setParameter(name: string, t: Tensor): void {
    if (!this._parameters.has(name)) throw new Error(`no parameter '${name}' in ${this.constructor.name}`);
    this._parameters.set(name, t);
  }
  getParameter(name: string): Tensor | null { return this._parameters.get(name) ?? null; }
  getBuffer(name: string): Tensor | null { return this._buffers.get(name) ?? null; }
  getSubmodule(path: string): Module {
    let m: Module = this;
    for (const part of path.split('.').filter(Boolean)) {
      const c = m._modules.get(part);
      if (!c) throw new Error(`${this.constructor.name} has no submodule '${path}'`);
      m = c;
    }
    return m;
  }

  /** The text inside a leaf's parentheses in its repr (PyTorch's extra_repr), e.g. `in_features=768, out_features=3, bias=True`. */
  extraRepr(): string { return ''; }

  /** PyTorch's repr: the module tree, `(name): Class(...)` per child, indented by two spaces. */
  toString(): string {
    const kids = this.children();
    const extra = this.extraRepr();
    if (!kids.length) return `${this.constructor.name}(${extra})`;
    const lines = extra ? [extra] : [];
    for (const [n, m] of kids) lines.push(`(${n}): ${String(m).replace(/\n/g, '\n  ')}`);
    return `${this.constructor.name}(\n  ${lines.join('\n  ')}\n)`;
  }
  [inspect.custom](): string { return this.toString(); }

  children(): [string, Module][] { return [...this._modules].filter((e): e is [string, Module] => e[1] !== null); }
  *namedModules(prefix = ''): Generator<[string, Module]> {
    yield [prefix, this];
    for (const [n, m] of this.children()) yield* m.namedModules(prefix ? `${prefix}.${n}` : n);
  }
  /** Parameters with dotted names; a tensor shared by two modules (tied weights) is listed once. */
  namedParameters(prefix = '', removeDuplicate = true): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    const seen = new Set<Tensor>();
    for (const [mp, m] of this.namedModules(prefix)) {
      for (const [n, p] of m._parameters) {
        if (!p || (removeDuplicate && seen.has(p))) continue;
        seen.add(p);
        out.push([mp ? `${mp}.${n}` : n, p]);
      }
    }
    return out;
  }
  parameters(): Tensor[] { return this.namedParameters().map(([, p]) => p); }
  namedBuffers(prefix = ''): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [mp, m] of this.namedModules(prefix)) {
      for (const [n, b] of m._buffers) if (b) out.push([mp ? `${mp}.${n}` : n, b]);
    }
    return out;
  }

  train(mode = true): this {
    for (const [, m] of this.namedModules()) m.training = mode;
    return this;
  }
  eval(): this { return this.train(false); }
  apply(fn: (m: Module) => void): this {
    for (const [, m] of this.children()) m.apply(fn);
    fn(this);
    return this;
  }

  /** Parameters and persistent buffers by dotted name (tied tensors appear under every name, like PyTorch). */
  stateDict(): Map<string, Tensor> {
    const out = new Map<string, Tensor>();
    for (const [mp, m] of this.namedModules()) {
      for (const [n, p] of m._parameters) if (p) out.set(mp ? `${mp}.${n}` : n, p);
      for (const [n, b] of m._buffers) if (b && !m._nonPersistent.has(n)) out.set(mp ? `${mp}.${n}` : n, b);
    }
    return out;
  }

  /**
   * Copies tensors into this module's parameters and buffers by name. Shapes must match (a mismatch
   * throws naming the tensor, or is reported and skipped with `ignoreMismatchedSizes`).
   * With `strict`, missing or unexpected keys throw.
   */
  loadStateDict(sd: Map<string, Tensor> | Record<string, Tensor>, opts: { strict?: boolean; ignoreMismatchedSizes?: boolean } = {}): LoadResult {
    const src = sd instanceof Map ? sd : new Map(Object.entries(sd));
    const own = this.stateDict();
    const missingKeys: string[] = [];
    const mismatchedKeys: LoadResult['mismatchedKeys'] = [];
    noGrad(() => {
      for (const [k, t] of own) {
        const s = src.get(k);
        if (!s) { missingKeys.push(k); continue; }
        if (s.shape.join(',') !== t.shape.join(',')) {
          if (opts.ignoreMismatchedSizes) { mismatchedKeys.push({ key: k, expected: t.shape, got: s.shape }); continue; }
          throw new Error(`size mismatch for ${k}: the checkpoint has shape [${s.shape.join(', ')}], the model expects [${t.shape.join(', ')}] (pass ignoreMismatchedSizes to re-initialise it)`);
        }
        t.copy_(s);
      }
    });
    const unexpectedKeys = [...src.keys()].filter((k) => !own.has(k));
    if (opts.strict && (missingKeys.length || unexpectedKeys.length)) {
      throw new Error(`error loading state dict into ${this.constructor.name}: missing keys [${missingKeys.join(', ')}], unexpected keys [${unexpectedKeys.join(', ')}]`);
    }
    return { missingKeys, unexpectedKeys, mismatchedKeys };
  }

  numParameters(opts: { onlyTrainable?: boolean } = {}): number {
    let n = 0;
    for (const p of this.parameters()) if (!opts.onlyTrainable || p.requiresGrad) n += p.numel;
    return n;
  }

  /** Moves or casts every parameter and buffer in place (the same Tensor objects keep working). */
  to(target: string | DType | { device?: string; dtype?: DType }): this {
    const o = typeof target === 'string' ? (/^(cpu|cuda)/.test(target) ? { device: target } : { dtype: target as DType }) : target;
    noGrad(() => {
      const seen = new Set<Tensor>();
      for (const [, m] of this.namedModules()) {
        for (const t of [...m._parameters.values(), ...m._buffers.values()]) {
          if (!t || seen.has(t)) continue;
          seen.add(t);
          const isFloat = t.dtype.startsWith('float') || t.dtype === 'bfloat16';
          const moved = t.to({ device: o.device, dtype: isFloat ? o.dtype : undefined });
          t._setData(moved);
          moved.dispose();
        }
      }
    });
    return this;
  }

  zeroGrad(): void {
    for (const p of this.parameters()) p.grad = null;
  }

  /** Freezes (or unfreezes) every parameter of this module. */
  requiresGrad_(on = true): this {
    for (const p of this.parameters()) p.requiresGrad_(on);
    return this;
  }

  /** Frees every parameter and buffer. */
  dispose(): void {
    const seen = new Set<Tensor>();
    for (const [, m] of this.namedModules()) {
      for (const t of [...m._parameters.values(), ...m._buffers.values()]) if (t && !seen.has(t)) { seen.add(t); t.dispose(); }
    }
  }
}

export class ModuleList<M extends Module = Module> extends Module {
  readonly items: M[] = [];
  constructor(mods: M[] = []) {
    super();
    mods.forEach((m) => this.append(m));
  }
  append(m: M): this { this.registerModule(String(this.items.length), m); this.items.push(m); return this; }
  get length(): number { return this.items.length; }
  get(i: number): M { return this.items[i]!; }
  [Symbol.iterator](): Iterator<M> { return this.items[Symbol.iterator](); }
}
