// One data-parallel training run for test/training/ddp.test.ts, run alone (one process, batch 8) or
// under `hubtune launch --nproc-per-node 2` (batch 4 per rank): a tiny RoBERTa classifier without
// dropout (so both runs draw no random numbers that depend on the per-rank batch), gradient
// accumulation, clipping, evaluation and checkpoints. Rank 0 writes result.json: the log history
// and the final weights.
// DDP_TEST_STREAMING=1 trains from the data as a 4-shard stream (maxSteps 4). DDP_TEST_KILL_RANK=r kills rank r after global step 3; DDP_TEST_MISMATCH=1 gives rank 1 another model.
//   node --import tsx test/support/ddp-train.ts <outputDir> <perDeviceBatch> [resumeFrom]
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Trainer, TrainingArguments, setSeed } from '../../src/training/index';
import { getRank } from '../../src/distributed/index';
import { tinyRoberta, tinyTextDataset, padCollator } from './tiny-models';

process.env.HUBTUNE_QUIET_TRAINER = '1';
const [outputDir, batch, resume] = process.argv.slice(2);
setSeed(0);
const rank = Number(process.env.RANK ?? 0);
const model = tinyRoberta({ seed: 3, dropout: 0, numLabels: process.env.DDP_TEST_MISMATCH && rank === 1 ? 3 : 2 });
let predictionSteps = 0;
const killer = {
  onPredictionStep() { predictionSteps++; },
  onStepEnd(_a: unknown, state: { globalStep: number }) {
    if (state.globalStep === 3 && String(rank) === process.env.DDP_TEST_KILL_RANK) process.kill(process.pid, 'SIGKILL');
  },
};
const trainer = new Trainer({
  model,
  args: new TrainingArguments({
    outputDir, perDeviceTrainBatchSize: Number(batch), perDeviceEvalBatchSize: 8, gradientAccumulationSteps: 2, maxGradNorm: 0.5,
    learningRate: 5e-3, numTrainEpochs: 2, ...(process.env.DDP_TEST_STREAMING ? { maxSteps: 4 } : {}), loggingSteps: 1, evalStrategy: 'steps', evalSteps: 2, saveSteps: 2, seed: 7, disableTqdm: true,
  }),
  trainDataset: process.env.DDP_TEST_STREAMING ? tinyTextDataset(32, { seed: 1 }).toIterableDataset({ numShards: 4 }) : tinyTextDataset(32, { seed: 1 }),
  evalDataset: tinyTextDataset(16, { seed: 2 }), // two full rounds of 2 x 8: no row repeated to even out ranks
  dataCollator: padCollator,
  callbacks: [killer as never],
});
await trainer.train(resume ? { resumeFromCheckpoint: resume } : {});
// 10 rows: with 2 ranks x 8, rank 1's batch is completed with repeated rows, which the gather drops
predictionSteps = 0;
const predicted = await trainer.predict(tinyTextDataset(10, { seed: 4 }));
writeFileSync(join(outputDir!, `prediction-steps-rank${rank}.json`), String(predictionSteps));
if (getRank() === 0) {
  const weights = Object.fromEntries([...model.stateDict()].map(([k, t]) => [k, Array.from(t.toTypedArray() as Float32Array)]));
  writeFileSync(join(outputDir!, 'result.json'), JSON.stringify({ logHistory: trainer.state.logHistory, weights, predictions: predicted.predictions }));
}
process.exit(0);
