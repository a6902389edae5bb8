// push_to_hub for models, tokenizers and image processors (transformers' PushToHubMixin): save
// into a temporary folder, create the repo when missing (existOk), upload the folder as one
// commit through src/hub (LFS for weights), remove the temporary folder. The object and any
// local folder it came from are never written to.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { createRepo, EntryNotFoundError, getFileMetadata, HubError, uploadFolder, type CommitInfo, type RepoType } from '../hub/index';
import { hubEndpoint, resolveToken } from '../hub/env';
import { resolveRepoId, validateRepoId } from './repo-id';

/** A push that could not be done; `cause` holds the Hub error, `status` its HTTP status. */
export class PushToHubError extends HubError {
  override name = 'PushToHubError';
}

export interface PushToHubOptions {
  /** Create the repo private (only when it does not exist yet). Default: public. */
  private?: boolean;
  /** Default: "Upload model" / "Upload tokenizer" / "Upload processor" (transformers' defaults). */
  commitMessage?: string;
  commitDescription?: string;
  /** Branch to commit to (must exist). Default `main`. */
  revision?: string;
  /** Token with write access. Default: `$HF_TOKEN` or the stored token (`hubtune login`). */
  token?: string;
  /** Open a pull request instead of committing to the branch. */
  createPr?: boolean;
  /** Models only: save weights as safetensors (the only format hubtune writes). Default true. */
  safeSerialization?: boolean;
  /** Models only: passed to savePretrained. */
  maxShardSize?: number | string;
  /** Hub URL. Default `$HF_ENDPOINT` or https://huggingface.co. */
  endpoint?: string;
}

export interface PushResult extends CommitInfo {
  /** `namespace/name` the files went to. */
  repoId: string;
  repoUrl: string;
}

/** Something with transformers' save_pretrained: writes its files into a folder. */
export interface Savable {
  savePretrained(dir: string, opts?: Record<string, unknown>): unknown;
}

export type PushKind = 'model' | 'tokenizer' | 'processor' | 'config' | 'feature extractor';

/**
 * transformers' default commit message by class name ("Upload model" for names with "Model",
 * "Upload tokenizer", "Upload processor", ..., else "Upload <ClassName>", e.g. "Upload
 * BertForSequenceClassification"); `kind` is used for plain objects.
 */
export function defaultCommitMessage(obj: object, kind?: PushKind): string {
  const name = obj.constructor?.name;
  if (!name || name === 'Object') return `Upload ${kind ?? 'object'}`;
  if (name.includes('Model')) return 'Upload model';
  if (name.includes('Config')) return 'Upload config';
  if (name.includes('Tokenizer')) return 'Upload tokenizer';
  if (name.includes('FeatureExtractor')) return 'Upload feature extractor';
  if (name.includes('Processor')) return 'Upload processor';
  return `Upload ${name}`;
}

/** The token to push with, or a clear error when there is none. */
export function requireWriteToken(token: string | undefined, what: string): string {
  const t = resolveToken(token);
  if (!t) {
    throw new PushToHubError(`pushing ${what} to the Hub needs a token with write access: run \`hubtune login\`, set HF_TOKEN, or pass token`);
  }
  return t;
}

function wrap(err: unknown, what: string, repoId: string): never {
  if (err instanceof PushToHubError) throw err;
  const e = err as HubError;
  const msg = e?.message ?? String(err);
  throw new PushToHubError(`could not push ${what} to ${repoId}: ${msg}`, { status: e?.status, cause: err });
}

/**
 * Creates the repo if needed and returns its full id: a bare name goes under the token's user
 * (whoami). Invalid ids fail before any request.
 */
export async function ensureRepo(repoId: string, o: { token?: string; endpoint?: string; private?: boolean; repoType?: RepoType; what?: string }): Promise<{ repoId: string; repoUrl: string }> {
  validateRepoId(repoId);
  const what = o.what ?? 'files';
  const token = requireWriteToken(o.token, what);
  let full = repoId;
  try {
    full = await resolveRepoId(repoId, { token, endpoint: o.endpoint });
    return await createRepo({ repoId: full, repoType: o.repoType, private: o.private, existOk: true, token, endpoint: o.endpoint });
  } catch (err) {
    return wrap(err, what, full);
  }
}

/** True when the repo has the file at the revision (false on EntryNotFound). */
export async function repoHasFile(repoId: string, filename: string, o: { token?: string; endpoint?: string; revision?: string; repoType?: RepoType }): Promise<boolean> {
  try {
    await getFileMetadata({ endpoint: (o.endpoint ?? hubEndpoint()).replace(/\/+$/, ''), token: resolveToken(o.token), repoId, repoType: o.repoType ?? 'model', revision: o.revision ?? 'main', filename });
    return true;
  } catch (err) {
    if (err instanceof EntryNotFoundError) return false;
    throw err;
  }
}

