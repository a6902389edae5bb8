// token-classification (alias ner): transformers' TokenClassificationPipeline. One label per token, or
// entity groups (aggregationStrategy simple|first|average|max) with their character offsets in the text.
import { noGrad, tidy } from '../torch/index';
import { Pipeline, labelOf, softmaxRows } from './base';
import { asBatch, PipelineInputError } from './inputs';
import { disposeEncoding, modelInputs } from './text-inputs';
import type { TaskDefinition } from './tasks';

export type AggregationStrategy = 'none' | 'simple' | 'first' | 'average' | 'max';
const STRATEGIES: readonly AggregationStrategy[] = ['none', 'simple', 'first', 'average', 'max'];

export interface TokenClassificationOptions {
  /**
   * 'none' (default): one entry per token. 'simple': adjacent tokens of the same entity grouped.
   * 'first' / 'average' / 'max': each word takes the label of its first token / of its averaged
   * scores / of its most confident token, then words are grouped like 'simple'.
   */
  aggregationStrategy?: AggregationStrategy;
  /** Labels left out of the output (default ['O']). */
  ignoreLabels?: string[];
  /** Long texts in overlapping windows of model_max_length tokens sharing `stride` tokens (needs an aggregationStrategy other than 'none'). */
  stride?: number;
  /** Deprecated in transformers: true means aggregationStrategy 'simple'. */
  groupedEntities?: boolean;
}
/** One token (aggregationStrategy 'none'), transformers' keys in transformers' order. */
export interface TokenEntity { entity: string; score: number; index: number; word: string; start: number; end: number }
/** One entity group (any other aggregationStrategy). */
export interface EntityGroup { entity_group: string; score: number; word: string; start: number; end: number }
export type TokenClassificationOutput = (TokenEntity | EntityGroup)[] | (TokenEntity | EntityGroup)[][];

/** A token with its label scores, before aggregation (transformers' pre_entity). */
export interface PreEntity { word: string; scores: number[]; start: number; end: number; index: number; isSubword: boolean }
interface Labelled { entity: string; score: number; word: string; start: number; end: number; index?: number }

const argmax = (a: readonly number[]) => a.reduce((best, x, i) => (x > a[best]! ? i : best), 0);
const mean = (a: readonly number[]) => a.reduce((s, x) => s + x, 0) / a.length;

/** B-/I- prefix and tag of a label; a label without prefix counts as I- (a continuation). */
function tagOf(label: string): [bi: 'B' | 'I', tag: string] {
  if (label.startsWith('B-')) return ['B', label.slice(2)];
  if (label.startsWith('I-')) return ['I', label.slice(2)];
  return ['I', label];
}

/** One word from its tokens, by the strategy (transformers' aggregate_word). */
function aggregateWord(tokens: PreEntity[], strategy: AggregationStrategy, id2label: Record<number, string>, toString: (t: string[]) => string): Labelled {
  let scores: number[];
  if (strategy === 'first') scores = tokens[0]!.scores;
  else if (strategy === 'max') scores = tokens.reduce((best, t) => (Math.max(...t.scores) > Math.max(...best.scores) ? t : best)).scores;
  else scores = tokens[0]!.scores.map((_, k) => mean(tokens.map((t) => t.scores[k]!)));
  const k = argmax(scores);
  return { entity: labelOf(id2label, k), score: scores[k]!, word: toString(tokens.map((t) => t.word)), start: tokens[0]!.start, end: tokens[tokens.length - 1]!.end };
}

/** Adjacent entities of the same tag (a B- starts a new group) as entity groups (transformers' group_entities). */
function groupEntities(entities: Labelled[], toString: (t: string[]) => string): EntityGroup[] {
  const groups: EntityGroup[] = [];
  let current: Labelled[] = [];
  const close = () => {
    if (!current.length) return;
    groups.push({
      entity_group: current[0]!.entity.split('-').pop()!, score: mean(current.map((e) => e.score)),
      word: toString(current.map((e) => e.word)), start: current[0]!.start, end: current[current.length - 1]!.end,
    });
    current = [];
  };
  for (const e of entities) {
    if (current.length) {
      const [bi, tag] = tagOf(e.entity);
      const [, lastTag] = tagOf(current[current.length - 1]!.entity);
      if (!(tag === lastTag && bi !== 'B')) close();
    }
    current.push(e);
  }
  close();
  return groups;
}

