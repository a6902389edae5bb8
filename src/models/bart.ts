// BART (transformers' models/bart/modeling_bart.py): post-LN encoder-decoder with learned
// positions (offset 2), scaled queries, tied embeddings and a final_logits_bias buffer.
import { Tensor, tidy, arange, nn, F, zeros, type DType } from '../torch/index';
import { Module, ModuleList } from '../torch/nn/module';
import { PreTrainedModel } from './modeling-utils';
import { normalizeInputs, asLong, type ModelInputs, type BaseModelOutput, type NormalizedInputs } from './blocks/inputs';
import { decoderAttentionMask, expandPaddingMask } from './blocks/decoder-masks';
import { DynamicCache } from './blocks/kv-cache';
import { seq2seqLmLoss, shiftTokensRight, seq2seqGenerationInputs, type Seq2SeqLMOutput } from './blocks/lm';
import { runLayers, type LayerOutput, cacheAllowed } from './blocks/layers';
import { PretrainedConfig, checkActivation, type FieldSpec } from './config';
import { generate, type GenerateFunction, type GenerateOptions } from '../generation/generate';
import type { ModelFamily } from './registry';

export class BartConfig extends PretrainedConfig {
  static override readonly modelType: string = 'bart';
  static override readonly fields: FieldSpec[] = [
    ['vocabSize', 'vocab_size', 50265],
    ['maxPositionEmbeddings', 'max_position_embeddings', 1024],
    ['encoderLayers', 'encoder_layers', 12],
    ['encoderFfnDim', 'encoder_ffn_dim', 4096],
    ['encoderAttentionHeads', 'encoder_attention_heads', 16],
    ['decoderLayers', 'decoder_layers', 12],
    ['decoderFfnDim', 'decoder_ffn_dim', 4096],
    ['decoderAttentionHeads', 'decoder_attention_heads', 16],
    ['encoderLayerdrop', 'encoder_layerdrop', 0.0],
    ['decoderLayerdrop', 'decoder_layerdrop', 0.0],
    ['activationFunction', 'activation_function', 'gelu'],
    ['dModel', 'd_model', 1024],
    ['dropout', 'dropout', 0.1],
    ['attentionDropout', 'attention_dropout', 0.0],
    ['activationDropout', 'activation_dropout', 0.0],
    ['initStd', 'init_std', 0.02],
    ['classifierDropout', 'classifier_dropout', 0.0],
    ['scaleEmbedding', 'scale_embedding', false],
    ['useCache', 'use_cache', true],
    ['numHiddenLayers', 'num_hidden_layers', 12],
    ['isEncoderDecoder', 'is_encoder_decoder', true],
    ['decoderStartTokenId', 'decoder_start_token_id', 2],
    ['forcedEosTokenId', 'forced_eos_token_id', 2],
  ];
  static override readonly aliases: Record<string, string> = { hidden_size: 'dModel', hiddenSize: 'dModel', num_attention_heads: 'encoderAttentionHeads', numAttentionHeads: 'encoderAttentionHeads' };
  declare vocabSize: number; declare maxPositionEmbeddings: number; declare encoderLayers: number; declare encoderFfnDim: number;
  declare encoderAttentionHeads: number; declare decoderLayers: number; declare decoderFfnDim: number; declare decoderAttentionHeads: number;
  declare encoderLayerdrop: number; declare decoderLayerdrop: number; declare activationFunction: string; declare dModel: number;
  declare dropout: number; declare attentionDropout: number; declare activationDropout: number; declare initStd: number;
  declare classifierDropout: number; declare scaleEmbedding: boolean; declare useCache: boolean; declare numHiddenLayers: number;
  declare isEncoderDecoder: boolean; declare decoderStartTokenId: number | null; declare forcedEosTokenId: number | null;

