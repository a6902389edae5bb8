// The slow SentencePiece tokenizers of transformers 4.29 (XLMRobertaTokenizer, CamembertTokenizer,
// AlbertTokenizer, DebertaV2Tokenizer, T5Tokenizer), built from a repo's `.model` file: how each
// maps SentencePiece ids to its vocabulary (XLM-R's fairseq offset, CamemBERT's four reserved ids,
// T5's extra ids), its special tokens and template, its text preprocessing, and how it turns tokens
// back into text. The vocabulary is also written as a Unigram tokenizer.json model (as
// convert_slow_tokenizer lays it out) so ids, tokens and added tokens work as for every tokenizer.
import { SentencePieceModel } from './sentencepiece';
import { AlignedText, type TextModel, type EncodedText } from './text-model';

type Tok = { content: string; lstrip?: boolean; rstrip?: boolean };

export interface SentencePieceTokenizerSpec {
  /** transformers' class name (tokenizer_config.json tokenizer_class, without Fast). */
  className: string;
  /** config.json model_type values that use it. */
  modelTypes: string[];
  /** The model file names a repo holds. */
  files: string[];
  specials: Record<string, Tok>;
  inputNames: string[];
  /** How SentencePiece ids become vocabulary ids. */
  layout: 'fairseq' | 'camembert' | 'direct';
  /** [CLS] A [SEP] B [SEP] with token types 0/1 ('bert'), <s> A </s></s> B </s> ('roberta'), A </s> B </s> ('t5'). */
  template: 'bert' | 'roberta' | 't5';
  /** convert_tokens_to_string: pieces joined with U+2581 as spaces ('join', XLM-R), or sp.decode between special tokens. */
  decode: 'join' | 'special-aware';
  preprocess?: 'albert' | 'deberta';
}

const S = (content: string, o: Partial<Tok> = {}): Tok => ({ content, ...o });

export const SENTENCEPIECE_TOKENIZERS: SentencePieceTokenizerSpec[] = [
  {
    className: 'XLMRobertaTokenizer', modelTypes: ['xlm-roberta'], files: ['sentencepiece.bpe.model'], layout: 'fairseq', template: 'roberta', decode: 'join',
    specials: { bos_token: S('<s>'), eos_token: S('</s>'), sep_token: S('</s>'), cls_token: S('<s>'), unk_token: S('<unk>'), pad_token: S('<pad>'), mask_token: S('<mask>', { lstrip: true, rstrip: false }) },
    inputNames: ['input_ids', 'attention_mask'],
  },
  {
    className: 'CamembertTokenizer', modelTypes: ['camembert'], files: ['sentencepiece.bpe.model'], layout: 'camembert', template: 'roberta', decode: 'special-aware',
    specials: { bos_token: S('<s>'), eos_token: S('</s>'), sep_token: S('</s>'), cls_token: S('<s>'), unk_token: S('<unk>'), pad_token: S('<pad>'), mask_token: S('<mask>', { lstrip: true, rstrip: false }) },
    inputNames: ['input_ids', 'attention_mask'],
  },
  {
    className: 'AlbertTokenizer', modelTypes: ['albert'], files: ['spiece.model'], layout: 'direct', template: 'bert', decode: 'special-aware', preprocess: 'albert',
    specials: { bos_token: S('[CLS]'), eos_token: S('[SEP]'), unk_token: S('<unk>'), sep_token: S('[SEP]'), pad_token: S('<pad>'), cls_token: S('[CLS]'), mask_token: S('[MASK]', { lstrip: true, rstrip: false }) },
    inputNames: ['input_ids', 'token_type_ids', 'attention_mask'],
  },
  {
    className: 'DebertaV2Tokenizer', modelTypes: ['deberta-v2'], files: ['spm.model'], layout: 'direct', template: 'bert', decode: 'special-aware', preprocess: 'deberta',
    specials: { bos_token: S('[CLS]'), eos_token: S('[SEP]'), unk_token: S('[UNK]'), sep_token: S('[SEP]'), pad_token: S('[PAD]'), cls_token: S('[CLS]'), mask_token: S('[MASK]') },
    inputNames: ['input_ids', 'token_type_ids', 'attention_mask'],
  },
  {
    className: 'T5Tokenizer', modelTypes: ['t5', 'mt5'], files: ['spiece.model'], layout: 'direct', template: 't5', decode: 'special-aware',
    specials: { eos_token: S('</s>'), unk_token: S('<unk>'), pad_token: S('<pad>') },
    inputNames: ['input_ids', 'attention_mask'],
  },
];

