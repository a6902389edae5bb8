// tokenizer.json checked before it reaches @huggingface/tokenizers or hubtune's own readers: the
// model type is one the backend knows, vocabulary ids are integers in range, merges are pairs of
// vocabulary tokens (in one format), added tokens and pipeline components are well-formed. Each
// problem is a one-line TokenizerError naming the file and the field (e.g. `model.merges[12]`).

export class TokenizerError extends Error {
  override name = 'TokenizerError';
}

const MAX_ID = 2 ** 31 - 1;
const COMPONENTS = {
  normalizer: { seq: 'normalizers', types: ['BertNormalizer', 'Precompiled', 'Sequence', 'Replace', 'NFC', 'NFD', 'NFKC', 'NFKD', 'Strip', 'StripAccents', 'Lowercase', 'Prepend'] },
  pre_tokenizer: { seq: 'pretokenizers', types: ['BertPreTokenizer', 'Sequence', 'Whitespace', 'WhitespaceSplit', 'Metaspace', 'ByteLevel', 'Split', 'Punctuation', 'Digits', 'Replace', 'FixedLength'] },
  post_processor: { seq: 'processors', types: ['TemplateProcessing', 'ByteLevel', 'BertProcessing', 'RobertaProcessing', 'Sequence'] },
  decoder: { seq: 'decoders', types: ['ByteLevel', 'WordPiece', 'Metaspace', 'BPEDecoder', 'CTC', 'Sequence', 'Replace', 'Fuse', 'Strip', 'ByteFallback'] },
} as const;
type Component = keyof typeof COMPONENTS;

const isObj = (v: unknown): v is Record<string, any> => !!v && typeof v === 'object' && !Array.isArray(v);
const shown = (v: unknown) => { try { return JSON.stringify(v)?.slice(0, 60) ?? String(v); } catch { return typeof v; } };
const isId = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= MAX_ID;

class Checker {
  constructor(readonly file: string) {}
  fail(field: string, what: string, v?: unknown): never {
    throw new TokenizerError(`${this.file}: ${field} ${what}${arguments.length > 2 ? `, got ${shown(v)}` : ''}; re-download or re-save the tokenizer`);
  }
  str(field: string, v: unknown, o: { optional?: boolean; nonEmpty?: boolean } = {}): void {
    if ((v === undefined || v === null) && o.optional) return;
    if (typeof v !== 'string' || (o.nonEmpty && v === '')) this.fail(field, o.nonEmpty ? 'must be a non-empty string' : 'must be a string', v);
  }
  bool(field: string, v: unknown): void {
    if (v !== undefined && v !== null && typeof v !== 'boolean') this.fail(field, 'must be true or false', v);
  }
  int(field: string, v: unknown, o: { optional?: boolean; max?: number; min?: number } = {}): void {
    if ((v === undefined || v === null) && o.optional) return;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < (o.min ?? 0) || v > (o.max ?? MAX_ID)) this.fail(field, `must be an integer in [${o.min ?? 0}, ${o.max ?? MAX_ID}]`, v);
  }
  num(field: string, v: unknown, o: { optional?: boolean; min?: number; max?: number } = {}): void {
    if ((v === undefined || v === null) && o.optional) return;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < (o.min ?? -Infinity) || v > (o.max ?? Infinity)) this.fail(field, 'must be a finite number in range', v);
  }
  arr(field: string, v: unknown, o: { optional?: boolean } = {}): v is unknown[] {
    if ((v === undefined || v === null) && o.optional) return false;
    if (!Array.isArray(v)) this.fail(field, 'must be a list', v);
    return true;
  }
  pattern(field: string, v: unknown): void {
    if (!isObj(v) || (typeof v.String !== 'string' && typeof v.Regex !== 'string')) this.fail(field, 'must be {"String": ...} or {"Regex": ...}', v);
  }
}

