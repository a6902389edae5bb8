// LoRA on a linear layer (PEFT's tuners/lora.py Linear): out = W x + b + B(A(dropout(x))) · alpha/r,
// added to the existing module object so the model's own code keeps calling it. Parameter names
// follow PEFT: `<path>.lora_A.<adapter>.weight`, `<path>.lora_B.<adapter>.weight`, the base weight
// at `<path>.weight`. modules_to_save wraps a head as `<path>.original_module` + `<path>.modules_to_save.<adapter>`.
import { Tensor, tidy, nn, noGrad, F } from '../torch/index';
import { Module } from '../torch/nn/module';

/** A linear-like module LoRA can adapt: nn.Linear, or GPT-2's Conv1D (weight stored [in, out]). */
export type LoraTarget = Module & { weight: Tensor; bias: Tensor | null; forward(x: Tensor): Tensor };

export interface LoraState {
  adapter: string;
  r: number;
  scaling: number;
  dropout: number;
  fanInFanOut: boolean;
  lora_A: nn.Linear;
  lora_B: nn.Linear;
  merged: boolean;
  disabled: boolean;
  /** The module's own forward, restored by unload. */
  baseForward: (x: Tensor) => Tensor;
}

const STATE = new WeakMap<Module, LoraState>();

/** The LoRA state of an adapted module (undefined when not adapted). */
export function loraStateOf(m: Module): LoraState | undefined { return STATE.get(m); }

/** The (in, out) features of a linear-like module; Conv1D's weight is [in, out]. */
export function linearShape(m: LoraTarget, fanInFanOut: boolean): [number, number] {
  const [a, b] = m.weight.shape as [number, number];
  return fanInFanOut ? [a, b] : [b, a];
}

/** A module holding one child per adapter name (PEFT's nn.ModuleDict). */
class ModuleDict extends Module {}

/** Adds LoRA matrices to `m` and routes its forward through them. lora_A: kaiming-uniform (like nn.Linear), lora_B: zeros. */
export function injectLora(m: LoraTarget, o: { adapter: string; r: number; alpha: number; dropout: number; fanInFanOut: boolean; initLoraWeights: boolean }): LoraState {
  if (STATE.has(m)) throw new Error(`this module already has a LoRA adapter ('${STATE.get(m)!.adapter}'): hubtune keeps one adapter per model`);
  const [inF, outF] = linearShape(m, o.fanInFanOut);
  const A = new ModuleDict();
  const B = new ModuleDict();
  const loraA = A.registerModule(o.adapter, new nn.Linear(inF, o.r, { bias: false }));
  const loraB = B.registerModule(o.adapter, new nn.Linear(o.r, outF, { bias: false }));
  if (o.initLoraWeights) nn.init.zeros_(loraB.weight);
  m.registerModule('lora_A', A);
  m.registerModule('lora_B', B);
  if (o.dropout > 0) {
    const D = new ModuleDict();
    D.registerModule(o.adapter, new nn.Dropout(o.dropout));
    m.registerModule('lora_dropout', D);
  }
  const baseForward = m.forward.bind(m);
  const state: LoraState = {
    adapter: o.adapter, r: o.r, scaling: o.alpha / o.r, dropout: o.dropout, fanInFanOut: o.fanInFanOut,
    lora_A: loraA, lora_B: loraB, merged: false, disabled: false, baseForward,
  };
  STATE.set(m, state);
  m.forward = (x: Tensor) => tidy(() => {
    const result = baseForward(x);
    if (state.disabled || state.merged) return result;
    const xa = x.dtype === loraA.weight.dtype ? x : x.to(loraA.weight.dtype);
    const dropped = F.dropout(xa, state.dropout, m.training);
    const update = loraB.forward(loraA.forward(dropped)).mul(state.scaling);
    const out = result.add(update);
    return out.dtype === x.dtype ? out : out.to(x.dtype);
  });
  return state;
}

/** B·A·scaling in the weight's layout ([out, in] for Linear, [in, out] for Conv1D). */
export function deltaWeight(s: LoraState): Tensor {
  return tidy(() => {
    const d = s.lora_B.weight.matmul(s.lora_A.weight);
    return (s.fanInFanOut ? d.t() : d).mul(s.scaling);
  });
}