/** The card huggingface_hub starts a model repo with when it has none (library_name + tags). */
export function defaultModelCard(repoId: string, tags: string[] = []): string {
  const meta: Record<string, unknown> = { library_name: 'transformers' };
  if (tags.length) meta.tags = tags;
  return `---\n${stringify(meta)}---\n\n# Model Card for ${repoId.split('/').pop()}\n\n<!-- Provide a quick summary of what the model is/does. -->\n\nThis is the model card of a model pushed to the Hub with hubtune. It was generated automatically: describe the model, its intended uses and limitations, and its training data here.\n`;
}

export interface PushFolderOptions extends PushToHubOptions {
  repoType?: RepoType;
  /** Folder in the repo to upload into (default the root). */
  pathInRepo?: string;
  ignorePatterns?: string | string[];
  allowPatterns?: string | string[];
  /** For messages: what is being pushed. */
  what?: string;
}

/** Uploads a local folder as one commit, creating the repo when missing. The folder is only read. */
export async function pushFolderToHub(folder: string, repoId: string, opts: PushFolderOptions = {}): Promise<PushResult> {
  const what = opts.what ?? `folder ${folder}`;
  const repo = await ensureRepo(repoId, { token: opts.token, endpoint: opts.endpoint, private: opts.private, repoType: opts.repoType, what });
  try {
    const c = await uploadFolder({
      repoId: repo.repoId,
      repoType: opts.repoType,
      folderPath: folder,
      pathInRepo: opts.pathInRepo,
      allowPatterns: opts.allowPatterns,
      ignorePatterns: opts.ignorePatterns,
      commitMessage: opts.commitMessage,
      commitDescription: opts.commitDescription,
      revision: opts.revision,
      createPr: opts.createPr,
      token: opts.token,
      endpoint: opts.endpoint,
    });
    return { ...c, repoId: repo.repoId, repoUrl: repo.repoUrl };
  } catch (err) {
    return wrap(err, what, repo.repoId);
  }
}

/**
 * transformers' push_to_hub for any object with savePretrained: saves it into a temporary folder
 * (plus a default README.md when the repo has none), uploads that folder as one commit.
 */
export async function pushSavableToHub(obj: Savable, repoId: string, opts: PushToHubOptions & { kind?: PushKind } = {}): Promise<PushResult> {
  if (!obj || typeof obj.savePretrained !== 'function') {
    throw new PushToHubError(`pushToHub needs an object with savePretrained(dir), got ${obj === null ? 'null' : typeof obj}`);
  }
  const kind = opts.kind ?? (defaultCommitMessage(obj).replace(/^Upload /, '') as PushKind);
  if (opts.safeSerialization === false) {
    throw new PushToHubError(`hubtune saves weights as safetensors only: drop safeSerialization: false to push to ${repoId}`);
  }
  const repo = await ensureRepo(repoId, { token: opts.token, endpoint: opts.endpoint, private: opts.private, what: `the ${kind}` });
  const dir = mkdtempSync(join(tmpdir(), 'hubtune-push-'));
  try {
    const saveOpts: Record<string, unknown> = {};
    if (opts.safeSerialization !== undefined) saveOpts.safeSerialization = opts.safeSerialization;
    if (opts.maxShardSize !== undefined) saveOpts.maxShardSize = opts.maxShardSize;
    await obj.savePretrained(dir, saveOpts);
    let hasCard = true;
    try {
      hasCard = await repoHasFile(repo.repoId, 'README.md', { token: opts.token, endpoint: opts.endpoint, revision: opts.revision });
    } catch {
      hasCard = true; // unknown: leave the repo's card alone
    }
    if (!hasCard) writeFileSync(join(dir, 'README.md'), defaultModelCard(repo.repoId));
    return await pushFolderToHub(dir, repo.repoId, { ...opts, commitMessage: opts.commitMessage ?? defaultCommitMessage(obj, kind), what: `the ${kind}` });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `model.pushToHub(repoId, opts)`: config.json + model.safetensors (LFS) in one commit (PreTrainedModel.savePretrained). */
export function pushModelToHub(model: Savable, repoId: string, opts: PushToHubOptions = {}): Promise<PushResult> {
  return pushSavableToHub(model, repoId, { ...opts, kind: 'model' });
}

/** `tokenizer.pushToHub(repoId, opts)`: tokenizer.json, tokenizer_config.json, ... in one commit. */
export function pushTokenizerToHub(tokenizer: Savable, repoId: string, opts: Omit<PushToHubOptions, 'safeSerialization' | 'maxShardSize'> = {}): Promise<PushResult> {
  return pushSavableToHub(tokenizer, repoId, { ...opts, kind: 'tokenizer' });
}

/** `imageProcessor.pushToHub(repoId, opts)`: preprocessor_config.json. */
export function pushImageProcessorToHub(processor: Savable, repoId: string, opts: Omit<PushToHubOptions, 'safeSerialization' | 'maxShardSize'> = {}): Promise<PushResult> {
  return pushSavableToHub(processor, repoId, { ...opts, kind: 'processor' });
}
