// Memory soak: RSS must stay flat (<= 1.2x between call/step 1,000 and the last) over 10,000
// pipeline() calls of each task and over a 10,000-step Trainer run, on tiny models. Each task runs in
// its own process so that one task's memory does not hide another's. Prints one JSON object;
// exits 1 when a ratio is above the bound.
//
//   node --import tsx scripts/memory-soak.ts [--calls 10000] [--steps 10000] [--tasks a,b|none] [--trainer|--no-trainer]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const argv = process.argv.slice(2);
const flag = (name: string, dflt: string) => { const i = argv.indexOf(name); return i >= 0 ? argv[i + 1]! : dflt; };
const AT = 1000;
const BOUND = 1.2;

interface Figures { what: string; n: number; rss_mb_at_1000: number; rss_mb_at_end: number; ratio: number; live_tensors_at_1000: number; live_tensors_at_end: number; tensor_bytes_at_1000: number; tensor_bytes_at_end: number; seconds: number }

async function probe(n: number, what: string, one: (i: number) => Promise<void>): Promise<Figures> {
  const { memoryStats } = await import('../src/torch/index');
  let at1000: ReturnType<typeof memoryStats> | null = null;
  const t0 = performance.now();
  for (let i = 1; i <= n; i++) {
    await one(i);
    if (i === Math.min(AT, n)) at1000 = memoryStats();
  }
  const end = memoryStats();
  const mb = (b: number) => Math.round(b / 1e5) / 10;
  return {
    what, n, rss_mb_at_1000: mb(at1000!.rssBytes), rss_mb_at_end: mb(end.rssBytes), ratio: Math.round((end.rssBytes / at1000!.rssBytes) * 1000) / 1000,
    live_tensors_at_1000: at1000!.liveTensors, live_tensors_at_end: end.liveTensors, tensor_bytes_at_1000: at1000!.allocatedBytes, tensor_bytes_at_end: end.allocatedBytes,
    seconds: Math.round((performance.now() - t0) / 100) / 10,
  };
}

const TEXT = (i: number) => `the leaves of bean plant ${i % 97} show rust spots near the stem`;

/** One task's soak, in this process: a tiny model built in `work`, then `n` calls. */
async function soakTask(task: string, n: number, work: string): Promise<Figures> {
  const { pipeline } = await import('../src/pipelines/index');
  const { encodePNG } = await import('../src/preprocessing/image-testing');
  const png = encodePNG({ width: 40, height: 32, colorType: 2, bitDepth: 8, samples: Array.from({ length: 40 * 32 * 3 }, (_, i) => (i * 7 + (i >> 5)) & 255) });
  const fx = async () => (await import('../test/pipelines/fixtures')).fixtures();
  const gen = await import('../test/support/generation-repos');
  let pipe: (x: unknown, o?: object) => Promise<unknown>;
  let input: (i: number) => unknown = TEXT;
  let opts: object | undefined;
  switch (task) {
    case 'text-classification': pipe = await pipeline(task, { model: (await fx()).robertaCls }) as never; break;
    case 'fill-mask': pipe = await pipeline(task, { model: (await fx()).robertaMlm }) as never; input = (i) => `the leaves of bean <mask> ${i % 97}`; break;
    case 'feature-extraction': pipe = await pipeline(task, { model: (await fx()).robertaBase }) as never; break;
    case 'image-classification': pipe = await pipeline(task, { model: (await fx()).vit }) as never; input = () => png; break;
    case 'image-feature-extraction': pipe = await pipeline(task, { model: (await fx()).vit }) as never; input = () => png; break;
    case 'zero-shot-image-classification': {
      const { saveTinyClipRepo } = await import('../test/support/tiny-vision');
      pipe = await pipeline(task, { model: await saveTinyClipRepo(join(work, 'clip')) }) as never;
      input = () => png; opts = { candidateLabels: ['healthy leaf', 'bean rust', 'angular leaf spot'] };
      break;
    }
    case 'text-generation': pipe = await pipeline(task, { model: await gen.saveTinyGpt2Repo(join(work, 'gpt2')) }) as never; opts = { maxNewTokens: 4 }; break;
    case 'text2text-generation': case 'summarization': case 'translation_en_to_de':
      pipe = await pipeline(task, { model: await gen.saveTinyT5Repo(join(work, 't5')) }) as never; opts = { maxNewTokens: 4 }; break;
    case 'token-classification': pipe = await pipeline(task, { model: await tinyBert(work, 'ner') }) as never; opts = { aggregationStrategy: 'simple' }; break;
    case 'question-answering':
      pipe = await pipeline(task, { model: await tinyBert(work, 'qa') }) as never;
      input = (i) => ({ question: 'where does john live ?', context: `john lives in paris . the cat sat on the mat ${i % 7 ? 'in new york' : ''} .` });
      break;
    case 'zero-shot-classification':
      pipe = await pipeline(task, { model: await tinyBert(work, 'nli') }) as never; opts = { candidateLabels: ['sport', 'politics', 'food'] }; break;
    default: throw new Error(`memory-soak: no tiny model for the task '${task}'`);
  }
  return probe(n, task, async (i) => { await pipe(input(i), opts); });
}

