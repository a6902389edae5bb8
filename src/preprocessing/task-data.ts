// The data preparation of transformers' token and span example scripts: run_ner.py's
// tokenize_and_align_labels (word labels onto sub-tokens) and run_qa.py's prepare_train_features,
// prepare_validation_features and postprocess_qa_predictions (strided windows over long contexts,
// start/end token positions, n-best span decoding back to the context text, null answers of SQuAD v2).
import type { PreTrainedTokenizer, BatchEncoding } from './tokenization-base';

// ---- token classification ---------------------------------------------------------------------

export interface AlignLabelsOptions {
  /** Label every sub-token (B- labels become I- after the first), not only the first of each word. */
  labelAllTokens?: boolean;
  /** The label names (id2label order) to map B-X to I-X with labelAllTokens. */
  labelNames?: string[];
  maxLength?: number;
  padding?: boolean | 'max_length' | 'longest';
  /** Column names used in errors (default tokens / ner_tags). */
  wordsColumn?: string;
  labelsColumn?: string;
}

/** Tokenises lists of words and puts each word's label on its first sub-token (-100 on the others and on special tokens). */
export function tokenizeAndAlignLabels(tokenizer: PreTrainedTokenizer, words: string[][], labels: number[][], o: AlignLabelsOptions = {}): BatchEncoding<number[][]> & { labels: number[][] } {
  const wc = o.wordsColumn ?? 'tokens', lc = o.labelsColumn ?? 'ner_tags';
  words.forEach((w, i) => {
    if (!Array.isArray(w)) throw new TypeError(`row ${i}: ${wc} is not a list of words`);
    const l = labels[i];
    if (!Array.isArray(l)) throw new TypeError(`row ${i}: ${lc} is not a list of label ids`);
    if (l.length !== w.length) throw new Error(`row ${i}: ${lc} has ${l.length} labels but ${wc} has ${w.length} words: give one label per word`);
  });
  const enc = tokenizer(words, { isSplitIntoWords: true as const, truncation: true, maxLength: o.maxLength, padding: o.padding ?? false }) as BatchEncoding<number[][]>;
  const bToI = (id: number) => {
    const name = o.labelNames?.[id];
    if (!name?.startsWith('B-')) return id;
    const i = o.labelNames!.indexOf(`I-${name.slice(2)}`);
    return i >= 0 ? i : id;
  };
  const out = enc as BatchEncoding<number[][]> & { labels: number[][] };
  out.labels = words.map((_, i) => {
    let prev: number | null = null;
    return enc.wordIds(i).map((w) => {
      const v = w === null ? -100 : w !== prev ? labels[i]![w]! : o.labelAllTokens ? bToI(labels[i]![w]!) : -100;
      prev = w;
      return v;
    });
  });
  return out;
}

// ---- extractive question answering ----------------------------------------------------------------

export interface SquadAnswers { text: string[]; answer_start: number[] }
export interface QaExamples { id?: string[]; question: string[]; context: string[]; answers?: SquadAnswers[] }
export interface QaFeatureOptions {
  maxLength?: number;
  /** Tokens shared by consecutive windows of a long context (run_qa's doc_stride, default 128). */
  docStride?: number;
  /** Pad every window to maxLength (run_qa's pad_to_max_length, default true). */
  padToMaxLength?: boolean;
}

/**
 * The tokenizer's overflow-window errors (text[i]: no room / stride too large) said in question
 * answering's terms: the row (`what` names it), the question, the context, docStride and maxLength
 * (or the pipeline's own option names).
 */
export function qaWindowError(e: unknown, o: { maxLength: number; docStride: number; what?: string; maxLengthName?: string; docStrideName?: string }): unknown {
  const m = /^text(?:\[(\d+)\])?: (.*)$/.exec((e as Error)?.message ?? '');
  if (!m) return e;
  const row = `${o.what ?? 'row'} ${m[1] ?? 0}`, len = o.maxLengthName ?? 'maxLength', stride = o.docStrideName ?? 'docStride';
  if (/gets no room/.test(m[2]!)) return new Error(`${row}: the question leaves no room for the context in a window of ${len} ${o.maxLength}: shorten the question or raise ${len}`);
  const fit = /smaller than the (\d+) tokens/.exec(m[2]!);
  if (fit) return new Error(`${row}: ${stride} (${o.docStride}) must be smaller than the ${fit[1]} context tokens that fit in a window of ${len} ${o.maxLength} beside the question: lower ${stride} or raise ${len}`);
  return new Error(`${row}: ${m[2]}`);
}

function windows(tokenizer: PreTrainedTokenizer, ex: QaExamples, o: QaFeatureOptions) {
  const padRight = tokenizer.paddingSide === 'right';
  const questions = ex.question.map((q) => q.replace(/^\s+/, ''));
  const maxLength = o.maxLength ?? 384, docStride = o.docStride ?? 128;
  try {
    return tokenizer(padRight ? questions : ex.context, padRight ? ex.context : questions, {
      truncation: padRight ? 'only_second' : 'only_first', maxLength, stride: docStride,
      returnOverflowingTokens: true as const, returnOffsetsMapping: true, padding: (o.padToMaxLength ?? true) ? 'max_length' : false,
    }) as BatchEncoding<number[][]>;
  } catch (e) {
    throw qaWindowError(e, { maxLength, docStride });
  }
}

