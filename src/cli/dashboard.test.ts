// hubtune train --dashboard: report_to gains 'hubtune' (the user's integrations kept), the dashboard
// serves the run live while the Trainer trains, and closes with the run off a terminal.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Trainer, TrainingArguments } from '../training/index';
import { tinyRoberta, tinyTextDataset, padCollator } from '../../test/support/tiny-models';
import { withDashboard } from './dashboard';
import type { Recipe } from './recipe';

process.env.HUBTUNE_QUIET_TRAINER = '1';

test('withDashboard: report_to hubtune added, the run listed live while it trains, the server closed after', async () => {
  const root = mkdtempSync(join(tmpdir(), 'hubtune-cli-dash-'));
  try {
    const recipe = { model: 'x', dataset: 'y', trainingArgs: { output_dir: join(root, 'my-run'), report_to: 'tensorboard', max_steps: 4, logging_steps: 1, per_device_train_batch_size: 4, save_strategy: 'no' } } as unknown as Recipe;
    const lines: string[] = [];
    const seen: unknown[] = [];
    let url = '';
    await withDashboard(recipe, '0', async () => {
      url = /dashboard: (http:\/\/[^ ]+)\/runs\/my-run$/.exec(lines[0] ?? '')?.[1] ?? '';
      assert.ok(url, lines.join('\n'));
      const args = new TrainingArguments(recipe.trainingArgs as never);
      assert.deepEqual(args.reportTo, ['tensorboard', 'hubtune']);
      const trainer = new Trainer({
        model: tinyRoberta({ seed: 0 }), args, trainDataset: tinyTextDataset(16), dataCollator: padCollator,
        callbacks: [{ onStepBegin: async (_a, state) => { if (state.globalStep === 2) seen.push(await (await fetch(`${url}/api/runs`)).json()); } }],
      });
      await trainer.train();
    }, { log: (l) => lines.push(l), keepOpen: false });
    assert.deepEqual(seen, [[{ id: 'my-run', status: 'running', live: true, global_step: 2, max_steps: 4, last_loss: (seen[0] as { last_loss: number }[])[0]!.last_loss }]]);
    assert.equal(typeof (seen[0] as { last_loss: unknown }[])[0]!.last_loss, 'number');
    await assert.rejects(fetch(`${url}/api/runs`), 'the dashboard closed with the run');
    await assert.rejects(withDashboard(recipe, 'x', async () => 0), /--dashboard-port must be an integer/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
