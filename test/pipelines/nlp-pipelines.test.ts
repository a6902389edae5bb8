// token-classification / ner, question-answering and zero-shot-classification pipelines on tiny BERT
// models with a WordPiece vocabulary written here; fill-mask on the tiny XLM-R of the shared fixtures.
// The decoding rules (aggregation, span scoring, entailment) are checked on hand-made scores; the
// pipelines end to end against the model's own forward pass.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync, cpSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { manualSeed, noGrad, tensor } from '../../src/torch/index';
import { AutoConfig, AutoModelForTokenClassification, AutoModelForQuestionAnswering, AutoModelForSequenceClassification, AutoModelForMaskedLM } from '../../src/models/index';
import { AutoTokenizer } from '../../src/preprocessing/tokenization';
import {
  pipeline, listTasks, inferTask, aggregateEntities, TokenClassificationPipeline, QuestionAnsweringPipeline, ZeroShotClassificationPipeline,
  type TokenEntity, type EntityGroup, type QuestionAnsweringAnswer, type ZeroShotResult, type PreEntity, type FillMaskCandidate,
} from '../../src/pipelines/index';
import { selectSpans } from '../../src/pipelines/question-answering';
import { entailmentId } from '../../src/pipelines/zero-shot-classification';
import { sharedOrSkip, sharedPath } from '../support/shared';

const WORDS = ['the', 'cat', 'sat', 'on', 'mat', 'who', 'what', 'where', 'is', 'a', 'dog', 'in', 'paris', 'lives', 'new', 'york', 'john', 'works', 'at', 'acme', '.', '?', ',', 'this', 'example', 'about', 'sport', 'politics', 'food'];
const NER = ['O', 'B-PER', 'I-PER', 'B-LOC', 'I-LOC'];
const SMALL = { model_type: 'bert', hidden_size: 16, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 24, max_position_embeddings: 64, hidden_dropout_prob: 0, attention_probs_dropout_prob: 0 };
let root: string, ner: string, qa: string, nli: string;

function withTokenizer(dir: string): string {
  writeFileSync(join(dir, 'vocab.txt'), ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', ...WORDS, '##s', '##es', '##me'].join('\n') + '\n');
  writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify({ tokenizer_class: 'BertTokenizer', do_lower_case: true, model_max_length: 64 }));
  return dir;
}

before(() => {
  root = mkdtempSync(join(tmpdir(), 'hubtune-nlp-pipes-'));
  const vocab = WORDS.length + 8;
  manualSeed(0);
  ner = join(root, 'ner');
  AutoModelForTokenClassification.fromConfig(AutoConfig.fromDict({ ...SMALL, vocab_size: vocab, id2label: Object.fromEntries(NER.map((l, i) => [i, l])), label2id: Object.fromEntries(NER.map((l, i) => [l, i])), architectures: ['BertForTokenClassification'] })).savePretrained(ner);
  qa = join(root, 'qa');
  AutoModelForQuestionAnswering.fromConfig(AutoConfig.fromDict({ ...SMALL, vocab_size: vocab, architectures: ['BertForQuestionAnswering'] })).savePretrained(qa);
  nli = join(root, 'nli');
  const nliLabels = ['contradiction', 'neutral', 'entailment'];
  AutoModelForSequenceClassification.fromConfig(AutoConfig.fromDict({ ...SMALL, vocab_size: vocab, id2label: Object.fromEntries(nliLabels.map((l, i) => [i, l])), label2id: Object.fromEntries(nliLabels.map((l, i) => [l, i])), architectures: ['BertForSequenceClassification'] })).savePretrained(nli);
  for (const d of [ner, qa, nli]) withTokenizer(d);
});
after(() => rmSync(root, { recursive: true, force: true }));

const pre = (word: string, scores: number[], start: number, end: number, index: number, isSubword = false): PreEntity => ({ word, scores, start, end, index, isSubword });

test('tasks: ner, question-answering and zero-shot-classification are registered and inferred', () => {
  for (const t of ['token-classification', 'ner', 'question-answering', 'zero-shot-classification']) assert.ok(listTasks().includes(t), t);
  assert.equal(inferTask({ architectures: ['XLMRobertaForTokenClassification'] }), 'token-classification');
  assert.equal(inferTask({ architectures: ['DebertaV2ForQuestionAnswering'] }), 'question-answering');
});