/**
 * run_qa.py's prepare_train_features: each (question, context) becomes one or more windows; each window
 * gets start_positions/end_positions of the answer's tokens, or the [CLS] index when the answer is not
 * in that window (or there is none).
 */
export function prepareQaTrainFeatures(tokenizer: PreTrainedTokenizer, ex: QaExamples, o: QaFeatureOptions = {}): Record<string, unknown[]> {
  if (!ex.answers) throw new Error('prepareQaTrainFeatures needs the answers column ({text, answer_start} per example)');
  ex.answers.forEach((a, i) => {
    if (!a || !Array.isArray(a.text) || !Array.isArray(a.answer_start) || a.text.length !== a.answer_start.length) {
      throw new Error(`row ${i}: answers must be {text: string[], answer_start: number[]} of the same length`);
    }
    if (a.text.length && ex.context[i]!.slice(a.answer_start[0]!, a.answer_start[0]! + a.text[0]!.length) !== a.text[0]) {
      throw new Error(`row ${i}: answers.text[0] ${JSON.stringify(a.text[0])} is not in the context at answers.answer_start[0] (${a.answer_start[0]}): fix the answer or its start`);
    }
  });
  const enc = windows(tokenizer, ex, o);
  const ctxSeq = tokenizer.paddingSide === 'right' ? 1 : 0;
  const starts: number[] = [], ends: number[] = [];
  const offsets = enc.offset_mapping as [number, number][][];
  const mapping = enc.overflow_to_sample_mapping as number[];
  const widest = new Map<number, number>(); // the widest context span (in characters) of each example's windows
  (enc.input_ids as number[][]).forEach((ids, i) => {
    const cls = Math.max(0, ids.indexOf(tokenizer.clsTokenId ?? tokenizer.bosTokenId ?? -1));
    const seq = enc.sequenceIds(i);
    const a = ex.answers![mapping[i]!]!;
    if (!a.answer_start.length) { starts.push(cls); ends.push(cls); return; }
    const startChar = a.answer_start[0]!, endChar = startChar + a.text[0]!.length;
    let s = 0;
    while (seq[s] !== ctxSeq) s++;
    let e = ids.length - 1;
    while (seq[e] !== ctxSeq) e--;
    const off = offsets[i]!;
    widest.set(mapping[i]!, Math.max(widest.get(mapping[i]!) ?? 0, off[e]![1] - off[s]![0]));
    if (!(off[s]![0] <= startChar && off[e]![1] >= endChar)) { starts.push(cls); ends.push(cls); return; }
    // run_qa walks past the window's last context token when the answer ends the window (its own
    // "edge case" comment): the walk stops at the last context token here, so that label stays right
    const last = e;
    while (s <= last && off[s]![0] <= startChar) s++;
    starts.push(s - 1);
    while (off[e]![1] >= endChar) e--;
    ends.push(e + 1);
  });
  // an answer longer than any window's context would train as "no answer" in every window
  for (const [row, width] of widest) {
    const a = ex.answers[row]!;
    if (a.text[0]!.length > width) {
      throw new Error(`row ${row}: answers.text[0] (${a.text[0]!.length} characters) is longer than the context of any window (at most ${width} characters with maxLength ${o.maxLength ?? 384}): raise maxLength or shorten the answer`);
    }
  }
  const out: Record<string, unknown[]> = {};
  for (const [k, v] of Object.entries(enc)) if (k !== 'offset_mapping' && k !== 'overflow_to_sample_mapping') out[k] = v as unknown[];
  out.start_positions = starts;
  out.end_positions = ends;
  return out;
}

/**
 * run_qa.py's prepare_validation_features: the windows with example_id and offset_mapping, where the
 * offsets of every token outside the context are null (so no answer is read from the question).
 */
export function prepareQaValidationFeatures(tokenizer: PreTrainedTokenizer, ex: QaExamples, o: QaFeatureOptions = {}): Record<string, unknown[]> {
  if (!ex.id) throw new Error('prepareQaValidationFeatures needs the id column (to map windows back to examples)');
  const enc = windows(tokenizer, ex, o);
  const ctxSeq = tokenizer.paddingSide === 'right' ? 1 : 0;
  const mapping = enc.overflow_to_sample_mapping as number[];
  const out: Record<string, unknown[]> = {};
  for (const [k, v] of Object.entries(enc)) if (k !== 'overflow_to_sample_mapping') out[k] = v as unknown[];
  out.example_id = mapping.map((m) => ex.id![m]!);
  out.offset_mapping = (enc.offset_mapping as [number, number][][]).map((offs, i) => {
    const seq = enc.sequenceIds(i);
    return offs.map((x, k) => (seq[k] === ctxSeq ? x : null));
  });
  return out;
}

