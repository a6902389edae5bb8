// `hubtune train`: fine-tune with the Trainer from a recipe file (YAML/JSON) and/or flags.
import { Option, type Command } from 'commander';
import { relaunchCommand } from './launch';
import { loadRecipe, runRecipe, validateRecipe, type Recipe } from '../recipe';

interface TrainFlags {
  recipe?: string; model?: string; dataset?: string; datasetConfig?: string; dataDir?: string; task?: string;
  imageColumn?: string; textColumns?: string; labelColumn?: string; trainSplit?: string; evalSplit?: string; testSplit?: string;
  maxTrainSamples?: string; maxEvalSamples?: string; maxLength?: string; fromScratch?: boolean; metrics?: string;
  outputDir?: string; learningRate?: string; numTrainEpochs?: string; maxSteps?: string; perDeviceTrainBatchSize?: string;
  evalStrategy?: string; seed?: string; overwriteOutputDir?: boolean; set?: string[]; dashboard?: boolean; dashboardPort?: string;
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

/** Flags -> recipe keys (snake_case, like a recipe file); flags override the file. */
export function recipeFromFlags(f: TrainFlags, base: Record<string, unknown> = {}): Recipe {
  const r: Record<string, unknown> = { ...base };
  const ta: Record<string, unknown> = { ...((base.training_args ?? base.trainingArgs ?? {}) as Record<string, unknown>) };
  delete r.trainingArgs;
  const num = (v: string | undefined, flag: string) => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n)) throw new Error(`${flag} must be a number, got '${v}'`);
    return n;
  };
  const put = (k: string, v: unknown) => { if (v !== undefined) r[k] = v; };
  put('model', f.model); put('dataset', f.dataset); put('dataset_config', f.datasetConfig); put('data_dir', f.dataDir); put('task', f.task);
  put('image_column', f.imageColumn); put('text_columns', f.textColumns); put('label_column', f.labelColumn);
  put('train_split', f.trainSplit); put('eval_split', f.evalSplit === 'none' ? null : f.evalSplit); put('test_split', f.testSplit === 'none' ? null : f.testSplit);
  put('max_train_samples', num(f.maxTrainSamples, '--max-train-samples')); put('max_eval_samples', num(f.maxEvalSamples, '--max-eval-samples'));
  put('max_length', num(f.maxLength, '--max-length')); put('from_scratch', f.fromScratch); put('metrics', f.metrics);
  const putTa = (k: string, v: unknown) => { if (v !== undefined) ta[k] = v; };
  putTa('output_dir', f.outputDir); putTa('learning_rate', num(f.learningRate, '--learning-rate')); putTa('num_train_epochs', num(f.numTrainEpochs, '--num-train-epochs'));
  putTa('max_steps', num(f.maxSteps, '--max-steps')); putTa('per_device_train_batch_size', num(f.perDeviceTrainBatchSize, '--per-device-train-batch-size'));
  putTa('eval_strategy', f.evalStrategy); putTa('seed', num(f.seed, '--seed')); putTa('overwrite_output_dir', f.overwriteOutputDir);
  for (const kv of f.set ?? []) {
    const i = kv.indexOf('=');
    if (i <= 0) throw new Error(`--set takes key=value (a TrainingArguments field), got '${kv}'`);
    ta[kv.slice(0, i)] = kv.slice(i + 1);
  }
  r.training_args = ta;
  return validateRecipe(r, 'command line');
}

export function register(program: Command): void {
  program
    .command('train')
    .description('fine-tune a model on a dataset with the Trainer (image or text classification), from a recipe file and/or flags')
    .option('-r, --recipe <file>', 'recipe file (YAML or JSON): model, dataset, columns, task, training_args')
    .option('-m, --model <id|dir>', 'Hub model id or local folder to fine-tune')
    .option('-d, --dataset <id|dir>', "Hub dataset id, 'imagefolder', 'json', 'csv', or a local folder")
    .option('--dataset-config <name>', "the dataset's config name (e.g. mrpc)")
    .option('--data-dir <dir>', 'data folder for imagefolder/json/csv')
    .option('--task <task>', 'image-classification or text-classification (default: from the model)')
    .option('--image-column <name>', 'image column (default image)')
    .option('--text-columns <a,b>', 'one text column, or two for sentence pairs (default sentence1,sentence2 or text)')
    .option('--label-column <name>', 'label column (default label)')
    .option('--train-split <name>', 'default train')
    .option('--eval-split <name>', "default validation ('none' to skip)")
    .option('--test-split <name>', "evaluated after training (default test when present; 'none' to skip)")
    .option('--max-train-samples <n>', 'use the first n training rows')
    .option('--max-eval-samples <n>', 'use the first n rows of the other splits')
    .option('--max-length <n>', 'text: truncate to n tokens')
    .option('--from-scratch', "train the model's architecture from random weights instead of fine-tuning")
    .option('--metrics <a,b>', 'metrics (default accuracy, + f1 for two labels)')
    .option('-o, --output-dir <dir>', 'TrainingArguments output_dir')
    .option('--overwrite-output-dir', 'train over a non-empty output folder (otherwise refused, or resumed from its last checkpoint)')
    .option('--learning-rate <lr>').option('--num-train-epochs <n>').option('--max-steps <n>').option('--per-device-train-batch-size <n>')
    .option('--eval-strategy <s>', 'no, steps or epoch').option('--seed <n>')
    .option('--set <key=value>', 'any other TrainingArguments field (repeatable), e.g. --set warmup_ratio=0.1', collect)
    .option('--nproc-per-node <n>', 'train as n processes on this machine (runs itself through hubtune launch)')
    .addOption(new Option('--nproc_per_node <n>').hideHelp())
    .option('--dashboard', "watch the run live in the browser: serves hubtune serve's training dashboard (report_to hubtune) while it trains")
    .option('--dashboard-port <port>', 'port of the dashboard (0 picks a free one)', '7860')
    .addHelpText('after', `
A recipe file (YAML or JSON; keys in snake_case or camelCase):
  model: ./assets/vit-tiny-shapes
  dataset: imagefolder
  data_dir: ./leaves
  label_column: label
  training_args:
    output_dir: ./vit-leaves
    learning_rate: 2e-4
    num_train_epochs: 4
    eval_strategy: steps
    eval_steps: 50
    load_best_model_at_end: true

Examples:
  $ hubtune train --recipe recipe.yaml
  $ hubtune train --recipe recipe.yaml --learning-rate 1e-4 --output-dir ./run2
  $ hubtune train -m distilroberta-base -d nyu-mll/glue --dataset-config mrpc -o ./mrpc --num-train-epochs 3`)
    .action(async (flags: TrainFlags & { nprocPerNode?: string; nproc_per_node?: string }) => {
      const nproc = flags.nprocPerNode ?? flags.nproc_per_node;
      if (nproc !== undefined && !process.env.HUBTUNE_LAUNCHED && nproc !== '1') {
        process.exitCode = await relaunchCommand('train', nproc);
        return;
      }
      let base: Record<string, unknown> = {};
      if (flags.recipe) {
        const fromFile = loadRecipe(flags.recipe);
        const { trainingArgs, ...rest } = fromFile;
        base = { ...rest, training_args: trainingArgs };
      }
      const recipe = recipeFromFlags(flags, base);
      if (!flags.dashboard) { await runRecipe(recipe); return; }
      const { withDashboard } = await import('../dashboard');
      await withDashboard(recipe, flags.dashboardPort ?? '7860', () => runRecipe(recipe));
    });
}
