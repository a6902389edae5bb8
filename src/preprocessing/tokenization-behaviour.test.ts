// Tokenizer behaviour beyond the Python fixtures: callable, tensors, padding/truncation
// options, warnings, errors, saving. Uses a tiny vocabulary written to a temporary folder.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync, existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AutoTokenizer, type PreTrainedTokenizer } from './tokenization';
import { needsShared, sharedPath } from '../../test/support/shared';

const VOCAB = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'hello', 'world', '!', ',', '.', 'the', 'a', 'cat', 'sat', 'on', 'mat', '##s', 'un', '##able', 'dog'];
let dir: string;
let tok: PreTrainedTokenizer;

function captureWarnings<T>(fn: () => T): { result: T; warnings: string[] } {
  const warnings: string[] = [];
  const orig = console.warn;
  console.warn = (...a: unknown[]) => { warnings.push(a.join(' ')); };
  try {
    return { result: fn(), warnings };
  } finally {
    console.warn = orig;
  }
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hubtune-tok-'));
  mkdirSync(join(dir, 'bert'));
  writeFileSync(join(dir, 'bert', 'vocab.txt'), VOCAB.join('\n') + '\n');
  writeFileSync(join(dir, 'bert', 'tokenizer_config.json'), JSON.stringify({ tokenizer_class: 'BertTokenizer', do_lower_case: true, model_max_length: 8 }));
  tok = await AutoTokenizer.fromPretrained(join(dir, 'bert'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('PreTrainedTokenizer', () => {
  test('is callable like transformers', () => {
    assert.deepEqual(tok('Hello world!'), tok.call('Hello world!'));
    assert.deepEqual(tok('Hello world!').input_ids, [2, 5, 6, 7, 3]);
    assert.deepEqual(tok.encode('the cat', 'the mat'), [2, 10, 12, 3, 10, 15, 3]);
    assert.deepEqual(tok('the cat', 'the mat').token_type_ids, [0, 0, 0, 0, 1, 1, 1]);
  });

  test('special-token accessors and conversions', () => {
    assert.equal(tok.padToken, '[PAD]');
    assert.equal(tok.padTokenId, 0);
    assert.equal(tok.clsTokenId, 2);
    assert.equal(tok.maskTokenId, 4);
    assert.equal(tok.bosToken, null);
    assert.equal(tok.vocabSize, VOCAB.length);
    assert.deepEqual(tok.allSpecialIds.sort(), [0, 1, 2, 3, 4]);
    assert.deepEqual(tok.convertTokensToIds(['cat', 'nope']), [12, 1]);
    assert.equal(tok.convertIdsToTokens(12), 'cat');
    assert.deepEqual(tok.tokenize('unable cats'), ['un', '##able', 'cat', '##s']);
  });

  test('snake_case options are accepted', () => {
    assert.deepEqual(tok('hello', { max_length: 3, truncation: true } as any).input_ids, [2, 5, 3]);
  });

  test('returnTensors pt gives int64 tensors with a batch axis', () => {
    const one = tok('hello world', { returnTensors: 'pt' });
    assert.deepEqual(one.input_ids.shape, [1, 4]);
    assert.equal(one.input_ids.dtype, 'int64');
    const batch = tok(['hello', 'the cat sat'], { padding: true, returnTensors: 'pt' });
    assert.deepEqual(batch.input_ids.shape, [2, 5]);
    assert.deepEqual(batch.attention_mask!.toArray(), [[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]]);
    assert.throws(() => tok(['hello', 'the cat sat'], { returnTensors: 'pt' }), /pad or truncate/);
  });

  test('padToMultipleOf, max_length padding, left padding', () => {
    assert.equal((tok(['hello', 'the cat sat'], { padding: true, padToMultipleOf: 4 }).input_ids as number[][])[0].length, 8);
    assert.deepEqual(tok('hello', { padding: 'max_length', maxLength: 5 }).input_ids, [2, 5, 3, 0, 0]);
    assert.deepEqual(tok('hello', { padding: 'max_length' }).input_ids.length, 8);
    tok.paddingSide = 'left';
    try {
      const out = tok(['hello', 'the cat'], { padding: true });
      assert.deepEqual(out.input_ids, [[0, 2, 5, 3], [2, 10, 12, 3]]);
      assert.deepEqual(out.attention_mask, [[0, 1, 1, 1], [1, 1, 1, 1]]);
    } finally {
      tok.paddingSide = 'right';
    }
    assert.throws(() => tok('hello', { padding: true, truncation: true, maxLength: 6, padToMultipleOf: 4 }), /not a multiple of padToMultipleOf/);
  });

  test('truncation strategies', () => {
    const a = 'the cat sat on the mat', b = 'a dog';
    assert.deepEqual(tok(a, b, { truncation: 'only_first', maxLength: 7 }).input_ids, [2, 10, 12, 3, 11, 19, 3]);
    assert.deepEqual(tok(a, b, { truncation: 'longest_first', maxLength: 8 }).input_ids, [2, 10, 12, 13, 3, 11, 19, 3]);
    assert.deepEqual(tok(b, a, { truncation: 'only_second', maxLength: 7 }).input_ids, [2, 11, 19, 3, 10, 12, 3]);
    assert.deepEqual(tok(a, { truncation: true }).input_ids.length, 8, 'truncation: true uses model_max_length');
    assert.deepEqual(tok('the cat sat', { returnSpecialTokensMask: true }).special_tokens_mask, [1, 0, 0, 0, 1]);
    assert.deepEqual(tok('the cat', { addSpecialTokens: false }).input_ids, [10, 12]);
  });

  test('warns once about sequences longer than the model allows', async () => {
    const fresh = await AutoTokenizer.fromPretrained(join(dir, 'bert'));
    const long = 'the cat sat on the mat the cat sat on the mat';
    const { warnings } = captureWarnings(() => {
      fresh(long);
      fresh(long);
      fresh([long, long]);
      fresh(long, { truncation: true });
    });
    assert.deepEqual(warnings, ['Token indices sequence length is longer than the specified maximum sequence length for this model (14 > 8). Running this sequence through the model will result in indexing errors']);
  });

  test('bad input names the index', () => {
    assert.throws(() => tok(['hello', 3 as unknown as string]), /text\[1\] is a number/);
    assert.throws(() => tok(['hello'], ['a', 'b']), /does not match/);
    assert.throws(() => tok(42 as unknown as string), /must be a string/);
    assert.throws(() => tok.decode([999]), /outside the vocabulary/);
  });

  test('padding needs a pad token', () => {
    const saved = tok.padToken;
    tok.padToken = null;
    try {
      assert.throws(() => tok(['a', 'the cat'], { padding: true }), /no padding token/);
    } finally {
      tok.padToken = saved;
    }
  });

  test('decode and batchDecode accept tensors', () => {
    const enc = tok(['hello world!', 'the cat'], { padding: true, returnTensors: 'pt' });
    assert.deepEqual(tok.batchDecode(enc.input_ids, { skipSpecialTokens: true }), ['hello world!', 'the cat']);
    assert.equal(tok.decode(tok('hello , world', { returnTensors: 'pt' }).input_ids), '[CLS] hello, world [SEP]');
  });

  test('pad() pads features and keeps other keys', () => {
    const out = tok.pad([{ input_ids: [2, 5, 3], label: 1 }, { input_ids: [2, 3], label: 0 }]);
    assert.deepEqual(out.input_ids, [[2, 5, 3], [2, 3, 0]]);
    assert.deepEqual(out.attention_mask, [[1, 1, 1], [1, 1, 0]]);
    assert.deepEqual(out.label, [1, 0]);
  });
});

describe('cached fast paths', () => {
  const TRICKY = [
    'a\u000bb c\u000cd', 'x\u00a0y\u2003z\u3000w', 'zero\u200bwidth\ufeffbom', 'tab\tnew\nline\r\n', '  lead and trail  ',
    'ΣΑΣ ΟΔΟΣ σοφός', 'e\u0301 n\u0303 Café', '日本語テキスト中文', 'emoji 😀👍🏽 ❤️', "don't  it's", '   ', '', 'a  <mask>  b <s>x</s>',
    '[CLS] x [MASK]y', 'x'.repeat(130), 'ｆｕｌｌ ｗｉｄｔｈ', 'a\u2028b\u2029c\u0085d',
  ];
  for (const name of ['bert', 'roberta']) {
    test(`${name}: the same ids as the uncached backend`, needsShared, async () => {
      const fixture = JSON.parse((await import('node:fs')).readFileSync(sharedPath('fixtures', 'hf-reference', 'tokenizers', 'cases.json'), 'utf8'));
      const texts = [...TRICKY, ...fixture.cases.flatMap((c: any) => [c.text, c.text_pair, ...(c.texts ?? [])]).filter((t: unknown) => typeof t === 'string')];
      for (const useFast of [true, false]) {
        const t = await AutoTokenizer.fromPretrained(sharedPath('fixtures', 'hf-reference', 'tokenizers', name), { useFast });
        for (const text of texts) {
          const expected = t.backend.encode(text, { add_special_tokens: false }).ids;
          assert.deepEqual(t(text, { addSpecialTokens: false, verbose: false }).input_ids, expected, JSON.stringify(text));
          assert.deepEqual(t(text, { addSpecialTokens: false, verbose: false }).input_ids, expected, 'cached: ' + JSON.stringify(text));
        }
      }
    });
  }
});

describe('AutoTokenizer errors and savePretrained', () => {
  test('missing files: the error lists what was looked for', async () => {
    const empty = join(dir, 'empty');
    mkdirSync(empty, { recursive: true });
    await assert.rejects(AutoTokenizer.fromPretrained(empty), /looked for tokenizer\.json, vocab\.txt, vocab\.json \+ merges\.txt/);
    await assert.rejects(AutoTokenizer.fromPretrained(join(dir, 'nope', 'x')), /does not exist/);
  });

  test('savePretrained round trip (fast and slow)', async () => {
    const out = join(dir, 'saved');
    const files = tok.savePretrained(out);
    for (const f of ['tokenizer_config.json', 'special_tokens_map.json', 'tokenizer.json', 'vocab.txt']) assert.ok(existsSync(join(out, f)), f);
    assert.equal(files.length, 4);
    for (const useFast of [true, false]) {
      const again = await AutoTokenizer.fromPretrained(out, { useFast });
      assert.deepEqual(again(['Hello world!', 'the cats'], ['a dog', ''], { padding: true }), tok(['Hello world!', 'the cats'], ['a dog', ''], { padding: true }));
      assert.equal(again.modelMaxLength, 8);
    }
  });

  test('RoBERTa fixture: save and reload from the vocabulary files', needsShared, async () => {
    const rob = await AutoTokenizer.fromPretrained(sharedPath('fixtures', 'hf-reference', 'tokenizers', 'roberta'));
    const out = join(dir, 'roberta-saved');
    rob.savePretrained(out);
    for (const f of ['vocab.json', 'merges.txt', 'tokenizer.json']) assert.ok(existsSync(join(out, f)), f);
    const slow = await AutoTokenizer.fromPretrained(out, { useFast: false });
    const text = 'The <mask> sat on the mat.';
    assert.deepEqual(slow(text, 'Café naïve'), rob(text, 'Café naïve'));
    assert.equal(slow.maskTokenId, 960);
  });
});
