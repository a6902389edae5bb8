// The course's two projects translated line by line into TypeScript, importing from 'hubtune' as a
// user would, type-checked under --strict with no casts (`npm run typecheck` covers this file), and
// run against the local test Hub whose `beans`, `glue` and model ids hold tiny stand-ins:
//   1. "Fine-Tune ViT for Image Classification with 🤗 Transformers" (the ViT blog, beans),
//   2. the Hugging Face course, chapter 3 "Fine-tuning a model with the Trainer API" (GLUE MRPC),
//      with distilroberta-base as the checkpoint.
// Each Python line is quoted above its translation. Where the translation cannot run as the course
// wrote it (fp16 on a CPU test machine), the test checks the clear error first and then runs the
// line without that argument.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HubServer } from '../support/hub-server';
import { useTestHub, type TestHubEnv } from '../support/test-hub-env';
import { glueLikeFiles } from '../support/hub-fixtures';
import { beansAsStored } from '../support/dataset-archives';
import { saveTinyRobertaRepo, saveTinyVitRepo, addFolderRepo } from '../support/tiny-models';
import {
  loadDataset, ViTFeatureExtractor, ViTForImageClassification, TrainingArguments, Trainer, loadMetric, argmax, torch,
  AutoTokenizer, DataCollatorWithPadding, AutoModelForSequenceClassification, type EvalPrediction,
} from 'hubtune';

let hub: HubServer;
let testHub: TestHubEnv;
const work = mkdtempSync(join(tmpdir(), 'hubtune-course-translation-'));
const cwd = process.cwd();
const printed: string[] = [];
// what the course shows with print() / the notebook's cell output
const print = (...xs: unknown[]) => { printed.push(xs.map((x) => (typeof x === 'string' ? x : String(x))).join(' ')); };

before(async () => {
  testHub = await useTestHub(work, { resolveCache: true });
  hub = testHub.hub;
  const beans = await beansAsStored();
  hub.addRepo({ type: 'dataset', id: 'AI-Lab-Makerere/beans', files: beans.files, branches: beans.branches });
  hub.renameRepo('dataset', 'beans', 'AI-Lab-Makerere/beans');
  hub.addRepo({ type: 'dataset', id: 'nyu-mll/glue', files: glueLikeFiles() });
  hub.renameRepo('dataset', 'glue', 'nyu-mll/glue');
  addFolderRepo(hub, 'model', 'google/vit-base-patch16-224-in21k', await saveTinyVitRepo(join(work, 'vit')));
  addFolderRepo(hub, 'model', 'distilbert/distilroberta-base', await saveTinyRobertaRepo(join(work, 'roberta')));
  hub.renameRepo('model', 'distilroberta-base', 'distilbert/distilroberta-base');
  process.chdir(work); // the course writes ./vit-base-beans and ./test-trainer
});

after(async () => {
  process.chdir(cwd);
  await testHub?.close();
  rmSync(work, { recursive: true, force: true });
});