/**
 * transformers' aggregate + ignore_labels filter: the tokens of one text as token entities ('none')
 * or entity groups. `toString` joins tokens back into text (the tokenizer's convertTokensToString).
 */
export function aggregateEntities(pre: PreEntity[], strategy: AggregationStrategy, id2label: Record<number, string>,
  toString: (tokens: string[]) => string, ignoreLabels: readonly string[] = ['O']): (TokenEntity | EntityGroup)[] {
  let out: (TokenEntity | EntityGroup)[];
  if (strategy === 'none' || strategy === 'simple') {
    const tokens: TokenEntity[] = pre.map((p) => {
      const k = argmax(p.scores);
      return { entity: labelOf(id2label, k), score: p.scores[k]!, index: p.index, word: p.word, start: p.start, end: p.end };
    });
    out = strategy === 'none' ? tokens : groupEntities(tokens, toString);
  } else {
    const words: Labelled[] = [];
    let group: PreEntity[] = [];
    for (const p of pre) {
      if (group.length && !p.isSubword) { words.push(aggregateWord(group, strategy, id2label, toString)); group = []; }
      group.push(p);
    }
    if (group.length) words.push(aggregateWord(group, strategy, id2label, toString));
    out = groupEntities(words, toString);
  }
  return out.filter((e) => !ignoreLabels.includes('entity' in e ? e.entity : e.entity_group));
}

/**
 * Entities of overlapping windows (stride) as transformers' aggregate_overlapping_entities: sorted by
 * start, an entity that starts inside the previous one replaces it when longer (or as long and more
 * confident), else is dropped.
 */
export function aggregateOverlapping<E extends { start: number; end: number; score: number }>(entities: E[]): E[] {
  if (!entities.length) return entities;
  const sorted = [...entities].sort((a, b) => a.start - b.start);
  const out: E[] = [];
  let prev = sorted[0]!;
  for (const e of sorted) {
    if (prev.start <= e.start && e.start < prev.end) {
      const len = e.end - e.start, prevLen = prev.end - prev.start;
      if (len > prevLen || (len === prevLen && e.score > prev.score)) prev = e;
    } else {
      out.push(prev);
      prev = e;
    }
  }
  out.push(prev);
  return out;
}

export function checkAggregation(o: TokenClassificationOptions): AggregationStrategy {
  const s = o.aggregationStrategy ?? (o.groupedEntities ? 'simple' : 'none');
  if (!STRATEGIES.includes(s)) throw new PipelineInputError(`aggregationStrategy must be one of ${STRATEGIES.join(', ')} (got ${JSON.stringify(s)})`);
  return s;
}

export class TokenClassificationPipeline extends Pipeline<string | string[], TokenClassificationOutput, TokenClassificationOptions> {
  private warnedHeuristic = false;

