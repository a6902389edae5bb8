// Training recipes for `hubtune train` / `hubtune eval`: a YAML or JSON file (or command-line flags)
// naming the model, the dataset and its columns, the task and the TrainingArguments; validated
// with one-line errors that name the closest valid key; and the workflow that runs them (the
// course's fine-tuning recipe for image and text classification).
import { readFileSync, existsSync, readdirSync, statSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { loadDataset, ClassLabel, type Batch, type Dataset, type DatasetDict } from '../datasets/index';
import { AutoConfig, AutoModelForImageClassification, AutoModelForSequenceClassification, type PretrainedConfig } from '../models/index';
import { AutoImageProcessor } from '../preprocessing/image-processing';
import { AutoTokenizer } from '../preprocessing/auto-tokenizer';
import { DataCollatorWithPadding } from '../preprocessing/collators';
import { Trainer, TrainingArguments, setSeed, getLastCheckpoint, ensureOutputDir, TRAINING_ARGUMENT_NAMES, toCamelCase, toSnakeCase, type EvalPrediction, type ProcessingClass, type Metrics } from '../training/index';
import { closestKey } from '../training/training-args';
import { combine, loadMetric } from '../metrics/index';
import { stack, tensor } from '../torch/index';
import { writeFileAtomicSync } from '../util/atomic-file';
import { join } from 'node:path';

export type RecipeTask = 'image-classification' | 'text-classification';

export interface Recipe {
  /** Hub id or local folder of the model to fine-tune (or to evaluate). */
  model: string;
  revision?: string;
  /** Inferred from the model config (vit: image) or the dataset columns when left out. */
  task?: RecipeTask;
  /** A Hub dataset id, 'imagefolder' / 'json' / 'csv' / 'parquet', or a local folder. */
  dataset: string;
  /** The dataset's config name (e.g. 'mrpc' for 'nyu-mll/glue'). */
  datasetConfig?: string | null;
  dataDir?: string;
  dataFiles?: string | string[] | Record<string, string | string[]>;
  trainSplit?: string;
  /** null: no evaluation during training. */
  evalSplit?: string | null;
  testSplit?: string | null;
  imageColumn?: string;
  /** One column (single texts) or two (sentence pairs). */
  textColumns?: string[];
  labelColumn?: string;
  maxLength?: number;
  maxTrainSamples?: number;
  maxEvalSamples?: number;
  /** Train the model's architecture from its config with random weights instead of fine-tuning. */
  fromScratch?: boolean;
  /** evaluate metrics (default accuracy, plus f1 for two labels). */
  metrics?: string[];
  /** TrainingArguments (snake_case or camelCase); TrainingArguments keys at the top level are merged in. */
  trainingArgs?: Record<string, unknown>;
}

const RECIPE_KEYS: (keyof Recipe)[] = [
  'model', 'revision', 'task', 'dataset', 'datasetConfig', 'dataDir', 'dataFiles', 'trainSplit', 'evalSplit', 'testSplit',
  'imageColumn', 'textColumns', 'labelColumn', 'maxLength', 'maxTrainSamples', 'maxEvalSamples', 'fromScratch', 'metrics', 'trainingArgs',
];
/** Other spellings accepted for recipe keys. */
const KEY_ALIASES: Record<string, keyof Recipe> = {
  model_name_or_path: 'model', modelNameOrPath: 'model', dataset_name: 'dataset', datasetName: 'dataset',
  dataset_config_name: 'datasetConfig', datasetConfigName: 'datasetConfig', text_column: 'textColumns', textColumn: 'textColumns',
  training_arguments: 'trainingArgs', trainingArguments: 'trainingArgs', args: 'trainingArgs',
};

export class RecipeError extends Error {
  override name = 'RecipeError';
}

const TRAINING_NAMES_SNAKE = new Set(TRAINING_ARGUMENT_NAMES.map((n) => toSnakeCase(n)));
const isTrainingArg = (k: string) => TRAINING_NAMES_SNAKE.has(toSnakeCase(k));
const ALL_KEYS_SNAKE = [...RECIPE_KEYS.map((k) => toSnakeCase(k)), ...TRAINING_NAMES_SNAKE];

/** Reads a YAML (.yaml/.yml) or JSON recipe file and validates it. */
export function loadRecipe(path: string): Recipe {
  if (!existsSync(path)) throw new RecipeError(`recipe file not found: ${path}`);
  const text = readFileSync(path, 'utf8');
  let raw: unknown;
  try {
    raw = extname(path).toLowerCase() === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    throw new RecipeError(`${path} is not valid ${extname(path).toLowerCase() === '.json' ? 'JSON' : 'YAML'}: ${(e as Error).message.split('\n')[0]}`);
  }
  return validateRecipe(raw, path);
}

/** Checks a recipe object (snake_case or camelCase keys); unknown keys are named with the closest valid key. */
export function validateRecipe(raw: unknown, where = 'recipe'): Recipe {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new RecipeError(`${where} must be a mapping of keys (model, dataset, training_args, ...)`);
  const out: Record<string, unknown> = {};
  const training: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    const camel = (KEY_ALIASES[k] ?? toCamelCase(k)) as keyof Recipe;
    if (RECIPE_KEYS.includes(camel)) { out[camel] = v; continue; }
    if (isTrainingArg(k)) { training[k] = v; continue; }
    const style = k.includes('_') || !/[A-Z]/.test(k) ? toSnakeCase : (s: string) => toCamelCase(s);
    throw new RecipeError(`${where}: unknown key '${k}' (did you mean '${style(closestKey(k, ALL_KEYS_SNAKE))}'?)`);
  }
  const r = out as unknown as Recipe;
  if (r.trainingArgs !== undefined && (typeof r.trainingArgs !== 'object' || r.trainingArgs === null || Array.isArray(r.trainingArgs))) {
    throw new RecipeError(`${where}: training_args must be a mapping of TrainingArguments (e.g. learning_rate: 2e-4)`);
  }
  for (const k of Object.keys(r.trainingArgs ?? {})) {
    if (!isTrainingArg(k)) throw new RecipeError(`${where}: unknown key 'training_args.${k}' (did you mean '${toSnakeCase(closestKey(k, [...TRAINING_NAMES_SNAKE]))}'?)`);
  }
  r.trainingArgs = { ...(r.trainingArgs ?? {}), ...training };
  const need = (key: keyof Recipe, what: string) => {
    if (typeof r[key] !== 'string' || !(r[key] as string)) throw new RecipeError(`${where}: '${toSnakeCase(key)}' is required: ${what}`);
  };
  need('model', 'a Hub model id or a local model folder');
  need('dataset', "a Hub dataset id, 'imagefolder', 'json', 'csv' or a local folder");
  if (r.task !== undefined && r.task !== 'image-classification' && r.task !== 'text-classification') {
    throw new RecipeError(`${where}: task must be 'image-classification' or 'text-classification', got '${String(r.task)}'`);
  }
  if (typeof r.textColumns === 'string') r.textColumns = (r.textColumns as string).split(',').map((s) => s.trim()).filter(Boolean);
  if (r.textColumns !== undefined && (!Array.isArray(r.textColumns) || r.textColumns.length < 1 || r.textColumns.length > 2)) {
    throw new RecipeError(`${where}: text_columns must be one column or two (a sentence pair), e.g. [sentence1, sentence2]`);
  }
  if (typeof r.metrics === 'string') r.metrics = (r.metrics as string).split(',').map((s) => s.trim()).filter(Boolean);
  for (const k of ['maxLength', 'maxTrainSamples', 'maxEvalSamples'] as const) {
    const v = r[k];
    if (v !== undefined && (!Number.isInteger(v) || (v as number) < 1)) throw new RecipeError(`${where}: ${toSnakeCase(k)} must be a positive integer, got ${JSON.stringify(v)}`);
  }
  // Validate the TrainingArguments now (errors name the key and the closest valid one).
  new TrainingArguments({ ...(r.trainingArgs as object), outputDir: (r.trainingArgs as Record<string, unknown>).output_dir ?? (r.trainingArgs as Record<string, unknown>).outputDir ?? 'trainer_output' } as never);
  return r;
}

