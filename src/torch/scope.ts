// Memory scopes. libtorch memory is freed when a tensor is disposed; V8's GC cannot be relied on
// inside a synchronous loop (finalizers run only when the event loop turns). `tidy(fn)` disposes
// every tensor created inside `fn` except what it returns, like TensorFlow.js; scopes nest.
import type { Tensor } from './tensor';

const stack: Set<Tensor>[] = [];

/** Called by the Tensor constructor: the tensor belongs to the innermost open scope. */
export function track(t: Tensor): void {
  const top = stack[stack.length - 1];
  if (top) top.add(t);
}

/** Removes a tensor from every open scope: it outlives them (parameters, optimizer state). */
export function keep<T extends Tensor>(t: T): T {
  for (const s of stack) s.delete(t);
  return t;
}

function collect(value: unknown, out: Set<Tensor>, seen: Set<unknown>, TensorClass: Function): void {
  if (value === null || typeof value !== 'object' || seen.has(value)) return;
  seen.add(value);
  if (value instanceof TensorClass) { out.add(value as Tensor); return; }
  if (Array.isArray(value)) { for (const v of value) collect(v, out, seen, TensorClass); return; }
  if (value instanceof Map) { for (const v of value.values()) collect(v, out, seen, TensorClass); return; }
  const proto = Object.getPrototypeOf(value);
  if (proto === Object.prototype || proto === null) {
    for (const v of Object.values(value as Record<string, unknown>)) collect(v, out, seen, TensorClass);
  }
}

let TensorCtor: Function | undefined;
export function registerTensorClass(c: Function): void { TensorCtor = c; }

/**
 * Runs `fn` in a new scope; tensors created inside are disposed at the end, except those reachable
 * from the return value (tensors, arrays, plain objects, Maps), which move to the enclosing scope.
 */
export function tidy<T>(fn: () => T): T {
  const scope = new Set<Tensor>();
  stack.push(scope);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    stack.pop();
    for (const t of scope) t.dispose();
    throw e;
  }
  stack.pop();
  if (result && typeof (result as any).then === 'function') {
    for (const t of scope) t.dispose();
    throw new Error('tidy() takes a synchronous function; for async code dispose tensors explicitly or use a tidy per step');
  }
  const kept = new Set<Tensor>();
  collect(result, kept, new Set(), TensorCtor!);
  const parent = stack[stack.length - 1];
  for (const t of scope) {
    if (kept.has(t)) parent?.add(t);
    else t.dispose();
  }
  return result;
}

/** Disposes every tensor in a value (tensor, array, object), e.g. a batch. */
export function disposeAll(value: unknown): void {
  const out = new Set<Tensor>();
  collect(value, out, new Set(), TensorCtor!);
  for (const t of out) t.dispose();
}

export function scopeDepth(): number { return stack.length; }
