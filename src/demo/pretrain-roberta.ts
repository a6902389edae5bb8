// Pretrains the demo's small RoBERTa with masked-LM on synthetic sentence pairs (generatePairCorpus in
// src/demo/text-data.ts: rewordings of one event, one-detail variants, unrelated sentences), so that
// the paraphrase demo can show transfer learning offline: a masked word in one sentence is often
// readable from the other, which teaches the encoder to align two sentences (synonyms, voice, number
// formats), what the paraphrase task needs and 2000 labelled pairs cannot teach a model from scratch. Deterministic for a seed (one
// thread). Writes an HF-format folder: config.json, model.safetensors, the byte-level BPE tokenizer
// files from buildVocabFiles, README.md. `scripts/pretrain-roberta.ts` writes assets/roberta-tiny-mlm/.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { manualSeed, tidy, noGrad, optim, setNumThreads } from '../torch/index';
import { RobertaConfig, RobertaForMaskedLM } from '../models/index';
import { AutoTokenizer } from '../preprocessing/auto-tokenizer';
import { DataCollatorForLanguageModeling } from '../preprocessing/collators';
import { generatePairCorpus, buildVocabFiles } from './text-data';
import { createRng } from './rng';

export interface PretrainRobertaParams {
  outDir: string;
  seed?: number;
  /** Sentence pairs generated for pretraining (default 30000); the last 500 are held out. */
  numPairs?: number;
  /** Fraction of masked tokens (default 0.25). */
  mlmProbability?: number;
  vocabSize?: number;
  hiddenSize?: number;
  numLayers?: number;
  numHeads?: number;
  intermediateSize?: number;
  maxLength?: number;
  steps?: number;
  batchSize?: number;
  learningRate?: number;
  log?: (line: string) => void;
}