/** A tiny BERT (WordPiece vocabulary written here) for token classification, QA or NLI. */
async function tinyBert(work: string, kind: 'ner' | 'qa' | 'nli'): Promise<string> {
  const { writeFileSync } = await import('node:fs');
  const { manualSeed } = await import('../src/torch/index');
  const { AutoConfig, AutoModelForTokenClassification, AutoModelForQuestionAnswering, AutoModelForSequenceClassification } = await import('../src/models/index');
  const words = ['the', 'cat', 'sat', 'on', 'mat', 'where', 'does', 'is', 'a', 'in', 'paris', 'lives', 'live', 'new', 'york', 'john', '.', '?', 'leaves', 'of', 'bean', 'plant', 'show', 'rust', 'spots', 'near', 'stem', 'this', 'example', 'about', 'sport', 'politics', 'food'];
  const base = { model_type: 'bert', vocab_size: words.length + 5 + 10, hidden_size: 16, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 24, max_position_embeddings: 64, hidden_dropout_prob: 0, attention_probs_dropout_prob: 0 };
  const labelled = (labels: string[]) => ({ id2label: Object.fromEntries(labels.map((l, i) => [i, l])), label2id: Object.fromEntries(labels.map((l, i) => [l, i])) });
  manualSeed(0);
  const dir = join(work, kind);
  if (kind === 'ner') AutoModelForTokenClassification.fromConfig(AutoConfig.fromDict({ ...base, ...labelled(['O', 'B-PER', 'I-PER', 'B-LOC', 'I-LOC']), architectures: ['BertForTokenClassification'] })).savePretrained(dir);
  else if (kind === 'qa') AutoModelForQuestionAnswering.fromConfig(AutoConfig.fromDict({ ...base, architectures: ['BertForQuestionAnswering'] })).savePretrained(dir);
  else AutoModelForSequenceClassification.fromConfig(AutoConfig.fromDict({ ...base, ...labelled(['contradiction', 'neutral', 'entailment']), architectures: ['BertForSequenceClassification'] })).savePretrained(dir);
  writeFileSync(join(dir, 'vocab.txt'), ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', ...words, '##s', '##es'].join('\n') + '\n');
  writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify({ tokenizer_class: 'BertTokenizer', do_lower_case: true, model_max_length: 64 }));
  return dir;
}

