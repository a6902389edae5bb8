// CLIPTokenizer (slow, transformers 4.29 without ftfy) as a tokenizer.json: BERT's BasicTokenizer
// (clean text, CJK spacing, lower case, accents stripped, punctuation split), CLIP's regex over the
// result, byte-level characters, BPE with "</w>" on each word's last symbol, and
// <|startoftext|> A <|endoftext|> (<|endoftext|> B <|endoftext|>) around the ids.
import type { AddedTokenJson } from './build';

/** CLIP's word pattern (the `regex` module's; text is already lower-cased, so IGNORECASE changes nothing). */
export const CLIP_PATTERN = "<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+";
/** The merges the slow tokenizer reads: merges.txt lines 1 .. 49152 - 256 - 2. */
export const CLIP_MAX_MERGES = 49152 - 256 - 2;

export interface ClipBpeOptions {
  vocab: Record<string, number>;
  merges: string[];
  bosToken: string;
  eosToken: string;
  unkToken: string;
  addedTokens: AddedTokenJson[];
}

export function buildClipBpeTokenizerJson(o: ClipBpeOptions): Record<string, any> {
  const special = (t: string) => ({ id: t, ids: [o.vocab[t] ?? o.addedTokens.find((a) => a.content === t)?.id ?? 0], tokens: [t] });
  const bos = { SpecialToken: { id: o.bosToken, type_id: 0 } };
  const eos = { SpecialToken: { id: o.eosToken, type_id: 0 } };
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: o.addedTokens,
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        { type: 'BertPreTokenizer' },
        { type: 'Split', pattern: { Regex: CLIP_PATTERN }, behavior: 'Removed', invert: true },
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false },
      ],
    },
    post_processor: {
      type: 'TemplateProcessing',
      single: [bos, { Sequence: { id: 'A', type_id: 0 } }, eos],
      pair: [bos, { Sequence: { id: 'A', type_id: 0 } }, eos, eos, { Sequence: { id: 'B', type_id: 0 } }, eos],
      special_tokens: Object.fromEntries([o.bosToken, o.eosToken].map((t) => [t, special(t)])),
    },
    // decode(): bytes back to text, then "</w>" -> " " and strip (PreTrainedTokenizer reads end_of_word_suffix)
    decoder: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false },
    model: {
      type: 'BPE', dropout: null, unk_token: o.unkToken, continuing_subword_prefix: '', end_of_word_suffix: '</w>', fuse_unk: false,
      byte_fallback: false, vocab: o.vocab, merges: o.merges.slice(0, CLIP_MAX_MERGES),
    },
  };
}