  constructor(values: Record<string, unknown> = {}) {
    super(values);
    const has = (a: string, b: string) => a in values || b in values;
    if (!has('pad_token_id', 'padTokenId')) this.padTokenId = 1;
    if (!has('bos_token_id', 'bosTokenId')) this.bosTokenId = 0;
    if (!has('eos_token_id', 'eosTokenId')) this.eosTokenId = 2;
    if (!has('num_labels', 'numLabels') && !('id2label' in values) && !('label2id' in values)) this.setLabels({ numLabels: 3 });
  }
  override validate(): void {
    super.validate();
    this.divisible('d_model', this.dModel, 'encoder_attention_heads', this.encoderAttentionHeads);
    this.divisible('d_model', this.dModel, 'decoder_attention_heads', this.decoderAttentionHeads);
    for (const [j, v] of [['vocab_size', this.vocabSize], ['max_position_embeddings', this.maxPositionEmbeddings], ['encoder_layers', this.encoderLayers],
      ['decoder_layers', this.decoderLayers], ['encoder_ffn_dim', this.encoderFfnDim], ['decoder_ffn_dim', this.decoderFfnDim]] as const) this.positive(j, v);
    for (const [j, v] of [['dropout', this.dropout], ['attention_dropout', this.attentionDropout], ['activation_dropout', this.activationDropout]] as const) this.probability(j, v);
    checkActivation('activation_function', this.activationFunction);
  }
}

/** Learned positions shifted by 2 (BartLearnedPositionalEmbedding). */
export class BartLearnedPositionalEmbedding extends nn.Embedding {
  static readonly OFFSET = 2;
  constructor(numEmbeddings: number, dim: number) { super(numEmbeddings + BartLearnedPositionalEmbedding.OFFSET, dim); }
  forPositions(batch: number, seqLen: number, past: number): Tensor {
    if (past + seqLen + BartLearnedPositionalEmbedding.OFFSET > this.numEmbeddings) {
      throw new Error(`sequence length ${past + seqLen} is longer than max_position_embeddings (${this.numEmbeddings - BartLearnedPositionalEmbedding.OFFSET}): truncate the inputs or lower max_new_tokens`);
    }
    return tidy(() => this.forward(arange(past, past + seqLen).expand(batch, seqLen).add(BartLearnedPositionalEmbedding.OFFSET)));
  }
}

export class BartAttention extends Module {
  readonly kProj: nn.Linear;
  readonly vProj: nn.Linear;
  readonly qProj: nn.Linear;
  readonly outProj: nn.Linear;
  private readonly headDim: number;
  constructor(readonly embedDim: number, readonly numHeads: number, readonly dropoutP: number, readonly isDecoder: boolean, readonly attnImpl: () => 'sdpa' | 'eager') {
    super();
    this.headDim = embedDim / numHeads;
    this.kProj = this.registerModule('k_proj', new nn.Linear(embedDim, embedDim));
    this.vProj = this.registerModule('v_proj', new nn.Linear(embedDim, embedDim));
    this.qProj = this.registerModule('q_proj', new nn.Linear(embedDim, embedDim));
    this.outProj = this.registerModule('out_proj', new nn.Linear(embedDim, embedDim));
  }
  /** Self-attention (kv null) or cross-attention over kv; the cache keeps the decoder's keys/values. */
  forward(h: Tensor, kv: Tensor | null, mask: Tensor | null, cache: DynamicCache | null, layer: number, needWeights: boolean): { output: Tensor; probs: Tensor | null } {
    return tidy(() => {
      const [b, l] = h.shape as [number, number];
      const H = this.numHeads;
      const D = this.headDim;
      const shape = (x: Tensor, len: number) => x.view(b, len, H, D).transpose(1, 2).contiguous();
      const qRaw = this.qProj.forward(h);
      let k: Tensor;
      let v: Tensor;
      if (kv) {
        const cached = cache?.getCross(layer);
        if (cached) [k, v] = cached;
        else {
          k = shape(this.kProj.forward(kv), -1);
          v = shape(this.vProj.forward(kv), -1);
          if (cache) cache.setCross(layer, k, v);
        }
      } else {
        k = shape(this.kProj.forward(h), -1);
        v = shape(this.vProj.forward(h), -1);
        if (cache) [k, v] = cache.update(k, v, layer);
      }
      const dropoutP = this.training ? this.dropoutP : 0;
      let out: Tensor;
      let probs: Tensor | null = null;
      if (this.attnImpl() === 'sdpa' && !needWeights) {
        // sdpa scales by 1/√D itself
        out = F.scaledDotProductAttention(shape(qRaw, l), k, v, { attnMask: mask, dropoutP }).output;
      } else {
        // BartAttention.forward (4.29), op for op: bmm over (B·H, L, D)
        const src = k.shape[2]!;
        const q3 = shape(qRaw.mul(D ** -0.5), l).view(b * H, -1, D);
        let w = q3.bmm(k.reshape(b * H, -1, D).transpose(1, 2));
        if (mask) w = w.view(b, H, l, src).add(mask).view(b * H, l, src);
        const p = w.softmax(-1);
        if (needWeights) probs = p.view(b, H, l, src);
        out = F.dropout(p, dropoutP, this.training).bmm(v.reshape(b * H, -1, D)).view(b, H, l, D);
      }
      return { output: this.outProj.forward(out.transpose(1, 2).reshape(b, l, this.embedDim)), probs };
    });
  }
}

