// getRepoDiscussions: discussions and pull requests of a repo (HfApi.get_repo_discussions).
import { checkRepoId } from './cache';
import { hubEndpoint, resolveToken } from './env';
import { HubHttpError, type RepoType } from './errors';
import { hubFetch } from './http';
import { apiRepoPath } from './paginate';

export interface GetRepoDiscussionsParams {
  repoId: string;
  repoType?: RepoType;
  author?: string;
  discussionType?: 'all' | 'discussion' | 'pull_request';
  discussionStatus?: 'all' | 'open' | 'closed';
  token?: string | false;
  endpoint?: string;
}

export interface Discussion {
  num: number;
  title: string;
  /** `deleted` when the Hub gives no author (as huggingface_hub). */
  author: string;
  status: string;
  isPullRequest: boolean;
  createdAt: Date;
  /** `refs/pr/<num>` for pull requests. */
  gitReference: string | null;
}

const MAX_PAGES = 1000;

/** Yields every discussion (pages `?p=0,1,...` until `start + page length >= count`). */
export async function* getRepoDiscussions(params: GetRepoDiscussionsParams): AsyncGenerator<Discussion> {
  const repoId = checkRepoId(params.repoId);
  const repoType = params.repoType ?? 'model';
  const endpoint = (params.endpoint ?? hubEndpoint()).replace(/\/+$/, '');
  const f = hubFetch({ endpoint, token: resolveToken(params.token), repoId, repoType });
  const query = new URLSearchParams();
  if (params.discussionType) query.set('type', params.discussionType);
  if (params.discussionStatus) query.set('status', params.discussionStatus);
  if (params.author) query.set('author', params.author);
  for (let page = 0; page < MAX_PAGES; page++) {
    query.set('p', String(page));
    const res = await f(`${endpoint}/${apiRepoPath(repoType, repoId)}/discussions?${query}`);
    const body = (await res.json().catch(() => null)) as { discussions?: unknown[]; count?: number; start?: number } | null;
    if (!body || !Array.isArray(body.discussions)) throw new HubHttpError(`${endpoint} answered the discussions of ${repoId} without a list: check HF_ENDPOINT`);
    for (const d of body.discussions as Array<Record<string, any>>) {
      const isPullRequest = !!d.isPullRequest;
      yield {
        num: Number(d.num),
        title: String(d.title ?? ''),
        author: typeof d.author?.name === 'string' ? d.author.name : 'deleted',
        status: String(d.status ?? ''),
        isPullRequest,
        createdAt: new Date(d.createdAt ?? 0),
        gitReference: isPullRequest ? `refs/pr/${Number(d.num)}` : null,
      };
    }
    const count = Number(body.count ?? 0);
    const start = Number(body.start ?? 0);
    if (body.discussions.length === 0 || !(start + body.discussions.length < count)) return;
  }
}
