// PreTrainedTokenizer: transformers' tokenizer API (call, truncation, padding, special tokens,
// decode, save) over @huggingface/tokenizers, which does normalise, pre-tokenise and the model.
// Where @huggingface/tokenizers and Python's slow tokenizers differ (post-processing, RoBERTa
// token types, empty second texts, decoding), hubtune follows Python transformers 4.29.
import { mkdirSync } from 'node:fs';
import { inspect } from 'node:util';
import { pyRepr } from '../datasets/pyrepr';
import { writeFileAtomicSync } from '../util/atomic-file';
import { join } from 'node:path';
import { Tokenizer as BackendTokenizer } from '@huggingface/tokenizers';
import { byteLevelTokensToString, byteToUnicodeTable } from './tokenizers/byte-level';
import { vocabularyFilesFromModel, type AddedTokenJson } from './tokenizers/build';
import { CallableBase } from './tokenizers/callable';
import { AddedTokenSplitter } from './tokenizers/added-tokens';
import type { TextModel, EncodedText } from './tokenizers/text-model';
import { encodeWordPiece, encodeByteLevel } from './tokenizers/aligned';
import { isTensor, stackToTensor, type Tensor } from './tokenization-tensors';
import { renderChatTemplate, resolveChatTemplate, parseChatTemplateField, type ChatMessage, type ApplyChatTemplateOptions } from './chat-template';

