// Fine-tune ViT on beans (the course's image-classification project), with hubtune's API.
//
//   node --import tsx examples/advanced/beans-vit.ts [--model google/vit-base-patch16-224-in21k] [--dataset beans]
//        [--output-dir ./vit-base-beans] [--max-steps N] [--epochs 4] [--batch-size 16] [--workers N]
//
// HF_ENDPOINT points it at another Hub (the tests use a local one with tiny stand-ins).
// Images are decoded and preprocessed in worker threads (ImagePreprocessPool) while the model trains.
import { pathToFileURL } from 'node:url';
import { availableParallelism } from 'node:os';
import { loadDataset, Image, type DatasetDict } from '../../src/datasets/index';
import { AutoModelForImageClassification } from '../../src/models/index';
import { ViTImageProcessor, ImagePreprocessPool } from '../../src/preprocessing/image-processing';
import { loadMetric } from '../../src/metrics/index';
import { Trainer, TrainingArguments, argmax, setSeed, type EvalPrediction } from '../../src/training/index';
import { tensor, type Tensor } from '../../src/torch/index';

export interface BeansOptions {
  model?: string; dataset?: string; outputDir?: string; maxSteps?: number; epochs?: number; batchSize?: number;
  evalSteps?: number; loggingSteps?: number; workers?: number; device?: 'auto' | 'cpu' | 'cuda';
}

export function parseArgs(argv: string[]): BeansOptions {
  const o: BeansOptions = {};
  for (let i = 0; i < argv.length; i++) {
    const [k, inline] = argv[i]!.split('=', 2) as [string, string | undefined];
    const v = () => inline ?? argv[++i]!;
    switch (k) {
      case '--model': o.model = v(); break;
      case '--dataset': o.dataset = v(); break;
      case '--output-dir': o.outputDir = v(); break;
      case '--max-steps': o.maxSteps = Number(v()); break;
      case '--epochs': o.epochs = Number(v()); break;
      case '--batch-size': o.batchSize = Number(v()); break;
      case '--eval-steps': o.evalSteps = Number(v()); break;
      case '--logging-steps': o.loggingSteps = Number(v()); break;
      case '--workers': o.workers = Number(v()); break;
      case '--device': o.device = v() as BeansOptions['device']; break;
      default: throw new Error(`unknown option ${k}: use --model, --dataset, --output-dir, --max-steps, --epochs, --batch-size, --eval-steps, --logging-steps, --workers, --device`);
    }
  }
  return o;
}

export async function main(o: BeansOptions = {}): Promise<{ train: Record<string, unknown>; test: Record<string, unknown>; interrupted: boolean }> {
  const modelId = o.model ?? process.env.MODEL ?? 'google/vit-base-patch16-224-in21k';
  const datasetId = o.dataset ?? process.env.DATASET ?? 'beans';

  const ds = await loadDataset(datasetId) as DatasetDict;
  const train = ds.get('train')!;
  // The Hub's beans has a "labels" column; an imagefolder has "label".
  const labelColumn = train.columnNames.includes('labels') ? 'labels' : 'label';
  const labels: string[] = (train.features.get(labelColumn) as { names: string[] }).names;

  const processor = await ViTImageProcessor.fromPretrained(modelId);
  // Decoding + resize + normalise in worker threads; the dataset hands over the encoded bytes.
  const workers = o.workers ?? Math.max(1, Math.min(4, availableParallelism() - 1));
  const pool = workers > 0 ? new ImagePreprocessPool({ processor, workers }) : null;
  const prepared = pool ? await ds.castColumn({ column: 'image', feature: new Image({ decode: false }) }) : ds;
  const transform = async (batch: Record<string, unknown[]>) => {
    let pixelValues: { data: Float32Array; shape: number[] }[];
    if (pool) {
      const inputs = batch.image!.map((im) => { const e = im as { bytes?: Uint8Array | null; path?: string | null }; return e.bytes ? Buffer.from(e.bytes) : e.path!; });
      pixelValues = await Promise.all(inputs.map((x) => pool.run(x)));
    } else {
      pixelValues = (await processor.preprocess(batch.image as never, { returnTensors: 'list' })).pixel_values;
    }
    return { pixel_values: pixelValues, labels: batch[labelColumn]! };
  };
  const dataset = prepared.withTransform(transform);

  const collateFn = (batch: Record<string, unknown>[]): Record<string, Tensor> => {
    const first = batch[0]!.pixel_values as { data: Float32Array; shape: number[] };
    const per = first.data.length;
    const data = new Float32Array(per * batch.length);
    batch.forEach((x, i) => data.set((x.pixel_values as { data: Float32Array }).data, i * per));
    return {
      pixel_values: tensor(data, { shape: [batch.length, ...first.shape.slice(-3)] }),
      labels: tensor(batch.map((x) => x.labels as number), { dtype: 'int64' }),
    };
  };

  const metric = loadMetric('accuracy');
  const computeMetrics = (p: EvalPrediction) => metric.compute({ predictions: argmax(p.predictions), references: p.labelIds }) as Record<string, number>;

  setSeed(42); // transformers' examples seed before loading, so the new head's init is reproducible
  const model = await AutoModelForImageClassification.fromPretrained(modelId, {
    numLabels: labels.length,
    id2label: Object.fromEntries(labels.map((l, i) => [String(i), l])),
    label2id: Object.fromEntries(labels.map((l, i) => [l, i])),
  });

  const args = new TrainingArguments({
    outputDir: o.outputDir ?? './vit-base-beans',
    perDeviceTrainBatchSize: o.batchSize ?? 16,
    evalStrategy: 'steps',
    numTrainEpochs: o.epochs ?? 4,
    maxSteps: o.maxSteps ?? -1,
    saveSteps: o.evalSteps ?? 100,
    evalSteps: o.evalSteps ?? 100,
    loggingSteps: o.loggingSteps ?? 10,
    learningRate: 2e-4,
    saveTotalLimit: 2,
    removeUnusedColumns: false,
    pushToHub: false,
    loadBestModelAtEnd: true,
    device: o.device ?? 'auto',
  });

  const trainer = new Trainer({
    model, args, dataCollator: collateFn, computeMetrics,
    trainDataset: dataset.get('train')!, evalDataset: dataset.get('validation')!, processingClass: processor,
  });
  try {
    const trainResults = await trainer.train();
    if (trainResults.interrupted) return { train: trainResults.metrics, test: {}, interrupted: true };
    await trainer.saveModel();
    trainer.logMetrics('train', trainResults.metrics);
    trainer.saveMetrics('train', trainResults.metrics);
    trainer.saveState();

    const metrics = await trainer.evaluate(dataset.get('test')!);
    trainer.logMetrics('eval', metrics);
    trainer.saveMetrics('eval', metrics);
    return { train: trainResults.metrics, test: metrics, interrupted: false };
  } finally {
    await pool?.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(parseArgs(process.argv.slice(2))).then((r) => { if (r.interrupted) process.exit(130); }, (e) => {
    console.error(`beans-vit: ${(e as Error).message}`);
    process.exit(1);
  });
}
