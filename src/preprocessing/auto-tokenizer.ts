// AutoTokenizer.fromPretrained: finds a tokenizer's files in a local folder or a Hub repo and
// builds a PreTrainedTokenizer from tokenizer.json, or (no tokenizer.json, or useFast: false)
// from vocab.json + merges.txt (GPT-2/RoBERTa byte-level BPE) or vocab.txt (BERT WordPiece).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  PreTrainedTokenizer, SPECIAL_TOKEN_KEYS, VERY_LARGE_INTEGER,
  type AddedToken, type SpecialTokenKey,
} from './tokenization-base';
import {
  buildByteLevelBpeTokenizerJson, buildWordPieceTokenizerJson, parseMergesTxt, parseVocabTxt,
  type AddedTokenJson, type TokenizerFamily,
} from './tokenizers/build';
import { SentencePieceModel, SentencePieceError } from './tokenizers/sentencepiece';
import { buildClipBpeTokenizerJson } from './tokenizers/clip';
import { TokenizerError, validateTokenizerJson } from './tokenizers/validate';
import { readJsonFile } from '../util/safe-json';
import {
  sentencePieceSpecFor, SENTENCEPIECE_TOKENIZERS, vocabularyOf, t5ExtraIds, SentencePieceTextModel, sentencePieceTokenizerJson, type SentencePieceTokenizerSpec,
} from './tokenizers/sentencepiece-tokenizers';

export interface AutoTokenizerOptions {
  /** Hub branch, tag or commit (default main). */
  revision?: string;
  /** Hub cache folder (default $HF_HUB_CACHE). */
  cacheDir?: string;
  /** Hub token (default: the one hubtune's Hub client finds). */
  token?: string;
  /** Hub URL (default $HF_ENDPOINT or https://huggingface.co). */
  endpoint?: string;
  /** Only use files already in the cache. */
  localFilesOnly?: boolean;
  /** false: ignore tokenizer.json and build from the vocabulary files like Python's slow tokenizer. */
  useFast?: boolean;
  modelMaxLength?: number;
  paddingSide?: 'right' | 'left';
  truncationSide?: 'right' | 'left';
  doLowerCase?: boolean;
  addPrefixSpace?: boolean;
  cleanUpTokenizationSpaces?: boolean;
  modelInputNames?: string[];
  bosToken?: string | AddedToken;
  eosToken?: string | AddedToken;
  unkToken?: string | AddedToken;
  sepToken?: string | AddedToken;
  padToken?: string | AddedToken;
  clsToken?: string | AddedToken;
  maskToken?: string | AddedToken;
  additionalSpecialTokens?: Array<string | AddedToken>;
}

const FAMILY_DEFAULTS: Record<TokenizerFamily, { tokens: Partial<Record<SpecialTokenKey, AddedToken>>; inputNames: string[]; className: string }> = {
  bert: {
    tokens: { unk_token: { content: '[UNK]' }, sep_token: { content: '[SEP]' }, pad_token: { content: '[PAD]' }, cls_token: { content: '[CLS]' }, mask_token: { content: '[MASK]' } },
    inputNames: ['input_ids', 'token_type_ids', 'attention_mask'],
    className: 'BertTokenizer',
  },
  distilbert: {
    tokens: { unk_token: { content: '[UNK]' }, sep_token: { content: '[SEP]' }, pad_token: { content: '[PAD]' }, cls_token: { content: '[CLS]' }, mask_token: { content: '[MASK]' } },
    inputNames: ['input_ids', 'attention_mask'],
    className: 'DistilBertTokenizer',
  },
  roberta: {
    tokens: {
      bos_token: { content: '<s>', lstrip: false, rstrip: false }, eos_token: { content: '</s>', lstrip: false, rstrip: false },
      sep_token: { content: '</s>', lstrip: false, rstrip: false }, cls_token: { content: '<s>', lstrip: false, rstrip: false },
      unk_token: { content: '<unk>', lstrip: false, rstrip: false }, pad_token: { content: '<pad>', lstrip: false, rstrip: false },
      mask_token: { content: '<mask>', lstrip: true, rstrip: false },
    },
    inputNames: ['input_ids', 'attention_mask'],
    className: 'RobertaTokenizer',
  },
  gpt2: {
    tokens: {
      unk_token: { content: '<|endoftext|>', lstrip: false, rstrip: false }, bos_token: { content: '<|endoftext|>', lstrip: false, rstrip: false },
      eos_token: { content: '<|endoftext|>', lstrip: false, rstrip: false },
    },
    inputNames: ['input_ids', 'attention_mask'],
    className: 'GPT2Tokenizer',
  },
  clip: {
    tokens: {
      bos_token: { content: '<|startoftext|>' }, eos_token: { content: '<|endoftext|>' }, unk_token: { content: '<|endoftext|>' },
      pad_token: { content: '<|endoftext|>' },
    },
    inputNames: ['input_ids', 'attention_mask'],
    className: 'CLIPTokenizer',
  },
};

