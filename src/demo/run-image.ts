// `hubtune demo` (image): the course's ViT-on-beans transfer-learning project, offline and small.
// A beans-like leaf dataset is generated (cached); the tiny ViT pretrained by the project on a
// different synthetic task (assets/vit-tiny-shapes) is fine-tuned with the Trainer exactly as in the
// course (AutoModelForImageClassification.fromPretrained(..., ignoreMismatchedSizes), image processor,
// withTransform, collate fn, evalStrategy steps, loadBestModelAtEnd, removeUnusedColumns false);
// the same architecture is trained from scratch (fromConfig) with the same budget; both are
// evaluated on the test split and compared; the fine-tuned model is saved with a model card and
// plots, and used through pipeline('image-classification').
import { join, resolve } from 'node:path';
import { readdirSync } from 'node:fs';
import { loadDataset, type Batch, type DatasetDict } from '../datasets/index';
import { AutoModelForImageClassification, AutoConfig, type PreTrainedModel } from '../models/index';
import { AutoImageProcessor, type ViTImageProcessor } from '../preprocessing/image-processing';
import { Trainer, TrainingArguments, setSeed, createModelCard, saveModelCard, type EvalPrediction } from '../training/index';
import { loadMetric } from '../metrics/index';
import { stack, tensor } from '../torch/index';
import { pipeline } from '../pipelines/index';
import { generateBeansLike, BEANS_LABELS } from './data';
import { formatComparisonTable } from './report';
import { assetsDir, demoCacheDir, frameworkVersions, saveCurves, saveConfusion, argmaxRows, elapsed, type RunLog } from './run-common';

export interface ImageDemoOptions {
  outputDir?: string;
  /** Generated dataset folder (default: the demo cache). */
  dataDir?: string;
  /** The pretrained checkpoint (default assets/vit-tiny-shapes). */
  baseModel?: string;
  epochs?: number;
  counts?: { train: number; validation: number; test: number };
  seed?: number;
  /** Fine-tune under bf16 CPU autocast (TrainingArguments bf16). */
  bf16?: boolean;
  /** Also train the same architecture from scratch, report, plot and predict (default true; false returns after the fine-tuning, scratch NaN). */
  scratch?: boolean;
  log?: (line: string) => void;
}

export interface DemoResult {
  outputDir: string;
  modelDir: string;
  fineTuned: { accuracy: number; f1?: number; trainSeconds: number };
  scratch: { accuracy: number; f1?: number; trainSeconds: number };
  files: string[];
}

export const IMAGE_DEMO_DEFAULTS = {
  counts: { train: 600, validation: 300, test: 300 },
  epochs: 8,
  size: 64,
  dataSeed: 2024,
};

