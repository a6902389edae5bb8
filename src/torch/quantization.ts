// Dynamic int8 quantization of Linear layers, like torch.ao.quantization.quantize_dynamic with the
// per-channel dynamic qconfig: weights stored as int8 with one symmetric scale per output channel,
// activations quantized per call by libtorch's quantized kernels (oneDNN or QNNPACK on Debian's
// libtorch), float32 in and out. A quantized model saves its int8 weights (`weight` I8 and
// `weight_scale` F32 per layer) and config.json's quantization_config; fromPretrained rebuilds it.
import { Tensor, empty, zeros } from './tensor';
import { native as N } from './native';
import { noGrad } from './runtime';
import { Module, ModuleList } from './nn/module';
import { Linear } from './nn/layers';

/** config.json's quantization_config of a model quantized by quantizeDynamic. */
export interface DynamicQuantizationConfig {
  quant_method: 'hubtune_dynamic';
  bits: 8;
  weight_scheme: 'per_channel_symmetric';
  /** The quantized Linear layers (dotted names). */
  modules: string[];
}

export const QUANT_METHOD = 'hubtune_dynamic';

export class QuantizationError extends Error {
  override name = 'QuantizationError';
}

/** The quantized CPU engine int8 layers run on ('onednn', 'qnnpack' or 'fbgemm'). */
export function quantizedEngine(): string {
  return N.qlinearEngine();
}

/** A Linear layer with int8 weights (per output channel) and float32 activations: nn.quantized.dynamic.Linear. */
export class DynamicQuantizedLinear extends Module {
  /** int8 weight [outFeatures, inFeatures]. */
  weight: Tensor;
  /** float32 scale per output channel (zero point 0). */
  weightScale: Tensor;
  bias: Tensor | null;
  private packed: unknown = null;

  constructor(readonly inFeatures: number, readonly outFeatures: number, o: { bias?: boolean } = {}) {
    super();
    this.weight = this.registerBuffer('weight', zeros([outFeatures, inFeatures], { dtype: 'int8' }));
    this.weightScale = this.registerBuffer('weight_scale', empty([outFeatures]).fill_(1));
    this.bias = o.bias === false ? null : this.registerParameter('bias', zeros([outFeatures]), false);
    this.training = false;
  }

  /** Quantizes a float Linear layer's weight (its bias stays float32). */
  static fromFloat(lin: Linear): DynamicQuantizedLinear {
    const q = new DynamicQuantizedLinear(lin.inFeatures, lin.outFeatures, { bias: lin.bias !== null });
    noGrad(() => {
      const [w, s] = (N.qlinearQuantize(lin.weight._h) as unknown[]).map((h) => new Tensor(h as never));
      q.weight.copy_(w);
      q.weightScale.copy_(s);
      w.dispose();
      s.dispose();
      if (lin.bias && q.bias) q.bias.copy_(lin.bias);
    });
    return q;
  }

  /** Rebuilds the packed kernel weights from `weight`, `weightScale` and `bias` (after loading a state dict). */
  repack(): void {
    this.packed = null;
  }

  forward(x: Tensor): Tensor {
    this.packed ??= noGrad(() => N.qlinearPack(this.weight._h, this.weightScale._h, this.bias ? this.bias._h : null));
    return new Tensor(N.qlinearForward(x._h, this.packed));
  }

  /** The weight dequantized to float32 (weight * scale). */
  dequantizedWeight(): Tensor {
    return noGrad(() => {
      const w = this.weight.to('float32');
      const s = this.weightScale.to('float32').unsqueeze(1);
      const out = w.mul(s);
      w.dispose();
      s.dispose();
      return out;
    });
  }

  /** As PyTorch prints it: DynamicQuantizedLinear(in_features=.., out_features=.., dtype=torch.qint8, qscheme=..). */
  override extraRepr(): string {
    return `in_features=${this.inFeatures}, out_features=${this.outFeatures}, dtype=torch.qint8, qscheme=torch.per_channel_symmetric`;
  }
}

export interface QuantizeDynamicOptions {
  /** Only these Linear layers (dotted names); default every Linear whose weight is not shared. */
  modules?: string[];
  /** Build the int8 layers without quantizing the float weights (a checkpoint's weights are loaded next). */
  structureOnly?: boolean;
}

interface HasConfig { config?: { extraFields?: Record<string, unknown> } }

/** The Linear layers of `model` that quantizeDynamic replaces: [dotted name, parent, child name, layer]. */
function linearLayers(model: Module): [string, Module, string, Linear][] {
  // weights shared with another module (tied input/output embeddings) stay float
  const owners = new Map<Tensor, number>();
  for (const [, m] of model.namedModules()) {
    for (const [n] of m.namedParameters('', false)) if (!n.includes('.')) {
      const t = m.getParameter(n);
      if (t) owners.set(t, (owners.get(t) ?? 0) + 1);
    }
  }
  const out: [string, Module, string, Linear][] = [];
  for (const [name, parent] of model.namedModules()) {
    for (const [child, m] of parent.children()) {
      if (!(m instanceof Linear)) continue;
      if ((owners.get(m.weight) ?? 0) > 1) continue;
      out.push([name ? `${name}.${child}` : child, parent, child, m]);
    }
  }
  return out;
}