const CLASS_FAMILIES: Record<string, TokenizerFamily> = {
  BertTokenizer: 'bert', DistilBertTokenizer: 'distilbert', RobertaTokenizer: 'roberta', GPT2Tokenizer: 'gpt2', CLIPTokenizer: 'clip', BartTokenizer: 'roberta',
};
const MODEL_TYPE_FAMILIES: Record<string, TokenizerFamily> = { bert: 'bert', distilbert: 'distilbert', roberta: 'roberta', gpt2: 'gpt2', clip: 'clip', clip_text_model: 'clip', bart: 'roberta' };

type FileGetter = (name: string) => Promise<string | null>;

function parseToken(value: unknown, where: string): AddedToken | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return { content: value };
  if (typeof value === 'object' && typeof (value as any).content === 'string') {
    const v = value as Record<string, any>;
    const t: AddedToken = { content: v.content };
    if (v.lstrip !== undefined) t.lstrip = !!v.lstrip;
    if (v.rstrip !== undefined) t.rstrip = !!v.rstrip;
    if (v.normalized !== undefined) t.normalized = !!v.normalized;
    if (v.single_word !== undefined || v.singleWord !== undefined) t.singleWord = !!(v.single_word ?? v.singleWord);
    return t;
  }
  throw new TokenizerError(`${where} is neither a string nor an AddedToken object: fix the tokenizer config`);
}

function readJson(path: string, label: string): any {
  return readJsonFile(path, TokenizerError, { what: label, object: true });
}

/** A JSON object of token -> integer id (vocab.json, added_tokens.json). */
function readIdMap(path: string, label: string): Record<string, number> {
  const m = readJson(path, label) as Record<string, unknown>;
  for (const [k, v] of Object.entries(m)) {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 2 ** 31 - 1) {
      throw new TokenizerError(`${label} (${path}): the id of ${JSON.stringify(k).slice(0, 40)} must be a non-negative integer, got ${JSON.stringify(v)?.slice(0, 40)}; re-download or fix the file`);
    }
  }
  return m as Record<string, number>;
}

/** Text every loaded tokenizer must encode and decode: a malformed file fails at load, naming it, not later. */
const PROBE_TEXT = 'Hello, world! 123 héllo  \u4f60\u597d';

/** Errors from inside the loaders (TypeError, RangeError, backend Errors) become TokenizerErrors naming `where`. */
function asTokenizerError(e: unknown, where: string): unknown {
  const C = (e as Error)?.constructor;
  if (e instanceof TokenizerError) return e; // names its file already
  if (C === Error || C === TypeError || C === RangeError || C === SyntaxError || C === SentencePieceError) {
    const msg = String((e as Error).message).split('\n')[0];
    if (C === Error && msg.includes(where)) return new TokenizerError(msg);
    return new TokenizerError(`${where}: cannot load the tokenizer (${(e as Error).name}: ${msg.slice(0, 300)}); re-download or re-save it`);
  }
  return e;
}