export class BartLayer extends Module {
  readonly selfAttn: BartAttention;
  readonly selfAttnLayerNorm: nn.LayerNorm;
  readonly encoderAttn: BartAttention | null = null;
  readonly encoderAttnLayerNorm: nn.LayerNorm | null = null;
  readonly fc1: nn.Linear;
  readonly fc2: nn.Linear;
  readonly finalLayerNorm: nn.LayerNorm;
  private readonly act: (x: Tensor) => Tensor;
  constructor(readonly c: BartConfig, readonly isDecoder: boolean, readonly index: number) {
    super();
    const d = c.dModel;
    const impl = () => c.attnImplementation;
    this.selfAttn = this.registerModule('self_attn', new BartAttention(d, isDecoder ? c.decoderAttentionHeads : c.encoderAttentionHeads, c.attentionDropout, isDecoder, impl));
    this.selfAttnLayerNorm = this.registerModule('self_attn_layer_norm', new nn.LayerNorm(d));
    if (isDecoder) {
      this.encoderAttn = this.registerModule('encoder_attn', new BartAttention(d, c.decoderAttentionHeads, c.attentionDropout, true, impl));
      this.encoderAttnLayerNorm = this.registerModule('encoder_attn_layer_norm', new nn.LayerNorm(d));
    }
    const ffn = isDecoder ? c.decoderFfnDim : c.encoderFfnDim;
    this.fc1 = this.registerModule('fc1', new nn.Linear(d, ffn));
    this.fc2 = this.registerModule('fc2', new nn.Linear(ffn, d));
    this.finalLayerNorm = this.registerModule('final_layer_norm', new nn.LayerNorm(d));
    this.act = F.getActivation(c.activationFunction);
  }
  forward(h: Tensor, mask: Tensor | null, enc: Tensor | null, encMask: Tensor | null, cache: DynamicCache | null, needWeights: boolean): LayerOutput {
    return tidy(() => {
      const drop = (x: Tensor, p: number) => F.dropout(x, p, this.training);
      const a = this.selfAttn.forward(h, null, mask, cache, this.index, needWeights);
      let x = this.selfAttnLayerNorm.forward(h.add(drop(a.output, this.c.dropout)));
      let crossProbs: Tensor | null = null;
      if (this.encoderAttn && enc) {
        const ca = this.encoderAttn.forward(x, enc, encMask, cache, this.index, needWeights);
        crossProbs = ca.probs;
        x = this.encoderAttnLayerNorm!.forward(x.add(drop(ca.output, this.c.dropout)));
      }
      const ff = drop(this.fc2.forward(drop(this.act(this.fc1.forward(x)), this.c.activationDropout)), this.c.dropout);
      return { hidden: this.finalLayerNorm.forward(x.add(ff)), probs: a.probs, crossProbs };
    });
  }
}

export interface BartStackOutput extends BaseModelOutput { crossAttentions?: Tensor[] }

