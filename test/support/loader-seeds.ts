// Small valid inputs for each loader (tokenizer folders of the three model types, configs of several
// families), seeds of the loader tests and of the fuzzers (test/support/fuzz-loaders.ts).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AutoTokenizer } from '../../src/preprocessing/auto-tokenizer';
import { tinyByteLevelTokenizerDir } from './chat-fixtures';
import { TINY_VIT_CONFIG, tinyRobertaConfig } from './tiny-models';

/** A Unigram tokenizer.json (T5-like: Metaspace, TemplateProcessing). */
export function tinyUnigramTokenizerJson(): Record<string, unknown> {
  const specials = ['<pad>', '</s>', '<unk>'];
  const words = ['the', 'bean', 'leaf', 'grows', 'in', 'a', 'field'];
  const chars = [...new Set(words.join('') + '.,!')];
  const vocab: [string, number][] = [...specials.map((t): [string, number] => [t, 0]), ['▁', -2], ...words.map((w): [string, number] => [`▁${w}`, -1]),
    ...chars.map((c): [string, number] => [c, -5])];
  const meta = { type: 'Metaspace', replacement: '▁', add_prefix_space: true, prepend_scheme: 'always', split: true };
  return {
    version: '1.0', truncation: null, padding: null,
    added_tokens: specials.map((content, id) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
    normalizer: { type: 'Sequence', normalizers: [{ type: 'NFKC' }, { type: 'Replace', pattern: { Regex: ' {2,}' }, content: ' ' }] },
    pre_tokenizer: meta, decoder: meta,
    post_processor: {
      type: 'TemplateProcessing', single: [{ Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '</s>', type_id: 0 } }],
      pair: [{ Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '</s>', type_id: 0 } }, { Sequence: { id: 'B', type_id: 0 } }, { SpecialToken: { id: '</s>', type_id: 0 } }],
      special_tokens: { '</s>': { id: '</s>', ids: [1], tokens: ['</s>'] } },
    },
    model: { type: 'Unigram', unk_id: 2, vocab, byte_fallback: false },
  };
}

/**
 * Three tokenizer folders under `root` (byte-level BPE, WordPiece, Unigram), each with tokenizer.json
 * and tokenizer_config.json as savePretrained writes them. Returns the folders.
 */
export async function tokenizerSeedDirs(root: string): Promise<string[]> {
  const bpeSrc = tinyByteLevelTokenizerDir(null, join(root, 'bpe-src'));
  const bpe = join(root, 'bpe');
  (await AutoTokenizer.fromPretrained(bpeSrc)).savePretrained(bpe);
  const wpSrc = join(root, 'wp-src');
  mkdirSync(wpSrc, { recursive: true });
  writeFileSync(join(wpSrc, 'vocab.txt'), ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'hello', 'world', 'the', 'bean', '##s', '##ing', 'h', '##e', '##l', '##o', ',', '!', '1', '##2', '##3'].join('\n') + '\n');
  writeFileSync(join(wpSrc, 'tokenizer_config.json'), JSON.stringify({ tokenizer_class: 'BertTokenizer', do_lower_case: true, model_max_length: 32 }));
  const wp = join(root, 'wp');
  (await AutoTokenizer.fromPretrained(wpSrc)).savePretrained(wp);
  const uni = join(root, 'unigram');
  mkdirSync(uni, { recursive: true });
  writeFileSync(join(uni, 'tokenizer.json'), JSON.stringify(tinyUnigramTokenizerJson()));
  writeFileSync(join(uni, 'tokenizer_config.json'), JSON.stringify({ eos_token: '</s>', unk_token: '<unk>', pad_token: '<pad>', model_max_length: 64 }));
  return [bpe, wp, uni];
}

/** config.json seeds: tiny configs of several families (encoder, decoder, vision, seq2seq). */
export function configSeeds(): Record<string, unknown>[] {
  return [
    tinyRobertaConfig(64),
    { ...TINY_VIT_CONFIG, num_labels: 3 },
    { model_type: 'bert', vocab_size: 40, hidden_size: 8, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 16, max_position_embeddings: 32, type_vocab_size: 2, id2label: { 0: 'neg', 1: 'pos' }, label2id: { neg: 0, pos: 1 } },
    { model_type: 'gpt2', vocab_size: 50, n_positions: 32, n_embd: 8, n_layer: 1, n_head: 2, bos_token_id: 0, eos_token_id: 0 },
    { model_type: 'llama', vocab_size: 50, hidden_size: 8, intermediate_size: 16, num_hidden_layers: 1, num_attention_heads: 2, num_key_value_heads: 1, max_position_embeddings: 32 },
    { model_type: 't5', vocab_size: 40, d_model: 8, d_kv: 4, d_ff: 16, num_layers: 1, num_heads: 2, feed_forward_proj: 'gated-gelu', relative_attention_num_buckets: 8, relative_attention_max_distance: 20 },
    { model_type: 'convnext', num_channels: 3, hidden_sizes: [4, 8], depths: [1, 1], image_size: 32, num_labels: 2 },
    { model_type: 'distilbert', vocab_size: 40, dim: 8, n_layers: 1, n_heads: 2, hidden_dim: 16, max_position_embeddings: 32 },
  ];
}
