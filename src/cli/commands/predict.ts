// `hubtune predict <model> <inputs...>`: a pipeline from the command line.
import type { Command } from 'commander';
import { AutoConfig } from '../../models/auto';
import { pipeline, listTasks, checkTask, inferTask } from '../../pipelines/index';
import { printResult } from '../predict-output';

interface PredictOptions {
  task?: string; topK?: string; json?: boolean; revision?: string; device?: string; pooling?: string; textPair?: string; batchSize?: string;
  context?: string; candidateLabels?: string; hypothesisTemplate?: string; multiLabel?: boolean; aggregationStrategy?: string;
  maxNewTokens?: string; doSample?: boolean; seed?: string;
}

const GENERATIVE = ['text-generation', 'text2text-generation', 'summarization', 'translation'];

function parseTopK(v: string | undefined): number | null | undefined {
  if (v === undefined) return undefined;
  if (v === 'all' || v === 'none' || v === 'null') return null;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--top-k must be a positive integer or 'all', got '${v}'`);
  return n;
}

function positiveInt(flag: string, v: string | undefined, min = 1): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new Error(`${flag} must be an integer >= ${min}, got '${v}'`);
  return n;
}

/** Each flag that belongs to some tasks only, refused (one line) with any other task. */
function checkFlags(task: string, opts: PredictOptions, inputs: string[]): void {
  const only: [keyof PredictOptions, string, string[]][] = [
    ['textPair', '--text-pair', ['text-classification']],
    ['context', '--context', ['question-answering']],
    ['candidateLabels', '--candidate-labels', ['zero-shot-classification', 'zero-shot-image-classification']],
    ['hypothesisTemplate', '--hypothesis-template', ['zero-shot-classification', 'zero-shot-image-classification']],
    ['multiLabel', '--multi-label', ['zero-shot-classification']],
    ['aggregationStrategy', '--aggregation-strategy', ['token-classification']],
    ['maxNewTokens', '--max-new-tokens', GENERATIVE],
    ['doSample', '--do-sample', GENERATIVE],
    ['seed', '--seed', GENERATIVE],
    ['pooling', '--pooling', ['feature-extraction', 'image-feature-extraction']],
  ];
  for (const [key, flag, tasks] of only) {
    if (opts[key] !== undefined && !tasks.includes(task)) throw new Error(`${flag} goes with the ${tasks.join(' or ')} task, not ${task}`);
  }
  if (opts.textPair !== undefined && inputs.length !== 1) throw new Error('--text-pair goes with one input text');
  if (task === 'question-answering' && opts.context === undefined) throw new Error('question-answering needs --context <text>: the inputs are the questions asked about it');
  if (task.startsWith('zero-shot') && !opts.candidateLabels?.split(',').some((l) => l.trim())) {
    throw new Error(`${task} needs --candidate-labels <a,b,c>: the labels to choose from`);
  }
}

/** The pipeline options of `task` from the command's flags. */
function callOptions(task: string, opts: PredictOptions): Record<string, unknown> {
  const topK = parseTopK(opts.topK);
  const o: Record<string, unknown> = topK === undefined ? {} : { topK };
  const labels = () => opts.candidateLabels!.split(',').map((l) => l.trim()).filter(Boolean);
  switch (task) {
    case 'feature-extraction': {
      const pooling = opts.pooling ?? 'mean';
      if (!['none', 'mean', 'cls'].includes(pooling)) throw new Error(`--pooling must be none, mean or cls, got '${pooling}'`);
      return { pooling };
    }
    case 'image-feature-extraction': {
      const pooling = opts.pooling ?? 'none';
      if (!['none', 'pooler'].includes(pooling)) throw new Error(`--pooling must be none (every patch) or pooler for images, got '${pooling}'`);
      return { pool: pooling === 'pooler' };
    }
    case 'text-classification': return { topK: topK === undefined ? 1 : topK };
    case 'token-classification': {
      const aggregationStrategy = opts.aggregationStrategy ?? 'simple';
      if (!['none', 'simple', 'first', 'average', 'max'].includes(aggregationStrategy)) {
        throw new Error(`--aggregation-strategy must be none, simple, first, average or max, got '${aggregationStrategy}'`);
      }
      return { aggregationStrategy };
    }
    case 'zero-shot-classification':
      return { candidateLabels: labels(), ...(opts.hypothesisTemplate ? { hypothesisTemplate: opts.hypothesisTemplate } : {}), ...(opts.multiLabel ? { multiLabel: true } : {}) };
    case 'zero-shot-image-classification':
      return { candidateLabels: labels(), ...(opts.hypothesisTemplate ? { hypothesisTemplate: opts.hypothesisTemplate } : {}) };
    default:
      if (GENERATIVE.includes(task)) {
        return {
          ...o, ...(opts.maxNewTokens !== undefined ? { maxNewTokens: positiveInt('--max-new-tokens', opts.maxNewTokens) } : {}),
          ...(opts.doSample ? { doSample: true } : {}), ...(opts.seed !== undefined ? { seed: positiveInt('--seed', opts.seed, 0) } : {}),
        };
      }
      return o;
  }
}

export function register(program: Command): void {
  program
    .command('predict')
    .description('run a pipeline on images or texts: classification, fill-mask, NER, question answering, zero-shot, generation, features')
    .argument('<model>', 'a local model folder or a Hub model id')
    .argument('<inputs...>', 'image files or URLs (image models), texts, or questions (question-answering)')
    .option('--task <task>', `the pipeline task (default: from the model's config): ${listTasks().join(', ')}`)
    .option('-k, --top-k <n>', "labels (or fill-mask candidates, answers) per input; 'all' for every label")
    .option('--text-pair <text>', 'text-classification: the second sentence of a pair (with one input text)')
    .option('--context <text>', 'question-answering: the text the questions are about')
    .option('--candidate-labels <labels>', 'zero-shot tasks: comma-separated labels to choose from')
    .option('--hypothesis-template <text>', "zero-shot tasks: the sentence each label goes into at '{}'")
    .option('--multi-label', 'zero-shot-classification: score each label on its own')
    .option('--aggregation-strategy <s>', 'token-classification: none, simple, first, average or max (default: simple, entities grouped)')
    .option('--max-new-tokens <n>', 'generation tasks: tokens to generate at most')
    .option('--do-sample', 'generation tasks: sample instead of greedy decoding')
    .option('--seed <n>', 'generation tasks: the sampling seed')
    .option('--pooling <mode>', 'feature-extraction: none (token vectors), mean (default) or cls; image-feature-extraction: none (default) or pooler')
    .option('--json', 'print the results as JSON (one array, in input order)')
    .option('--revision <rev>', 'Hub branch, tag or commit')
    .option('--device <device>', 'cpu, cuda or auto', 'auto')
    .option('--batch-size <n>', 'inputs per forward pass', '8')
    .addHelpText('after', `
Examples:
  $ hubtune predict ./demo-output/vit-tiny-beans-like leaf1.png leaf2.png --top-k 2
  $ hubtune predict distilbert-base-uncased-finetuned-sst-2-english "I love this movie!" --json
  $ hubtune predict ./my-paraphrase-model "The cat sat." --text-pair "A cat was sitting."
  $ hubtune predict ./assets/roberta-tiny-mlm "Lena paid the <mask>." --task fill-mask`)
    .action(async (model: string, inputs: string[], opts: PredictOptions) => {
      let task = opts.task;
      if (task) checkTask(task);
      else task = inferTask(await AutoConfig.fromPretrained(model, { revision: opts.revision }));
      const info = checkTask(task);
      checkFlags(info.task, opts, inputs);
      const callOpts = callOptions(info.task, opts);
      const batchSize = positiveInt('--batch-size', opts.batchSize)!;
      // translation_xx_to_yy keeps its language pair
      const pipe = await pipeline(/^translation_.+_to_.+$/.test(task) ? task : info.task, { model, revision: opts.revision, device: opts.device, batchSize, warn: (m) => console.error(m) });
      const items: unknown[] = opts.textPair !== undefined ? [{ text: inputs[0], text_pair: opts.textPair }]
        : info.task === 'question-answering' ? inputs.map((question) => ({ question, context: opts.context }))
          : inputs;
      // One input runs as one item, so its error is its own (a list reports which of its inputs failed).
      const results: unknown[] = items.length === 1 ? [await pipe(items[0], callOpts)] : await pipe(items, callOpts) as unknown[];
      if (opts.json) {
        console.log(JSON.stringify(results.map((r, i) => ({ input: items[i], result: r })), null, 2));
        return;
      }
      results.forEach((r, i) => {
        const input = items[i] as string | { text: string; text_pair: string } | { question: string };
        console.log(typeof input === 'string' ? input : 'question' in input ? input.question : `${input.text} / ${input.text_pair}`);
        printResult(info.task, r, (l) => console.log(l), { pooling: opts.pooling });
      });
    });
}