export function sentencePieceSpecFor(className: unknown, modelType: unknown): SentencePieceTokenizerSpec | null {
  const cls = typeof className === 'string' ? className.replace(/Fast$/, '') : '';
  return SENTENCEPIECE_TOKENIZERS.find((s) => s.className === cls) ?? SENTENCEPIECE_TOKENIZERS.find((s) => s.modelTypes.includes(String(modelType))) ?? null;
}

/** T5's extra ids (<extra_id_0> is the last id), from extra_ids or additional_special_tokens. */
export function t5ExtraIds(config: Record<string, any>): string[] {
  const n = typeof config.extra_ids === 'number' ? config.extra_ids : 100;
  return Array.from({ length: n }, (_, i) => `<extra_id_${i}>`);
}

/** Vocabulary ids of the tokenizer from SentencePiece ids and back, per the spec's layout. */
export function vocabularyOf(spec: SentencePieceTokenizerSpec, sp: SentencePieceModel, config: Record<string, any>): { vocab: [string, number][]; unkId: number; fromSpm: (id: number) => number } {
  const pieces = sp.proto.pieces.map((p) => [p.piece, p.score] as [string, number]);
  if (spec.layout === 'fairseq') {
    const vocab: [string, number][] = [['<s>', 0], ['<pad>', 0], ['</s>', 0], ['<unk>', 0], ...pieces.slice(3), ['<mask>', 0]];
    return { vocab, unkId: 3, fromSpm: (id) => (id === sp.unkId ? 3 : id + 1) };
  }
  if (spec.layout === 'camembert') {
    const vocab: [string, number][] = [['<s>NOTUSED', 0], ['<pad>', 0], ['</s>NOTUSED', 0], ['<unk>', 0], ['<unk>NOTUSED', -100], ...pieces.slice(1), ['<mask>', 0]];
    return { vocab, unkId: 3, fromSpm: (id) => (id === sp.unkId ? 3 : id + 4) };
  }
  const vocab = [...pieces];
  if (spec.className === 'T5Tokenizer') for (const t of [...t5ExtraIds(config)].reverse()) vocab.push([t, 0]);
  return { vocab, unkId: sp.unkId, fromSpm: (id) => id };
}

const SPACE = '\u2581';
const isDigit = (ch: string | undefined) => !!ch && /^\p{Nd}$/u.test(ch);
const isPunct = (ch: string) => /[\p{P}\p{S}]/u.test(ch) || (ch.charCodeAt(0) >= 33 && ch.charCodeAt(0) <= 47) || (ch.charCodeAt(0) >= 58 && ch.charCodeAt(0) <= 64)
  || (ch.charCodeAt(0) >= 91 && ch.charCodeAt(0) <= 96) || (ch.charCodeAt(0) >= 123 && ch.charCodeAt(0) <= 126);

/** The model stage of a slow SentencePiece tokenizer (text with no added tokens -> tokens, ids, offsets). */
export class SentencePieceTextModel implements TextModel {
  private readonly tokenIds = new Map<string, number>();
  private readonly fromSpm: (id: number) => number;
  readonly unkId: number;
  constructor(readonly spec: SentencePieceTokenizerSpec, readonly sp: SentencePieceModel, readonly vocab: [string, number][], unkId: number,
    fromSpm: (id: number) => number, readonly config: Record<string, any>) {
    vocab.forEach(([t], id) => { if (!this.tokenIds.has(t)) this.tokenIds.set(t, id); });
    this.unkId = unkId;
    this.fromSpm = fromSpm;
  }

