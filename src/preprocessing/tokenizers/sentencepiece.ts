// SentencePiece models (`spiece.model`, `sentencepiece.bpe.model`, `spm.model`): a reader for the
// ModelProto protobuf and the encoder the slow transformers tokenizers call (XLM-R, CamemBERT,
// ALBERT, DeBERTa-v2/v3, T5), written after sentencepiece's normalizer.cc and unigram_model.cc:
// the precompiled character map (a Darts double-array trie over UTF-8), the whitespace rules, the
// Viterbi search of the optimized encoder with float32 scores, runs of unknown characters merged
// into one piece, byte fallback. Pieces come with their offsets in the original text (UTF-16).

const UTF8 = new TextEncoder();
const UTF8_DECODE = new TextDecoder('utf-8', { fatal: false });
const SPACE_SYMBOL = '\u2581';

export class SentencePieceError extends Error {
  override name = 'SentencePieceError';
}

// ---------------------------------------------------------------- protobuf

/** Piece types of ModelProto.SentencePiece. */
export const PIECE_TYPE = { NORMAL: 1, UNKNOWN: 2, CONTROL: 3, USER_DEFINED: 4, UNUSED: 5, BYTE: 6 } as const;
/** TrainerSpec.model_type. */
export const MODEL_TYPE = { UNIGRAM: 1, BPE: 2, WORD: 3, CHAR: 4 } as const;

export interface SentencePiece { piece: string; score: number; type: number }
export interface NormalizerSpec {
  name: string;
  precompiledCharsmap: Uint8Array | null;
  addDummyPrefix: boolean;
  removeExtraWhitespaces: boolean;
  escapeWhitespaces: boolean;
}
export interface ModelProto {
  pieces: SentencePiece[];
  trainer: {
    modelType: number; unkId: number; bosId: number; eosId: number; padId: number;
    byteFallback: boolean; treatWhitespaceAsSuffix: boolean; unkSurface: string;
  };
  normalizer: NormalizerSpec;
}

/** A protobuf wire-format reader (the subset ModelProto uses). */
class Wire {
  pos = 0;
  constructor(readonly buf: Uint8Array, readonly end = buf.length) {}
  varint(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      if (this.pos >= this.end) throw new SentencePieceError('truncated varint');
      const b = this.buf[this.pos++]!;
      if (shift < 28) result |= (b & 0x7f) << shift;
      else result += (b & 0x7f) * 2 ** shift;
      if (!(b & 0x80)) break;
      shift += 7;
      if (shift > 63) throw new SentencePieceError('varint longer than 64 bits');
    }
    return result;
  }
  /** An int32 field stored as a (possibly 10-byte, negative) varint. */
  int32(): number {
    const v = this.varint();
    return v > 0x7fffffff ? Number(BigInt.asIntN(32, BigInt(v))) : v;
  }
  bytes(): Uint8Array {
    const n = this.varint();
    if (this.pos + n > this.end) throw new SentencePieceError('a length-delimited field runs past the end');
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  float32(): number {
    if (this.pos + 4 > this.end) throw new SentencePieceError('truncated float');
    const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 4).getFloat32(0, true);
    this.pos += 4;
    return v;
  }
  skip(wireType: number): void {
    if (wireType === 0) this.varint();
    else if (wireType === 1) this.pos += 8;
    else if (wireType === 2) this.bytes();
    else if (wireType === 5) this.pos += 4;
    else throw new SentencePieceError(`unsupported protobuf wire type ${wireType}`);
  }
  /** Calls fn(field, wireType) for each field until the end. */
  fields(fn: (field: number, wireType: number) => void): void {
    while (this.pos < this.end) {
      const tag = this.varint();
      fn(Math.floor(tag / 8), tag & 7);
    }
  }
}
const text = (b: Uint8Array) => UTF8_DECODE.decode(b);
const sub = (w: Wire) => { const b = w.bytes(); return new Wire(b); };

