// GPT-2's reversible byte <-> printable-character table (as in transformers' bytes_to_unicode),
// used to turn byte-level BPE tokens back into text like the slow GPT-2/RoBERTa tokenizers.

function buildTables(): { byteToChar: string[]; charToByte: Map<string, number> } {
  const bs: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) bs.push(b);
  for (let b = 0xa1; b <= 0xac; b++) bs.push(b);
  for (let b = 0xae; b <= 0xff; b++) bs.push(b);
  const cs = bs.slice();
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bs.includes(b)) {
      bs.push(b);
      cs.push(256 + n);
      n++;
    }
  }
  const byteToChar: string[] = new Array(256);
  const charToByte = new Map<string, number>();
  for (let i = 0; i < bs.length; i++) {
    const ch = String.fromCharCode(cs[i]);
    byteToChar[bs[i]] = ch;
    charToByte.set(ch, bs[i]);
  }
  return { byteToChar, charToByte };
}

const TABLES = buildTables();
const UTF8_DECODER = new TextDecoder('utf-8', { fatal: false });
const UTF8_ENCODER = new TextEncoder();

/** Byte-level tokens joined -> text; invalid UTF-8 becomes U+FFFD (Python's errors="replace"). */
export function byteLevelTokensToString(tokens: readonly string[]): string {
  const text = tokens.join('');
  const bytes: number[] = [];
  for (const ch of text) {
    const b = TABLES.charToByte.get(ch);
    if (b !== undefined) bytes.push(b);
    else for (const x of UTF8_ENCODER.encode(ch)) bytes.push(x); // a character outside the table (an added token)
  }
  return UTF8_DECODER.decode(Uint8Array.from(bytes));
}

/** The printable character that stands for each byte (index 0..255). */
export function byteToUnicodeTable(): readonly string[] {
  return TABLES.byteToChar;
}
