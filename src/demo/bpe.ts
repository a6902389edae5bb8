// A small byte-level BPE trainer (GPT-2 / RoBERTa layout) for the demo's text model.
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** GPT-2's pre-tokenisation pattern (contractions, letters, digits, other, whitespace). */
export const GPT2_PRETOKENIZE = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

/** GPT-2's reversible byte -> printable unicode character table (256 entries). */
export function bytesToUnicode(): string[] {
  const bs: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) bs.push(b);
  for (let b = 0xa1; b <= 0xac; b++) bs.push(b);
  for (let b = 0xae; b <= 0xff; b++) bs.push(b);
  const cs = [...bs];
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bs.includes(b)) { bs.push(b); cs.push(256 + n); n++; }
  }
  const table = new Array<string>(256);
  bs.forEach((b, i) => { table[b] = String.fromCodePoint(cs[i]); });
  return table;
}

const BYTE_CHARS = bytesToUnicode();
const encoder = new TextEncoder();
const toByteLevel = (piece: string): string => Array.from(encoder.encode(piece), (b) => BYTE_CHARS[b]).join('');

export interface BpeModel {
  /** token -> id: <s>=0, <pad>=1, </s>=2, <unk>=3, 256 byte symbols, merged tokens, <mask> last. */
  vocab: Record<string, number>;
  /** Merges in priority order, each "left right". */
  merges: string[];
}

/**
 * Trains byte-level BPE on sentences: GPT-2 pre-tokenisation, merges of the most frequent adjacent
 * pair (ties broken by the pair's text, so the result is deterministic) until the vocabulary holds
 * vocabSize tokens (specials included) or no pair occurs minFrequency times.
 */
export function trainByteLevelBPE(params: { corpus: string[]; vocabSize?: number; minFrequency?: number }): BpeModel {
  const vocabSize = params.vocabSize ?? 1500;
  const minFreq = params.minFrequency ?? 2;
  const specials = ['<s>', '<pad>', '</s>', '<unk>'];
  if (vocabSize < specials.length + 257) throw new Error(`trainByteLevelBPE: vocabSize must be at least ${specials.length + 257} (got ${vocabSize})`);
  const wordFreq = new Map<string, number>();
  for (const line of params.corpus) {
    for (const m of line.matchAll(GPT2_PRETOKENIZE)) {
      const w = toByteLevel(m[0]);
      wordFreq.set(w, (wordFreq.get(w) ?? 0) + 1);
    }
  }
  const words = [...wordFreq.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const symbols = words.map(([w]) => Array.from(w));
  const freqs = words.map(([, f]) => f);
  const vocab: Record<string, number> = {};
  for (const s of specials) vocab[s] = Object.keys(vocab).length;
  for (let b = 0; b < 256; b++) vocab[BYTE_CHARS[b]] = Object.keys(vocab).length;
  const merges: string[] = [];
  let size = Object.keys(vocab).length;
  while (size < vocabSize - 1) { // keep one slot for <mask>
    const counts = new Map<string, number>();
    for (let i = 0; i < symbols.length; i++) {
      const sy = symbols[i];
      for (let j = 0; j + 1 < sy.length; j++) {
        const key = sy[j] + ' ' + sy[j + 1];
        counts.set(key, (counts.get(key) ?? 0) + freqs[i]);
      }
    }
    let best: string | null = null, bestCount = 0;
    for (const [k, c] of counts) {
      if (c > bestCount || (c === bestCount && best !== null && k < best)) { best = k; bestCount = c; }
    }
    if (best === null || bestCount < minFreq) break;
    const [a, b] = best.split(' ');
    const merged = a + b;
    merges.push(best);
    if (!(merged in vocab)) { vocab[merged] = size++; }
    for (const sy of symbols) {
      for (let j = 0; j + 1 < sy.length; j++) {
        if (sy[j] === a && sy[j + 1] === b) sy.splice(j, 2, merged);
      }
    }
  }
  vocab['<mask>'] = size;
  return { vocab, merges };
}

/** Applies BPE merges to one pre-token (already in byte-level characters); returns its tokens. */
export function bpeEncodeWord(word: string, ranks: Map<string, number>): string[] {
  let parts = Array.from(word);
  while (parts.length > 1) {
    let bestRank = Infinity, bestJ = -1;
    for (let j = 0; j + 1 < parts.length; j++) {
      const r = ranks.get(parts[j] + ' ' + parts[j + 1]);
      if (r !== undefined && r < bestRank) { bestRank = r; bestJ = j; }
    }
    if (bestJ < 0) break;
    const a = parts[bestJ], b = parts[bestJ + 1];
    const next: string[] = [];
    for (let j = 0; j < parts.length; j++) {
      if (j + 1 < parts.length && parts[j] === a && parts[j + 1] === b) { next.push(a + b); j++; } else next.push(parts[j]);
    }
    parts = next;
  }
  return parts;
}

/** Tokenises text with a trained model exactly as GPT-2/RoBERTa would (no specials added). */
export function bpeTokenize(text: string, model: BpeModel): string[] {
  const ranks = new Map(model.merges.map((m, i) => [m, i] as const));
  const out: string[] = [];
  for (const m of text.matchAll(GPT2_PRETOKENIZE)) out.push(...bpeEncodeWord(toByteLevel(m[0]), ranks));
  return out;
}

export interface BuildVocabParams {
  corpus: string[];
  outDir: string;
  /** Target vocabulary size including specials (default 1500). */
  vocabSize?: number;
  minFrequency?: number;
  modelMaxLength?: number;
}

async function writeAtomic(path: string, data: string): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, data);
  await rename(tmp, path);
}

