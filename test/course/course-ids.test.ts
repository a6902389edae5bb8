// The ids the course types, against a test Hub that answers like the real one: `beans`, `glue`
// and `distilroberta-base` are 307s to AI-Lab-Makerere/beans (zip archives + a Parquet export),
// nyu-mll/glue (configs with data_files globs) and distilbert/distilroberta-base; pipeline() with
// no model takes transformers' current default at its 7-character revision, with its notice.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HubServer } from '../support/hub-server';
import { useTestHub, type TestHubEnv } from '../support/test-hub-env';
import { glueLikeFiles } from '../support/hub-fixtures';
import { beansAsStored, BEANS_COUNTS } from '../support/dataset-archives';
import { saveTinyRobertaRepo } from '../support/tiny-models';
import { loadDataset, type DatasetDict } from '../../src/datasets/index';
import { AutoModelForMaskedLM, RobertaForMaskedLM } from '../../src/models/index';
import { AutoTokenizer } from '../../src/preprocessing/auto-tokenizer';
import { pipeline } from '../../src/pipelines/index';

let hub: HubServer;
let testHub: TestHubEnv;
const work = mkdtempSync(join(tmpdir(), 'hubtune-course-'));
const SST2 = 'distilbert/distilbert-base-uncased-finetuned-sst-2-english';

function folderFiles(dir: string): Record<string, Buffer> {
  return Object.fromEntries(readdirSync(dir).map((f) => [f, readFileSync(join(dir, f))]));
}

before(async () => {
  testHub = await useTestHub(work, { resolveCache: true, quiet: true });
  hub = testHub.hub;
  const beans = await beansAsStored();
  hub.addRepo({ type: 'dataset', id: 'AI-Lab-Makerere/beans', files: beans.files, branches: beans.branches });
  hub.renameRepo('dataset', 'beans', 'AI-Lab-Makerere/beans');
  hub.addRepo({ type: 'dataset', id: 'nyu-mll/glue', files: glueLikeFiles() });
  hub.renameRepo('dataset', 'glue', 'nyu-mll/glue');
  const roberta = folderFiles(await saveTinyRobertaRepo(join(work, 'roberta')));
  hub.addRepo({ id: 'distilbert/distilroberta-base', xet: true, files: roberta });
  hub.renameRepo('model', 'distilroberta-base', 'distilbert/distilroberta-base');
  hub.addRepo({ id: SST2, sha: '714eb0f'.padEnd(40, '3'), files: roberta });
  hub.renameRepo('model', 'distilbert-base-uncased-finetuned-sst-2-english', SST2);
});

after(async () => {
  await testHub?.close();
  rmSync(work, { recursive: true, force: true });
});

test("loadDataset('beans'): the 307 to AI-Lab-Makerere/beans, its zip archives read as the card's columns", async () => {
  const dd = await loadDataset('beans') as DatasetDict;
  assert.deepEqual(dd.numRows, BEANS_COUNTS);
  assert.deepEqual(dd.get('train').columnNames, ['image_file_path', 'image', 'labels']);
  assert.deepEqual(dd.get('train').features.classLabel('labels').names, ['angular_leaf_spot', 'bean_rust', 'healthy']);
  assert.ok(existsSync(join(process.env.HF_HOME!, 'hub', 'datasets--beans')), 'cached under the id typed');
  assert.ok(hub.requests.some((r) => r.status === 307 && r.url.startsWith('/api/datasets/beans/')));
});

test("loadDataset('glue', 'mrpc'): the 307 to nyu-mll/glue and its configs' data_files globs", async () => {
  const mrpc = await loadDataset('glue', 'mrpc') as DatasetDict;
  assert.deepEqual(mrpc.numRows, { train: 8, validation: 4, test: 4 });
  assert.deepEqual(mrpc.get('validation').columnNames, ['sentence1', 'sentence2', 'label', 'idx']);
});

test("fromPretrained('distilroberta-base'): model and tokenizer through the rename and the Xet bridge", async () => {
  const model = await AutoModelForMaskedLM.fromPretrained('distilroberta-base');
  assert.ok(model instanceof RobertaForMaskedLM);
  model.dispose();
  const tok = await AutoTokenizer.fromPretrained('distilroberta-base');
  assert.ok((tok('hello world').input_ids as number[]).length > 2);
  assert.ok(hub.requests.some((r) => r.server === 'cdn' && r.url.startsWith('/xet-bridge-us/')));
});

test("pipeline('sentiment-analysis') with no model: transformers' default at 714eb0f, with its notice", async () => {
  const notes: string[] = [];
  hub.reset();
  const clf = await pipeline('sentiment-analysis', { warn: (m) => notes.push(m) });
  assert.deepEqual(notes, [`No model was supplied, defaulted to ${SST2} and revision 714eb0f.\nUsing a pipeline without specifying a model name and revision in production is not recommended.`]);
  const out = await clf('I love this movie!');
  assert.equal(out.length, 1);
  assert.ok(hub.requests.some((r) => r.url === `/${SST2}/resolve/714eb0f/config.json`));
  assert.equal(readFileSync(join(process.env.HF_HOME!, 'hub', `models--${SST2.replace('/', '--')}`, 'refs', '714eb0f'), 'utf8'), '714eb0f'.padEnd(40, '3'));
});
