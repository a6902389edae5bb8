// Discovery, like huggingface-cli / HfApi: `hubtune search models|datasets`, `hubtune info <repo>`.
import type { Command } from 'commander';
import { datasetInfo, listDatasets, listModels, modelInfo, type DatasetInfo, type ListReposParams, type ModelInfo, type RepoType } from '../../hub/index';
import { formatSize, formatTimeSince } from '../../hub/scan-cache';
import { formatTable, toJson } from '../table';

interface SearchOpts {
  author?: string;
  task?: string;
  library?: string;
  language?: string;
  license?: string;
  filter?: string[];
  sort?: string;
  limit: string;
  json?: boolean;
}

const collect = (v: string, prev: string[] = []) => [...prev, v];
const when = (d?: Date) => (d ? formatTimeSince(d.getTime() / 1000) : '');
const count = (n?: number) => (n === undefined ? '' : n);

function limitOf(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--limit must be a positive integer, not "${v}"`);
  return n;
}

async function search(kind: 'models' | 'datasets', query: string | undefined, o: SearchOpts): Promise<void> {
  const params: ListReposParams = {
    search: query, author: o.author, task: o.task, library: o.library, language: o.language, license: o.license,
    filter: o.filter, sort: (o.sort ?? 'downloads') as ListReposParams['sort'], limit: limitOf(o.limit),
  };
  const found: Array<ModelInfo | DatasetInfo> = [];
  for await (const r of kind === 'models' ? listModels(params) : listDatasets(params)) found.push(r);
  if (o.json) {
    console.log(toJson(found));
    return;
  }
  if (!found.length) {
    console.log(`No ${kind} found.`);
    return;
  }
  if (kind === 'models') {
    const rows = (found as ModelInfo[]).map((m) => [m.id, m.pipelineTag ?? '', m.libraryName ?? '', count(m.downloads), count(m.likes), when(m.lastModified ?? m.createdAt)]);
    console.log(formatTable(['ID', 'TASK', 'LIBRARY', 'DOWNLOADS', 'LIKES', 'UPDATED'], rows));
  } else {
    const rows = (found as DatasetInfo[]).map((d) => [d.id, count(d.downloads), count(d.likes), when(d.lastModified ?? d.createdAt), d.tags.filter((t) => /^(task_categories|language|license):/.test(t)).slice(0, 4).join(', ')]);
    console.log(formatTable(['ID', 'DOWNLOADS', 'LIKES', 'UPDATED', 'TAGS'], rows));
  }
}

function list(v: unknown): string {
  return Array.isArray(v) ? v.join(', ') : v === undefined || v === null ? '' : String(v);
}

async function info(repo: string, o: { repoType: RepoType; revision?: string; json?: boolean }): Promise<void> {
  const p = { repoId: repo, revision: o.revision, filesMetadata: true };
  const r = o.repoType === 'dataset' ? await datasetInfo(p) : await modelInfo(p);
  if (o.json) {
    console.log(toJson(r));
    return;
  }
  const card = r.cardData ?? {};
  const lines: Array<[string, string]> = [
    ['id', r.id],
    ['type', o.repoType],
    ['sha', r.sha ?? ''],
    ['last modified', r.lastModified ? `${r.lastModified.toISOString()} (${when(r.lastModified)})` : ''],
    ['private', String(r.private)],
    ['gated', String(r.gated)],
    ['downloads', String(r.downloads ?? '')],
    ['likes', String(r.likes ?? '')],
  ];
  const m = r as ModelInfo;
  if (o.repoType === 'model') lines.push(['task', m.pipelineTag ?? ''], ['library', m.libraryName ?? '']);
  lines.push(['license', list(card.license)], ['language', list(card.language)], ['datasets', list(card.datasets)], ['tags', r.tags.join(', ')]);
  const width = Math.max(...lines.map(([k]) => k.length));
  for (const [k, v] of lines) if (v !== '') console.log(`${k.padEnd(width)}  ${v}`);
  const files = r.siblings ?? [];
  if (files.length) {
    const total = files.reduce((a, f) => a + (f.size ?? 0), 0);
    console.log(`\n${files.length} files, ${formatSize(total)}:`);
    console.log(formatTable(['FILE', 'SIZE', 'LFS'], files.map((f) => [f.rfilename, f.size === undefined ? '' : formatSize(f.size), f.lfs ? 'yes' : ''])));
  }
}

export function register(program: Command): void {
  const s = program.command('search').description('search the Hub for models or datasets (like HfApi.list_models / list_datasets)');
  for (const kind of ['models', 'datasets'] as const) {
    s.command(kind)
      .description(`list ${kind} matching a name and filters, most downloaded first`)
      .argument('[query]', 'part of the repo id, e.g. "bert"')
      .option('--author <name>', 'user or organization')
      .option('--task <task>', kind === 'models' ? 'pipeline tag, e.g. text-classification' : 'task category, e.g. image-classification')
      .option('--library <name>', 'library, e.g. transformers (models)')
      .option('--language <code>', 'language code, e.g. en')
      .option('--license <id>', 'license, e.g. apache-2.0')
      .option('--filter <tag>', 'any Hub tag (repeatable)', collect)
      .option('--sort <key>', 'downloads, likes, trending, lastModified or createdAt', 'downloads')
      .option('--limit <n>', 'how many to show', '20')
      .option('--json', 'print JSON for scripts')
      .addHelpText('after', kind === 'models'
        ? '\nExamples:\n  $ hubtune search models bert --task fill-mask --limit 5\n  $ hubtune search models --author distilbert --sort likes --json'
        : '\nExamples:\n  $ hubtune search datasets beans\n  $ hubtune search datasets --task image-classification --language en')
      .action((query: string | undefined, o: SearchOpts) => search(kind, query, o));
  }

  program
    .command('info')
    .description("show a repo's metadata, card data and files with their sizes")
    .argument('<repo>', 'repo id, e.g. distilbert/distilroberta-base')
    .option('--repo-type <type>', 'model or dataset', (v: string) => {
      if (v !== 'model' && v !== 'dataset') throw new Error(`--repo-type must be "model" or "dataset", not "${v}"`);
      return v;
    }, 'model')
    .option('--revision <rev>', 'branch, tag or commit')
    .option('--json', 'print JSON for scripts')
    .addHelpText('after', '\nExamples:\n  $ hubtune info distilroberta-base\n  $ hubtune info beans --repo-type dataset --json')
    .action((repo: string, o: { repoType: RepoType; revision?: string; json?: boolean }) => info(repo, o));
}
