// Tiny stand-ins for the generation examples, uploaded to the local Hub under the course's ids:
// GPT-2 (byte-level BPE), a chat Llama (ChatML template), T5 (Unigram tokenizer.json), and small
// text / instruction / summarization datasets as JSON lines in config folders.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { manualSeed } from '../../src/torch/index';
import { GPT2LMHeadModel, LlamaForCausalLM, T5ForConditionalGeneration } from '../../src/models/index';
import { AutoTokenizer } from '../../src/preprocessing/auto-tokenizer';
import { tinyByteLevelTokenizerDir } from './chat-fixtures';

export const CHATML = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

const WORDS = ['the', 'bean', 'leaf', 'farmer', 'field', 'rain', 'sun', 'grows', 'green', 'small', 'house', 'is', 'in', 'a', 'and', 'of', 'plant', 'water', 'soil', 'day'];
/** Deterministic pseudo-sentences. */
export function sentences(n: number, seed = 1): string[] {
  let s = seed;
  const rnd = () => { s = (s * 1103515245 + 12345) % 2147483648; return s / 2147483648; };
  return Array.from({ length: n }, () => {
    const len = 5 + Math.floor(rnd() * 8);
    const w = Array.from({ length: len }, () => WORDS[Math.floor(rnd() * WORDS.length)]!);
    return `${w.join(' ')}.`;
  });
}

export async function saveTinyGpt2Repo(dir: string): Promise<string> {
  tinyByteLevelTokenizerDir(null, dir);
  writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify({ tokenizer_class: 'GPT2Tokenizer', bos_token: '<|endoftext|>', eos_token: '<|endoftext|>', unk_token: '<|endoftext|>', model_max_length: 64 }));
  const tok = await AutoTokenizer.fromPretrained(dir);
  manualSeed(5);
  const eos = tok.eosTokenId!;
  const m = GPT2LMHeadModel.fromConfig({ vocab_size: tok.length, n_positions: 64, n_embd: 16, n_layer: 2, n_head: 2, bos_token_id: eos, eos_token_id: eos, resid_pdrop: 0, embd_pdrop: 0, attn_pdrop: 0 });
  m.savePretrained(dir);
  m.dispose();
  return dir;
}

export async function saveTinyChatLlamaRepo(dir: string): Promise<string> {
  tinyByteLevelTokenizerDir(CHATML, dir);
  const tok = await AutoTokenizer.fromPretrained(dir);
  manualSeed(6);
  const m = LlamaForCausalLM.fromConfig({
    vocab_size: tok.length, hidden_size: 16, intermediate_size: 32, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2,
    max_position_embeddings: 128, bos_token_id: tok.bosTokenId, eos_token_id: tok.eosTokenId, tie_word_embeddings: true,
  });
  m.savePretrained(dir);
  m.dispose();
  return dir;
}

/** A Unigram tokenizer.json in T5's shape (Metaspace, </s> appended) over the words above. */
export async function saveTinyT5Repo(dir: string): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const specials = ['<pad>', '</s>', '<unk>'];
  const chars = [...new Set(WORDS.join('') + 'summarize:.,')];
  const vocab: [string, number][] = [...specials.map((t): [string, number] => [t, 0]), ['▁', -2], ...WORDS.map((w): [string, number] => [`▁${w}`, -1]),
    ...chars.map((c): [string, number] => [c, -5]), ...chars.map((c): [string, number] => [`▁${c}`, -6])];
  const meta = { type: 'Metaspace', replacement: '▁', add_prefix_space: true, prepend_scheme: 'always', split: true };
  const tj = {
    version: '1.0', truncation: null, padding: null,
    added_tokens: specials.map((content, id) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
    normalizer: null, pre_tokenizer: meta, decoder: meta,
    post_processor: {
      type: 'TemplateProcessing', single: [{ Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '</s>', type_id: 0 } }],
      pair: [{ Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '</s>', type_id: 0 } }, { Sequence: { id: 'B', type_id: 0 } }, { SpecialToken: { id: '</s>', type_id: 0 } }],
      special_tokens: { '</s>': { id: '</s>', ids: [1], tokens: ['</s>'] } },
    },
    model: { type: 'Unigram', unk_id: 2, vocab, byte_fallback: false },
  };
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(tj));
  writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify({ eos_token: '</s>', unk_token: '<unk>', pad_token: '<pad>', model_max_length: 64, extra_ids: 0 }));
  manualSeed(7);
  const m = T5ForConditionalGeneration.fromConfig({
    vocab_size: vocab.length, d_model: 16, d_kv: 4, d_ff: 32, num_layers: 2, num_heads: 4, feed_forward_proj: 'gated-gelu', tie_word_embeddings: false,
    decoder_start_token_id: 0, dropout_rate: 0, relative_attention_num_buckets: 8, relative_attention_max_distance: 20,
  });
  m.savePretrained(dir);
  m.dispose();
  return dir;
}

const jsonl = (rows: object[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';

export function wikitextFiles(): Record<string, Buffer> {
  const mk = (n: number, seed: number) => Buffer.from(jsonl(sentences(n, seed).map((text) => ({ text }))));
  return { 'wikitext-2-raw-v1/train.jsonl': mk(60, 1), 'wikitext-2-raw-v1/validation.jsonl': mk(20, 2), 'wikitext-2-raw-v1/test.jsonl': mk(20, 3) };
}
export function alpacaFiles(): Record<string, Buffer> {
  const s = sentences(48, 4);
  const rows = Array.from({ length: 16 }, (_, i) => ({ instruction: `Describe ${s[3 * i]!}`, input: i % 2 ? s[3 * i + 1]! : '', output: s[3 * i + 2]! }));
  return { 'data/train.jsonl': Buffer.from(jsonl(rows)) };
}
export function cnnFiles(): Record<string, Buffer> {
  const mk = (n: number, seed: number) => {
    const s = sentences(n * 4, seed);
    return Buffer.from(jsonl(Array.from({ length: n }, (_, i) => ({ article: s.slice(4 * i, 4 * i + 3).join(' '), highlights: s[4 * i + 3]!, id: `a${seed}-${i}` }))));
  };
  return { '3.0.0/train.jsonl': mk(16, 5), '3.0.0/validation.jsonl': mk(6, 6), '3.0.0/test.jsonl': mk(4, 7) };
}
