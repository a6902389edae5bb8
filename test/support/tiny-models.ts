// Tiny stand-ins for the course's models and datasets, built with hubtune's own modules: a tiny ViT
// (google/vit-base-patch16-224-in21k's layout at 32x32, hidden 16) and a tiny RoBERTa
// (distilroberta-base's layout, hidden 16, with a byte-level BPE tokenizer trained on synthetic text),
// beans-like and MRPC-like datasets, and helpers to upload them all to the local Hub server.
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { manualSeed } from '../../src/torch/index';
import { ViTModel, ViTForImageClassification, RobertaForSequenceClassification } from '../../src/models/index';
import { ViTImageProcessor } from '../../src/preprocessing/image-processing';
import { buildVocabFiles, generateCorpus, generateParaphraseDataset } from '../../src/demo/text-data';
import { generateBeansLike } from '../../src/demo/data';
import { Dataset } from '../../src/datasets/index';
import type { HubServer } from './hub-server';

export const TINY_VIT_CONFIG = {
  model_type: 'vit', hidden_size: 16, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 32,
  image_size: 32, patch_size: 8, num_channels: 3, hidden_dropout_prob: 0.0, attention_probs_dropout_prob: 0.0,
};

export function tinyRobertaConfig(vocabSize: number, o: { numLabels?: number; dropout?: number } = {}): Record<string, unknown> {
  return {
    model_type: 'roberta', vocab_size: vocabSize, hidden_size: 16, num_hidden_layers: 1, num_attention_heads: 2,
    intermediate_size: 32, max_position_embeddings: 130, type_vocab_size: 1, pad_token_id: 1, bos_token_id: 0, eos_token_id: 2,
    hidden_dropout_prob: o.dropout ?? 0.1, attention_probs_dropout_prob: o.dropout ?? 0.1, num_labels: o.numLabels ?? 2,
  };
}

/** A tiny ViT classifier (random init with `seed`), not saved. */
export function tinyVit(o: { seed?: number; numLabels?: number } = {}): ViTForImageClassification {
  manualSeed(o.seed ?? 0);
  return ViTForImageClassification.fromConfig({ ...TINY_VIT_CONFIG, num_labels: o.numLabels ?? 3 }) as ViTForImageClassification;
}

/** A tiny RoBERTa sequence classifier (random init with `seed`), not saved. */
export function tinyRoberta(o: { seed?: number; numLabels?: number; vocabSize?: number; dropout?: number } = {}): RobertaForSequenceClassification {
  manualSeed(o.seed ?? 0);
  return RobertaForSequenceClassification.fromConfig(tinyRobertaConfig(o.vocabSize ?? 64, o)) as RobertaForSequenceClassification;
}

/** A tiny text-classification dataset of token ids (no tokenizer needed): label = whether token 5 appears. */
export function tinyTextDataset(n: number, o: { seed?: number; vocabSize?: number; maxLen?: number } = {}): Dataset {
  let s = (o.seed ?? 1) >>> 0;
  const rnd = () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s / 2 ** 32; };
  const V = o.vocabSize ?? 64, L = o.maxLen ?? 12;
  const input_ids: number[][] = [], attention_mask: number[][] = [], label: number[] = [];
  for (let i = 0; i < n; i++) {
    const len = 4 + Math.floor(rnd() * (L - 4));
    const ids = [0];
    for (let j = 0; j < len - 2; j++) ids.push(3 + Math.floor(rnd() * (V - 3)));
    ids.push(2);
    input_ids.push(ids);
    attention_mask.push(ids.map(() => 1));
    label.push(ids.includes(5) || ids.includes(6) ? 1 : 0);
  }
  return Dataset.fromDict({ input_ids, attention_mask, label });
}

/** A tiny image dataset of [3, 32, 32] pixel arrays: label = brightest channel. */
export function tinyImageDataset(n: number, o: { seed?: number } = {}): Dataset {
  let s = (o.seed ?? 1) >>> 0;
  const rnd = () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s / 2 ** 32; };
  const pixel_values: number[][][][] = [], label: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = i % 3;
    pixel_values.push([0, 1, 2].map((ch) => Array.from({ length: 32 }, () => Array.from({ length: 32 }, () => (ch === c ? 0.5 : -0.5) + (rnd() - 0.5) * 0.6))));
    label.push(c);
  }
  return Dataset.fromDict({ pixel_values, label });
}

// ------------------------------------------------------------------ Hub repos

function filesOf(dir: string): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out[relative(dir, p).split('\\').join('/')] = readFileSync(p);
    }
  };
  walk(dir);
  return out;
}

/** Saves a tiny ViT repo (weights, config, preprocessor_config.json at 32x32) into `dir`. */
export async function saveTinyVitRepo(dir: string, o: { seed?: number } = {}): Promise<string> {
  mkdirSync(dir, { recursive: true });
  // Like google/vit-base-patch16-224-in21k: a backbone (ViTModel) without a classifier.
  manualSeed(o.seed ?? 0);
  const m = ViTModel.fromConfig({ ...TINY_VIT_CONFIG });
  m.savePretrained(dir);
  await new ViTImageProcessor({ size: { height: 32, width: 32 } } as never).savePretrained(dir);
  return dir;
}

/** Saves a tiny RoBERTa repo (weights, config, byte-level BPE tokenizer) into `dir`. */
export async function saveTinyRobertaRepo(dir: string, o: { seed?: number } = {}): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const { vocabSize } = await buildVocabFiles({ corpus: generateCorpus({ seed: 3, numSentences: 300 }), outDir: dir, vocabSize: 300, modelMaxLength: 128 });
  const m = tinyRoberta({ seed: o.seed ?? 0, vocabSize, numLabels: 2 });
  m.savePretrained(dir);
  return dir;
}

/** A beans-like imagefolder dataset (train/validation/test, 3 classes) in `dir`. */
export async function saveTinyBeansDataset(dir: string, counts = { train: 24, validation: 9, test: 9 }): Promise<string> {
  await generateBeansLike({ outDir: dir, counts, size: 32, seed: 1 });
  return dir;
}

/** An MRPC-like dataset (jsonl per split) in `dir`. */
export async function saveTinyMrpcDataset(dir: string, counts = { train: 32, validation: 16, test: 16 }): Promise<string> {
  await generateParaphraseDataset({ outDir: dir, counts, seed: 2 });
  return dir;
}

/** Uploads a local folder as a Hub repo. */
export function addFolderRepo(hub: HubServer, type: 'model' | 'dataset', id: string, dir: string): void {
  hub.addRepo({ type, id, files: filesOf(dir) } as never);
}

export { writeFileSync };

/** Pads input_ids (with 1, RoBERTa's pad id) and attention_mask (0) to the longest row; label -> labels. */
export async function padCollator(rows: Record<string, unknown>[]): Promise<Record<string, unknown>> {
  const { tensor } = await import('../../src/torch/index');
  const ids = rows.map((r) => r.input_ids as number[]);
  const L = Math.max(...ids.map((r) => r.length));
  return {
    input_ids: tensor(ids.map((r) => [...r, ...new Array(L - r.length).fill(1)]), { dtype: 'int64' }),
    attention_mask: tensor(ids.map((r) => [...r.map(() => 1), ...new Array(L - r.length).fill(0)]), { dtype: 'int64' }),
    labels: tensor(rows.map((r) => r.label as number), { dtype: 'int64' }),
  };
}
