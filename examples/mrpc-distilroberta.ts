// The Hugging Face course, chapter 3: fine-tune a model on GLUE MRPC with the Trainer, step by step.
//   npx tsx examples/mrpc-distilroberta.ts        (examples/advanced/mrpc-distilroberta.ts: with options)
import { loadDataset, AutoTokenizer, DataCollatorWithPadding, TrainingArguments, AutoModelForSequenceClassification, Trainer, loadMetric, argmax, type EvalPrediction } from 'hubtune';

const rawDatasets = await loadDataset('glue', 'mrpc');
const checkpoint = 'distilroberta-base';
const tokenizer = await AutoTokenizer.fromPretrained(checkpoint);

function tokenizeFunction(example: Record<string, any[]>) {
  return tokenizer(example['sentence1']!, example['sentence2'], { truncation: true });
}
const tokenizedDatasets = await rawDatasets.map(tokenizeFunction, { batched: true });
const dataCollator = new DataCollatorWithPadding({ tokenizer });

function computeMetrics(evalPreds: EvalPrediction) {
  const metric = loadMetric('glue', 'mrpc');
  const [logits, labels] = evalPreds;
  const predictions = argmax(logits);
  return metric.compute({ predictions, references: labels });
}

const trainingArgs = new TrainingArguments('test-trainer', { evalStrategy: 'epoch' });
const model = await AutoModelForSequenceClassification.fromPretrained(checkpoint, { numLabels: 2 });
const trainer = new Trainer({
  model,
  args: trainingArgs,
  trainDataset: tokenizedDatasets['train'],
  evalDataset: tokenizedDatasets['validation'],
  dataCollator,
  processingClass: tokenizer,
  computeMetrics,
});
await trainer.train();

const predictions = await trainer.predict(tokenizedDatasets['validation']);
const preds = argmax(predictions.predictions);
console.log(loadMetric('glue', 'mrpc').compute({ predictions: preds, references: predictions.labelIds }));