  encode(text: string): EncodedText {
    const out: EncodedText = { tokens: [], ids: [], offsets: [] };
    const push = (token: string, id: number, range: [number, number]) => { out.tokens.push(token); out.ids.push(id); out.offsets.push(range); };
    if (this.spec.preprocess === 'albert') {
      const t = this.albertPreprocess(text);
      for (const p of this.pieces(t.text)) {
        // AlbertTokenizer._tokenize: "9," style pieces are split into the number's pieces and the comma
        if (p.piece.length > 1 && p.piece.endsWith(',') && isDigit(p.piece[p.piece.length - 2])) {
          let cur = this.pieces(p.piece.slice(0, -1).replaceAll(SPACE, ''));
          if (!p.piece.startsWith(SPACE) && cur[0]?.piece.startsWith(SPACE)) {
            if (cur[0]!.piece.length === 1) cur = cur.slice(1);
            else cur[0] = { ...cur[0]!, piece: cur[0]!.piece.slice(1), id: this.sp.pieceToId(cur[0]!.piece.slice(1)) };
          }
          for (const c of cur) push(c.piece, this.fromSpm(c.id), t.range(p.start, p.end));
          push(',', this.fromSpm(this.sp.pieceToId(',')), t.range(p.end - 1, p.end));
        } else push(p.piece, this.fromSpm(p.id), t.range(p.start, p.end));
      }
      return out;
    }
    if (this.spec.preprocess === 'deberta') {
      const lower = this.config.do_lower_case === true;
      const t = lower ? AlignedText.of(text).mapChars((c) => c.toLowerCase()) : AlignedText.of(text);
      const words = this.config.split_by_punct === true ? splitOnPunct(t.text) : [[0, t.text.length] as [number, number]];
      for (const [ws, we] of words) {
        for (const p of this.pieces(t.text.slice(ws, we))) {
          const unknown = !this.tokenIds.has(p.piece) || p.piece === '<unk>';
          const token = unknown ? '[UNK]' : p.piece;
          push(token, this.tokenIds.get(token) ?? this.unkId, t.range(ws + p.start, ws + p.end));
        }
      }
      return out;
    }
    for (const p of this.sp.encode(text)) push(p.piece, this.fromSpm(p.id), [p.start, p.end]);
    return out;
  }

  private pieces(s: string) { return this.sp.encode(s); }

  /** AlbertTokenizer.preprocess_text: spaces collapsed, `` and '' to ", accents stripped (NFKD), lowercased. */
  private albertPreprocess(text: string): AlignedText {
    let t = AlignedText.of(text);
    if (this.config.remove_space !== false) t = t.collapseWhitespace();
    t = replaceAligned(replaceAligned(t, '``', '"'), "''", '"');
    if (this.config.keep_accents !== true) t = t.mapChars((c) => c.normalize('NFKD').replace(/\p{M}/gu, ''));
    if (this.config.do_lower_case !== false) t = t.mapChars((c) => c.toLowerCase());
    return t;
  }

  tokensToString(tokens: readonly string[], isSpecial: (t: string) => boolean): string {
    if (this.spec.decode === 'join') return tokens.join('').replaceAll(SPACE, ' ').trim();
    let out = '';
    let sub: string[] = [];
    let prevSpecial = false;
    for (const t of tokens) {
      if (isSpecial(t)) {
        if (!prevSpecial) out += ' ';
        out += this.sp.decodePieces(sub) + t;
        prevSpecial = true;
        sub = [];
      } else { sub.push(t); prevSpecial = false; }
    }
    out += this.sp.decodePieces(sub);
    return out.trim();
  }
}

