// Tiny Hub repos built at test start for the local Hub server (test/support/hub-server.ts):
// a BERT-like model, a dataset laid out like `beans` (image struct + ClassLabel) and one like
// `glue` with an `mrpc/` config folder. Builders are exported so other areas can add repos.
import sharp from 'sharp';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { stringify } from 'yaml';
import type { FileContent, HubServer } from './hub-server';

export const MODEL_REPO = 'hubtune-test/tiny-bert';
export const BEANS_REPO = 'hubtune-test/beans';
export const GLUE_REPO = 'hubtune-test/glue';

export const BEANS_LABELS = ['angular_leaf_spot', 'bean_rust', 'healthy'];
export const MRPC_LABELS = ['not_equivalent', 'equivalent'];

type Dtype = 'F32' | 'F16' | 'I64' | 'I32';
const DTYPE_BYTES: Record<Dtype, number> = { F32: 4, F16: 2, I64: 8, I32: 4 };

/** A safetensors file: 8-byte little-endian header length, JSON header (space-padded to 8), data. */
export function safetensorsBuffer(
  tensors: Record<string, { dtype: Dtype; shape: number[]; data: ArrayLike<number> | ArrayLike<bigint> }>,
  metadata: Record<string, string> = { format: 'pt' },
): Buffer {
  const header: Record<string, unknown> = { __metadata__: metadata };
  const parts: Buffer[] = [];
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
    const n = t.shape.reduce((a, b) => a * b, 1);
    const buf = Buffer.alloc(n * DTYPE_BYTES[t.dtype]);
    for (let i = 0; i < n; i++) {
      const v = t.data[i];
      if (t.dtype === 'F32') buf.writeFloatLE(Number(v), i * 4);
      else if (t.dtype === 'I32') buf.writeInt32LE(Number(v), i * 4);
      else if (t.dtype === 'I64') buf.writeBigInt64LE(BigInt(v), i * 8);
      else {
        // F16 via float32 bits (truncating conversion; fine for fixtures).
        const f = new Float32Array([Number(v)]);
        const x = new Uint32Array(f.buffer)[0];
        const sign = (x >>> 16) & 0x8000;
        const exp = ((x >>> 23) & 0xff) - 127 + 15;
        const mant = (x >>> 13) & 0x3ff;
        buf.writeUInt16LE(exp <= 0 ? sign : exp >= 31 ? sign | 0x7c00 : sign | (exp << 10) | mant, i * 2);
      }
    }
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + buf.length] };
    offset += buf.length;
    parts.push(buf);
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  return Buffer.concat([len, Buffer.from(json), ...parts]);
}

/** A PNG from raw RGB pixels computed by `pixel(x, y)`. */
export async function pngBuffer(width: number, height: number, pixel: (x: number, y: number) => [number, number, number]): Promise<Buffer> {
  const raw = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) raw.set(pixel(x, y), (y * width + x) * 3);
  return sharp(raw, { raw: { width, height, channels: 3 } }).png().toBuffer();
}

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

export const TINY_VOCAB = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'the', 'a', 'is', 'good', 'bad', 'movie', 'bean', 'leaf', 'hello', 'world', '##s', '##ing', '.', ','];

