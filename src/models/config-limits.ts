// Plausibility of a config before any model is built: integer sizes and counts in range, and an
// estimate of the parameter bytes checked against the memory a model may take (the tensor limit,
// else RAM), so `num_hidden_layers: 1000000000` is a one-line ConfigError instead of an
// allocation that kills the process or a loop that never ends.
import { totalmem } from 'node:os';
import { ConfigError } from './config-error';
import { memoryStats } from '../torch/runtime';

/** config.json fields that are sizes or counts: integers, >= 0, at most this large. */
const COUNT_LIMITS: Record<string, number> = {
  num_hidden_layers: 100_000, n_layer: 100_000, n_layers: 100_000, num_layers: 100_000, num_decoder_layers: 100_000,
  encoder_layers: 100_000, decoder_layers: 100_000, num_hidden_groups: 100_000, inner_group_num: 100_000, num_stages: 1_000,
  num_attention_heads: 1 << 20, n_head: 1 << 20, n_heads: 1 << 20, num_heads: 1 << 20, num_key_value_heads: 1 << 20,
  encoder_attention_heads: 1 << 20, decoder_attention_heads: 1 << 20,
  num_labels: 1 << 20, num_channels: 1 << 16,
};
const SIZE_FIELDS = [
  'vocab_size', 'hidden_size', 'n_embd', 'd_model', 'dim', 'embed_dim', 'embedding_size', 'intermediate_size', 'n_inner', 'd_ff', 'd_kv',
  'hidden_dim', 'encoder_ffn_dim', 'decoder_ffn_dim', 'max_position_embeddings', 'n_positions', 'n_ctx', 'type_vocab_size', 'projection_dim',
  'image_size', 'patch_size', 'window_size', 'sliding_window', 'position_buckets', 'max_relative_positions', 'relative_attention_num_buckets',
  'relative_attention_max_distance', 'pooler_hidden_size', 'encoder_stride',
];
/** A dimension beyond int32 is never a real model. */
const MAX_SIZE = 2 ** 31 - 1;
const MAX_LIST = 1_000;

/**
 * Checks the integer size and count fields of a config's JSON form (nested sub-configs included):
 * each an integer within its range; lists (`depths`, `hidden_sizes`) short and made of such integers.
 */
export function checkConfigRanges(d: Record<string, unknown>, prefix = ''): void {
  for (const [k, v] of Object.entries(d)) {
    const field = `${prefix}${k}`;
    if (typeof v === 'number' && !Number.isFinite(v)) throw new ConfigError(`config field '${field}' must be a finite number, got ${v}`);
    const limit = COUNT_LIMITS[k] ?? (SIZE_FIELDS.includes(k) ? MAX_SIZE : undefined);
    if (limit !== undefined && v !== null && v !== undefined) {
      if (typeof v === 'number') { if (v !== -1 || !SIZE_FIELDS.includes(k)) checkInt(field, v, limit); } // -1: 'use the default' sentinels
      else if (!Array.isArray(v)) throw new ConfigError(`config field '${field}' must be an integer, got ${JSON.stringify(v)?.slice(0, 60)}`);
    }
    if (Array.isArray(v) && (k === 'depths' || k === 'hidden_sizes' || k === 'num_heads' || k === 'layer_types' || k === 'out_indices')) {
      if (v.length > MAX_LIST) throw new ConfigError(`config field '${field}' has ${v.length} entries; at most ${MAX_LIST} are plausible`);
      if (k !== 'layer_types') v.forEach((x, i) => checkInt(`${field}[${i}]`, x, k === 'num_heads' ? 1 << 20 : MAX_SIZE));
    }
    if (v && typeof v === 'object' && !Array.isArray(v) && /_config$/.test(k) && !prefix) checkConfigRanges(v as Record<string, unknown>, `${k}.`);
  }
}

function checkInt(field: string, v: unknown, limit: number): void {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > limit) {
    throw new ConfigError(`config field '${field}' must be an integer in [0, ${limit}], got ${JSON.stringify(v)?.slice(0, 60)}`);
  }
}

const num = (d: Record<string, unknown>, ...keys: string[]): number => {
  for (const k of keys) { const v = d[k]; if (typeof v === 'number' && Number.isFinite(v) && v > 0) return v; }
  return 0;
};

/**
 * An estimate of a config's parameter count (within a small factor of the real one): embeddings,
 * layers of attention + MLP at the model width, staged widths for convolutional families, and the
 * sub-configs of composite models. Used only to refuse what cannot fit before building anything.
 */
