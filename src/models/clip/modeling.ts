// CLIP (transformers' models/clip/modeling_clip.py): a causal text transformer pooled at the first
// end-of-text token (the largest id), a ViT-style vision transformer pooled at [CLS], linear
// projections into one space, and logits = exp(logit_scale) * cosine similarity; the contrastive
// loss (return_loss) is the mean of the text->image and image->text cross-entropies.
import { Tensor, tidy, arange, zeros, cat, nn, F, type DType } from '../../torch/index';
import { Module, ModuleList } from '../../torch/nn/module';
import { PreTrainedModel } from '../modeling-utils';
import { PretrainedConfig } from '../config';
import { normalizeInputs, asLong, type ModelInputs, type BaseModelOutput, type NormalizedInputs } from '../blocks/inputs';
import { causalMask, expandPaddingMask } from '../blocks/decoder-masks';
import { runLayers } from '../blocks/layers';
import { checkPixelValues } from '../blocks/vision';
import type { CLIPTextConfig, CLIPVisionConfig } from './config';

type TowerConfig = CLIPTextConfig | CLIPVisionConfig;

/**
 * CLIP's attention, op for op in the eager path: q_proj(h) * head_dim^-0.5, heads folded into the
 * batch, bmm, + causal mask, + padding mask, softmax, dropout, bmm; the fused kernel otherwise.
 */
export class CLIPAttention extends Module {
  readonly kProj: nn.Linear;
  readonly vProj: nn.Linear;
  readonly qProj: nn.Linear;
  readonly outProj: nn.Linear;
  constructor(readonly c: TowerConfig) {
    super();
    const e = c.hiddenSize;
    this.kProj = this.registerModule('k_proj', new nn.Linear(e, e));
    this.vProj = this.registerModule('v_proj', new nn.Linear(e, e));
    this.qProj = this.registerModule('q_proj', new nn.Linear(e, e));
    this.outProj = this.registerModule('out_proj', new nn.Linear(e, e));
  }
  forward(h: Tensor, mask: Tensor | null, causalMask: Tensor | null, needWeights: boolean): { output: Tensor; probs: Tensor | null } {
    return tidy(() => {
      const [b, l, e] = h.shape as [number, number, number];
      const heads = this.c.numAttentionHeads;
      const d = e / heads;
      const p = this.training ? this.c.attentionDropout : 0;
      const shape = (x: Tensor) => x.view(b, -1, heads, d).transpose(1, 2).contiguous();
      let context: Tensor;
      let probs: Tensor | null = null;
      if (needWeights || this.c.attnImplementation === 'eager') {
        const q = shape(this.qProj.forward(h).mul(d ** -0.5)).view(b * heads, -1, d);
        const k = shape(this.kProj.forward(h)).view(b * heads, -1, d);
        const v = shape(this.vProj.forward(h)).view(b * heads, -1, d);
        let w = q.bmm(k.transpose(1, 2));
        if (causalMask) w = w.view(b, heads, l, l).add(causalMask).view(b * heads, l, l);
        if (mask) w = w.view(b, heads, l, l).add(mask).view(b * heads, l, l);
        w = w.softmax(-1);
        if (needWeights) probs = w.view(b, heads, l, l);
        context = F.dropout(w, p, p > 0).bmm(v).view(b, heads, l, d);
      } else {
        let m: Tensor | null = causalMask;
        if (mask) m = m ? m.add(mask) : mask;
        context = F.scaledDotProductAttention(shape(this.qProj.forward(h)), shape(this.kProj.forward(h)), shape(this.vProj.forward(h)), { attnMask: m, dropoutP: p }).output;
      }
      return { output: this.outProj.forward(context.transpose(1, 2).reshape(b, l, e)), probs };
    });
  }
}

export class CLIPMLP extends Module {
  readonly fc1: nn.Linear;
  readonly fc2: nn.Linear;
  private readonly act: (x: Tensor) => Tensor;
  constructor(readonly c: TowerConfig) {
    super();
    this.act = F.getActivation(c.hiddenAct);
    this.fc1 = this.registerModule('fc1', new nn.Linear(c.hiddenSize, c.intermediateSize));
    this.fc2 = this.registerModule('fc2', new nn.Linear(c.intermediateSize, c.hiddenSize));
  }
  forward(h: Tensor): Tensor { return tidy(() => this.fc2.forward(this.act(this.fc1.forward(h)))); }
}