export interface SpanCandidate { start: number; end: number; score: number; startLogit: number; endLogit: number }

/**
 * The best spans of one window: the nBest highest start and end logits paired, spans of context
 * tokens only, end >= start, at most maxAnswerLength tokens (run_qa's inner loop).
 */
export function bestSpans(startLogits: ArrayLike<number>, endLogits: ArrayLike<number>, offsets: ([number, number] | null)[], nBest: number, maxAnswerLength: number): SpanCandidate[] {
  const top = (l: ArrayLike<number>) => Array.from({ length: l.length }, (_, i) => i).sort((a, b) => l[b]! - l[a]! || b - a).slice(0, nBest);
  const out: SpanCandidate[] = [];
  for (const s of top(startLogits)) {
    for (const e of top(endLogits)) {
      if (s >= offsets.length || e >= offsets.length || !offsets[s] || !offsets[e]) continue;
      if (e < s || e - s + 1 > maxAnswerLength) continue;
      out.push({ start: offsets[s]![0], end: offsets[e]![1], score: startLogits[s]! + endLogits[e]!, startLogit: startLogits[s]!, endLogit: endLogits[e]! });
    }
  }
  return out;
}

export interface QaPostprocessOptions {
  /** SQuAD v2: questions may have no answer (the null span competes). */
  version2WithNegative?: boolean;
  nBestSize?: number;
  maxAnswerLength?: number;
  nullScoreDiffThreshold?: number;
}
export interface QaNBestEntry { text: string; start_logit: number; end_logit: number; probability: number }

/**
 * run_qa.py's postprocess_qa_predictions: for each example, the best span over all its windows
 * (n-best, softmax probabilities), mapped back to the context text; with version2WithNegative, ''
 * when the null score beats the best span by more than nullScoreDiffThreshold.
 */
export function postprocessQaPredictions(examples: { id: string[]; context: string[] }, features: { example_id: string[]; offset_mapping: ([number, number] | null)[][] },
  predictions: [ArrayLike<number>[], ArrayLike<number>[]], o: QaPostprocessOptions = {}): { predictions: Record<string, string>; nbest: Record<string, QaNBestEntry[]>; scoresDiff: Record<string, number> } {
  const [allStart, allEnd] = predictions;
  if (allStart.length !== features.example_id.length) throw new Error(`postprocessQaPredictions: ${allStart.length} predictions for ${features.example_id.length} features: predict on the validation features`);
  const nBest = o.nBestSize ?? 20, maxLen = o.maxAnswerLength ?? 30, v2 = o.version2WithNegative ?? false;
  const byExample = new Map<string, number[]>();
  features.example_id.forEach((id, i) => { if (!byExample.has(id)) byExample.set(id, []); byExample.get(id)!.push(i); });
  const preds: Record<string, string> = {}, nbest: Record<string, QaNBestEntry[]> = {}, scoresDiff: Record<string, number> = {};
  examples.id.forEach((id, ei) => {
    let minNull: (SpanCandidate & { text?: string }) | null = null;
    let prelim: SpanCandidate[] = [];
    for (const fi of byExample.get(id) ?? []) {
      const s = allStart[fi]!, e = allEnd[fi]!;
      const nullScore = s[0]! + e[0]!;
      if (minNull === null || minNull.score > nullScore) minNull = { start: 0, end: 0, score: nullScore, startLogit: s[0]!, endLogit: e[0]! };
      prelim = prelim.concat(bestSpans(s, e, features.offset_mapping[fi]!, nBest, maxLen));
    }
    if (v2 && minNull) prelim.push(minNull);
    let best = [...prelim].sort((a, b) => b.score - a.score).slice(0, nBest);
    if (v2 && minNull && !best.some((p) => p.start === 0 && p.end === 0)) best.push(minNull);
    const context = examples.context[ei]!;
    let entries = best.map((p) => ({ text: context.slice(p.start, p.end), start_logit: p.startLogit, end_logit: p.endLogit, score: p.score }));
    if (!entries.length || (entries.length === 1 && entries[0]!.text === '')) entries = [{ text: 'empty', start_logit: 0, end_logit: 0, score: 0 }, ...entries];
    const max = Math.max(...entries.map((x) => x.score));
    const exps = entries.map((x) => Math.exp(x.score - max));
    const sum = exps.reduce((a, b) => a + b, 0);
    nbest[id] = entries.map((x, k) => ({ text: x.text, start_logit: x.start_logit, end_logit: x.end_logit, probability: exps[k]! / sum }));
    if (!v2) { preds[id] = entries[0]!.text; return; }
    const bestNonNull = entries.find((x) => x.text !== '') ?? entries[0]!;
    const diff = minNull!.score - bestNonNull.start_logit - bestNonNull.end_logit;
    scoresDiff[id] = diff;
    preds[id] = diff > (o.nullScoreDiffThreshold ?? 0) ? '' : bestNonNull.text;
  });
  return { predictions: preds, nbest, scoresDiff };
}
