// Where a model's files come from: a local folder, or a Hub repo through hfHubDownload (cached).
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { SAFE_WEIGHTS_NAME, SAFE_WEIGHTS_INDEX_NAME, readShardedIndex } from '../torch/safetensors';

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

async function tryResolve(idOrPath: string, filename: string, o: FileOptions): Promise<string | null> {
  try {
    return await resolveModelFile(idOrPath, filename, o);
  } catch (e) {
    if (e instanceof ModelFileNotFoundError && isDir(idOrPath)) return null;
    if ((e as Error).name === 'EntryNotFoundError') return null;
    throw e;
  }
}

/**
 * The safetensors weights of a model: `model.safetensors`, or the index and its shards. Returns the
 * folder holding them and, for sharded checkpoints, the index name.
 */
export async function resolveWeights(idOrPath: string, o: FileOptions = {}): Promise<{ dir: string; file: string; sharded: boolean }> {
  const single = await tryResolve(idOrPath, SAFE_WEIGHTS_NAME, o);
  if (single) return { dir: dirname(single), file: single, sharded: false };
  const index = await tryResolve(idOrPath, SAFE_WEIGHTS_INDEX_NAME, o);
  if (index) {
    const dir = dirname(index);
    if (!isDir(idOrPath)) {
      for (const shard of readShardedIndex(dir).files) await resolveModelFile(idOrPath, shard, o);
    }
    return { dir, file: index, sharded: true };
  }
  const where = isDir(idOrPath) ? `the folder ${idOrPath}` : `the Hub repo ${idOrPath}${o.revision ? ` (revision ${o.revision})` : ''}`;
  const legacy = ['pytorch_model.bin', 'pytorch_model.bin.index.json', 'tf_model.h5', 'flax_model.msgpack'];
  let found: string | null = null;
  if (isDir(idOrPath)) found = legacy.find((f) => existsSync(join(idOrPath, f))) ?? null;
  else {
    for (const f of legacy.slice(0, 2)) {
      // a HEAD-like probe: only the small index would be fetched; the .bin itself is never downloaded
      if (f.endsWith('.json') && (await tryResolve(idOrPath, f, o))) { found = f; break; }
    }
  }
  if (found) {
    throw new ModelFileNotFoundError(`${where} has only non-safetensors weights (${found}): hubtune loads safetensors weights (model.safetensors); convert it with transformers (model.save_pretrained(dir, safe_serialization=True)) or use a repo revision that has model.safetensors`);
  }
  throw new ModelFileNotFoundError(`no weights in ${where}: looked for ${SAFE_WEIGHTS_NAME} and ${SAFE_WEIGHTS_INDEX_NAME} (hubtune needs safetensors weights; pytorch_model.bin is not supported)`);
}
