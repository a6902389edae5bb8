// Fine-tune distilroberta-base on GLUE MRPC (the course's text-classification project), with hubtune's API.
//
//   node --import tsx examples/advanced/mrpc-distilroberta.ts [--model distilroberta-base] [--dataset glue] [--config mrpc]
//        [--output-dir ./distilroberta-mrpc] [--max-steps N] [--epochs 3] [--batch-size 8]
//
// HF_ENDPOINT points it at another Hub (the tests use a local one with tiny stand-ins).
import { pathToFileURL } from 'node:url';
import { loadDataset, type DatasetDict } from '../../src/datasets/index';
import { AutoModelForSequenceClassification } from '../../src/models/index';
import { AutoTokenizer } from '../../src/preprocessing/tokenization';
import { DataCollatorWithPadding } from '../../src/preprocessing/collators';
import { loadMetric } from '../../src/metrics/index';
import { Trainer, TrainingArguments, argmax, setSeed, type EvalPrediction } from '../../src/training/index';

export interface MrpcOptions {
  model?: string; dataset?: string; config?: string; outputDir?: string; maxSteps?: number; epochs?: number; batchSize?: number;
  learningRate?: number; device?: 'auto' | 'cpu' | 'cuda'; groupByLength?: boolean;
}

export function parseArgs(argv: string[]): MrpcOptions {
  const o: MrpcOptions = {};
  for (let i = 0; i < argv.length; i++) {
    const [k, inline] = argv[i]!.split('=', 2) as [string, string | undefined];
    const v = () => inline ?? argv[++i]!;
    switch (k) {
      case '--model': o.model = v(); break;
      case '--dataset': o.dataset = v(); break;
      case '--config': o.config = v(); break;
      case '--output-dir': o.outputDir = v(); break;
      case '--max-steps': o.maxSteps = Number(v()); break;
      case '--epochs': o.epochs = Number(v()); break;
      case '--batch-size': o.batchSize = Number(v()); break;
      case '--learning-rate': o.learningRate = Number(v()); break;
      case '--device': o.device = v() as MrpcOptions['device']; break;
      case '--group-by-length': o.groupByLength = true; break;
      default: throw new Error(`unknown option ${k}: use --model, --dataset, --config, --output-dir, --max-steps, --epochs, --batch-size, --learning-rate, --device, --group-by-length`);
    }
  }
  return o;
}

export async function main(o: MrpcOptions = {}): Promise<{ train: Record<string, unknown>; eval: Record<string, unknown>; interrupted: boolean }> {
  const modelId = o.model ?? process.env.MODEL ?? 'distilroberta-base';
  const datasetId = o.dataset ?? process.env.DATASET ?? 'glue';
  const config = o.config ?? 'mrpc';

  const rawDatasets = await loadDataset(datasetId, config) as DatasetDict;
  const tokenizer = await AutoTokenizer.fromPretrained(modelId);
  const tokenizeFunction = (example: Record<string, string[]>) => tokenizer.call(example.sentence1!, example.sentence2!, { truncation: true });
  const tokenizedDatasets = await rawDatasets.map(tokenizeFunction, { batched: true });
  const dataCollator = new DataCollatorWithPadding({ tokenizer });

  const metric = loadMetric('glue', 'mrpc');
  const computeMetrics = (p: EvalPrediction) => metric.compute({ predictions: argmax(p.predictions), references: p.labelIds }) as Record<string, number>;

  setSeed(42); // transformers' examples seed before loading, so the new head's init is reproducible
  const model = await AutoModelForSequenceClassification.fromPretrained(modelId, { numLabels: 2 });
  const args = new TrainingArguments({
    outputDir: o.outputDir ?? './distilroberta-mrpc',
    evalStrategy: 'epoch',
    saveStrategy: 'epoch',
    numTrainEpochs: o.epochs ?? 3,
    maxSteps: o.maxSteps ?? -1,
    perDeviceTrainBatchSize: o.batchSize ?? 8,
    perDeviceEvalBatchSize: o.batchSize ?? 8,
    learningRate: o.learningRate ?? 5e-5,
    loggingSteps: 50,
    groupByLength: o.groupByLength ?? false,
    device: o.device ?? 'auto',
  });

  const trainer = new Trainer({
    model, args, dataCollator: dataCollator as never, computeMetrics, processingClass: tokenizer,
    trainDataset: tokenizedDatasets.get('train')!, evalDataset: tokenizedDatasets.get('validation')!,
  });
  const trainResults = await trainer.train();
  if (trainResults.interrupted) return { train: trainResults.metrics, eval: {}, interrupted: true };
  await trainer.saveModel();
  trainer.logMetrics('train', trainResults.metrics);
  trainer.saveMetrics('train', trainResults.metrics);
  trainer.saveState();

  const metrics = await trainer.evaluate();
  trainer.logMetrics('eval', metrics);
  trainer.saveMetrics('eval', metrics);
  return { train: trainResults.metrics, eval: metrics, interrupted: false };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(parseArgs(process.argv.slice(2))).then((r) => { if (r.interrupted) process.exit(130); }, (e) => {
    console.error(`mrpc-distilroberta: ${(e as Error).message}`);
    process.exit(1);
  });
}
