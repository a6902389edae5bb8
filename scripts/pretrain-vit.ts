// Pretrains the tiny ViT shipped in assets/vit-tiny-shapes/ (the starting point of `hubtune demo`) on
// the synthetic shapes task, with the curriculum that produced the shipped weights: four stages at
// 32x32 (cheap: 16 patches of 8x8) until the model leaves the plateau a from-scratch ViT sits on,
// then one stage at 64x64 (position embeddings resized 4x4 -> 8x8), the demo's resolution.
// Every stage is seeded (seed 1234, one thread); about 15 minutes on 2 CPU cores.
// Usage: node --import tsx scripts/pretrain-vit.ts [outDir]
import { resolve, join } from 'node:path';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { pretrainViT, type PretrainViTParams } from '../src/demo/pretrain-vit';

const outDir = resolve(process.argv[2] ?? new URL('../assets/vit-tiny-shapes', import.meta.url).pathname);
const work = mkdtempSync(join(tmpdir(), 'hubtune-pretrain-vit-'));
const stages: Omit<PretrainViTParams, 'outDir'>[] = [
  { imageSize: 32, steps: 1500, batchSize: 32, trainCount: 8000, evalCount: 500 },
  { imageSize: 32, steps: 3000, batchSize: 64, trainCount: 12000 },
  { imageSize: 32, steps: 4000, batchSize: 64, trainCount: 14000 },
  { imageSize: 32, steps: 5000, stopAt: 1750, batchSize: 64, trainCount: 16000 },
  { imageSize: 64, steps: 1500, batchSize: 64, trainCount: 6000 },
];
let prev: string | undefined;
const results: string[] = [];
for (const [i, st] of stages.entries()) {
  const dir = i === stages.length - 1 ? outDir : join(work, `stage${i + 1}`);
  console.log(`== stage ${i + 1}/${stages.length}: ${st.imageSize}px, ${st.stopAt ?? st.steps} steps ==`);
  const r = await pretrainViT({ ...st, outDir: dir, initFrom: prev, learningRate: 1e-3 });
  console.log(`stage ${i + 1}: held-out accuracy ${(r.evalAccuracy * 100).toFixed(1)}% (${r.seconds.toFixed(0)} s)`);
  results.push(`| ${i + 1} | ${st.imageSize}px | ${st.stopAt ?? st.steps}${st.stopAt ? ` (of a ${st.steps}-step schedule)` : ''} | ${st.batchSize} | ${st.trainCount} | ${(r.evalAccuracy * 100).toFixed(1)}% |`);
  prev = dir;
}
writeFileSync(join(outDir, 'README.md'), README(results));
rmSync(work, { recursive: true, force: true });
console.log(`wrote ${outDir}`);

function README(rows: string[]): string {
  return `---
library_name: hubtune
license: apache-2.0
tags:
- image-classification
- vit
- synthetic
---

# vit-tiny-shapes

A tiny ViT (64x64 images, 8x8 patches, hidden 96, 4 layers, 4 heads, 1.2 MB) pretrained by hubtune on a
synthetic source task: classify 10 textured geometric shapes (circle, triangle, square, pentagon, hexagon,
star, cross, ring, crescent, bars) drawn on textured backgrounds with distractors (\`generateShapesPretrainData\`).
It never saw a leaf. It is the starting point of \`hubtune demo\`, which fine-tunes it on beans-like leaf
images and compares it with the same architecture trained from scratch.

## Pretraining (scripts/pretrain-vit.ts, seed 1234)

AdamW lr 1e-3 (5% warmup, cosine per stage), weight decay 0.05, gradient clipping 1.0, random horizontal flips.
Each stage continues from the previous one; the last resizes the position embeddings from 4x4 to 8x8 patches.

| stage | size | steps | batch | images | held-out accuracy |
|---|---|---|---|---|---|
${rows.join('\n')}

Reproduce: \`node --import tsx scripts/pretrain-vit.ts\`
`;
}
