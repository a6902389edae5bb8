// Pretrains the tiny RoBERTa shipped in assets/roberta-tiny-mlm/ (the starting point of `hubtune demo text`).
// Usage: node --import tsx scripts/pretrain-roberta.ts [outDir] [--steps N] [--pairs N] [--lr X] [--mask P]
//        [--hidden N] [--layers N] [--batch N] [--seed N]
import { resolve } from 'node:path';
import { pretrainRoberta } from '../src/demo/pretrain-roberta';

const args = process.argv.slice(2);
const flag = (name: string) => { const i = args.indexOf(name); return i >= 0 ? Number(args.splice(i, 2)[1]) : undefined; };
const r0 = {
  steps: flag('--steps'), numPairs: flag('--pairs'), learningRate: flag('--lr'), mlmProbability: flag('--mask'),
  hiddenSize: flag('--hidden'), numLayers: flag('--layers'), batchSize: flag('--batch'), seed: flag('--seed'),
};
const outDir = resolve(args[0] ?? new URL('../assets/roberta-tiny-mlm', import.meta.url).pathname);
const r = await pretrainRoberta({ outDir, ...r0 });
console.log(`wrote ${outDir} (${r.seconds.toFixed(0)} s, held-out masked-token accuracy ${(r.evalAccuracy * 100).toFixed(1)}%)`);