export async function runImageDemo(o: ImageDemoOptions = {}): Promise<DemoResult> {
  const log = o.log ?? ((l: string) => console.log(l));
  const t0 = performance.now();
  const outputDir = resolve(o.outputDir ?? 'demo-output');
  const counts = o.counts ?? IMAGE_DEMO_DEFAULTS.counts;
  const baseModel = o.baseModel ?? join(assetsDir(), 'vit-tiny-shapes');
  const epochs = o.epochs ?? IMAGE_DEMO_DEFAULTS.epochs;
  const seed = o.seed ?? 42;

  // 1. data: a beans-like imagefolder (train/validation/test x angular_leaf_spot/bean_rust/healthy)
  log('== 1/5 data: beans-like leaf images ==');
  const dataDir = o.dataDir ?? join(demoCacheDir(), `beans-like-${IMAGE_DEMO_DEFAULTS.size}px`);
  const gen = await generateBeansLike({ outDir: dataDir, seed: IMAGE_DEMO_DEFAULTS.dataSeed, counts, size: IMAGE_DEMO_DEFAULTS.size });
  log(`${gen.cached ? 'cached' : 'generated'}: ${dataDir} (${Object.entries(counts).map(([k, v]) => `${k} ${v}`).join(', ')})`);
  const ds = await loadDataset('imagefolder', { dataDir }) as DatasetDict;
  log(ds.toString());
  const labels = [...BEANS_LABELS] as string[];
  const id2label = Object.fromEntries(labels.map((l, i) => [String(i), l]));
  const label2id = Object.fromEntries(labels.map((l, i) => [l, i]));

  // 2. preprocessing, as in the course: processor(images) in a transform, applied on the fly
  const processor: ViTImageProcessor = await AutoImageProcessor.fromPretrained(baseModel);
  const transform = (batch: Batch): Batch => {
    const inputs = processor.preprocessSync(batch.image as never[]).pixel_values;
    const per = inputs.shape[1] * inputs.shape[2] * inputs.shape[3];
    const pixel_values = (batch.image as unknown[]).map((_, i) => ({ data: inputs.data.subarray(i * per, (i + 1) * per), shape: inputs.shape.slice(1) }));
    return { pixel_values, labels: batch.label };
  };
  const prepared = new Map([...ds].map(([split, d]) => [split, d.withTransform(transform)]));
  const collateFn = (rows: Record<string, unknown>[]) => ({
    pixel_values: stack(rows.map((r) => { const p = r.pixel_values as { data: Float32Array; shape: number[] }; return tensor(p.data, { shape: p.shape }); })),
    labels: tensor(rows.map((r) => r.labels as number), { dtype: 'int64' }),
  });
  const metric = await loadMetric('accuracy');
  const computeMetrics = (p: EvalPrediction) => metric.compute({ predictions: argmaxRows(p.predictions), references: p.labelIds }) as Record<string, number>;

  const trainArgs = (dir: string) => new TrainingArguments({
    outputDir: dir, perDeviceTrainBatchSize: 16, perDeviceEvalBatchSize: 64, evalStrategy: 'steps', numTrainEpochs: epochs,
    saveSteps: 25, evalSteps: 25, loggingSteps: 10, learningRate: 1e-3, warmupRatio: 0.1, weightDecay: 0.05, saveTotalLimit: 2,
    removeUnusedColumns: false, loadBestModelAtEnd: true, metricForBestModel: 'accuracy', seed, reportTo: [], bf16: o.bf16 ?? false,
  });

  const run = async (name: string, model: PreTrainedModel, dir: string) => {
    const trainer = new Trainer({
      model, args: trainArgs(dir), dataCollator: collateFn, computeMetrics,
      trainDataset: prepared.get('train')!, evalDataset: prepared.get('validation')!, processingClass: processor,
    });
    const start = performance.now();
    const trainResults = await trainer.train();
    const trainSeconds = (performance.now() - start) / 1000;
    trainer.logMetrics('train', trainResults.metrics);
    const evalMetrics = await trainer.evaluate();
    trainer.logMetrics('eval', evalMetrics);
    const pred = await trainer.predict(prepared.get('test')!, { metricKeyPrefix: 'test' });
    trainer.logMetrics('test', pred.metrics);
    log(`${name}: test accuracy ${(Number(pred.metrics.test_accuracy) * 100).toFixed(1)}% (trained in ${trainSeconds.toFixed(1)} s)`);
    return { trainer, trainSeconds, pred, evalMetrics, trainResults };
  };

  // 3. fine-tune the pretrained ViT (new 3-label head)
  log(`\n== 2/5 fine-tune ${baseModel} (pretrained on synthetic shapes) ==`);
  setSeed(seed); // the new head's init, as transformers' examples call set_seed before loading
  const model = await AutoModelForImageClassification.fromPretrained(baseModel, {
    numLabels: labels.length, id2label, label2id, ignoreMismatchedSizes: true,
  });
  const ft = await run('fine-tuned', model, join(outputDir, 'runs', 'fine-tuned'));
  const modelDir = join(outputDir, 'vit-tiny-beans-like');
  await ft.trainer.saveModel(modelDir);
  ft.trainer.saveMetrics('train', ft.trainResults.metrics);
  ft.trainer.saveMetrics('eval', ft.evalMetrics);
  ft.trainer.saveMetrics('test', ft.pred.metrics);
  ft.trainer.saveState();

  if (o.scratch === false) {
    return { outputDir, modelDir, files: [], fineTuned: { accuracy: Number(ft.pred.metrics.test_accuracy), trainSeconds: ft.trainSeconds }, scratch: { accuracy: NaN, trainSeconds: 0 } };
  }

  // 4. the same architecture from scratch, same data and budget
  log('\n== 3/5 train the same architecture from scratch (same data, same budget) ==');
  const config = await AutoConfig.fromPretrained(baseModel, { numLabels: labels.length, id2label, label2id });
  setSeed(seed);
  const scratchModel = AutoModelForImageClassification.fromConfig(config);
  const sc = await run('from scratch', scratchModel, join(outputDir, 'runs', 'from-scratch'));

  // 5. report, card, plots
  log('\n== 4/5 results on the test split ==');
  const ftAcc = Number(ft.pred.metrics.test_accuracy), scAcc = Number(sc.pred.metrics.test_accuracy);
  log(formatComparisonTable([
    { name: 'pretrained (shapes) + fine-tuned', accuracy: ftAcc, trainSeconds: ft.trainSeconds },
    { name: 'same ViT from scratch', accuracy: scAcc, trainSeconds: sc.trainSeconds },
  ], { title: `beans-like test split (${counts.test} images), ${epochs} epochs on ${counts.train} training images` }));
  log(`transfer learning: ${((ftAcc - scAcc) * 100 >= 0 ? '+' : '')}${((ftAcc - scAcc) * 100).toFixed(1)} accuracy points over training from scratch`);

  const card = createModelCard({
    modelName: 'vit-tiny-beans-like', baseModel: 'hubtune/vit-tiny-shapes', datasets: 'beans-like', datasetNames: 'beans-like (synthetic, generated by hubtune demo)',
    task: 'image-classification', license: 'apache-2.0', logHistory: ft.trainer.state.logHistory, hyperparameters: ft.trainer.args,
    frameworkVersions: frameworkVersions(), tags: ['vit', 'hubtune-demo'],
  });
  saveModelCard(modelDir, card);
  const runs: RunLog[] = [{ name: 'fine-tuned', logHistory: ft.trainer.state.logHistory }, { name: 'from scratch', logHistory: sc.trainer.state.logHistory }];
  const files = await saveCurves(outputDir, runs, 'accuracy', log);
  files.push(await saveConfusion(join(outputDir, 'confusion-matrix'), labels, ft.pred.labelIds as number[], argmaxRows(ft.pred.predictions), 'Fine-tuned ViT, test split', log));
  files.push(await saveConfusion(join(outputDir, 'confusion-matrix-scratch'), labels, sc.pred.labelIds as number[], argmaxRows(sc.pred.predictions), 'ViT from scratch, test split', log));
  log(`saved: ${modelDir} (model, image processor, README.md model card)`);
  for (const f of files) log(`saved: ${f}`);

  // 6. use it
  log(`\n== 5/5 pipeline('image-classification', {model: '${modelDir}'}) ==`);
  const classifier = await pipeline('image-classification', { model: modelDir });
  const samples = labels.map((l) => join(dataDir, 'test', l, readdirSync(join(dataDir, 'test', l)).sort()[0]));
  const preds = await classifier(samples, { topK: 3 });
  samples.forEach((s, i) => {
    const top = (preds as { label: string; score: number }[][])[i];
    log(`${s.slice(dataDir.length + 1)}  ->  ${top.map((p) => `${p.label} ${p.score.toFixed(3)}`).join(', ')}`);
  });
  log(`\ndone in ${elapsed(t0)}. Try: hubtune predict ${modelDir} ${samples[0]}`);
  return {
    outputDir, modelDir, files,
    fineTuned: { accuracy: ftAcc, trainSeconds: ft.trainSeconds },
    scratch: { accuracy: scAcc, trainSeconds: sc.trainSeconds },
  };
}
