// One training run for bench/ddp.ts: a ViT-base-shaped classifier (random weights and images) trained
// by the Trainer, alone or as one rank of `hubtune launch`; rank 0 prints {"samplesPerSecond"} over
// the steps after the first (warm-up) one.
//   node --import tsx bench/support/ddp-worker.ts <perDeviceBatch> <steps> <layers>
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { randn, tensor } from '../../src/torch/index';
import { ViTForImageClassification } from '../../src/models/index';
import { Trainer, TrainingArguments, setSeed } from '../../src/training/index';
import { getRank, getWorldSize } from '../../src/distributed/index';

process.env.HUBTUNE_QUIET_TRAINER = '1';
const [batch, steps, layers] = process.argv.slice(2).map(Number) as [number, number, number];
setSeed(0);
const model = ViTForImageClassification.fromConfig({
  model_type: 'vit', hidden_size: 768, num_hidden_layers: layers, num_attention_heads: 12, intermediate_size: 3072, image_size: 224, patch_size: 16,
  num_channels: 3, hidden_dropout_prob: 0, attention_probs_dropout_prob: 0, num_labels: 3,
});
const rows = 4096;
const dataset = { numRows: rows, getBatch: async (idx: ArrayLike<number>) => ({ i: Array.from(idx) }) };
const collate = async (feats: Record<string, unknown>[]) => ({ pixel_values: randn([feats.length, 3, 224, 224]), labels: tensor(feats.map((f) => (f.i as number) % 3), { dtype: 'int64' }) });
const times: number[] = [];
const out = mkdtempSync(join(tmpdir(), 'hubtune-bench-ddp-'));
const trainer = new Trainer({
  model, trainDataset: dataset as never, dataCollator: collate as never,
  args: new TrainingArguments({ outputDir: out, perDeviceTrainBatchSize: batch, maxSteps: steps, saveStrategy: 'no', loggingStrategy: 'no', removeUnusedColumns: false, disableTqdm: true, reportTo: 'none' }),
  callbacks: [{ onStepEnd: () => { times.push(performance.now()); } } as never],
});
await trainer.train();
rmSync(out, { recursive: true, force: true });
if (getRank() === 0) {
  const s = (times.at(-1)! - times[0]!) / 1000;
  console.log(JSON.stringify({ samplesPerSecond: ((times.length - 1) * batch * getWorldSize()) / s, stepS: s / (times.length - 1), worldSize: getWorldSize() }));
}
process.exit(0);
