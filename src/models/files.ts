// Where a model's files come from: a local folder, or a Hub repo through hfHubDownload (cached).
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { SAFE_WEIGHTS_NAME, SAFE_WEIGHTS_INDEX_NAME, readShardedIndex } from '../torch/safetensors';
import { WEIGHTS_NAME, WEIGHTS_INDEX_NAME } from '../torch/torch-zip';

export interface FileOptions { revision?: string; cacheDir?: string; token?: string | false; localFilesOnly?: boolean; /** Hub URL (default $HF_ENDPOINT or huggingface.co). */ endpoint?: string }

const isDir = (p: string) => { try { return statSync(p).isDirectory(); } catch { return false; } };
const looksLikePath = (s: string) => /^(\.{1,2}[\\/]|[\\/]|~|[A-Za-z]:[\\/])/.test(s) || s.split('/').length > 2;

export class ModelFileNotFoundError extends Error {
  override name = 'ModelFileNotFoundError';
}

/** Imports the Hub client lazily (models work offline from folders without it). */
async function hub(): Promise<typeof import('../hub/index')> {
  return import('../hub/index');
}

/** Resolves one file of a model: `<folder>/<filename>` or a download of `<repo>/<filename>`. */
export async function resolveModelFile(idOrPath: string, filename: string, o: FileOptions = {}): Promise<string> {
  if (isDir(idOrPath)) {
    const p = join(idOrPath, filename);
    if (!existsSync(p)) throw new ModelFileNotFoundError(`${filename} not found in the model folder ${idOrPath}`);
    return p;
  }
  if (looksLikePath(idOrPath) || existsSync(idOrPath)) {
    throw new ModelFileNotFoundError(`model folder '${idOrPath}' does not exist (nor is it a Hub repo id like 'google/vit-base-patch16-224')`);
  }
  const h = await hub();
  return h.hfHubDownload({ repoId: idOrPath, filename, revision: o.revision, cacheDir: o.cacheDir, token: o.token, localFilesOnly: o.localFilesOnly, endpoint: o.endpoint });
}

async function tryResolve(idOrPath: string, filename: string, o: FileOptions, offline?: { error?: unknown }): Promise<string | null> {
  try {
    return await resolveModelFile(idOrPath, filename, o);
  } catch (e) {
    if (e instanceof ModelFileNotFoundError && isDir(idOrPath)) return null;
    if ((e as Error).name === 'EntryNotFoundError') return null;
    // Offline, a file missing from the cache is "not there" (transformers' cached_file gives None); say so at the end.
    if (offline && (e as Error).name === 'OfflineModeError') {
      offline.error ??= e;
      return null;
    }
    throw e;
  }
}

export interface ResolvedWeights {
  /** Folder holding the weights (or the shards). */
  dir: string;
  /** The weights file, or the index of a sharded checkpoint. */
  file: string;
  sharded: boolean;
  format: 'safetensors' | 'pytorch';
  /** Set when the weights come from another revision: the Hub's safetensors conversion PR (`refs/pr/N`). */
  revision?: string;
}

async function resolveSharded(idOrPath: string, index: string, o: FileOptions, format: ResolvedWeights['format'], indexName: string): Promise<ResolvedWeights> {
  const dir = dirname(index);
  if (!isDir(idOrPath)) {
    for (const shard of readShardedIndex(dir, indexName).files) await resolveModelFile(idOrPath, shard, o);
  }
  return { dir, file: index, sharded: true, format, revision: o.revision };
}

/**
 * The weights of a model, in transformers' order: `model.safetensors`, its sharded index, then (a Hub
 * repo on `main`, online) the safetensors of the Hub's open conversion pull request, then
 * `pytorch_model.bin` and its sharded index (read by a restricted unpickler, never executed).
 */
export async function resolveWeights(idOrPath: string, o: FileOptions = {}): Promise<ResolvedWeights> {
  const offline: { error?: unknown } = {};
  const single = await tryResolve(idOrPath, SAFE_WEIGHTS_NAME, o, offline);
  if (single) return { dir: dirname(single), file: single, sharded: false, format: 'safetensors' };
  const index = await tryResolve(idOrPath, SAFE_WEIGHTS_INDEX_NAME, o, offline);
  if (index) return resolveSharded(idOrPath, index, o, 'safetensors', SAFE_WEIGHTS_INDEX_NAME);
  const local = isDir(idOrPath);
  if (!local && !o.localFilesOnly && (o.revision ?? 'main') === 'main') {
    const h = await hub();
    if (!h.isOffline()) {
      const pr = await h.findConversionPr({ repoId: idOrPath, token: o.token, endpoint: o.endpoint });
      if (pr) {
        const at = { ...o, revision: pr.revision };
        const prIndex = await tryResolve(idOrPath, SAFE_WEIGHTS_INDEX_NAME, at);
        const found = prIndex ? await resolveSharded(idOrPath, prIndex, at, 'safetensors', SAFE_WEIGHTS_INDEX_NAME) : await tryResolve(idOrPath, SAFE_WEIGHTS_NAME, at);
        if (found) {
          console.warn(`hubtune: ${idOrPath} has no safetensors weights on main; loading model.safetensors from its conversion pull request ${pr.revision} (opened by ${pr.author}) instead of pytorch_model.bin`);
          return typeof found === 'string' ? { dir: dirname(found), file: found, sharded: false, format: 'safetensors', revision: pr.revision } : found;
        }
      }
    }
  }
  const bin = await tryResolve(idOrPath, WEIGHTS_NAME, o, offline);
  if (bin) return { dir: dirname(bin), file: bin, sharded: false, format: 'pytorch' };
  const binIndex = await tryResolve(idOrPath, WEIGHTS_INDEX_NAME, o, offline);
  if (binIndex) return resolveSharded(idOrPath, binIndex, o, 'pytorch', WEIGHTS_INDEX_NAME);
  if (offline.error) throw offline.error;
  const where = local ? `the folder ${idOrPath}` : `the Hub repo ${idOrPath}${o.revision ? ` (revision ${o.revision})` : ''}`;
  const other = local ? ['tf_model.h5', 'flax_model.msgpack', 'model.ckpt.index'].find((f) => existsSync(join(idOrPath, f))) : undefined;
  if (other) {
    throw new ModelFileNotFoundError(`${where} has only ${other} (TensorFlow/Flax weights), which hubtune does not load: save it with PyTorch transformers (model.save_pretrained(dir)) to get model.safetensors`);
  }
  throw new ModelFileNotFoundError(`no weights in ${where}: looked for ${SAFE_WEIGHTS_NAME}, ${SAFE_WEIGHTS_INDEX_NAME}, ${WEIGHTS_NAME} and ${WEIGHTS_INDEX_NAME}`);
}
