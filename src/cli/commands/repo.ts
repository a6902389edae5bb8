// `hubtune repo create` and `hubtune upload`, like huggingface-cli (the repo is created when missing).
import { existsSync, statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import type { Command } from 'commander';
import { createRepo, hubEndpoint, uploadFiles, uploadFolder, whoami, type RepoType } from '../../hub/index';
import { toJson } from '../table';

const collect = (v: string, prev: string[] = []) => [...prev, v];

function repoTypeOf(v: string): RepoType {
  if (v !== 'model' && v !== 'dataset') throw new Error(`--repo-type must be "model" or "dataset", not "${v}"`);
  return v;
}

/** `name` becomes `<user>/name` (or `<org>/name`), as huggingface-cli does. */
async function qualified(name: string, token?: string, organization?: string): Promise<string> {
  if (name.includes('/')) return name;
  if (organization) return `${organization}/${name}`;
  return `${(await whoami({ token })).name}/${name}`;
}

const repoUrl = (repoId: string, type: RepoType) => `${hubEndpoint()}/${type === 'dataset' ? 'datasets/' : ''}${repoId}`;

export function register(program: Command): void {
  const repo = program.command('repo').description('manage Hub repos');
  repo
    .command('create')
    .description('create a model or dataset repo on the Hub')
    .argument('<name>', '"name" (under your user) or "namespace/name"')
    .option('--repo-type <type>', 'model or dataset', repoTypeOf, 'model' as RepoType)
    .option('--organization <org>', 'create it under this organization')
    .option('--private', 'make it private')
    .option('--exist-ok', 'succeed when it already exists')
    .option('--token <token>', 'Hub token with write access (default $HF_TOKEN or the stored token)')
    .option('--json', 'print JSON for scripts')
    .addHelpText('after', '\nExamples:\n  $ hubtune repo create my-model\n  $ hubtune repo create my-org/beans-mini --repo-type dataset --private')
    .action(async (name: string, o: { repoType: RepoType; organization?: string; private?: boolean; existOk?: boolean; token?: string; json?: boolean }) => {
      const repoId = await qualified(name, o.token, o.organization);
      const r = await createRepo({ repoId, repoType: o.repoType, private: o.private, existOk: o.existOk, token: o.token });
      if (o.json) console.log(toJson({ repoId, repoType: o.repoType, url: r.repoUrl }));
      else console.log(`Your repo now lives at:\n  ${r.repoUrl}`);
    });

  program
    .command('upload')
    .description('upload a file or a folder to a Hub repo as one commit (the repo is created when missing)')
    .argument('<repo>', 'repo id: "name" (under your user) or "namespace/name"')
    .argument('[path]', 'local file or folder (default: the current folder)', '.')
    .argument('[path_in_repo]', 'where it goes in the repo (default: the file name, or the repo root for a folder)')
    .option('--repo-type <type>', 'model or dataset', repoTypeOf, 'model' as RepoType)
    .option('--revision <branch>', 'branch to commit to (default main)')
    .option('--private', 'create the repo private (when it does not exist yet)')
    .option('--include <pattern>', 'only files matching this glob (repeatable)', collect)
    .option('--exclude <pattern>', 'skip files matching this glob (repeatable)', collect)
    .option('--commit-message <message>', 'commit title')
    .option('--commit-description <text>', 'commit description')
    .option('--create-pr', 'open a pull request instead of committing to the branch')
    .option('--token <token>', 'Hub token with write access (default $HF_TOKEN or the stored token)')
    .option('--json', 'print JSON for scripts')
    .addHelpText('after', '\nExamples:\n  $ hubtune upload my-model ./model.safetensors\n  $ hubtune upload my-org/beans-mini ./data data --repo-type dataset\n  $ hubtune upload my-model . --include "*.json" --create-pr')
    .action(async (name: string, path: string, pathInRepo: string | undefined, o: {
      repoType: RepoType; revision?: string; private?: boolean; include?: string[]; exclude?: string[]; commitMessage?: string; commitDescription?: string; createPr?: boolean; token?: string; json?: boolean;
    }) => {
      const local = resolve(path);
      if (!existsSync(local)) throw new Error(`no such file or folder: ${path}`);
      const repoId = await qualified(name, o.token);
      await createRepo({ repoId, repoType: o.repoType, private: o.private, existOk: true, token: o.token });
      const common = { repoId, repoType: o.repoType, revision: o.revision, createPr: o.createPr, token: o.token, commitDescription: o.commitDescription };
      let target: string;
      let commit;
      if (statSync(local).isFile()) {
        if (o.include || o.exclude) console.error('note: --include/--exclude apply to folders; uploading the file');
        target = pathInRepo ?? basename(local);
        commit = await uploadFiles({ ...common, files: [{ path: target, localPath: local }], commitMessage: o.commitMessage ?? `Upload ${target} with hubtune` });
      } else {
        target = (pathInRepo ?? '').replace(/^\/+|\/+$/g, '');
        commit = await uploadFolder({ ...common, folderPath: local, pathInRepo: target || undefined, allowPatterns: o.include, ignorePatterns: o.exclude, commitMessage: o.commitMessage ?? 'Upload folder using hubtune' });
      }
      const kind = statSync(local).isFile() ? 'blob' : 'tree';
      const url = `${repoUrl(repoId, o.repoType)}/${kind}/${encodeURIComponent(o.revision ?? 'main')}/${target}`.replace(/\/$/, '');
      if (o.json) console.log(toJson({ repoId, commitOid: commit.commitOid, commitUrl: commit.commitUrl, pullRequestUrl: commit.pullRequestUrl, url }));
      else console.log(commit.pullRequestUrl ?? url);
    });
}
