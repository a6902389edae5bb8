// Task heads shared by the encoder families: token classification, extractive question answering
// (span start/end), multiple choice (choices flattened into the batch). Module names and the order
// they are registered in follow transformers 4.29.2 (`dropout`, `classifier`, `qa_outputs`), so the
// checkpoints' keys and the Trainer's parameter groups match Python's.
import { Tensor, tidy, nn, F } from '../../torch/index';
import type { Module } from '../../torch/nn/module';
import type { PretrainedConfig } from '../config';
import type { PreTrainedModel } from '../modeling-utils';
import { normalizeInputs, asLong, type ModelInputs, type BaseModelOutput, type NormalizedInputs, type QuestionAnsweringModelOutput } from './inputs';

/** A text backbone as the heads use it: normalised inputs in, hidden states out. */
export interface TextBackbone extends Module {
  run(x: NormalizedInputs): BaseModelOutput;
}

/** What a token-classification head returns: logits [B, L, numLabels]. */
export interface TokenClassifierOutput {
  loss?: Tensor;
  logits: Tensor;
  hiddenStates?: Tensor[];
  attentions?: Tensor[];
}

/** What a multiple-choice head returns: logits [B, numChoices]. */
export interface MultipleChoiceModelOutput {
  loss?: Tensor;
  logits: Tensor;
  hiddenStates?: Tensor[];
  attentions?: Tensor[];
}

/** Cross-entropy over every token (labels -100 ignored): transformers' token-classification loss. */
export function tokenClassificationLoss(logits: Tensor, labels: Tensor, numLabels: number): Tensor {
  return tidy(() => {
    if (labels.numel !== logits.numel / numLabels) {
      throw new Error(`token-classification labels have shape [${labels.shape.join(', ')}] but the logits [${logits.shape.join(', ')}]: give one label per token (-100 where none)`);
    }
    return F.crossEntropy(logits.view(-1, numLabels), asLong(labels).view(-1));
  });
}

/**
 * Splits qa_outputs' [B, L, 2] into start and end logits and, with positions, computes the span loss
 * as transformers does: positions are clamped to [0, L] and L is ignored (an answer cut off by
 * truncation does not count), the loss is the mean of the start and end cross-entropies.
 */
export function questionAnsweringHead(logits: Tensor, startPositions?: Tensor, endPositions?: Tensor): { loss?: Tensor; startLogits: Tensor; endLogits: Tensor } {
  return tidy(() => {
    const [start, end] = logits.split(1, -1) as [Tensor, Tensor];
    const startLogits = start.squeeze(-1).contiguous();
    const endLogits = end.squeeze(-1).contiguous();
    if (!startPositions || !endPositions) {
      if (startPositions || endPositions) throw new Error('question answering needs both startPositions and endPositions (start_positions, end_positions) to compute a loss');
      return { startLogits, endLogits };
    }
    const ignored = startLogits.shape[1]!;
    const pos = (p: Tensor) => {
      const q = asLong(p);
      // the engine's clamp takes its bounds as doubles (a float result): back to int64 ids
      return (q.ndim > 1 ? q.squeeze(-1) : q).clamp(0, ignored).to('int64');
    };
    const s = F.crossEntropy(startLogits, pos(startPositions), { ignoreIndex: ignored });
    const e = F.crossEntropy(endLogits, pos(endPositions), { ignoreIndex: ignored });
    return { loss: s.add(e).div(2), startLogits, endLogits };
  });
}

/**
 * Multiple choice: inputs [B, C, L] become [B*C, L] for the backbone (transformers' view(-1, L));
 * returns the flattened inputs and C. Inputs already 2-D are an error: the head needs the choices axis.
 */
export function flattenChoices(x: NormalizedInputs, modelName: string): { flat: NormalizedInputs; numChoices: number } {
  if (!x.inputIds) throw new Error(`${modelName}.forward needs inputIds shaped [batch, choices, sequence]`);
  if (x.inputIds.ndim !== 3) {
    throw new Error(`${modelName} takes inputIds shaped [batch, choices, sequence], got [${x.inputIds.shape.join(', ')}]: use DataCollatorForMultipleChoice or group each example's choices`);
  }
  const numChoices = x.inputIds.shape[1]!;
  const flat: NormalizedInputs = { ...x };
  for (const k of ['inputIds', 'attentionMask', 'tokenTypeIds', 'positionIds'] as const) {
    const t = x[k];
    if (t) flat[k] = t.view(-1, t.shape[t.ndim - 1]!);
  }
  return { flat, numChoices };
}

