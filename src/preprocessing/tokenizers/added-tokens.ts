// Splitting a text on added tokens (special tokens and tokens added to the vocabulary) before the
// model sees it, with the offsets of each section: the longest token matching at the leftmost
// position wins; lstrip/rstrip tokens swallow the whitespace on their left/right (the slow
// tokenizers strip both sides of special tokens given as plain strings); single_word tokens match
// only between word boundaries.

export interface SplittableToken {
  content: string;
  lstrip?: boolean;
  rstrip?: boolean;
  single_word?: boolean;
}

/** A section of the text: plain text for the model, or one added token. [start, end) in the input. */
export interface Section { text: string; start: number; end: number; token: SplittableToken | null }

const WORD_CHAR = /[\p{L}\p{N}_]/u;

/** Finds added tokens with a character trie (longest match at each position). */
export class AddedTokenSplitter {
  private readonly root = new Map<string, any>();
  readonly size: number;
  constructor(tokens: readonly SplittableToken[]) {
    let n = 0;
    for (const t of tokens) {
      if (!t.content) continue;
      let node = this.root;
      for (const ch of t.content) {
        let next = node.get(ch);
        if (!next) { next = new Map(); node.set(ch, next); }
        node = next;
      }
      node.set('', t);
      n++;
    }
    this.size = n;
  }

  /** The sections of `text` (offsets relative to `text`, plus `base`). */
  split(text: string, base = 0): Section[] {
    if (!this.size) return text ? [{ text, start: base, end: base + text.length, token: null }] : [];
    const found: { start: number; end: number; token: SplittableToken }[] = [];
    let i = 0;
    while (i < text.length) {
      let node = this.root;
      let match: { end: number; token: SplittableToken } | null = null;
      for (let j = i; j < text.length; j++) {
        node = node.get(text[j]!);
        if (!node) break;
        const t = node.get('') as SplittableToken | undefined;
        if (t && (!t.single_word || this.isWordBounded(text, i, j + 1))) match = { end: j + 1, token: t };
      }
      if (match) { found.push({ start: i, ...match }); i = match.end; } else i++;
    }
    const sections: Section[] = [];
    let pos = 0;
    found.forEach((m, k) => {
      let start = m.start;
      let end = m.end;
      if (m.token.lstrip) while (start > pos && /\s/u.test(text[start - 1]!)) start--;
      if (pos < start) sections.push({ text: text.slice(pos, start), start: base + pos, end: base + start, token: null });
      const nextStart = k + 1 < found.length ? found[k + 1]!.start : text.length;
      if (m.token.rstrip) while (end < nextStart && /\s/u.test(text[end]!)) end++;
      sections.push({ text: m.token.content, start: base + m.start, end: base + m.end, token: m.token });
      pos = end;
    });
    if (pos < text.length) sections.push({ text: text.slice(pos), start: base + pos, end: base + text.length, token: null });
    return sections;
  }

  private isWordBounded(text: string, start: number, end: number): boolean {
    const before = start > 0 ? text[start - 1]! : '';
    const after = end < text.length ? text[end]! : '';
    return !(before && WORD_CHAR.test(before)) && !(after && WORD_CHAR.test(after));
  }
}
