// question-answering: transformers' QuestionAnsweringPipeline (extractive). Long contexts run as
// overlapping windows (maxSeqLen, docStride); the best spans of every window compete, with
// transformers' scoring (softmax of start and end logits over the allowed tokens, product of both).
import { noGrad, tidy } from '../torch/index';
import { Pipeline, checkTopK } from './base';
import { describe, PipelineInputError } from './inputs';
import { disposeEncoding, modelInputs } from './text-inputs';
import type { TaskDefinition } from './tasks';
import { qaWindowError } from '../preprocessing/task-data';

export interface QuestionAnsweringOptions {
  /** Answers per question (default 1: one object; more: a list sorted by score). */
  topK?: number;
  /** Tokens shared by consecutive windows of a long context (default min(maxSeqLen / 2, 128)). */
  docStride?: number;
  /** Longest answer, in tokens (default 15). */
  maxAnswerLen?: number;
  /** Tokens per window, question included (default min(model_max_length, 384)). */
  maxSeqLen?: number;
  /** Let '' (no answer, scored by the [CLS] token) compete with the spans (SQuAD v2 models). */
  handleImpossibleAnswer?: boolean;
  /** Widen the answer to whole words (default true). */
  alignToWords?: boolean;
}
export interface QuestionAnsweringItem { question: string; context: string }
/** One question and its context, several of them, or one object with arrays (questions over one context, or pairwise). */
export type QuestionAnsweringInput = QuestionAnsweringItem | QuestionAnsweringItem[] | { question: string | string[]; context: string | string[] };
export interface QuestionAnsweringAnswer { score: number; start: number; end: number; answer: string }
export type QuestionAnsweringOutput = QuestionAnsweringAnswer | QuestionAnsweringAnswer[] | (QuestionAnsweringAnswer | QuestionAnsweringAnswer[])[];

/** The (question, context) items of a call, named in errors like transformers' QuestionAnsweringArgumentHandler. */
export function qaItems(inputs: unknown): { items: QuestionAnsweringItem[]; single: boolean } {
  if (inputs === null || inputs === undefined) throw new PipelineInputError('no question given: pass {question, context} or an array of them');
  let items: unknown[];
  let single = false;
  if (Array.isArray(inputs)) {
    if (!inputs.length) throw new PipelineInputError('no question given: pass {question, context} or a non-empty array of them');
    items = inputs;
  } else if (typeof inputs === 'object' && (Array.isArray((inputs as any).question) || Array.isArray((inputs as any).context))) {
    const { question: q, context: c } = inputs as { question: unknown; context: unknown };
    const qs = Array.isArray(q) ? q : null, cs = Array.isArray(c) ? c : null;
    if (qs && cs && qs.length !== cs.length) throw new PipelineInputError(`${qs.length} questions but ${cs.length} contexts: give one context, or one per question`);
    const n = (qs ?? cs)!.length;
    items = Array.from({ length: n }, (_, i) => ({ question: qs ? qs[i] : q, context: cs ? cs[i] : c }));
  } else {
    items = [inputs];
    single = true;
  }
  const out = items.map((x, i) => {
    if (!x || typeof x !== 'object' || Array.isArray(x)) throw new PipelineInputError(`question ${i} is ${describe(x)}: pass {question, context}`);
    const { question, context } = x as Record<string, unknown>;
    if (typeof question !== 'string') throw new PipelineInputError(`question ${i}: question must be a string, got ${describe(question)}`);
    if (typeof context !== 'string') throw new PipelineInputError(`question ${i}: context must be a string, got ${describe(context)}`);
    if (!question.trim()) throw new PipelineInputError(`question ${i}: question cannot be empty`);
    if (!context.trim()) throw new PipelineInputError(`question ${i}: context cannot be empty`);
    return { question, context };
  });
  return { items: out, single };
}

const softmaxInPlace = (a: number[]) => {
  const m = Math.max(...a);
  let s = 0;
  for (let i = 0; i < a.length; i++) { a[i] = Math.exp(a[i]! - m); s += a[i]!; }
  for (let i = 0; i < a.length; i++) a[i]! /= s;
};

/**
 * One window's best spans as transformers' select_starts_ends + decode_spans: logits of tokens that
 * cannot answer (`allowed` false) set to -10000, softmax, the null score start[0]*end[0] read, then
 * [CLS] cleared; spans s <= e < s + maxAnswerLen scored start[s]*end[e], the topK best of the allowed.
 */
export function selectSpans(startLogits: readonly number[], endLogits: readonly number[], allowed: readonly boolean[], topK: number, maxAnswerLen: number):
  { spans: { start: number; end: number; score: number }[]; nullScore: number } {
  const start = startLogits.map((x, i) => (allowed[i] ? x : -10000));
  const end = endLogits.map((x, i) => (allowed[i] ? x : -10000));
  softmaxInPlace(start);
  softmaxInPlace(end);
  const nullScore = start[0]! * end[0]!;
  start[0] = end[0] = 0;
  const cands: { start: number; end: number; score: number }[] = [];
  for (let s = 0; s < start.length; s++) {
    for (let e = s; e < Math.min(end.length, s + maxAnswerLen); e++) cands.push({ start: s, end: e, score: start[s]! * end[e]! });
  }
  cands.sort((a, b) => b.score - a.score);
  return { spans: cands.slice(0, topK).filter((c) => allowed[c.start] && allowed[c.end]), nullScore };
}

