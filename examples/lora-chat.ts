// LoRA fine-tuning of a chat model on an instruction dataset (PEFT's usual recipe): each example
// is rendered with the tokenizer's chat template, only the LoRA adapter trains, the adapter is
// saved in PEFT's format, reloaded onto the base model and asked a question.
//
//   node --import tsx examples/lora-chat.ts [--model HuggingFaceTB/SmolLM2-135M-Instruct] [--dataset tatsu-lab/alpaca]
//        [--output-dir ./smollm2-alpaca-lora] [--max-steps N] [--batch-size 4] [--max-length 256]
import { pathToFileURL } from 'node:url';
import { loadDataset, type DatasetDict } from '../src/datasets/index';
import { AutoModelForCausalLM } from '../src/models/index';
import { AutoTokenizer } from '../src/preprocessing/tokenization';
import { DataCollatorForLanguageModeling } from '../src/preprocessing/collators';
import { LoraConfig, getPeftModel, PeftModel } from '../src/peft/index';
import { Trainer, TrainingArguments, setSeed } from '../src/training/index';

export interface LoraChatOptions { model?: string; dataset?: string; outputDir?: string; maxSteps?: number; batchSize?: number; maxLength?: number }

export async function main(o: LoraChatOptions = {}): Promise<{ train: Record<string, unknown>; trainable: string; answer: string }> {
  const modelId = o.model ?? 'HuggingFaceTB/SmolLM2-135M-Instruct';
  const outputDir = o.outputDir ?? './smollm2-alpaca-lora';
  const raw = await loadDataset(o.dataset ?? 'tatsu-lab/alpaca') as DatasetDict;
  const tokenizer = await AutoTokenizer.fromPretrained(modelId);
  if (tokenizer.padToken === null) tokenizer.padToken = tokenizer.eosToken;

  const toChat = (instruction: string, input: string, output: string) => [
    { role: 'user', content: input ? `${instruction}\n\n${input}` : instruction },
    { role: 'assistant', content: output },
  ];
  const tokenize = (batch: { instruction: string[]; input: string[]; output: string[] }) => {
    const texts = batch.instruction.map((ins, i) => tokenizer.applyChatTemplate(toChat(ins, batch.input[i] ?? '', batch.output[i] ?? ''), { tokenize: false }));
    return tokenizer.call(texts, { truncation: true, maxLength: o.maxLength ?? 256, addSpecialTokens: false });
  };
  const train = await raw.get('train')!.map(tokenize, { batched: true, removeColumns: ['instruction', 'input', 'output'] });

  setSeed(42);
  const base = await AutoModelForCausalLM.fromPretrained(modelId);
  const config = new LoraConfig({ r: 8, loraAlpha: 16, loraDropout: 0.05, targetModules: ['q_proj', 'v_proj'], taskType: 'CAUSAL_LM' });
  const model = getPeftModel(base, config);
  const trainable = model.printTrainableParameters();

  const args = new TrainingArguments({
    outputDir, perDeviceTrainBatchSize: o.batchSize ?? 4, learningRate: 2e-4, numTrainEpochs: 1, maxSteps: o.maxSteps ?? -1,
    loggingSteps: 5, saveStrategy: 'no', reportTo: [],
  });
  const trainer = new Trainer({ model, args, trainDataset: train, dataCollator: new DataCollatorForLanguageModeling({ tokenizer, mlm: false }) });
  const result = await trainer.train();
  model.savePretrained(outputDir); // adapter_config.json + adapter_model.safetensors, loadable by PEFT
  tokenizer.savePretrained(outputDir);

  // a fresh base model with the saved adapter, as one would after training
  const reloaded = await PeftModel.fromPretrained(await AutoModelForCausalLM.fromPretrained(modelId, { quiet: true }), outputDir);
  const prompt = tokenizer.applyChatTemplate([{ role: 'user', content: 'Give three tips for staying healthy.' }], { addGenerationPrompt: true });
  const ids = await reloaded.generate({ inputIds: [prompt], maxNewTokens: 12 });
  const answer = tokenizer.decode((ids.toArray() as number[][])[0]!.slice(prompt.length), { skipSpecialTokens: true });
  console.log(answer);
  return { train: result.metrics, trainable, answer };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const o: LoraChatOptions = {};
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    const v = () => argv[++i]!;
    switch (argv[i]) {
      case '--model': o.model = v(); break;
      case '--dataset': o.dataset = v(); break;
      case '--output-dir': o.outputDir = v(); break;
      case '--max-steps': o.maxSteps = Number(v()); break;
      case '--batch-size': o.batchSize = Number(v()); break;
      case '--max-length': o.maxLength = Number(v()); break;
      default: throw new Error(`unknown option ${argv[i]}: use --model, --dataset, --output-dir, --max-steps, --batch-size, --max-length`);
    }
  }
  await main(o);
}
