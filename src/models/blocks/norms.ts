// RMS normalisation (LlamaRMSNorm, T5LayerNorm): x / sqrt(mean(x²) + eps) · weight, no mean, no bias.
import { Tensor, ones, nn } from '../../torch/index';
import { Module } from '../../torch/nn/module';

export class RMSNorm extends Module {
  weight: Tensor;
  constructor(readonly hiddenSize: number, readonly eps = 1e-6) {
    super();
    this.weight = this.registerParameter('weight', ones([hiddenSize]));
  }
  /** As transformers 4.29: the variance in float32, the result cast to a half-precision weight's dtype. */
  forward(h: Tensor): Tensor {
    return nn.functional.rmsNorm(h, this.weight, this.eps);
  }
}

/**
 * Whether the Trainer leaves a module's weights out of weight decay: transformers' ALL_LAYERNORM_LAYERS
 * (nn.LayerNorm and the norm classes that declare `countsAsLayerNorm`, like T5LayerNorm; in 4.29
 * LlamaRMSNorm is not one of them, so Llama's norm weights are decayed).
 */
export function isLayerNormForDecay(m: unknown): boolean {
  return m instanceof nn.LayerNorm || (!!m && (m.constructor as { countsAsLayerNorm?: boolean }).countsAsLayerNorm === true);
}
