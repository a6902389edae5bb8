// Builds an in-memory tokenizer.json equivalent to a slow transformers tokenizer from its
// vocabulary files (vocab.txt for BERT-style WordPiece; vocab.json + merges.txt for GPT-2/RoBERTa
// byte-level BPE), and writes those vocabulary files back from a tokenizer.json model.

/** Tokenizer families hubtune knows how to build from vocabulary files. */
export type TokenizerFamily = 'bert' | 'distilbert' | 'roberta' | 'gpt2' | 'clip';

export interface AddedTokenJson {
  id: number;
  content: string;
  single_word: boolean;
  lstrip: boolean;
  rstrip: boolean;
  normalized: boolean;
  special: boolean;
}

/** Parses vocab.txt (one token a line; the id is the line number), like transformers' load_vocab. */
export function parseVocabTxt(text: string): Record<string, number> {
  const vocab: Record<string, number> = Object.create(null);
  const lines = text.split('\n');
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  for (let i = 0; i < lines.length; i++) vocab[lines[i].replace(/\r$/, '')] = i;
  return vocab;
}

/** Parses merges.txt: skips the `#version` header and blank lines; each line is "left right". */
export function parseMergesTxt(text: string, file = 'merges.txt'): string[] {
  const merges: string[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].replace(/\r$/, '');
    if (line === '' || (i === 0 && line.startsWith('#version'))) continue;
    if (line.split(' ').length !== 2) {
      throw new Error(`${file} line ${i + 1} is not "left right": fix or re-download the merges file`);
    }
    merges.push(line);
  }
  return merges;
}

export interface WordPieceOptions {
  vocab: Record<string, number>;
  unkToken: string;
  doLowerCase: boolean;
  doBasicTokenize: boolean;
  tokenizeChineseChars: boolean;
  stripAccents: boolean | null;
  clsToken: string | null;
  sepToken: string | null;
  addedTokens: AddedTokenJson[];
}

/** tokenizer.json for BertTokenizer / DistilBertTokenizer (BasicTokenizer + WordPiece). */
export function buildWordPieceTokenizerJson(o: WordPieceOptions): Record<string, any> {
  const cls = o.clsToken, sep = o.sepToken;
  let postProcessor: Record<string, any> | null = null;
  if (cls !== null && sep !== null && o.vocab[cls] !== undefined && o.vocab[sep] !== undefined) {
    postProcessor = { type: 'BertProcessing', sep: [sep, o.vocab[sep]], cls: [cls, o.vocab[cls]] };
  }
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: o.addedTokens,
    normalizer: o.doBasicTokenize
      ? { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: o.tokenizeChineseChars, strip_accents: o.stripAccents, lowercase: o.doLowerCase }
      : null,
    pre_tokenizer: o.doBasicTokenize ? { type: 'BertPreTokenizer' } : { type: 'WhitespaceSplit' },
    post_processor: postProcessor,
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: { type: 'WordPiece', unk_token: o.unkToken, continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab: o.vocab },
  };
}

export interface ByteLevelBpeOptions {
  vocab: Record<string, number>;
  merges: string[];
  addPrefixSpace: boolean;
  /** RoBERTa: <s> A </s> (</s> B </s>); GPT-2: no special tokens (null). */
  roberta: { cls: string; sep: string } | null;
  addedTokens: AddedTokenJson[];
}

/** tokenizer.json for RobertaTokenizer / GPT2Tokenizer (byte-level BPE). */
export function buildByteLevelBpeTokenizerJson(o: ByteLevelBpeOptions): Record<string, any> {
  const postProcessor = o.roberta && o.vocab[o.roberta.cls] !== undefined && o.vocab[o.roberta.sep] !== undefined
    ? { type: 'RobertaProcessing', sep: [o.roberta.sep, o.vocab[o.roberta.sep]], cls: [o.roberta.cls, o.vocab[o.roberta.cls]], trim_offsets: true, add_prefix_space: o.addPrefixSpace }
    : { type: 'ByteLevel', add_prefix_space: o.addPrefixSpace, trim_offsets: false, use_regex: true };
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: o.addedTokens,
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: o.addPrefixSpace, trim_offsets: true, use_regex: true },
    post_processor: postProcessor,
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: '', end_of_word_suffix: '',
      fuse_unk: false, byte_fallback: false, vocab: o.vocab, merges: o.merges,
    },
  };
}

/** The vocabulary files a slow tokenizer would save for this tokenizer.json model (none for other models). */
export function vocabularyFilesFromModel(model: Record<string, any>): Record<string, string> {
  if (!model || typeof model !== 'object') return {};
  if (model.type === 'WordPiece' && model.vocab) {
    const entries = Object.entries(model.vocab as Record<string, number>).sort((a, b) => a[1] - b[1]);
    return { 'vocab.txt': entries.map(([t]) => t).join('\n') + '\n' };
  }
  if (model.type === 'BPE' && model.vocab && Array.isArray(model.merges)) {
    const merges = (model.merges as Array<string | [string, string]>).map((m) => (Array.isArray(m) ? m.join(' ') : m));
    return {
      'vocab.json': JSON.stringify(sortKeys(model.vocab), null, 2) + '\n',
      'merges.txt': '#version: 0.2\n' + merges.map((m) => m + '\n').join(''),
    };
  }
  return {};
}

function sortKeys(obj: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of Object.keys(obj).sort()) out[k] = obj[k];
  return out;
}