function looksLikeLocalPath(s: string): boolean {
  return s.startsWith('/') || s.startsWith('./') || s.startsWith('../') || s.startsWith('~') || s === '.' || s === '..'
    || s.includes('\\') || s.split('/').length > 2;
}

async function makeGetter(idOrPath: string, opts: AutoTokenizerOptions): Promise<{ get: FileGetter; where: string }> {
  if (existsSync(idOrPath) && statSync(idOrPath).isDirectory()) {
    return { get: async (name) => (existsSync(join(idOrPath, name)) ? join(idOrPath, name) : null), where: `folder ${idOrPath}` };
  }
  if (looksLikeLocalPath(idOrPath)) {
    throw new Error(`tokenizer folder ${idOrPath} does not exist: pass an existing folder or a Hub repo id such as 'bert-base-uncased'`);
  }
  const spec = '../hub';
  let hub: any;
  try {
    hub = await import(spec);
  } catch (e) {
    throw new Error(`cannot load the Hub client (src/hub) to download ${idOrPath} (${(e as Error).message}): pass a local folder instead`);
  }
  const where = `Hub repo ${idOrPath}${opts.revision ? `@${opts.revision}` : ''}`;
  return {
    where,
    get: async (name) => {
      const args: Record<string, unknown> = { repoId: idOrPath, filename: name };
      if (opts.revision !== undefined) args.revision = opts.revision;
      if (opts.cacheDir !== undefined) args.cacheDir = opts.cacheDir;
      if (opts.token !== undefined) args.token = opts.token;
      if (opts.localFilesOnly !== undefined) args.localFilesOnly = opts.localFilesOnly;
      if (opts.endpoint !== undefined) args.endpoint = opts.endpoint;
      try {
        return await hub.hfHubDownload(args);
      } catch (e) {
        if ((e as Error)?.name === 'EntryNotFoundError') return null;
        throw e;
      }
    },
  };
}

function familyFromClass(cls: unknown): TokenizerFamily | null {
  if (typeof cls !== 'string') return null;
  return CLASS_FAMILIES[cls.replace(/Fast$/, '')] ?? null;
}

/** Loads tokenizers like transformers' AutoTokenizer. */
export class AutoTokenizer {
  /**
   * Loads a tokenizer from a local folder or a Hub repo id: tokenizer.json when present
   * (unless useFast is false), else vocab.json + merges.txt or vocab.txt, with
   * tokenizer_config.json, special_tokens_map.json and added_tokens.json.
   */
  static async fromPretrained(idOrPath: string, options: AutoTokenizerOptions = {}): Promise<PreTrainedTokenizer> {
    if (typeof idOrPath !== 'string' || idOrPath === '') throw new TypeError('AutoTokenizer.fromPretrained needs a folder path or a Hub repo id');
    const { get, where } = await makeGetter(idOrPath, options);
    try {
      return await loadTokenizer(idOrPath, options, get, where);
    } catch (e) {
      throw asTokenizerError(e, where);
    }
  }
}

