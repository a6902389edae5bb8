// `hubtune eval <model>`: evaluate a fine-tuned model on a dataset split with the Trainer.
import type { Command } from 'commander';
import { validateRecipe, runEval } from '../recipe';

export function register(program: Command): void {
  program
    .command('eval')
    .description('evaluate a fine-tuned classification model on a dataset split (accuracy, + f1 for two labels)')
    .argument('<model>', 'a local model folder or a Hub model id')
    .requiredOption('-d, --dataset <id|dir>', "Hub dataset id, 'imagefolder', 'json', 'csv', or a local folder")
    .option('--dataset-config <name>', "the dataset's config name")
    .option('--data-dir <dir>', 'data folder for imagefolder/json/csv')
    .option('--split <name>', 'the split to evaluate (default test, else validation)')
    .option('--task <task>', 'image-classification or text-classification (default: from the model)')
    .option('--image-column <name>').option('--text-columns <a,b>').option('--label-column <name>')
    .option('--max-eval-samples <n>', 'evaluate the first n rows')
    .option('--metrics <a,b>', 'metrics (default accuracy, + f1 for two labels)')
    .option('--batch-size <n>', 'evaluation batch size', '32')
    .option('--json', 'print the metrics as JSON')
    .addHelpText('after', `
Examples:
  $ hubtune eval ./demo-output/vit-tiny-beans-like -d imagefolder --data-dir ~/.cache/hubtune/demo/beans-like-64px --split test
  $ hubtune eval ./mrpc-model -d nyu-mll/glue --dataset-config mrpc --split validation --json`)
    .action(async (model: string, f: Record<string, string | undefined> & { json?: boolean }) => {
      const batchSize = Number(f.batchSize);
      if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`--batch-size must be a positive integer, got '${f.batchSize}'`);
      const r = validateRecipe({
        model, dataset: f.dataset, dataset_config: f.datasetConfig, data_dir: f.dataDir, task: f.task, image_column: f.imageColumn,
        text_columns: f.textColumns, label_column: f.labelColumn, metrics: f.metrics,
        max_eval_samples: f.maxEvalSamples === undefined ? undefined : Number(f.maxEvalSamples),
      }, 'command line');
      const metrics = await runEval({ ...r, split: f.split, batchSize, trainSplit: f.split ?? 'test' }, { print: !f.json, log: f.json ? () => {} : undefined });
      if (f.json) console.log(JSON.stringify(metrics, null, 2));
    });
}