// ---------------------------------------------------------------- running

export interface Prepared {
  task: RecipeTask;
  dataset: DatasetDict;
  labels: string[];
  config: PretrainedConfig;
  processor: ProcessingClass;
  collator: (rows: Record<string, unknown>[]) => Record<string, unknown>;
  splits: Map<string, Dataset>;
  /** Splits without labels (no label column, or -1 on every row as GLUE's test split): prediction only. */
  unlabeled: Set<string>;
}

async function labelNames(ds: Dataset, column: string): Promise<{ names: string[]; toId: ((v: unknown) => number) | null }> {
  if (!ds.columnNames.includes(column)) throw new RecipeError(`the dataset has no label column '${column}' (columns: ${ds.columnNames.join(', ')}): set label_column`);
  const f = ds.features.get(column);
  if (f instanceof ClassLabel) return { names: f.names, toId: null };
  const values = (await ds.unique(column)) as unknown[];
  if (values.every((v) => typeof v === 'number' && Number.isInteger(v))) {
    const max = Math.max(...(values as number[]));
    return { names: Array.from({ length: max + 1 }, (_, i) => String(i)), toId: null };
  }
  const names = values.map(String).sort();
  return { names, toId: (v) => names.indexOf(String(v)) };
}

/** Loads the dataset, the processor and the label names, and prepares every split for the model. */
export async function prepareData(r: Recipe, modelConfig: PretrainedConfig, log: (l: string) => void): Promise<Prepared> {
  const loaded = await loadDataset(r.dataset, r.datasetConfig ?? null, { dataDir: r.dataDir, dataFiles: r.dataFiles });
  const dataset = (loaded as DatasetDict);
  if (!(dataset instanceof Map)) throw new RecipeError(`dataset '${r.dataset}' did not load as splits`);
  if (dataset.size === 0) {
    throw new RecipeError(`dataset '${r.dataset}'${r.dataDir ? ` in ${r.dataDir}` : ''} has no data files: ${r.dataset === 'imagefolder' ? 'put the images in <split>/<label>/ or <label>/ folders' : 'check the path and data_files'}`);
  }
  const trainSplit = r.trainSplit ?? 'train';
  const first = dataset.has(trainSplit) ? dataset.get(trainSplit) : dataset.get(r.testSplit ?? r.evalSplit ?? [...dataset.keys()][0]);
  const task: RecipeTask = r.task ?? (modelConfig.modelType === 'vit' ? 'image-classification' : 'text-classification');
  const fits = task === 'image-classification' ? modelConfig.modelType === 'vit' : ['bert', 'roberta', 'distilbert'].includes(modelConfig.modelType);
  if (!fits) throw new RecipeError(`model ${r.model} is a ${modelConfig.modelType} model, which does not fit the task '${task}'`);
  const labelColumn = r.labelColumn ?? (first.columnNames.includes('label') ? 'label' : first.columnNames.includes('labels') ? 'labels' : 'label');
  const { names, toId } = await labelNames(first, labelColumn);
  const labelOf = (v: unknown) => (toId ? toId(v) : Number(v));
  // datasets' convention: -1 (or no value) is 'no label'; a split holding nothing else is predicted only
  const unlabeled = new Set<string>();
  for (const [s, d] of dataset) {
    if (!d.columnNames.includes(labelColumn)) { unlabeled.add(s); continue; }
    const values = (await d.unique(labelColumn)) as unknown[];
    if (values.length > 0 && values.every((v) => v === -1 || v === -1n || v === null || v === undefined)) unlabeled.add(s);
  }
  const withLabels = (split: string, labels: () => unknown[]): { labels?: unknown[] } => (unlabeled.has(split) ? {} : { labels: labels() });

  let processor: ProcessingClass;
  let collator: Prepared['collator'];
  const splits = new Map<string, Dataset>();
  if (task === 'image-classification') {
    const imageColumn = r.imageColumn ?? (first.columnNames.includes('image') ? 'image' : first.columnNames.includes('img') ? 'img' : 'image');
    if (!first.columnNames.includes(imageColumn)) throw new RecipeError(`the dataset has no image column '${imageColumn}' (columns: ${first.columnNames.join(', ')}): set image_column`);
    const ip = await AutoImageProcessor.fromPretrained(r.model, { revision: r.revision });
    processor = ip;
    const transform = (split: string) => (batch: Batch): Batch => {
      const pv = ip.preprocessSync(batch[imageColumn] as never[]).pixel_values;
      const per = pv.shape[1] * pv.shape[2] * pv.shape[3];
      return {
        pixel_values: (batch[imageColumn] as unknown[]).map((_, i) => ({ data: pv.data.subarray(i * per, (i + 1) * per), shape: pv.shape.slice(1) })),
        ...withLabels(split, () => (batch[labelColumn] as unknown[]).map(labelOf)),
      };
    };
    for (const [s, d] of dataset) splits.set(s, d.withTransform(transform(s)));
    collator = (rows) => ({
      pixel_values: stack(rows.map((x) => { const p = x.pixel_values as { data: Float32Array; shape: number[] }; return tensor(p.data, { shape: p.shape }); })),
      ...(rows[0] && 'labels' in rows[0] ? { labels: tensor(rows.map((x) => x.labels as number), { dtype: 'int64' }) } : {}),
    });
  } else {
    const cols = r.textColumns ?? (['sentence1', 'sentence2'].every((c) => first.columnNames.includes(c)) ? ['sentence1', 'sentence2'] : ['text', 'sentence'].filter((c) => first.columnNames.includes(c)).slice(0, 1));
    if (!cols.length || cols.some((c) => !first.columnNames.includes(c))) {
      throw new RecipeError(`the dataset has no text column${cols.length > 1 ? 's' : ''} '${cols.join("', '") || 'text'}' (columns: ${first.columnNames.join(', ')}): set text_columns`);
    }
    const tok = await AutoTokenizer.fromPretrained(r.model, { revision: r.revision });
    processor = tok;
    for (const [s, d] of dataset) {
      const mapped = await d.map((b: Batch) => {
        const enc = cols.length === 2
          ? tok(b[cols[0]] as string[], b[cols[1]] as string[], { truncation: true, maxLength: r.maxLength })
          : tok(b[cols[0]] as string[], { truncation: true, maxLength: r.maxLength });
        return { ...enc, ...withLabels(s, () => (b[labelColumn] as unknown[]).map(labelOf)) };
      }, { batched: true, removeColumns: d.columnNames });
      splits.set(s, mapped);
    }
    const c = new DataCollatorWithPadding({ tokenizer: tok });
    collator = (rows) => c(rows);
  }
  for (const [s, d] of splits) {
    const max = s === trainSplit ? r.maxTrainSamples : r.maxEvalSamples;
    if (max && d.numRows > max) splits.set(s, d.select(Array.from({ length: max }, (_, i) => i)));
  }
  log(`dataset ${r.dataset}${r.datasetConfig ? ` (${r.datasetConfig})` : ''}: ${[...splits].map(([s, d]) => `${s} ${d.numRows}`).join(', ')}; ${names.length} labels: ${names.join(', ')}`);
  return { task, dataset, labels: names, config: modelConfig, processor, collator, splits, unlabeled };
}