/** Files of a tiny BERT-like model repo: config.json, model.safetensors and tokenizer files. */
export function tinyModelFiles(): Record<string, FileContent> {
  const hidden = 8;
  const vocab = TINY_VOCAB.length;
  const rnd = seeded(42);
  const w = (n: number) => Array.from({ length: n }, () => (rnd() - 0.5) * 0.1);
  const config = {
    architectures: ['BertForSequenceClassification'],
    model_type: 'bert',
    hidden_size: hidden,
    num_hidden_layers: 1,
    num_attention_heads: 2,
    intermediate_size: 16,
    max_position_embeddings: 32,
    type_vocab_size: 2,
    vocab_size: vocab,
    hidden_act: 'gelu',
    hidden_dropout_prob: 0.1,
    attention_probs_dropout_prob: 0.1,
    layer_norm_eps: 1e-12,
    pad_token_id: 0,
    id2label: { '0': 'NEGATIVE', '1': 'POSITIVE' },
    label2id: { NEGATIVE: 0, POSITIVE: 1 },
    torch_dtype: 'float32',
    transformers_version: '4.46.0',
  };
  const model = safetensorsBuffer({
    'bert.embeddings.word_embeddings.weight': { dtype: 'F32', shape: [vocab, hidden], data: w(vocab * hidden) },
    'bert.embeddings.position_embeddings.weight': { dtype: 'F32', shape: [32, hidden], data: w(32 * hidden) },
    'bert.embeddings.token_type_embeddings.weight': { dtype: 'F32', shape: [2, hidden], data: w(2 * hidden) },
    'bert.embeddings.LayerNorm.weight': { dtype: 'F32', shape: [hidden], data: Array(hidden).fill(1) },
    'bert.embeddings.LayerNorm.bias': { dtype: 'F32', shape: [hidden], data: Array(hidden).fill(0) },
    'classifier.weight': { dtype: 'F32', shape: [2, hidden], data: w(2 * hidden) },
    'classifier.bias': { dtype: 'F32', shape: [2], data: [0, 0] },
  });
  const special = (id: number, content: string) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  const tokenizer = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [special(0, '[PAD]'), special(1, '[UNK]'), special(2, '[CLS]'), special(3, '[SEP]'), special(4, '[MASK]')],
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } }],
      pair: [
        { SpecialToken: { id: '[CLS]', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '[SEP]', type_id: 0 } },
        { Sequence: { id: 'B', type_id: 1 } },
        { SpecialToken: { id: '[SEP]', type_id: 1 } },
      ],
      special_tokens: {
        '[CLS]': { id: '[CLS]', ids: [2], tokens: ['[CLS]'] },
        '[SEP]': { id: '[SEP]', ids: [3], tokens: ['[SEP]'] },
      },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab: Object.fromEntries(TINY_VOCAB.map((t, i) => [t, i])) },
  };
  return {
    'config.json': JSON.stringify(config, null, 2) + '\n',
    'model.safetensors': model,
    'tokenizer.json': JSON.stringify(tokenizer),
    'tokenizer_config.json': JSON.stringify({ do_lower_case: true, model_max_length: 32, tokenizer_class: 'BertTokenizer', cls_token: '[CLS]', sep_token: '[SEP]', pad_token: '[PAD]', unk_token: '[UNK]', mask_token: '[MASK]' }, null, 2),
    'special_tokens_map.json': JSON.stringify({ cls_token: '[CLS]', sep_token: '[SEP]', pad_token: '[PAD]', unk_token: '[UNK]', mask_token: '[MASK]' }),
    'vocab.txt': TINY_VOCAB.join('\n') + '\n',
    'README.md': '---\nlicense: apache-2.0\nlibrary_name: transformers\n---\n# tiny-bert\nA tiny BERT for hubtune tests.\n',
  };
}

/** Features JSON (HF `datasets` format) stored in parquet key/value metadata under `huggingface`. */
function hfMeta(features: Record<string, unknown>): { key: string; value: string }[] {
  return [{ key: 'huggingface', value: JSON.stringify({ info: { features } }) }];
}

export const BEANS_FEATURES = {
  image_file_path: { dtype: 'string', _type: 'Value' },
  image: { _type: 'Image' },
  labels: { names: BEANS_LABELS, _type: 'ClassLabel' },
};