/** Adds the update into the base weight (merge_and_unload) and removes the LoRA modules. */
export function mergeLora(m: LoraTarget, o: { merge: boolean }): void {
  const s = STATE.get(m);
  if (!s) return;
  if (o.merge && !s.merged) noGrad(() => tidy(() => { m.weight.add_(deltaWeight(s)); }));
  m.forward = s.baseForward;
  for (const name of ['lora_A', 'lora_B', 'lora_dropout']) {
    const child = m.children().find(([n]) => n === name)?.[1];
    if (child) { child.dispose(); m.registerModule(name, null); }
  }
  STATE.delete(m);
}

// ---- modules_to_save ----------------------------------------------------------------------------

export interface SavedModuleState { adapter: string; original: Module; copy: Module; baseForward: (...a: any[]) => any; disabled: boolean }
const SAVED = new WeakMap<Module, SavedModuleState>();
export function savedModuleStateOf(m: Module): SavedModuleState | undefined { return SAVED.get(m); }

/** A module with the same tensors as `m` under its own names (the original_module view). */
function shellWith(m: Module, copyTensors: boolean): Module {
  const shell = new (class OriginalModule extends Module {})();
  for (const [name, p] of m.namedParameters()) {
    if (name.includes('.')) continue;
    shell.registerParameter(name, copyTensors ? noGrad(() => p.detach().clone()) : p, p.requiresGrad);
  }
  for (const [name, child] of m.children()) shell.registerModule(name, copyTensors ? copyModule(child) : child);
  return shell;
}
/** A deep copy of a module (its class, fields and forward) with cloned parameters, for modules_to_save. */
function copyModule(m: Module): Module {
  const c = shellWith(m, true);
  Object.setPrototypeOf(c, Object.getPrototypeOf(m));
  const childName = new Map(m.children().map(([n, cm]) => [cm, n] as const));
  const paramName = new Map(m.namedParameters().filter(([n]) => !n.includes('.')).map(([n, p]) => [p, n] as const));
  for (const key of Object.keys(m)) {
    if (key.startsWith('_')) continue;
    const v = (m as any)[key];
    if (v instanceof Tensor && paramName.has(v)) (c as any)[key] = c.getParameter(paramName.get(v)!);
    else if (v instanceof Module && childName.has(v)) (c as any)[key] = c.getSubmodule(childName.get(v)!);
    else (c as any)[key] = v;
  }
  return c;
}

/**
 * Wraps `m` (a head) in place: its tensors move under `original_module` (frozen) and a trainable
 * copy under `modules_to_save.<adapter>` computes the forward.
 */
export function wrapModuleToSave(m: Module & { forward: (...a: any[]) => any }, adapter: string): SavedModuleState {
  const existing = SAVED.get(m);
  if (existing) return existing;
  const original = shellWith(m, false);
  const copy = copyModule(m) as Module & { forward: (...a: any[]) => any };
  copy.requiresGrad_(true);
  original.requiresGrad_(false);
  for (const [name] of m.namedParameters()) if (!name.includes('.')) m.registerParameter(name, null);
  for (const [name] of m.children()) m.registerModule(name, null);
  m.registerModule('original_module', original);
  const dict = new ModuleDict();
  dict.registerModule(adapter, copy);
  m.registerModule('modules_to_save', dict);
  const baseForward = m.forward.bind(m);
  const state: SavedModuleState = { adapter, original, copy, baseForward, disabled: false };
  SAVED.set(m, state);
  // the copy has the original's fields rebound to its own tensors, so its forward computes with them
  m.forward = (...a: any[]) => (state.disabled ? baseForward(...a) : copy.forward(...a));
  return state;
}

/** Puts the trained copy's tensors back as the module's own (merge_and_unload / unload). */
export function unwrapModuleToSave(m: Module & { forward: (...a: any[]) => any }): void {
  const s = SAVED.get(m);
  if (!s) return;
  m.registerModule('original_module', null);
  m.registerModule('modules_to_save', null);
  for (const [name, p] of s.copy.namedParameters()) {
    if (name.includes('.')) continue;
    m.registerParameter(name, p);
    if (name in m) (m as any)[name] = p;
  }
  for (const [name, child] of s.copy.children()) m.registerModule(name, child);
  m.forward = s.baseForward;
  SAVED.delete(m);
}