async function loadTokenizer(idOrPath: string, options: AutoTokenizerOptions, get: FileGetter, where: string): Promise<PreTrainedTokenizer> {
  {

    const configPath = await get('tokenizer_config.json');
    const config: Record<string, any> = configPath ? readJson(configPath, 'tokenizer_config.json') : {};
    // newer transformers save the chat template beside tokenizer_config.json
    if (config.chat_template === undefined) {
      const jinja = await get('chat_template.jinja');
      if (jinja) config.chat_template = readFileSync(jinja, 'utf8');
    }
    const mapPath = await get('special_tokens_map.json');
    const specialMap: Record<string, any> = mapPath ? readJson(mapPath, 'special_tokens_map.json') : {};
    const addedPath = await get('added_tokens.json');
    const addedTokensFile: Record<string, number> = addedPath ? readIdMap(addedPath, 'added_tokens.json') : {};

    let family = familyFromClass(config.tokenizer_class);
    let spSpec = sentencePieceSpecFor(config.tokenizer_class, null);
    let modelType: unknown;
    if (!family && !spSpec) {
      const modelConfigPath = await get('config.json');
      if (modelConfigPath) {
        const mc = readJson(modelConfigPath, 'config.json');
        modelType = mc.model_type;
        family = familyFromClass(mc.tokenizer_class) ?? MODEL_TYPE_FAMILIES[mc.model_type] ?? null;
        if (!family) spSpec = sentencePieceSpecFor(mc.tokenizer_class, mc.model_type);
      }
    }
    if (family) spSpec = null;

    const useFast = options.useFast ?? true;
    const tokenizerJsonPath = useFast ? await get('tokenizer.json') : null;
    let vocabTxt: string | null = null, vocabJson: string | null = null, mergesTxt: string | null = null;
    let spModel: { path: string; name: string } | null = null;
    if (!tokenizerJsonPath && spSpec) {
      for (const name of spSpec.files) {
        const path = await get(name);
        if (path) { spModel = { path, name }; break; }
      }
      if (!spModel) throw new Error(`no tokenizer files in ${where}: ${spSpec.className} needs tokenizer.json or ${spSpec.files.join(' / ')}; pass a folder or repo that has them`);
    }
    if (!tokenizerJsonPath && !spModel) {
      if (!family) {
        // a SentencePiece file, but no class or model type says how to read it (its vocabulary layout, specials)
        for (const name of new Set(SENTENCEPIECE_TOKENIZERS.flatMap((t) => t.files).concat('tokenizer.model'))) {
          if (!(await get(name))) continue;
          const said = config.tokenizer_class ? `tokenizer_class '${config.tokenizer_class}'` : modelType ? `model_type '${modelType}'` : 'no tokenizer_class or model_type';
          throw new TokenizerError(`${where}: ${name} is a SentencePiece model of an unknown model type (${said}); hubtune reads it for ${SENTENCEPIECE_TOKENIZERS.map((t) => t.className).join(', ')}: set tokenizer_class in tokenizer_config.json, or save a tokenizer.json with transformers (save_pretrained of the fast tokenizer)`);
        }
      }
      if (family !== 'roberta' && family !== 'gpt2' && family !== 'clip') vocabTxt = await get('vocab.txt');
      if (!vocabTxt) {
        vocabJson = await get('vocab.json');
        mergesTxt = vocabJson ? await get('merges.txt') : null;
      }
      if (!vocabTxt && !(vocabJson && mergesTxt)) {
        const looked = useFast ? 'tokenizer.json, vocab.txt, vocab.json + merges.txt' : 'vocab.txt, vocab.json + merges.txt (useFast: false)';
        throw new Error(`no tokenizer files in ${where}: looked for ${looked}; pass a folder or repo that has a tokenizer (save one with tokenizer.savePretrained)`);
      }
      if (!family) family = vocabTxt ? 'bert' : null;
    }

    // Special tokens: class defaults < tokenizer_config.json < special_tokens_map.json < options.
    const defaults: Partial<Record<SpecialTokenKey, AddedToken>> = spSpec ? spSpec.specials : family ? FAMILY_DEFAULTS[family].tokens : {};
    const specialTokens: Partial<Record<SpecialTokenKey, AddedToken>> = {};
    const camel: Record<SpecialTokenKey, keyof AutoTokenizerOptions> = {
      bos_token: 'bosToken', eos_token: 'eosToken', unk_token: 'unkToken', sep_token: 'sepToken',
      pad_token: 'padToken', cls_token: 'clsToken', mask_token: 'maskToken',
    };
    for (const key of SPECIAL_TOKEN_KEYS) {
      let t: AddedToken | null | undefined = defaults[key] ? { ...defaults[key]! } : undefined;
      if (key in config) t = parseToken(config[key], `${configPath} ${key}`);
      if (key in specialMap) t = parseToken(specialMap[key], `${mapPath} ${key}`);
      const o = options[camel[key]];
      if (o !== undefined) t = parseToken(o, `option ${camel[key]}`);
      if (t) specialTokens[key] = t;
    }
    const additionalRaw: unknown[] = options.additionalSpecialTokens ?? specialMap.additional_special_tokens ?? config.additional_special_tokens
      ?? (spSpec?.className === 'T5Tokenizer' ? t5ExtraIds(config) : spSpec?.className === 'CamembertTokenizer' ? ['<s>NOTUSED', '</s>NOTUSED'] : []);
    for (const [file, v] of [[configPath, config.additional_special_tokens], [mapPath, specialMap.additional_special_tokens]] as const) {
      if (v !== undefined && v !== null && !Array.isArray(v)) throw new TokenizerError(`${file}: additional_special_tokens must be a list, got ${JSON.stringify(v)?.slice(0, 60)}; fix the tokenizer config`);
    }
    if (!Array.isArray(additionalRaw)) throw new TokenizerError(`${where}: additional_special_tokens must be a list, got ${JSON.stringify(additionalRaw)?.slice(0, 60)}; fix the tokenizer config`);
    const additional = additionalRaw.map((v, i) => parseToken(v, `${where} additional_special_tokens[${i}]`)!).filter(Boolean);

    const mergedConfig: Record<string, any> = { ...config };
    if (options.doLowerCase !== undefined) mergedConfig.do_lower_case = options.doLowerCase;
    if (options.addPrefixSpace !== undefined) mergedConfig.add_prefix_space = options.addPrefixSpace;

    let tokenizerJson: Record<string, any>;
    let sentencePiece: { textModel: SentencePieceTextModel; files: Record<string, Uint8Array> } | null = null;
    if (spModel) {
      const built = buildSentencePiece(spSpec!, spModel, mergedConfig, specialTokens, additional, addedTokensFile);
      tokenizerJson = built.tokenizerJson;
      sentencePiece = built;
    } else if (tokenizerJsonPath) {
      tokenizerJson = readJson(tokenizerJsonPath, 'tokenizer.json');
      if (!tokenizerJson.model) throw new TokenizerError(`tokenizer.json (${tokenizerJsonPath}) has no model: re-download or re-save the tokenizer`);
      validateTokenizerJson(tokenizerJson, tokenizerJsonPath);
      tokenizerJson = ensureSpecialTokensAdded(tokenizerJson, specialTokens, additional, addedTokensFile);
    } else {
      const specials = [...SPECIAL_TOKEN_KEYS.map((k) => specialTokens[k]).filter((t): t is AddedToken => !!t), ...additional];
      if (vocabTxt) {
        const vocab = parseVocabTxt(readFileSync(vocabTxt, 'utf8'));
        const unk = specialTokens.unk_token?.content ?? '[UNK]';
        tokenizerJson = buildWordPieceTokenizerJson({
          vocab,
          unkToken: unk,
          doLowerCase: mergedConfig.do_lower_case ?? true,
          doBasicTokenize: mergedConfig.do_basic_tokenize ?? true,
          tokenizeChineseChars: mergedConfig.tokenize_chinese_chars ?? true,
          stripAccents: mergedConfig.strip_accents ?? null,
          clsToken: specialTokens.cls_token?.content ?? null,
          sepToken: specialTokens.sep_token?.content ?? null,
          addedTokens: slowAddedTokens(vocab, specials, addedTokensFile, false),
        });
      } else if (family === 'clip') {
        const vocab = readIdMap(vocabJson!, 'vocab.json');
        tokenizerJson = buildClipBpeTokenizerJson({
          vocab,
          merges: parseMergesTxt(readFileSync(mergesTxt!, 'utf8'), mergesTxt!),
          bosToken: specialTokens.bos_token?.content ?? '<|startoftext|>',
          eosToken: specialTokens.eos_token?.content ?? '<|endoftext|>',
          unkToken: specialTokens.unk_token?.content ?? '<|endoftext|>',
          addedTokens: slowAddedTokens(vocab, specials, addedTokensFile, false),
        });
      } else {
        const vocab = readIdMap(vocabJson!, 'vocab.json');
        const merges = parseMergesTxt(readFileSync(mergesTxt!, 'utf8'), mergesTxt!);
        const isRoberta = family === 'roberta' || (family === null && specialTokens.cls_token !== undefined && specialTokens.sep_token !== undefined);
        if (!family) family = isRoberta ? 'roberta' : 'gpt2';
        tokenizerJson = buildByteLevelBpeTokenizerJson({
          vocab,
          merges,
          addPrefixSpace: mergedConfig.add_prefix_space ?? false,
          roberta: isRoberta ? { cls: specialTokens.cls_token?.content ?? '<s>', sep: specialTokens.sep_token?.content ?? '</s>' } : null,
          addedTokens: slowAddedTokens(vocab, specials, addedTokensFile, true),
        });
      }
    }

    const fam = spSpec ? { inputNames: spSpec.inputNames, className: spSpec.className } : family ? FAMILY_DEFAULTS[family] : null;
    const mml = options.modelMaxLength ?? mergedConfig.model_max_length ?? mergedConfig.max_len;
    const source = tokenizerJsonPath ?? spModel?.path ?? vocabTxt ?? vocabJson ?? where;
    const side = (name: string, v: unknown) => {
      if (v !== 'left' && v !== 'right') throw new TokenizerError(`${configPath ?? where}: ${name} must be 'left' or 'right', got ${JSON.stringify(v)?.slice(0, 40)}`);
      return v;
    };
    const inputNames = options.modelInputNames ?? mergedConfig.model_input_names ?? fam?.inputNames ?? ['input_ids', 'token_type_ids', 'attention_mask'];
    if (!Array.isArray(inputNames) || !inputNames.every((n) => typeof n === 'string')) {
      throw new TokenizerError(`${configPath ?? where}: model_input_names must be a list of names, got ${JSON.stringify(inputNames)?.slice(0, 60)}`);
    }
    let tokenizer: PreTrainedTokenizer;
    try {
      tokenizer = buildTokenizer();
      // a malformed pipeline component fails here, at load, naming the file
      const ids = tokenizer.encode(PROBE_TEXT, { verbose: false }); // the user's first too-long text still gets its warning
      tokenizer.decode(ids);
    } catch (e) {
      throw asTokenizerError(e, source);
    }
    return tokenizer;
    function buildTokenizer(): PreTrainedTokenizer {
    return new PreTrainedTokenizer({
      ...(sentencePiece ? { textModel: sentencePiece.textModel, modelFiles: sentencePiece.files, saveTokenizerJson: false } : {}),
      tokenizerJson,
      config: mergedConfig,
      specialTokens,
      additionalSpecialTokens: additional,
      modelMaxLength: typeof mml === 'number' && Number.isFinite(mml) ? mml : VERY_LARGE_INTEGER,
      modelInputNames: inputNames,
      paddingSide: side('padding_side', options.paddingSide ?? mergedConfig.padding_side ?? 'right'),
      truncationSide: side('truncation_side', options.truncationSide ?? mergedConfig.truncation_side ?? 'right'),
      cleanUpTokenizationSpaces: options.cleanUpTokenizationSpaces ?? mergedConfig.clean_up_tokenization_spaces ?? true,
      tokenizerClass: typeof config.tokenizer_class === 'string' ? config.tokenizer_class : fam?.className,
      nameOrPath: idOrPath,
    });
    }
  }
}