  async call(inputs: string | string[], options: TokenClassificationOptions = {}): Promise<TokenClassificationOutput> {
    const o = { ...this.defaults, ...options };
    const strategy = checkAggregation(o);
    const ignore = o.ignoreLabels ?? ['O'];
    const stride = o.stride;
    if (stride !== undefined) {
      if (!Number.isInteger(stride) || stride < 0) throw new PipelineInputError(`stride must be a non-negative integer (got ${stride})`);
      if (stride >= this.tokenizer!.modelMaxLength) throw new PipelineInputError(`stride (${stride}) must be less than the tokenizer's model_max_length (${this.tokenizer!.modelMaxLength}), and lower still with its special tokens`);
      if (strategy === 'none') throw new PipelineInputError("stride was given to process all the text but aggregationStrategy is 'none', which is ineffective: choose 'simple', 'first', 'average' or 'max'");
    }
    if (!Array.isArray(ignore) || ignore.some((l) => typeof l !== 'string')) throw new PipelineInputError('ignoreLabels must be an array of label names, e.g. ["O"]');
    const { items, single } = asBatch<string>(inputs, (v) => typeof v === 'string', 'text');
    items.forEach((t, i) => { if (typeof t !== 'string') throw new PipelineInputError(`text ${i} is not a string: token-classification takes a string or an array of strings`); });
    const tok = this.tokenizer!;
    // WordPiece marks word continuations (##): a token is a sub-word when it is longer than its text
    const wordAware = !!tok.tokenizerJson?.model?.continuing_subword_prefix;
    if (!wordAware && (strategy === 'first' || strategy === 'average' || strategy === 'max') && !this.warnedHeuristic) {
      this.warnedHeuristic = true;
      console.warn('Tokenizer does not support real words, using fallback heuristic');
    }
    const toString = (t: string[]) => tok.convertTokensToString(t);
    const id2label = this.model.config.id2label;
    const results: (TokenEntity | EntityGroup)[][] = [];
    for (const chunk of this.chunks(items)) {
      // with a stride, long texts run as overlapping windows of model_max_length tokens
      const enc = tok(chunk, {
        padding: true, truncation: true, returnSpecialTokensMask: true, returnOffsetsMapping: true, returnTensors: 'pt',
        ...(stride !== undefined ? { returnOverflowingTokens: true as const, stride } : {}),
      });
      const ids = (enc.input_ids as any).toArray() as number[][];
      const special = (enc.special_tokens_mask as any).toArray() as number[][];
      const attention = (enc.attention_mask as any).toArray() as number[][];
      const offsets = (enc.offset_mapping as any).toArray() as [number, number][][];
      const sampleOf = stride !== undefined ? ((enc as any).overflow_to_sample_mapping as { toArray(): number[] } | number[]) : null;
      const mapping: number[] = sampleOf ? (Array.isArray(sampleOf) ? sampleOf : sampleOf.toArray()) : ids.map((_, i) => i);
      const logits: number[][][] = tidy(() => noGrad(() => this.model.forward(modelInputs(enc, this.model, this.device)).logits.float().cpu().toArray() as number[][][]));
      disposeEncoding(enc);
      const perText: (TokenEntity | EntityGroup)[][] = chunk.map(() => []);
      const windows = chunk.map(() => 0);
      ids.forEach((row, i) => {
        const k = mapping[i]!, sentence = chunk[k]!;
        const scores = softmaxRows(logits[i]!);
        const pre: PreEntity[] = [];
        const lead = Math.max(0, attention[i]!.indexOf(1)); // left padding shifts the token indices
        row.forEach((id, j) => {
          if (special[i]![j] || !attention[i]![j]) return;
          const [start, end] = offsets[i]![j]!;
          let word = tok.convertIdsToTokens(id);
          const ref = sentence.slice(start, end);
          let isSubword = wordAware ? word.length !== ref.length : start > 0 && !sentence.slice(start - 1, start + 1).includes(' ');
          if (id === tok.unkTokenId) { word = ref; isSubword = false; }
          pre.push({ word, scores: scores[j]!, start, end, index: j - lead, isSubword });
        });
        perText[k]!.push(...aggregateEntities(pre, strategy, id2label, toString, ignore));
        windows[k]!++;
      });
      perText.forEach((entities, k) => results.push(windows[k]! > 1 ? aggregateOverlapping(entities) : entities));
    }
    return single ? results[0]! : results;
  }
}

export const tokenClassificationTask: TaskDefinition = {
  task: 'token-classification', aliases: ['ner'], inputs: 'text', autoClass: 'AutoModelForTokenClassification',
  defaultModel: ['dbmdz/bert-large-cased-finetuned-conll03-english', '4c53496'], inferFrom: /ForTokenClassification$/,
  description: 'a label for each token (named entities), or entity groups with their offsets in the text',
  create: (init) => new TokenClassificationPipeline(init),
};