/** Pre-LN: h + attn(LN1(h)), then h + mlp(LN2(h)). */
export class CLIPEncoderLayer extends Module {
  readonly selfAttn: CLIPAttention;
  readonly layerNorm1: nn.LayerNorm;
  readonly mlp: CLIPMLP;
  readonly layerNorm2: nn.LayerNorm;
  constructor(c: TowerConfig) {
    super();
    this.selfAttn = this.registerModule('self_attn', new CLIPAttention(c));
    this.layerNorm1 = this.registerModule('layer_norm1', new nn.LayerNorm(c.hiddenSize, c.layerNormEps));
    this.mlp = this.registerModule('mlp', new CLIPMLP(c));
    this.layerNorm2 = this.registerModule('layer_norm2', new nn.LayerNorm(c.hiddenSize, c.layerNormEps));
  }
  forward(h: Tensor, mask: Tensor | null, causalMask: Tensor | null, needWeights: boolean): { hidden: Tensor; probs: Tensor | null } {
    return tidy(() => {
      const a = this.selfAttn.forward(this.layerNorm1.forward(h), mask, causalMask, needWeights);
      const h2 = h.add(a.output);
      return { hidden: h2.add(this.mlp.forward(this.layerNorm2.forward(h2))), probs: a.probs };
    });
  }
}

export class CLIPEncoder extends Module {
  readonly layers: ModuleList<CLIPEncoderLayer>;
  constructor(c: TowerConfig) {
    super();
    this.layers = this.registerModule('layers', new ModuleList(Array.from({ length: c.numHiddenLayers }, () => new CLIPEncoderLayer(c))));
  }
  forward(h: Tensor, mask: Tensor | null, causalMask: Tensor | null, outputHiddenStates: boolean, outputAttentions: boolean): BaseModelOutput {
    return runLayers(this.layers, h, { outputHiddenStates, outputAttentions, args: [mask, causalMask] });
  }
}

export class CLIPTextEmbeddings extends Module {
  readonly tokenEmbedding: nn.Embedding;
  readonly positionEmbedding: nn.Embedding;
  constructor(readonly c: CLIPTextConfig) {
    super();
    this.tokenEmbedding = this.registerModule('token_embedding', new nn.Embedding(c.vocabSize, c.hiddenSize));
    this.positionEmbedding = this.registerModule('position_embedding', new nn.Embedding(c.maxPositionEmbeddings, c.hiddenSize));
  }
  forward(ids: Tensor, positionIds?: Tensor): Tensor {
    return tidy(() => {
      const len = ids.shape[ids.ndim - 1]!;
      if (len > this.c.maxPositionEmbeddings) {
        throw new Error(`the texts have ${len} tokens but the CLIP text model takes at most max_position_embeddings=${this.c.maxPositionEmbeddings}: tokenize with truncation (maxLength ${this.c.maxPositionEmbeddings})`);
      }
      const pos = positionIds ? asLong(positionIds) : arange(0, len, 1, { dtype: 'int64', device: ids.device }).unsqueeze(0);
      return this.tokenEmbedding.forward(ids).add(this.positionEmbedding.forward(pos));
    });
  }
}

export interface CLIPTowerOutput extends BaseModelOutput { poolerOutput: Tensor }

export class CLIPTextTransformer extends Module {
  readonly embeddings: CLIPTextEmbeddings;
  readonly encoder: CLIPEncoder;
  readonly finalLayerNorm: nn.LayerNorm;
  constructor(readonly c: CLIPTextConfig) {
    super();
    this.embeddings = this.registerModule('embeddings', new CLIPTextEmbeddings(c));
    this.encoder = this.registerModule('encoder', new CLIPEncoder(c));
    this.finalLayerNorm = this.registerModule('final_layer_norm', new nn.LayerNorm(c.hiddenSize, c.layerNormEps));
  }
  /** Pooled at each row's largest input id (the first end-of-text token in CLIP's vocabulary). */
  run(x: NormalizedInputs): CLIPTowerOutput {
    if (!x.inputIds) throw new Error('the CLIP text model needs inputIds (input_ids): tokenize the texts with the CLIP tokenizer (or CLIPProcessor)');
    const ids = asLong(x.inputIds).view(-1, x.inputIds.shape[x.inputIds.ndim - 1]!);
    const h = this.embeddings.forward(ids, x.positionIds);
    const [b, l] = ids.shape as [number, number];
    const causal = causalMask(b, l, 0, h.dtype as DType);
    const mask = x.attentionMask ? expandPaddingMask(x.attentionMask, h.dtype as DType, l) : null;
    const out = this.encoder.forward(h, mask, causal, x.outputHiddenStates, x.outputAttentions);
    const last = this.finalLayerNorm.forward(out.lastHiddenState);
    if (!x.outputHiddenStates) out.lastHiddenState.dispose();
    const pooled = tidy(() => last.index([arange(0, b, 1, { dtype: 'int64', device: last.device }), ids.argmax(-1)]));
    return { ...out, lastHiddenState: last, poolerOutput: pooled };
  }
}

