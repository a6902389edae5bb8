// Named-entity recognition on CoNLL-2003 (the course's token classification chapter and
// transformers' run_ner.py): align word labels with sub-tokens, fine-tune BERT, score with seqeval,
// then tag a sentence with the ner pipeline.
//
//   node --import tsx examples/ner-conll.ts [--model google-bert/bert-base-cased] [--dataset eriktks/conll2003]
//        [--output-dir ./bert-finetuned-ner] [--max-steps N] [--epochs 3] [--batch-size 8]
//
// HF_ENDPOINT points it at another Hub (the tests use a local one with tiny stand-ins).
import { pathToFileURL } from 'node:url';
import {
  loadDataset, AutoTokenizer, AutoModelForTokenClassification, DataCollatorForTokenClassification, tokenizeAndAlignLabels,
  loadMetric, Trainer, TrainingArguments, setSeed, pipeline, type DatasetDict, type EvalPrediction, type ClassLabel, type Sequence,
} from 'hubtune';

export interface NerOptions { model?: string; dataset?: string; outputDir?: string; maxSteps?: number; epochs?: number; batchSize?: number; learningRate?: number }

export async function main(o: NerOptions = {}) {
  const modelId = o.model ?? 'google-bert/bert-base-cased';
  const outputDir = o.outputDir ?? './bert-finetuned-ner';

  // 1. The data: words and one NER tag per word; the tag names come from the dataset's features.
  const rawDatasets = await loadDataset(o.dataset ?? 'eriktks/conll2003') as DatasetDict;
  const nerFeature = rawDatasets.get('train').features.get('ner_tags') as Sequence;
  const labelNames = (nerFeature.feature as ClassLabel).names;

  // 2. Tokenize the words and put each word's label on its sub-tokens (B- becomes I- after the first).
  const tokenizer = await AutoTokenizer.fromPretrained(modelId);
  const tokenized = await rawDatasets.map(
    (batch: { tokens: string[][]; ner_tags: number[][] }) => tokenizeAndAlignLabels(tokenizer, batch.tokens, batch.ner_tags, { labelAllTokens: true, labelNames }),
    { batched: true, removeColumns: rawDatasets.get('train').columnNames },
  );
  const dataCollator = new DataCollatorForTokenClassification({ tokenizer });

  // 3. seqeval on the label names, ignoring the -100 positions (special tokens, padding).
  const metric = loadMetric('seqeval');
  const computeMetrics = (p: EvalPrediction) => {
    const logits = p.predictions as number[][][];
    const labels = p.labelIds as number[][];
    const predictions: string[][] = [], references: string[][] = [];
    logits.forEach((row, i) => {
      const pred: string[] = [], ref: string[] = [];
      row.forEach((scores, j) => {
        const label = labels[i]![j]!;
        if (label === -100) return;
        pred.push(labelNames[scores.indexOf(Math.max(...scores))]!);
        ref.push(labelNames[label]!);
      });
      predictions.push(pred);
      references.push(ref);
    });
    const r = metric.compute({ predictions, references }) as Record<string, number>;
    return { precision: r.overall_precision!, recall: r.overall_recall!, f1: r.overall_f1!, accuracy: r.overall_accuracy! };
  };

  // 4. The model, with the label names in its config so that the pipeline shows them.
  const id2label = Object.fromEntries(labelNames.map((name, i) => [i, name]));
  const label2id = Object.fromEntries(labelNames.map((name, i) => [name, i]));
  setSeed(42);
  const model = await AutoModelForTokenClassification.fromPretrained(modelId, { id2label, label2id });

  const args = new TrainingArguments({
    outputDir, evalStrategy: 'epoch', saveStrategy: 'no', learningRate: o.learningRate ?? 2e-5, numTrainEpochs: o.epochs ?? 3, maxSteps: o.maxSteps ?? -1,
    weightDecay: 0.01, perDeviceTrainBatchSize: o.batchSize ?? 8, perDeviceEvalBatchSize: o.batchSize ?? 8, reportTo: [],
  });
  const trainer = new Trainer({
    model, args, trainDataset: tokenized.get('train'), evalDataset: tokenized.get('validation'), dataCollator, computeMetrics, processingClass: tokenizer,
  });
  const train = await trainer.train();
  const evalMetrics = await trainer.evaluate();
  trainer.logMetrics('eval', evalMetrics);
  await trainer.saveModel();

  // 5. The fine-tuned model in the ner pipeline, entity groups with their character offsets.
  const ner = await pipeline('token-classification', { model: outputDir, aggregationStrategy: 'simple' });
  const entities = await ner('My name is Sylvain and I work at Hugging Face in Brooklyn.');
  console.log(entities);
  return { train: train.metrics, eval: evalMetrics, entities, labelNames };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const o: NerOptions = {};
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    const v = () => argv[++i]!;
    switch (argv[i]) {
      case '--model': o.model = v(); break;
      case '--dataset': o.dataset = v(); break;
      case '--output-dir': o.outputDir = v(); break;
      case '--max-steps': o.maxSteps = Number(v()); break;
      case '--epochs': o.epochs = Number(v()); break;
      case '--batch-size': o.batchSize = Number(v()); break;
      case '--learning-rate': o.learningRate = Number(v()); break;
      default: throw new Error(`unknown option ${argv[i]}: use --model, --dataset, --output-dir, --max-steps, --epochs, --batch-size, --learning-rate`);
    }
  }
  await main(o);
}