/** BartEncoder / BartDecoder: embeddings (scaled), learned positions, layernorm_embedding, the layers. */
export class BartStack extends Module {
  readonly embedPositions: BartLearnedPositionalEmbedding;
  readonly layers: ModuleList<BartLayer>;
  readonly layernormEmbedding: nn.LayerNorm;
  constructor(readonly c: BartConfig, readonly embedTokens: nn.Embedding, readonly isDecoder: boolean) {
    super();
    this.registerModule('embed_tokens', embedTokens);
    this.embedPositions = this.registerModule('embed_positions', new BartLearnedPositionalEmbedding(c.maxPositionEmbeddings, c.dModel));
    const n = isDecoder ? c.decoderLayers : c.encoderLayers;
    this.layers = this.registerModule('layers', new ModuleList(Array.from({ length: n }, (_, i) => new BartLayer(c, isDecoder, i))));
    this.layernormEmbedding = this.registerModule('layernorm_embedding', new nn.LayerNorm(c.dModel));
  }
  forward(ids: Tensor, mask: Tensor | undefined, enc: Tensor | null, encMask: Tensor | undefined, cache: DynamicCache | null, outputHiddenStates: boolean, outputAttentions: boolean): BartStackOutput {
    return tidy(() => {
      const [b, l] = ids.shape as [number, number];
      const past = cache?.getSeqLength() ?? 0;
      const embeds = this.embedTokens.forward(ids).mul(this.c.scaleEmbedding ? Math.sqrt(this.c.dModel) : 1.0);
      const dtype: DType = embeds.dtype;
      const h = F.dropout(this.layernormEmbedding.forward(embeds.add(this.embedPositions.forPositions(b, l, past))), this.c.dropout, this.training);
      const selfMask = this.isDecoder ? decoderAttentionMask(mask ?? null, b, l, past, dtype) : mask ? expandPaddingMask(mask, dtype, l) : null;
      const crossMask = this.isDecoder && enc && encMask ? expandPaddingMask(encMask, dtype, l) : null;
      const crossAttentions: Tensor[] = [];
      const out = runLayers(this.layers, h, {
        outputHiddenStates, outputAttentions, args: [selfMask, enc, crossMask, cache],
        onOutput: (o) => { if (o.crossProbs) crossAttentions.push(o.crossProbs as Tensor); },
      });
      return { ...out, crossAttentions: outputAttentions && this.isDecoder ? crossAttentions : undefined };
    });
  }
}

const SEQ2SEQ_ARGS = ['input_ids', 'attention_mask', 'decoder_input_ids', 'decoder_attention_mask', 'encoder_outputs', 'past_key_values', 'use_cache', 'labels', 'output_attentions', 'output_hidden_states'] as const;

export abstract class BartPreTrainedModel extends PreTrainedModel<BartConfig> {
  static override configClass = BartConfig;
  static override baseModelPrefix = 'model';
  readonly mainInputName = 'input_ids';
  protected initModule(m: Module): void {
    const std = this.config.initStd;
    if (m instanceof nn.Linear) {
      nn.init.normal_(m.weight, 0, std);
      if (m.bias) nn.init.zeros_(m.bias);
    } else if (m instanceof nn.Embedding) {
      nn.init.normal_(m.weight, 0, std);
      m.zeroPaddingRow();
    }
  }
}

export class BartModel extends BartPreTrainedModel {
  readonly forwardArgNames: readonly string[] = SEQ2SEQ_ARGS.filter((a) => a !== 'labels');
  readonly shared: nn.Embedding;
  readonly encoder: BartStack;
  readonly decoder: BartStack;
  constructor(config: BartConfig) {
    super(config);
    this.shared = this.registerModule('shared', new nn.Embedding(config.vocabSize, config.dModel, config.padTokenId));
    this.encoder = this.registerModule('encoder', new BartStack(config, this.shared, false));
    this.decoder = this.registerModule('decoder', new BartStack(config, this.shared, true));
  }
  override tiedWeights(): [string, string][] { return [['encoder.embed_tokens.weight', 'shared.weight'], ['decoder.embed_tokens.weight', 'shared.weight']]; }
  forward(batch: ModelInputs): BaseModelOutput & Omit<Seq2SeqLMOutput, 'logits'> {
    const x = normalizeInputs(batch, this.forwardArgNames, this.constructor.name, this.config);
    return tidy(() => this.run(x, null));
  }
  /** Encoder (unless encoderOutputs are given) then decoder; decoder inputs default to the shifted labels or inputs. */
  run(x: NormalizedInputs, labels: Tensor | null): BaseModelOutput & Omit<Seq2SeqLMOutput, 'logits'> {
    const c = this.config;
    let enc = x.encoderOutputs as BartStackOutput | undefined;
    if (!enc) {
      if (!x.inputIds) throw new Error(`${this.constructor.name}.forward needs inputIds (input_ids) or encoderOutputs`);
      enc = this.encoder.forward(asLong(x.inputIds), x.attentionMask, null, undefined, null, x.outputHiddenStates, x.outputAttentions);
    }
    let decIds = x.decoderInputIds as Tensor | undefined;
    if (!decIds) {
      const src = labels ?? x.inputIds;
      if (!src) throw new Error(`${this.constructor.name}.forward needs decoderInputIds (decoder_input_ids), labels or inputIds`);
      decIds = shiftTokensRight(src, c.padTokenId, c.decoderStartTokenId, 'BART');
    }
    const useCache = !labels && cacheAllowed(this.decoder.layers, !!x.useCache || !!x.pastKeyValues);
    const cache = useCache ? ((x.pastKeyValues as DynamicCache | undefined) ?? new DynamicCache()) : null;
    const dec = this.decoder.forward(asLong(decIds), x.decoderAttentionMask as Tensor | undefined, enc.lastHiddenState, x.attentionMask, cache, x.outputHiddenStates, x.outputAttentions);
    return {
      lastHiddenState: dec.lastHiddenState, pastKeyValues: cache ?? undefined,
      decoderHiddenStates: dec.hiddenStates, decoderAttentions: dec.attentions, crossAttentions: dec.crossAttentions,
      encoderLastHiddenState: enc.lastHiddenState, encoderHiddenStates: enc.hiddenStates, encoderAttentions: enc.attentions,
    };
  }
}

