// createRepo: a new model or dataset repo on the Hub.
import { createRepo as hubCreateRepo } from '@huggingface/hub';
import { checkRepoId } from './cache';
import { hubEndpoint, resolveToken } from './env';
import { HubError, HubHttpError, type RepoType } from './errors';
import { hubFetch } from './http';

export interface CreateRepoParams {
  /** `org/name`. */
  repoId: string;
  /** Default `model`. */
  repoType?: RepoType;
  /** Default false (public). */
  private?: boolean;
  /** Succeed when the repo already exists. Default false. */
  existOk?: boolean;
  /** Token with write access. Default: `$HF_TOKEN` or the token file. */
  token?: string;
  /** Hub URL. Default `$HF_ENDPOINT` or https://huggingface.co. */
  endpoint?: string;
}

/** Creates a repo and returns its URL. */
export async function createRepo(params: CreateRepoParams): Promise<{ repoUrl: string; repoId: string }> {
  const repoId = checkRepoId(params.repoId);
  if (!repoId.includes('/')) throw new HubError(`repo id "${repoId}" has no namespace: use "your-name/${repoId}"`);
  const repoType = params.repoType ?? 'model';
  const endpoint = (params.endpoint ?? hubEndpoint()).replace(/\/+$/, '');
  const token = resolveToken(params.token);
  if (!token) throw new HubError('creating a repo needs a token: run `hubtune login` or set HF_TOKEN');
  const url = `${endpoint}/${repoType === 'dataset' ? 'datasets/' : ''}${repoId}`;
  try {
    const out = await hubCreateRepo({
      repo: { type: repoType, name: repoId },
      visibility: params.private ? 'private' : undefined,
      hubUrl: endpoint,
      fetch: hubFetch({ endpoint, token, repoId, repoType }),
      credentials: undefined as never,
    });
    return { repoUrl: out.repoUrl ?? url, repoId };
  } catch (err) {
    if (params.existOk && err instanceof HubHttpError && err.status === 409) return { repoUrl: url, repoId };
    if (err instanceof HubHttpError && err.status === 409) {
      throw new HubError(`repo ${repoId} already exists: pass existOk (--exist-ok) to reuse it`, { status: 409 });
    }
    throw err;
  }
}
