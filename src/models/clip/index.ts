// CLIP: configs, towers and model classes, and its three registry entries (the composite model and
// each tower, as transformers registers clip, clip_text_model and clip_vision_model).
import type { ModelFamily } from '../registry';
import { CLIPConfig, CLIPTextConfig, CLIPVisionConfig } from './config';
import { CLIPModel, CLIPTextModel, CLIPTextModelWithProjection, CLIPVisionModel, CLIPVisionModelWithProjection } from './models';

export * from './config';
export * from './modeling';
export * from './models';

export const clipFamily: ModelFamily = {
  modelType: 'clip', modality: 'multimodal', configClass: CLIPConfig,
  auto: { AutoModel: CLIPModel, AutoModelForZeroShotImageClassification: CLIPModel },
  towers: { text: CLIPTextModel, vision: CLIPVisionModel },
};
export const clipTextFamily: ModelFamily = {
  modelType: 'clip_text_model', modality: 'text', configClass: CLIPTextConfig,
  auto: { AutoModel: CLIPTextModel }, others: [CLIPTextModelWithProjection],
};
export const clipVisionFamily: ModelFamily = {
  modelType: 'clip_vision_model', modality: 'vision', configClass: CLIPVisionConfig,
  auto: { AutoModel: CLIPVisionModel }, others: [CLIPVisionModelWithProjection],
};
