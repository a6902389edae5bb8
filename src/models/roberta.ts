// RoBERTa (transformers' models/roberta/modeling_roberta.py): BERT's encoder with positions counted
// after the padding index, a two-layer classification head and a tied LM head.
import { Tensor, tidy, zeros, nn, F } from '../torch/index';
import { Module } from '../torch/nn/module';
import { BertConfig, BERT_LIKE, BertEncoder, BertPooler, BertEmbeddings, tieLinearWeight, runTextBackbone, TEXT_ARGS } from './bert';
import { PreTrainedModel } from './modeling-utils';
import { normalizeInputs, type ModelInputs, type ModelOutput, type BaseModelOutput, type NormalizedInputs } from './blocks/inputs';
import { sequenceClassificationLoss, maskedLmLoss } from './blocks/losses';
import { initBertStyle } from './blocks/layers';
import { tokenClassificationModel, questionAnsweringModel, pooledMultipleChoiceModel } from './blocks/heads';
import { ConfigError, type FieldSpec } from './config';
import type { ModelFamily } from './registry';

// ---- config ----------------------------------------------------------------------------------------

export class RobertaConfig extends BertConfig {
  static override readonly modelType: string = 'roberta';
  static override readonly fields: FieldSpec[] = BERT_LIKE.map((f) => (f[0] === 'vocabSize' ? ['vocabSize', 'vocab_size', 50265] as const : f));
  constructor(values: Record<string, unknown> = {}) {
    super(values);
    const has = (a: string, b: string) => a in values || b in values;
    if (!has('pad_token_id', 'padTokenId')) this.padTokenId = 1;
    if (!has('bos_token_id', 'bosTokenId')) this.bosTokenId = 0;
    if (!has('eos_token_id', 'eosTokenId')) this.eosTokenId = 2;
  }
  override validate(): void {
    super.validate();
    if (this.padTokenId === null) throw new ConfigError('RoBERTa needs pad_token_id (positions are counted from it): set it in config.json');
    if (this.maxPositionEmbeddings <= this.padTokenId + 1) {
      throw new ConfigError(`max_position_embeddings (${this.maxPositionEmbeddings}) must exceed pad_token_id + 1 (${this.padTokenId + 1}): RoBERTa positions start after the padding index`);
    }
  }
}

/** Positions 0..L-1 shifted past the padding index; padding tokens get the padding index itself. */
export function createPositionIdsFromInputIds(inputIds: Tensor, paddingIdx: number): Tensor {
  return tidy(() => {
    const mask = inputIds.ne(paddingIdx).to('int32');
    const incremental = mask.cumsum(1, 'int32').mul(mask);
    return incremental.to('int64').add(paddingIdx);
  });
}

/** BERT's embeddings, except that the position embeddings have a padding row and ids come from the tokens. */
export class RobertaEmbeddings extends BertEmbeddings {
  constructor(readonly c: RobertaConfig) {
    super(c, c.padTokenId);
  }
  override forward(inputIds: Tensor, tokenTypeIds?: Tensor, positionIds?: Tensor): Tensor {
    return tidy(() => {
      const pos = positionIds ?? createPositionIdsFromInputIds(inputIds, this.c.padTokenId!);
      const maxPos = this.positionEmbeddings.numEmbeddings;
      if (!positionIds && inputIds.shape[1]! + this.c.padTokenId! + 1 > maxPos) {
        throw new Error(`sequence length ${inputIds.shape[1]} is too long for RoBERTa's max_position_embeddings ${maxPos} (at most ${maxPos - this.c.padTokenId! - 1} tokens): truncate the inputs`);
      }
      return super.forward(inputIds, tokenTypeIds, pos);
    });
  }
}


export abstract class RobertaPreTrainedModel extends PreTrainedModel<RobertaConfig> {
  static override configClass = RobertaConfig;
  static override baseModelPrefix = 'roberta';
  readonly mainInputName = 'input_ids';
  protected initModule(m: Module): void { initBertStyle(m, this.config.initializerRange); }
}

