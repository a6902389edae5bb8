// Layer stacks and weight initialisation shared by the model families.
import { Tensor, nn, checkpoint, isGradEnabled } from '../../torch/index';
import { Module } from '../../torch/nn/module';
import type { BaseModelOutput } from './inputs';

/** normal(0, std) for Linear/Embedding weights, zero biases and padding rows, LayerNorm ones/zeros. */
export function initBertStyle(m: Module, std: number): void {
  if (m instanceof nn.Linear) {
    nn.init.normal_(m.weight, 0, std);
    if (m.bias) nn.init.zeros_(m.bias);
  } else if (m instanceof nn.Embedding) {
    nn.init.normal_(m.weight, 0, std);
    m.zeroPaddingRow();
  } else if (m instanceof nn.LayerNorm) {
    nn.init.ones_(m.weight);
    nn.init.zeros_(m.bias);
  }
}

/**
 * What one layer returns: the new hidden state, its attention probabilities when asked, and any
 * other outputs (cross-attentions, a position bias for the next layers...). Tensor fields (and
 * arrays of tensors) go through gradient checkpointing; other values are passed on as they are.
 */
export interface LayerOutput {
  hidden: Tensor;
  probs?: Tensor | null;
  [extra: string]: unknown;
}

/** Calls one layer: `args` are runLayers' `args` for this layer (tensors arrive as the checkpoint's copies). */
export type LayerCall<L> = (layer: L, hidden: Tensor, args: readonly unknown[], needWeights: boolean, index: number) => LayerOutput;

export interface RunLayersOptions<L> {
  outputHiddenStates?: boolean;
  outputAttentions?: boolean;
  /**
   * What every layer reads besides the hidden state (attention masks, position biases, encoder
   * states...), or a function giving them per layer from the previous layer's output. Pass tensors
   * here rather than capturing them in a closure: gradient checkpointing keeps them alive for the
   * recomputation in the backward pass (a captured tensor would be disposed by then).
   */
  args?: readonly unknown[] | ((index: number, previous: LayerOutput | null) => readonly unknown[]);
  /** How to call a layer; the default is `layer.forward(hidden, ...args, needWeights)`. */
  call?: LayerCall<L>;
  /** Sees every layer's output (e.g. to collect cross-attentions or cache entries). */
  onOutput?: (out: LayerOutput, index: number) => void;
}

// ---- gradient checkpointing ------------------------------------------------------------------------

/** torch.utils.checkpoint's options as transformers passes them (gradient_checkpointing_kwargs). */
export interface GradientCheckpointingKwargs {
  /** Accepted for compatibility: hubtune's checkpoint gives the same gradients either way (see torch/checkpoint.ts). */
  useReentrant?: boolean;
  /** Replay the forward pass's RNG state in the recomputation, so dropout masks match (default true). */
  preserveRngState?: boolean;
}
const KWARG_NAMES: Record<string, keyof GradientCheckpointingKwargs | null> = {
  use_reentrant: 'useReentrant', useReentrant: 'useReentrant', preserve_rng_state: 'preserveRngState', preserveRngState: 'preserveRngState',
  // torch's debugging switches: accepted, nothing to do here
  determinism_check: null, determinismCheck: null, debug: null,
};
/** Checks and normalises gradient_checkpointing_kwargs (snake_case or camelCase keys). */
export function gradientCheckpointingKwargs(kwargs: Record<string, unknown> | null | undefined): GradientCheckpointingKwargs {
  const out: GradientCheckpointingKwargs = { useReentrant: true, preserveRngState: true };
  for (const [k, v] of Object.entries(kwargs ?? {})) {
    if (!(k in KWARG_NAMES)) throw new Error(`gradient_checkpointing_kwargs: unexpected key '${k}': use use_reentrant or preserve_rng_state`);
    const name = KWARG_NAMES[k];
    if (!name || v === undefined) continue;
    if (typeof v !== 'boolean') throw new Error(`gradient_checkpointing_kwargs.${k} must be true or false, got ${JSON.stringify(v)}`);
    out[name] = v;
  }
  return out;
}

const checkpointed = new WeakMap<Module, GradientCheckpointingKwargs>();
/** Turns gradient checkpointing on (kwargs) or off (null) for every module of `root` (what model.gradientCheckpointingEnable() does). */
export function setGradientCheckpointing(root: Module, kwargs: GradientCheckpointingKwargs | null): void {
  for (const [, m] of root.namedModules()) {
    if (kwargs) checkpointed.set(m, kwargs);
    else checkpointed.delete(m);
  }
}
export function gradientCheckpointingOf(m: Module): GradientCheckpointingKwargs | null {
  return checkpointed.get(m) ?? null;
}

/** Whether runLayers will checkpoint these layers now (checkpointing on, train mode, gradients recorded). */
export function checkpointingActive(layers: Iterable<unknown>): boolean {
  for (const l of layers) return l instanceof Module && l.training && gradientCheckpointingOf(l) !== null && isGradEnabled();
  return false;
}
let warnedCache = false;
/**
 * transformers' rule for decoders: a KV cache is incompatible with gradient checkpointing (the
 * recomputation would append to it again), so training with checkpointing turns it off, once warned.
 */
export function cacheAllowed(layers: Iterable<unknown>, useCache: boolean): boolean {
  if (!useCache || !checkpointingActive(layers)) return useCache;
  if (!warnedCache) {
    warnedCache = true;
    console.warn('`use_cache=True` is incompatible with gradient checkpointing. Setting `use_cache=False`...');
  }
  return false;
}

