// One commit with additions and deletions (datasets' push_to_hub replaces a split's old shards),
// and the repo's file listing. Additions-only commits go through src/hub's uploadFiles.
import { openAsBlob } from 'node:fs';
import { commit, listFiles } from '@huggingface/hub';
import { HubError, uploadFiles, type CommitInfo, type RepoType, type UploadFileSource } from '../hub/index';
import { hubEndpoint, resolveToken } from '../hub/env';
import { hubFetch } from '../hub/http';

export interface CommitChangesParams {
  repoId: string;
  repoType?: RepoType;
  add: UploadFileSource[];
  /** Paths to delete in the same commit. */
  delete?: string[];
  commitMessage: string;
  commitDescription?: string;
  revision?: string;
  createPr?: boolean;
  token?: string;
  endpoint?: string;
}

export async function commitChanges(p: CommitChangesParams): Promise<CommitInfo> {
  const deletes = p.delete ?? [];
  if (deletes.length === 0) {
    return uploadFiles({ repoId: p.repoId, repoType: p.repoType, files: p.add, commitMessage: p.commitMessage, commitDescription: p.commitDescription, revision: p.revision, createPr: p.createPr, token: p.token, endpoint: p.endpoint });
  }
  const endpoint = (p.endpoint ?? hubEndpoint()).replace(/\/+$/, '');
  const token = resolveToken(p.token);
  const repoType = p.repoType ?? 'model';
  const operations = [
    ...(await Promise.all(p.add.map(async (f) => ({
      operation: 'addOrUpdate' as const,
      path: f.path,
      content: 'localPath' in f ? await openAsBlob(f.localPath) : f.content instanceof Blob ? f.content : new Blob([typeof f.content === 'string' ? f.content : new Uint8Array(f.content)]),
    })))),
    ...deletes.map((path) => ({ operation: 'delete' as const, path })),
  ];
  const out = await commit({
    repo: { type: repoType, name: p.repoId },
    operations,
    title: p.commitMessage,
    description: p.commitDescription,
    branch: p.revision,
    isPullRequest: p.createPr,
    hubUrl: endpoint,
    fetch: hubFetch({ endpoint, token, repoId: p.repoId, repoType, revision: p.revision }),
    useXet: false,
    useWebWorkers: false,
  });
  if (!out) throw new HubError(`the Hub returned no commit for ${p.repoId}: check the repo on ${endpoint}`);
  return { commitOid: out.commit.oid, commitUrl: out.commit.url, pullRequestUrl: out.pullRequestUrl };
}

/** Every file of the repo at the revision: path and size. */
export async function listRepoFiles(p: { repoId: string; repoType?: RepoType; revision?: string; token?: string; endpoint?: string }): Promise<Array<{ path: string; size: number }>> {
  const endpoint = (p.endpoint ?? hubEndpoint()).replace(/\/+$/, '');
  const repoType = p.repoType ?? 'model';
  const out: Array<{ path: string; size: number }> = [];
  for await (const e of listFiles({
    repo: { type: repoType, name: p.repoId },
    recursive: true,
    revision: p.revision,
    hubUrl: endpoint,
    fetch: hubFetch({ endpoint, token: resolveToken(p.token), repoId: p.repoId, repoType, revision: p.revision }),
  })) {
    if (e.type === 'file') out.push({ path: e.path, size: e.size });
  }
  return out;
}
