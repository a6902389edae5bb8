// The ViT blog's project (huggingface.co/blog/fine-tune-vit): ViT fine-tuned on beans, step by step.
//   npx tsx examples/beans-vit.ts        (examples/advanced/beans-vit.ts: options, worker-thread decoding)
import { loadDataset, ViTImageProcessor, ViTForImageClassification, TrainingArguments, Trainer, loadMetric, argmax, torch, type EvalPrediction } from 'hubtune';

const modelNameOrPath = 'google/vit-base-patch16-224-in21k';
const ds = await loadDataset('beans');
const labels = ds['train'].features.classLabel('labels').names;
const processor = await ViTImageProcessor.fromPretrained(modelNameOrPath);

async function transform(exampleBatch: Record<string, any[]>) {
  const inputs = await processor(exampleBatch['image']!, { returnTensors: 'pt' });
  inputs['labels'] = exampleBatch['labels'];
  return inputs;
}
const preparedDs = ds.withTransform(transform);

function collateFn(batch: Record<string, any>[]) {
  return { pixel_values: torch.stack(batch.map((x) => x['pixel_values'])), labels: torch.tensor(batch.map((x) => x['labels'])) };
}
const metric = loadMetric('accuracy');
const computeMetrics = (p: EvalPrediction) => metric.compute({ predictions: argmax(p.predictions), references: p.labelIds });

const model = await ViTForImageClassification.fromPretrained(modelNameOrPath, {
  numLabels: labels.length,
  id2label: Object.fromEntries(labels.map((c, i) => [String(i), c])),
  label2id: Object.fromEntries(labels.map((c, i) => [c, String(i)])),
});
const trainingArgs = new TrainingArguments({
  outputDir: './vit-base-beans', perDeviceTrainBatchSize: 16, evalStrategy: 'steps', numTrainEpochs: 4, saveSteps: 100, evalSteps: 100,
  loggingSteps: 10, learningRate: 2e-4, saveTotalLimit: 2, removeUnusedColumns: false, pushToHub: false, loadBestModelAtEnd: true,
});
const trainer = new Trainer({
  model, args: trainingArgs, dataCollator: collateFn, computeMetrics,
  trainDataset: preparedDs['train'], evalDataset: preparedDs['validation'], processingClass: processor,
});

const trainResults = await trainer.train();
await trainer.saveModel();
trainer.logMetrics('train', trainResults.metrics);
trainer.saveMetrics('train', trainResults.metrics);
trainer.saveState();

const metrics = await trainer.evaluate(preparedDs['test']);
trainer.logMetrics('eval', metrics);
trainer.saveMetrics('eval', metrics);