const isTensorList = (v: unknown): v is (Tensor | null)[] => Array.isArray(v) && v.length > 0 && v.every((x) => x === null || x instanceof Tensor);

/**
 * One layer as a checkpointed segment: the hidden state and every tensor in args are its inputs;
 * the tensor fields of its output (and arrays of tensors) its outputs. Other output values are
 * taken from the first run (under checkpointing, layers must not store tensors in objects such as
 * caches: transformers turns caches off there too).
 */
function checkpointedCall<L>(call: LayerCall<L>, layer: L & Module, hidden: Tensor, args: readonly unknown[], needWeights: boolean, index: number,
  kwargs: GradientCheckpointingKwargs): LayerOutput {
  const argSlots: number[] = [];
  const inputs: (Tensor | null)[] = [hidden];
  args.forEach((a, i) => { if (a instanceof Tensor) { argSlots.push(i); inputs.push(a); } });
  let template: [string, number | null][] | null = null; // key, array length (null: a single tensor slot)
  let passThrough: Record<string, unknown> = {};
  const segment = (h: Tensor | null, ...ts: (Tensor | null)[]): (Tensor | null)[] => {
    const a = [...args];
    argSlots.forEach((slot, k) => { a[slot] = ts[k]; });
    const out = call(layer, h!, a, needWeights, index);
    const keys = Object.keys(out).filter((k) => out[k] === null || out[k] === undefined || out[k] instanceof Tensor || isTensorList(out[k]));
    if (!template) {
      template = keys.map((k) => [k, isTensorList(out[k]) ? (out[k] as unknown[]).length : null]);
      passThrough = Object.fromEntries(Object.entries(out).filter(([k]) => !keys.includes(k)));
    }
    return template.flatMap(([k, n]) => (n === null ? [(out[k] as Tensor | null | undefined) ?? null] : (out[k] as (Tensor | null)[])));
  };
  const requiresGrad = layer.parameters().some((p) => p.requiresGrad);
  const flat = checkpoint(segment, inputs, { requiresGrad, preserveRngState: kwargs.preserveRngState });
  const result: Record<string, unknown> = { ...passThrough };
  let i = 0;
  for (const [k, n] of template!) {
    if (n === null) result[k] = flat[i++];
    else { result[k] = flat.slice(i, i + n); i += n; }
  }
  return result as LayerOutput;
}

type ForwardLayer = { forward(hidden: Tensor, ...rest: any[]): LayerOutput };
const defaultCall: LayerCall<ForwardLayer> = (layer, hidden, args, needWeights) => layer.forward(hidden, ...args, needWeights);

/**
 * Runs a stack of layers (transformers' encoder/decoder loop), collecting every hidden state and
 * attention map when asked. Every family's layer stack goes through here.
 *
 *   runLayers(this.layer, h, { outputHiddenStates, outputAttentions, args: [mask] })
 *
 * calls `layer.forward(h, mask, needWeights)` for each layer. The older form
 * `runLayers(layers, h, outputHiddenStates, outputAttentions)` calls `layer.forward(h, needWeights)`.
 *
 * With gradient checkpointing on (model.gradientCheckpointingEnable()), in train mode with
 * gradients recorded, each layer that is a Module runs as a checkpointed segment (torch's
 * checkpoint): its activations are recomputed in the backward pass instead of being kept.
 */
export function runLayers<L>(layers: Iterable<L>, h: Tensor, o: RunLayersOptions<L>): BaseModelOutput;
export function runLayers(layers: Iterable<{ forward(h: Tensor, needWeights: boolean): LayerOutput }>, h: Tensor, outputHiddenStates: boolean, outputAttentions: boolean): BaseModelOutput;
export function runLayers<L>(layers: Iterable<L>, h: Tensor, a: RunLayersOptions<L> | boolean, b?: boolean): BaseModelOutput {
  const o: RunLayersOptions<L> = typeof a === 'boolean' ? { outputHiddenStates: a, outputAttentions: !!b } : a;
  const outputHiddenStates = !!o.outputHiddenStates;
  const outputAttentions = !!o.outputAttentions;
  const call = (o.call ?? defaultCall) as LayerCall<L>;
  const hiddenStates: Tensor[] = [];
  const attentions: Tensor[] = [];
  let cur = h;
  let previous: LayerOutput | null = null;
  let index = 0;
  for (const layer of layers) {
    if (outputHiddenStates) hiddenStates.push(cur);
    const args: readonly unknown[] = typeof o.args === 'function' ? o.args(index, previous) : (o.args ?? []);
    const kwargs = layer instanceof Module && layer.training ? gradientCheckpointingOf(layer) : null;
    const out: LayerOutput = kwargs && isGradEnabled()
      ? checkpointedCall(call, layer as L & Module, cur, args, outputAttentions, index, kwargs)
      : call(layer, cur, args, outputAttentions, index);
    if (out.probs) attentions.push(out.probs);
    o.onOutput?.(out, index);
    if (!outputHiddenStates && cur !== h) cur.dispose();
    cur = out.hidden;
    previous = out;
    index++;
  }
  if (outputHiddenStates) hiddenStates.push(cur);
  return { lastHiddenState: cur, hiddenStates: outputHiddenStates ? hiddenStates : undefined, attentions: outputAttentions ? attentions : undefined };
}
