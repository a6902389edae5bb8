// Fine-tune any supported image backbone on an image-classification dataset, like transformers'
// examples/pytorch/image-classification/run_image_classification.py, with hubtune's API.
//
//   node --import tsx examples/image-classification.ts --model <hub id | folder | family> [--dataset beans]
//        [--output-dir DIR] [--epochs 5] [--max-steps N] [--batch-size 32] [--learning-rate 5e-5] [--seed 42]
//        [--train-val-split 0.15] [--label-column-name label] [--workers N] [--color-jitter B,C,S,H] [--device cpu]
//
// --model takes a Hub id or a folder (ViT, DeiT, BEiT, Swin, ConvNeXt, ResNet checkpoints: bare backbones or
// classifiers, whose head is replaced since the label count differs, as with --ignore_mismatched_sizes), or a
// family name for its usual checkpoint: vit, deit, beit, swin, convnext, resnet (see BACKBONES).
// The image processor of the checkpoint gives the sizes and normalisation; training images get
// RandomResizedCrop + RandomHorizontalFlip (+ ColorJitter if asked), evaluation images Resize + CenterCrop,
// all decoded and transformed in worker threads (ImagePreprocessPool). HF_ENDPOINT points it at another Hub.
import { pathToFileURL } from 'node:url';
import { availableParallelism } from 'node:os';
import { loadDataset, Image, type Dataset, type DatasetDict } from '../src/datasets/index';
import { AutoConfig, modalityOf, modelClassFor } from '../src/models/index';
import { AutoImageProcessor, ImagePreprocessPool, type ColorJitterOptions } from '../src/preprocessing/image-processing';
import { loadMetric } from '../src/metrics/index';
import { Trainer, TrainingArguments, argmax, setSeed, type EvalPrediction } from '../src/training/index';
import { tensor, type Tensor } from '../src/torch/index';

/** A usual Hub checkpoint per family (the ones transformers' image-classification docs fine-tune). */
export const BACKBONES: Readonly<Record<string, string>> = {
  vit: 'google/vit-base-patch16-224-in21k',
  deit: 'facebook/deit-base-distilled-patch16-224',
  beit: 'microsoft/beit-base-patch16-224-pt22k',
  swin: 'microsoft/swin-tiny-patch4-window7-224',
  convnext: 'facebook/convnext-tiny-224',
  resnet: 'microsoft/resnet-50',
};

export interface ImageClassificationOptions {
  model?: string; dataset?: string; outputDir?: string; epochs?: number; maxSteps?: number; batchSize?: number;
  learningRate?: number; seed?: number; trainValSplit?: number; labelColumnName?: string; imageColumnName?: string;
  evalSteps?: number; loggingSteps?: number; workers?: number; colorJitter?: ColorJitterOptions | null; device?: 'auto' | 'cpu' | 'cuda';
}

export function parseArgs(argv: string[]): ImageClassificationOptions {
  const o: ImageClassificationOptions = {};
  for (let i = 0; i < argv.length; i++) {
    const [k, inline] = argv[i]!.split('=', 2) as [string, string | undefined];
    const v = () => { const x = inline ?? argv[++i]; if (x === undefined) throw new Error(`${k} needs a value`); return x; };
    const num = () => { const x = Number(v()); if (!Number.isFinite(x)) throw new Error(`${k} needs a number`); return x; };
    switch (k.replace(/_/g, '-')) {
      case '--model': case '--model-name-or-path': o.model = v(); break;
      case '--dataset': case '--dataset-name': o.dataset = v(); break;
      case '--output-dir': o.outputDir = v(); break;
      case '--epochs': case '--num-train-epochs': o.epochs = num(); break;
      case '--max-steps': o.maxSteps = num(); break;
      case '--batch-size': case '--per-device-train-batch-size': o.batchSize = num(); break;
      case '--learning-rate': o.learningRate = num(); break;
      case '--seed': o.seed = num(); break;
      case '--train-val-split': o.trainValSplit = num(); break;
      case '--label-column-name': o.labelColumnName = v(); break;
      case '--image-column-name': o.imageColumnName = v(); break;
      case '--eval-steps': o.evalSteps = num(); break;
      case '--logging-steps': o.loggingSteps = num(); break;
      case '--workers': o.workers = num(); break;
      case '--color-jitter': {
        const [brightness, contrast, saturation, hue] = v().split(',').map(Number);
        o.colorJitter = { brightness, contrast, saturation, hue };
        break;
      }
      case '--device': o.device = v() as ImageClassificationOptions['device']; break;
      default: throw new Error(`unknown option ${k}: use --model, --dataset, --output-dir, --epochs, --max-steps, --batch-size, --learning-rate, --seed, --train-val-split, --label-column-name, --image-column-name, --eval-steps, --logging-steps, --workers, --color-jitter, --device`);
    }
  }
  return o;
}

