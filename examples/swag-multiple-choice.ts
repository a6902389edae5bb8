// Multiple choice on SWAG (transformers' run_swag.py): each example's context paired with each of
// its four endings, the choices padded together, BERT's multiple-choice head fine-tuned to pick the
// right ending, accuracy on the validation split.
//
//   node --import tsx examples/swag-multiple-choice.ts [--model google-bert/bert-base-uncased] [--dataset allenai/swag]
//        [--output-dir ./bert-swag] [--max-length 128] [--max-steps N] [--epochs 3] [--batch-size 8]
//
// HF_ENDPOINT points it at another Hub (the tests use a local one with tiny stand-ins).
import { pathToFileURL } from 'node:url';
import {
  loadDataset, AutoTokenizer, AutoModelForMultipleChoice, DataCollatorForMultipleChoice, loadMetric, Trainer, TrainingArguments,
  argmax, setSeed, type DatasetDict, type EvalPrediction,
} from 'hubtune';

export interface SwagOptions { model?: string; dataset?: string; outputDir?: string; maxLength?: number; maxSteps?: number; epochs?: number; batchSize?: number; learningRate?: number }

const ENDINGS = ['ending0', 'ending1', 'ending2', 'ending3'];

export async function main(o: SwagOptions = {}) {
  const modelId = o.model ?? 'google-bert/bert-base-uncased';

  // 1. The data: a context (sent1), the start of the next sentence (sent2), four endings and the right one (label).
  const rawDatasets = await loadDataset(o.dataset ?? 'allenai/swag', 'regular') as DatasetDict;
  const tokenizer = await AutoTokenizer.fromPretrained(modelId);

  // 2. Four (context, start + ending) pairs per example, tokenized flat and regrouped by four.
  const preprocess = (batch: Record<string, string[]>) => {
    const first = batch.sent1!.flatMap((context) => ENDINGS.map(() => context));
    const second = batch.sent2!.flatMap((header, i) => ENDINGS.map((ending) => `${header} ${batch[ending]![i]}`));
    const enc = tokenizer.call(first, second, { truncation: true, maxLength: o.maxLength ?? 128 }) as unknown as Record<string, number[][]>;
    const grouped: Record<string, number[][][]> = {};
    for (const [k, v] of Object.entries(enc)) grouped[k] = batch.sent1!.map((_, i) => v.slice(i * ENDINGS.length, (i + 1) * ENDINGS.length));
    return grouped;
  };
  const columns = rawDatasets.get('train').columnNames.filter((c) => c !== 'label');
  const tokenized = await rawDatasets.map(preprocess, { batched: true, removeColumns: columns });
  const dataCollator = new DataCollatorForMultipleChoice({ tokenizer });

  // 3. Accuracy of the highest-scoring choice.
  const metric = loadMetric('accuracy');
  const computeMetrics = (p: EvalPrediction) => metric.compute({ predictions: argmax(p.predictions), references: p.labelIds }) as Record<string, number>;

  setSeed(42);
  const model = await AutoModelForMultipleChoice.fromPretrained(modelId);
  const args = new TrainingArguments({
    outputDir: o.outputDir ?? './bert-swag', evalStrategy: 'epoch', saveStrategy: 'no', learningRate: o.learningRate ?? 5e-5, numTrainEpochs: o.epochs ?? 3,
    maxSteps: o.maxSteps ?? -1, weightDecay: 0.01, perDeviceTrainBatchSize: o.batchSize ?? 8, perDeviceEvalBatchSize: o.batchSize ?? 8, reportTo: [],
  });
  const trainer = new Trainer({
    model, args, trainDataset: tokenized.get('train'), evalDataset: tokenized.get('validation'), dataCollator, computeMetrics, processingClass: tokenizer,
  });
  const train = await trainer.train();
  const evalMetrics = await trainer.evaluate();
  trainer.logMetrics('eval', evalMetrics);
  await trainer.saveModel();
  return { train: train.metrics, eval: evalMetrics };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const o: SwagOptions = {};
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    const v = () => argv[++i]!;
    switch (argv[i]) {
      case '--model': o.model = v(); break;
      case '--dataset': o.dataset = v(); break;
      case '--output-dir': o.outputDir = v(); break;
      case '--max-length': o.maxLength = Number(v()); break;
      case '--max-steps': o.maxSteps = Number(v()); break;
      case '--epochs': o.epochs = Number(v()); break;
      case '--batch-size': o.batchSize = Number(v()); break;
      case '--learning-rate': o.learningRate = Number(v()); break;
      default: throw new Error(`unknown option ${argv[i]}: use --model, --dataset, --output-dir, --max-length, --max-steps, --epochs, --batch-size, --learning-rate`);
    }
  }
  await main(o);
}
