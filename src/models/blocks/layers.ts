// Layer stacks and weight initialisation shared by the model families.
import { Tensor, nn } from '../../torch/index';
import type { Module } from '../../torch/nn/module';
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
    const args = typeof o.args === 'function' ? o.args(index, previous) : (o.args ?? []);
    const out = call(layer, cur, args, outputAttentions, index);
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