export class QuestionAnsweringPipeline extends Pipeline<QuestionAnsweringInput, QuestionAnsweringOutput, QuestionAnsweringOptions> {
  async call(inputs: QuestionAnsweringInput, options: QuestionAnsweringOptions = {}): Promise<QuestionAnsweringOutput> {
    const o = { ...this.defaults, ...options };
    const { items, single } = qaItems(inputs);
    const tok = this.tokenizer!;
    const topK = checkTopK(o.topK ?? 1) ?? 1;
    const maxAnswerLen = o.maxAnswerLen ?? 15;
    if (!Number.isInteger(maxAnswerLen) || maxAnswerLen < 1) throw new PipelineInputError(`maxAnswerLen must be a positive integer (got ${maxAnswerLen})`);
    const maxSeqLen = o.maxSeqLen ?? Math.min(tok.modelMaxLength, 384);
    const docStride = o.docStride ?? Math.min(Math.floor(maxSeqLen / 2), 128);
    if (!Number.isInteger(maxSeqLen) || maxSeqLen < 1) throw new PipelineInputError(`maxSeqLen must be a positive integer (got ${maxSeqLen})`);
    if (!Number.isInteger(docStride) || docStride < 0) throw new PipelineInputError(`docStride must be a non-negative integer (got ${docStride})`);
    if (docStride > maxSeqLen) throw new PipelineInputError(`docStride (${docStride}) is larger than maxSeqLen (${maxSeqLen}): lower docStride`);
    const questionFirst = tok.paddingSide === 'right';
    const ctxSeq = questionFirst ? 1 : 0;
    const results: (QuestionAnsweringAnswer | QuestionAnsweringAnswer[])[] = [];
    for (const [n, { question, context }] of items.entries()) {
      let enc;
      try {
        enc = tok(questionFirst ? question : context, questionFirst ? context : question, {
          truncation: questionFirst ? 'only_second' : 'only_first', maxLength: maxSeqLen, stride: docStride, padding: true,
          returnOverflowingTokens: true, returnOffsetsMapping: true, returnSpecialTokensMask: true, returnTensors: 'pt',
        });
      } catch (e) {
        const said = qaWindowError(e, { maxLength: maxSeqLen, docStride, what: 'question', maxLengthName: 'maxSeqLen' }) as Error;
        throw new PipelineInputError(said.message.replace(/^question 0:/, `question ${n}:`));
      }
      const ids = (enc.input_ids as any).toArray() as number[][];
      const attention = (enc.attention_mask as any).toArray() as number[][];
      const offsets = (enc.offset_mapping as any).toArray() as [number, number][][];
      const [startAll, endAll] = tidy(() => noGrad(() => {
        const out = this.model.forward(modelInputs(enc, this.model, this.device));
        return [out.startLogits.float().cpu().toArray(), out.endLogits.float().cpu().toArray()] as number[][][];
      }));
      let minNull = 1e6;
      const answers: QuestionAnsweringAnswer[] = [];
      ids.forEach((row, w) => {
        const seq = enc.sequenceIds(w);
        // tokens that may answer: the context's, and [CLS] (the null answer)
        const allowed = row.map((id, k) => !!attention[w]![k] && (seq[k] === ctxSeq || id === tok.clsTokenId));
        const { spans, nullScore } = selectSpans(startAll![w]!, endAll![w]!, allowed, topK, maxAnswerLen);
        if (o.handleImpossibleAnswer) minNull = Math.min(minNull, nullScore);
        const words = o.alignToWords === false ? null : enc.wordIds(w);
        const chars = (k: number): [number, number] => {
          if (!words || words[k] === null || seq[k] !== ctxSeq) return offsets[w]![k]!;
          let a = Infinity, b = -Infinity;
          words.forEach((word, j) => { if (word === words[k] && seq[j] === ctxSeq) { a = Math.min(a, offsets[w]![j]![0]); b = Math.max(b, offsets[w]![j]![1]); } });
          return [a, b];
        };
        for (const s of spans) {
          const start = chars(s.start)[0], end = chars(s.end)[1];
          answers.push({ score: s.score, start, end, answer: context.slice(start, end) });
        }
      });
      disposeEncoding(enc);
      if (o.handleImpossibleAnswer) answers.push({ score: minNull, start: 0, end: 0, answer: '' });
      const best = answers.sort((a, b) => b.score - a.score).slice(0, topK);
      results.push(best.length === 1 ? best[0]! : best);
    }
    return single ? results[0]! : results;
  }
}

export const questionAnsweringTask: TaskDefinition = {
  task: 'question-answering', inputs: 'text', autoClass: 'AutoModelForQuestionAnswering',
  defaultModel: ['distilbert/distilbert-base-cased-distilled-squad', '564e9b5'], inferFrom: /ForQuestionAnswering$/,
  description: 'the span of a context that answers a question ({question, context}), with its score and character offsets',
  create: (init) => new QuestionAnsweringPipeline(init),
};
