// Every architecture hubtune has, one line each (see registry.ts).
import type { ModelFamily } from './registry';
import { vitFamily } from './vit';
import { bertFamily } from './bert';
import { robertaFamily } from './roberta';
import { distilbertFamily } from './distilbert';
import { gpt2Family } from './gpt2';
import { llamaFamily, mistralFamily, qwen2Family } from './llama';
import { xlmRobertaFamily } from './xlm-roberta';
import { camembertFamily } from './camembert';
import { deitFamily } from './deit';
import { beitFamily } from './beit';
import { swinFamily } from './swin';
import { convnextFamily } from './convnext';
import { resnetFamily } from './resnet';
import { clipFamily, clipTextFamily, clipVisionFamily } from './clip/index';
import { t5Family } from './t5';
import { bartFamily } from './bart';
import { albertFamily } from './albert';
import { electraFamily } from './electra';
import { debertaV2Family } from './deberta-v2';

export const FAMILIES: ModelFamily[] = [
  vitFamily,
  bertFamily,
  robertaFamily,
  distilbertFamily,
  gpt2Family,
  llamaFamily,
  mistralFamily,
  qwen2Family,
  xlmRobertaFamily,
  camembertFamily,
  deitFamily,
  beitFamily,
  swinFamily,
  convnextFamily,
  resnetFamily,
  clipFamily,
  clipTextFamily,
  clipVisionFamily,
  t5Family,
  bartFamily,
  albertFamily,
  electraFamily,
  debertaV2Family,
];
