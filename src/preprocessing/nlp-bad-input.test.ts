// The bad inputs of the token and span tasks: one-line errors that name the row and the field, and
// nothing written when they stop a map (no cache file).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync, readdirSync, cpSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AutoTokenizer, type PreTrainedTokenizer } from './tokenization';
import { tokenizeAndAlignLabels, prepareQaTrainFeatures, prepareQaValidationFeatures } from './collators';
import { AutoConfig, AutoModelForTokenClassification } from '../models/index';
import { loadDataset, type DatasetDict } from '../datasets/index';
import { sharedOrSkip, sharedPath } from '../../test/support/shared';

const WORDS = ['the', 'cat', 'sat', 'on', 'mat', 'where', 'is', 'a', 'dog', 'in', 'paris', '.', '?'];
let dir: string;
let tok: PreTrainedTokenizer;
const oneLine = (re: RegExp) => (e: Error) => re.test(e.message) && !e.message.includes('\n');
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hubtune-nlp-bad-'));
  writeFileSync(join(dir, 'vocab.txt'), ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', ...WORDS].join('\n') + '\n');
  writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify({ tokenizer_class: 'BertTokenizer', do_lower_case: true }));
  tok = await AutoTokenizer.fromPretrained(dir);
});
after(() => rmSync(dir, { recursive: true, force: true }));

const CTX = 'the cat sat on the mat . a dog sat in paris . the cat is on the mat .';
const answer = (text: string) => ({ text: [text], answer_start: [CTX.indexOf(text)] });

test('label lists: numLabels and id2label that disagree, and a checkpoint head of another size, are one-line errors', async () => {
  const m = join(dir, 'ner');
  AutoModelForTokenClassification.fromConfig(AutoConfig.fromDict({ model_type: 'bert', vocab_size: 20, hidden_size: 8, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 8, num_labels: 9 })).savePretrained(m);
  await assert.rejects(AutoModelForTokenClassification.fromPretrained(m, { numLabels: 5, id2label: { 0: 'O', 1: 'B-PER' }, quiet: true }), oneLine(/num_labels is 5 but id2label has 2 entries/));
  await assert.rejects(AutoModelForTokenClassification.fromPretrained(m, { id2label: { 0: 'O', 1: 'B-PER', 2: 'I-PER' }, quiet: true }),
    oneLine(/size mismatch for classifier.weight: the checkpoint has shape \[9, 8\] but BertForTokenClassification expects \[3, 8\]; pass ignoreMismatchedSizes: true/));
});

test('word labels: a row whose labels and words differ in length names the row and both columns', () => {
  assert.throws(() => tokenizeAndAlignLabels(tok, [['the', 'cat'], ['a', 'dog', 'sat']], [[0, 0], [0, 1]]), oneLine(/^row 1: ner_tags has 2 labels but tokens has 3 words: give one label per word$/));
  assert.throws(() => tokenizeAndAlignLabels(tok, [['the', 'cat']], [[0]], { wordsColumn: 'words', labelsColumn: 'tags' }),
    oneLine(/^row 0: tags has 1 labels but words has 2 words/));
});

test('QA examples: an answer not in its context, a question that fills the window, a docStride too large, an answer longer than any window', () => {
  const ex = { question: ['where is the dog ?', 'where is the dog ?'], context: [CTX, CTX], answers: [answer('paris'), answer('the mat')] };
  assert.throws(() => prepareQaTrainFeatures(tok, { ...ex, answers: [answer('paris'), { text: ['london'], answer_start: [3] }] }),
    oneLine(/^row 1: answers.text\[0\] "london" is not in the context at answers.answer_start\[0\] \(3\): fix the answer or its start$/));
  assert.throws(() => prepareQaTrainFeatures(tok, { ...ex, question: ['where', 'where is the dog ? where is the dog ? where is the dog ?'] }, { maxLength: 12, docStride: 2 }),
    oneLine(/^row 1: the question leaves no room for the context in a window of maxLength 12: shorten the question or raise maxLength$/));
  assert.throws(() => prepareQaValidationFeatures(tok, { ...ex, id: ['a', 'b'] }, { maxLength: 12, docStride: 8 }),
    oneLine(/^row 0: docStride \(8\) must be smaller than the 4 context tokens that fit in a window of maxLength 12 beside the question/));
  const long = CTX.slice(0, 40);
  assert.throws(() => prepareQaTrainFeatures(tok, { ...ex, answers: [answer('paris'), { text: [long], answer_start: [0] }] }, { maxLength: 14, docStride: 2 }),
    oneLine(/^row 1: answers.text\[0\] \(40 characters\) is longer than the context of any window \(at most \d+ characters with maxLength 14\): raise maxLength/));
  // the same answer fits windows of 40 tokens
  const ok = prepareQaTrainFeatures(tok, { ...ex, answers: [answer('paris'), { text: [long], answer_start: [0] }] }, { maxLength: 40, docStride: 8 });
  assert.ok((ok.start_positions as number[]).length >= 2);
});