test('the ViT blog on beans, line by line', async () => {
  // from datasets import load_dataset
  // ds = load_dataset('beans')
  const ds = await loadDataset('beans');
  print(ds);

  // ex = ds['train'][400]   (the stand-in has 6 training rows: row 4)
  const ex = await ds['train'][4];
  // image = ex['image']
  const image = ex['image'];
  assert.equal(image.mode, 'RGB');

  // labels = ds['train'].features['labels']
  const labels = ds['train'].features.classLabel('labels');
  // labels.int2str(ex['labels'])
  print(labels.int2str(ex['labels']));

  // from transformers import ViTFeatureExtractor
  // model_name_or_path = 'google/vit-base-patch16-224-in21k'
  // feature_extractor = ViTFeatureExtractor.from_pretrained(model_name_or_path)
  const modelNameOrPath = 'google/vit-base-patch16-224-in21k';
  const featureExtractor = await ViTFeatureExtractor.fromPretrained(modelNameOrPath);
  print(featureExtractor);

  // feature_extractor(image, return_tensors='pt')
  const one = await featureExtractor(image, { returnTensors: 'pt' });
  assert.deepEqual(one.pixel_values.shape, [1, 3, 32, 32]);

  // def process_example(example):
  //     inputs = feature_extractor(example['image'], return_tensors='pt')
  //     inputs['labels'] = example['labels']
  //     return inputs
  async function processExample(example: Record<string, any>) {
    const inputs = await featureExtractor(example['image'], { returnTensors: 'pt' });
    inputs['labels'] = example['labels'];
    return inputs;
  }
  // process_example(ds['train'][0])
  print((await processExample(await ds['train'][0]))['labels']);

  // def transform(example_batch):
  //     inputs = feature_extractor([x for x in example_batch['image']], return_tensors='pt')
  //     inputs['labels'] = example_batch['labels']
  //     return inputs
  async function transform(exampleBatch: Record<string, any[]>) {
    const inputs = await featureExtractor(exampleBatch['image']!.map((x) => x), { returnTensors: 'pt' });
    inputs['labels'] = exampleBatch['labels'];
    return inputs;
  }

  // prepared_ds = ds.with_transform(transform)
  const preparedDs = ds.withTransform(transform);
  // prepared_ds['train'][0:2]
  const twoRows = await preparedDs['train'].slice(0, 2);
  const pixelValues = twoRows['pixel_values'];
  assert.ok(torch.isTensor(pixelValues), 'the transform\'s batched tensor, as returned');
  assert.deepEqual(pixelValues.shape, [2, 3, 32, 32]);
  assert.deepEqual(twoRows['labels'], [(await ds['train'][0])['labels'], (await ds['train'][1])['labels']]);

  // def collate_fn(batch):
  //     return {
  //         'pixel_values': torch.stack([x['pixel_values'] for x in batch]),
  //         'labels': torch.tensor([x['labels'] for x in batch])
  //     }
  function collateFn(batch: Record<string, any>[]) {
    return {
      pixel_values: torch.stack(batch.map((x) => x['pixel_values'])),
      labels: torch.tensor(batch.map((x) => x['labels'])),
    };
  }

  // import numpy as np
  // from datasets import load_metric
  // metric = load_metric("accuracy")
  // def compute_metrics(p):
  //     return metric.compute(predictions=np.argmax(p.predictions, axis=1), references=p.label_ids)
  const metric = loadMetric('accuracy');
  function computeMetrics(p: EvalPrediction) {
    return metric.compute({ predictions: argmax(p.predictions), references: p.labelIds });
  }

  // from transformers import ViTForImageClassification
  // labels = ds['train'].features['labels'].names
  // model = ViTForImageClassification.from_pretrained(
  //     model_name_or_path,
  //     num_labels=len(labels),
  //     id2label={str(i): c for i, c in enumerate(labels)},
  //     label2id={c: str(i) for i, c in enumerate(labels)}
  // )
  const labelNames = ds['train'].features.classLabel('labels').names;
  const model = await ViTForImageClassification.fromPretrained(modelNameOrPath, {
    numLabels: labelNames.length,
    id2label: Object.fromEntries(labelNames.map((c, i) => [String(i), c])),
    label2id: Object.fromEntries(labelNames.map((c, i) => [c, String(i)])),
  });
  print(model.config);

  // from transformers import TrainingArguments
  // training_args = TrainingArguments(
  //   output_dir="./vit-base-beans",
  //   per_device_train_batch_size=16,
  //   evaluation_strategy="steps",
  //   num_train_epochs=4,
  //   fp16=True,
  //   save_steps=100,
  //   eval_steps=100,
  //   logging_steps=10,
  //   learning_rate=2e-4,
  //   save_total_limit=2,
  //   remove_unused_columns=False,
  //   push_to_hub=False,
  //   report_to='tensorboard',
  //   load_best_model_at_end=True,
  // )
  const courseArgs = {
    outputDir: './vit-base-beans',
    perDeviceTrainBatchSize: 16,
    evaluationStrategy: 'steps',
    numTrainEpochs: 4,
    fp16: true,
    saveSteps: 100,
    evalSteps: 100,
    loggingSteps: 10,
    learningRate: 2e-4,
    saveTotalLimit: 2,
    removeUnusedColumns: false,
    pushToHub: false,
    reportTo: 'tensorboard',
    loadBestModelAtEnd: true,
  } as const;
  // fp16 needs CUDA: on a CPU machine the Trainer says so and what to do; the run goes on without it
  const { fp16: _fp16, ...onCpu } = courseArgs;
  if (!torch.cuda.isAvailable()) assert.throws(() => new Trainer({ model, args: new TrainingArguments(courseArgs), evalDataset: preparedDs['validation'] }), /fp16 mixed precision training .* can only be used on CUDA devices/);
  const trainingArgs = new TrainingArguments(onCpu);

  // from transformers import Trainer
  // trainer = Trainer(
  //     model=model,
  //     args=training_args,
  //     data_collator=collate_fn,
  //     compute_metrics=compute_metrics,
  //     train_dataset=prepared_ds["train"],
  //     eval_dataset=prepared_ds["validation"],
  //     tokenizer=feature_extractor,
  // )
  const trainer = new Trainer({
    model: model,
    args: trainingArgs,
    dataCollator: collateFn,
    computeMetrics: computeMetrics,
    trainDataset: preparedDs['train'],
    evalDataset: preparedDs['validation'],
    tokenizer: featureExtractor,
  });

  // train_results = trainer.train()
  // trainer.save_model()
  // trainer.log_metrics("train", train_results.metrics)
  // trainer.save_metrics("train", train_results.metrics)
  // trainer.save_state()
  const trainResults = await trainer.train();
  await trainer.saveModel();
  trainer.logMetrics('train', trainResults.metrics);
  trainer.saveMetrics('train', trainResults.metrics);
  trainer.saveState();

  // metrics = trainer.evaluate(prepared_ds['validation'])
  // trainer.log_metrics("eval", metrics)
  // trainer.save_metrics("eval", metrics)
  const metrics = await trainer.evaluate(preparedDs['validation']);
  trainer.logMetrics('eval', metrics);
  trainer.saveMetrics('eval', metrics);

  // kwargs = {
  //     "finetuned_from": model.config._name_or_path,
  //     "tasks": "image-classification",
  //     "dataset": 'beans',
  //     "tags": ['image-classification'],
  // }
  // if training_args.push_to_hub:
  //     trainer.push_to_hub('🍻 cheers', **kwargs)
  // else:
  //     trainer.create_model_card(**kwargs)
  const kwargs = {
    finetunedFrom: model.config.nameOrPath,
    tasks: 'image-classification',
    dataset: 'beans',
    tags: ['image-classification'],
  };
  if (trainingArgs.pushToHub) await trainer.pushToHub({ commitMessage: '🍻 cheers', ...kwargs });
  else await trainer.createModelCard(kwargs);

  // what the run left, as the blog's run does
  assert.equal(trainResults.globalStep, 4, '6 rows, batch 16, 4 epochs');
  for (const k of ['eval_loss', 'eval_accuracy', 'eval_runtime']) assert.ok(k in metrics, k);
  for (const f of ['model.safetensors', 'config.json', 'preprocessor_config.json', 'train_results.json', 'eval_results.json', 'trainer_state.json', 'README.md']) {
    assert.ok(existsSync(join(work, 'vit-base-beans', f)), f);
  }
  assert.ok(existsSync(join(work, 'vit-base-beans', 'runs')), "report_to='tensorboard': event files under logging_dir");
  const cfg = JSON.parse(readFileSync(join(work, 'vit-base-beans', 'config.json'), 'utf8'));
  assert.deepEqual(cfg.id2label, { 0: 'angular_leaf_spot', 1: 'bean_rust', 2: 'healthy' });
  assert.deepEqual(cfg.label2id, { angular_leaf_spot: 0, bean_rust: 1, healthy: 2 });
  assert.match(readFileSync(join(work, 'vit-base-beans', 'README.md'), 'utf8'), /google\/vit-base-patch16-224-in21k/);
  const pre = JSON.parse(readFileSync(join(work, 'vit-base-beans', 'preprocessor_config.json'), 'utf8'));
  assert.equal(pre.image_processor_type, 'ViTFeatureExtractor');
  // and what it printed, like Python's
  assert.match(printed[0]!, /^DatasetDict\(\{\n    train: Dataset\(\{\n        features: \['image_file_path', 'image', 'labels'\],\n        num_rows: 6\n    \}\)/);
  assert.ok(['angular_leaf_spot', 'bean_rust', 'healthy'].includes(printed[1]!));
  assert.match(printed[2]!, /^ViTFeatureExtractor \{\n/);
  assert.match(printed.find((p) => p.startsWith('ViTConfig {')) ?? '', /"label2id": \{\n    "angular_leaf_spot": 0,/);
});

test('course chapter 3 (MRPC with the Trainer API), line by line', async () => {
  // from datasets import load_dataset
  // raw_datasets = load_dataset("glue", "mrpc")
  const rawDatasets = await loadDataset('glue', 'mrpc');
  print(rawDatasets);

  // raw_train_dataset = raw_datasets["train"]
  // raw_train_dataset[0]
  const rawTrainDataset = rawDatasets['train'];
  print(JSON.stringify(await rawTrainDataset[0]));
  // raw_train_dataset.features
  print(rawTrainDataset.features);

  // from transformers import AutoTokenizer
  // checkpoint = "distilroberta-base"
  // tokenizer = AutoTokenizer.from_pretrained(checkpoint)
  const checkpoint = 'distilroberta-base';
  const tokenizer = await AutoTokenizer.fromPretrained(checkpoint);
  // tokenized_sentences_1 = tokenizer(raw_datasets["train"]["sentence1"])
  // tokenized_sentences_2 = tokenizer(raw_datasets["train"]["sentence2"])
  const tokenizedSentences1 = tokenizer(await rawDatasets['train'].column('sentence1'));
  const tokenizedSentences2 = tokenizer(await rawDatasets['train'].column('sentence2'));
  assert.equal(tokenizedSentences1['input_ids'].length, tokenizedSentences2['input_ids'].length);

  // inputs = tokenizer("This is the first sentence.", "This is the second one.")
  // tokenizer.convert_ids_to_tokens(inputs["input_ids"])
  const inputs = tokenizer('This is the first sentence.', 'This is the second one.');
  print(tokenizer.convertIdsToTokens(inputs['input_ids']).join(' '));

  // def tokenize_function(example):
  //     return tokenizer(example["sentence1"], example["sentence2"], truncation=True)
  function tokenizeFunction(example: Record<string, any[]>) {
    return tokenizer(example['sentence1']!, example['sentence2'], { truncation: true });
  }
  // tokenized_datasets = raw_datasets.map(tokenize_function, batched=True)
  const tokenizedDatasets = await rawDatasets.map(tokenizeFunction, { batched: true });
  print(tokenizedDatasets);

  // from transformers import DataCollatorWithPadding
  // data_collator = DataCollatorWithPadding(tokenizer=tokenizer)
  const dataCollator = new DataCollatorWithPadding({ tokenizer: tokenizer });

  // samples = tokenized_datasets["train"][:8]
  // samples = {k: v for k, v in samples.items() if k not in ["idx", "sentence1", "sentence2"]}
  // [len(x) for x in samples["input_ids"]]
  let samples = await tokenizedDatasets['train'].slice(0, 8);
  samples = Object.fromEntries(Object.entries(samples).filter(([k]) => !['idx', 'sentence1', 'sentence2'].includes(k)));
  const lengths = samples['input_ids']!.map((x) => x.length);
  // batch = data_collator(samples)
  // {k: v.shape for k, v in batch.items()}
  const batch = dataCollator(samples);
  const shapes = Object.fromEntries(Object.entries(batch).map(([k, v]) => [k, v.shape]));
  assert.deepEqual(shapes['input_ids'], [8, Math.max(...lengths)]);
  assert.deepEqual(shapes['labels'], [8]);

  // from transformers import TrainingArguments
  // training_args = TrainingArguments("test-trainer")
  let trainingArgs = new TrainingArguments('test-trainer');
  // from transformers import AutoModelForSequenceClassification
  // model = AutoModelForSequenceClassification.from_pretrained(checkpoint, num_labels=2)
  let model = await AutoModelForSequenceClassification.fromPretrained(checkpoint, { numLabels: 2 });

  // from transformers import Trainer
  // trainer = Trainer(
  //     model,
  //     training_args,
  //     train_dataset=tokenized_datasets["train"],
  //     eval_dataset=tokenized_datasets["validation"],
  //     data_collator=data_collator,
  //     tokenizer=tokenizer,
  // )
  let trainer = new Trainer({
    model: model,
    args: trainingArgs,
    trainDataset: tokenizedDatasets['train'],
    evalDataset: tokenizedDatasets['validation'],
    dataCollator: dataCollator,
    tokenizer: tokenizer,
  });
  // trainer.train()
  await trainer.train();

  // predictions = trainer.predict(tokenized_datasets["validation"])
  // print(predictions.predictions.shape, predictions.label_ids.shape)
  const predictions = await trainer.predict(tokenizedDatasets['validation']);
  print(predictions.predictionsShape, predictions.labelIds.length);
  assert.deepEqual(predictions.predictionsShape, [tokenizedDatasets['validation'].numRows, 2]);

  // import numpy as np
  // preds = np.argmax(predictions.predictions, axis=-1)
  const preds = argmax(predictions.predictions);

  // import evaluate
  // metric = evaluate.load("glue", "mrpc")
  // metric.compute(predictions=preds, references=predictions.label_ids)
  const metric = loadMetric('glue', 'mrpc');
  const scores = metric.compute({ predictions: preds, references: predictions.labelIds });
  assert.deepEqual(Object.keys(scores), ['accuracy', 'f1']);

  // def compute_metrics(eval_preds):
  //     metric = evaluate.load("glue", "mrpc")
  //     logits, labels = eval_preds
  //     predictions = np.argmax(logits, axis=-1)
  //     return metric.compute(predictions=predictions, references=labels)
  function computeMetrics(evalPreds: EvalPrediction) {
    const metric = loadMetric('glue', 'mrpc');
    const [logits, labels] = evalPreds;
    const predictions = argmax(logits);
    return metric.compute({ predictions: predictions, references: labels });
  }

  // training_args = TrainingArguments("test-trainer", evaluation_strategy="epoch")
  // model = AutoModelForSequenceClassification.from_pretrained(checkpoint, num_labels=2)
  trainingArgs = new TrainingArguments('test-trainer', { evaluationStrategy: 'epoch' });
  model = await AutoModelForSequenceClassification.fromPretrained(checkpoint, { numLabels: 2 });

  // trainer = Trainer(
  //     model,
  //     training_args,
  //     train_dataset=tokenized_datasets["train"],
  //     eval_dataset=tokenized_datasets["validation"],
  //     data_collator=data_collator,
  //     tokenizer=tokenizer,
  //     compute_metrics=compute_metrics,
  // )
  trainer = new Trainer({
    model: model,
    args: trainingArgs,
    trainDataset: tokenizedDatasets['train'],
    evalDataset: tokenizedDatasets['validation'],
    dataCollator: dataCollator,
    tokenizer: tokenizer,
    computeMetrics: computeMetrics,
  });
  // trainer.train()
  await trainer.train();

  const evals = trainer.state.logHistory.filter((h) => 'eval_f1' in h);
  assert.equal(evals.length, 3, 'one evaluation per epoch, with accuracy and F1');
  assert.ok(evals.every((h) => Number(h['eval_accuracy']) >= 0 && Number(h['eval_accuracy']) <= 1));
  assert.ok(existsSync(join(work, 'test-trainer')));
  assert.match(printed.find((p) => p.startsWith("DatasetDict({\n    train: Dataset({\n        features: ['sentence1', 'sentence2', 'label', 'idx']")) ?? '', /num_rows/);
  assert.match(printed.find((p) => p.startsWith('<s>')) ?? '', /^<s> .*<\/s> <\/s> .*<\/s>$/);
});
