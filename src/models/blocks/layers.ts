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

/** Runs a stack of layers, collecting every hidden state and attention map when asked (transformers' encoder loop). */
export function runLayers(
  layers: Iterable<{ forward(h: Tensor, needWeights: boolean): { hidden: Tensor; probs: Tensor | null } }>,
  h: Tensor, outputHiddenStates: boolean, outputAttentions: boolean,
): BaseModelOutput {
  const hiddenStates: Tensor[] = [];
  const attentions: Tensor[] = [];
  let cur = h;
  for (const layer of layers) {
    if (outputHiddenStates) hiddenStates.push(cur);
    const { hidden, probs } = layer.forward(cur, outputAttentions);
    if (probs) attentions.push(probs);
    if (!outputHiddenStates && cur !== h) cur.dispose();
    cur = hidden;
  }
  if (outputHiddenStates) hiddenStates.push(cur);
  return { lastHiddenState: cur, hiddenStates: outputHiddenStates ? hiddenStates : undefined, attentions: outputAttentions ? attentions : undefined };
}