/** Characters that BertNormalizer(clean_text) turns into a space (JS \\s minus control characters). */
const BERT_SPACE_RE = /[ \t\n\r\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/;
const PIECE_CACHE_SIZE = 200_000;
const UTF8 = new TextEncoder();

/** transformers' VERY_LARGE_INTEGER: model_max_length of a tokenizer that has none. */
export const VERY_LARGE_INTEGER = 1e30;

export type PaddingOption = boolean | 'longest' | 'max_length' | 'do_not_pad';
export type TruncationOption = boolean | 'longest_first' | 'only_first' | 'only_second' | 'do_not_truncate';
export type ReturnTensors = 'pt' | null | undefined;

export interface EncodeOptions {
  /** Target texts (seq2seq labels): their input ids come back as `labels` (transformers' text_target). */
  textTarget?: string | string[];
  textPairTarget?: string | string[];
  addSpecialTokens?: boolean;
  padding?: PaddingOption;
  truncation?: TruncationOption;
  maxLength?: number | null;
  padToMultipleOf?: number | null;
  returnTensors?: ReturnTensors;
  returnTokenTypeIds?: boolean;
  returnAttentionMask?: boolean;
  returnSpecialTokensMask?: boolean;
  returnLength?: boolean;
  /** Per token, [start, end) of its characters in the text (UTF-16 indices: text.slice(start, end)); [0, 0] for special tokens. */
  returnOffsetsMapping?: boolean;
  /** With truncation: the truncated rest becomes further rows (windows overlapping by `stride` tokens), with overflow_to_sample_mapping. */
  returnOverflowingTokens?: boolean;
  /** Tokens shared by consecutive overflow windows. */
  stride?: number;
  /** The text is a list of words (a batch: a list of lists); each word is tokenised alone and wordIds() gives the word of each token. */
  isSplitIntoWords?: boolean;
  verbose?: boolean;
}

export interface PadOptions {
  padding?: PaddingOption;
  maxLength?: number | null;
  padToMultipleOf?: number | null;
  returnAttentionMask?: boolean;
  returnTensors?: ReturnTensors;
  verbose?: boolean;
}

export interface DecodeOptions {
  skipSpecialTokens?: boolean;
  cleanUpTokenizationSpaces?: boolean;
  spacesBetweenSpecialTokens?: boolean;
}

/**
 * What a tokenizer call returns: a plain object keyed like transformers (`input_ids`,
 * `attention_mask`, `token_type_ids`, `special_tokens_mask`), matching `modelInputNames` and
 * dataset column names. Values are number[] (one text), number[][] (a batch) or int64 Tensors.
 */
export interface BatchEncoding<V = number[] | number[][] | Tensor> {
  input_ids: V;
  attention_mask?: V;
  token_type_ids?: V;
  special_tokens_mask?: V;
  offset_mapping?: V extends number[][] ? [number, number][][] : V extends number[] ? [number, number][] : Tensor;
  overflow_to_sample_mapping?: V extends Tensor ? Tensor : number[];
  length?: V extends number[][] ? number[] : V extends number[] ? number : Tensor;
  /** The word index of each token of row `batchIndex` (null for special tokens and padding), as fast tokenizers' word_ids(). */
  wordIds(batchIndex?: number): (number | null)[];
  /** Which sequence (0 the text, 1 the pair) each token of row `batchIndex` comes from (null for special tokens and padding). */
  sequenceIds(batchIndex?: number): (number | null)[];
  [key: string]: unknown;
}

/** A token that is never split: transformers' AddedToken. */
export interface AddedToken {
  content: string;
  lstrip?: boolean;
  rstrip?: boolean;
  normalized?: boolean;
  singleWord?: boolean;
}

export type SpecialTokenKey = 'bos_token' | 'eos_token' | 'unk_token' | 'sep_token' | 'pad_token' | 'cls_token' | 'mask_token';
export const SPECIAL_TOKEN_KEYS: readonly SpecialTokenKey[] = ['bos_token', 'eos_token', 'unk_token', 'sep_token', 'pad_token', 'cls_token', 'mask_token'];

/** Everything a PreTrainedTokenizer is made from (AutoTokenizer assembles it from files). */
export interface TokenizerInit {
  /** A tokenizer.json object (read from the file, or built from vocabulary files). */
  tokenizerJson: Record<string, any>;
  /** tokenizer_config.json merged with special_tokens_map.json and overrides (snake_case keys). */
  config: Record<string, any>;
  /** Special tokens, resolved. */
  specialTokens: Partial<Record<SpecialTokenKey, AddedToken>>;
  additionalSpecialTokens?: AddedToken[];
  modelMaxLength: number;
  modelInputNames: string[];
  paddingSide?: 'right' | 'left';
  truncationSide?: 'right' | 'left';
  cleanUpTokenizationSpaces?: boolean;
  tokenizerClass?: string;
  nameOrPath?: string;
  /** The model stage when @huggingface/tokenizers cannot do it (SentencePiece models). */
  textModel?: TextModel;
  /** Files savePretrained writes besides the configs (the SentencePiece .model of a slow tokenizer). */
  modelFiles?: Record<string, Uint8Array>;
  /** Whether savePretrained writes tokenizer.json (default true; a slow SentencePiece tokenizer writes its .model instead). */
  saveTokenizerJson?: boolean;
}

type Piece = { special: number[]; typeId: number } | { seq: 0 | 1; typeId: number };
/** One input sequence: its ids and, when details were asked for, the offsets and word index of each id. */
interface Seq { ids: number[]; offsets?: [number, number][]; words?: (number | null)[] }
/** One encoded row with its per-token word and sequence indices (kept beside the returned keys). */
interface Row { enc: Encoded; words: (number | null)[] | null; seqIds: (number | null)[] }
interface Template { single: Piece[]; pair: Piece[] }

type PaddingStrategy = 'longest' | 'max_length' | 'do_not_pad';
type TruncationStrategy = 'longest_first' | 'only_first' | 'only_second' | 'do_not_truncate';
type Encoded = Record<string, any[]>;

const SNAKE_OPTION_KEYS: Record<string, string> = {
  add_special_tokens: 'addSpecialTokens', max_length: 'maxLength', pad_to_multiple_of: 'padToMultipleOf',
  return_tensors: 'returnTensors', return_token_type_ids: 'returnTokenTypeIds', return_attention_mask: 'returnAttentionMask',
  return_special_tokens_mask: 'returnSpecialTokensMask', return_length: 'returnLength', skip_special_tokens: 'skipSpecialTokens',
  clean_up_tokenization_spaces: 'cleanUpTokenizationSpaces', spaces_between_special_tokens: 'spacesBetweenSpecialTokens',
  return_offsets_mapping: 'returnOffsetsMapping', return_overflowing_tokens: 'returnOverflowingTokens', is_split_into_words: 'isSplitIntoWords',
};

/** Accepts transformers' snake_case option names (from JSON/YAML configs) beside camelCase. */
function normalizeOptions<T extends object>(opts: T | undefined | null): T {
  if (!opts) return {} as T;
  let out: any = null;
  for (const key of Object.keys(opts)) {
    const camel = SNAKE_OPTION_KEYS[key];
    if (camel !== undefined) {
      out ??= { ...opts };
      if (out[camel] === undefined) out[camel] = (opts as any)[key];
      delete out[key];
    }
  }
  return (out ?? opts) as T;
}

function isPlainOptions(x: unknown): boolean {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function describe(x: unknown): string {
  if (x === null) return 'null';
  if (Array.isArray(x)) return 'an array';
  return typeof x === 'object' ? `a ${(x as object).constructor?.name ?? 'object'}` : `a ${typeof x}`;
}

/** transformers' clean_up_tokenization. */
export function cleanUpTokenization(text: string): string {
  return text
    .replaceAll(' .', '.').replaceAll(' ?', '?').replaceAll(' !', '!').replaceAll(' ,', ',')
    .replaceAll(" ' ", "'").replaceAll(" n't", "n't").replaceAll(" 'm", "'m").replaceAll(" 's", "'s")
    .replaceAll(" 've", "'ve").replaceAll(" 're", "'re");
}

function writeAtomic(path: string, text: string): void {
  writeFileAtomicSync(path, text);
}

export interface PreTrainedTokenizer {
  (text: string[][], textPair: string[][] | null | undefined, options: EncodeOptions & { isSplitIntoWords: true }): BatchEncoding<number[][]>;
  (text: string[][], options: EncodeOptions & { isSplitIntoWords: true }): BatchEncoding<number[][]>;
  (text: string[], textPair: string[] | null | undefined, options: EncodeOptions & { isSplitIntoWords: true }): BatchEncoding<number[]>;
  (text: string[], options: EncodeOptions & { isSplitIntoWords: true }): BatchEncoding<number[]>;
  (text: string | string[], textPair: string | string[] | null | undefined, options: EncodeOptions & { returnOverflowingTokens: true; returnTensors?: null }): BatchEncoding<number[][]>;
  (text: string | string[], options: EncodeOptions & { returnOverflowingTokens: true; returnTensors?: null }): BatchEncoding<number[][]>;
  (text: string | string[], textPair: string | string[] | null | undefined, options: EncodeOptions & { returnTensors: 'pt' }): BatchEncoding<Tensor>;
  (text: string | string[], options: EncodeOptions & { returnTensors: 'pt' }): BatchEncoding<Tensor>;
  (text: string, textPair?: string | null | EncodeOptions, options?: EncodeOptions): BatchEncoding<number[]>;
  (text: string[], textPair?: string[] | null | EncodeOptions, options?: EncodeOptions): BatchEncoding<number[][]>;
}

/**
 * A tokenizer with transformers' PreTrainedTokenizer API. Build it with
 * `AutoTokenizer.fromPretrained(...)`. Instances are callable: `tokenizer(text, textPair?, options)`
 * is `tokenizer.call(text, textPair?, options)`.
 */
export class PreTrainedTokenizer extends CallableBase {
  readonly backend: BackendTokenizer;
  readonly tokenizerJson: Record<string, any>;
  readonly initConfig: Record<string, any>;
  readonly tokenizerClass: string | undefined;
  readonly nameOrPath: string;
  modelMaxLength: number;
  modelInputNames: string[];
  paddingSide: 'right' | 'left';
  truncationSide: 'right' | 'left';
  cleanUpTokenizationSpaces: boolean;
  padTokenTypeId = 0;

  private specialTokens: Partial<Record<SpecialTokenKey, AddedToken>>;
  private additional: AddedToken[];
  private readonly baseVocab: Map<string, number>;
  private readonly baseIdToToken: string[];
  private readonly addedEncoder = new Map<string, number>();
  private readonly addedDecoder = new Map<number, string>();
  private readonly template: Template;
  private readonly decoderKind: 'wordpiece' | 'bytelevel' | 'backend';
  private readonly wordpiecePrefix: string;
  private readonly unkIdFallback: number | undefined;
  private allSpecialIdSet: Set<number> | null = null;
  private warnedTooLong = false;
  private fastPath: 'wordpiece' | 'bytelevel' | null = null;
  private byteLevelPattern: RegExp | null = null;
  private addedFirstChars: RegExp | null = null;
  private readonly pieceCache = new Map<string, number[]>();
  private warnedImplicitTruncation = false;
  /** The model stage that replaces the backend's (SentencePiece), or null. */
  readonly textModel: TextModel | null;
  private readonly modelFiles: Record<string, Uint8Array>;
  private readonly saveTokenizerJson: boolean;
  private addedSplitter: AddedTokenSplitter | null = null;

  constructor(init: TokenizerInit) {
    super();
    this.tokenizerJson = init.tokenizerJson;
    this.initConfig = init.config;
    this.tokenizerClass = init.tokenizerClass;
    this.nameOrPath = init.nameOrPath ?? '';
    this.modelMaxLength = init.modelMaxLength;
    this.modelInputNames = init.modelInputNames;
    this.paddingSide = init.paddingSide ?? 'right';
    this.truncationSide = init.truncationSide ?? 'right';
    this.cleanUpTokenizationSpaces = init.cleanUpTokenizationSpaces ?? true;
    this.specialTokens = { ...init.specialTokens };
    this.additional = [...(init.additionalSpecialTokens ?? [])];
    this.textModel = init.textModel ?? null;
    this.modelFiles = init.modelFiles ?? {};
    this.saveTokenizerJson = init.saveTokenizerJson ?? true;

    const model = init.tokenizerJson.model ?? {};
    this.baseVocab = new Map();
    this.baseIdToToken = [];
    if (model.vocab && !Array.isArray(model.vocab)) {
      for (const [tok, id] of Object.entries(model.vocab as Record<string, number>)) {
        this.baseVocab.set(tok, id);
        this.baseIdToToken[id] = tok;
      }
    } else if (Array.isArray(model.vocab)) {
      // Unigram: [[piece, score], ...]
      (model.vocab as Array<[string, number]>).forEach(([tok], id) => {
        this.baseVocab.set(tok, id);
        this.baseIdToToken[id] = tok;
      });
    }
    for (const t of (init.tokenizerJson.added_tokens ?? []) as AddedTokenJson[]) {
      if (!this.baseVocab.has(t.content) || this.baseVocab.get(t.content) !== t.id) {
        this.addedEncoder.set(t.content, t.id);
        this.addedDecoder.set(t.id, t.content);
      }
    }
    this.backend = new BackendTokenizer(init.tokenizerJson, { ...init.config, clean_up_tokenization_spaces: false });
    this.template = this.parsePostProcessor(init.tokenizerJson.post_processor);
    this.chooseFastPath(init.tokenizerJson);
    const dec = init.tokenizerJson.decoder;
    this.decoderKind = dec?.type === 'WordPiece' ? 'wordpiece' : dec?.type === 'ByteLevel' ? 'bytelevel' : 'backend';
    this.wordpiecePrefix = dec?.prefix ?? '##';
    const unk = this.specialTokens.unk_token?.content ?? model.unk_token;
    this.unkIdFallback = unk !== undefined && unk !== null ? this.addedEncoder.get(unk) ?? this.baseVocab.get(unk) : undefined;
  }

  // ---------------------------------------------------------------- vocabulary and special tokens

  /** Size of the base vocabulary (without added tokens), like transformers' `vocab_size`. */
  get vocabSize(): number {
    return this.baseVocab.size;
  }

  /** Base vocabulary plus added tokens: Python's `len(tokenizer)`. */
  get length(): number {
    let n = this.baseVocab.size;
    for (const id of this.addedDecoder.keys()) if (id >= this.baseVocab.size) n++;
    return n;
  }

  /** The class name transformers' AutoTokenizer would give (`RobertaTokenizerFast`; slow SentencePiece ones without `Fast`). */
  get className(): string {
    const fast = !this.textModel;
    const base = (this.tokenizerClass ?? 'PreTrainedTokenizer').replace(/Fast$/, '');
    return fast ? `${base}Fast` : base;
  }

  /** transformers' repr: the class, its settings and special tokens, then added_tokens_decoder one per line. */
  override toString(): string {
    const b = (x: unknown) => (x ? 'True' : 'False');
    const max = this.modelMaxLength;
    const maxText = Number.isSafeInteger(max) || !Number.isFinite(max) ? String(max) : BigInt(Math.round(max)).toString();
    const head = `${this.className}(name_or_path=${pyRepr(this.nameOrPath)}, vocab_size=${this.vocabSize}, model_max_length=${maxText}, `
      + `is_fast=${b(!this.textModel)}, padding_side=${pyRepr(this.paddingSide)}, truncation_side=${pyRepr(this.truncationSide)}, `
      + `special_tokens=${pyRepr(this.specialTokensMap)}, clean_up_tokenization_spaces=${b(this.cleanUpTokenizationSpaces)})`;
    const added = ((this.tokenizerJson.added_tokens ?? []) as AddedTokenJson[]).slice().sort((x, y) => x.id - y.id);
    const rows = added.map((t) => `\t${t.id}: AddedToken(${JSON.stringify(t.content)}, rstrip=${b(t.rstrip)}, lstrip=${b(t.lstrip)}, single_word=${b(t.single_word)}, normalized=${b(t.normalized)}, special=${b(t.special)}),`);
    return `${head},  added_tokens_decoder={\n${rows.join('\n')}${rows.length ? '\n' : ''}}`;
  }
  [inspect.custom](): string { return this.toString(); }

  /** token -> id for the whole vocabulary, added tokens included. */
  getVocab(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [t, id] of this.baseVocab) out[t] = id;
    for (const [t, id] of this.addedEncoder) out[t] = id;
    return out;
  }

  /** Tokens added beyond the base vocabulary: content -> id. */
  get addedTokensEncoder(): Record<string, number> {
    return Object.fromEntries(this.addedEncoder);
  }

  private getSpecial(key: SpecialTokenKey): string | null {
    return this.specialTokens[key]?.content ?? null;
  }

  private setSpecial(key: SpecialTokenKey, value: string | AddedToken | null): void {
    if (value === null) delete this.specialTokens[key];
    else this.specialTokens[key] = typeof value === 'string' ? { content: value } : { ...value };
    this.allSpecialIdSet = null;
  }

  private specialId(key: SpecialTokenKey): number | null {
    const tok = this.getSpecial(key);
    return tok === null ? null : this.tokenToId(tok);
  }

  get bosToken(): string | null { return this.getSpecial('bos_token'); }
  set bosToken(v: string | AddedToken | null) { this.setSpecial('bos_token', v); }
  get eosToken(): string | null { return this.getSpecial('eos_token'); }
  set eosToken(v: string | AddedToken | null) { this.setSpecial('eos_token', v); }
  get unkToken(): string | null { return this.getSpecial('unk_token'); }
  set unkToken(v: string | AddedToken | null) { this.setSpecial('unk_token', v); }
  get sepToken(): string | null { return this.getSpecial('sep_token'); }
  set sepToken(v: string | AddedToken | null) { this.setSpecial('sep_token', v); }
  get padToken(): string | null { return this.getSpecial('pad_token'); }
  set padToken(v: string | AddedToken | null) { this.setSpecial('pad_token', v); }
  get clsToken(): string | null { return this.getSpecial('cls_token'); }
  set clsToken(v: string | AddedToken | null) { this.setSpecial('cls_token', v); }
  get maskToken(): string | null { return this.getSpecial('mask_token'); }
  set maskToken(v: string | AddedToken | null) { this.setSpecial('mask_token', v); }
  get additionalSpecialTokens(): string[] { return this.additional.map((t) => t.content); }

  get bosTokenId(): number | null { return this.specialId('bos_token'); }
  get eosTokenId(): number | null { return this.specialId('eos_token'); }
  get unkTokenId(): number | null { return this.specialId('unk_token'); }
  get sepTokenId(): number | null { return this.specialId('sep_token'); }
  get padTokenId(): number | null { return this.specialId('pad_token'); }
  get clsTokenId(): number | null { return this.specialId('cls_token'); }
  get maskTokenId(): number | null { return this.specialId('mask_token'); }
  get additionalSpecialTokensIds(): number[] { return this.additional.map((t) => this.tokenToId(t.content)); }

  /** Special tokens by attribute (snake_case keys, like Python's special_tokens_map). */
  get specialTokensMap(): Record<string, string | string[]> {
    const out: Record<string, string | string[]> = {};
    for (const key of SPECIAL_TOKEN_KEYS) {
      const t = this.specialTokens[key];
      if (t) out[key] = t.content;
    }
    if (this.additional.length) out.additional_special_tokens = this.additionalSpecialTokens;
    return out;
  }

  /** Every special token, without duplicates, in transformers' order. */
  get allSpecialTokens(): string[] {
    const out: string[] = [];
    for (const key of SPECIAL_TOKEN_KEYS) {
      const t = this.specialTokens[key];
      if (t && !out.includes(t.content)) out.push(t.content);
    }
    for (const t of this.additional) if (!out.includes(t.content)) out.push(t.content);
    return out;
  }

  get allSpecialIds(): number[] {
    return this.allSpecialTokens.map((t) => this.tokenToId(t));
  }

  private specialIdSet(): Set<number> {
    return (this.allSpecialIdSet ??= new Set(this.allSpecialIds));
  }

  private tokenToId(token: string): number {
    const id = this.addedEncoder.get(token) ?? this.baseVocab.get(token) ?? this.unkIdFallback;
    if (id === undefined) throw new Error(`token ${JSON.stringify(token)} is not in the vocabulary and the tokenizer has no unk_token: add it to the vocabulary`);
    return id;
  }

  private idToToken(id: number): string {
    const t = this.addedDecoder.get(id) ?? this.baseIdToToken[id];
    if (t === undefined) {
      throw new RangeError(`token id ${id} is outside the vocabulary (0..${this.length - 1}): decode ids produced by this tokenizer`);
    }
    return t;
  }

  /** Token(s) -> id(s), unknown tokens -> unk id (transformers' convert_tokens_to_ids). */
  convertTokensToIds(tokens: string): number;
  convertTokensToIds(tokens: readonly string[]): number[];
  convertTokensToIds(tokens: string | readonly string[]): number | number[] {
    if (typeof tokens === 'string') return this.tokenToId(tokens);
    return tokens.map((t) => this.tokenToId(t));
  }

  /** Id(s) -> token(s) (transformers' convert_ids_to_tokens). */
  convertIdsToTokens(ids: number, skipSpecialTokens?: boolean): string;
  convertIdsToTokens(ids: ArrayLike<number | bigint>, skipSpecialTokens?: boolean): string[];
  convertIdsToTokens(ids: number | ArrayLike<number | bigint>, skipSpecialTokens = false): string | string[] {
    if (typeof ids === 'number') return this.idToToken(ids);
    const special = skipSpecialTokens ? this.specialIdSet() : null;
    const out: string[] = [];
    for (let i = 0; i < ids.length; i++) {
      const id = Number(ids[i]);
      if (special?.has(id)) continue;
      out.push(this.idToToken(id));
    }
    return out;
  }

  /** Tokens -> text, like the slow tokenizer's convert_tokens_to_string. */
  convertTokensToString(tokens: readonly string[]): string {
    if (this.decoderKind === 'wordpiece') return tokens.join(' ').replaceAll(` ${this.wordpiecePrefix}`, '').trim();
    if (this.decoderKind === 'bytelevel') {
      // BPE with an end-of-word suffix (CLIP's "</w>"): the suffix is the space, as CLIPTokenizer decodes
      const suffix = this.tokenizerJson.model?.end_of_word_suffix;
      const text = byteLevelTokensToString(tokens);
      return suffix ? text.replaceAll(suffix, ' ').trim() : text;
    }
    if (this.textModel) {
      const special = new Set(this.allSpecialTokens);
      return this.textModel.tokensToString(tokens, (t) => special.has(t));
    }
    const decoder = (this.backend as any).decoder;
    return decoder ? decoder(tokens as string[]) : tokens.join(' ');
  }

  // ---------------------------------------------------------------- tokenisation

  /** Splits text into tokens (no special tokens added): transformers' tokenize(). */
  tokenize(text: string): string[] {
    if (typeof text !== 'string') throw new TypeError(`tokenize() needs a string, got ${describe(text)}`);
    if (this.textModel) return this.encodeText(text).tokens;
    return (this.backend as any).encode_text(text) as string[];
  }

  /**
   * Text -> tokens, ids and offsets in `text` through the model stage of `textModel`: the text is split
   * on added tokens first (their lstrip/rstrip taken into account), each other section encoded alone.
   */
  protected encodeText(text: string): EncodedText {
    this.addedSplitter ??= new AddedTokenSplitter((this.tokenizerJson.added_tokens ?? []) as AddedTokenJson[]);
    const out: EncodedText = { tokens: [], ids: [], offsets: [] };
    for (const sec of this.addedSplitter.split(text)) {
      if (sec.token) {
        out.tokens.push(sec.token.content);
        out.ids.push(this.tokenToId(sec.token.content));
        out.offsets.push([sec.start, sec.end]);
        continue;
      }
      const enc = this.textModel!.encode(sec.text);
      for (let i = 0; i < enc.ids.length; i++) {
        out.tokens.push(enc.tokens[i]!);
        out.ids.push(enc.ids[i]!);
        out.offsets.push([enc.offsets[i]![0] + sec.start, enc.offsets[i]![1] + sec.start]);
      }
    }
    return out;
  }

  /**
   * Text -> ids with the offsets and pre-tokenizer word index of each token (fast tokenizers'
   * offset_mapping and word_ids): added tokens split off first (each its own word), then the text
   * model, or the aligned WordPiece / byte-level BPE encoders.
   */
  protected encodeDetailed(text: string): Required<EncodedText> {
    this.addedSplitter ??= new AddedTokenSplitter((this.tokenizerJson.added_tokens ?? []) as AddedTokenJson[]);
    const out: Required<EncodedText> = { tokens: [], ids: [], offsets: [], words: [] };
    let word = 0;
    for (const sec of this.addedSplitter.split(text)) {
      if (sec.token) {
        out.tokens.push(sec.token.content);
        out.ids.push(this.tokenToId(sec.token.content));
        out.offsets.push([sec.start, sec.end]);
        out.words.push(word++);
        continue;
      }
      const enc = this.alignedModelEncode(sec.text);
      let last = -1;
      enc.ids.forEach((id, i) => {
        out.tokens.push(enc.tokens[i]!);
        out.ids.push(id);
        out.offsets.push([enc.offsets[i]![0] + sec.start, enc.offsets[i]![1] + sec.start]);
        out.words.push(word + enc.words![i]!);
        last = Math.max(last, enc.words![i]!);
      });
      word += last + 1;
    }
    return out;
  }

  private alignedModelEncode(text: string): EncodedText {
    if (this.textModel) {
      const e = this.textModel.encode(text);
      if (!e.words) {
        // Metaspace words: a token starting with U+2581 starts a new word
        let w = -1;
        e.words = e.tokens.map((t, i) => (i === 0 || t.startsWith('\u2581') ? ++w : w));
      }
      return e;
    }
    const tj = this.tokenizerJson;
    const model = (this.backend as any).model as (words: string[]) => string[];
    const lookup = (t: string) => this.tokenToId(t);
    const norm = tj.normalizer, pre = tj.pre_tokenizer;
    if (tj.model?.type === 'WordPiece' && (!norm || norm.type === 'BertNormalizer') && (!pre || pre.type === 'BertPreTokenizer')) {
      return encodeWordPiece(text, norm ?? null, model, lookup, tj.model.continuing_subword_prefix ?? '##');
    }
    if (tj.model?.type === 'BPE' && !norm && pre?.type === 'ByteLevel') {
      const trim = tj.post_processor?.trim_offsets ?? tj.post_processor?.processors?.find?.((p: any) => 'trim_offsets' in p)?.trim_offsets ?? true;
      return encodeByteLevel(text, !!pre.add_prefix_space, model, lookup, trim);
    }
    throw new Error(`offsets and word ids are not available for this tokenizer (${tj.model?.type} model, ${norm?.type ?? 'no'} normalizer, ${pre?.type ?? 'no'} pre-tokenizer): hubtune aligns WordPiece, byte-level BPE and SentencePiece tokenizers`);
  }

  private slowTextToIds(text: string): number[] {
    if (this.textModel) return this.encodeText(text).ids;
    const tokens: string[] = (this.backend as any).encode_text(text);
    const ids = new Array<number>(tokens.length);
    for (let i = 0; i < tokens.length; i++) ids[i] = this.tokenToId(tokens[i]);
    return ids;
  }

  private cacheIds(key: string, ids: number[]): number[] {
    if (this.pieceCache.size >= PIECE_CACHE_SIZE) this.pieceCache.clear();
    this.pieceCache.set(key, ids);
    return ids;
  }

  /**
   * Text -> ids. Fast paths cache the ids of each independent piece of text; they give exactly
   * what the backend gives for the whole text:
   * - BERT (BertNormalizer with clean_text + BertPreTokenizer): the pieces between the characters
   *   that the normaliser turns into spaces are tokenised independently;
   * - byte-level BPE without a normaliser, when the text holds no added token: the pieces are the
   *   pre-tokeniser's regex matches.
   */
  private textToIds(text: string): number[] {
    const fast = this.fastPath;
    if (fast === 'wordpiece') {
      const out: number[] = [];
      for (const piece of text.split(BERT_SPACE_RE)) {
        if (piece === '') continue;
        const ids = this.pieceCache.get(piece) ?? this.cacheIds(piece, this.slowTextToIds(piece));
        for (let i = 0; i < ids.length; i++) out.push(ids[i]);
      }
      return out;
    }
    if (fast === 'bytelevel' && (this.addedFirstChars === null || !this.addedFirstChars.test(text))) {
      const pre = (this.backend as any).pre_tokenizer;
      if (pre.add_prefix_space && text.length > 0 && !text.startsWith(' ')) text = ' ' + text;
      const words: string[] = text.match(this.byteLevelPattern!) ?? [];
      const out: number[] = [];
      const model = (this.backend as any).model;
      const table = byteToUnicodeTable();
      for (const word of words) {
        let ids = this.pieceCache.get(word);
        if (ids === undefined) {
          let encoded = '';
          for (const b of UTF8.encode(word)) encoded += table[b];
          const tokens: string[] = model([encoded]);
          ids = this.cacheIds(word, tokens.map((t) => this.tokenToId(t)));
        }
        for (let i = 0; i < ids.length; i++) out.push(ids[i]);
      }
      return out;
    }
    return this.slowTextToIds(text);
  }

  private chooseFastPath(tj: Record<string, any>): void {
    const norm = tj.normalizer, pre = tj.pre_tokenizer, model = tj.model;
    if (model?.type === 'WordPiece' && norm?.type === 'BertNormalizer' && norm.clean_text && pre?.type === 'BertPreTokenizer') {
      this.fastPath = 'wordpiece';
      return;
    }
    const backendPre = (this.backend as any).pre_tokenizer;
    if (model?.type === 'BPE' && !norm && pre?.type === 'ByteLevel' && backendPre?.use_regex && backendPre.pattern instanceof RegExp && !model.dropout) {
      this.fastPath = 'bytelevel';
      this.byteLevelPattern = backendPre.pattern;
      const firsts = new Set<string>();
      for (const t of (tj.added_tokens ?? []) as AddedTokenJson[]) if (t.content.length) firsts.add(String.fromCodePoint(t.content.codePointAt(0)!));
      this.addedFirstChars = firsts.size ? new RegExp(`[${[...firsts].map((c) => c.replace(/[\\\]\[^-]/g, '\\$&')).join('')}]`, 'u') : null;
    }
  }

  private parsePostProcessor(pp: any): Template {
    const plain: Template = { single: [{ seq: 0, typeId: 0 }], pair: [{ seq: 0, typeId: 0 }, { seq: 1, typeId: 1 }] };
    if (!pp) return plain;
    switch (pp.type) {
      case 'RobertaProcessing': {
        // Python's slow RobertaTokenizer: token type ids are all 0, also for the second text.
        const cls = { special: [pp.cls[1] as number], typeId: 0 }, sep = { special: [pp.sep[1] as number], typeId: 0 };
        return { single: [cls, { seq: 0, typeId: 0 }, sep], pair: [cls, { seq: 0, typeId: 0 }, sep, sep, { seq: 1, typeId: 0 }, sep] };
      }
      case 'BertProcessing': {
        const cls = pp.cls[1] as number, sep = pp.sep[1] as number;
        return {
          single: [{ special: [cls], typeId: 0 }, { seq: 0, typeId: 0 }, { special: [sep], typeId: 0 }],
          pair: [{ special: [cls], typeId: 0 }, { seq: 0, typeId: 0 }, { special: [sep], typeId: 0 }, { seq: 1, typeId: 1 }, { special: [sep], typeId: 1 }],
        };
      }
      case 'TemplateProcessing': {
        const conv = (items: any[]): Piece[] => items.map((it) => {
          if (it.SpecialToken) {
            const st = pp.special_tokens?.[it.SpecialToken.id];
            const ids: number[] = st?.ids ?? [this.tokenToId(it.SpecialToken.id)];
            return { special: ids, typeId: it.SpecialToken.type_id ?? 0 };
          }
          return { seq: it.Sequence.id === 'B' ? 1 : 0, typeId: it.Sequence.type_id ?? 0 };
        });
        return { single: conv(pp.single ?? []), pair: conv(pp.pair ?? []) };
      }
      case 'Sequence': {
        for (const p of pp.processors ?? []) {
          if (['RobertaProcessing', 'BertProcessing', 'TemplateProcessing'].includes(p.type)) return this.parsePostProcessor(p);
        }
        return plain;
      }
      default:
        return plain;
    }
  }

  /** How many special tokens the post-processor adds to one text or a pair. */
  numSpecialTokensToAdd(pair = false): number {
    let n = 0;
    for (const p of pair ? this.template.pair : this.template.single) if ('special' in p) n += p.special.length;
    return n;
  }

  /** Adds the special tokens: [CLS] A [SEP] (B [SEP]) for BERT, <s> A </s></s> B </s> for RoBERTa. */
  buildInputsWithSpecialTokens(ids: readonly number[], pairIds?: readonly number[] | null): number[] {
    return this.applyTemplate(ids, pairIds ?? null).inputIds;
  }

  private applyTemplate(ids: readonly number[], pairIds: readonly number[] | null): { inputIds: number[]; typeIds: number[]; specialMask: number[]; source: ([0 | 1, number] | null)[] } {
    const tpl = pairIds === null ? this.template.single : this.template.pair;
    const inputIds: number[] = [], typeIds: number[] = [], specialMask: number[] = [];
    const source: ([0 | 1, number] | null)[] = [];
    for (const p of tpl) {
      if ('special' in p) {
        for (const id of p.special) { inputIds.push(id); typeIds.push(p.typeId); specialMask.push(1); source.push(null); }
      } else {
        const seq = p.seq === 0 ? ids : pairIds ?? [];
        seq.forEach((id, i) => { inputIds.push(id); typeIds.push(p.typeId); specialMask.push(0); source.push([p.seq, i]); });
      }
    }
    if (pairIds !== null && !this.template.pair.some((p) => 'seq' in p && p.seq === 1)) {
      pairIds.forEach((id, i) => { inputIds.push(id); typeIds.push(1); specialMask.push(0); source.push([1, i]); });
    }
    return { inputIds, typeIds, specialMask, source };
  }

  /** 1 for special tokens. With alreadyHasSpecialTokens, marks the ids that are special tokens. */
  getSpecialTokensMask(ids: readonly number[], pairIds?: readonly number[] | null, alreadyHasSpecialTokens = false): number[] {
    if (alreadyHasSpecialTokens) {
      const special = this.specialIdSet();
      return ids.map((id) => (special.has(id) ? 1 : 0));
    }
    return this.applyTemplate(ids, pairIds ?? null).specialMask;
  }

  /** Token type ids for a text or pair with special tokens added. */
  createTokenTypeIdsFromSequences(ids: readonly number[], pairIds?: readonly number[] | null): number[] {
    return this.applyTemplate(ids, pairIds ?? null).typeIds;
  }

  // ---------------------------------------------------------------- strategies

  private resolveStrategies(padding: PaddingOption | undefined, truncation: TruncationOption | undefined, maxLength: number | null | undefined,
    padToMultipleOf: number | null | undefined, verbose: boolean): { padding: PaddingStrategy; truncation: TruncationStrategy; maxLength: number | null } {
    let pad: PaddingStrategy;
    if (padding === undefined || padding === false || padding === 'do_not_pad') pad = 'do_not_pad';
    else if (padding === true || padding === 'longest') pad = 'longest';
    else if (padding === 'max_length') pad = 'max_length';
    else throw new Error(`padding must be true, false, 'longest', 'max_length' or 'do_not_pad', got ${JSON.stringify(padding)}`);

    let trunc: TruncationStrategy;
    if (truncation === undefined && maxLength != null && pad === 'do_not_pad') {
      if (verbose && !this.warnedImplicitTruncation) {
        this.warnedImplicitTruncation = true;
        console.warn("Truncation was not explicitly activated but `maxLength` is provided a specific value, please use `truncation: true` to explicitly truncate examples to max length. Defaulting to 'longest_first' truncation strategy.");
      }
      trunc = 'longest_first';
    } else if (truncation === undefined || truncation === false || truncation === 'do_not_truncate') trunc = 'do_not_truncate';
    else if (truncation === true || truncation === 'longest_first') trunc = 'longest_first';
    else if (truncation === 'only_first' || truncation === 'only_second') trunc = truncation;
    else throw new Error(`truncation must be true, false, 'longest_first', 'only_first', 'only_second' or 'do_not_truncate', got ${JSON.stringify(truncation)}`);

    let max = maxLength ?? null;
    if (max === null) {
      if (pad === 'max_length') {
        if (this.modelMaxLength >= VERY_LARGE_INTEGER) {
          if (verbose) console.warn('Asked to pad to max_length but no maximum length is provided and the model has no predefined maximum length. Default to no padding.');
          pad = 'do_not_pad';
        } else max = this.modelMaxLength;
      }
      if (trunc !== 'do_not_truncate') {
        if (this.modelMaxLength >= VERY_LARGE_INTEGER) {
          if (verbose) console.warn('Asked to truncate to max_length but no maximum length is provided and the model has no predefined maximum length. Default to no truncation.');
          trunc = 'do_not_truncate';
        } else max = this.modelMaxLength;
      }
    }
    if (pad !== 'do_not_pad' && (this.padToken === null || this.padTokenId === null || this.padTokenId < 0)) {
      throw new Error('Asking to pad but the tokenizer has no padding token: set tokenizer.padToken (e.g. tokenizer.padToken = tokenizer.eosToken) or pass padding: false');
    }
    if (trunc !== 'do_not_truncate' && pad !== 'do_not_pad' && padToMultipleOf && max && max % padToMultipleOf !== 0) {
      throw new Error(`Truncation and padding are both activated but truncation length (${max}) is not a multiple of padToMultipleOf (${padToMultipleOf}): choose a maxLength that is`);
    }
    return { padding: pad, truncation: trunc, maxLength: max };
  }

  // ---------------------------------------------------------------- truncation, model inputs, padding

  /** transformers' truncate_sequences (no stride / overflow). Returns the truncated copies. */
  truncateSequences(ids: number[], pairIds: number[] | null, numTokensToRemove: number, strategy: TruncationStrategy): [number[], number[] | null] {
    if (numTokensToRemove <= 0) return [ids, pairIds];
    const left = this.truncationSide === 'left';
    const cut = (seq: number[], n: number): number[] => (left ? seq.slice(n) : seq.slice(0, seq.length - n));
    if (strategy === 'only_first' || (strategy === 'longest_first' && pairIds === null)) {
      if (ids.length > numTokensToRemove) ids = cut(ids, numTokensToRemove);
      else console.error(`We need to remove ${numTokensToRemove} tokens to truncate the input but the first sequence has a length ${ids.length}. ` +
        (strategy === 'longest_first' ? "Please select another truncation strategy than 'longest_first', for instance 'only_second' or 'only_first'." : ''));
    } else if (strategy === 'longest_first' && pairIds !== null) {
      let a = ids.length, b = pairIds.length;
      for (let i = 0; i < numTokensToRemove; i++) {
        if (a > b) a--;
        else if (b > 0) b--;
        else break;
      }
      ids = a < ids.length ? cut(ids, ids.length - a) : ids;
      pairIds = b < pairIds.length ? cut(pairIds, pairIds.length - b) : pairIds;
    } else if (strategy === 'only_second' && pairIds !== null) {
      if (pairIds.length > numTokensToRemove) pairIds = cut(pairIds, numTokensToRemove);
      else console.error(`We need to remove ${numTokensToRemove} tokens to truncate the input but the second sequence has a length ${pairIds.length}. Please select another truncation strategy than 'only_second', for instance 'longest_first' or 'only_first'.`);
    }
    return [ids, pairIds];
  }

  /**
   * Truncation (into overflow windows when asked), special tokens, token types, special-token mask
   * and offsets for one text or pair: one row, or one row per window with returnOverflowingTokens.
   */
  private prepareRows(first: Seq, pair: Seq | null, o: {
    addSpecialTokens: boolean; truncation: TruncationStrategy; maxLength: number | null; returnTokenTypeIds: boolean;
    returnSpecialTokensMask: boolean; returnOffsets: boolean; overflow: boolean; stride: number; verbose: boolean; where: string;
  }): Row[] {
    const total = first.ids.length + (pair ? pair.ids.length : 0) + (o.addSpecialTokens ? this.numSpecialTokensToAdd(pair !== null) : 0);
    let parts: [Seq, Seq | null][] = [[first, pair]];
    if (o.truncation !== 'do_not_truncate' && o.maxLength && total > o.maxLength) {
      const remove = total - o.maxLength;
      if (o.overflow) parts = this.overflowWindows(first, pair, remove, o.truncation, o.stride, o.where);
      else {
        const [a, b] = this.truncateSequences(first.ids, pair ? pair.ids : null, remove, o.truncation);
        parts = [[this.cutSeq(first, a.length), pair ? this.cutSeq(pair, b!.length) : null]];
      }
    }
    return parts.map(([a, b]) => {
      const enc: Encoded = {} as Encoded;
      let source: ([0 | 1, number] | null)[];
      if (o.addSpecialTokens) {
        const r = this.applyTemplate(a.ids, b ? b.ids : null);
        enc.input_ids = r.inputIds;
        if (o.returnTokenTypeIds) enc.token_type_ids = r.typeIds;
        if (o.returnSpecialTokensMask) enc.special_tokens_mask = r.specialMask;
        source = r.source;
      } else {
        enc.input_ids = b ? a.ids.concat(b.ids) : a.ids.slice();
        source = [...a.ids.map((_, i) => [0, i] as [0, number]), ...(b ? b.ids.map((_, i) => [1, i] as [1, number]) : [])];
        if (o.returnTokenTypeIds) enc.token_type_ids = new Array(enc.input_ids.length).fill(0);
        if (o.returnSpecialTokensMask) enc.special_tokens_mask = new Array(enc.input_ids.length).fill(0);
      }
      const seqOf = (s: 0 | 1) => (s === 0 ? a : b!);
      if (o.returnOffsets) enc.offset_mapping = source.map((src) => (src ? seqOf(src[0]).offsets![src[1]]! : [0, 0]));
      const hasWords = a.words && (!b || b.words);
      const words = hasWords ? source.map((src) => (src ? seqOf(src[0]).words![src[1]]! : null)) : null;
      if (o.maxLength === null && enc.input_ids.length > this.modelMaxLength && o.verbose && !this.warnedTooLong) {
        this.warnedTooLong = true;
        console.warn(`Token indices sequence length is longer than the specified maximum sequence length for this model (${enc.input_ids.length} > ${this.modelMaxLength}). Running this sequence through the model will result in indexing errors`);
      }
      return { enc, words, seqIds: source.map((src) => (src ? src[0] : null)) };
    });
  }

  /** The first n ids of a sequence (the last n when truncating on the left), with their details. */
  private cutSeq(s: Seq, n: number): Seq {
    if (n === s.ids.length) return s;
    const cut = <T>(x: T[] | undefined) => (x ? (this.truncationSide === 'left' ? x.slice(x.length - n) : x.slice(0, n)) : undefined);
    return { ids: cut(s.ids)!, offsets: cut(s.offsets), words: cut(s.words) };
  }

  /**
   * Fast tokenizers' overflow: the truncated sequence is cut into windows of the length that fits,
   * each starting `stride` tokens before the previous one ended; the other sequence is repeated.
   */
  private overflowWindows(first: Seq, pair: Seq | null, remove: number, strategy: TruncationStrategy, stride: number, where: string): [Seq, Seq | null][] {
    if (pair && strategy === 'longest_first') {
      throw new Error(`${where}: overflowing tokens of a pair need truncation 'only_second' (or 'only_first'), not 'longest_first'`);
    }
    if (strategy === 'only_second' && !pair) throw new Error(`${where}: truncation 'only_second' needs a second text (textPair)`);
    if (this.truncationSide === 'left') throw new Error(`${where}: returnOverflowingTokens works with truncationSide 'right' only`);
    const second = strategy === 'only_second';
    const target = second ? pair! : first;
    const keep = target.ids.length - remove;
    const what = second ? 'the second text' : pair ? 'the first text' : 'the text';
    if (keep <= 0) {
      const used = first.ids.length + (pair ? pair.ids.length : 0) - target.ids.length + this.numSpecialTokensToAdd(pair !== null);
      throw new Error(`${where}: ${what} gets no room: the other text and the special tokens take ${used} tokens of maxLength ${used + target.ids.length - remove}; shorten the other text or raise maxLength`);
    }
    if (stride >= keep) throw new Error(`${where}: stride (${stride}) must be smaller than the ${keep} tokens of ${what} that fit in one window: lower stride or raise maxLength`);
    const windows: Seq[] = [];
    const n = target.ids.length;
    for (let start = 0; ; start += keep - stride) {
      const end = Math.min(start + keep, n);
      const cut = <T>(x: T[] | undefined) => x?.slice(start, end);
      windows.push({ ids: cut(target.ids)!, offsets: cut(target.offsets), words: cut(target.words) });
      if (end === n) break;
    }
    return windows.map((w) => (second ? [first, w] : [w, pair]));
  }

  private padOne(enc: Encoded, strategy: PaddingStrategy, maxLength: number | null, padToMultipleOf: number | null | undefined, returnAttentionMask: boolean): void {
    const len = enc.input_ids.length;
    if (returnAttentionMask && !enc.attention_mask) enc.attention_mask = new Array(len).fill(1);
    if (strategy === 'longest') maxLength = len;
    if (maxLength !== null && padToMultipleOf && maxLength % padToMultipleOf !== 0) maxLength = (Math.floor(maxLength / padToMultipleOf) + 1) * padToMultipleOf;
    if (strategy === 'do_not_pad' || maxLength === null || len >= maxLength) return;
    const diff = maxLength - len;
    const padId = this.padTokenId!;
    const fill = (key: string, value: number) => {
      const arr = enc[key];
      if (!arr) return;
      const padding = new Array(diff).fill(value);
      enc[key] = this.paddingSide === 'left' ? padding.concat(arr) : arr.concat(padding);
    };
    fill('attention_mask', 0);
    fill('token_type_ids', this.padTokenTypeId);
    fill('special_tokens_mask', 1);
    if (enc.offset_mapping) {
      const padding = Array.from({ length: diff }, () => [0, 0]);
      enc.offset_mapping = this.paddingSide === 'left' ? padding.concat(enc.offset_mapping) : enc.offset_mapping.concat(padding);
    }
    if (this.paddingSide === 'left') enc.input_ids = new Array(diff).fill(padId).concat(enc.input_ids);
    else enc.input_ids = enc.input_ids.concat(new Array(diff).fill(padId));
  }

  // ---------------------------------------------------------------- the call

  /** Encodes a text, a pair, or a batch: transformers' `tokenizer(...)`. */
  call(text: string[][], textPair: string[][] | null | undefined, options: EncodeOptions & { isSplitIntoWords: true }): BatchEncoding<number[][]>;
  call(text: string[][], options: EncodeOptions & { isSplitIntoWords: true }): BatchEncoding<number[][]>;
  call(text: string | string[], textPair: string | string[] | null | undefined, options: EncodeOptions & { returnOverflowingTokens: true; returnTensors?: null }): BatchEncoding<number[][]>;
  call(text: string | string[], options: EncodeOptions & { returnOverflowingTokens: true; returnTensors?: null }): BatchEncoding<number[][]>;
  call(text: string | string[], textPair: string | string[] | null | undefined, options: EncodeOptions & { returnTensors: 'pt' }): BatchEncoding<Tensor>;
  call(text: string | string[], options: EncodeOptions & { returnTensors: 'pt' }): BatchEncoding<Tensor>;

  call(text: string[], textPair: string[] | null | undefined, options: EncodeOptions & { isSplitIntoWords: true }): BatchEncoding<number[]>;
  call(text: string[], options: EncodeOptions & { isSplitIntoWords: true }): BatchEncoding<number[]>;
  call(text: string, textPair?: string | null | EncodeOptions, options?: EncodeOptions): BatchEncoding<number[]>;
  call(text: string[], textPair?: string[] | null | EncodeOptions, options?: EncodeOptions): BatchEncoding<number[][]>;
  call(text: string | string[] | string[][], textPair?: string | string[] | string[][] | null | EncodeOptions, options?: EncodeOptions): BatchEncoding;
  call(text: string | string[] | string[][], textPair?: string | string[] | string[][] | null | EncodeOptions, options?: EncodeOptions): BatchEncoding {
    if (isPlainOptions(textPair)) {
      options = textPair as EncodeOptions;
      textPair = null;
    }
    const pair = (textPair ?? null) as string | string[] | string[][] | null;
    const o = normalizeOptions(options);
    const target = o.textTarget ?? (options as { text_target?: string | string[] } | undefined)?.text_target;
    if (target !== undefined) {
      const { textTarget: _t, textPairTarget, ...rest } = o as EncodeOptions & { text_target?: unknown };
      delete (rest as { text_target?: unknown }).text_target;
      const tgt = this.call(target as string, (textPairTarget ?? null) as string | null, rest);
      if (text === undefined || text === null) return tgt;
      const enc = this.call(text as string, pair as string | null, rest);
      enc.labels = tgt.input_ids;
      return enc;
    }
    const words = o.isSplitIntoWords === true;
    // one example is a string, or with isSplitIntoWords a list of words
    const isExample = (x: unknown) => (words ? Array.isArray(x) && x.every((w) => typeof w === 'string') : typeof x === 'string');
    const batched = words ? Array.isArray(text) && text.length > 0 && Array.isArray(text[0]) : Array.isArray(text);
    const what = words ? 'a list of words' : 'a string';
    if (batched) {
      const texts = text as unknown[];
      if (pair !== null && !Array.isArray(pair)) throw new TypeError(`textPair must be a batch like text, got ${describe(pair)}`);
      if (pair !== null && pair.length !== texts.length) {
        throw new Error(`batch length of text (${texts.length}) does not match batch length of textPair (${pair.length}): pass one second text per text`);
      }
      for (let i = 0; i < texts.length; i++) {
        if (!isExample(texts[i])) throw new TypeError(`text[${i}] is ${describe(texts[i])}, not ${what}: pass ${words ? 'lists of strings' : 'strings only (map or filter the column first)'}`);
        if (pair !== null && !isExample(pair[i])) throw new TypeError(`textPair[${i}] is ${describe(pair[i])}, not ${what}: pass ${words ? 'lists of strings' : 'strings only (map or filter the column first)'}`);
      }
      return this.encodeAll(texts as (string | string[])[], pair as (string | string[])[] | null, o, true);
    }
    if (!isExample(text)) throw new TypeError(`text must be ${what} or a batch of them, got ${describe(text)}`);
    if (pair !== null && !isExample(pair)) throw new TypeError(`textPair must be ${what} when text is, got ${describe(pair)}`);
    return this.encodeAll([text as string | string[]], pair === null ? null : [pair as string | string[]], o, false);
  }

  /** Only the input ids of one text or pair (transformers' encode()). */
  encode(text: string, textPair?: string | null | EncodeOptions, options?: EncodeOptions): number[] {
    if (isPlainOptions(textPair)) return this.call(text, { ...(textPair as EncodeOptions), returnTensors: null }).input_ids as number[];
    return this.call(text, (textPair as string | null) ?? null, { ...normalizeOptions(options), returnTensors: null }).input_ids as number[];
  }

  private commonFlags(o: EncodeOptions) {
    return {
      addSpecialTokens: o.addSpecialTokens ?? true,
      returnTokenTypeIds: o.returnTokenTypeIds ?? this.modelInputNames.includes('token_type_ids'),
      returnAttentionMask: o.returnAttentionMask ?? this.modelInputNames.includes('attention_mask'),
      returnSpecialTokensMask: o.returnSpecialTokensMask ?? false,
      verbose: o.verbose ?? true,
    };
  }

  /** One example as a sequence: ids, with offsets and word indices when `detailed` (always word indices for words). */
  private toSeq(input: string | string[], detailed: boolean): Seq {
    if (typeof input === 'string') return detailed ? this.encodeDetailed(input) : { ids: this.textToIds(input) };
    const seq: Required<Seq> = { ids: [], offsets: [], words: [] };
    // byte-level BPE tokenises each word with a leading space, as the slow tokenizers' prepare_for_tokenization does
    const space = this.tokenizerJson.pre_tokenizer?.type === 'ByteLevel' ? ' ' : '';
    input.forEach((word, wi) => {
      const w = space && word.length && !/^\s/u.test(word) ? space + word : word;
      const shift = w.length - word.length;
      const e: { ids: number[]; offsets?: [number, number][] } = detailed ? this.encodeDetailed(w) : { ids: this.textToIds(w) };
      e.ids.forEach((id, k) => {
        seq.ids.push(id);
        seq.words.push(wi);
        const off = e.offsets?.[k] ?? [0, 0];
        seq.offsets.push([Math.max(0, off[0] - shift), Math.max(0, off[1] - shift)]);
      });
    });
    return seq;
  }

  private encodeAll(texts: (string | string[])[], pairs: (string | string[])[] | null, o: EncodeOptions, batched: boolean): BatchEncoding {
    const verbose = o.verbose ?? true;
    const s = this.resolveStrategies(o.padding, o.truncation, o.maxLength, o.padToMultipleOf, verbose);
    const f = this.commonFlags(o);
    const overflow = o.returnOverflowingTokens === true;
    const detailed = o.returnOffsetsMapping === true;
    const rows: Row[] = [];
    const sampleOf: number[] = [];
    for (let i = 0; i < texts.length; i++) {
      const where = batched ? `text[${i}]` : 'text';
      const first = this.toSeq(texts[i]!, detailed);
      const second = pairs === null ? null : this.toSeq(pairs[i]!, detailed);
      for (const r of this.prepareRows(first, second, {
        ...f, truncation: s.truncation, maxLength: s.maxLength, returnOffsets: detailed, overflow, stride: o.stride ?? 0, where,
      })) { rows.push(r); sampleOf.push(i); }
    }
    const lengths = rows.map((r) => r.enc.input_ids.length);
    this.padItems(rows.map((r) => r.enc), s.padding, s.maxLength, o.padToMultipleOf, f.returnAttentionMask);
    const padSide = (arr: (number | null)[], len: number) => {
      const padding = new Array(len - arr.length).fill(null);
      return this.paddingSide === 'left' ? padding.concat(arr) : arr.concat(padding);
    };
    for (const r of rows) {
      const len = r.enc.input_ids.length;
      if (r.words && r.words.length < len) r.words = padSide(r.words, len);
      if (r.seqIds.length < len) r.seqIds = padSide(r.seqIds, len);
    }
    const single = !batched && !overflow;
    const out: Record<string, unknown> = {};
    const keys = rows.length ? Object.keys(this.ordered(rows[0]!.enc)) : ['input_ids'];
    for (const k of keys) out[k] = single ? rows[0]!.enc[k] : rows.map((r) => r.enc[k]);
    if (overflow) out.overflow_to_sample_mapping = sampleOf;
    if (o.returnLength) out.length = single ? lengths[0] : lengths;
    const result = (o.returnTensors ? this.toTensors(out as BatchEncoding, single) : out) as BatchEncoding;
    let words: ((number | null)[] | null)[] = rows.map((r) => r.words);
    const rowOf = (i: number | undefined, name: string) => {
      const k = i ?? 0;
      if (!Number.isInteger(k) || k < 0 || k >= rows.length) throw new RangeError(`${name}(${i}): the encoding has ${rows.length} row(s)`);
      return k;
    };
    Object.defineProperty(result, 'wordIds', {
      enumerable: false,
      value: (i?: number) => {
        const k = rowOf(i, 'wordIds');
        if (!words[k]) {
          // word indices need the aligned encoding: computed once, on demand
          const again = this.encodeAll(texts, pairs, { ...o, returnOffsetsMapping: true, returnTensors: null }, batched);
          words = rows.map((_, j) => again.wordIds(j));
        }
        return words[k]!.slice();
      },
    });
    Object.defineProperty(result, 'sequenceIds', { enumerable: false, value: (i?: number) => rows[rowOf(i, 'sequenceIds')]!.seqIds.slice() });
    return result;
  }

  private padItems(items: Encoded[], padding: PaddingStrategy, maxLength: number | null, padToMultipleOf: number | null | undefined, returnAttentionMask: boolean): void {
    if (padding === 'longest') {
      let m = 0;
      for (const it of items) if (it.input_ids.length > m) m = it.input_ids.length;
      maxLength = m;
      padding = 'max_length';
    }
    for (const it of items) this.padOne(it, padding, maxLength, padToMultipleOf, returnAttentionMask);
  }

  private ordered(enc: Encoded): Encoded {
    const out: Encoded = {} as Encoded;
    for (const k of ['input_ids', 'token_type_ids', 'attention_mask', 'special_tokens_mask', 'offset_mapping']) if (enc[k]) out[k] = enc[k];
    for (const k of Object.keys(enc)) if (!(k in out)) out[k] = enc[k];
    return out;
  }

  /**
   * Pads already-encoded inputs (a list of feature objects, or an object of lists) to the
   * longest, or to maxLength: transformers' tokenizer.pad(). Other keys (labels, ...) pass
   * through unchanged; with returnTensors 'pt' every value becomes a tensor.
   */
  pad(encodedInputs: Record<string, any> | Array<Record<string, any>>, options: PadOptions = {}): Record<string, any> {
    const o = normalizeOptions(options);
    const s = this.resolveStrategies(o.padding ?? true, false, o.maxLength, o.padToMultipleOf, o.verbose ?? true);
    const returnAttentionMask = o.returnAttentionMask ?? this.modelInputNames.includes('attention_mask');
    let rows: Array<Record<string, any>>;
    let single = false;
    if (Array.isArray(encodedInputs)) rows = encodedInputs;
    else if (Array.isArray(encodedInputs.input_ids) && Array.isArray(encodedInputs.input_ids[0]) || isTensor(encodedInputs.input_ids)) {
      const n = isTensor(encodedInputs.input_ids) ? encodedInputs.input_ids.shape[0] : encodedInputs.input_ids.length;
      rows = Array.from({ length: n }, (_, i) => Object.fromEntries(Object.entries(encodedInputs).map(([k, v]) => [k, isTensor(v) ? rowOf(v, i) : v[i]])));
    } else {
      rows = [encodedInputs];
      single = true;
    }
    const PADDED = ['input_ids', 'attention_mask', 'token_type_ids', 'special_tokens_mask'];
    const items: Encoded[] = rows.map((r, i) => {
      if (r.input_ids === undefined) throw new Error(`feature ${i} has no input_ids: pad() needs tokenized features (keys: ${Object.keys(r).join(', ')})`);
      const e: Encoded = {} as Encoded;
      for (const k of PADDED) if (r[k] !== undefined) e[k] = toNumberArray(r[k], `feature ${i} ${k}`);
      return e;
    });
    this.padItems(items, s.padding, s.maxLength, o.padToMultipleOf, returnAttentionMask);
    const out: Record<string, any> = {};
    const keys = new Set<string>();
    for (const r of rows) for (const k of Object.keys(r)) keys.add(k);
    for (const k of Object.keys(this.ordered(items[0] ?? {}))) keys.add(k);
    for (const k of keys) {
      if (PADDED.includes(k) || k === 'attention_mask') out[k] = single ? items[0][k] : items.map((it) => it[k]);
      else out[k] = single ? rows[0][k] : rows.map((r) => r[k]);
    }
    return o.returnTensors ? this.toTensors(out as BatchEncoding, single) : out;
  }

  private toTensors(enc: BatchEncoding, prependBatchAxis: boolean): BatchEncoding<Tensor> {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(enc)) {
      if (value === undefined) continue;
      out[key] = valueToTensor(key, value, prependBatchAxis);
    }
    return out as unknown as BatchEncoding<Tensor>;
  }

  // ---------------------------------------------------------------- chat templates

  /** The Jinja chat template(s) of tokenizer_config.json (`chat_template`); set it to give one. */
  get chatTemplate(): string | Record<string, string> | null { return parseChatTemplateField(this.initConfig.chat_template); }
  set chatTemplate(t: string | Record<string, string> | null) {
    if (t === null) delete this.initConfig.chat_template;
    else this.initConfig.chat_template = typeof t === 'string' ? t : Object.entries(t).map(([name, template]) => ({ name, template }));
  }

  /**
   * Renders a conversation with the chat template (transformers' apply_chat_template): token ids
   * by default, the text with `tokenize: false`, {input_ids, attention_mask} with `returnDict`.
   */
  applyChatTemplate(messages: ChatMessage[], options: ApplyChatTemplateOptions & { tokenize: false }): string;
  applyChatTemplate(messages: ChatMessage[], options: ApplyChatTemplateOptions & { returnDict: true }): BatchEncoding<number[]>;
  applyChatTemplate(messages: ChatMessage[], options?: ApplyChatTemplateOptions): number[];
  applyChatTemplate(messages: ChatMessage[], options: ApplyChatTemplateOptions = {}): string | number[] | BatchEncoding<number[]> {
    const template = resolveChatTemplate(this.chatTemplate, options.chatTemplate, this.nameOrPath || 'this tokenizer');
    const special: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(this.specialTokensMap)) special[k] = v;
    const text = renderChatTemplate(template, messages, special, options);
    if (options.tokenize === false) return text;
    const enc = this.call(text, { addSpecialTokens: false });
    return options.returnDict ? enc : (enc.input_ids as number[]);
  }

  // ---------------------------------------------------------------- decoding

  /** Ids -> text like the slow Python tokenizers' decode(). */
  decode(tokenIds: ArrayLike<number | bigint> | Tensor | number, options: DecodeOptions = {}): string {
    const o = normalizeOptions(options);
    let ids: ArrayLike<number | bigint>;
    if (typeof tokenIds === 'number') ids = [tokenIds];
    else if (isTensor(tokenIds)) {
      if (tokenIds.shape.length > 1 && tokenIds.shape.slice(0, -1).some((d) => d !== 1)) {
        throw new Error(`decode() takes one sequence, got a tensor of shape [${tokenIds.shape.join(', ')}]: use batchDecode for a batch`);
      }
      ids = tokenIds.toTypedArray();
    } else ids = tokenIds as ArrayLike<number | bigint>;
    const tokens = this.convertIdsToTokens(ids, o.skipSpecialTokens ?? false);
    const subTexts: string[] = [];
    let current: string[] = [];
    for (const token of tokens) {
      if (this.addedEncoder.has(token) && this.addedEncoder.get(token)! >= this.baseVocab.size) {
        if (current.length) { subTexts.push(this.convertTokensToString(current)); current = []; }
        subTexts.push(token);
      } else current.push(token);
    }
    if (current.length) subTexts.push(this.convertTokensToString(current));
    const text = (o.spacesBetweenSpecialTokens ?? true) ? subTexts.join(' ') : subTexts.join('');
    return (o.cleanUpTokenizationSpaces ?? this.cleanUpTokenizationSpaces) ? cleanUpTokenization(text) : text;
  }

  /** decode() for each sequence of a batch (arrays or a 2-D tensor). */
  batchDecode(sequences: ReadonlyArray<ArrayLike<number | bigint>> | Tensor, options: DecodeOptions = {}): string[] {
    if (isTensor(sequences)) {
      const n = sequences.shape[0];
      return Array.from({ length: n }, (_, i) => this.decode(rowOf(sequences, i), options));
    }
    return sequences.map((s) => this.decode(s, options));
  }

  // ---------------------------------------------------------------- saving

  /** Writes tokenizer_config.json, special_tokens_map.json, tokenizer.json and the vocabulary files. Returns their paths. */
  /** Uploads the tokenizer files to a Hub repo (created when missing), like transformers' push_to_hub. */
  pushToHub(repoId: string, opts: import('../sharing/push').PushToHubOptions = {}) {
    return import('../sharing/push').then((m) => m.pushTokenizerToHub(this, repoId, opts));
  }

  savePretrained(dir: string): string[] {
    mkdirSync(dir, { recursive: true });
    const written: string[] = [];
    const put = (name: string, text: string) => {
      const p = join(dir, name);
      writeAtomic(p, text);
      written.push(p);
    };
    const tokenJson = (t: AddedToken, withType: boolean) => ({
      ...(withType ? { __type: 'AddedToken' } : {}),
      content: t.content, lstrip: t.lstrip ?? false, normalized: t.normalized ?? true, rstrip: t.rstrip ?? false, single_word: t.singleWord ?? false,
    });
    const config: Record<string, any> = { ...this.initConfig };
    for (const key of SPECIAL_TOKEN_KEYS) {
      const t = this.specialTokens[key];
      if (t) config[key] = t.lstrip !== undefined || t.rstrip !== undefined ? tokenJson(t, true) : t.content;
      else delete config[key];
    }
    if (this.additional.length) config.additional_special_tokens = this.additionalSpecialTokens;
    config.model_max_length = this.modelMaxLength;
    config.clean_up_tokenization_spaces = this.cleanUpTokenizationSpaces;
    if (this.paddingSide !== 'right') config.padding_side = this.paddingSide;
    if (this.truncationSide !== 'right') config.truncation_side = this.truncationSide;
    if (this.tokenizerClass) config.tokenizer_class = this.tokenizerClass;
    delete config.name_or_path;
    put('tokenizer_config.json', JSON.stringify(sortObject(config), null, 2) + '\n');

    const map: Record<string, any> = {};
    for (const key of SPECIAL_TOKEN_KEYS) {
      const t = this.specialTokens[key];
      if (t) map[key] = t.lstrip !== undefined || t.rstrip !== undefined ? tokenJson(t, false) : t.content;
    }
    if (this.additional.length) map.additional_special_tokens = this.additionalSpecialTokens;
    put('special_tokens_map.json', JSON.stringify(map, null, 2) + '\n');

    if (this.saveTokenizerJson) put('tokenizer.json', JSON.stringify(this.tokenizerJson, null, 2) + '\n');
    for (const [name, text] of Object.entries(vocabularyFilesFromModel(this.tokenizerJson.model))) put(name, text);
    for (const [name, bytes] of Object.entries(this.modelFiles)) {
      const p = join(dir, name);
      writeFileAtomicSync(p, bytes);
      written.push(p);
    }
    const added: Record<string, number> = {};
    for (const [t, id] of this.addedEncoder) if (id >= this.baseVocab.size) added[t] = id;
    if (Object.keys(added).length) put('added_tokens.json', JSON.stringify(added, null, 2) + '\n');
    return written;
  }
}