/** Checks a parsed tokenizer.json; throws a TokenizerError naming `file` and the field. */
export function validateTokenizerJson(tj: unknown, file: string): void {
  const c: Checker = new Checker(file);
  if (!isObj(tj)) c.fail('the file', 'must hold a JSON object', Array.isArray(tj) ? '[...]' : tj);
  const model = tj.model;
  if (!isObj(model)) c.fail('model', 'must be an object', model);
  const vocab = model.vocab;
  let type = model.type;
  if (type === undefined) type = Array.isArray(vocab) ? 'Unigram' : 'merges' in model ? 'BPE' : 'continuing_subword_prefix' in model ? 'WordPiece' : undefined;
  if (!['BPE', 'WordPiece', 'Unigram'].includes(type)) c.fail('model.type', 'must be one of BPE, WordPiece, Unigram (the models hubtune reads)', model.type);

  const ids = new Map<string, number>();
  if (type === 'Unigram') {
    if (!c.arr('model.vocab', vocab)) return;
    (vocab as any[]).forEach((p, i) => {
      if (!Array.isArray(p) || p.length !== 2 || typeof p[0] !== 'string' || typeof p[1] !== 'number' || !Number.isFinite(p[1])) c.fail(`model.vocab[${i}]`, 'must be a [piece, score] pair', p);
      if (!ids.has(p[0])) ids.set(p[0], i);
    });
    c.int('model.unk_id', model.unk_id, { optional: true, max: Math.max(0, (vocab as unknown[]).length - 1) });
    c.bool('model.byte_fallback', model.byte_fallback);
  } else {
    if (!isObj(vocab)) c.fail('model.vocab', 'must be an object mapping tokens to ids', vocab);
    for (const tok in vocab) {
      const id = vocab[tok];
      if (!isId(id)) c.fail(`model.vocab[${shown(tok)}]`, `must be an integer id in [0, ${MAX_ID}]`, id);
      ids.set(tok, id);
    }
    c.str('model.unk_token', model.unk_token, { optional: type === 'BPE' });
    c.str('model.continuing_subword_prefix', model.continuing_subword_prefix, { optional: true });
    c.str('model.end_of_word_suffix', model.end_of_word_suffix, { optional: true });
    c.int('model.max_input_chars_per_word', model.max_input_chars_per_word, { optional: true });
    c.num('model.dropout', model.dropout, { optional: true, min: 0, max: 1 });
    for (const k of ['fuse_unk', 'byte_fallback', 'ignore_merges']) c.bool(`model.${k}`, model[k]);
  }
  if (type === 'BPE') {
    c.arr('model.merges', model.merges);
    const merges = model.merges as unknown[];
    const asPairs = Array.isArray(merges[0]);
    const prefix = typeof model.continuing_subword_prefix === 'string' ? model.continuing_subword_prefix : '';
    merges.forEach((m, i) => {
      let pair: unknown[] = [];
      if (asPairs) pair = Array.isArray(m) ? m : c.fail(`model.merges[${i}]`, 'must be a [left, right] pair like the first merge', m);
      else if (typeof m === 'string') pair = m.split(' ');
      else c.fail(`model.merges[${i}]`, 'must be a "left right" string like the first merge', m);
      if (pair.length !== 2 || typeof pair[0] !== 'string' || typeof pair[1] !== 'string' || !pair[0] || !pair[1]) c.fail(`model.merges[${i}]`, 'must be two non-empty tokens', m);
      const [a, b] = pair as [string, string];
      if (!ids.has(a)) c.fail(`model.merges[${i}]`, `uses '${a.slice(0, 40)}', which is not in model.vocab`);
      if (!ids.has(b)) c.fail(`model.merges[${i}]`, `uses '${b.slice(0, 40)}', which is not in model.vocab`);
      const merged = a + (prefix && b.startsWith(prefix) ? b.slice(prefix.length) : b);
      if (!ids.has(merged)) c.fail(`model.merges[${i}]`, `makes '${merged.slice(0, 40)}', which is not in model.vocab`);
    });
  }

  if (c.arr('added_tokens', tj.added_tokens, { optional: true })) {
    (tj.added_tokens as unknown[]).forEach((t, i) => {
      if (!isObj(t)) c.fail(`added_tokens[${i}]`, 'must be an object', t);
      c.int(`added_tokens[${i}].id`, t.id);
      c.str(`added_tokens[${i}].content`, t.content, { nonEmpty: true });
      for (const k of ['special', 'lstrip', 'rstrip', 'normalized', 'single_word']) c.bool(`added_tokens[${i}].${k}`, t[k]);
    });
  }
  for (const k of Object.keys(COMPONENTS) as Component[]) checkComponent(c, k, k, tj[k], 0);
  if (tj.truncation !== undefined && tj.truncation !== null && !isObj(tj.truncation)) c.fail('truncation', 'must be an object or null', tj.truncation);
  if (tj.padding !== undefined && tj.padding !== null && !isObj(tj.padding)) c.fail('padding', 'must be an object or null', tj.padding);
}

