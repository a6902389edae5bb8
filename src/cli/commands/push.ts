// `hubtune push <folder> <repo>`: upload a local folder (a saved model, or anything) to a Hub repo,
// creating it when missing.
import type { Command } from 'commander';
import { pushFolderToHub } from '../../sharing/index';

export function register(program: Command): void {
  program
    .command('push')
    .description('upload a local folder to a Hub repo as one commit (creates the repo when missing; weights go through LFS)')
    .argument('<folder>', 'local folder, e.g. the output of savePretrained or a training run')
    .argument('<repo>', 'repo id: "name" (under your user) or "namespace/name"')
    .option('--private', 'create the repo private (when it does not exist yet)')
    .option('--commit-message <message>', 'commit title', 'Upload folder using hubtune')
    .option('--repo-type <type>', 'model or dataset', 'model')
    .option('--revision <branch>', 'branch to commit to (default main)')
    .option('--token <token>', 'Hub token with write access (default $HF_TOKEN or the stored token)')
    .addHelpText('after', '\nExamples:\n  $ hubtune push ./vit-base-beans my-vit-beans\n  $ hubtune push ./out my-org/my-model --private --commit-message "first version"')
    .action(async (folder: string, repo: string, opts: { private?: boolean; commitMessage: string; repoType: string; revision?: string; token?: string }) => {
      if (opts.repoType !== 'model' && opts.repoType !== 'dataset') throw new Error(`--repo-type must be "model" or "dataset", not "${opts.repoType}"`);
      const r = await pushFolderToHub(folder, repo, {
        private: opts.private,
        commitMessage: opts.commitMessage,
        repoType: opts.repoType,
        revision: opts.revision,
        token: opts.token,
        ignorePatterns: ['_hub_staging-*'],
        what: `folder ${folder}`,
      });
      console.log(r.commitUrl);
    });
}
