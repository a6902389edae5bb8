// `pytorch_model.bin` checkpoints (and their sharded index) as engine tensors, like
// transformers' load_state_dict(weights_only=True). Parsing is in torch-zip.ts / pickle.ts.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { native as N } from './native';
import { Tensor } from './tensor';
import { DTYPES, dtypeCode, type DType } from './dtype';
import { readShardedIndex } from './safetensors';
import { fileSource } from '../util/byte-source';
import { TorchCheckpoint, TorchCheckpointError, WEIGHTS_INDEX_NAME, forEachByStorage, stateDictRefs, type RawTensor } from './torch-zip';

export { TorchCheckpointError, WEIGHTS_NAME, WEIGHTS_INDEX_NAME } from './torch-zip';

function toTensor(raw: RawTensor, name: string, label: string): Tensor {
  if (!(DTYPES as readonly string[]).includes(raw.dtype)) {
    throw new TorchCheckpointError(`${label}: tensor '${name}' has dtype ${raw.dtype}, which hubtune cannot load (it loads ${DTYPES.join(', ')})`);
  }
  try {
    return new Tensor(N.fromBuffer(raw.data, raw.shape, dtypeCode(raw.dtype as DType), null));
  } catch (e) {
    // An engine error (e.g. the allocator's refusal) names the file and tensor, and keeps its code.
    const err = e as Error & { code?: string };
    throw Object.assign(new TorchCheckpointError(`${label}: tensor '${name}' [${raw.shape.join(', ')}] ${raw.dtype}: ${err.message}`), err.code ? { code: err.code } : {});
  }
}

/** Loads every tensor of a torch.save zip checkpoint (a state dict); the legacy format is refused. */
export function loadTorchBin(path: string): Map<string, Tensor> {
  const ckpt = TorchCheckpoint.open(fileSource(path));
  const made = new Map<string, Tensor>();
  try {
    const refs = stateDictRefs(ckpt.root, ckpt.label);
    forEachByStorage(ckpt, refs, (name, raw) => made.set(name, toTensor(raw, name, ckpt.label)));
    // File order, not storage order.
    return new Map([...refs.keys()].map((k) => [k, made.get(k)!]));
  } catch (err) {
    for (const t of made.values()) t.dispose();
    throw err;
  } finally {
    ckpt.close();
  }
}

/** Loads a sharded checkpoint through `pytorch_model.bin.index.json`; checks each tensor is in its shard. */
export function loadShardedTorchBin(dir: string, indexName = WEIGHTS_INDEX_NAME): Map<string, Tensor> {
  const index = readShardedIndex(dir, indexName);
  const out = new Map<string, Tensor>();
  try {
    for (const file of index.files) {
      if (!existsSync(join(dir, file))) throw new TorchCheckpointError(`${indexName}: shard '${file}' is listed but missing from ${dir}`);
      const shard = loadTorchBin(join(dir, file));
      for (const [name, t] of shard) {
        if (index.weightMap.get(name) === file && !out.has(name)) out.set(name, t);
        else t.dispose();
      }
    }
    for (const [name, file] of index.weightMap) {
      if (!out.has(name)) throw new TorchCheckpointError(`${file}: tensor '${name}' is listed in ${indexName} but not in the shard`);
    }
    return out;
  } catch (err) {
    for (const t of out.values()) t.dispose();
    throw err;
  }
}
