// CLIP's configs (transformers' models/clip/configuration_clip.py): a text tower (clip_text_model),
// a vision tower (clip_vision_model) and the composite (clip) holding both plus the projection size.
// A tower's config also loads from a composite config.json (its text_config / vision_config).
import { PretrainedConfig, ConfigError, checkActivation, type FieldSpec } from '../config';

/** Fields both towers share. */
const TOWER_FIELDS: FieldSpec[] = [
  ['hiddenSize', 'hidden_size', 768],
  ['intermediateSize', 'intermediate_size', 3072],
  ['projectionDim', 'projection_dim', 512],
  ['numHiddenLayers', 'num_hidden_layers', 12],
  ['numAttentionHeads', 'num_attention_heads', 12],
  ['hiddenAct', 'hidden_act', 'quick_gelu'],
  ['layerNormEps', 'layer_norm_eps', 1e-5],
  ['attentionDropout', 'attention_dropout', 0.0],
  ['initializerRange', 'initializer_range', 0.02],
  ['initializerFactor', 'initializer_factor', 1.0],
];

abstract class CLIPTowerConfig extends PretrainedConfig {
  /** The key of this tower's config inside a composite (model_type 'clip') config.json. */
  static readonly compositeKey: string = '';
  declare hiddenSize: number;
  declare intermediateSize: number;
  declare projectionDim: number;
  declare numHiddenLayers: number;
  declare numAttentionHeads: number;
  declare hiddenAct: string;
  declare layerNormEps: number;
  declare attentionDropout: number;
  declare initializerRange: number;
  declare initializerFactor: number;

  /** Like transformers' CLIP*Config.from_pretrained: a composite config gives its tower's part. */
  static override fromDict<T extends typeof PretrainedConfig>(this: T, json: Record<string, unknown>): InstanceType<T> {
    const key = (this as unknown as typeof CLIPTowerConfig).compositeKey;
    let d = json;
    if (json.model_type === 'clip') {
      const sub = json[key];
      if (!sub || typeof sub !== 'object') throw new ConfigError(`a CLIP config.json needs "${key}" to build a ${this.name}`);
      d = sub as Record<string, unknown>;
    }
    const c = new this(d) as InstanceType<T>;
    c.validate();
    return c;
  }
  static override readsModelType(modelType: unknown): boolean {
    return modelType === this.modelType || modelType === 'clip';
  }

  override validate(): void {
    super.validate();
    this.divisible('hidden_size', this.hiddenSize, 'num_attention_heads', this.numAttentionHeads);
    for (const [j, v] of [['num_hidden_layers', this.numHiddenLayers], ['intermediate_size', this.intermediateSize], ['projection_dim', this.projectionDim]] as const) this.positive(j, v);
    this.probability('attention_dropout', this.attentionDropout);
    checkActivation('hidden_act', this.hiddenAct);
  }
}

export class CLIPTextConfig extends CLIPTowerConfig {
  static override readonly modelType: string = 'clip_text_model';
  static override readonly compositeKey: string = 'text_config';
  static override readonly fields: FieldSpec[] = [
    ['vocabSize', 'vocab_size', 49408],
    ...TOWER_FIELDS.map((f): FieldSpec => (f[0] === 'hiddenSize' ? [f[0], f[1], 512] : f[0] === 'intermediateSize' ? [f[0], f[1], 2048]
      : f[0] === 'numAttentionHeads' ? [f[0], f[1], 8] : f)),
    ['maxPositionEmbeddings', 'max_position_embeddings', 77],
  ];
  declare vocabSize: number;
  declare maxPositionEmbeddings: number;
  constructor(values: Record<string, unknown> = {}) {
    // transformers' CLIPTextConfig defaults for the special tokens
    super({ pad_token_id: 1, bos_token_id: 0, eos_token_id: 2, ...values });
  }
  override validate(): void {
    super.validate();
    this.positive('vocab_size', this.vocabSize);
    this.positive('max_position_embeddings', this.maxPositionEmbeddings);
  }
}

export class CLIPVisionConfig extends CLIPTowerConfig {
  static override readonly modelType: string = 'clip_vision_model';
  static override readonly compositeKey: string = 'vision_config';
  static override readonly fields: FieldSpec[] = [
    ...TOWER_FIELDS,
    ['numChannels', 'num_channels', 3],
    ['imageSize', 'image_size', 224],
    ['patchSize', 'patch_size', 32],
  ];
  declare numChannels: number;
  declare imageSize: number;
  declare patchSize: number;
  override validate(): void {
    super.validate();
    for (const [j, v] of [['num_channels', this.numChannels], ['image_size', this.imageSize], ['patch_size', this.patchSize]] as const) this.positive(j, v);
    if (this.imageSize % this.patchSize !== 0) throw new ConfigError(`image_size (${this.imageSize}) is not a multiple of patch_size (${this.patchSize})`);
  }
}

export class CLIPConfig extends PretrainedConfig {
  static override readonly modelType: string = 'clip';
  static override readonly fields: FieldSpec[] = [
    ['projectionDim', 'projection_dim', 512],
    ['logitScaleInitValue', 'logit_scale_init_value', 2.6592],
    ['initializerFactor', 'initializer_factor', 1.0],
  ];
  declare projectionDim: number;
  declare logitScaleInitValue: number;
  declare initializerFactor: number;
  textConfig: CLIPTextConfig;
  visionConfig: CLIPVisionConfig;

  /** text_config / vision_config as objects (config.json) or config instances; text_config_dict / vision_config_dict (older files) override them. */
  constructor(values: Record<string, unknown> = {}) {
    const { text_config, vision_config, textConfig, visionConfig, text_config_dict, vision_config_dict, ...rest } = values;
    super(rest);
    const sub = <C extends CLIPTowerConfig>(C: new (v: Record<string, unknown>) => C, given: unknown, dict: unknown): C => {
      const base = given instanceof PretrainedConfig ? given.toDict({ full: true }) : (given as Record<string, unknown> | undefined) ?? {};
      const c = new C({ ...base, ...((dict as Record<string, unknown> | undefined) ?? {}) });
      c.attnImplementation = this.attnImplementation;
      return c;
    };
    this.textConfig = sub(CLIPTextConfig, text_config ?? textConfig, text_config_dict);
    this.visionConfig = sub(CLIPVisionConfig, vision_config ?? visionConfig, vision_config_dict);
    // transformers 4.29 sets initializer_factor to 1.0 whatever the file says
    this.initializerFactor = 1.0;
  }

  /** The composite from its two towers (transformers' from_text_vision_configs). */
  static fromTextVisionConfigs(text: CLIPTextConfig, vision: CLIPVisionConfig, o: Record<string, unknown> = {}): CLIPConfig {
    return CLIPConfig.fromDict({ ...o, text_config: text.toDict({ full: true }), vision_config: vision.toDict({ full: true }) });
  }

  override validate(): void {
    super.validate();
    this.positive('projection_dim', this.projectionDim);
    this.textConfig.attnImplementation = this.attnImplementation;
    this.visionConfig.attnImplementation = this.attnImplementation;
    this.textConfig.validate();
    this.visionConfig.validate();
  }

  override toDict(o: { full?: boolean } = {}): Record<string, unknown> {
    const d = super.toDict(o);
    const out = { ...d, text_config: this.textConfig.toDict({ full: true }), vision_config: this.visionConfig.toDict({ full: true }) };
    return Object.fromEntries(Object.keys(out).sort().map((k) => [k, (out as Record<string, unknown>)[k]]));
  }
}