export class RobertaModel extends RobertaPreTrainedModel {
  readonly forwardArgNames: readonly string[] = TEXT_ARGS;
  readonly embeddings: RobertaEmbeddings;
  readonly encoder: BertEncoder;
  readonly pooler: BertPooler | null;
  constructor(config: RobertaConfig, o: { addPoolingLayer?: boolean } = {}) {
    super(config);
    this.embeddings = this.registerModule('embeddings', new RobertaEmbeddings(config));
    this.encoder = this.registerModule('encoder', new BertEncoder(config));
    this.pooler = o.addPoolingLayer === false ? null : this.registerModule('pooler', new BertPooler(config));
  }
  forward(batch: ModelInputs): BaseModelOutput {
    const x = normalizeInputs(batch, this.forwardArgNames, this.constructor.name, this.config);
    return tidy(() => this.run(x));
  }
  run(x: NormalizedInputs): BaseModelOutput { return runTextBackbone(this, x); }
}

/** <s> token -> dropout -> dense -> tanh -> dropout -> out_proj. */
export class RobertaClassificationHead extends Module {
  readonly dense: nn.Linear;
  readonly dropout: nn.Dropout;
  readonly outProj: nn.Linear;
  constructor(c: RobertaConfig) {
    super();
    this.dense = this.registerModule('dense', new nn.Linear(c.hiddenSize, c.hiddenSize));
    this.dropout = this.registerModule('dropout', new nn.Dropout(c.classifierDropout ?? c.hiddenDropoutProb));
    this.outProj = this.registerModule('out_proj', new nn.Linear(c.hiddenSize, c.numLabels));
  }
  forward(h: Tensor): Tensor {
    return tidy(() => {
      const x = this.dense.forward(this.dropout.forward(h.select(1, 0))).tanh();
      return this.outProj.forward(this.dropout.forward(x));
    });
  }
}

export class RobertaForSequenceClassification extends RobertaPreTrainedModel {
  readonly forwardArgNames: readonly string[] = [...TEXT_ARGS, 'labels'];
  readonly roberta: RobertaModel;
  readonly classifier: RobertaClassificationHead;
  constructor(config: RobertaConfig) {
    super(config);
    this.roberta = this.registerModule('roberta', new RobertaModel(config, { addPoolingLayer: false }));
    this.classifier = this.registerModule('classifier', new RobertaClassificationHead(config));
  }
  forward(batch: ModelInputs): ModelOutput {
    const x = normalizeInputs(batch, this.forwardArgNames, this.constructor.name, this.config);
    return tidy(() => {
      const out = this.roberta.run(x);
      const logits = this.classifier.forward(out.lastHiddenState);
      const loss = x.labels ? sequenceClassificationLoss(this.config, logits, x.labels) : undefined;
      return { loss, logits, hiddenStates: out.hiddenStates, attentions: out.attentions };
    });
  }
}

/** dense -> gelu -> layer_norm -> decoder (tied to the word embeddings) + bias. */
export class RobertaLMHead extends Module {
  readonly dense: nn.Linear;
  readonly layerNorm: nn.LayerNorm;
  readonly decoder: nn.Linear;
  readonly bias: Tensor;
  constructor(c: RobertaConfig) {
    super();
    this.dense = this.registerModule('dense', new nn.Linear(c.hiddenSize, c.hiddenSize));
    this.layerNorm = this.registerModule('layer_norm', new nn.LayerNorm(c.hiddenSize, c.layerNormEps));
    this.decoder = this.registerModule('decoder', new nn.Linear(c.hiddenSize, c.vocabSize, { bias: false }));
    this.bias = this.registerParameter('bias', zeros([c.vocabSize]));
    this.decoder.bias = this.decoder.registerParameter('bias', this.bias);
  }
  forward(h: Tensor): Tensor {
    return tidy(() => this.decoder.forward(this.layerNorm.forward(F.gelu(this.dense.forward(h)))));
  }
}