test('aggregation: none / simple / first / average / max as transformers groups them; ignoreLabels', () => {
  // "John Smith lives in New York" with sub-words: Jo ##hn
  const id2label = Object.fromEntries(NER.map((l, i) => [i, l]));
  const toks = [
    pre('jo', [0.1, 0.7, 0.1, 0.05, 0.05], 0, 2, 1),
    pre('##hn', [0.1, 0.1, 0.2, 0.55, 0.05], 2, 4, 2, true),
    pre('smith', [0.1, 0.1, 0.6, 0.1, 0.1], 5, 10, 3),
    pre('lives', [0.9, 0.025, 0.025, 0.025, 0.025], 11, 16, 4),
    pre('new', [0.1, 0.05, 0.05, 0.7, 0.1], 20, 23, 5),
    pre('york', [0.1, 0.05, 0.05, 0.1, 0.7], 24, 28, 6),
  ];
  const join = (t: string[]) => t.join(' ').replaceAll(' ##', '');
  const none = aggregateEntities(toks, 'none', id2label, join) as TokenEntity[];
  assert.deepEqual(Object.keys(none[0]!), ['entity', 'score', 'index', 'word', 'start', 'end']);
  assert.deepEqual(none.map((e) => [e.entity, e.index, e.word]), [['B-PER', 1, 'jo'], ['B-LOC', 2, '##hn'], ['I-PER', 3, 'smith'], ['B-LOC', 5, 'new'], ['I-LOC', 6, 'york']]);
  const simple = aggregateEntities(toks, 'simple', id2label, join) as EntityGroup[];
  assert.deepEqual(Object.keys(simple[0]!), ['entity_group', 'score', 'word', 'start', 'end']);
  // the sub-word's B-LOC breaks the person in two with 'simple'
  assert.deepEqual(simple.map((e) => [e.entity_group, e.word, e.start, e.end]), [['PER', 'jo', 0, 2], ['LOC', '##hn', 2, 4], ['PER', 'smith', 5, 10], ['LOC', 'new york', 20, 28]]);
  assert.ok(Math.abs(simple[3]!.score - 0.7) < 1e-12);
  const first = aggregateEntities(toks, 'first', id2label, join) as EntityGroup[];
  assert.deepEqual(first.map((e) => [e.entity_group, e.word, e.start, e.end]), [['PER', 'john smith', 0, 10], ['LOC', 'new york', 20, 28]]);
  assert.ok(Math.abs(first[0]!.score - (0.7 + 0.6) / 2) < 1e-12);
  // max: ##hn's 0.55 loses to jo's 0.7, so the word is B-PER
  const max = aggregateEntities(toks, 'max', id2label, join) as EntityGroup[];
  assert.deepEqual(max.map((e) => e.word), ['john smith', 'new york']);
  // average: jo##hn averages to [0.1, 0.4, 0.15, 0.3, 0.05] -> B-PER with 0.4
  const avg = aggregateEntities(toks, 'average', id2label, join) as EntityGroup[];
  assert.ok(Math.abs(avg[0]!.score - (0.4 + 0.6) / 2) < 1e-12);
  // ignoreLabels: [] keeps the O token; ['PER'] drops the person groups
  assert.equal((aggregateEntities(toks, 'none', id2label, join, []) as TokenEntity[]).length, 6);
  assert.deepEqual((aggregateEntities(toks, 'first', id2label, join, ['O', 'PER']) as EntityGroup[]).map((e) => e.entity_group), ['LOC']);
});

