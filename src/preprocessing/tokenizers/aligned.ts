// Encoding with offsets and word ids, as fast tokenizers give them (return_offsets_mapping,
// word_ids()): the text is normalised and pre-tokenised keeping each character's place in the
// original string, the model (the backend's WordPiece or BPE) runs on each word, and every token
// gets the [start, end) of the original characters it came from (UTF-16 indices).
import { byteToUnicodeTable } from './byte-level';
import type { EncodedText } from './text-model';

const PUNCT = /[\p{P}\u0021-\u002F\u003A-\u0040\u005B-\u0060\u007B-\u007E]/u;
const CONTROL = /^(\p{Cc}|\p{Cf}|\p{Co}|\p{Cs})$/u;
const UTF8 = new TextEncoder();

function isChinese(cp: number): boolean {
  return (cp >= 0x4e00 && cp <= 0x9fff) || (cp >= 0x3400 && cp <= 0x4dbf) || (cp >= 0x20000 && cp <= 0x2a6df) || (cp >= 0x2a700 && cp <= 0x2b73f)
    || (cp >= 0x2b740 && cp <= 0x2b81f) || (cp >= 0x2b820 && cp <= 0x2ceaf) || (cp >= 0xf900 && cp <= 0xfaff) || (cp >= 0x2f800 && cp <= 0x2fa1f);
}

type ModelFn = (words: string[]) => string[];
type Lookup = (token: string) => number;

/** One pre-tokenised word: its normalised characters and, per character, the original [start, end). */
interface Word { chars: string[]; starts: number[]; ends: number[] }

/**
 * BertNormalizer (clean_text, CJK characters apart, lowercase, accents stripped) + BertPreTokenizer
 * (whitespace and punctuation) + WordPiece, with offsets. `##` pieces and [UNK] (the whole word) map
 * back to the characters they cover.
 */
export function encodeWordPiece(text: string, norm: Record<string, any> | null, model: ModelFn, lookup: Lookup, prefix = '##'): EncodedText {
  const words: Word[] = [];
  let cur: Word | null = null;
  const flush = () => { if (cur && cur.chars.length) words.push(cur); cur = null; };
  const push = (ch: string, s: number, e: number) => { cur ??= { chars: [], starts: [], ends: [] }; cur.chars.push(ch); cur.starts.push(s); cur.ends.push(e); };
  let i = 0;
  for (const ch of text) {
    const s = i;
    const e = i + ch.length;
    i = e;
    const cp = ch.codePointAt(0)!;
    let out = ch;
    if (norm?.clean_text) {
      if (cp === 0 || cp === 0xfffd || (!'\t\n\r'.includes(ch) && CONTROL.test(ch))) continue;
      if (/^\s$/u.test(ch)) out = ' ';
    }
    if (norm?.lowercase) {
      out = out.toLowerCase();
      if (norm.strip_accents !== false) out = out.normalize('NFD').replace(/\p{Mn}/gu, '');
    } else if (norm?.strip_accents) out = out.normalize('NFD').replace(/\p{Mn}/gu, '');
    const chinese = norm?.handle_chinese_chars && isChinese(cp);
    for (const c of out) {
      if (/^\s$/u.test(c)) { flush(); continue; }
      if (PUNCT.test(c) || chinese) { flush(); push(c, s, e); flush(); continue; }
      push(c, s, e);
    }
  }
  flush();
  const res: EncodedText = { tokens: [], ids: [], offsets: [], words: [] };
  words.forEach((w, wi) => {
    const tokens = model([w.chars.join('')]);
    let pos = 0;
    for (const t of tokens) {
      const len = [...(t.startsWith(prefix) && pos > 0 ? t.slice(prefix.length) : t)].length;
      const unk = tokens.length === 1 && len !== w.chars.length;
      const from = unk ? 0 : pos;
      const to = unk ? w.chars.length : Math.min(pos + len, w.chars.length);
      res.tokens.push(t);
      res.ids.push(lookup(t));
      res.offsets.push([w.starts[from] ?? w.starts[0]!, w.ends[Math.max(from, to - 1)] ?? w.ends[w.ends.length - 1]!]);
      res.words!.push(wi);
      pos = to;
    }
  });
  return res;
}

const BYTE_LEVEL_PATTERN = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

/**
 * ByteLevel pre-tokenisation (GPT-2's regex on the text, an optional prefix space) + BPE, with
 * offsets trimmed of the leading/trailing spaces a token carries (trim_offsets, as RobertaProcessing).
 */
export function encodeByteLevel(text: string, addPrefixSpace: boolean, model: ModelFn, lookup: Lookup, trimOffsets = true, pattern: RegExp = BYTE_LEVEL_PATTERN): EncodedText {
  const table = byteToUnicodeTable();
  const prefixed = addPrefixSpace && text.length > 0 && !text.startsWith(' ');
  const src = prefixed ? ' ' + text : text;
  const shift = prefixed ? 1 : 0;
  const res: EncodedText = { tokens: [], ids: [], offsets: [], words: [] };
  const re = new RegExp(pattern.source, pattern.flags.includes('g') ? pattern.flags : pattern.flags + 'g');
  let wi = 0;
  for (const m of src.matchAll(re)) {
    const word = m[0];
    const base = m.index!;
    // original position of each byte of the word
    const byteStart: number[] = [];
    const byteEnd: number[] = [];
    let enc = '';
    let k = 0;
    for (const ch of word) {
      const bytes = UTF8.encode(ch);
      const s = Math.max(0, base + k - shift);
      const e = Math.max(0, base + k + ch.length - shift);
      for (const b of bytes) { enc += table[b]; byteStart.push(s); byteEnd.push(e); }
      k += ch.length;
    }
    let pos = 0;
    for (const t of model([enc])) {
      const n = [...t].length;
      let start = byteStart[pos]!;
      let end = byteEnd[pos + n - 1]!;
      if (trimOffsets) {
        const chars = [...t];
        let lead = 0;
        while (lead < chars.length && (chars[lead] === '\u0120' || /\s/u.test(chars[lead]!))) lead++;
        let trail = 0;
        while (trail < chars.length - lead && (chars[chars.length - 1 - trail] === '\u0120' || /\s/u.test(chars[chars.length - 1 - trail]!))) trail++;
        const first = res.tokens.length === 0 || start === 0;
        if (lead > 0 && !(first && addPrefixSpace && lead === 1)) start = Math.min(byteStart[pos + lead] ?? end, end);
        if (trail > 0) end = Math.max(byteEnd[pos + n - 1 - trail] ?? start, start);
      }
      res.tokens.push(t);
      res.ids.push(lookup(t));
      res.offsets.push([start, end]);
      res.words!.push(wi);
      pos += n;
    }
    wi++;
  }
  return res;
}