/** One beans-like split as parquet: image_file_path, image {bytes, path} (PNG), labels (ClassLabel). */
export async function beansParquet(split: string, rows: number, size = 8): Promise<Buffer> {
  const paths: string[] = [];
  const images: Array<{ bytes: Uint8Array; path: string }> = [];
  const labels: bigint[] = [];
  for (let i = 0; i < rows; i++) {
    const label = i % BEANS_LABELS.length;
    const p = `/home/beans/${split}/${BEANS_LABELS[label]}/${split}.${i}.png`;
    const png = await pngBuffer(size, size, (x, y) => [(x * 31 + i * 17) % 256, (y * 29 + label * 80) % 256, ((x + y) * 13 + i) % 256]);
    paths.push(p);
    images.push({ bytes: new Uint8Array(png), path: `${split}.${i}.png` });
    labels.push(BigInt(label));
  }
  const ab = parquetWriteBuffer({
    columnData: [
      { name: 'image_file_path', data: paths },
      { name: 'image', data: images },
      { name: 'labels', data: labels },
    ],
    schema: [
      { name: 'schema', num_children: 3 },
      { name: 'image_file_path', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
      { name: 'image', repetition_type: 'OPTIONAL', num_children: 2 },
      { name: 'bytes', type: 'BYTE_ARRAY', repetition_type: 'OPTIONAL' },
      { name: 'path', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
      { name: 'labels', type: 'INT64', repetition_type: 'OPTIONAL' },
    ],
    kvMetadata: hfMeta(BEANS_FEATURES),
  });
  return Buffer.from(ab);
}

/** Files of a dataset repo laid out like `beans`: data/{train,validation,test}-00000-of-00001.parquet + README.md. */
export async function beansLikeFiles(rows: { train?: number; validation?: number; test?: number } = {}): Promise<Record<string, FileContent>> {
  const counts = { train: rows.train ?? 6, validation: rows.validation ?? 3, test: rows.test ?? 3 };
  const files: Record<string, FileContent> = {};
  for (const [split, n] of Object.entries(counts)) files[`data/${split}-00000-of-00001.parquet`] = await beansParquet(split, n);
  const card = {
    dataset_info: {
      features: [
        { name: 'image_file_path', dtype: 'string' },
        { name: 'image', dtype: 'image' },
        { name: 'labels', dtype: { class_label: { names: Object.fromEntries(BEANS_LABELS.map((n, i) => [String(i), n])) } } },
      ],
      splits: Object.entries(counts).map(([name, num_examples]) => ({ name, num_examples })),
    },
    configs: [{ config_name: 'default', data_files: Object.keys(counts).map((split) => ({ split, path: `data/${split}-*` })) }],
  };
  files['README.md'] = `---\n${stringify(card)}---\n# beans (tiny)\nBean leaf images for hubtune tests.\n`;
  return files;
}

export const MRPC_FEATURES = {
  sentence1: { dtype: 'string', _type: 'Value' },
  sentence2: { dtype: 'string', _type: 'Value' },
  label: { names: MRPC_LABELS, _type: 'ClassLabel' },
  idx: { dtype: 'int32', _type: 'Value' },
};

/** One glue/mrpc-like split: sentence1, sentence2, label (ClassLabel; -1 in test), idx (int32). */
export function mrpcParquet(split: string, rows: number): Buffer {
  const words = ['the movie', 'a bean leaf', 'hello world', 'the good movie', 'a bad leaf'];
  const s1: string[] = [];
  const s2: string[] = [];
  const label: number[] = [];
  const idx: number[] = [];
  for (let i = 0; i < rows; i++) {
    s1.push(`${words[i % words.length]} is ${i % 2 ? 'good' : 'bad'} .`);
    s2.push(`${words[(i + 1) % words.length]} is ${i % 3 ? 'good' : 'bad'} .`);
    label.push(split === 'test' ? -1 : i % 2);
    idx.push(i);
  }
  const ab = parquetWriteBuffer({
    columnData: [
      { name: 'sentence1', data: s1 },
      { name: 'sentence2', data: s2 },
      { name: 'label', data: BigInt64Array.from(label.map(BigInt)) },
      { name: 'idx', data: Int32Array.from(idx) },
    ],
    schema: [
      { name: 'schema', num_children: 4 },
      { name: 'sentence1', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
      { name: 'sentence2', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
      { name: 'label', type: 'INT64', repetition_type: 'OPTIONAL' },
      { name: 'idx', type: 'INT32', repetition_type: 'OPTIONAL' },
    ],
    kvMetadata: hfMeta(MRPC_FEATURES),
  });
  return Buffer.from(ab);
}

/** Files of a dataset repo laid out like `glue` with the `mrpc` config folder, plus README.md YAML. */
export function glueLikeFiles(rows: { train?: number; validation?: number; test?: number } = {}): Record<string, FileContent> {
  const counts = { train: rows.train ?? 8, validation: rows.validation ?? 4, test: rows.test ?? 4 };
  const files: Record<string, FileContent> = {};
  for (const [split, n] of Object.entries(counts)) files[`mrpc/${split}-00000-of-00001.parquet`] = mrpcParquet(split, n);
  const card = {
    dataset_info: [
      {
        config_name: 'mrpc',
        features: [
          { name: 'sentence1', dtype: 'string' },
          { name: 'sentence2', dtype: 'string' },
          { name: 'label', dtype: { class_label: { names: { '0': 'not_equivalent', '1': 'equivalent' } } } },
          { name: 'idx', dtype: 'int32' },
        ],
        splits: Object.entries(counts).map(([name, num_examples]) => ({ name, num_examples })),
      },
    ],
    configs: [{ config_name: 'mrpc', data_files: Object.keys(counts).map((split) => ({ split, path: `mrpc/${split}-*` })) }],
  };
  files['README.md'] = `---\n${stringify(card)}---\n# glue (tiny)\nOnly the mrpc config, for hubtune tests.\n`;
  return files;
}

/** Adds the three standard repos to a server and returns their `main` commits. */
export async function addFixtureRepos(server: HubServer): Promise<{ model: string; beans: string; glue: string }> {
  return {
    model: server.addRepo({ type: 'model', id: MODEL_REPO, files: tinyModelFiles() }).sha,
    beans: server.addRepo({ type: 'dataset', id: BEANS_REPO, files: await beansLikeFiles() }).sha,
    glue: server.addRepo({ type: 'dataset', id: GLUE_REPO, files: glueLikeFiles() }).sha,
  };
}
