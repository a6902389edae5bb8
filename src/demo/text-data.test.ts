import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { bpeTokenize, buildVocabFiles, bytesToUnicode, generateCorpus, generatePairCorpus, generateParaphraseDataset, makeParaphrasePair, trainByteLevelBPE } from './text-data';
import { createRng } from './rng';

test('generateCorpus: deterministic, varied, a few hundred word types', () => {
  const a = generateCorpus({ seed: 1, numSentences: 3000 });
  assert.equal(a.length, 3000);
  assert.deepEqual(generateCorpus({ seed: 1, numSentences: 3000 }), a);
  assert.notDeepEqual(generateCorpus({ seed: 2, numSentences: 50 }), a.slice(0, 50));
  assert.ok(new Set(a).size > 2900, 'sentences are mostly distinct');
  const types = new Set(a.join(' ').toLowerCase().match(/[a-z'-]+/g));
  assert.ok(types.size >= 300 && types.size <= 1000, `word types: ${types.size}`);
  for (const s of a.slice(0, 200)) assert.match(s, /^[A-Z0-9].*[.?]$/);
});

test('paraphrase pairs: positives reword, negatives change one detail', () => {
  const rng = createRng(9);
  const kinds = new Set<string>();
  let pos = 0;
  for (let i = 0; i < 600; i++) {
    const p = makeParaphrasePair(rng, i);
    assert.notEqual(p.sentence1, p.sentence2);
    kinds.add(p.kind);
    pos += p.label;
  }
  assert.ok(pos / 600 > 0.6 && pos / 600 < 0.76, `positive rate ${pos / 600}`);
  for (const k of ['paraphrase', 'number', 'swap', 'entity', 'negation', 'time', 'verb', 'place']) assert.ok(kinds.has(k), k);
  let balanced = 0;
  for (let i = 0; i < 600; i++) balanced += makeParaphrasePair(rng, i, 0.5).label;
  assert.ok(balanced / 600 > 0.44 && balanced / 600 < 0.56, `positive rate at 0.5: ${balanced / 600}`);
});

test('generatePairCorpus: deterministic pairs, most of them two wordings or variants of one event', () => {
  const a = generatePairCorpus({ seed: 3, numPairs: 2000 });
  assert.equal(a.length, 2000);
  assert.deepEqual(generatePairCorpus({ seed: 3, numPairs: 2000 }), a);
  assert.notDeepEqual(generatePairCorpus({ seed: 4, numPairs: 20 }), a.slice(0, 20));
  const words = (s: string) => new Set(s.toLowerCase().match(/[a-z0-9'-]+/g));
  const shared = (x: string, y: string) => { const A = words(x), B = [...words(y)]; return B.filter((w) => A.has(w)).length / B.length; };
  const related = a.filter(([x, y]) => x !== y && shared(x, y) > 0.5).length;
  assert.ok(related > 0.6 * a.length && related < 0.8 * a.length, `related pairs: ${related}`);
  const unrelated = generatePairCorpus({ seed: 3, numPairs: 500, paraphraseRate: 0, nearMissRate: 0 });
  assert.ok(unrelated.filter(([x, y]) => shared(x, y) > 0.5).length < 100);
  assert.throws(() => generatePairCorpus({ numPairs: 5, paraphraseRate: 0.8, nearMissRate: 0.4 }), /sum <= 1/);
});

test('generateParaphraseDataset writes MRPC-like JSONL and CSV with ~68% positives', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'mrpc-'));
  try {
    const r = await generateParaphraseDataset({ outDir: dir, seed: 4, counts: { train: 500, validation: 60, test: 60 } });
    const rows = (await readFile(r.files.train, 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(rows.length, 500);
    assert.deepEqual(Object.keys(rows[0]), ['sentence1', 'sentence2', 'label', 'idx']);
    assert.deepEqual(rows.map((x) => x.idx), [...Array(500).keys()]);
    assert.ok(rows.every((x) => x.label === 0 || x.label === 1));
    assert.ok(r.positives.train / 500 > 0.6 && r.positives.train / 500 < 0.76);
    const all = [r.files.train, r.files.validation, r.files.test];
    const s1 = (await Promise.all(all.map((f) => readFile(f, 'utf8')))).flatMap((t) => t.trim().split('\n').map((l) => JSON.parse(l).sentence1));
    assert.equal(new Set(s1).size, s1.length, 'no sentence1 repeats across splits');
    // overlap alone must not separate the classes: many negatives overlap more than many positives
    const overlap = (a: string, b: string) => { const A = new Set(a.toLowerCase().split(/\W+/)), B = b.toLowerCase().split(/\W+/); return B.filter((w) => A.has(w)).length / B.length; };
    const negHigh = rows.filter((x) => x.label === 0 && overlap(x.sentence1, x.sentence2) > 0.85).length;
    const posLow = rows.filter((x) => x.label === 1 && overlap(x.sentence1, x.sentence2) < 0.85).length;
    assert.ok(negHigh > 30 && posLow > 30, `negHigh ${negHigh} posLow ${posLow}`);
    const info = JSON.parse(await readFile(join(dir, 'dataset_info.json'), 'utf8'));
    assert.deepEqual(info.features.label.names, ['not_equivalent', 'equivalent']);
    const csv = await generateParaphraseDataset({ outDir: join(dir, 'csv'), seed: 4, counts: { train: 20 }, format: 'csv' });
    const lines = (await readFile(csv.files.train, 'utf8')).trim().split('\n');
    assert.equal(lines[0], 'sentence1,sentence2,label,idx');
    assert.equal(lines.length, 21);
    assert.equal(JSON.parse((await readFile(r.files.train, 'utf8')).split('\n')[0]).sentence1, lines[1].startsWith('"') ? JSON.parse(lines[1].slice(0, lines[1].indexOf('",') + 1).replace(/""/g, '\\"')) : lines[1].split(',')[0]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('bytesToUnicode is GPT-2\'s table', () => {
  const t = bytesToUnicode();
  assert.equal(t.length, 256);
  assert.equal(new Set(t).size, 256);
  assert.equal(t[32], 'Ġ'); assert.equal(t[10], 'Ċ'); assert.equal(t[65], 'A');
});

test('trainByteLevelBPE: RoBERTa layout, merges, vocab cap', () => {
  const corpus = generateCorpus({ seed: 1, numSentences: 2000 });
  const m = trainByteLevelBPE({ corpus, vocabSize: 800 });
  assert.equal(m.vocab['<s>'], 0); assert.equal(m.vocab['<pad>'], 1); assert.equal(m.vocab['</s>'], 2); assert.equal(m.vocab['<unk>'], 3);
  const size = Object.keys(m.vocab).length;
  assert.equal(size, 800);
  assert.equal(m.vocab['<mask>'], size - 1);
  assert.deepEqual(Object.values(m.vocab).sort((a, b) => a - b), [...Array(size).keys()]);
  assert.ok(m.merges.every((x) => { const [a, b] = x.split(' '); return a + b in m.vocab && a in m.vocab && b in m.vocab; }));
  assert.ok('Ġthe' in m.vocab);
  assert.throws(() => trainByteLevelBPE({ corpus, vocabSize: 100 }), /vocabSize must be at least/);
});

test('buildVocabFiles: files load as a RoBERTa tokenizer that matches our BPE', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tok-'));
  try {
    const corpus = generateCorpus({ seed: 3, numSentences: 4000 });
    const r = await buildVocabFiles({ corpus, outDir: dir, vocabSize: 1200, modelMaxLength: 64 });
    assert.equal(r.vocabSize, 1200);
    const vocab = JSON.parse(await readFile(join(dir, 'vocab.json'), 'utf8'));
    const merges = (await readFile(join(dir, 'merges.txt'), 'utf8')).trim().split('\n');
    assert.equal(merges[0], '#version: 0.2');
    assert.equal(merges.length - 1, r.numMerges);
    const config = JSON.parse(await readFile(join(dir, 'tokenizer_config.json'), 'utf8'));
    assert.equal(config.tokenizer_class, 'RobertaTokenizer');
    assert.equal(config.model_max_length, 64);
    const map = JSON.parse(await readFile(join(dir, 'special_tokens_map.json'), 'utf8'));
    assert.equal(map.mask_token.content, '<mask>');
    assert.equal(map.mask_token.lstrip, true);
    const tok = new Tokenizer(JSON.parse(await readFile(join(dir, 'tokenizer.json'), 'utf8')), config);
    const model = { vocab, merges: merges.slice(1) };
    for (const s of [...corpus.slice(0, 50), 'Unseen wörds like Zyxx 2024!']) assert.deepEqual(tok.tokenize(s), bpeTokenize(s, model), s);
    const enc = tok.encode('The farmer bought <mask> tractors.');
    assert.equal(enc.ids[0], 0);
    assert.equal(enc.ids.at(-1), 2);
    assert.ok(enc.ids.includes(vocab['<mask>']));
    assert.equal(tok.decode(tok.encode('Alice met the mayor.').ids, { skip_special_tokens: true }), 'Alice met the mayor.');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
