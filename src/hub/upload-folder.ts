// uploadFolder: a local folder as one commit (like huggingface_hub's upload_folder).
import { readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { HubError, type RepoType } from './errors';
import { filterRepoPaths } from './fnmatch';
import { uploadFiles, type CommitInfo } from './upload-files';

export interface UploadFolderParams {
  /** `org/name`. */
  repoId: string;
  /** Local folder to upload. */
  folderPath: string;
  /** Folder in the repo to upload into. Default: the repo root. */
  pathInRepo?: string;
  /** Default `model`. */
  repoType?: RepoType;
  /** Only files matching one of these fnmatch patterns (relative to folderPath). */
  allowPatterns?: string | string[];
  /** Skip files matching these patterns (`.git/` and `.cache/huggingface/` are always skipped). */
  ignorePatterns?: string | string[];
  /** Default `Upload folder using hubtune`. */
  commitMessage?: string;
  commitDescription?: string;
  /** Branch. Default `main`. */
  revision?: string;
  createPr?: boolean;
  token?: string;
  endpoint?: string;
}

const DEFAULT_IGNORE = ['.git', '.git/*', '*/.git', '*/.git/*', '.cache/huggingface', '.cache/huggingface/*', '*/.cache/huggingface/*'];

function walk(dir: string, root: string, out: string[]): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) walk(p, root, out);
    else if (st.isFile()) out.push(relative(root, p).split(sep).join('/'));
  }
  return out;
}

/** Uploads the folder's files (filtered) as one commit and returns it. */
export async function uploadFolder(params: UploadFolderParams): Promise<CommitInfo> {
  let all: string[];
  try {
    all = walk(params.folderPath, params.folderPath, []);
  } catch (err) {
    throw new HubError(`cannot read folder ${params.folderPath} (${(err as { code?: string }).code}): check the path`);
  }
  const ignore = [...DEFAULT_IGNORE, ...(params.ignorePatterns === undefined ? [] : typeof params.ignorePatterns === 'string' ? [params.ignorePatterns] : params.ignorePatterns)];
  const rels = filterRepoPaths(all, params.allowPatterns, ignore).sort();
  if (rels.length === 0) throw new HubError(`no file to upload in ${params.folderPath} (after patterns): check the folder and patterns`);
  const prefix = params.pathInRepo ? params.pathInRepo.replace(/^\/+|\/+$/g, '') : '';
  return uploadFiles({
    repoId: params.repoId,
    repoType: params.repoType,
    files: rels.map((r) => ({ path: prefix ? `${prefix}/${r}` : r, localPath: join(params.folderPath, r) })),
    commitMessage: params.commitMessage ?? 'Upload folder using hubtune',
    commitDescription: params.commitDescription,
    revision: params.revision,
    createPr: params.createPr,
    token: params.token,
    endpoint: params.endpoint,
  });
}
