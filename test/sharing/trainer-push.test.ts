// The real Trainer with pushToHub: every_save pushes during training, then trainer.pushToHub()
// uploads the final model with its generated model card (local Hub server on 127.0.0.1).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { startHubServer, WRITE_TOKEN, type HubServer } from '../support/hub-server';
import { Trainer, TrainingArguments, argmax, setSeed } from '../../src/training/index';
import { splitFrontMatter, validateModelIndex } from '../../src/training/model-card';
import { loadMetric } from '../../src/metrics/index';
import { tinyRoberta, tinyTextDataset, padCollator } from '../support/tiny-models';

process.env.HUBTUNE_HUB_RETRY_BASE_MS = '5';
process.env.HUBTUNE_QUIET_TRAINER = '1';
delete process.env.HF_TOKEN;
process.env.HF_HOME = mkdtempSync(join(tmpdir(), 'hubtune-tp-home-'));

let server: HubServer;
before(async () => { server = await startHubServer(); process.env.HF_ENDPOINT = server.url; });
after(() => server.close());

test('Trainer with pushToHub: a push per save in the background, then the final model and card', async () => {
  const outputDir = join(mkdtempSync(join(tmpdir(), 'hubtune-tp-')), 'tiny-mrpc');
  setSeed(0);
  const accuracy = loadMetric('accuracy');
  const trainer = new Trainer({
    model: tinyRoberta({ seed: 0 }),
    args: new TrainingArguments({
      outputDir, maxSteps: 6, perDeviceTrainBatchSize: 4, learningRate: 1e-3, evalStrategy: 'steps', evalSteps: 3,
      saveSteps: 3, loggingSteps: 3, disableTqdm: true, pushToHub: true, hubToken: WRITE_TOKEN, hubStrategy: 'every_save',
    }),
    trainDataset: tinyTextDataset(24, { seed: 1 }),
    evalDataset: tinyTextDataset(8, { seed: 2 }),
    dataCollator: padCollator,
    computeMetrics: ((p: { predictions: number[][]; labelIds: number[] }) => accuracy.compute({ predictions: argmax(p.predictions), references: p.labelIds })) as never,
  });
  await trainer.train();
  const repoCommits = server.commits.filter((c) => c.repoId.endsWith('/tiny-mrpc'));
  assert.ok(repoCommits.length >= 1, 'at least one push during training');
  assert.ok(repoCommits.every((c) => c.added.includes('model.safetensors') && c.lfs.includes('model.safetensors')));
  const res = await trainer.pushToHub({ commitMessage: 'End of training', dataset: 'tiny-mrpc-data' } as never);
  assert.ok(res.commitOid);
  const last = server.commits.at(-1)!;
  assert.equal(last.title, 'End of training');
  assert.ok(last.added.includes('README.md') && last.added.includes('config.json'));
  const card = readFileSync(join(outputDir, 'README.md'), 'utf8');
  const { frontMatter } = splitFrontMatter(card);
  const meta = parse(frontMatter!);
  assert.ok(meta.tags.includes('generated_from_trainer'));
  assert.deepEqual(validateModelIndex(meta), []);
  assert.match(card, /\| Training Loss \| Epoch \| Step \| Validation Loss \| Accuracy \|/);
  assert.ok(!card.includes(WRITE_TOKEN) && !readFileSync(join(outputDir, 'checkpoint-6', 'training_args.json'), 'utf8').includes(WRITE_TOKEN), 'token never written');
});

test('model.pushToHub and dataset.pushToHub methods upload through the sharing module', async () => {
  const model = tinyRoberta({ seed: 1 });
  const r = await model.pushToHub('writer/tiny-method', { token: WRITE_TOKEN });
  assert.ok(r.commitOid);
  const c = server.commits.at(-1)!;
  assert.equal(c.repoId, 'writer/tiny-method');
  assert.ok(c.added.includes('config.json') && c.lfs.includes('model.safetensors'));
  const ds = tinyTextDataset(10, { seed: 3 });
  await ds.pushToHub('writer/tiny-data', { token: WRITE_TOKEN });
  const d = server.commits.at(-1)!;
  assert.equal(d.repoType, 'dataset');
  assert.ok(d.added.some((p) => /^data\/train-00000-of-00001\.parquet$/.test(p)), d.added.join(','));
});
