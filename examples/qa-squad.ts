// Extractive question answering on SQuAD (the course's question answering chapter and transformers'
// run_qa.py): long contexts cut into overlapping windows, answer start/end tokens as labels, BERT
// fine-tuned, n-best spans decoded back to the context text, exact match and F1 from the squad metric,
// then the question-answering pipeline on the saved model.
//
//   node --import tsx examples/qa-squad.ts [--model google-bert/bert-base-cased] [--dataset rajpurkar/squad]
//        [--output-dir ./bert-finetuned-squad] [--max-length 384] [--doc-stride 128] [--max-steps N] [--epochs 3] [--batch-size 8]
//
// HF_ENDPOINT points it at another Hub (the tests use a local one with tiny stand-ins).
import { pathToFileURL } from 'node:url';
import {
  loadDataset, AutoTokenizer, AutoModelForQuestionAnswering, prepareQaTrainFeatures, prepareQaValidationFeatures, postprocessQaPredictions,
  loadMetric, Trainer, TrainingArguments, setSeed, pipeline, type DatasetDict, type QaExamples, type SquadAnswers,
} from 'hubtune';

export interface QaOptions {
  model?: string; dataset?: string; outputDir?: string; maxLength?: number; docStride?: number; maxSteps?: number; epochs?: number; batchSize?: number; learningRate?: number;
}

export async function main(o: QaOptions = {}) {
  const modelId = o.model ?? 'google-bert/bert-base-cased';
  const outputDir = o.outputDir ?? './bert-finetuned-squad';
  const windows = { maxLength: o.maxLength ?? 384, docStride: o.docStride ?? 128 };

  // 1. The data: question, context and answers ({text: [...], answer_start: [...]}).
  const rawDatasets = await loadDataset(o.dataset ?? 'rajpurkar/squad') as DatasetDict;
  const tokenizer = await AutoTokenizer.fromPretrained(modelId);
  const columns = rawDatasets.get('train').columnNames;

  // 2. Training features: one row per window, with the answer's start and end token (or [CLS] when the window misses it).
  const trainDataset = await rawDatasets.get('train').map((batch: QaExamples) => prepareQaTrainFeatures(tokenizer, batch, windows), { batched: true, removeColumns: columns });
  // Validation features keep the example id and the offsets, to read the answers back from the context.
  const validationExamples = rawDatasets.get('validation');
  const validationFeatures = await validationExamples.map((batch: QaExamples) => prepareQaValidationFeatures(tokenizer, batch, windows), { batched: true, removeColumns: columns });

  setSeed(42);
  const model = await AutoModelForQuestionAnswering.fromPretrained(modelId);
  const args = new TrainingArguments({
    outputDir, evalStrategy: 'no', saveStrategy: 'no', learningRate: o.learningRate ?? 2e-5, numTrainEpochs: o.epochs ?? 3, maxSteps: o.maxSteps ?? -1,
    weightDecay: 0.01, perDeviceTrainBatchSize: o.batchSize ?? 8, perDeviceEvalBatchSize: o.batchSize ?? 8, reportTo: [],
  });
  const trainer = new Trainer({ model, args, trainDataset, processingClass: tokenizer });
  const train = await trainer.train();
  await trainer.saveModel();

  // 3. Predict on the validation windows: predictions[i] is [start logits, end logits] of window i.
  const { predictions } = await trainer.predict(validationFeatures.removeColumns(['example_id', 'offset_mapping']));
  const windowLogits = predictions as number[][][];
  const startLogits = windowLogits.map((w) => w[0]!), endLogits = windowLogits.map((w) => w[1]!);

  // 4. The best span of each example over its windows, as text, scored with exact match and F1.
  const examples = await validationExamples.toDict() as unknown as { id: string[]; question: string[]; context: string[]; answers: SquadAnswers[] };
  const features = await validationFeatures.toDict() as unknown as { example_id: string[]; offset_mapping: ([number, number] | null)[][] };
  const { predictions: answers } = postprocessQaPredictions(examples, features, [startLogits, endLogits]);
  const metric = loadMetric('squad');
  const scores = metric.compute({
    predictions: examples.id.map((id) => ({ id, prediction_text: answers[id]! })),
    references: examples.id.map((id, i) => ({ id, answers: examples.answers[i]! })),
  });
  console.log(scores);

  // 5. The fine-tuned model in the question-answering pipeline.
  const qa = await pipeline('question-answering', { model: outputDir });
  const answer = await qa({ question: examples.question[0]!, context: examples.context[0]! });
  console.log(answer);
  return { train: train.metrics, scores, answers, answer };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const o: QaOptions = {};
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    const v = () => argv[++i]!;
    switch (argv[i]) {
      case '--model': o.model = v(); break;
      case '--dataset': o.dataset = v(); break;
      case '--output-dir': o.outputDir = v(); break;
      case '--max-length': o.maxLength = Number(v()); break;
      case '--doc-stride': o.docStride = Number(v()); break;
      case '--max-steps': o.maxSteps = Number(v()); break;
      case '--epochs': o.epochs = Number(v()); break;
      case '--batch-size': o.batchSize = Number(v()); break;
      case '--learning-rate': o.learningRate = Number(v()); break;
      default: throw new Error(`unknown option ${argv[i]}: use --model, --dataset, --output-dir, --max-length, --doc-stride, --max-steps, --epochs, --batch-size, --learning-rate`);
    }
  }
  await main(o);
}
