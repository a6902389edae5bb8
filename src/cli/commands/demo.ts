// `hubtune demo [image|text]`: the offline transfer-learning demos (src/demo/run-image.ts, run-text.ts).
import { Option, type Command } from 'commander';

export function register(program: Command): void {
  program
    .command('demo')
    .description('offline transfer-learning demo: fine-tune a small pretrained model and compare it with training from scratch')
    .argument('[kind]', "'image' (ViT on beans-like leaves) or 'text' (RoBERTa on MRPC-like paraphrases)", 'image')
    .option('-o, --output-dir <dir>', 'where the model, model card and plots go', 'demo-output')
    .option('--data-dir <dir>', 'where the generated dataset is cached (default ~/.cache/hubtune/demo/...)')
    .option('--epochs <n>', 'training epochs for both runs', (v) => positiveInt(v, '--epochs'))
    .option('--seed <n>', 'training seed', (v) => positiveInt(v, '--seed', true))
    .addOption(new Option('--quick', 'a seconds-long smoke run on a few images (for tests)').hideHelp())
    .addHelpText('after', `
Both demos run offline on CPU in a few minutes: they generate a dataset, fine-tune a small model
that hubtune pretrained on a different synthetic task (assets/), train the same architecture from
scratch with the same budget, and print both test results side by side.

Examples:
  $ hubtune demo
  $ hubtune demo text --output-dir ./demo-text
  $ npm run demo`)
    .action(async (kind: string, opts: { outputDir: string; dataDir?: string; epochs?: number; seed?: number; quick?: boolean }) => {
      if (kind !== 'image' && kind !== 'text') throw new Error(`unknown demo '${kind}': use 'image' or 'text'`);
      const common = {
        outputDir: opts.outputDir, dataDir: opts.dataDir, epochs: opts.epochs ?? (opts.quick ? 1 : undefined), seed: opts.seed,
        counts: opts.quick ? { train: 24, validation: 12, test: 12 } : undefined,
      };
      if (kind === 'image') {
        const { runImageDemo } = await import('../../demo/run-image');
        await runImageDemo(common);
      } else {
        const { runTextDemo } = await import('../../demo/run-text');
        await runTextDemo(common);
      }
    });
}

export function positiveInt(v: string, flag: string, allowZero = false): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < (allowZero ? 0 : 1)) throw new Error(`${flag} must be a ${allowZero ? 'non-negative' : 'positive'} integer, got '${v}'`);
  return n;
}
