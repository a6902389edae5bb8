// The Hub's safetensors conversion pull request for a `.bin`-only model, found the way
// transformers' safetensors_conversion.previous_pr does: an open PR titled
// "Adding `safetensors` variant of this model" whose parent is main's head, opened by the
// conversion bot (any author is accepted on a private repo, where the bot cannot open PRs).
// hubtune only looks for one; it never asks the conversion Space to create it.
import { checkRepoId } from './cache';
import { hubEndpoint, resolveToken } from './env';
import { getRepoDiscussions } from './get-repo-discussions';
import { hubFetch } from './http';
import { listRepoCommits } from './list-repo-commits';
import { apiRepoPath } from './paginate';

export const CONVERSION_PR_TITLE = 'Adding `safetensors` variant of this model';
export const CONVERSION_BOT = 'SFconvertbot';

export interface ConversionPr {
  /** `refs/pr/<num>`. */
  revision: string;
  num: number;
  author: string;
}

export interface FindConversionPrParams {
  repoId: string;
  token?: string | false;
  endpoint?: string;
}

/** The open conversion PR on top of main, or null (none, not by the bot, stale, or any Hub error). */
export async function findConversionPr(params: FindConversionPrParams): Promise<ConversionPr | null> {
  try {
    const repoId = checkRepoId(params.repoId);
    const endpoint = (params.endpoint ?? hubEndpoint()).replace(/\/+$/, '');
    const token = resolveToken(params.token);
    const common = { repoId, token: params.token, endpoint };
    const info = (await (await hubFetch({ endpoint, token, repoId, repoType: 'model' })(`${endpoint}/${apiRepoPath('model', repoId)}`)).json()) as { private?: boolean };
    const mainHead = (await listRepoCommits({ ...common, limit: 1 }))[0]?.commitId;
    if (!mainHead) return null;
    for await (const d of getRepoDiscussions(common)) {
      if (d.title !== CONVERSION_PR_TITLE || d.status !== 'open' || !d.isPullRequest || !d.gitReference) continue;
      const commits = await listRepoCommits({ ...common, revision: d.gitReference, limit: 2 });
      if (commits[1]?.commitId !== mainHead) continue;
      // transformers takes the first such PR and trusts it only from the bot on a public repo.
      if (!info.private && d.author !== CONVERSION_BOT) return null;
      return { revision: d.gitReference, num: d.num, author: d.author };
    }
    return null;
  } catch {
    return null;
  }
}