/** Puts `next` wherever `parent` holds `prev` (registered child, fields, ModuleList/Sequential items). */
function replaceChild(parent: Module, child: string, prev: Module, next: Module): void {
  parent.registerModule(child, next);
  const fields = parent as unknown as Record<string, unknown>;
  for (const k of Object.keys(fields)) {
    const v = fields[k];
    if (v === prev) fields[k] = next;
    else if (Array.isArray(v)) v.forEach((x, i) => { if (x === prev) v[i] = next; });
  }
  if (parent instanceof ModuleList) parent.items.forEach((x, i) => { if (x === prev) (parent.items as Module[])[i] = next; });
}

/**
 * Replaces the model's Linear layers by int8 DynamicQuantizedLinear layers, in place (like
 * torch.ao.quantization.quantize_dynamic(model, {nn.Linear}, dtype=torch.qint8, inplace=True)),
 * and records them in config.json's quantization_config. The model must be in eval mode, on the
 * CPU, in float32.
 */
export function quantizeDynamic<M extends Module>(model: M, o: QuantizeDynamicOptions = {}): M {
  const name = model.constructor.name;
  if (model.training) throw new QuantizationError(`quantizeDynamic: ${name} is in training mode: call model.eval() first (int8 layers are for inference only)`);
  const layers = linearLayers(model).filter(([n]) => !o.modules || o.modules.includes(n));
  if (o.modules) {
    const found = new Set(layers.map(([n]) => n));
    const unknown = o.modules.filter((n) => !found.has(n));
    if (unknown.length) throw new QuantizationError(`quantizeDynamic: ${name} has no (unshared) Linear layer named ${unknown.slice(0, 5).join(', ')}: check the names in quantization_config.modules`);
  }
  if (layers.length === 0) {
    const already = [...model.namedModules()].some(([, m]) => m instanceof DynamicQuantizedLinear);
    throw new QuantizationError(already
      ? `quantizeDynamic: ${name} is already quantized to int8`
      : `quantizeDynamic: ${name} has no Linear layers to quantize (int8 dynamic quantization applies to Linear layers only)`);
  }
  for (const [, , , lin] of layers) {
    if (lin.weight.device !== 'cpu') throw new QuantizationError(`quantizeDynamic: ${name} is on ${lin.weight.device}: int8 layers run on the CPU only, call model.to('cpu') first`);
    if (lin.weight.dtype !== 'float32' && !o.structureOnly) throw new QuantizationError(`quantizeDynamic: ${name} is in ${lin.weight.dtype}: quantize a float32 model (int8 layers take float32 activations)`);
  }
  quantizedEngine(); // fails with a clear message when this libtorch has no quantized engine
  for (const [, parent, child, lin] of layers) {
    const q = o.structureOnly ? new DynamicQuantizedLinear(lin.inFeatures, lin.outFeatures, { bias: lin.bias !== null }) : DynamicQuantizedLinear.fromFloat(lin);
    replaceChild(parent, child, lin, q);
    lin.dispose();
  }
  const cfg = (model as HasConfig).config;
  if (cfg?.extraFields) {
    const qc: DynamicQuantizationConfig = { quant_method: QUANT_METHOD, bits: 8, weight_scheme: 'per_channel_symmetric', modules: layers.map(([n]) => n) };
    cfg.extraFields.quantization_config = qc;
  }
  return model;
}

/** True when the model has int8 layers. */
export function isQuantized(model: Module): boolean {
  return [...model.namedModules()].some(([, m]) => m instanceof DynamicQuantizedLinear);
}

/** Repacks every int8 layer (after their tensors were loaded or changed in place). */
export function repackQuantized(model: Module): void {
  for (const [, m] of model.namedModules()) if (m instanceof DynamicQuantizedLinear) m.repack();
}

/** The quantization_config of a config's extra fields when it is hubtune's, else null (throws for other methods). */
export function dynamicQuantizationConfig(extra: Record<string, unknown>, where: string): DynamicQuantizationConfig | null {
  const qc = extra.quantization_config as Partial<DynamicQuantizationConfig> | undefined;
  if (!qc) return null;
  if (qc.quant_method !== QUANT_METHOD) {
    throw new QuantizationError(`${where}: config.json's quantization_config has quant_method '${String(qc.quant_method)}', which hubtune cannot load: hubtune loads its own '${QUANT_METHOD}' int8 models (or use the float checkpoint)`);
  }
  if (!Array.isArray(qc.modules) || !qc.modules.every((m) => typeof m === 'string')) {
    throw new QuantizationError(`${where}: quantization_config.modules must be a list of layer names`);
  }
  return qc as DynamicQuantizationConfig;
}