/** Parses a SentencePiece ModelProto (the `.model` file). `file` names it in errors. */
export function parseModelProto(buf: Uint8Array, file = 'the SentencePiece model'): ModelProto {
  const model: ModelProto = {
    pieces: [],
    trainer: { modelType: MODEL_TYPE.UNIGRAM, unkId: 0, bosId: 1, eosId: 2, padId: -1, byteFallback: false, treatWhitespaceAsSuffix: false, unkSurface: ' \u2047 ' },
    normalizer: { name: '', precompiledCharsmap: null, addDummyPrefix: true, removeExtraWhitespaces: true, escapeWhitespaces: true },
  };
  const top = new Wire(buf);
  try {
    top.fields((field, wt) => {
      if (field === 1 && wt === 2) {
        const w = sub(top);
        const p: SentencePiece = { piece: '', score: 0, type: PIECE_TYPE.NORMAL };
        w.fields((f, t) => {
          if (f === 1 && t === 2) p.piece = text(w.bytes());
          else if (f === 2 && t === 5) p.score = w.float32();
          else if (f === 3 && t === 0) p.type = w.varint();
          else w.skip(t);
        });
        model.pieces.push(p);
      } else if (field === 2 && wt === 2) {
        const w = sub(top);
        const tr = model.trainer;
        w.fields((f, t) => {
          if (t === 0 && f === 3) tr.modelType = w.varint();
          else if (t === 0 && f === 40) tr.unkId = w.int32();
          else if (t === 0 && f === 41) tr.bosId = w.int32();
          else if (t === 0 && f === 42) tr.eosId = w.int32();
          else if (t === 0 && f === 43) tr.padId = w.int32();
          else if (t === 0 && f === 35) tr.byteFallback = w.varint() !== 0;
          else if (t === 0 && f === 24) tr.treatWhitespaceAsSuffix = w.varint() !== 0;
          else if (t === 2 && f === 44) tr.unkSurface = text(w.bytes());
          else w.skip(t);
        });
      } else if (field === 3 && wt === 2) {
        const w = sub(top);
        const n = model.normalizer;
        w.fields((f, t) => {
          if (f === 1 && t === 2) n.name = text(w.bytes());
          else if (f === 2 && t === 2) { const b = w.bytes(); n.precompiledCharsmap = b.length ? b.slice() : null; }
          else if (f === 3 && t === 0) n.addDummyPrefix = w.varint() !== 0;
          else if (f === 4 && t === 0) n.removeExtraWhitespaces = w.varint() !== 0;
          else if (f === 5 && t === 0) n.escapeWhitespaces = w.varint() !== 0;
          else w.skip(t);
        });
      } else top.skip(wt);
    });
  } catch (e) {
    throw new SentencePieceError(`${file} is not a SentencePiece model (${(e as Error).message}): re-download it`);
  }
  if (!model.pieces.length) throw new SentencePieceError(`${file} has no pieces: it is not a SentencePiece model (re-download it)`);
  return model;
}

// ---------------------------------------------------------------- the precompiled character map

/**
 * sentencepiece's precompiled normalisation map: <trie size u32><Darts double array><NUL-terminated
 * replacements>. Finds the longest rule that is a prefix of the input bytes.
 */
export class PrecompiledCharsmap {
  private readonly units: Uint32Array;
  private readonly normalized: Uint8Array;
  constructor(blob: Uint8Array) {
    if (blob.length <= 4) throw new SentencePieceError('the precompiled charsmap is broken');
    const dv = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
    const trieSize = dv.getUint32(0, true);
    if (trieSize >= blob.length || trieSize % 4) throw new SentencePieceError('the precompiled charsmap trie exceeds the blob');
    this.units = new Uint32Array(trieSize / 4);
    for (let i = 0; i < this.units.length; i++) this.units[i] = dv.getUint32(4 + i * 4, true);
    this.normalized = blob.subarray(4 + trieSize);
  }
  /** [replacement bytes, consumed bytes] of the longest rule at `pos`, or null. */
  longestPrefix(input: Uint8Array, pos: number): [Uint8Array, number] | null {
    const u = this.units;
    let node = 0;
    let unit = u[0]!;
    node ^= offsetOf(unit);
    let bestLen = 0;
    let bestValue = 0;
    for (let i = pos; i < input.length; i++) {
      const c = input[i]!;
      node ^= c;
      unit = u[node]!;
      if (unit === undefined || (unit & 0x800000ff) !== c) break;
      node ^= offsetOf(unit);
      if ((unit >>> 8) & 1) {
        const len = i + 1 - pos;
        if (len > bestLen) { bestLen = len; bestValue = u[node]! & 0x7fffffff; }
      }
    }
    if (!bestLen) return null;
    let end = bestValue;
    while (end < this.normalized.length && this.normalized[end] !== 0) end++;
    return [this.normalized.subarray(bestValue, end), bestLen];
  }
}
const offsetOf = (unit: number) => (unit >>> 10) << ((unit & (1 << 9)) >>> 6);

