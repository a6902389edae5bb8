// AutoTokenizer.fromPretrained with a Hub repo id, against the local Hub server.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHubServer, type HubServer } from '../../test/support/hub-server';
import { needsShared, sharedPath, hasShared } from '../../test/support/shared';
import { AutoTokenizer } from './tokenization';

let server: HubServer;
const DIR = sharedPath('fixtures', 'hf-reference', 'tokenizers', 'roberta');

before(async () => {
  server = await startHubServer();
  if (hasShared) {
    const files: Record<string, string> = {};
    for (const f of ['vocab.json', 'merges.txt', 'tokenizer_config.json', 'special_tokens_map.json']) files[f] = readFileSync(join(DIR, f), 'utf8');
    server.addRepo({ id: 'hubtune-test/tiny-roberta-slow', files });
  }
  server.addRepo({ id: 'hubtune-test/no-tokenizer', files: { 'config.json': '{"model_type":"bert"}' } });
});
after(() => server.close());

test('loads a Hub repo that has only vocab.json + merges.txt', needsShared, async () => {
  const cacheDir = mkdtempSync(join(tmpdir(), 'hubtune-tokhub-'));
  const tok = await AutoTokenizer.fromPretrained('hubtune-test/tiny-roberta-slow', { cacheDir, endpoint: server.url });
  assert.deepEqual(tok('Hello world!').input_ids, [0, 43, 699, 82, 480, 339, 4, 2]);
  assert.equal(tok.maskTokenId, 960);
});

test('a Hub repo without tokenizer files: the error lists what was looked for', async () => {
  const cacheDir = mkdtempSync(join(tmpdir(), 'hubtune-tokhub-'));
  await assert.rejects(AutoTokenizer.fromPretrained('hubtune-test/no-tokenizer', { cacheDir, endpoint: server.url }),
    /no tokenizer files in Hub repo hubtune-test\/no-tokenizer: looked for tokenizer\.json, vocab\.txt, vocab\.json \+ merges\.txt/);
});