/** A Trainer run of `n` steps on a tiny RoBERTa (no checkpoints, logging every 100 steps). */
async function soakTrainer(n: number, work: string): Promise<Figures> {
  process.env.HUBTUNE_QUIET_TRAINER = '1';
  const { Trainer, TrainingArguments, setSeed } = await import('../src/training/index');
  const { memoryStats } = await import('../src/torch/index');
  const { tinyRoberta, tinyTextDataset, padCollator } = await import('../test/support/tiny-models');
  setSeed(0);
  let at1000: ReturnType<typeof memoryStats> | null = null;
  const t0 = performance.now();
  const trainer = new Trainer({
    model: tinyRoberta({ seed: 0 }),
    args: new TrainingArguments({ outputDir: join(work, 'trainer'), perDeviceTrainBatchSize: 4, learningRate: 1e-4, maxSteps: n, loggingSteps: 100, saveStrategy: 'no', seed: 7, disableTqdm: true, reportTo: [] }),
    trainDataset: tinyTextDataset(64, { seed: 1 }),
    dataCollator: padCollator,
    callbacks: [{ onStepEnd: (_a: unknown, state: { globalStep: number }) => { if (state.globalStep === Math.min(AT, n)) at1000 = memoryStats(); } }] as never,
  });
  const log = console.log;
  console.log = () => {}; // the printer's per-log lines
  try { await trainer.train(); } finally { console.log = log; }
  const end = memoryStats();
  const a = at1000 as unknown as ReturnType<typeof memoryStats>;
  const mb = (b: number) => Math.round(b / 1e5) / 10;
  return {
    what: 'trainer', n, rss_mb_at_1000: mb(a.rssBytes), rss_mb_at_end: mb(end.rssBytes), ratio: Math.round((end.rssBytes / a.rssBytes) * 1000) / 1000,
    live_tensors_at_1000: a.liveTensors, live_tensors_at_end: end.liveTensors, tensor_bytes_at_1000: a.allocatedBytes, tensor_bytes_at_end: end.allocatedBytes,
    seconds: Math.round((performance.now() - t0) / 100) / 10,
  };
}

const ALL_TASKS = ['text-classification', 'fill-mask', 'feature-extraction', 'image-classification', 'image-feature-extraction',
  'zero-shot-image-classification', 'text-generation', 'text2text-generation', 'summarization', 'translation_en_to_de',
  'token-classification', 'question-answering', 'zero-shot-classification'];

const child = flag('--child', '');
if (child) {
  const work = mkdtempSync(join(tmpdir(), 'hubtune-soak-'));
  try {
    const r = child === 'trainer' ? await soakTrainer(Number(flag('--steps', '10000')), work) : await soakTask(child, Number(flag('--calls', '10000')), work);
    process.stdout.write(`SOAK ${JSON.stringify(r)}\n`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
} else {
  const calls = flag('--calls', '10000');
  const steps = flag('--steps', '10000');
  const tasksFlag = flag('--tasks', 'all');
  const tasks = tasksFlag === 'none' ? [] : tasksFlag === 'all' ? ALL_TASKS : tasksFlag.split(',');
  const jobs = [...tasks, ...(argv.includes('--no-trainer') ? [] : ['trainer'])];
  const results: (Figures | { what: string; error: string })[] = [];
  const self = fileURLToPath(import.meta.url);
  for (const job of jobs) {
    const r = spawnSync(process.execPath, ['--import', 'tsx', self, '--child', job, '--calls', calls, '--steps', steps], { encoding: 'utf8', env: { ...process.env, HUBTUNE_QUIET_BLAS_WARNING: '1' }, maxBuffer: 1 << 26 });
    const line = /^SOAK (.*)$/m.exec(r.stdout ?? '');
    const res = line ? JSON.parse(line[1]!) as Figures : { what: job, error: (r.stderr || `exit ${r.status}`).trim().split('\n').slice(-3).join(' | ') };
    results.push(res);
    process.stderr.write(`${job}: ${'ratio' in res ? `RSS ${res.rss_mb_at_1000} MB at ${Math.min(AT, res.n)}, ${res.rss_mb_at_end} MB at ${res.n} (x${res.ratio}), ${res.seconds} s` : res.error}\n`);
  }
  const failed = results.filter((r) => !('ratio' in r) || r.ratio > BOUND).map((r) => r.what);
  console.log(JSON.stringify({ bound: BOUND, at: AT, calls: Number(calls), steps: Number(steps), results, failed }, null, 2));
  process.exit(failed.length ? 1 : 0);
}