/** Bytes of the UTF-8 character starting with byte b (1 for a malformed start byte). */
function utf8Len(buf: Uint8Array, pos: number): number {
  const b = buf[pos]!;
  const n = b < 0x80 ? 1 : b >= 0xf0 && b < 0xf8 ? 4 : b >= 0xe0 ? 3 : b >= 0xc2 && b < 0xe0 ? 2 : 0;
  if (n === 0 || pos + n > buf.length) return 0;
  for (let k = 1; k < n; k++) if ((buf[pos + k]! & 0xc0) !== 0x80) return 0;
  return n;
}
const REPLACEMENT = UTF8.encode('\ufffd');

// ---------------------------------------------------------------- the model

/** One piece of an encoding: its text, its id, and [start, end) in the original string (UTF-16). */
export interface EncodedPiece { piece: string; id: number; start: number; end: number }

/** The original-text UTF-16 offset of each UTF-8 byte offset (0..bytes.length). */
function byteToUtf16(s: string, bytes: Uint8Array): Int32Array {
  const out = new Int32Array(bytes.length + 1);
  let b = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let n: number;
    let units = 1;
    if (c < 0x80) n = 1;
    else if (c < 0x800) n = 2;
    else if (c >= 0xd800 && c < 0xdc00 && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) { n = 4; units = 2; }
    else n = 3;
    for (let k = 0; k < n && b + k <= bytes.length; k++) out[b + k] = i;
    b += n;
    i += units - 1;
  }
  for (let k = b; k <= bytes.length; k++) out[k] = s.length;
  return out;
}

/** A loaded SentencePiece model: normalise + encode like `SentencePieceProcessor.encode(text, out_type=str)`. */
export class SentencePieceModel {
  readonly proto: ModelProto;
  private readonly pieceIds = new Map<string, number>();
  private readonly reserved = new Map<string, number>();
  private readonly userDefined: string[] = [];
  private readonly charsmap: PrecompiledCharsmap | null;
  private readonly minScore: number;
  private readonly maxScore: number;
  private readonly maxPieceChars: number;
  readonly unkId: number;

  constructor(proto: ModelProto, file = 'the SentencePiece model') {
    this.proto = proto;
    if (proto.trainer.modelType !== MODEL_TYPE.UNIGRAM) {
      const kind = Object.entries(MODEL_TYPE).find(([, v]) => v === proto.trainer.modelType)?.[0] ?? String(proto.trainer.modelType);
      throw new SentencePieceError(`${file} is a SentencePiece ${kind} model: hubtune reads Unigram models (XLM-R, T5, ALBERT, DeBERTa-v3, CamemBERT); use the repo's tokenizer.json`);
    }
    let unk = -1;
    let minScore = Infinity;
    let maxScore = 1.1754943508222875e-38; // FLT_MIN, as sentencepiece starts it
    let maxChars = 1;
    proto.pieces.forEach((p, id) => {
      const normal = p.type === PIECE_TYPE.NORMAL || p.type === PIECE_TYPE.USER_DEFINED || p.type === PIECE_TYPE.UNUSED;
      const map = normal ? this.pieceIds : this.reserved;
      if (map.has(p.piece)) throw new SentencePieceError(`${file}: piece ${JSON.stringify(p.piece)} is defined twice`);
      map.set(p.piece, id);
      if (p.type === PIECE_TYPE.USER_DEFINED) this.userDefined.push(p.piece);
      if (p.type === PIECE_TYPE.UNKNOWN) unk = id;
      if (p.type === PIECE_TYPE.NORMAL) { minScore = Math.min(minScore, p.score); maxScore = Math.max(maxScore, p.score); }
      if (normal) maxChars = Math.max(maxChars, [...p.piece].length);
    });
    if (unk < 0) throw new SentencePieceError(`${file} defines no unknown piece (<unk>)`);
    this.unkId = unk;
    this.minScore = minScore === Infinity ? 0 : minScore;
    this.maxScore = maxScore;
    this.maxPieceChars = maxChars;
    this.userDefined.sort((a, b) => b.length - a.length);
    this.charsmap = proto.normalizer.precompiledCharsmap ? new PrecompiledCharsmap(proto.normalizer.precompiledCharsmap) : null;
  }