/** A slow SentencePiece tokenizer from its .model file: the text model and the equivalent tokenizer.json. */
function buildSentencePiece(spec: SentencePieceTokenizerSpec, file: { path: string; name: string }, config: Record<string, any>,
  specialTokens: Partial<Record<SpecialTokenKey, AddedToken>>, additional: AddedToken[], addedFile: Record<string, number>) {
  const bytes = new Uint8Array(readFileSync(file.path));
  let sp: SentencePieceModel;
  try {
    sp = SentencePieceModel.fromBuffer(bytes, file.name);
  } catch (e) {
    if (e instanceof SentencePieceError) throw new TokenizerError(`${file.path}: ${e.message}`);
    throw e;
  }
  const { vocab, unkId, fromSpm } = vocabularyOf(spec, sp, config);
  const ids: Record<string, number> = Object.create(null);
  vocab.forEach(([t], i) => { if (!(t in ids)) ids[t] = i; });
  const specials = [...SPECIAL_TOKEN_KEYS.map((k) => specialTokens[k]).filter((t): t is AddedToken => !!t), ...additional];
  const added = slowAddedTokens(ids, specials, addedFile, false);
  const textModel = new SentencePieceTextModel(spec, sp, vocab, unkId, fromSpm, config);
  const tokenizerJson = sentencePieceTokenizerJson(spec, sp, vocab, unkId, specialTokens as Record<string, AddedToken>, added);
  return { tokenizerJson, textModel, files: { [file.name]: bytes } };
}