/** Replaces every `from` by `to` keeping the original range of the replaced text. */
function replaceAligned(t: AlignedText, from: string, to: string): AlignedText {
  if (!t.text.includes(from)) return t;
  let text = '';
  const starts: number[] = [];
  const ends: number[] = [];
  for (let i = 0; i < t.text.length;) {
    if (t.text.startsWith(from, i)) {
      const s = t.starts[i]!;
      const e = t.ends[i + from.length - 1]!;
      text += to;
      for (let k = 0; k < to.length; k++) { starts.push(s); ends.push(e); }
      i += from.length;
    } else { text += t.text[i]; starts.push(t.starts[i]!); ends.push(t.ends[i]!); i++; }
  }
  return new AlignedText(text, starts, ends);
}

/** DeBERTa's _run_split_on_punc: each punctuation character alone, the rest kept in runs. */
function splitOnPunct(s: string): [number, number][] {
  const out: [number, number][] = [];
  let start = 0;
  let i = 0;
  for (const ch of s) {
    if (isPunct(ch)) {
      if (i > start) out.push([start, i]);
      out.push([i, i + ch.length]);
      start = i + ch.length;
    }
    i += ch.length;
  }
  if (start < s.length) out.push([start, s.length]);
  return out;
}

/** The tokenizer.json equivalent of a slow SentencePiece tokenizer (convert_slow_tokenizer's layout). */
export function sentencePieceTokenizerJson(spec: SentencePieceTokenizerSpec, sp: SentencePieceModel, vocab: [string, number][], unkId: number,
  specials: Record<string, { content: string }>, addedTokens: unknown[]): Record<string, any> {
  const idOf = (t: string) => vocab.findIndex(([p]) => p === t);
  const special = (key: string) => specials[key]?.content;
  const tpl = (items: (string | 'A' | 'B')[], typeB: number) => items.map((it) => (it === 'A' ? { Sequence: { id: 'A', type_id: 0 } }
    : it === 'B' ? { Sequence: { id: 'B', type_id: typeB } } : { SpecialToken: { id: it, type_id: 0 } }));
  let single: any[] = [], pair: any[] = [];
  const used: string[] = [];
  if (spec.template === 'bert') {
    const cls = special('cls_token')!, sep = special('sep_token')!;
    single = tpl([cls, 'A', sep], 1);
    pair = [...tpl([cls, 'A', sep], 1), ...tpl(['B'], 1), { SpecialToken: { id: sep, type_id: 1 } }];
    used.push(cls, sep);
  } else if (spec.template === 'roberta') {
    const cls = special('cls_token')!, sep = special('sep_token')!;
    single = tpl([cls, 'A', sep], 0);
    pair = tpl([cls, 'A', sep, sep, 'B', sep], 0);
    used.push(cls, sep);
  } else {
    const eos = special('eos_token')!;
    single = tpl(['A', eos], 0);
    pair = tpl(['A', eos, 'B', eos], 0);
    used.push(eos);
  }
  const specialTokens: Record<string, any> = {};
  for (const t of used) specialTokens[t] = { id: t, ids: [idOf(t)], tokens: [t] };
  const charsmap = sp.proto.normalizer.precompiledCharsmap;
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: addedTokens,
    normalizer: charsmap ? { type: 'Precompiled', precompiled_charsmap: Buffer.from(charsmap).toString('base64') } : null,
    pre_tokenizer: { type: 'Metaspace', replacement: SPACE, add_prefix_space: sp.proto.normalizer.addDummyPrefix },
    post_processor: { type: 'TemplateProcessing', single, pair, special_tokens: specialTokens },
    decoder: { type: 'Metaspace', replacement: SPACE, add_prefix_space: sp.proto.normalizer.addDummyPrefix },
    model: { type: 'Unigram', unk_id: unkId, vocab, byte_fallback: sp.proto.trainer.byteFallback },
  };
}
