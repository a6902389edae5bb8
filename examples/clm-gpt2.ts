// Fine-tune a causal language model on raw text (the course's "training a causal language model
// from scratch" chapter and transformers' run_clm.py): tokenize, pack into blocks, train, report
// perplexity, generate.
//
//   node --import tsx examples/clm-gpt2.ts [--model openai-community/gpt2] [--dataset Salesforce/wikitext]
//        [--config wikitext-2-raw-v1] [--block-size 128] [--output-dir ./gpt2-wikitext] [--max-steps N] [--batch-size 8]
//
// HF_ENDPOINT points it at another Hub (the tests use a local one with tiny stand-ins).
import { pathToFileURL } from 'node:url';
import { loadDataset, type DatasetDict } from '../src/datasets/index';
import { AutoModelForCausalLM } from '../src/models/index';
import { AutoTokenizer } from '../src/preprocessing/tokenization';
import { DataCollatorForLanguageModeling } from '../src/preprocessing/collators';
import { groupTexts } from '../src/preprocessing/collators-seq2seq';
import { Trainer, TrainingArguments, setSeed } from '../src/training/index';

export interface ClmOptions { model?: string; dataset?: string; config?: string; blockSize?: number; outputDir?: string; maxSteps?: number; batchSize?: number; epochs?: number }

export async function main(o: ClmOptions = {}): Promise<{ train: Record<string, unknown>; eval: Record<string, unknown>; perplexity: number; sample: string }> {
  const modelId = o.model ?? 'openai-community/gpt2';
  const raw = await loadDataset(o.dataset ?? 'Salesforce/wikitext', o.config ?? 'wikitext-2-raw-v1') as DatasetDict;
  const tokenizer = await AutoTokenizer.fromPretrained(modelId);
  tokenizer.padToken = tokenizer.eosToken; // GPT-2 has no pad token
  const tokenized = await raw.map((batch: { text: string[] }) => tokenizer.call(batch.text), { batched: true, removeColumns: ['text'] });
  const lmDatasets = await tokenized.map(groupTexts(o.blockSize ?? 128), { batched: true });
  const dataCollator = new DataCollatorForLanguageModeling({ tokenizer, mlm: false });

  setSeed(42);
  const model = await AutoModelForCausalLM.fromPretrained(modelId);
  const args = new TrainingArguments({
    outputDir: o.outputDir ?? './gpt2-wikitext', evalStrategy: 'epoch', learningRate: 2e-5, weightDecay: 0.01,
    perDeviceTrainBatchSize: o.batchSize ?? 8, perDeviceEvalBatchSize: o.batchSize ?? 8, numTrainEpochs: o.epochs ?? 1, maxSteps: o.maxSteps ?? -1,
    saveStrategy: 'no', loggingSteps: 10, reportTo: [],
  });
  const trainer = new Trainer({ model, args, trainDataset: lmDatasets.get('train'), evalDataset: lmDatasets.get('validation'), dataCollator, processingClass: tokenizer });
  const train = await trainer.train();
  const evalMetrics = await trainer.evaluate();
  const perplexity = Math.exp(evalMetrics.eval_loss as number);
  console.log(`Perplexity: ${perplexity.toFixed(2)}`);
  await trainer.saveModel();

  const prompt = tokenizer('The', { returnTensors: 'pt' });
  const ids = await model.generate({ ...prompt, maxNewTokens: 10, doSample: true, topK: 50, seed: 0 });
  const sample = tokenizer.decode(ids.toArray()[0], { skipSpecialTokens: true });
  console.log(sample);
  return { train: train.metrics, eval: evalMetrics, perplexity, sample };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const o: ClmOptions = {};
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    const v = () => argv[++i]!;
    switch (argv[i]) {
      case '--model': o.model = v(); break;
      case '--dataset': o.dataset = v(); break;
      case '--config': o.config = v(); break;
      case '--block-size': o.blockSize = Number(v()); break;
      case '--output-dir': o.outputDir = v(); break;
      case '--max-steps': o.maxSteps = Number(v()); break;
      case '--batch-size': o.batchSize = Number(v()); break;
      default: throw new Error(`unknown option ${argv[i]}: use --model, --dataset, --config, --block-size, --output-dir, --max-steps, --batch-size`);
    }
  }
  await main(o);
}