/** Added tokens of a slow tokenizer: special tokens (never split) and added_tokens.json entries. */
function slowAddedTokens(vocab: Record<string, number>, specials: AddedToken[], addedFile: Record<string, number>, byteLevel: boolean): AddedTokenJson[] {
  const out: AddedTokenJson[] = [];
  const seen = new Set<string>();
  let nextId = 0;
  for (const id of [...Object.values(vocab), ...Object.values(addedFile)]) if (id >= nextId) nextId = id + 1;
  for (const t of specials) {
    if (seen.has(t.content)) continue;
    seen.add(t.content);
    const id = vocab[t.content] ?? addedFile[t.content] ?? nextId++;
    // Python's slow tokenizers strip the spaces around a special token given as a plain string.
    out.push({ id, content: t.content, single_word: t.singleWord ?? false, lstrip: t.lstrip ?? true, rstrip: t.rstrip ?? true, normalized: byteLevel ? (t.normalized ?? true) : false, special: true });
  }
  for (const [content, id] of Object.entries(addedFile).sort((a, b) => a[1] - b[1])) {
    if (seen.has(content)) continue;
    seen.add(content);
    out.push({ id, content, single_word: false, lstrip: true, rstrip: true, normalized: false, special: false });
  }
  return out.sort((a, b) => a.id - b.id);
}