export function metricsFor(names: string[] | undefined, numLabels: number): Promise<(p: EvalPrediction) => Promise<Record<string, number>>> {
  const list = names ?? (numLabels === 2 ? ['accuracy', 'f1'] : ['accuracy']);
  return (async () => {
    const m = list.length === 1 ? await loadMetric(list[0]) : await combine(list);
    return async (p: EvalPrediction) => {
      const predictions = (p.predictions as number[][]).map((row) => row.indexOf(Math.max(...row)));
      return await m.compute({ predictions, references: p.labelIds }) as Record<string, number>;
    };
  })();
}

function getSplit(p: Prepared, name: string | null | undefined, what: string): Dataset | null {
  if (!name) return null;
  const d = p.splits.get(name);
  if (!d) throw new RecipeError(`the dataset has no '${name}' split for ${what} (splits: ${[...p.splits.keys()].join(', ')})`);
  return d;
}

/**
 * transformers' run scripts (run_glue.py) before training: a non-empty output folder is refused unless
 * overwrite_output_dir; one with checkpoints resumes from the last (said in one line). Returns what
 * to pass as resumeFromCheckpoint.
 */
export function outputDirResume(args: TrainingArguments, log: (l: string) => void): string | boolean | null {
  const dir = args.outputDir;
  if (existsSync(dir) && statSync(dir).isDirectory() && !args.overwriteOutputDir) {
    const last = getLastCheckpoint(dir);
    if (last === null && readdirSync(dir).length > 0) {
      throw new RecipeError(`Output directory (${dir}) already exists and is not empty: use --overwrite-output-dir (overwrite_output_dir: true) to train over it, or choose another --output-dir`);
    }
    if (last !== null && args.resumeFromCheckpoint === null) {
      log(`Checkpoint detected, resuming training at ${last}. To avoid this behavior, change --output-dir or add --overwrite-output-dir to train from scratch.`);
      return true; // the newest intact checkpoint (the Trainer verifies and falls back)
    }
  }
  ensureOutputDir(dir);
  return args.resumeFromCheckpoint;
}