  static fromBuffer(buf: Uint8Array, file?: string): SentencePieceModel {
    return new SentencePieceModel(parseModelProto(buf, file), file);
  }

  get size(): number { return this.proto.pieces.length; }
  idToPiece(id: number): string {
    const p = this.proto.pieces[id];
    if (!p) throw new RangeError(`piece id ${id} is outside the SentencePiece vocabulary (0..${this.size - 1})`);
    return p.piece;
  }
  /** sentencepiece's PieceToId: control and unknown pieces, then the vocabulary; anything else is unk. */
  pieceToId(piece: string): number {
    return this.reserved.get(piece) ?? this.pieceIds.get(piece) ?? this.unkId;
  }
  isControl(id: number): boolean { return this.proto.pieces[id]?.type === PIECE_TYPE.CONTROL; }
  isUnknown(id: number): boolean { return this.proto.pieces[id]?.type === PIECE_TYPE.UNKNOWN; }
  isByte(id: number): boolean { return this.proto.pieces[id]?.type === PIECE_TYPE.BYTE; }

  /**
   * normalizer.cc's Normalize on UTF-8: the character map (user-defined symbols kept as they are),
   * leading/trailing/repeated spaces removed, the dummy prefix, spaces escaped as U+2581. Returns the
   * normalised bytes and, per normalised byte (plus one past the end), the original byte offset.
   */
  normalize(input: Uint8Array): { bytes: Uint8Array; normToOrig: number[] } {
    const spec = this.proto.normalizer;
    const out: number[] = [];
    const normToOrig: number[] = [];
    if (!input.length) return { bytes: new Uint8Array(0), normToOrig: [0] };
    const space = spec.escapeWhitespaces ? UTF8.encode(SPACE_SYMBOL) : Uint8Array.of(0x20);
    let pos = 0;
    let consumed = 0;
    const prefix = (at: number): [Uint8Array, number] => {
      for (const u of this.userDefined) {
        const ub = UTF8.encode(u);
        if (at + ub.length <= input.length && ub.every((b, k) => input[at + k] === b)) return [ub, ub.length];
      }
      const rule = this.charsmap?.longestPrefix(input, at);
      if (rule) return rule;
      const n = utf8Len(input, at);
      return n ? [input.subarray(at, at + n), n] : [REPLACEMENT, 1];
    };
    if (spec.removeExtraWhitespaces) {
      while (pos < input.length) {
        const [rep, n] = prefix(pos);
        if (!(rep.length === 1 && rep[0] === 0x20)) break;
        pos += n;
        consumed += n;
      }
      if (pos >= input.length) return { bytes: new Uint8Array(0), normToOrig: [consumed] };
    }
    const addWs = () => { for (const b of space) { out.push(b); normToOrig.push(consumed); } };
    const suffix = this.proto.trainer.treatWhitespaceAsSuffix;
    if (!suffix && spec.addDummyPrefix) addWs();
    let prevSpace = spec.removeExtraWhitespaces;
    while (pos < input.length) {
      const [rep, n] = prefix(pos);
      let k = 0;
      if (prevSpace) while (k < rep.length && rep[k] === 0x20) k++;
      if (k < rep.length) {
        for (; k < rep.length; k++) {
          if (spec.escapeWhitespaces && rep[k] === 0x20) addWs();
          else { out.push(rep[k]!); normToOrig.push(consumed); }
        }
        prevSpace = rep[rep.length - 1] === 0x20;
      }
      consumed += n;
      pos += n;
      if (!spec.removeExtraWhitespaces) prevSpace = false;
    }
    if (spec.removeExtraWhitespaces) {
      while (out.length >= space.length && space.every((b, i) => out[out.length - space.length + i] === b)) {
        const len = out.length - space.length;
        consumed = normToOrig[len]!;
        out.length = len;
        normToOrig.length = len;
      }
    }
    if (suffix && spec.addDummyPrefix) addWs();
    normToOrig.push(consumed);
    return { bytes: Uint8Array.from(out), normToOrig };
  }

  /** The normalised text (sentencepiece's Normalize). */
  normalizeText(s: string): string {
    return UTF8_DECODE.decode(this.normalize(UTF8.encode(s)).bytes);
  }