/** Adds configured special tokens that tokenizer.json does not list as added tokens (as transformers' fast tokenizers do). */
function ensureSpecialTokensAdded(tj: Record<string, any>, specials: Partial<Record<SpecialTokenKey, AddedToken>>, additional: AddedToken[], addedFile: Record<string, number>): Record<string, any> {
  const added: AddedTokenJson[] = [...(tj.added_tokens ?? [])];
  const have = new Set(added.map((t) => t.content));
  const vocab: Record<string, number> = tj.model?.vocab && !Array.isArray(tj.model.vocab) ? tj.model.vocab : {};
  const vocabArr: Array<[string, number]> | null = Array.isArray(tj.model?.vocab) ? tj.model.vocab : null;
  const lookup = (c: string): number | undefined => vocab[c] ?? (vocabArr ? (() => { const i = vocabArr.findIndex((p) => p[0] === c); return i >= 0 ? i : undefined; })() : undefined);
  let nextId = vocabArr ? vocabArr.length : 0;
  for (const id of Object.values(vocab)) if (id >= nextId) nextId = id + 1;
  for (const t of added) if (t.id >= nextId) nextId = t.id + 1;
  let changed = false;
  const want = [...SPECIAL_TOKEN_KEYS.map((k) => specials[k]).filter((t): t is AddedToken => !!t), ...additional];
  for (const t of want) {
    if (have.has(t.content)) continue;
    have.add(t.content);
    changed = true;
    added.push({ id: lookup(t.content) ?? addedFile[t.content] ?? nextId++, content: t.content, single_word: t.singleWord ?? false, lstrip: t.lstrip ?? false, rstrip: t.rstrip ?? false, normalized: t.normalized ?? false, special: true });
  }
  return changed ? { ...tj, added_tokens: added } : tj;
}
