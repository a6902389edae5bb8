// What a tokenizer's model stage gives for a piece of text (no added tokens in it): tokens, their
// ids and their [start, end) offsets in that text (UTF-16 indices, so `text.slice(start, end)` is
// the token's source). Implemented by the SentencePiece tokenizers and by the aligned pipeline.

export interface EncodedText {
  tokens: string[];
  ids: number[];
  offsets: [number, number][];
  /** Pre-tokenizer word index of each token (fast tokenizers' word_ids()). */
  words?: number[];
}

export interface TextModel {
  /** Tokens of a text that holds no added token. */
  encode(text: string): EncodedText;
  /** Tokens -> text, as the slow tokenizer's convert_tokens_to_string does; `isSpecial` tells its special tokens. */
  tokensToString(tokens: readonly string[], isSpecial: (token: string) => boolean): string;
}

/**
 * A string derived from an original one, with the original [start, end) of each UTF-16 unit:
 * normalisation that changes lengths (NFKD, accents stripped, spaces collapsed) keeps offsets.
 */
export class AlignedText {
  constructor(readonly text: string, readonly starts: number[], readonly ends: number[]) {}
  static of(s: string, base = 0): AlignedText {
    const starts: number[] = [];
    const ends: number[] = [];
    for (let i = 0; i < s.length; i++) {
      const pair = i + 1 < s.length && (s.charCodeAt(i) & 0xfc00) === 0xd800 && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00;
      const w = pair ? 2 : 1;
      for (let k = 0; k < w; k++) { starts.push(base + i); ends.push(base + i + w); }
      i += w - 1;
    }
    return new AlignedText(s, starts, ends);
  }
  /** Maps each code point through fn (its output units keep the code point's original range; '' drops it). */
  mapChars(fn: (ch: string, index: number) => string): AlignedText {
    let text = '';
    const starts: number[] = [];
    const ends: number[] = [];
    let i = 0;
    for (const ch of this.text) {
      const out = fn(ch, i);
      const s = this.starts[i]!;
      const e = this.ends[i + ch.length - 1]!;
      text += out;
      for (let k = 0; k < out.length; k++) { starts.push(s); ends.push(e); }
      i += ch.length;
    }
    return new AlignedText(text, starts, ends);
  }
  slice(start: number, end = this.text.length): AlignedText {
    return new AlignedText(this.text.slice(start, end), this.starts.slice(start, end), this.ends.slice(start, end));
  }
  /** The original range of [start, end) of this text. */
  range(start: number, end: number): [number, number] {
    if (end <= start) { const p = start < this.starts.length ? this.starts[start]! : (this.ends[this.ends.length - 1] ?? 0); return [p, p]; }
    return [this.starts[start]!, this.ends[end - 1]!];
  }
  /** Whitespace runs collapsed to one space and the ends trimmed (Python's " ".join(s.split())). */
  collapseWhitespace(): AlignedText {
    let text = '';
    const starts: number[] = [];
    const ends: number[] = [];
    let pendingSpace = -1;
    for (let i = 0; i < this.text.length; i++) {
      const ch = this.text[i]!;
      if (/\s/u.test(ch)) { if (text.length && pendingSpace < 0) pendingSpace = i; continue; }
      if (pendingSpace >= 0) { text += ' '; starts.push(this.starts[pendingSpace]!); ends.push(this.ends[pendingSpace]!); pendingSpace = -1; }
      text += ch;
      starts.push(this.starts[i]!);
      ends.push(this.ends[i]!);
    }
    return new AlignedText(text, starts, ends);
  }
}