export async function pretrainRoberta(p: PretrainRobertaParams): Promise<{ evalLoss: number; evalAccuracy: number; seconds: number }> {
  const log = p.log ?? ((l: string) => console.log(l));
  const seed = p.seed ?? 1234, steps = p.steps ?? 1500, bs = p.batchSize ?? 64, lr = p.learningRate ?? 1.5e-3;
  const maxLength = p.maxLength ?? 64, mlmProb = p.mlmProbability ?? 0.25;
  setNumThreads({ intraOp: 1 });
  const t0 = performance.now();
  const pairs = generatePairCorpus({ seed, numPairs: p.numPairs ?? 30000 });
  const corpus = pairs.flat();
  log(`corpus: ${pairs.length} sentence pairs; training a byte-level BPE vocabulary ...`);
  const vocab = await buildVocabFiles({ corpus, outDir: p.outDir, vocabSize: p.vocabSize ?? 1000, modelMaxLength: maxLength });
  const tok = await AutoTokenizer.fromPretrained(p.outDir);
  log(`vocabulary: ${tok.length} tokens (${vocab.numMerges} merges)`);

  // Examples are sentence pairs (<s> a </s></s> b </s>), the input format of the paraphrase task.
  const rng = createRng(seed);
  const held = 500;
  const enc = tok(pairs.map((x) => x[0]), pairs.map((x) => x[1]), { truncation: true, maxLength });
  const ids = enc.input_ids as number[][];
  const trainIds = ids.slice(0, -held), evalIds = ids.slice(-held);

  manualSeed(seed);
  const hidden = p.hiddenSize ?? 64;
  const config = new RobertaConfig({
    vocab_size: tok.length, hidden_size: hidden, num_hidden_layers: p.numLayers ?? 4, num_attention_heads: p.numHeads ?? 4,
    intermediate_size: p.intermediateSize ?? hidden * 2, max_position_embeddings: maxLength + 2, type_vocab_size: 1,
    hidden_dropout_prob: 0.1, attention_probs_dropout_prob: 0.1, layer_norm_eps: 1e-5, architectures: ['RobertaForMaskedLM'],
  });
  const model = RobertaForMaskedLM.fromConfig(config);
  const named = model.namedParameters();
  const noDecay = (n: string) => /bias|LayerNorm|layer_norm/i.test(n);
  const opt = new optim.AdamW([
    { params: named.filter(([n]) => !noDecay(n)).map(([, t]) => t), weightDecay: 0.01 },
    { params: named.filter(([n]) => noDecay(n)).map(([, t]) => t), weightDecay: 0 },
  ], { lr });
  const collator = new DataCollatorForLanguageModeling({ tokenizer: tok, mlmProbability: mlmProb, seed });
  const warm = Math.round(steps * 0.05);
  let order: number[] = [];
  let lossSum = 0, lossN = 0;
  model.train();
  for (let step = 1; step <= steps; step++) {
    if (order.length < bs) {
      order = order.concat(rng.shuffle(Array.from({ length: trainIds.length }, (_, i) => i)));
    }
    const batchIdx = order.splice(0, bs);
    const cur = step <= warm ? lr * step / warm : lr * 0.5 * (1 + Math.cos(Math.PI * (step - warm) / (steps - warm)));
    for (const g of opt.paramGroups) g.lr = cur;
    const loss = tidy(() => {
      const batch = collator(batchIdx.map((i) => ({ input_ids: trainIds[i] })));
      const out = model.forward(batch);
      out.loss!.backward();
      optim.clipGradNorm(model.parameters(), 1.0);
      opt.step();
      opt.zeroGrad();
      return out.loss!.item();
    });
    lossSum += loss; lossN++;
    if (step % 100 === 0 || step === steps) {
      log(`step ${step}/${steps}  mlm loss ${(lossSum / lossN).toFixed(4)}  lr ${cur.toExponential(2)}  ${((performance.now() - t0) / 1000).toFixed(0)} s`);
      lossSum = 0; lossN = 0;
    }
  }
  model.eval();
  const evalCollator = new DataCollatorForLanguageModeling({ tokenizer: tok, mlmProbability: mlmProb, seed: seed + 1 });
  let lossTot = 0, nb = 0, correct = 0, masked = 0;
  noGrad(() => {
    for (let i = 0; i < evalIds.length; i += 100) {
      tidy(() => {
        const batch = evalCollator(evalIds.slice(i, i + 100).map((x) => ({ input_ids: x })));
        const out = model.forward(batch);
        lossTot += out.loss!.item(); nb++;
        const pred = out.logits.argmax(-1).toTypedArray() as BigInt64Array;
        const lab = batch.labels.toTypedArray() as BigInt64Array;
        for (let k = 0; k < lab.length; k++) if (lab[k] !== -100n) { masked++; if (lab[k] === pred[k]) correct++; }
      });
    }
  });
  const evalLoss = lossTot / nb, evalAccuracy = correct / masked;
  log(`held-out masked-LM loss ${evalLoss.toFixed(4)}, masked-token accuracy ${(evalAccuracy * 100).toFixed(1)}%`);
  model.savePretrained(p.outDir);
  const seconds = (performance.now() - t0) / 1000;
  writeFileSync(join(p.outDir, 'README.md'), [
    '---', 'library_name: hubtune', 'license: apache-2.0', 'tags:', '- fill-mask', '- roberta', '- synthetic', '---', '',
    '# roberta-tiny-mlm', '',
    `A tiny RoBERTa (hidden ${hidden}, ${config.numHiddenLayers} layers, ${config.numAttentionHeads} heads, vocabulary ${tok.length} byte-level BPE tokens)`,
    `pretrained by hubtune with masked-LM on ${pairs.length} synthetic English-like sentence pairs (generatePairCorpus: rewordings`,
    'of one event, one-detail variants and unrelated sentences, so that masked words are often readable from the other sentence).',
    'It is the starting point of `hubtune demo text` (transfer learning to MRPC-like paraphrase detection).', '',
    `Pretraining: ${steps} steps of batch ${bs} sentence pairs, ${Math.round(mlmProb * 100)}% masking, AdamW lr ${lr} (5% warmup, cosine), seed ${seed}.`,
    `Held-out masked-LM loss ${evalLoss.toFixed(3)}, masked-token accuracy ${(evalAccuracy * 100).toFixed(1)}%.`, '',
    'Reproduce: `node --import tsx scripts/pretrain-roberta.ts`', '',
  ].join('\n'));
  return { evalLoss, evalAccuracy, seconds };
}
