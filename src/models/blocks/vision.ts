// Pieces the vision families share: stochastic depth, pixel_values checks, relative position
// indices (Swin, BEiT), the image-classification output with its loss, and their forward args.
import { Tensor, tidy, rand, tensor, nn, type DType } from '../../torch/index';
import { Module } from '../../torch/nn/module';
import type { PretrainedConfig } from '../config';
import { sequenceClassificationLoss } from './losses';
import type { ModelOutput } from './inputs';

/** What an image backbone's forward takes (snake_case, as the Trainer's removeUnusedColumns reads them). */
export const PIXEL_ARGS = ['pixel_values', 'output_hidden_states'] as const;
export const PIXEL_ATTENTION_ARGS = ['pixel_values', 'output_attentions', 'output_hidden_states'] as const;

/**
 * transformers' drop_path (stochastic depth): in training, each sample's residual branch is kept
 * with probability 1 - p (and scaled by 1 / (1 - p)); in eval mode and at p = 0 it is the identity.
 */
export function dropPath(x: Tensor, p: number, training: boolean): Tensor {
  if (p === 0 || !training) return x;
  return tidy(() => {
    const keep = 1 - p;
    const shape = [x.shape[0]!, ...x.shape.slice(1).map(() => 1)];
    const mask = rand(shape, { dtype: x.dtype as DType, device: x.device }).add(keep).floor();
    return x.div(keep).mul(mask);
  });
}

/** transformers' *DropPath module (no parameters, so it needs no name in the state dict). */
export class DropPath extends Module {
  constructor(readonly p: number) { super(); }
  forward(x: Tensor): Tensor { return dropPath(x, this.p, this.training); }
}

/** torch.linspace(0, rate, n).tolist(): the per-block stochastic-depth rates, computed in float32 as torch does. */
export function dropPathRates(rate: number, n: number): number[] {
  if (n <= 0) return [];
  if (n === 1) return [0];
  const f = Math.fround;
  const step = f(f(rate) / (n - 1));
  // torch.linspace fills the first half from the start and the second half from the end
  return Array.from({ length: n }, (_, i) => (i < Math.floor(n / 2) ? f(i * step) : f(f(rate) - f(step * (n - 1 - i)))));
}

/** Checks pixel_values [batch, channels, height, width] against the model (channels, and the size when fixed). */
export function checkPixelValues(pixels: Tensor | undefined, o: { model: string; numChannels: number; imageSize?: [number, number] }): Tensor {
  if (!pixels) throw new Error(`${o.model}.forward needs pixelValues (pixel_values): run the images through the model's image processor`);
  if (pixels.ndim !== 4) throw new Error(`${o.model}: pixel_values must be [batch, channels, height, width], got shape [${pixels.shape.join(', ')}]`);
  const [, ch, h, w] = pixels.shape as [number, number, number, number];
  if (ch !== o.numChannels) {
    throw new Error(`${o.model}: pixel_values have ${ch} channels but the model expects num_channels=${o.numChannels}; make sure the channel dimension of the pixel values matches the configuration`);
  }
  if (o.imageSize && (h !== o.imageSize[0] || w !== o.imageSize[1])) {
    throw new Error(`${o.model}: input image size (${h}*${w}) doesn't match the model (${o.imageSize[0]}*${o.imageSize[1]}): resize the images with the model's image processor`);
  }
  return pixels;
}

/**
 * The relative position index of a window (Swin, BEiT): for every pair of positions in a
 * wh x ww window, the row of the (2wh-1)(2ww-1) bias table that holds their offset. int64 [wh*ww, wh*ww].
 */
export function relativePositionIndex(wh: number, ww: number): Tensor {
  const n = wh * ww;
  const idx: number[][] = [];
  for (let a = 0; a < n; a++) {
    const row: number[] = [];
    const [ya, xa] = [Math.floor(a / ww), a % ww];
    for (let b = 0; b < n; b++) {
      const [yb, xb] = [Math.floor(b / ww), b % ww];
      row.push((ya - yb + wh - 1) * (2 * ww - 1) + (xa - xb + ww - 1));
    }
    idx.push(row);
  }
  return tensor(idx, { dtype: 'int64' });
}

/** An image classifier's output: logits, the loss when labels are given (problem_type inferred as in 4.29), states. */
export function imageClassifierOutput(config: PretrainedConfig, logits: Tensor, labels: Tensor | undefined,
  extra: { hiddenStates?: Tensor[]; attentions?: Tensor[] } = {}): ModelOutput {
  const loss = labels ? sequenceClassificationLoss(config, logits, labels) : undefined;
  return { loss, logits, hiddenStates: extra.hiddenStates, attentions: extra.attentions };
}

/** Non-overlapping square patches by a strided conv ('projection'): [B, C, H, W] -> [B, patches, hidden]; the size must be the model's. */
export class PatchEmbeddings extends Module {
  readonly projection: nn.Conv2d;
  constructor(readonly o: { numChannels: number; hiddenSize: number; patchSize: number; imageSize: number; model: string }) {
    super();
    this.projection = this.registerModule('projection', new nn.Conv2d(o.numChannels, o.hiddenSize, o.patchSize, { stride: o.patchSize }));
  }
  get numPatches(): number { return Math.floor(this.o.imageSize / this.o.patchSize) ** 2; }
  forward(pixels: Tensor): Tensor {
    checkPixelValues(pixels, { model: this.o.model, numChannels: this.o.numChannels, imageSize: [this.o.imageSize, this.o.imageSize] });
    return tidy(() => this.projection.forward(pixels).flatten(2).transpose(1, 2));
  }
}
