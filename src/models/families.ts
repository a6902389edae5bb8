// Every architecture hubtune has, one line each (see registry.ts).
import type { ModelFamily } from './registry';
import { vitFamily } from './vit';
import { bertFamily } from './bert';
import { robertaFamily } from './roberta';
import { distilbertFamily } from './distilbert';

export const FAMILIES: ModelFamily[] = [
  vitFamily,
  bertFamily,
  robertaFamily,
  distilbertFamily,
];