export function estimateParameters(d: Record<string, unknown>): number {
  let total = 0;
  for (const [k, v] of Object.entries(d)) {
    if (v && typeof v === 'object' && !Array.isArray(v) && /_config$/.test(k)) total += estimateParameters(v as Record<string, unknown>);
  }
  const width = num(d, 'hidden_size', 'n_embd', 'd_model', 'dim', 'embed_dim');
  const embed = num(d, 'embedding_size') || width;
  const vocab = num(d, 'vocab_size');
  const positions = num(d, 'max_position_embeddings', 'n_positions') + num(d, 'type_vocab_size')
    + (num(d, 'image_size') && num(d, 'patch_size') ? (num(d, 'image_size') / num(d, 'patch_size')) ** 2 + 1 : 0);
  const layers = num(d, 'num_hidden_layers', 'n_layer', 'n_layers', 'num_layers') + num(d, 'num_decoder_layers')
    + num(d, 'encoder_layers') + num(d, 'decoder_layers');
  const inner = num(d, 'intermediate_size', 'n_inner', 'd_ff', 'hidden_dim', 'encoder_ffn_dim') || 4 * width;
  const attn = Math.max(width, num(d, 'd_kv') * num(d, 'num_heads', 'num_attention_heads'));
  total += (vocab + positions) * embed + layers * (4 * width * attn + 3 * width * inner + 4 * width);
  total += num(d, 'num_labels') * Math.max(width, 1);
  // staged convolutional / hierarchical families (ResNet, ConvNeXt, Swin)
  const depths = Array.isArray(d.depths) ? d.depths as number[] : [];
  const sizes = Array.isArray(d.hidden_sizes) ? d.hidden_sizes as number[] : [];
  depths.forEach((depth, i) => {
    const c = typeof sizes[i] === 'number' ? sizes[i] : (num(d, 'embed_dim') || 1) * 2 ** i;
    if (typeof depth === 'number') total += depth * 16 * c * c;
  });
  return total;
}

let modelLimit: number | null = null;

/** Sets the most bytes a model's parameters may take (0: no limit, null: the default); returns the previous value. */
export function setModelMemoryLimit(bytes: number | null): number | null {
  if (bytes !== null && !(Number.isFinite(bytes) && bytes >= 0)) throw new RangeError(`setModelMemoryLimit: expected a byte count >= 0 or null, got ${bytes}`);
  const prev = modelLimit;
  modelLimit = bytes;
  return prev;
}

/** The limit in force: the option, setModelMemoryLimit, HUBTUNE_MAX_MODEL_BYTES, the tensor memory limit, else RAM. */
export function modelMemoryLimit(option?: number): number {
  if (option !== undefined) return option;
  if (modelLimit !== null) return modelLimit;
  const env = process.env.HUBTUNE_MAX_MODEL_BYTES;
  if (env !== undefined && env !== '') {
    const v = Number(env);
    if (!Number.isFinite(v) || v < 0) throw new ConfigError(`HUBTUNE_MAX_MODEL_BYTES must be a byte count (0: no limit), got '${env}'`);
    return v;
  }
  const tensors = memoryStats().limitBytes;
  return tensors > 0 ? tensors : totalmem();
}

const gb = (b: number) => `${(b / 2 ** 30).toFixed(b < 2 ** 30 ? 3 : 1)} GiB`;

/**
 * Checks a config before its model is built: ranges, then the estimated parameter bytes (float32,
 * or the dtype asked) against the limit. Throws a ConfigError saying how to raise the limit.
 */
export function checkModelFits(config: { modelType: string; toDict(o: { full?: boolean }): Record<string, unknown> }, o: { maxModelBytes?: number; bytesPerParameter?: number } = {}): void {
  const d = config.toDict({ full: true });
  checkConfigRanges(d);
  const params = estimateParameters(d);
  const bytes = params * (o.bytesPerParameter ?? 4);
  const limit = modelMemoryLimit(o.maxModelBytes);
  if (limit > 0 && bytes > limit) {
    throw new ConfigError(`a ${config.modelType || 'model'} with this config would hold about ${params.toExponential(2)} parameters (${gb(bytes)}), more than the ${gb(limit)} a model may take here: check hidden_size / num_hidden_layers / vocab_size, or raise the limit (maxModelBytes, setModelMemoryLimit, HUBTUNE_MAX_MODEL_BYTES; 0: none)`);
  }
}
