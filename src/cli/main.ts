// The `hubtune` command line. Each file in ./commands registers its sub-commands.
import { Command } from 'commander';
import { registerAll } from './commands/index';
import { hubtuneVersion } from './commands/env';
import { redactSecrets } from '../hub/redact';
import { launchScriptGiven, runLaunch } from './commands/launch';

const program = new Command();
program
  .name('hubtune')
  .description('Fine-tune Hugging Face models from Node.js: pipelines, training, Hub.')
  .version(hubtuneVersion(), '-V, --version', 'print the hubtune version')
  .option('--verbose', 'print stack traces on errors')
  .showHelpAfterError('(run hubtune --help for the commands)');
registerAll(program);

try {
  // `hubtune launch [flags] script ...`: what follows the script is the script's, --help included (torchrun's rule)
  if (process.argv[2] === 'launch' && launchScriptGiven(process.argv.slice(3))) {
    process.exitCode = await runLaunch(process.argv.slice(3), program.commands.map((c) => c.name()));
  } else {
    await program.parseAsync(process.argv);
  }
} catch (err) {
  const e = err as Error;
  // Messages may quote server text: never print a token, whatever the server echoed.
  if (program.opts().verbose) console.error(redactSecrets(String(e?.stack ?? e), [], 20000).replace(/ {4}at /g, '\n    at '));
  else console.error(`error: ${redactSecrets(String(e?.message ?? e), [], 2000)}`);
  process.exitCode = 1;
}