  /**
   * Encodes a text into pieces with their ids and original offsets: the Viterbi path of the
   * optimized unigram encoder (float32 scores, ties kept by the earlier candidate), consecutive
   * unknown pieces merged into one (or split into <0xXX> byte pieces with byte fallback).
   */
  encode(s: string): EncodedPiece[] {
    const input = UTF8.encode(s);
    const { bytes, normToOrig } = this.normalize(input);
    if (!bytes.length) return [];
    const toUtf16 = byteToUtf16(s, input);
    const norm = UTF8_DECODE.decode(bytes);
    // code points of the normalised text with their byte offsets
    const chars: string[] = [];
    const charByte: number[] = [];
    let b = 0;
    for (const ch of norm) { chars.push(ch); charByte.push(b); b += UTF8.encode(ch).length; }
    charByte.push(b);
    const n = chars.length;
    const f = Math.fround;
    const unkScore = f(this.minScore - 10);
    const bestScore = new Float64Array(n + 1);
    const bestStart = new Int32Array(n + 1).fill(-1);
    const bestId = new Int32Array(n + 1).fill(-1);
    for (let start = 0; start < n; start++) {
      const here = bestScore[start]!;
      let hasSingle = false;
      let piece = '';
      const limit = Math.min(n, start + this.maxPieceChars);
      for (let end = start + 1; end <= limit; end++) {
        piece += chars[end - 1];
        const id = this.pieceIds.get(piece);
        if (id === undefined) continue;
        const p = this.proto.pieces[id]!;
        if (p.type === PIECE_TYPE.UNUSED) continue;
        const score = p.type === PIECE_TYPE.USER_DEFINED ? (charByte[end]! - charByte[start]!) * this.maxScore - 0.1 : p.score;
        const cand = p.type === PIECE_TYPE.USER_DEFINED ? score + here : f(score + here);
        if (bestStart[end] === -1 || cand > bestScore[end]!) { bestScore[end] = f(cand); bestStart[end] = start; bestId[end] = id; }
        if (end === start + 1) hasSingle = true;
      }
      if (!hasSingle) {
        const cand = f(unkScore + here);
        if (bestStart[start + 1] === -1 || cand > bestScore[start + 1]!) { bestScore[start + 1] = cand; bestStart[start + 1] = start; bestId[start + 1] = this.unkId; }
      }
    }
    const path: [number, number, number][] = [];
    for (let end = n; end > 0; end = bestStart[end]!) path.push([bestStart[end]!, end, bestId[end]!]);
    path.reverse();
    const out: EncodedPiece[] = [];
    let prevUnk = false;
    for (const [st, en, id] of path) {
      const origStart = toUtf16[normToOrig[charByte[st]!]!]!;
      const origEnd = toUtf16[normToOrig[charByte[en]!]!]!;
      const piece = chars.slice(st, en).join('');
      const unk = id === this.unkId;
      if (unk && this.proto.trainer.byteFallback) {
        const pb = UTF8.encode(piece);
        pb.forEach((byte, k) => {
          const bp = `<0x${byte.toString(16).toUpperCase().padStart(2, '0')}>`;
          out.push({ piece: bp, id: this.pieceToId(bp), start: origStart, end: k === pb.length - 1 ? origEnd : origStart });
        });
      } else if (unk && prevUnk) {
        const last = out[out.length - 1]!;
        last.piece += piece;
        last.end = origEnd;
      } else out.push({ piece, id, start: origStart, end: origEnd });
      prevUnk = unk;
    }
    return out;
  }

  /** `SentencePieceProcessor.decode(pieces)`: control pieces vanish, <unk> shows as ' ⁇ ', the leading U+2581 is dropped. */
  decodePieces(pieces: readonly string[]): string {
    let textOut = '';
    let bytes: number[] = [];
    const flush = () => { if (bytes.length) { textOut += UTF8_DECODE.decode(Uint8Array.from(bytes)); bytes = []; } };
    const spec = this.proto.normalizer;
    for (const piece of pieces) {
      const id = this.pieceToId(piece);
      if (this.isByte(id)) { bytes.push(parseInt(piece.slice(3, 5), 16)); continue; }
      flush();
      if (this.isControl(id)) continue;
      if (this.isUnknown(id)) { textOut += this.idToPiece(id) === piece ? this.proto.trainer.unkSurface : piece; continue; }
      let p = piece;
      if (textOut === '' && (spec.addDummyPrefix || spec.removeExtraWhitespaces) && p.startsWith(SPACE_SYMBOL)) p = p.slice(1);
      textOut += p.replaceAll(SPACE_SYMBOL, ' ');
    }
    flush();
    return textOut;
  }
}
