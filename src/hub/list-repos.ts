// listModels / listDatasets (HfApi.list_models, list_datasets): search the Hub by name, author,
// task, library, language, license; sort by downloads, likes, trending or last modified; limit.
import { hubEndpoint, resolveToken } from './env';
import { HubError, type RepoType } from './errors';
import { paginate } from './paginate';
import { parseRepoInfo, type DatasetInfo, type ModelInfo } from './repo-info';

export type RepoSort = 'downloads' | 'likes' | 'trending' | 'trendingScore' | 'lastModified' | 'last_modified' | 'createdAt' | 'created_at';

export interface ListReposParams {
  /** Substring of the repo id. */
  search?: string;
  /** User or organization. */
  author?: string;
  /** Models: the pipeline tag (`text-classification`); datasets: a task category. */
  task?: string;
  /** Models: the library (`transformers`, `timm`...). */
  library?: string;
  /** Language code (`en`). */
  language?: string | string[];
  /** License id (`apache-2.0`). */
  license?: string;
  /** Raw Hub tag filters, added to the above. */
  filter?: string | string[];
  /** Descending, like the Hub's listings. */
  sort?: RepoSort;
  limit?: number;
  /** Files and last commit of each repo. */
  full?: boolean;
  /** The card's YAML metadata of each repo. */
  cardData?: boolean;
  token?: string | false;
  endpoint?: string;
}

const SORT_KEYS: Record<RepoSort, string> = {
  downloads: 'downloads', likes: 'likes', trending: 'trendingScore', trendingScore: 'trendingScore',
  lastModified: 'lastModified', last_modified: 'lastModified', createdAt: 'createdAt', created_at: 'createdAt',
};

function listQuery(p: ListReposParams, repoType: RepoType): URLSearchParams {
  const q = new URLSearchParams();
  const list = (v: string | string[] | undefined) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
  const filters = [...list(p.filter)];
  if (repoType === 'model') {
    if (p.library) filters.push(p.library);
    filters.push(...list(p.language));
    if (p.task) q.set('pipeline_tag', p.task);
  } else {
    filters.push(...list(p.language).map((l) => `language:${l}`));
    if (p.task) filters.push(`task_categories:${p.task}`);
  }
  if (p.license) filters.push(`license:${p.license}`);
  for (const f of filters) q.append('filter', f);
  if (p.search) q.set('search', p.search);
  if (p.author) q.set('author', p.author);
  if (p.sort) {
    const key = SORT_KEYS[p.sort];
    if (!key) throw new HubError(`unknown sort '${p.sort}': use downloads, likes, trending, lastModified or createdAt`);
    q.set('sort', key);
  }
  if (p.limit !== undefined) {
    if (!Number.isInteger(p.limit) || p.limit < 1) throw new HubError(`limit must be a positive integer, got ${p.limit}`);
    q.set('limit', String(p.limit));
  }
  if (p.full) q.set('full', 'true');
  if (p.cardData) q.set('cardData', 'true');
  return q;
}

async function* listRepos(p: ListReposParams, repoType: RepoType): AsyncGenerator<ModelInfo & DatasetInfo> {
  const endpoint = (p.endpoint ?? hubEndpoint()).replace(/\/+$/, '');
  const q = listQuery(p, repoType);
  let n = 0;
  for await (const item of paginate<Record<string, any>>({ endpoint, token: resolveToken(p.token) }, `${endpoint}/api/${repoType}s?${q}`)) {
    yield parseRepoInfo(item, repoType);
    if (p.limit !== undefined && ++n >= p.limit) return;
  }
}

/** Models on the Hub matching the filters, most relevant first (an async iterator, paged lazily). */
export function listModels(p: ListReposParams = {}): AsyncGenerator<ModelInfo> {
  return listRepos(p, 'model');
}

/** Datasets on the Hub matching the filters. */
export function listDatasets(p: ListReposParams = {}): AsyncGenerator<DatasetInfo> {
  return listRepos(p, 'dataset');
}