/** [B*C, 1] choice scores -> logits [B, C] and the cross-entropy over choices when labels are given. */
export function multipleChoiceLogits(scores: Tensor, numChoices: number, labels?: Tensor): { loss?: Tensor; logits: Tensor } {
  return tidy(() => {
    const logits = scores.view(-1, numChoices);
    return { logits, loss: labels ? F.crossEntropy(logits, asLong(labels).view(-1)) : undefined };
  });
}

type AbstractModelClass<C extends PretrainedConfig> = abstract new (config: C) => PreTrainedModel<C>;
type HeadOptions<C> = {
  /** The backbone for this config (registered under the base class's baseModelPrefix). */
  backbone: (config: C) => TextBackbone;
  /** The backbone's hidden size and the head's dropout probability. */
  hiddenSize: (config: C) => number;
  dropout?: (config: C) => number;
  /** forward's inputs (snake_case), without the targets. */
  args: readonly string[];
  /** Question answering: dropout on the hidden states before qa_outputs (DistilBERT's qa_dropout); none elsewhere. */
  qaDropout?: (config: C) => number;
};

/** What a token-classification head adds to its family's base class. */
export interface TokenClassificationHead {
  readonly forwardArgNames: readonly string[];
  readonly dropout: nn.Dropout;
  readonly classifier: nn.Linear;
  readonly backbone: TextBackbone;
  forward(batch: ModelInputs): TokenClassifierOutput;
}
/** What an extractive question-answering head adds to its family's base class. */
export interface QuestionAnsweringHead {
  readonly forwardArgNames: readonly string[];
  readonly qaOutputs: nn.Linear;
  readonly dropout: nn.Dropout | null;
  readonly backbone: TextBackbone;
  forward(batch: ModelInputs): QuestionAnsweringModelOutput;
}
/** What a pooled multiple-choice head adds to its family's base class. */
export interface MultipleChoiceHead {
  readonly forwardArgNames: readonly string[];
  readonly dropout: nn.Dropout;
  readonly classifier: nn.Linear;
  readonly backbone: TextBackbone;
  forward(batch: ModelInputs): MultipleChoiceModelOutput;
}

/** A token-classification model class (backbone, dropout, classifier on every token) for a family's base class. */
export function tokenClassificationModel<C extends PretrainedConfig, B extends AbstractModelClass<C>>(name: string, Base: B, o: HeadOptions<C>) {
  abstract class ForTokenClassification extends (Base as unknown as AbstractModelClass<C>) {
    static ignoreOnLoadUnexpected = [/pooler/];
    readonly forwardArgNames: readonly string[] = [...o.args, 'labels'];
    readonly dropout: nn.Dropout;
    readonly classifier: nn.Linear;
    constructor(config: C) {
      super(config);
      const prefix = (this.constructor as unknown as typeof PreTrainedModel).baseModelPrefix;
      this.registerModule(prefix, o.backbone(config));
      this.dropout = this.registerModule('dropout', new nn.Dropout(o.dropout!(config)));
      this.classifier = this.registerModule('classifier', new nn.Linear(o.hiddenSize(config), config.numLabels));
    }
    get backbone(): TextBackbone { return this.baseModel as TextBackbone; }
    forward(batch: ModelInputs): TokenClassifierOutput {
      const x = normalizeInputs(batch, this.forwardArgNames, this.constructor.name, this.config);
      return tidy(() => {
        const out = this.backbone.run(x);
        const logits = this.classifier.forward(this.dropout.forward(out.lastHiddenState));
        const loss = x.labels ? tokenClassificationLoss(logits, x.labels, this.config.numLabels) : undefined;
        return { loss, logits, hiddenStates: out.hiddenStates, attentions: out.attentions };
      });
    }
  }
  Object.defineProperty(ForTokenClassification, 'name', { value: name });
  return ForTokenClassification as unknown as Omit<B, 'prototype'> & (new (config: C) => InstanceType<B> & TokenClassificationHead);
}

