// `hubtune train` (runRecipe) and the output folder, as transformers' run scripts: a non-empty
// folder is refused unless overwrite_output_dir, one with checkpoints resumes from the last; an
// unwritable folder and an empty imagefolder are one-line errors that say what to do.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixtures } from '../pipelines/fixtures';
import { runRecipe, validateRecipe } from '../../src/cli/recipe';
import { Trainer } from '../../src/training/index';
import { tinyRoberta } from '../support/tiny-models';

process.env.HUBTUNE_QUIET_TRAINER = '1';
const work = mkdtempSync(join(tmpdir(), 'hubtune-cli-out-'));
test.after(() => rmSync(work, { recursive: true, force: true }));

async function recipe(outputDir: string, extra: Record<string, unknown> = {}, dataDir?: string) {
  const fx = await fixtures();
  return validateRecipe({
    model: fx.vit, dataset: 'imagefolder', data_dir: dataDir ?? fx.images, eval_split: null, test_split: null,
    training_args: { output_dir: outputDir, max_steps: 2, per_device_train_batch_size: 4, save_steps: 1, logging_steps: 1, report_to: [], disable_tqdm: true, ...extra },
  }, 'test recipe');
}
function quietly<T>(fn: () => Promise<T>): Promise<{ value: T; lines: string[] }> {
  const lines: string[] = [];
  const orig = console.log;
  console.log = (...a: unknown[]) => { lines.push(a.join(' ')); };
  return fn().then((value) => ({ value, lines }), (e) => { throw e; }).finally(() => { console.log = orig; });
}
const oneLine = (re: RegExp) => (e: Error) => re.test(e.message) && !e.message.includes('\n');

test('re-running over a finished output folder resumes from its last checkpoint and trains nothing more', async () => {
  const out = join(work, 'run');
  const log: string[] = [];
  await quietly(async () => runRecipe(await recipe(out), { log: (l) => log.push(l) }));
  const weights = readFileSync(join(out, 'model.safetensors'));
  const before = readdirSync(out).filter((n) => n.startsWith('checkpoint-')).sort();
  assert.deepEqual(before, ['checkpoint-1', 'checkpoint-2']);
  log.length = 0;
  await quietly(async () => runRecipe(await recipe(out), { log: (l) => log.push(l) }));
  assert.ok(log.some((l) => /^Checkpoint detected, resuming training at .*checkpoint-2\. To avoid this behavior, change --output-dir or add --overwrite-output-dir to train from scratch\.$/.test(l)), log.join('\n'));
  assert.deepEqual(readdirSync(out).filter((n) => n.startsWith('checkpoint-')).sort(), before);
  assert.ok(readFileSync(join(out, 'model.safetensors')).equals(weights), 'the model changed');
});

test('a non-empty output folder without checkpoints is refused unless overwrite_output_dir', async () => {
  const out = join(work, 'nockpt');
  mkdirSync(out);
  writeFileSync(join(out, 'model.safetensors'), 'an earlier model');
  await assert.rejects(async () => runRecipe(await recipe(out, { save_strategy: 'no' }), { log: () => {} }),
    oneLine(/^Output directory \(.*nockpt\) already exists and is not empty: use --overwrite-output-dir \(overwrite_output_dir: true\) to train over it, or choose another --output-dir$/));
  assert.equal(readFileSync(join(out, 'model.safetensors'), 'utf8'), 'an earlier model');
  await quietly(async () => runRecipe(await recipe(out, { save_strategy: 'no', overwrite_output_dir: true }), { log: () => {} }));
  assert.notEqual(readFileSync(join(out, 'model.safetensors'), 'utf8'), 'an earlier model');
});

test('an unwritable output folder is one line naming what is in the way', async () => {
  const file = join(work, 'a-file');
  writeFileSync(file, 'x');
  await assert.rejects(async () => runRecipe(await recipe(join(file, 'out')), { log: () => {} }),
    oneLine(/^cannot write the output folder .*a-file\/out: .*a-file is a file, not a folder; choose another outputDir \(--output-dir\)$/));
  symlinkSync(join(work, 'nowhere'), join(work, 'dangling'));
  assert.throws(() => new Trainer({ model: tinyRoberta(), args: { outputDir: join(work, 'dangling', 'out') } }),
    oneLine(/^cannot write the output folder .*dangling\/out: .*dangling is a broken link; choose another outputDir/));
  assert.ok(!existsSync(join(work, 'nowhere')));
});

test('an empty imagefolder says so instead of Unknown split "undefined"', async () => {
  const empty = join(work, 'empty-images');
  mkdirSync(empty);
  await assert.rejects(async () => runRecipe(await recipe(join(work, 'out-empty2'), {}, empty), { log: () => {} }),
    oneLine(/^dataset 'imagefolder' in .*empty-images has no data files: put the images in <split>\/<label>\/ or <label>\/ folders$/));
});
