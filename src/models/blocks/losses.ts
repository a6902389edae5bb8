// The task losses transformers' heads compute.
import { Tensor, tidy, F } from '../../torch/index';
import type { PretrainedConfig } from '../config';
import { asLong } from './inputs';

/** transformers' sequence-classification loss, inferring problem_type on first use like 4.29. */
export function sequenceClassificationLoss(config: PretrainedConfig, logits: Tensor, labels: Tensor): Tensor {
  return tidy(() => {
    const numLabels = config.numLabels;
    if (config.problemType === null) {
      if (numLabels === 1) config.problemType = 'regression';
      else if (numLabels > 1 && (labels.dtype === 'int64' || labels.dtype === 'int32')) config.problemType = 'single_label_classification';
      else config.problemType = 'multi_label_classification';
    }
    if (config.problemType === 'regression') {
      const y = labels.to(logits.dtype);
      return numLabels === 1 ? F.mseLoss(logits.squeeze(), y.squeeze()) : F.mseLoss(logits, y);
    }
    if (config.problemType === 'single_label_classification') {
      return F.crossEntropy(logits.view(-1, numLabels), asLong(labels).view(-1));
    }
    if (labels.shape.join() !== logits.shape.join()) {
      throw new Error(`multi-label classification needs labels shaped like the logits [${logits.shape.join(', ')}] (0/1 per class), got [${labels.shape.join(', ')}]`);
    }
    return F.binaryCrossEntropyWithLogits(logits, labels.to(logits.dtype));
  });
}

/** Masked-LM loss: cross-entropy over every position, -100 ignored. */
export function maskedLmLoss(logits: Tensor, labels: Tensor, vocabSize: number): Tensor {
  return tidy(() => F.crossEntropy(logits.view(-1, vocabSize), asLong(labels).view(-1)));
}

