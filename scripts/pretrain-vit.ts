// Pretrains the tiny ViT shipped in assets/vit-tiny-shapes/ (the starting point of `hubtune demo`).
// Usage: node --import tsx scripts/pretrain-vit.ts [outDir] [--steps N]
import { resolve } from 'node:path';
import { pretrainViT } from '../src/demo/pretrain-vit';

const args = process.argv.slice(2);
const flag = (name: string) => { const i = args.indexOf(name); return i >= 0 ? Number(args.splice(i, 2)[1]) : undefined; };
const steps = flag('--steps');
const trainCount = flag('--train-count');
const lrFlag = flag('--lr');
const i = args.indexOf('--init-from');
const initFrom = i >= 0 ? args.splice(i, 2)[1] : undefined;
const outDir = resolve(args[0] ?? new URL('../assets/vit-tiny-shapes', import.meta.url).pathname);
const r = await pretrainViT({ outDir, steps, trainCount, initFrom, learningRate: lrFlag, saveEvery: 250 });
console.log(`wrote ${outDir} (${r.seconds.toFixed(0)} s, held-out accuracy ${(r.evalAccuracy * 100).toFixed(1)}%)`);
