// tokenizer.json and its companions checked before @huggingface/tokenizers sees them: each
// malformed file is a one-line TokenizerError naming the file and the field.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AutoTokenizer } from './auto-tokenizer';
import { TokenizerError } from './tokenizers/validate';
import { tokenizerSeedDirs } from '../../test/support/loader-seeds';

let root = '';
let seeds: string[] = [];
before(async () => {
  root = mkdtempSync(join(tmpdir(), 'tok-validate-'));
  seeds = await tokenizerSeedDirs(root);
});
after(() => rmSync(root, { recursive: true, force: true }));

let n = 0;
async function refusedEdit(seed: number, edit: (tj: any) => void, field: RegExp, file = 'tokenizer.json'): Promise<void> {
  const dir = join(root, `case-${n++}`);
  cpSync(seeds[seed], dir, { recursive: true });
  const path = join(dir, file);
  const tj = JSON.parse(readFileSync(path, 'utf8'));
  const out = edit(tj);
  writeFileSync(path, typeof out === 'string' ? out : JSON.stringify(tj));
  await assert.rejects(AutoTokenizer.fromPretrained(dir), (e: Error) => {
    assert.ok(e instanceof TokenizerError, `${e.name}: ${e.message}`);
    assert.ok(e.message.includes(dir), `no file in: ${e.message}`);
    assert.match(e.message, field);
    assert.ok(!e.message.includes('\n'));
    return true;
  });
}

test('the seeds load and encode', async () => {
  for (const d of seeds) {
    const tok = await AutoTokenizer.fromPretrained(d);
    assert.ok(tok.encode('the bean grows').length > 0);
  }
});

test('model, vocab and merges: type known, ids integral and in range, merges pairs of vocabulary tokens', async () => {
  await refusedEdit(0, (tj) => { tj.model.type = 'Nope'; }, /model\.type/);
  await refusedEdit(0, (tj) => { tj.model = 'x'; }, /model/);
  await refusedEdit(0, (tj) => { tj.model.vocab.he = 'NaN'; }, /model\.vocab\["he"\]/);
  await refusedEdit(0, (tj) => { tj.model.vocab.he = 1.5; }, /model\.vocab\["he"\]/);
  await refusedEdit(0, (tj) => { tj.model.vocab.he = -4; }, /model\.vocab\["he"\]/);
  await refusedEdit(0, (tj) => { tj.model.vocab.he = 2 ** 40; }, /model\.vocab\["he"\]/);
  await refusedEdit(0, (tj) => { tj.model.merges = 'a b'; }, /model\.merges must be a list/);
  await refusedEdit(0, (tj) => { tj.model.merges[1] = 17; }, /model\.merges\[1\]/);
  await refusedEdit(0, (tj) => { tj.model.merges[1] = 'h'; }, /model\.merges\[1\] must be two/);
  await refusedEdit(0, (tj) => { tj.model.merges[1] = 'q z'; }, /model\.merges\[1\] uses 'q'|model\.merges\[1\] makes/);
  await refusedEdit(0, (tj) => { tj.model.merges[0] = ['h', 'e']; }, /model\.merges\[1\] must be a \[left, right\] pair/);
  await refusedEdit(1, (tj) => { tj.model.unk_token = 5; }, /model\.unk_token/);
  await refusedEdit(2, (tj) => { tj.model.vocab[3] = ['x']; }, /model\.vocab\[3\]/);
  await refusedEdit(2, (tj) => { tj.model.unk_id = 999; }, /model\.unk_id/);
});

test('added tokens, components and companion files', async () => {
  await refusedEdit(0, (tj) => { tj.added_tokens[0].id = 'seven'; }, /added_tokens\[0\]\.id/);
  await refusedEdit(0, (tj) => { tj.added_tokens[0].content = ''; }, /added_tokens\[0\]\.content/);
  await refusedEdit(0, (tj) => { tj.added_tokens = { a: 1 }; }, /added_tokens must be a list/);
  await refusedEdit(1, (tj) => { tj.normalizer = { type: 'Sequence', normalizers: [{ type: 'Bogus' }] }; }, /normalizer\.normalizers\[0\]\.type/);
  await refusedEdit(1, (tj) => { tj.post_processor.cls = ['[CLS]', 'x']; }, /post_processor\.cls/);
  await refusedEdit(2, (tj) => { tj.post_processor.single[0] = { Sequence: { id: 'C' } }; }, /post_processor\.single\[0\]\.Sequence\.id/);
  await refusedEdit(2, (tj) => { tj.normalizer.normalizers[1].pattern = 7; }, /normalizer\.normalizers\[1\]\.pattern/);
  await refusedEdit(2, (tj) => { tj.pre_tokenizer.replacement = 5; }, /pre_tokenizer\.replacement/);
  // deep nesting and a broken file: the JSON reader's caps, naming the file
  await refusedEdit(0, () => `{"model": ${'['.repeat(200_000)}${']'.repeat(200_000)}}`, /nests deeper/);
  await refusedEdit(0, () => '{"model": {"type": "BPE"', /not valid JSON/);
  await refusedEdit(0, () => '{"additional_special_tokens": "abc"}', /additional_special_tokens must be a list/, 'tokenizer_config.json');
  await refusedEdit(0, () => '{"padding_side": 3}', /padding_side/, 'tokenizer_config.json');
  await refusedEdit(0, () => '{"bos_token": 12}', /bos_token/, 'tokenizer_config.json');
});

test('a Split pattern the backend cannot compile fails at load, naming the file', async () => {
  await refusedEdit(1, (tj) => { tj.pre_tokenizer = { type: 'Split', pattern: { Regex: '(unclosed' }, behavior: 'Isolated', invert: false }; }, /cannot load the tokenizer/);
});