test('map: a bad row in a later batch names the batch rows, and nothing is written to the cache', async () => {
  const data = join(dir, 'conll');
  mkdirSync(data);
  const rows = Array.from({ length: 6 }, (_, i) => ({ tokens: ['the', 'cat'], ner_tags: i === 4 ? [0] : [0, 0] }));
  writeFileSync(join(data, 'train.jsonl'), rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  const cacheDir = join(dir, 'cache');
  const ds = (await loadDataset(data, { cacheDir }) as DatasetDict).get('train');
  const files = () => { try { return (readdirSync(cacheDir, { recursive: true }) as string[]).sort(); } catch { return []; } };
  const before = files();
  await assert.rejects(ds.map((b: { tokens: string[][]; ner_tags: number[][] }) => tokenizeAndAlignLabels(tok, b.tokens, b.ner_tags), { batched: true, batchSize: 4 }),
    oneLine(/^map, batch of rows 4-5: row 0: ner_tags has 1 labels but tokens has 2 words/));
  assert.deepEqual(files(), before, 'no cache file from the failed map');
});

test('tokenizer files of an unknown model type: tokenizer.json model.type, a SentencePiece file nothing says how to read', async (t) => {
  const unknownJson = join(dir, 'foo-json');
  mkdirSync(unknownJson);
  writeFileSync(join(unknownJson, 'tokenizer.json'), JSON.stringify({ version: '1.0', model: { type: 'Foo', vocab: {} }, added_tokens: [] }));
  await assert.rejects(AutoTokenizer.fromPretrained(unknownJson), oneLine(/tokenizer.json: model.type must be one of BPE, WordPiece, Unigram \(the models hubtune reads\), got "Foo"/));
  if (!sharedOrSkip(t)) return;
  const unknownSp = join(dir, 'foo-sp');
  mkdirSync(unknownSp);
  cpSync(sharedPath('fixtures/hf-reference-2/tokenizers/xlmr/sentencepiece.bpe.model'), join(unknownSp, 'sentencepiece.bpe.model'));
  writeFileSync(join(unknownSp, 'config.json'), JSON.stringify({ model_type: 'foo' }));
  await assert.rejects(AutoTokenizer.fromPretrained(unknownSp),
    oneLine(/sentencepiece.bpe.model is a SentencePiece model of an unknown model type \(model_type 'foo'\); hubtune reads it for XLMRobertaTokenizer, .*: set tokenizer_class in tokenizer_config.json/));
  // with the class named, the same file loads
  writeFileSync(join(unknownSp, 'tokenizer_config.json'), JSON.stringify({ tokenizer_class: 'XLMRobertaTokenizer' }));
  assert.equal((await AutoTokenizer.fromPretrained(unknownSp)).tokenize('hola')[0]![0], '▁');
});

test('multiple choice: a label that is not one of the choices names the batch, row and choices', async () => {
  const { Trainer } = await import('../training/index');
  const { AutoModelForMultipleChoice } = await import('../models/index');
  const { Dataset } = await import('../datasets/index');
  const model = AutoModelForMultipleChoice.fromConfig(AutoConfig.fromDict({ model_type: 'bert', vocab_size: 20, hidden_size: 8, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 8 }));
  const row = (label: number) => ({ input_ids: [[2, 5, 3], [2, 6, 3], [2, 7, 3]], attention_mask: [[1, 1, 1], [1, 1, 1], [1, 1, 1]], label });
  const ds = Dataset.fromDict({ input_ids: [row(0), row(2), row(3)].map((r) => r.input_ids), attention_mask: [row(0), row(2), row(3)].map((r) => r.attention_mask), label: [0, 2, 3] });
  const { DataCollatorForMultipleChoice } = await import('./collators');
  const trainer = new Trainer({ model, args: { outputDir: join(dir, 'mc'), reportTo: [], perDeviceEvalBatchSize: 4 }, evalDataset: ds, dataCollator: new DataCollatorForMultipleChoice({ tokenizer: tok }) });
  // label 2 is fine with 3 choices although config.numLabels is 2; label 3 is not
  await assert.rejects(trainer.evaluate(), oneLine(/label 3 \(dataset row 2\) is not one of the 3 choices 0..2: the label is the index of the right choice/));
  model.dispose();
});