/** Runs a recipe: fine-tunes (or trains from scratch), prints logMetrics for train/eval/test, saves the model. */
export async function runRecipe(r: Recipe, o: { log?: (l: string) => void } = {}): Promise<{ outputDir: string; metrics: Record<string, Metrics> }> {
  const log = o.log ?? ((l: string) => console.log(l));
  const resume = outputDirResume(new TrainingArguments({ ...(r.trainingArgs ?? {}) } as never), log);
  const base = await AutoConfig.fromPretrained(r.model, { revision: r.revision });
  const p = await prepareData(r, base, log);
  const id2label = Object.fromEntries(p.labels.map((l, i) => [i, l]));
  const label2id = Object.fromEntries(p.labels.map((l, i) => [l, i]));
  const Auto = p.task === 'image-classification' ? AutoModelForImageClassification : AutoModelForSequenceClassification;
  const ta0 = (r.trainingArgs ?? {}) as Record<string, unknown>;
  setSeed(Number(ta0.seed ?? 42)); // model init is seeded like transformers' example scripts
  const model = r.fromScratch
    ? Auto.fromConfig(await AutoConfig.fromPretrained(r.model, { revision: r.revision, numLabels: p.labels.length, id2label, label2id }))
    : await Auto.fromPretrained(r.model, { revision: r.revision, numLabels: p.labels.length, id2label, label2id, ignoreMismatchedSizes: true });
  const ta = { ...(r.trainingArgs ?? {}) } as Record<string, unknown>;
  if (p.task === 'image-classification' && ta.remove_unused_columns === undefined && ta.removeUnusedColumns === undefined) ta.remove_unused_columns = false;
  const trainSplit = r.trainSplit ?? 'train';
  if (p.unlabeled.has(trainSplit)) throw new RecipeError(`the '${trainSplit}' split has no labels (label -1 or no label column): train on a labelled split (train_split)`);
  let evalSplit = r.evalSplit === undefined ? (p.splits.has('validation') ? 'validation' : null) : r.evalSplit;
  if (evalSplit && p.unlabeled.has(evalSplit)) {
    log(`note: the '${evalSplit}' split has no labels (label -1 on every row): not evaluated; its predictions are written after training`);
    evalSplit = null;
  }
  const testSplit = r.testSplit === undefined ? (p.splits.has('test') ? 'test' : null) : r.testSplit;
  const args = new TrainingArguments(ta as never);
  const trainer = new Trainer({
    model, args, dataCollator: p.collator, computeMetrics: await metricsFor(r.metrics, p.labels.length),
    trainDataset: getSplit(p, trainSplit, 'training'), evalDataset: getSplit(p, evalSplit, 'evaluation'), processingClass: p.processor,
  });
  const metrics: Record<string, Metrics> = {};
  const train = await trainer.train({ resumeFromCheckpoint: resume });
  trainer.logMetrics('train', train.metrics);
  trainer.saveMetrics('train', train.metrics);
  await trainer.saveModel();
  trainer.saveState();
  metrics.train = train.metrics;
  if (evalSplit) {
    metrics.eval = await trainer.evaluate();
    trainer.logMetrics('eval', metrics.eval);
    trainer.saveMetrics('eval', metrics.eval);
  }
  const unlabeledEval = r.evalSplit && p.unlabeled.has(r.evalSplit) ? [r.evalSplit] : [];
  for (const split of [...unlabeledEval, ...(testSplit && p.unlabeled.has(testSplit) ? [testSplit] : [])]) {
    await predictOnly(trainer, p, split, r, args.outputDir, log);
  }
  const test = testSplit && !p.unlabeled.has(testSplit) ? getSplit(p, testSplit, 'testing') : null;
  if (test) {
    metrics.test = (await trainer.predict(test, { metricKeyPrefix: 'test' })).metrics;
    trainer.logMetrics('test', metrics.test);
    trainer.saveMetrics('test', metrics.test);
  }
  log(`model saved to ${args.outputDir}`);
  return { outputDir: args.outputDir, metrics };
}

