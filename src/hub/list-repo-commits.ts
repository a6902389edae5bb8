// listRepoCommits: the commits of a revision, newest first (HfApi.list_repo_commits).
import { checkRepoId } from './cache';
import { hubEndpoint, resolveToken } from './env';
import type { RepoType } from './errors';
import { apiRepoPath, paginate } from './paginate';

export interface ListRepoCommitsParams {
  repoId: string;
  repoType?: RepoType;
  /** Branch, tag, commit or `refs/pr/N`. Default `main`. */
  revision?: string;
  token?: string | false;
  endpoint?: string;
  /** Stop after this many commits. */
  limit?: number;
}

export interface GitCommitInfo {
  commitId: string;
  authors: string[];
  createdAt: Date;
  title: string;
  message: string;
}

interface ApiCommit {
  id: string;
  title?: string;
  message?: string;
  date?: string;
  authors?: Array<{ user?: string }>;
}

/** Lists the commits reachable from `revision` (paged through the Link header). */
export async function listRepoCommits(params: ListRepoCommitsParams): Promise<GitCommitInfo[]> {
  const repoId = checkRepoId(params.repoId);
  const repoType = params.repoType ?? 'model';
  const revision = params.revision ?? 'main';
  const endpoint = (params.endpoint ?? hubEndpoint()).replace(/\/+$/, '');
  const ctx = { endpoint, token: resolveToken(params.token), repoId, repoType, revision };
  const out: GitCommitInfo[] = [];
  for await (const c of paginate<ApiCommit>(ctx, `${endpoint}/${apiRepoPath(repoType, repoId)}/commits/${encodeURIComponent(revision)}`)) {
    out.push({
      commitId: String(c.id),
      authors: (c.authors ?? []).map((a) => String(a.user ?? '')),
      createdAt: new Date(c.date ?? 0),
      title: String(c.title ?? ''),
      message: String(c.message ?? ''),
    });
    if (params.limit !== undefined && out.length >= params.limit) break;
  }
  return out;
}
