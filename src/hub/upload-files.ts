// uploadFiles: one commit adding or replacing files (large/binary files go through LFS,
// as the Hub's preupload answer decides). Server errors are retried with backoff.
import { openAsBlob } from 'node:fs';
import { uploadFiles as hubUploadFiles } from '@huggingface/hub';
import { checkRepoId, checkRepoPath } from './cache';
import { hubEndpoint, resolveToken } from './env';
import { HubError, type RepoType } from './errors';
import { hubFetch } from './http';

export type UploadFileSource =
  | { path: string; content: Uint8Array | string | Blob }
  | { path: string; localPath: string };

export interface UploadFilesParams {
  /** `org/name`. */
  repoId: string;
  /** Default `model`. */
  repoType?: RepoType;
  /** Files to add or replace: `path` in the repo, with `content` or a `localPath`. */
  files: UploadFileSource[];
  /** Default `Upload N files`. */
  commitMessage?: string;
  commitDescription?: string;
  /** Branch to commit to. Default `main`. */
  revision?: string;
  /** Open a pull request instead of committing to the branch. Default false. */
  createPr?: boolean;
  /** Token with write access. Default: `$HF_TOKEN` or the token file. */
  token?: string;
  /** Hub URL. Default `$HF_ENDPOINT` or https://huggingface.co. */
  endpoint?: string;
}

export interface CommitInfo {
  commitOid: string;
  commitUrl: string;
  pullRequestUrl?: string;
}

async function toBlob(f: UploadFileSource): Promise<Blob> {
  if ('localPath' in f) {
    try {
      return await openAsBlob(f.localPath);
    } catch (err) {
      throw new HubError(`cannot read ${f.localPath} (${(err as { code?: string }).code}): check the path`);
    }
  }
  const c = f.content;
  if (c instanceof Blob) return c;
  return new Blob([typeof c === 'string' ? c : new Uint8Array(c)]);
}

/** Commits the files to the repo and returns the new commit. */
export async function uploadFiles(params: UploadFilesParams): Promise<CommitInfo> {
  const repoId = checkRepoId(params.repoId);
  const repoType = params.repoType ?? 'model';
  const endpoint = (params.endpoint ?? hubEndpoint()).replace(/\/+$/, '');
  const token = resolveToken(params.token);
  if (!token) throw new HubError('uploading needs a token: run `hubtune login` or set HF_TOKEN');
  if (params.files.length === 0) throw new HubError(`nothing to upload to ${repoId}: give at least one file`);
  const files = await Promise.all(
    params.files.map(async (f) => ({ path: checkRepoPath(f.path, repoId), content: await toBlob(f) })),
  );
  const out = await hubUploadFiles({
    repo: { type: repoType, name: repoId },
    files,
    commitTitle: params.commitMessage ?? `Upload ${files.length} file${files.length === 1 ? '' : 's'}`,
    commitDescription: params.commitDescription,
    branch: params.revision,
    isPullRequest: params.createPr,
    hubUrl: endpoint,
    fetch: hubFetch({ endpoint, token, repoId, repoType, revision: params.revision }),
    useXet: false,
    useWebWorkers: false,
  });
  if (!out) throw new HubError(`the Hub returned no commit for ${repoId}: check the repo on ${endpoint}`);
  return { commitOid: out.commit.oid, commitUrl: out.commit.url, pullRequestUrl: out.pullRequestUrl };
}
