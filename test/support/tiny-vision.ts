// Tiny stand-ins of the vision families (DeiT, BEiT, Swin, ConvNeXt, ResNet, ViT, CLIP) at 32x32,
// each saved with the image processor its Hub checkpoints use (and, for CLIP, a small CLIPTokenizer
// vocabulary), for the pipeline, Trainer and example tests.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { manualSeed } from '../../src/torch/index';
import { AutoModel, AutoModelForImageClassification, CLIPModel, DeiTForImageClassificationWithTeacher } from '../../src/models/index';
import { ViTImageProcessor } from '../../src/preprocessing/image-processing';
import { BeitImageProcessor, CLIPImageProcessor, ConvNextImageProcessor, DeiTImageProcessor } from '../../src/preprocessing/image-processors';

export const VISION_FAMILIES = ['vit', 'deit', 'beit', 'swin', 'convnext', 'resnet'] as const;
export type VisionFamily = (typeof VISION_FAMILIES)[number];

/** Configs at 32x32 (hidden sizes 8-16, one or two layers). */
export const TINY_VISION: Record<VisionFamily, Record<string, unknown>> = {
  vit: { model_type: 'vit', hidden_size: 16, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 24, image_size: 32, patch_size: 8 },
  deit: { model_type: 'deit', hidden_size: 16, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 24, image_size: 32, patch_size: 8 },
  beit: { model_type: 'beit', hidden_size: 16, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 24, image_size: 32, patch_size: 8, use_relative_position_bias: true, use_mean_pooling: true },
  swin: { model_type: 'swin', embed_dim: 8, depths: [1, 1], num_heads: [2, 2], window_size: 4, image_size: 32, patch_size: 4 },
  convnext: { model_type: 'convnext', hidden_sizes: [8, 16], depths: [1, 1], num_stages: 2, image_size: 32 },
  resnet: { model_type: 'resnet', embedding_size: 8, hidden_sizes: [8, 16], depths: [1, 1], layer_type: 'basic' },
};

/** The processor each family's Hub checkpoints ship (DeiT/BEiT resize 36 then crop 32, ConvNeXt/ResNet crop_pct, Swin/ViT warp). */
export function tinyProcessorFor(family: VisionFamily): ViTImageProcessor {
  switch (family) {
    case 'deit': return new DeiTImageProcessor({ size: { height: 36, width: 36 }, cropSize: { height: 32, width: 32 } });
    case 'beit': return new BeitImageProcessor({ size: { height: 36, width: 36 }, cropSize: { height: 32, width: 32 } });
    case 'convnext': case 'resnet': return new ConvNextImageProcessor({ size: { shortest_edge: 32 }, cropPct: 0.875 });
    default: return new ViTImageProcessor({ size: { height: 32, width: 32 } });
  }
}

/**
 * Saves a tiny model of `family` with its image processor into `dir`: a classifier (labels given) or,
 * like the backbones people fine-tune from the Hub, the bare model (AutoModel).
 */
export async function saveTinyVisionRepo(dir: string, family: VisionFamily, o: { labels?: string[]; seed?: number; teacher?: boolean } = {}): Promise<string> {
  mkdirSync(dir, { recursive: true });
  manualSeed(o.seed ?? 0);
  const labels = o.labels;
  // DeiT's distilled Hub checkpoints are DeiTForImageClassificationWithTeacher
  const fromConfig = (c: Record<string, unknown>) => (o.teacher ? DeiTForImageClassificationWithTeacher.fromConfig(c) : AutoModelForImageClassification.fromConfig(c));
  const m = labels
    ? fromConfig({
      ...TINY_VISION[family], num_labels: labels.length,
      id2label: Object.fromEntries(labels.map((l, i) => [String(i), l])), label2id: Object.fromEntries(labels.map((l, i) => [l, i])),
    })
    : AutoModel.fromConfig({ ...TINY_VISION[family] });
  m.savePretrained(dir);
  m.dispose();
  await tinyProcessorFor(family).savePretrained(dir);
  return dir;
}

const CLIP_WORDS = ['this', 'is', 'a', 'photo', 'of', 'the', 'leaf', 'bean', 'rust', 'healthy', 'spot', 'cat', 'dog', 'red', 'green', 'blue'];

/** vocab.json / merges.txt of a small CLIPTokenizer: ASCII symbols (plain and word-final) and merges spelling CLIP_WORDS. */
export function tinyClipVocab(): { vocab: Record<string, number>; merges: string[] } {
  const vocab: Record<string, number> = {};
  const add = (t: string) => { if (!(t in vocab)) vocab[t] = Object.keys(vocab).length; };
  for (let c = 33; c < 127; c++) add(String.fromCharCode(c));
  for (let c = 33; c < 127; c++) add(`${String.fromCharCode(c)}</w>`);
  const merges: string[] = [];
  for (const w of CLIP_WORDS) {
    // left-to-right merges: "t h" -> "th", "th i" -> "thi", "thi s</w>" -> "this</w>"
    let cur = w[0]!;
    for (let i = 1; i < w.length; i++) {
      const next = i === w.length - 1 ? `${w[i]}</w>` : w[i]!;
      const m = `${cur} ${next}`;
      if (!merges.includes(m)) merges.push(m);
      cur = cur + next;
      add(cur);
    }
  }
  add('<|startoftext|>');
  add('<|endoftext|>');
  return { vocab, merges };
}

/** A tiny CLIPModel repo: weights, CLIPImageProcessor (32x32) and CLIPTokenizer files naming CLIPProcessor. */
export async function saveTinyClipRepo(dir: string, o: { seed?: number } = {}): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const { vocab, merges } = tinyClipVocab();
  writeFileSync(join(dir, 'vocab.json'), JSON.stringify(vocab));
  writeFileSync(join(dir, 'merges.txt'), ['#version: 0.2', ...merges].join('\n') + '\n');
  writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify({
    tokenizer_class: 'CLIPTokenizer', processor_class: 'CLIPProcessor', model_max_length: 16,
    bos_token: '<|startoftext|>', eos_token: '<|endoftext|>', unk_token: '<|endoftext|>', pad_token: '<|endoftext|>',
  }));
  writeFileSync(join(dir, 'special_tokens_map.json'), JSON.stringify({ bos_token: '<|startoftext|>', eos_token: '<|endoftext|>', unk_token: '<|endoftext|>', pad_token: '<|endoftext|>' }));
  manualSeed(o.seed ?? 0);
  const n = Object.keys(vocab).length;
  const m = CLIPModel.fromConfig({
    model_type: 'clip', projection_dim: 8, architectures: ['CLIPModel'],
    text_config: { vocab_size: n, hidden_size: 16, intermediate_size: 24, num_hidden_layers: 1, num_attention_heads: 2, max_position_embeddings: 16, bos_token_id: n - 2, eos_token_id: n - 1, pad_token_id: n - 1 },
    vision_config: { hidden_size: 16, intermediate_size: 24, num_hidden_layers: 1, num_attention_heads: 2, image_size: 32, patch_size: 8 },
  });
  m.savePretrained(dir);
  m.dispose();
  const p = new CLIPImageProcessor({ size: { shortest_edge: 32 }, cropSize: { height: 32, width: 32 } });
  p.extra.processor_class = 'CLIPProcessor';
  await p.savePretrained(dir);
  return dir;
}
