// modelInfo / datasetInfo (HfApi.model_info, dataset_info): a repo's metadata, files (with sizes
// when filesMetadata is set) and card data; also the shape listings return.
import { checkRepoId } from './cache';
import { hubEndpoint, resolveToken } from './env';
import { HubHttpError, type RepoType } from './errors';
import { hubFetch } from './http';
import { apiRepoPath } from './paginate';

export interface RepoSibling {
  rfilename: string;
  /** Bytes (with filesMetadata). */
  size?: number;
  blobId?: string;
  lfs?: { sha256: string; size: number; pointerSize: number };
}

export interface RepoInfo {
  id: string;
  author?: string;
  sha?: string;
  createdAt?: Date;
  lastModified?: Date;
  private: boolean;
  gated: false | 'auto' | 'manual';
  disabled?: boolean;
  downloads?: number;
  downloadsAllTime?: number;
  likes?: number;
  trendingScore?: number;
  tags: string[];
  /** The README's YAML metadata (license, language, datasets, ...). */
  cardData?: Record<string, unknown>;
  siblings?: RepoSibling[];
}

export interface ModelInfo extends RepoInfo {
  pipelineTag?: string;
  libraryName?: string;
  /** Parameter counts per dtype and in total, when the Hub read the safetensors headers. */
  safetensors?: { parameters: Record<string, number>; total: number };
}

export interface DatasetInfo extends RepoInfo {
  description?: string;
}

const date = (v: unknown) => (typeof v === 'string' ? new Date(v) : undefined);
const num = (v: unknown) => (typeof v === 'number' ? v : undefined);
const str = (v: unknown) => (typeof v === 'string' ? v : undefined);

/** The camelCase info of a Hub API repo object (info or listing entry). */
export function parseRepoInfo(o: Record<string, any>, repoType: RepoType): ModelInfo & DatasetInfo {
  const card = o.cardData ?? o.card_data;
  return {
    id: String(o.id ?? o.modelId ?? ''),
    author: str(o.author),
    sha: str(o.sha),
    createdAt: date(o.createdAt),
    lastModified: date(o.lastModified),
    private: !!o.private,
    gated: o.gated === 'auto' || o.gated === 'manual' ? o.gated : false,
    disabled: typeof o.disabled === 'boolean' ? o.disabled : undefined,
    downloads: num(o.downloads),
    downloadsAllTime: num(o.downloadsAllTime),
    likes: num(o.likes),
    trendingScore: num(o.trendingScore),
    tags: Array.isArray(o.tags) ? o.tags.map(String) : [],
    cardData: card && typeof card === 'object' ? card : undefined,
    siblings: Array.isArray(o.siblings)
      ? o.siblings.map((s: Record<string, any>) => ({
          rfilename: String(s.rfilename),
          size: num(s.size),
          blobId: str(s.blobId),
          lfs: s.lfs ? { sha256: String(s.lfs.sha256 ?? s.lfs.oid), size: Number(s.lfs.size), pointerSize: Number(s.lfs.pointerSize ?? s.lfs.pointer_size) } : undefined,
        }))
      : undefined,
    ...(repoType === 'model'
      ? { pipelineTag: str(o.pipeline_tag), libraryName: str(o.library_name), safetensors: o.safetensors && typeof o.safetensors === 'object' ? o.safetensors : undefined }
      : { description: str(o.description) }),
  };
}

export interface RepoInfoParams {
  repoId: string;
  /** Branch, tag or commit (default: the default branch). */
  revision?: string;
  /** Sizes and LFS hashes of every file (`?blobs=true`). */
  filesMetadata?: boolean;
  token?: string | false;
  endpoint?: string;
}

async function repoInfo(p: RepoInfoParams, repoType: RepoType): Promise<ModelInfo & DatasetInfo> {
  const repoId = checkRepoId(p.repoId);
  const endpoint = (p.endpoint ?? hubEndpoint()).replace(/\/+$/, '');
  const f = hubFetch({ endpoint, token: resolveToken(p.token), repoId, repoType, revision: p.revision });
  const url = `${endpoint}/${apiRepoPath(repoType, repoId)}${p.revision ? `/revision/${encodeURIComponent(p.revision)}` : ''}${p.filesMetadata ? '?blobs=true' : ''}`;
  const body = await (await f(url)).json().catch(() => null);
  if (!body || typeof body !== 'object') throw new HubHttpError(`${endpoint} answered the info of ${repoId} with something that is not a JSON object: check HF_ENDPOINT`);
  return parseRepoInfo(body as Record<string, any>, repoType);
}

/** A model repo's metadata (HfApi.model_info). */
export async function modelInfo(p: RepoInfoParams): Promise<ModelInfo> {
  return repoInfo(p, 'model');
}

/** A dataset repo's metadata (HfApi.dataset_info). */
export async function datasetInfo(p: RepoInfoParams): Promise<DatasetInfo> {
  return repoInfo(p, 'dataset');
}