function checkComponent(c: Checker, kind: Component, field: string, v: unknown, depth: number): void {
  if (v === undefined || v === null) return;
  if (!isObj(v)) c.fail(field, 'must be an object or null', v);
  const { seq, types } = COMPONENTS[kind];
  if (!(types as readonly string[]).includes(v.type)) c.fail(`${field}.type`, `must be one of ${types.join(', ')}`, v.type);
  if (v.type === 'Sequence') {
    if (depth > 16) c.fail(field, 'nests Sequences too deeply');
    c.arr(`${field}.${seq}`, v[seq]);
    (v[seq] as unknown[]).forEach((x, i) => checkComponent(c, kind, `${field}.${seq}[${i}]`, x, depth + 1));
    return;
  }
  for (const k of ['lowercase', 'strip_accents', 'clean_text', 'handle_chinese_chars', 'add_prefix_space', 'trim_offsets', 'use_regex', 'individual_digits', 'invert', 'left', 'right', 'cleanup', 'split']) {
    if (k in v) c.bool(`${field}.${k}`, v[k]);
  }
  for (const k of ['content', 'prepend', 'replacement', 'prefix', 'suffix', 'pad_token', 'word_delimiter_token', 'behavior', 'prepend_scheme']) {
    if (k in v) c.str(`${field}.${k}`, v[k], { optional: true });
  }
  if (v.type === 'Replace' || v.type === 'Split') c.pattern(`${field}.pattern`, v.pattern);
  if (v.type === 'Precompiled') c.str(`${field}.precompiled_charsmap`, v.precompiled_charsmap, { optional: true });
  if (v.type === 'Metaspace' && typeof v.replacement === 'string' && [...v.replacement].length !== 1) c.fail(`${field}.replacement`, 'must be one character', v.replacement);
  if (v.type === 'Strip' && kind === 'decoder') { c.int(`${field}.start`, v.start, { optional: true }); c.int(`${field}.stop`, v.stop, { optional: true }); }
  if (v.type === 'FixedLength') c.int(`${field}.length`, v.length, { min: 1 });
  if (v.type === 'BertProcessing' || v.type === 'RobertaProcessing') {
    for (const k of ['cls', 'sep']) {
      const p = v[k];
      if (!Array.isArray(p) || p.length !== 2 || typeof p[0] !== 'string' || !isId(p[1])) c.fail(`${field}.${k}`, 'must be a [token, id] pair', p);
    }
  }
  if (v.type === 'TemplateProcessing') {
    for (const k of ['single', 'pair']) {
      if (!c.arr(`${field}.${k}`, v[k], { optional: true })) continue;
      (v[k] as unknown[]).forEach((it, i) => {
        const f = `${field}.${k}[${i}]`;
        if (!isObj(it)) c.fail(f, 'must be {"SpecialToken": ...} or {"Sequence": ...}', it);
        if (isObj(it.SpecialToken)) { c.str(`${f}.SpecialToken.id`, it.SpecialToken.id, { nonEmpty: true }); c.int(`${f}.SpecialToken.type_id`, it.SpecialToken.type_id, { optional: true, max: 1 << 16 }); }
        else if (isObj(it.Sequence)) {
          if (it.Sequence.id !== 'A' && it.Sequence.id !== 'B') c.fail(`${f}.Sequence.id`, "must be 'A' or 'B'", it.Sequence.id);
          c.int(`${f}.Sequence.type_id`, it.Sequence.type_id, { optional: true, max: 1 << 16 });
        } else c.fail(f, 'must be {"SpecialToken": ...} or {"Sequence": ...}', it);
      });
    }
    if (v.special_tokens !== undefined && v.special_tokens !== null) {
      if (!isObj(v.special_tokens)) c.fail(`${field}.special_tokens`, 'must be an object', v.special_tokens);
      for (const [name, st] of Object.entries(v.special_tokens)) {
        const f = `${field}.special_tokens[${shown(name)}]`;
        if (!isObj(st)) c.fail(f, 'must be an object', st);
        if (c.arr(`${f}.ids`, st.ids)) (st.ids as unknown[]).forEach((id, i) => c.int(`${f}.ids[${i}]`, id));
        if (c.arr(`${f}.tokens`, st.tokens, { optional: true })) (st.tokens as unknown[]).forEach((t, i) => c.str(`${f}.tokens[${i}]`, t));
      }
    }
  }
}