export class CLIPVisionEmbeddings extends Module {
  readonly classEmbedding: Tensor;
  readonly patchEmbedding: nn.Conv2d;
  readonly positionEmbedding: nn.Embedding;
  constructor(readonly c: CLIPVisionConfig) {
    super();
    this.classEmbedding = this.registerParameter('class_embedding', zeros([c.hiddenSize]));
    this.patchEmbedding = this.registerModule('patch_embedding', new nn.Conv2d(c.numChannels, c.hiddenSize, c.patchSize, { stride: c.patchSize, bias: false }));
    this.positionEmbedding = this.registerModule('position_embedding', new nn.Embedding((c.imageSize / c.patchSize) ** 2 + 1, c.hiddenSize));
  }
  forward(pixels: Tensor): Tensor {
    return tidy(() => {
      const b = pixels.shape[0]!;
      const w = this.patchEmbedding.weight;
      const patches = this.patchEmbedding.forward(pixels.dtype === w.dtype ? pixels : pixels.to(w.dtype)).flatten(2).transpose(1, 2);
      const n = this.positionEmbedding.numEmbeddings;
      const pos = this.positionEmbedding.forward(arange(0, n, 1, { dtype: 'int64', device: pixels.device }).unsqueeze(0));
      return cat([this.classEmbedding.expand(b, 1, -1), patches], 1).add(pos);
    });
  }
}

export class CLIPVisionTransformer extends Module {
  readonly embeddings: CLIPVisionEmbeddings;
  readonly preLayrnorm: nn.LayerNorm;
  readonly encoder: CLIPEncoder;
  readonly postLayernorm: nn.LayerNorm;
  constructor(readonly c: CLIPVisionConfig) {
    super();
    this.embeddings = this.registerModule('embeddings', new CLIPVisionEmbeddings(c));
    this.preLayrnorm = this.registerModule('pre_layrnorm', new nn.LayerNorm(c.hiddenSize, c.layerNormEps));
    this.encoder = this.registerModule('encoder', new CLIPEncoder(c));
    this.postLayernorm = this.registerModule('post_layernorm', new nn.LayerNorm(c.hiddenSize, c.layerNormEps));
  }
  /** last_hidden_state without the final LayerNorm; pooler_output = post_layernorm([CLS]). */
  run(x: NormalizedInputs, model: string): CLIPTowerOutput {
    const c = this.c;
    const px = checkPixelValues(x.pixelValues, { model, numChannels: c.numChannels, imageSize: [c.imageSize, c.imageSize] });
    const h = this.preLayrnorm.forward(this.embeddings.forward(px));
    const out = this.encoder.forward(h, null, null, x.outputHiddenStates, x.outputAttentions);
    return { ...out, poolerOutput: tidy(() => this.postLayernorm.forward(out.lastHiddenState.select(1, 0))) };
  }
}

/** transformers' CLIPPreTrainedModel: initialisation with initializer_factor, shared by every CLIP class. */
export abstract class CLIPPreTrainedModel<C extends PretrainedConfig = PretrainedConfig> extends PreTrainedModel<C> {
  static override baseModelPrefix = 'clip';
  protected get factor(): number { return (this.config as unknown as { initializerFactor: number }).initializerFactor ?? 1; }
  protected initModule(m: Module): void {
    const f = this.factor;
    if (m instanceof CLIPTextEmbeddings) {
      nn.init.normal_(m.tokenEmbedding.weight, 0, f * 0.02);
      nn.init.normal_(m.positionEmbedding.weight, 0, f * 0.02);
    } else if (m instanceof CLIPVisionEmbeddings) {
      nn.init.normal_(m.classEmbedding, 0, m.c.hiddenSize ** -0.5 * f);
      nn.init.normal_(m.patchEmbedding.weight, 0, m.c.initializerRange * f);
      nn.init.normal_(m.positionEmbedding.weight, 0, m.c.initializerRange * f);
    } else if (m instanceof CLIPAttention) {
      const inStd = m.c.hiddenSize ** -0.5 * (2 * m.c.numHiddenLayers) ** -0.5 * f;
      for (const l of [m.qProj, m.kProj, m.vProj]) nn.init.normal_(l.weight, 0, inStd);
      nn.init.normal_(m.outProj.weight, 0, m.c.hiddenSize ** -0.5 * f);
    } else if (m instanceof CLIPMLP) {
      nn.init.normal_(m.fc1.weight, 0, (2 * m.c.hiddenSize) ** -0.5 * f);
      nn.init.normal_(m.fc2.weight, 0, m.c.hiddenSize ** -0.5 * (2 * m.c.numHiddenLayers) ** -0.5 * f);
    }
    this.initProjections(m, f);
    if (m instanceof nn.LayerNorm) {
      nn.init.ones_(m.weight);
      nn.init.zeros_(m.bias);
    }
    if (m instanceof nn.Linear && m.bias) nn.init.zeros_(m.bias);
  }
  /** The projections' init (CLIPModel and the *WithProjection classes). */
  protected initProjections(_m: Module, _f: number): void {}
}

export const CLIP_TEXT_ARGS = ['input_ids', 'attention_mask', 'position_ids', 'output_attentions', 'output_hidden_states'] as const;
export const CLIP_VISION_ARGS = ['pixel_values', 'output_attentions', 'output_hidden_states'] as const;

