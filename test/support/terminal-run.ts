// A short training run for the pseudo-terminal test (test/training/terminal-pty.test.ts): a tiny
// RoBERTa on token ids, logging every 10 steps, evaluating every 20 (a checkpoint and a push each
// time) against an in-process test Hub, then trainer.pushToHub(). Run it in a terminal to see the
// display: node --import tsx test/support/terminal-run.ts [outputDir]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Trainer, TrainingArguments } from '../../src/training/index';
import { startHubServer, WRITE_TOKEN } from './hub-server';
import { padCollator, tinyRoberta, tinyTextDataset } from './tiny-models';

const out = process.argv[2] ?? mkdtempSync(join(tmpdir(), 'hubtune-terminal-run-'));
const hub = await startHubServer();
process.env.HF_ENDPOINT = hub.url;
try {
  const args = new TrainingArguments({
    outputDir: out, maxSteps: 40, perDeviceTrainBatchSize: 4, perDeviceEvalBatchSize: 4, learningRate: 5e-5,
    loggingSteps: 10, evalStrategy: 'steps', evalSteps: 20, saveSteps: 20, saveTotalLimit: 1,
    pushToHub: true, hubModelId: 'writer/tiny-terminal', hubToken: WRITE_TOKEN, reportTo: 'none',
  });
  const trainer = new Trainer({ model: tinyRoberta({ numLabels: 2 }), args, trainDataset: tinyTextDataset(96), evalDataset: tinyTextDataset(48, { seed: 7 }), dataCollator: padCollator });
  await trainer.train();
  await trainer.pushToHub({ commitMessage: 'End of training' });
  console.log('run finished');
} finally {
  await hub.close();
  if (!process.argv[2]) rmSync(out, { recursive: true, force: true });
}