function sortObject(o: Record<string, any>): Record<string, any> {
  const out: Record<string, any> = {};
  for (const k of Object.keys(o).sort()) out[k] = o[k];
  return out;
}

function rowOf(t: Tensor, i: number): number[] {
  const data = t.toTypedArray();
  const width = t.shape.slice(1).reduce((a, b) => a * b, 1);
  const out: number[] = new Array(width);
  for (let j = 0; j < width; j++) out[j] = Number(data[i * width + j]);
  return out;
}

function toNumberArray(v: unknown, what: string): number[] {
  if (Array.isArray(v)) return v.map(Number);
  if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<number | bigint>, Number);
  if (isTensor(v)) return Array.from(v.toTypedArray(), Number);
  throw new TypeError(`${what} is ${describe(v)}, not a list of ids: pass arrays of integers`);
}

/** The values of one key -> a tensor (int64 for ids and masks); a single example gains a batch axis. */
function valueToTensor(key: string, value: unknown, prependBatchAxis: boolean): Tensor {
  if (isTensor(value)) return value;
  if (prependBatchAxis) return stackToTensor(key, [value]);
  if (!Array.isArray(value)) throw new TypeError(`cannot make a tensor from ${key} (${describe(value)}): only numbers and arrays of numbers can be`);
  return stackToTensor(key, value);
}
