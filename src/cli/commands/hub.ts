// Hub commands: login, logout, whoami, download (like huggingface-cli).
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import type { Command } from 'commander';
import { hfHubDownload, login, logout, snapshotDownload, tokenPath, whoami, type RepoType } from '../../hub/index';

function repoType(value: string): RepoType {
  if (value !== 'model' && value !== 'dataset') throw new Error(`--repo-type must be "model" or "dataset", not "${value}"`);
  return value;
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Reads the token from the terminal without echo (or one line from a pipe). */
async function promptToken(): Promise<string> {
  const muted = new Writable({ write: (_c, _e, cb) => cb() });
  process.stderr.write('Token (from https://huggingface.co/settings/tokens): ');
  const rl = createInterface({ input: process.stdin, output: process.stdin.isTTY ? muted : undefined, terminal: !!process.stdin.isTTY });
  try {
    const line: string = await new Promise((resolve) => {
      let got = false;
      rl.once('line', (l) => {
        got = true;
        resolve(l);
      });
      rl.once('close', () => {
        if (!got) resolve('');
      });
    });
    return line.trim();
  } finally {
    rl.close();
    process.stderr.write('\n');
  }
}

export function register(program: Command): void {
  program
    .command('login')
    .description('check a Hub token with whoami and store it where huggingface_hub reads it ($HF_HOME/token, mode 0600)')
    .option('--token <token>', 'the token (otherwise asked for, without echo)')
    .addHelpText('after', '\nExample:\n  $ hubtune login\n  $ hubtune login --token "$MY_HF_TOKEN"')
    .action(async (opts: { token?: string }) => {
      const token = opts.token ?? (await promptToken());
      const who = await login({ token });
      console.log(`Logged in as ${who?.name}. Token stored in ${tokenPath()}.`);
    });

  program
    .command('logout')
    .description('delete the stored Hub token ($HF_HOME/token)')
    .addHelpText('after', '\nExample:\n  $ hubtune logout')
    .action(() => {
      const removed = logout();
      console.log(removed ? 'Logged out: the stored token was deleted.' : 'Not logged in: no stored token.');
      if (process.env.HF_TOKEN) console.error('note: HF_TOKEN is set in the environment and is still used; unset it to log out fully.');
    });

  program
    .command('whoami')
    .description('show the Hub user the current token belongs to')
    .addHelpText('after', '\nExample:\n  $ hubtune whoami')
    .action(async () => {
      const who = await whoami();
      console.log(who.name);
      if (who.orgs.length) console.log(`orgs: ${who.orgs.join(',')}`);
    });

  program
    .command('download')
    .description('download files or a whole repo into the Hub cache and print the local path')
    .argument('<repo>', 'repo id, e.g. google-bert/bert-base-uncased')
    .argument('[files...]', 'files to download (default: the whole repo)')
    .option('--repo-type <type>', 'model or dataset', repoType, 'model' as RepoType)
    .option('--revision <rev>', 'branch, tag or commit', 'main')
    .option('--include <pattern>', 'only files matching this glob (repeatable)', collect)
    .option('--exclude <pattern>', 'skip files matching this glob (repeatable)', collect)
    .option('--cache-dir <dir>', 'cache folder (default $HF_HUB_CACHE or $HF_HOME/hub)')
    .option('--token <token>', 'Hub token (default $HF_TOKEN or the stored token)')
    .option('--local-files-only', 'use the cache only')
    .addHelpText(
      'after',
      '\nExamples:\n  $ hubtune download google-bert/bert-base-uncased config.json\n  $ hubtune download AI-Lab-Makerere/beans --repo-type dataset --include "data/*"',
    )
    .action(async (repo: string, files: string[], opts: { repoType: RepoType; revision: string; include?: string[]; exclude?: string[]; cacheDir?: string; token?: string; localFilesOnly?: boolean }) => {
      const common = { repoId: repo, repoType: opts.repoType, revision: opts.revision, cacheDir: opts.cacheDir, token: opts.token, localFilesOnly: opts.localFilesOnly };
      let path: string;
      if (files.length === 1 && !opts.include && !opts.exclude) {
        path = await hfHubDownload({ ...common, filename: files[0] });
      } else {
        if (files.length > 0 && (opts.include || opts.exclude)) console.error('note: --include/--exclude are ignored when files are named');
        path = await snapshotDownload({ ...common, allowPatterns: files.length ? files : opts.include, ignorePatterns: files.length ? undefined : opts.exclude });
      }
      console.log(path);
    });
}