/**
 * run_glue.py's do_predict on a split without labels (GLUE's test split has label -1): predictions
 * only, written as `predict_results_<config>.txt` (index, predicted label name) in the output folder.
 */
async function predictOnly(trainer: Trainer, p: Prepared, split: string, r: Recipe, outputDir: string, log: (l: string) => void): Promise<string> {
  const ds = getSplit(p, split, 'prediction')!;
  log(`note: the '${split}' split has no labels (label -1 on every row, like GLUE's test split): predicting only, as run_glue.py does`);
  const out = await trainer.predict(ds, { metricKeyPrefix: 'predict' });
  const rows = (out.predictions as number[][]).map((row, i) => `${i}\t${p.labels[row.indexOf(Math.max(...row))] ?? row.indexOf(Math.max(...row))}`);
  const file = join(outputDir, `predict_results_${r.datasetConfig ?? split}.txt`);
  writeFileAtomicSync(file, ['index\tprediction', ...rows].join('\n') + '\n');
  log(`${rows.length} predictions for '${split}' written to ${file}`);
  return file;
}

/** Evaluates a fine-tuned model on one split of a dataset with the Trainer; prints logMetrics. */
export async function runEval(r: Recipe & { split?: string; batchSize?: number }, o: { log?: (l: string) => void; print?: boolean } = {}): Promise<Metrics> {
  const log = o.log ?? ((l: string) => console.log(l));
  const config = await AutoConfig.fromPretrained(r.model, { revision: r.revision });
  const p = await prepareData(r, config, log);
  const split = r.split ?? (p.splits.has('test') ? 'test' : p.splits.has('validation') ? 'validation' : [...p.splits.keys()][0]);
  const ds = getSplit(p, split, 'evaluation')!;
  if (p.unlabeled.has(split)) throw new RecipeError(`the '${split}' split has no labels (label -1 on every row): nothing to evaluate against; use \`hubtune predict\` or choose a labelled --split`);
  const modelLabels = Object.keys(config.id2label).length;
  if (modelLabels !== p.labels.length) {
    throw new RecipeError(`${r.model} has ${modelLabels} labels but the dataset has ${p.labels.length} (${p.labels.join(', ')}): evaluate a model fine-tuned on this dataset`);
  }
  const Auto = p.task === 'image-classification' ? AutoModelForImageClassification : AutoModelForSequenceClassification;
  const model = await Auto.fromPretrained(r.model, { revision: r.revision, quiet: true });
  const { mkdtempSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const args = new TrainingArguments({ outputDir: mkdtempSync(join(tmpdir(), 'hubtune-eval-')), perDeviceEvalBatchSize: r.batchSize ?? 32, removeUnusedColumns: false, reportTo: [] } as never);
  const trainer = new Trainer({ model, args, dataCollator: p.collator, computeMetrics: await metricsFor(r.metrics, p.labels.length) });
  const prefix = split === 'validation' ? 'eval' : split;
  const out = await trainer.predict(ds, { metricKeyPrefix: prefix });
  if (o.print !== false) trainer.logMetrics(prefix, out.metrics);
  return out.metrics;
}