/**
 * Trains byte-level BPE on the corpus and writes a RoBERTa tokenizer directory: vocab.json,
 * merges.txt, tokenizer.json (fast-tokenizer format), tokenizer_config.json
 * (tokenizer_class RobertaTokenizer) and special_tokens_map.json.
 */
export async function buildVocabFiles(params: BuildVocabParams): Promise<{ dir: string; vocabSize: number; numMerges: number; files: string[] }> {
  const model = trainByteLevelBPE(params);
  const maxLen = params.modelMaxLength ?? 128;
  const { outDir } = params;
  await mkdir(outDir, { recursive: true });
  const maskId = model.vocab['<mask>'];
  const special = (content: string, extra: Record<string, unknown> = {}) => ({
    content, single_word: false, lstrip: false, rstrip: false, normalized: content !== '<mask>' ? true : false, special: true, ...extra,
  });
  const addedTokens = [
    { id: 0, ...special('<s>') }, { id: 1, ...special('<pad>') }, { id: 2, ...special('</s>') },
    { id: 3, ...special('<unk>') }, { id: maskId, ...special('<mask>', { lstrip: true }) },
  ];
  const tokenizerJson = {
    version: '1.0', truncation: null, padding: null,
    added_tokens: addedTokens,
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: { type: 'RobertaProcessing', sep: ['</s>', 2], cls: ['<s>', 0], trim_offsets: true, add_prefix_space: false },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: '', end_of_word_suffix: '',
      fuse_unk: false, byte_fallback: false, vocab: model.vocab, merges: model.merges,
    },
  };
  const tok = (content: string, lstrip = false) => ({ content, lstrip, normalized: content !== '<mask>', rstrip: false, single_word: false });
  const specialMap = {
    bos_token: tok('<s>'), eos_token: tok('</s>'), unk_token: tok('<unk>'), sep_token: tok('</s>'),
    pad_token: tok('<pad>'), cls_token: tok('<s>'), mask_token: tok('<mask>', true),
  };
  const config = {
    tokenizer_class: 'RobertaTokenizer', model_max_length: maxLen, add_prefix_space: false, errors: 'replace',
    bos_token: '<s>', eos_token: '</s>', unk_token: '<unk>', sep_token: '</s>', pad_token: '<pad>', cls_token: '<s>', mask_token: '<mask>',
    clean_up_tokenization_spaces: false, trim_offsets: true,
    added_tokens_decoder: Object.fromEntries(addedTokens.map(({ id, ...rest }) => [String(id), rest])),
  };
  const files: [string, string][] = [
    ['vocab.json', JSON.stringify(model.vocab)],
    ['merges.txt', ['#version: 0.2', ...model.merges].join('\n') + '\n'],
    ['tokenizer.json', JSON.stringify(tokenizerJson)],
    ['tokenizer_config.json', JSON.stringify(config, null, 2) + '\n'],
    ['special_tokens_map.json', JSON.stringify(specialMap, null, 2) + '\n'],
  ];
  for (const [name, data] of files) await writeAtomic(join(outDir, name), data);
  return { dir: outDir, vocabSize: Object.keys(model.vocab).length, numMerges: model.merges.length, files: files.map(([n]) => join(outDir, n)) };
}
