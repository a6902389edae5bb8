// Fast-tokenizer features against ../shared/fixtures/hf-reference-2/tokenizers/cases.json (Python's
// slow tokenizers, so the first window of an overflow and the ids of split words are what is
// recorded; the later windows, offsets and word ids follow the fast tokenizers' rules and are
// checked by what they must satisfy): overflow windows with stride and overflow_to_sample_mapping,
// is_split_into_words with wordIds(), offsets, sequenceIds(), and the errors for bad input.
import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { needsShared, sharedPath, hasShared } from '../../test/support/shared';
import { AutoTokenizer, type PreTrainedTokenizer } from './tokenization';

const DIR = sharedPath('fixtures', 'hf-reference-2', 'tokenizers');
const fixture = hasShared ? JSON.parse(readFileSync(join(DIR, 'cases.json'), 'utf8')) : { cases: [] };
const toks: Record<string, PreTrainedTokenizer> = {};

/** The context (sequence 1) ids of a row. */
const contextOf = (ids: number[], seq: (number | null)[]) => ids.filter((_, i) => seq[i] === 1);

describe('tokenizer windows, words and offsets (hf-reference-2 cases)', needsShared, () => {
  before(async () => {
    toks.bert = await AutoTokenizer.fromPretrained(join(DIR, 'bert'));
    toks.roberta = await AutoTokenizer.fromPretrained(join(DIR, 'roberta'));
    toks.roberta_add_prefix_space = await AutoTokenizer.fromPretrained(join(DIR, 'roberta'), { addPrefixSpace: true });
  });

  for (const c of fixture.cases as any[]) {
    if (c.kind === 'pair_overflow') {
      test(`${c.id}: the first window is Python's; the windows overlap by stride and cover the context`, () => {
        const tok = toks[c.tokenizer]!;
        const exp = c.output;
        const stride = c.kwargs.stride ?? 0;
        const out = tok(c.text, c.text_pair, { ...c.kwargs, returnOffsetsMapping: true });
        const rows = out.input_ids as unknown as number[][];
        for (const k of ['input_ids', 'token_type_ids', 'attention_mask', 'special_tokens_mask']) if (k in exp) assert.deepEqual((out as any)[k][0], exp[k], k);
        assert.deepEqual(out.overflow_to_sample_mapping, rows.map(() => 0));
        const full = tok(c.text_pair, { addSpecialTokens: false }).input_ids as number[];
        let joined: number[] = [];
        rows.forEach((ids, r) => {
          const ctx = contextOf(ids, out.sequenceIds(r));
          if (r > 0) assert.deepEqual(ctx.slice(0, stride), joined.slice(joined.length - stride), `window ${r} starts ${stride} tokens back`);
          if (r === 1) assert.deepEqual(ctx, exp.overflowing_tokens.slice(0, ctx.length), 'the second window is the start of Python\'s overflowing_tokens');
          joined = r === 0 ? ctx : joined.concat(ctx.slice(stride));
          if (c.kwargs.padding === 'max_length') assert.equal(ids.length, c.kwargs.max_length);
          else assert.ok(ids.length <= c.kwargs.max_length);
          // every context token's offsets point into the context
          const offsets = (out.offset_mapping as unknown as [number, number][][])[r]!;
          out.sequenceIds(r).forEach((s, i) => { if (s === 1) assert.ok(offsets[i]![1] <= c.text_pair.length && offsets[i]![0] <= offsets[i]![1]); });
        });
        assert.deepEqual(joined, full, 'the windows cover the whole context');
      });
    } else if (c.kind === 'batch_pair_overflow') {
      test(`${c.id}: each example's first window is Python's row; overflow_to_sample_mapping`, () => {
        const tok = toks[c.tokenizer]!;
        const out = tok(c.texts, c.texts_pair, c.kwargs);
        const map = out.overflow_to_sample_mapping as unknown as number[];
        c.texts.forEach((_: string, i: number) => {
          const first = map.indexOf(i);
          assert.ok(first >= 0);
          assert.deepEqual((out.input_ids as unknown as number[][])[first], c.output.input_ids[i]);
          assert.deepEqual((out.attention_mask as unknown as number[][])[first], c.output.attention_mask[i]);
          const windows = map.filter((m) => m === i).length;
          assert.equal(windows > 1, c.output.num_truncated_tokens[i] > 0, `example ${i}: windows only when truncated`);
        });
        assert.deepEqual(map, [...map].sort((a, b) => a - b));
      });
    } else if (c.kind === 'split_words') {
      test(`${c.id}: ids of the words; wordIds() and first-sub-token labels`, () => {
        const tok = toks[c.tokenizer]!;
        const out = tok(c.words, { ...c.kwargs, isSplitIntoWords: true });
        for (const k of ['input_ids', 'token_type_ids', 'attention_mask']) if (k in c.output) assert.deepEqual((out as any)[k], c.output[k], k);
        assert.deepEqual(tok.convertIdsToTokens(out.input_ids as unknown as number[]), c.output.tokens);
        const wordIds = out.wordIds();
        assert.deepEqual(wordIds, c.output.word_ids_derived);
        let prev: number | null = null;
        const labels = wordIds.map((w) => { const l = w === null || w === prev ? -100 : c.word_labels[w]; prev = w; return l; });
        assert.deepEqual(labels, c.output.labels_first_subtoken);
      });
    } else if (c.kind === 'batch_split_words') {
      test(`${c.id}: a batch of word lists, truncated and padded`, () => {
        const tok = toks[c.tokenizer]!;
        const out = tok(c.words, { ...c.kwargs, isSplitIntoWords: true });
        for (const k of ['input_ids', 'token_type_ids', 'attention_mask']) if (k in c.output) assert.deepEqual((out as any)[k], c.output[k], k);
        (c.words as string[][]).forEach((_, i) => {
          const w = out.wordIds(i);
          assert.equal(w.length, 12);
          assert.equal(w[0], null);
          assert.ok(w.filter((x) => x !== null).every((x, k, a) => k === 0 || x! >= a[k - 1]!));
        });
      });
    } else if (c.kind === 'error' && /offset/.test(c.call)) {
      test(`${c.id}: hubtune returns offsets (Python's slow tokenizer raises ${c.result.error_type})`, () => {
        const tok = toks[c.tokenizer]!;
        const q = 'What do rust pustules look like?';
        const ctx = 'Bean rust produces reddish-brown pustules surrounded by yellow halos.';
        const out = tok(q, ctx, { returnOffsetsMapping: true });
        const tokens = tok.convertIdsToTokens(out.input_ids);
        out.offset_mapping!.forEach(([s, e], i) => {
          const seq = out.sequenceIds()[i];
          if (seq === null) { assert.deepEqual([s, e], [0, 0]); return; }
          const src = (seq === 0 ? q : ctx).slice(s, e);
          const t = tokens[i]!.replace(/^##/, '').replace(/^\u0120/, '');
          if (c.tokenizer === 'bert') assert.equal(src.toLowerCase(), t);
          else assert.equal(src, t);
        });
      });
    }
  }

  test('errors name the row and the field: a context with no room, a stride that does not fit, longest_first overflow', () => {
    const tok = toks.bert!;
    const long = 'word '.repeat(30);
    assert.throws(() => tok(['short', long], ['ctx', 'ctx'], { truncation: 'only_second', maxLength: 8, returnOverflowingTokens: true }),
      /text\[1\]: the second text gets no room/);
    assert.throws(() => tok('q', long, { truncation: 'only_second', maxLength: 10, stride: 6, returnOverflowingTokens: true }), /stride \(6\) must be smaller than the 6 tokens/);
    assert.throws(() => tok('q', long, { truncation: 'longest_first', maxLength: 10, returnOverflowingTokens: true }), /'only_second'/);
    assert.throws(() => tok([['a', 'b'], 'c'] as any, { isSplitIntoWords: true }), /text\[1\] is a string, not a list of words/);
  });
});

describe('the aligned encoders give the same ids as the plain path (hf-reference texts)', needsShared, () => {
  const set1 = hasShared ? JSON.parse(readFileSync(sharedPath('fixtures', 'hf-reference', 'tokenizers', 'cases.json'), 'utf8')) : { cases: [] };
  for (const name of ['bert', 'roberta']) {
    test(name, async () => {
      const tok = await AutoTokenizer.fromPretrained(sharedPath('fixtures', 'hf-reference', 'tokenizers', name));
      for (const c of set1.cases as any[]) {
        for (const t of [c.text, c.text_pair, ...(c.texts ?? [])].filter((x) => typeof x === 'string')) {
          const plain = tok(t).input_ids;
          const aligned = tok(t, { returnOffsetsMapping: true });
          assert.deepEqual(aligned.input_ids, plain, JSON.stringify(t));
          aligned.offset_mapping!.forEach(([s, e]) => assert.ok(s >= 0 && s <= e && e <= t.length, JSON.stringify(t)));
        }
      }
    });
  }
});
