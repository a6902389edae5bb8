// The `hubtune` command line. Each file in ./commands registers its sub-commands.
import { Command } from 'commander';
import { registerAll } from './commands/index';

const program = new Command();
program
  .name('hubtune')
  .description('Fine-tune Hugging Face models from Node.js: pipelines, training, Hub.')
  .option('--verbose', 'print stack traces on errors')
  .showHelpAfterError('(run hubtune --help for the commands)');
registerAll(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  const e = err as Error;
  if (program.opts().verbose) console.error(e?.stack ?? e);
  else console.error(`error: ${e?.message ?? e}`);
  process.exitCode = 1;
}
