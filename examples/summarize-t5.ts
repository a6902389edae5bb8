// Summarization with T5 (the course's summarization chapter): "summarize: " + article -> highlights,
// DataCollatorForSeq2Seq, Seq2SeqTrainer predicting with generate(), ROUGE on the generated summaries.
//
//   node --import tsx examples/summarize-t5.ts [--model google-t5/t5-small] [--dataset abisee/cnn_dailymail] [--config 3.0.0]
//        [--output-dir ./t5-small-cnn] [--max-steps N] [--batch-size 8]
import { pathToFileURL } from 'node:url';
import { loadDataset, type DatasetDict } from '../src/datasets/index';
import { AutoModelForSeq2SeqLM } from '../src/models/index';
import { AutoTokenizer } from '../src/preprocessing/tokenization';
import { DataCollatorForSeq2Seq } from '../src/preprocessing/collators-seq2seq';
import { loadMetric } from '../src/metrics/index';
import { Seq2SeqTrainer, Seq2SeqTrainingArguments, setSeed, type EvalPrediction } from '../src/training/index';

export interface SummarizeOptions { model?: string; dataset?: string; config?: string; outputDir?: string; maxSteps?: number; batchSize?: number }

export async function main(o: SummarizeOptions = {}): Promise<{ train: Record<string, unknown>; eval: Record<string, unknown>; summary: string }> {
  const modelId = o.model ?? 'google-t5/t5-small';
  const raw = await loadDataset(o.dataset ?? 'abisee/cnn_dailymail', o.config ?? '3.0.0') as DatasetDict;
  const tokenizer = await AutoTokenizer.fromPretrained(modelId);
  const preprocess = (batch: { article: string[]; highlights: string[] }) =>
    tokenizer.call(batch.article.map((a) => `summarize: ${a}`), { maxLength: 512, truncation: true, textTarget: batch.highlights });
  const tokenized = await raw.map(preprocess, { batched: true, removeColumns: ['article', 'highlights', 'id'] });

  setSeed(42);
  const model = await AutoModelForSeq2SeqLM.fromPretrained(modelId);
  const dataCollator = new DataCollatorForSeq2Seq({ tokenizer, model });
  const rouge = loadMetric('rouge');
  const computeMetrics = (p: EvalPrediction) => {
    const clean = (rows: number[][]) => rows.map((r) => r.filter((t) => t !== -100));
    const preds = tokenizer.batchDecode(clean(p.predictions), { skipSpecialTokens: true });
    const labels = tokenizer.batchDecode(clean(p.labelIds), { skipSpecialTokens: true });
    return rouge.compute({ predictions: preds, references: labels }) as Record<string, number>;
  };
  const args = new Seq2SeqTrainingArguments({
    outputDir: o.outputDir ?? './t5-small-cnn', evalStrategy: 'epoch', learningRate: 5.6e-5, weightDecay: 0.01,
    perDeviceTrainBatchSize: o.batchSize ?? 8, perDeviceEvalBatchSize: o.batchSize ?? 8, numTrainEpochs: 1, maxSteps: o.maxSteps ?? -1,
    predictWithGenerate: true, generationMaxLength: 32, saveStrategy: 'no', loggingSteps: 10, reportTo: [],
  });
  const trainer = new Seq2SeqTrainer({
    model, args, trainDataset: tokenized.get('train'), evalDataset: tokenized.get('validation'), dataCollator, processingClass: tokenizer, computeMetrics,
  });
  const train = await trainer.train();
  const evalMetrics = await trainer.evaluate();
  await trainer.saveModel();

  const article = (await (raw.get('test') ?? raw.get('validation'))!.get(0)).article as string;
  const enc = tokenizer(`summarize: ${article}`, { returnTensors: 'pt', truncation: true, maxLength: 512 });
  const ids = await model.generate({ ...enc, maxNewTokens: 20, numBeams: 2 });
  const summary = tokenizer.decode(ids.toArray()[0], { skipSpecialTokens: true });
  console.log(summary);
  return { train: train.metrics, eval: evalMetrics, summary };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const o: SummarizeOptions = {};
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    const v = () => argv[++i]!;
    switch (argv[i]) {
      case '--model': o.model = v(); break;
      case '--dataset': o.dataset = v(); break;
      case '--config': o.config = v(); break;
      case '--output-dir': o.outputDir = v(); break;
      case '--max-steps': o.maxSteps = Number(v()); break;
      case '--batch-size': o.batchSize = Number(v()); break;
      default: throw new Error(`unknown option ${argv[i]}: use --model, --dataset, --config, --output-dir, --max-steps, --batch-size`);
    }
  }
  await main(o);
}
