// examples/beans-vit.ts and examples/mrpc-distilroberta.ts, the course's two projects as a student
// writes them (importing from 'hubtune'), run as scripts with `node --import tsx` in a fresh folder,
// against the local Hub whose `beans`, `glue`, ViT and distilroberta-base ids hold tiny stand-ins.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { startHubServer, type HubServer } from '../support/hub-server';
import { glueLikeFiles } from '../support/hub-fixtures';
import { beansAsStored } from '../support/dataset-archives';
import { saveTinyRobertaRepo, saveTinyVitRepo, addFolderRepo } from '../support/tiny-models';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '../..');
let hub: HubServer;
const work = mkdtempSync(join(tmpdir(), 'hubtune-course-examples-'));

before(async () => {
  hub = await startHubServer({ resolveCache: true });
  const beans = await beansAsStored();
  hub.addRepo({ type: 'dataset', id: 'AI-Lab-Makerere/beans', files: beans.files, branches: beans.branches });
  hub.renameRepo('dataset', 'beans', 'AI-Lab-Makerere/beans');
  hub.addRepo({ type: 'dataset', id: 'nyu-mll/glue', files: glueLikeFiles() });
  hub.renameRepo('dataset', 'glue', 'nyu-mll/glue');
  addFolderRepo(hub, 'model', 'google/vit-base-patch16-224-in21k', await saveTinyVitRepo(join(work, 'vit')));
  addFolderRepo(hub, 'model', 'distilbert/distilroberta-base', await saveTinyRobertaRepo(join(work, 'roberta')));
  hub.renameRepo('model', 'distilroberta-base', 'distilbert/distilroberta-base');
});

after(async () => {
  await hub?.close();
  rmSync(work, { recursive: true, force: true });
});

/** Runs an example as a user does, from an empty folder (not a TTY: plain log lines). */
async function runExample(name: string): Promise<{ cwd: string; stdout: string; stderr: string }> {
  const cwd = join(work, name);
  mkdirSync(cwd, { recursive: true });
  const env: NodeJS.ProcessEnv = { ...process.env, HF_ENDPOINT: hub.url, HF_HOME: join(work, 'hf-home'), TSX_TSCONFIG_PATH: join(root, 'tsconfig.json') };
  delete env.HF_TOKEN;
  delete env.HF_HUB_CACHE;
  delete env.HUBTUNE_QUIET_TRAINER;
  const { stdout, stderr } = await run(process.execPath, ['--import', import.meta.resolve('tsx'), join(root, 'examples', `${name}.ts`)], { cwd, env, maxBuffer: 1 << 24, timeout: 240_000 });
  return { cwd, stdout, stderr };
}

test('examples/beans-vit.ts: the ViT blog as written trains, saves and evaluates on test', async () => {
  const { cwd, stdout } = await runExample('beans-vit');
  const out = join(cwd, 'vit-base-beans');
  for (const f of ['model.safetensors', 'config.json', 'preprocessor_config.json', 'train_results.json', 'eval_results.json', 'trainer_state.json']) {
    assert.ok(existsSync(join(out, f)), f);
  }
  const evalResults = JSON.parse(readFileSync(join(out, 'eval_results.json'), 'utf8'));
  assert.ok(evalResults.eval_accuracy >= 0 && evalResults.eval_accuracy <= 1);
  assert.equal(JSON.parse(readFileSync(join(out, 'trainer_state.json'), 'utf8')).global_step, 4, '6 rows, batch 16, 4 epochs');
  assert.match(stdout, /\*\*\*\*\* train metrics \*\*\*\*\*/);
  assert.match(stdout, /\*\*\*\*\* eval metrics \*\*\*\*\*\n\s+epoch\s+=\s+4\.0/);
});

test('examples/mrpc-distilroberta.ts: course chapter 3 as written evaluates each epoch and prints accuracy and F1', async () => {
  const { cwd, stdout } = await runExample('mrpc-distilroberta');
  assert.ok(existsSync(join(cwd, 'test-trainer')), 'test-trainer written where it ran');
  assert.equal((stdout.match(/'eval_f1': /g) ?? []).length, 3, 'one evaluation per epoch');
  assert.match(stdout, /\{ accuracy: [\d.]+, f1: [\d.]+ \}\n?$/);
});
