// Tiny model folders for the pipeline and CLI tests (built once per process, in a temp folder):
// a ViT image classifier with its image processor, and RoBERTa classifier / masked-LM / base models
// sharing a byte-level BPE tokenizer trained on a small synthetic corpus. Also a tiny beans-like
// imagefolder and MRPC-like json dataset.
import { mkdtempSync, readdirSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { manualSeed } from '../../src/torch/index';
import { ViTForImageClassification, RobertaForSequenceClassification, RobertaForMaskedLM, RobertaModel } from '../../src/models/index';
import { ViTImageProcessor } from '../../src/preprocessing/image-processing';
import { buildVocabFiles, generateCorpus, generateParaphraseDataset } from '../../src/demo/text-data';
import { generateBeansLike, BEANS_LABELS } from '../../src/demo/data';

export interface Fixtures {
  root: string;
  vit: string;
  robertaCls: string;
  robertaMlm: string;
  robertaBase: string;
  images: string;
  imageFiles: string[];
  paraphrase: { dir: string; files: Record<string, string> };
}

let cached: Promise<Fixtures> | null = null;

const VIT = {
  model_type: 'vit', hidden_size: 16, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 32,
  image_size: 32, patch_size: 8, num_channels: 3, hidden_dropout_prob: 0.0, attention_probs_dropout_prob: 0.0,
};
const roberta = (vocab: number) => ({
  model_type: 'roberta', vocab_size: vocab, hidden_size: 16, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 32,
  max_position_embeddings: 66, type_vocab_size: 1, pad_token_id: 1, bos_token_id: 0, eos_token_id: 2,
});

export function fixtures(): Promise<Fixtures> {
  cached ??= build();
  return cached;
}

async function build(): Promise<Fixtures> {
  const root = mkdtempSync(join(tmpdir(), 'hubtune-pipe-'));
  manualSeed(0);
  const id2label = Object.fromEntries(BEANS_LABELS.map((l, i) => [i, l]));
  const label2id = Object.fromEntries(BEANS_LABELS.map((l, i) => [l, i]));
  const vitDir = join(root, 'vit');
  const vit = ViTForImageClassification.fromConfig({ ...VIT, id2label, label2id, architectures: ['ViTForImageClassification'] });
  vit.savePretrained(vitDir);
  await new ViTImageProcessor({ size: { height: 32, width: 32 } }).savePretrained(vitDir);

  const tokDir = join(root, 'tokenizer');
  const vocab = await buildVocabFiles({ corpus: generateCorpus({ seed: 3, numSentences: 300 }), outDir: tokDir, vocabSize: 300, modelMaxLength: 64 });
  const withTok = (dir: string) => { for (const f of readdirSync(tokDir)) cpSync(join(tokDir, f), join(dir, f)); return dir; };
  const robertaCls = join(root, 'roberta-cls');
  RobertaForSequenceClassification.fromConfig({ ...roberta(vocab.vocabSize), id2label: { 0: 'NEGATIVE', 1: 'POSITIVE' }, label2id: { NEGATIVE: 0, POSITIVE: 1 }, architectures: ['RobertaForSequenceClassification'] }).savePretrained(robertaCls);
  const robertaMlm = join(root, 'roberta-mlm');
  RobertaForMaskedLM.fromConfig({ ...roberta(vocab.vocabSize), architectures: ['RobertaForMaskedLM'] }).savePretrained(robertaMlm);
  const robertaBase = join(root, 'roberta-base');
  RobertaModel.fromConfig({ ...roberta(vocab.vocabSize), architectures: ['RobertaModel'] }).savePretrained(robertaBase);
  for (const d of [robertaCls, robertaMlm, robertaBase]) withTok(d);

  const images = join(root, 'leaves');
  await generateBeansLike({ outDir: images, seed: 1, counts: { train: 12, validation: 6, test: 6 }, size: 32 });
  const imageFiles = BEANS_LABELS.map((l) => join(images, 'test', l, readdirSync(join(images, 'test', l)).sort()[0]));
  const paraphrase = await generateParaphraseDataset({ outDir: join(root, 'paraphrase'), seed: 1, counts: { train: 24, validation: 8, test: 8 } });
  return { root, vit: vitDir, robertaCls, robertaMlm, robertaBase, images, imageFiles, paraphrase };
}