export interface ImageClassificationResult { modelId: string; modelType: string; labels: string[]; train: Record<string, unknown>; eval: Record<string, unknown>; interrupted: boolean }

export async function main(o: ImageClassificationOptions = {}): Promise<ImageClassificationResult> {
  const given = o.model ?? process.env.MODEL ?? 'vit';
  const modelId = BACKBONES[given] ?? given;
  const seed = o.seed ?? 42;
  const imageColumn = o.imageColumnName ?? 'image';

  // the dataset: a validation split, or train_val_split of train (the script's default 0.15)
  let ds = await loadDataset(o.dataset ?? process.env.DATASET ?? 'beans') as DatasetDict;
  if (!ds.get('train')) throw new Error(`the dataset has no train split (it has ${[...ds.keys()].join(', ')})`);
  if (!ds.get('validation')) {
    const split = await ds.get('train')!.trainTestSplit({ testSize: o.trainValSplit ?? 0.15, seed });
    ds = new Map([['train', split.get('train')!], ['validation', split.get('test')!]]) as DatasetDict;
  }
  const train = ds.get('train')!;
  const labelColumn = o.labelColumnName ?? (train.columnNames.includes('label') ? 'label' : 'labels');
  for (const c of [imageColumn, labelColumn]) {
    if (!train.columnNames.includes(c)) throw new Error(`the dataset has no '${c}' column (it has ${train.columnNames.join(', ')}): pass --image-column-name / --label-column-name`);
  }
  const labels: string[] = (train.features.get(labelColumn) as { names?: string[] }).names ?? [];
  if (!labels.length) throw new Error(`column '${labelColumn}' is not a ClassLabel with names: cast it with ClassLabel({names: [...]}) first`);

  const config = await AutoConfig.fromPretrained(modelId);
  if (modalityOf(config.modelType) !== 'vision') throw new Error(`${modelId} is a ${config.modelType} model: pass an image backbone (${Object.keys(BACKBONES).join(', ')}, or a Hub id of one)`);
  const processor = await AutoImageProcessor.fromPretrained(modelId);

  // decoding and the torchvision-style transforms run in worker threads; the dataset hands over encoded bytes
  const workers = Math.max(1, o.workers ?? Math.min(4, availableParallelism() - 1));
  const augment = { colorJitter: o.colorJitter ?? null };
  const trainPool = new ImagePreprocessPool({ processor, workers, transform: 'train', seed, augment });
  const evalPool = new ImagePreprocessPool({ processor, workers, transform: 'eval', seed });
  const encoded = (d: Dataset) => d.castColumn({ column: imageColumn, feature: new Image({ decode: false }) });
  const transformWith = (pool: ImagePreprocessPool) => async (batch: Record<string, unknown[]>) => {
    const inputs = batch[imageColumn]!.map((im) => { const e = im as { bytes?: Uint8Array | null; path?: string | null }; return e.bytes ? Buffer.from(e.bytes) : e.path!; });
    return { pixel_values: await Promise.all(inputs.map((x) => pool.run(x))), labels: batch[labelColumn]! };
  };
  const trainDataset = (await encoded(train)).withTransform(transformWith(trainPool));
  const evalDataset = (await encoded(ds.get('validation')!)).withTransform(transformWith(evalPool));

  const collateFn = (batch: Record<string, unknown>[]): Record<string, Tensor> => {
    const first = batch[0]!.pixel_values as { data: Float32Array; shape: number[] };
    const data = new Float32Array(first.data.length * batch.length);
    batch.forEach((x, i) => data.set((x.pixel_values as { data: Float32Array }).data, i * first.data.length));
    return {
      pixel_values: tensor(data, { shape: [batch.length, ...first.shape.slice(-3)] }),
      labels: tensor(batch.map((x) => x.labels as number), { dtype: 'int64' }),
    };
  };
  const metric = loadMetric('accuracy');
  const computeMetrics = (p: EvalPrediction) => metric.compute({ predictions: argmax(p.predictions), references: p.labelIds }) as Record<string, number>;

  setSeed(seed);
  // AutoModelForImageClassification's pick; a distilled DeiT checkpoint names the inference-only teacher
  // class, so its trainable DeiTForImageClassification is fine-tuned instead (a new classifier on the backbone)
  const picked = modelClassFor('AutoModelForImageClassification', config.modelType, modelId, config.architectures);
  const ModelClass = picked.name.endsWith('WithTeacher') ? modelClassFor('AutoModelForImageClassification', config.modelType, modelId) : picked;
  const model = await ModelClass.fromPretrained(modelId, {
    numLabels: labels.length,
    id2label: Object.fromEntries(labels.map((l, i) => [String(i), l])),
    label2id: Object.fromEntries(labels.map((l, i) => [l, i])),
    finetuningTask: 'image-classification',
    // a classifier checkpoint's head has its own label count: replaced, as with --ignore_mismatched_sizes
    ignoreMismatchedSizes: true,
    quiet: true,
  } as never);

  const args = new TrainingArguments({
    outputDir: o.outputDir ?? `./${modelId.split('/').pop()}-finetuned`,
    perDeviceTrainBatchSize: o.batchSize ?? 32,
    perDeviceEvalBatchSize: o.batchSize ?? 32,
    numTrainEpochs: o.epochs ?? 5,
    maxSteps: o.maxSteps ?? -1,
    learningRate: o.learningRate ?? 5e-5,
    evalStrategy: 'steps', evalSteps: o.evalSteps ?? 100, saveSteps: o.evalSteps ?? 100, loggingSteps: o.loggingSteps ?? 10,
    saveTotalLimit: 2, loadBestModelAtEnd: true, metricForBestModel: 'accuracy',
    removeUnusedColumns: false, seed, pushToHub: false, device: o.device ?? 'auto',
  });
  const trainer = new Trainer({ model, args, dataCollator: collateFn, computeMetrics, trainDataset, evalDataset, processingClass: processor });
  try {
    const trained = await trainer.train();
    if (trained.interrupted) return { modelId, modelType: config.modelType, labels, train: trained.metrics, eval: {}, interrupted: true };
    await trainer.saveModel();
    trainer.logMetrics('train', trained.metrics);
    trainer.saveMetrics('train', trained.metrics);
    trainer.saveState();
    const metrics = await trainer.evaluate();
    trainer.logMetrics('eval', metrics);
    trainer.saveMetrics('eval', metrics);
    return { modelId, modelType: config.modelType, labels, train: trained.metrics, eval: metrics, interrupted: false };
  } finally {
    await Promise.all([trainPool.close(), evalPool.close()]);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(parseArgs(process.argv.slice(2))).then((r) => { if (r.interrupted) process.exit(130); }, (e) => {
    console.error(`image-classification: ${(e as Error).message}`);
    process.exit(1);
  });
}
