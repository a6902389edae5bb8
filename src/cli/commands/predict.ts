// `hubtune predict <model> <inputs...>`: a pipeline from the command line.
import type { Command } from 'commander';
import { AutoConfig } from '../../models/auto';
import { pipeline, listTasks, checkTask, inferTask, type FillMaskCandidate, type LabelScore } from '../../pipelines/index';

interface PredictOptions { task?: string; topK?: string; json?: boolean; revision?: string; device?: string; pooling?: string; textPair?: string; batchSize?: string }

function parseTopK(v: string | undefined): number | null | undefined {
  if (v === undefined) return undefined;
  if (v === 'all' || v === 'none' || v === 'null') return null;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--top-k must be a positive integer or 'all', got '${v}'`);
  return n;
}

export function register(program: Command): void {
  program
    .command('predict')
    .description('run a pipeline on images or texts: image-classification, text-classification, fill-mask, feature-extraction')
    .argument('<model>', 'a local model folder or a Hub model id')
    .argument('<inputs...>', 'image files or URLs (image models), or texts')
    .option('--task <task>', `the pipeline task (default: from the model's config): ${listTasks().join(', ')}`)
    .option('-k, --top-k <n>', "labels (or fill-mask candidates) per input; 'all' for every label")
    .option('--text-pair <text>', 'text-classification: the second sentence of a pair (with one input text)')
    .option('--pooling <mode>', "feature-extraction: none (token vectors), mean or cls", 'mean')
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
      const topK = parseTopK(opts.topK);
      const batchSize = Number(opts.batchSize);
      if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`--batch-size must be a positive integer, got '${opts.batchSize}'`);
      if (opts.textPair !== undefined && (info.task !== 'text-classification' || inputs.length !== 1)) {
        throw new Error('--text-pair goes with one input text and the text-classification task');
      }
      const pipe = await pipeline(info.task, { model, revision: opts.revision, device: opts.device, batchSize, warn: (m) => console.error(m) });
      const items: unknown[] = opts.textPair !== undefined ? [{ text: inputs[0], text_pair: opts.textPair }] : inputs;
      // One input runs as one item, so its error is its own (a list reports which of its inputs failed).
      const run = async (o: Record<string, unknown>): Promise<unknown[]> => items.length === 1 ? [await pipe(items[0], o)] : await pipe(items, o) as unknown[];
      let results: unknown[];
      if (info.task === 'feature-extraction') {
        if (!['none', 'mean', 'cls'].includes(opts.pooling ?? 'mean')) throw new Error(`--pooling must be none, mean or cls, got '${opts.pooling}'`);
        results = await run({ pooling: opts.pooling });
      } else if (info.task === 'text-classification') {
        results = await run({ topK: topK === undefined ? 1 : topK });
      } else {
        results = await run(topK === undefined ? {} : { topK });
      }
      if (opts.json) {
        console.log(JSON.stringify(results.map((r, i) => ({ input: items[i], result: r })), null, 2));
        return;
      }
      results.forEach((r, i) => {
        const input = items[i];
        console.log(typeof input === 'string' ? input : `${(input as { text: string }).text} / ${(input as { text_pair: string }).text_pair}`);
        if (info.task === 'feature-extraction') {
          const v = r as number[] | number[][][];
          if (opts.pooling === 'none') console.log(`  token vectors: [1, ${(v as number[][][])[0].length}, ${(v as number[][][])[0][0].length}]`);
          else console.log(`  ${opts.pooling ?? 'mean'}-pooled vector (${(v as number[]).length} values): [${(v as number[]).slice(0, 6).map((x) => x.toFixed(4)).join(', ')}, ...]`);
          return;
        }
        if (info.task === 'fill-mask') {
          const perMask = Array.isArray((r as unknown[])[0]) ? r as FillMaskCandidate[][] : [r as FillMaskCandidate[]];
          perMask.forEach((cands, m) => {
            if (perMask.length > 1) console.log(`  mask ${m + 1}:`);
            for (const c of cands) console.log(`  ${c.score.toFixed(4)}  ${JSON.stringify(c.token_str)}  ${c.sequence}`);
          });
          return;
        }
        const width = Math.max(...(r as LabelScore[]).map((x) => x.label.length));
        for (const x of r as LabelScore[]) console.log(`  ${x.label.padEnd(width)}  ${x.score.toFixed(4)}`);
      });
    });
}