/** An extractive question-answering model class (backbone, qa_outputs: hidden -> 2) for a family's base class. */
export function questionAnsweringModel<C extends PretrainedConfig, B extends AbstractModelClass<C>>(name: string, Base: B, o: HeadOptions<C>) {
  abstract class ForQuestionAnswering extends (Base as unknown as AbstractModelClass<C>) {
    static ignoreOnLoadUnexpected = [/pooler/];
    readonly forwardArgNames: readonly string[] = [...o.args, 'start_positions', 'end_positions'];
    readonly qaOutputs: nn.Linear;
    readonly dropout: nn.Dropout | null;
    constructor(config: C) {
      super(config);
      const prefix = (this.constructor as unknown as typeof PreTrainedModel).baseModelPrefix;
      this.registerModule(prefix, o.backbone(config));
      this.qaOutputs = this.registerModule('qa_outputs', new nn.Linear(o.hiddenSize(config), 2));
      this.dropout = o.qaDropout ? this.registerModule('dropout', new nn.Dropout(o.qaDropout(config))) : null;
    }
    get backbone(): TextBackbone { return this.baseModel as TextBackbone; }
    forward(batch: ModelInputs): QuestionAnsweringModelOutput {
      const x = normalizeInputs(batch, this.forwardArgNames, this.constructor.name, this.config);
      return tidy(() => {
        const out = this.backbone.run(x);
        const h = this.dropout ? this.dropout.forward(out.lastHiddenState) : out.lastHiddenState;
        const head = questionAnsweringHead(this.qaOutputs.forward(h), x.startPositions as Tensor | undefined, x.endPositions as Tensor | undefined);
        return { ...head, hiddenStates: out.hiddenStates, attentions: out.attentions };
      });
    }
  }
  Object.defineProperty(ForQuestionAnswering, 'name', { value: name });
  return ForQuestionAnswering as unknown as Omit<B, 'prototype'> & (new (config: C) => InstanceType<B> & QuestionAnsweringHead);
}

/**
 * A multiple-choice model class scoring each (prompt, choice) pair from the backbone's pooled output
 * (backbone with its pooler, dropout, classifier: hidden -> 1): BERT, RoBERTa, XLM-R, ALBERT.
 */
export function pooledMultipleChoiceModel<C extends PretrainedConfig, B extends AbstractModelClass<C>>(name: string, Base: B, o: HeadOptions<C>) {
  abstract class ForMultipleChoice extends (Base as unknown as AbstractModelClass<C>) {
    readonly forwardArgNames: readonly string[] = [...o.args, 'labels'];
    readonly dropout: nn.Dropout;
    readonly classifier: nn.Linear;
    constructor(config: C) {
      super(config);
      const prefix = (this.constructor as unknown as typeof PreTrainedModel).baseModelPrefix;
      this.registerModule(prefix, o.backbone(config));
      this.dropout = this.registerModule('dropout', new nn.Dropout(o.dropout!(config)));
      this.classifier = this.registerModule('classifier', new nn.Linear(o.hiddenSize(config), 1));
    }
    get backbone(): TextBackbone { return this.baseModel as TextBackbone; }
    forward(batch: ModelInputs): MultipleChoiceModelOutput {
      const x = normalizeInputs(batch, this.forwardArgNames, this.constructor.name, this.config);
      return tidy(() => {
        const { flat, numChoices } = flattenChoices(x, this.constructor.name);
        const out = this.backbone.run(flat);
        if (!out.poolerOutput) throw new Error(`${this.constructor.name}: the backbone has no pooler`);
        const scores = this.classifier.forward(this.dropout.forward(out.poolerOutput));
        return { ...multipleChoiceLogits(scores, numChoices, x.labels), hiddenStates: out.hiddenStates, attentions: out.attentions };
      });
    }
  }
  Object.defineProperty(ForMultipleChoice, 'name', { value: name });
  return ForMultipleChoice as unknown as Omit<B, 'prototype'> & (new (config: C) => InstanceType<B> & MultipleChoiceHead);
}