export class RobertaForMaskedLM extends RobertaPreTrainedModel {
  static override ignoreOnLoadUnexpected = [/pooler/];
  readonly forwardArgNames: readonly string[] = [...TEXT_ARGS, 'labels'];
  readonly roberta: RobertaModel;
  readonly lmHead: RobertaLMHead;
  constructor(config: RobertaConfig) {
    super(config);
    this.roberta = this.registerModule('roberta', new RobertaModel(config, { addPoolingLayer: false }));
    this.lmHead = this.registerModule('lm_head', new RobertaLMHead(config));
    if (config.tieWordEmbeddings) tieLinearWeight(this.lmHead.decoder, this.roberta.embeddings.wordEmbeddings.weight);
  }
  override tiedWeights(): [string, string][] {
    const t: [string, string][] = [['lm_head.decoder.bias', 'lm_head.bias']];
    if (this.config.tieWordEmbeddings) t.push(['lm_head.decoder.weight', 'roberta.embeddings.word_embeddings.weight']);
    return t;
  }
  protected override initModule(m: Module): void {
    if (m === this.lmHead.decoder) return;
    super.initModule(m);
    if (m === this.lmHead) {
      nn.init.zeros_(this.lmHead.bias);
      if (!this.config.tieWordEmbeddings) nn.init.normal_(this.lmHead.decoder.weight, 0, this.config.initializerRange);
    }
  }
  forward(batch: ModelInputs): ModelOutput {
    const x = normalizeInputs(batch, this.forwardArgNames, this.constructor.name, this.config);
    return tidy(() => {
      const out = this.roberta.run(x);
      const logits = this.lmHead.forward(out.lastHiddenState);
      const loss = x.labels ? maskedLmLoss(logits, x.labels, this.config.vocabSize) : undefined;
      return { loss, logits, hiddenStates: out.hiddenStates, attentions: out.attentions };
    });
  }
}

/** How the RoBERTa-style heads (RoBERTa, XLM-R, CamemBERT) build their backbone. */
export const robertaHead = {
  backbone: (c: RobertaConfig) => new RobertaModel(c, { addPoolingLayer: false }),
  hiddenSize: (c: RobertaConfig) => c.hiddenSize,
  dropout: (c: RobertaConfig) => c.classifierDropout ?? c.hiddenDropoutProb,
  args: TEXT_ARGS,
};
/** Multiple choice reads the pooled output, with hidden_dropout_prob (not classifier_dropout), as in transformers. */
export const robertaChoiceHead = { ...robertaHead, backbone: (c: RobertaConfig) => new RobertaModel(c), dropout: (c: RobertaConfig) => c.hiddenDropoutProb };

export const RobertaForTokenClassification = tokenClassificationModel('RobertaForTokenClassification', RobertaPreTrainedModel, robertaHead);
export type RobertaForTokenClassification = InstanceType<typeof RobertaForTokenClassification>;
export const RobertaForQuestionAnswering = questionAnsweringModel('RobertaForQuestionAnswering', RobertaPreTrainedModel, robertaHead);
export type RobertaForQuestionAnswering = InstanceType<typeof RobertaForQuestionAnswering>;
export const RobertaForMultipleChoice = pooledMultipleChoiceModel('RobertaForMultipleChoice', RobertaPreTrainedModel, robertaChoiceHead);
export type RobertaForMultipleChoice = InstanceType<typeof RobertaForMultipleChoice>;

export const robertaFamily: ModelFamily = {
  modelType: 'roberta', modality: 'text', configClass: RobertaConfig,
  auto: {
    AutoModel: RobertaModel, AutoModelForSequenceClassification: RobertaForSequenceClassification, AutoModelForMaskedLM: RobertaForMaskedLM,
    AutoModelForTokenClassification: RobertaForTokenClassification, AutoModelForQuestionAnswering: RobertaForQuestionAnswering, AutoModelForMultipleChoice: RobertaForMultipleChoice,
  },
};