test('token-classification pipeline: labels are the argmax of the model, offsets point into the text, words stay whole', async () => {
  const pipe = await pipeline('ner', { model: ner });
  assert.ok(pipe instanceof TokenClassificationPipeline);
  const text = 'John lives in Paris , the cats sat .';
  const tokens = await pipe(text, { ignoreLabels: [] }) as TokenEntity[];
  const tok = await AutoTokenizer.fromPretrained(ner);
  const model = await AutoModelForTokenClassification.fromPretrained(ner, { quiet: true });
  model.eval();
  const ids = tok(text).input_ids as number[];
  const logits = noGrad(() => model.forward({ inputIds: tensor([ids], { dtype: 'int64' }) }).logits.toArray())[0] as number[][];
  assert.equal(tokens.length, ids.length - 2);
  tokens.forEach((t, k) => {
    const row = logits[k + 1]!;
    assert.equal(t.index, k + 1);
    assert.equal(t.entity, NER[row.indexOf(Math.max(...row))]);
    assert.equal(t.word, tok.convertIdsToTokens(ids[k + 1]!));
    assert.equal(text.slice(t.start, t.end).toLowerCase(), t.word.replace(/^##/, ''));
    assert.ok(t.score > 0 && t.score <= 1);
  });
  const dropped = await pipe(text) as TokenEntity[];
  assert.deepEqual(dropped, tokens.filter((t) => t.entity !== 'O'));
  // first: 'cats' (cat ##s) is one word, so no group starts or ends inside it
  const first = await pipe(text, { aggregationStrategy: 'first', ignoreLabels: [] }) as EntityGroup[];
  const catsAt = text.indexOf('cats');
  assert.ok(first.every((g) => !(g.start > catsAt && g.start < catsAt + 4) && !(g.end > catsAt && g.end < catsAt + 4)));
  assert.equal(first.map((g) => text.slice(g.start, g.end)).join(' ').split(/\s+/).length, text.split(' ').length);
  const batch = await pipe([text, 'the dog'], { aggregationStrategy: 'simple' }) as EntityGroup[][];
  assert.equal(batch.length, 2);
  await assert.rejects(pipe(text, { aggregationStrategy: 'mean' as never }), /aggregationStrategy must be one of none, simple, first, average, max \(got "mean"\)/);
  await assert.rejects(pipe(42 as never), /text 0 is not a string/);
  model.dispose();
});

test('span scoring: softmax over allowed tokens, product of start and end, maxAnswerLen, null score of [CLS]', () => {
  const allowed = [true, false, false, true, true, true, false];
  const start = [2, 9, 9, 0, 3, 1, 9];
  const end = [2, 9, 9, 0, 1, 4, 9];
  const { spans, nullScore } = selectSpans(start, end, allowed, 3, 2);
  const sm = (v: number[]) => { const e = v.map((x, i) => (allowed[i] ? Math.exp(x) : 0)); const s = e.reduce((a, b) => a + b); return e.map((x) => x / s); };
  const ps = sm(start), pe = sm(end);
  assert.ok(Math.abs(nullScore - ps[0]! * pe[0]!) < 1e-12);
  assert.deepEqual(spans.map((s) => [s.start, s.end]), [[4, 5], [5, 5], [4, 4]]);
  assert.ok(Math.abs(spans[0]!.score - ps[4]! * pe[5]!) < 1e-12);
  // maxAnswerLen 1: single tokens only
  assert.ok(selectSpans(start, end, allowed, 5, 1).spans.every((s) => s.start === s.end));
});

test('question-answering pipeline: windows over a long context, topK, handleImpossibleAnswer, answers are context slices', async () => {
  const pipe = await pipeline('question-answering', { model: qa });
  assert.ok(pipe instanceof QuestionAnsweringPipeline);
  const context = 'the cat sat on the mat . a dog sat in paris . john works at acme in new york . the dog lives in paris .';
  const question = 'where is the dog ?';
  const one = await pipe({ question, context }) as QuestionAnsweringAnswer;
  assert.deepEqual(Object.keys(one), ['score', 'start', 'end', 'answer']);
  assert.equal(one.answer, context.slice(one.start, one.end));
  // small windows: several windows, the best spans of all compete; answers stay within maxAnswerLen words
  const three = await pipe({ question, context }, { topK: 3, maxSeqLen: 16, docStride: 4, maxAnswerLen: 3 }) as QuestionAnsweringAnswer[];
  assert.equal(three.length, 3);
  assert.ok(three.every((a, i) => a.answer === context.slice(a.start, a.end) && a.answer.split(' ').length <= 3 && (i === 0 || three[i - 1]!.score >= a.score)));
  assert.ok(three.every((a) => !question.includes(a.answer) || context.includes(a.answer)));
  const withNull = await pipe({ question, context }, { topK: 50, handleImpossibleAnswer: true, maxSeqLen: 16, docStride: 4 }) as QuestionAnsweringAnswer[];
  const nul = withNull.find((a) => a.answer === '');
  assert.ok(nul && nul.start === 0 && nul.end === 0 && nul.score > 0);
  const many = await pipe([{ question, context }, { question: 'who works at acme ?', context }]) as QuestionAnsweringAnswer[];
  assert.equal(many.length, 2);
  const broadcast = await pipe({ question: [question, 'who works at acme ?'], context }) as QuestionAnsweringAnswer[];
  assert.deepEqual(broadcast, many);
  await assert.rejects(pipe({ question: '', context }), /question 0: question cannot be empty/);
  await assert.rejects(pipe([{ question, context }, { question, context: 7 } as never]), /question 1: context must be a number|question 1: context must be a string/);
  await assert.rejects(pipe({ question, context }, { maxSeqLen: 16, docStride: 20 }), /docStride \(20\) is larger than maxSeqLen \(16\)/);
  await assert.rejects(pipe([{ question, context }, { question: 'where is the dog ? '.repeat(5), context }], { maxSeqLen: 16, docStride: 2 }),
    /^PipelineInputError: question 1: the question leaves no room for the context in a window of maxSeqLen 16: shorten the question or raise maxSeqLen$/);
  await assert.rejects(pipe({ question, context }, { maxSeqLen: 16, docStride: 12 }),
    /^PipelineInputError: question 0: docStride \(12\) must be smaller than the 8 context tokens that fit in a window of maxSeqLen 16 beside the question: lower docStride or raise maxSeqLen$/);
});

test('zero-shot-classification: entailment id from label2id, softmax over labels, multiLabel, template', async () => {
  assert.equal(entailmentId({ CONTRADICTION: 0, NEUTRAL: 1, ENTAILMENT: 2 }), 2);
  assert.equal(entailmentId({ entailment: 0, not_entailment: 1 }), 0);
  assert.equal(entailmentId({ LABEL_0: 0, LABEL_1: 1 }), -1);
  const zs = await pipeline('zero-shot-classification', { model: nli });
  assert.ok(zs instanceof ZeroShotClassificationPipeline);
  const text = 'the dog lives in paris';
  const labels = ['sport', 'politics', 'food'];
  const r = await zs(text, labels) as ZeroShotResult;
  assert.deepEqual(Object.keys(r), ['sequence', 'labels', 'scores']);
  assert.equal(r.sequence, text);
  assert.deepEqual([...r.labels].sort(), [...labels].sort());
  assert.ok(Math.abs(r.scores.reduce((a, b) => a + b, 0) - 1) < 1e-9);
  // the same scores from the model: softmax of the entailment logits of (text, "This example is {label}.")
  const tok = await AutoTokenizer.fromPretrained(nli);
  const model = await AutoModelForSequenceClassification.fromPretrained(nli, { quiet: true });
  model.eval();
  const ent = labels.map((l) => {
    const enc = tok(text, `This example is ${l}.`);
    return (noGrad(() => model.forward({ inputIds: tensor([enc.input_ids as number[]], { dtype: 'int64' }), tokenTypeIds: tensor([enc.token_type_ids as number[]], { dtype: 'int64' }) }).logits.toArray()) as number[][])[0]!;
  });
  const e = ent.map((row) => Math.exp(row[2]!));
  labels.forEach((l, i) => assert.ok(Math.abs(r.scores[r.labels.indexOf(l)]! - e[i]! / e.reduce((a, b) => a + b)) < 1e-5, l));
  const multi = await zs(text, { candidateLabels: 'sport, politics', multiLabel: true }) as ZeroShotResult;
  const indep = ent.slice(0, 2).map((row) => Math.exp(row[2]!) / (Math.exp(row[0]!) + Math.exp(row[2]!)));
  assert.ok(Math.abs(multi.scores[multi.labels.indexOf('sport')]! - indep[0]!) < 1e-5);
  assert.ok(Math.abs(multi.scores[multi.labels.indexOf('politics')]! - indep[1]!) < 1e-5);
  const templ = await zs([text, 'john works at acme'], labels, { hypothesisTemplate: 'this is about {}' }) as ZeroShotResult[];
  assert.equal(templ.length, 2);
  await assert.rejects(zs(text, labels, { hypothesisTemplate: 'no slot' }), /The provided hypothesisTemplate "no slot" was not able to be formatted/);
  await assert.rejects(zs(text, []), /at least one label/);
  await assert.rejects(zs(text), /needs candidate labels/);
  model.dispose();
});

test('fill-mask with XLM-RoBERTa (SentencePiece): the course\'s "Hola soy una persona muy <mask> y me encanta!"', async (t) => {
  if (!sharedOrSkip(t)) return;
  const shared = sharedPath('fixtures/hf-reference-2/models/xlmr_mlm');
  const dir = join(root, 'xlmr');
  cpSync(shared, dir, { recursive: true });
  cpSync(join(shared, '../../tokenizers/xlmr'), dir, { recursive: true });
  assert.ok(existsSync(join(dir, 'sentencepiece.bpe.model')));
  const fm = await pipeline('fill-mask', { model: dir });
  const text = 'Hola soy una persona muy <mask> y me encanta!';
  const out = await fm(text, { topK: 4 }) as FillMaskCandidate[];
  assert.equal(out.length, 4);
  assert.deepEqual(Object.keys(out[0]!), ['score', 'token', 'token_str', 'sequence']);
  // the scores are the softmax of the masked-LM logits at the mask
  const tok = await AutoTokenizer.fromPretrained(dir);
  const model = await AutoModelForMaskedLM.fromPretrained(dir, { quiet: true });
  model.eval();
  const ids = tok(text).input_ids as number[];
  const at = ids.indexOf(tok.maskTokenId!);
  const row = (noGrad(() => model.forward({ inputIds: tensor([ids], { dtype: 'int64' }) }).logits.toArray()) as number[][][])[0]![at]!;
  const z = row.reduce((s, x) => s + Math.exp(x), 0);
  const best = row.map((x, i) => [Math.exp(x) / z, i] as const).sort((a, b) => b[0] - a[0]).slice(0, 4);
  out.forEach((c, i) => {
    assert.equal(c.token, best[i]![1]);
    assert.ok(Math.abs(c.score - best[i]![0]) < 1e-5);
    assert.equal(c.token_str, tok.decode([c.token]));
    assert.ok(c.sequence.startsWith('Hola soy una persona muy') && c.sequence.endsWith('y me encanta!') && !c.sequence.includes('<mask>'), c.sequence);
  });
  model.dispose();
});

test('text-classification: topK and functionToApply (softmax, sigmoid, none; any case) over three labels', async () => {
  const clf = await pipeline('text-classification', { model: nli });
  const text = 'the dog lives in paris';
  const tok = await AutoTokenizer.fromPretrained(nli);
  const model = await AutoModelForSequenceClassification.fromPretrained(nli, { quiet: true });
  model.eval();
  const enc = tok(text);
  const logits = (noGrad(() => model.forward({ inputIds: tensor([enc.input_ids as number[]], { dtype: 'int64' }) }).logits.toArray()) as number[][])[0]!;
  const names = ['contradiction', 'neutral', 'entailment'];
  const raw = await clf(text, { topK: null, functionToApply: 'none' }) as { label: string; score: number }[];
  assert.equal(raw.length, 3);
  raw.forEach((r) => assert.ok(Math.abs(r.score - logits[names.indexOf(r.label)]!) < 1e-5));
  const two = await clf(text, { topK: 2 }) as { label: string; score: number }[];
  assert.equal(two.length, 2);
  const z = logits.reduce((s, x) => s + Math.exp(x), 0);
  two.forEach((r) => assert.ok(Math.abs(r.score - Math.exp(logits[names.indexOf(r.label)]!) / z) < 1e-5));
  assert.ok(two[0]!.score >= two[1]!.score);
  const sig = await clf(text, { topK: 1, functionToApply: 'SIGMOID' as never }) as { label: string; score: number }[];
  assert.ok(Math.abs(sig[0]!.score - 1 / (1 + Math.exp(-Math.max(...logits)))) < 1e-5);
  await assert.rejects(clf(text, { functionToApply: 'relu' as never }), /functionToApply must be 'softmax', 'sigmoid' or 'none' \(got "relu"\)/);
  model.dispose();
});

test('token-classification stride: long texts in overlapping windows reach the end; overlapping entities resolved as transformers', async () => {
  const { aggregateOverlapping } = await import('../../src/pipelines/token-classification');
  const e = (start: number, end: number, score: number) => ({ entity_group: 'X', word: '', start, end, score });
  // [0,4) then [2,9) (longer, replaces it), [5,9) (inside, shorter: dropped), [9,12) (after: kept)
  assert.deepEqual(aggregateOverlapping([e(9, 12, 0.5), e(0, 4, 0.9), e(2, 9, 0.1), e(5, 9, 0.99)]).map((x) => [x.start, x.end]), [[2, 9], [9, 12]]);
  assert.deepEqual(aggregateOverlapping([e(0, 4, 0.2), e(0, 4, 0.7)]).map((x) => x.score), [0.7]);
  const pipe = await pipeline('token-classification', { model: ner });
  const words = Array.from({ length: 90 }, (_, i) => WORDS[(i * 7) % 20]!);
  const text = words.join(' ');
  const cut = await pipe(text, { aggregationStrategy: 'simple', ignoreLabels: [] }) as EntityGroup[];
  assert.ok(cut[cut.length - 1]!.end < text.length, 'without a stride the text is truncated at model_max_length');
  const all = await pipe(text, { aggregationStrategy: 'simple', ignoreLabels: [], stride: 8 }) as EntityGroup[];
  assert.equal(all[all.length - 1]!.end, text.length);
  assert.ok(all.every((g, i) => i === 0 || g.start >= all[i - 1]!.start));
  assert.ok(all.every((g) => text.slice(g.start, g.end).trim().length > 0));
  await assert.rejects(pipe(text, { stride: 8 }), /stride was given to process all the text but aggregationStrategy is 'none'/);
  await assert.rejects(pipe(text, { aggregationStrategy: 'first', stride: 64 }), /stride \(64\) must be less than the tokenizer's model_max_length \(64\)/);
});