export class BartForConditionalGeneration extends BartPreTrainedModel {
  readonly forwardArgNames: readonly string[] = SEQ2SEQ_ARGS;
  readonly model: BartModel;
  readonly lmHead: nn.Linear;
  readonly finalLogitsBias: Tensor;
  constructor(config: BartConfig) {
    super(config);
    this.model = this.registerModule('model', new BartModel(config));
    this.finalLogitsBias = this.registerBuffer('final_logits_bias', zeros([1, config.vocabSize]));
    this.lmHead = this.registerModule('lm_head', new nn.Linear(config.dModel, config.vocabSize, { bias: false }));
    this.lmHead.weight.dispose();
    this.lmHead.weight = this.lmHead.registerParameter('weight', this.model.shared.weight);
  }
  override tiedWeights(): [string, string][] {
    return [['model.encoder.embed_tokens.weight', 'model.shared.weight'], ['model.decoder.embed_tokens.weight', 'model.shared.weight'], ['lm_head.weight', 'model.shared.weight']];
  }
  protected override initModule(m: Module): void { if (m !== this.lmHead) super.initModule(m); }
  getEncoderOutputs(o: { inputIds: Tensor; attentionMask?: Tensor }): { lastHiddenState: Tensor } {
    return { lastHiddenState: this.model.encoder.forward(asLong(o.inputIds), o.attentionMask, null, undefined, null, false, false).lastHiddenState };
  }
  forward(batch: ModelInputs): Seq2SeqLMOutput {
    const x = normalizeInputs(batch, this.forwardArgNames, this.constructor.name, this.config);
    return tidy(() => {
      const out = this.model.run(x, x.labels ?? null);
      const logits = this.lmHead.forward(out.lastHiddenState).add(this.finalLogitsBias);
      const loss = x.labels ? seq2seqLmLoss(logits, x.labels) : undefined;
      const { lastHiddenState: _, ...rest } = out;
      return { loss, logits, ...rest };
    });
  }
  prepareInputsForGeneration(ids: Tensor, o: Parameters<typeof seq2seqGenerationInputs>[1]): Record<string, unknown> { return seq2seqGenerationInputs(ids, o); }
  /** decoder_input_ids from labels (the labels shifted right), for DataCollatorForSeq2Seq. */
  prepareDecoderInputIdsFromLabels(labels: Tensor): Tensor { return shiftTokensRight(labels, this.config.padTokenId, this.config.decoderStartTokenId, 'BART'); }
  /** Generates target sequences for the inputs (transformers' generate(); see GenerationConfig). */
  readonly generate: GenerateFunction = (o?: GenerateOptions) => generate(this, o as GenerateOptions) as never;
}

export const bartFamily: ModelFamily = {
  modelType: 'bart', modality: 'text', configClass: BartConfig,
  auto: { AutoModel: BartModel, AutoModelForSeq2SeqLM: BartForConditionalGeneration },
};
