import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parquetMetadata } from 'hyparquet';
import { startHubServer, type HubServer } from '../../test/support/hub-server';
import { BEANS_REPO, GLUE_REPO, MODEL_REPO, addFixtureRepos } from '../../test/support/hub-fixtures';
import { OfflineModeError, RevisionNotFoundError, UnsafePathError, hfHubDownload, snapshotDownload } from './index';

process.env.HUBTUNE_HUB_RETRY_BASE_MS = '5';
delete process.env.HF_HUB_OFFLINE;
delete process.env.HF_TOKEN;

let server: HubServer;
let cacheDir: string;
let shas: { model: string; beans: string; glue: string };

function listTree(dir: string, root = dir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    return e.isDirectory() ? listTree(p, root) : [relative(root, p)];
  }).sort();
}

before(async () => {
  server = await startHubServer({ pageSize: 2 });
  shas = await addFixtureRepos(server);
});
after(() => server.close());
beforeEach(() => {
  cacheDir = mkdtempSync(join(tmpdir(), 'hubtune-snap-'));
  server.reset();
});

describe('snapshotDownload', () => {
  test('whole model repo at the repo commit, tree listing paged, every entry a relative symlink', async () => {
    const folder = await snapshotDownload({ repoId: MODEL_REPO, cacheDir, endpoint: server.url });
    assert.equal(folder, join(cacheDir, 'models--hubtune-test--tiny-bert', 'snapshots', shas.model));
    assert.deepEqual(listTree(folder), ['.gitattributes', 'README.md', 'config.json', 'model.safetensors', 'special_tokens_map.json', 'tokenizer.json', 'tokenizer_config.json', 'vocab.txt']);
    for (const f of listTree(folder)) assert.match(readlinkSync(join(folder, f)), /^\.\.\/\.\.\/blobs\/[0-9a-f]{40,64}$/);
    assert.ok(server.requests.filter((r) => r.url.includes('/tree/')).length > 1, 'tree listing was paged');
    assert.equal(readFileSync(join(cacheDir, 'models--hubtune-test--tiny-bert', 'refs', 'main'), 'utf8'), shas.model);
    // Second call: no file fetched again.
    server.reset();
    await snapshotDownload({ repoId: MODEL_REPO, cacheDir, endpoint: server.url });
    assert.equal(server.requests.filter((r) => r.url.includes('/resolve/') || r.server === 'cdn').length, 0);
  });

  test('beans-like dataset with patterns (fnmatch, folder/ means folder/*)', async () => {
    const folder = await snapshotDownload({ repoId: BEANS_REPO, repoType: 'dataset', cacheDir, endpoint: server.url, allowPatterns: ['data/'], ignorePatterns: '*test*' });
    assert.deepEqual(listTree(folder), ['data/train-00000-of-00001.parquet', 'data/validation-00000-of-00001.parquet']);
    assert.match(folder, /datasets--hubtune-test--beans\/snapshots\/[0-9a-f]{40}$/);
    const meta = parquetMetadata(new Uint8Array(readFileSync(join(folder, 'data/train-00000-of-00001.parquet'))).buffer);
    const hf = JSON.parse(meta.key_value_metadata!.find((k) => k.key === 'huggingface')!.value!);
    assert.deepEqual(hf.info.features.labels.names, ['angular_leaf_spot', 'bean_rust', 'healthy']);
    const glue = await snapshotDownload({ repoId: GLUE_REPO, repoType: 'dataset', cacheDir, endpoint: server.url, allowPatterns: ['mrpc/*', 'README.md'] });
    assert.deepEqual(listTree(glue), ['README.md', 'mrpc/test-00000-of-00001.parquet', 'mrpc/train-00000-of-00001.parquet', 'mrpc/validation-00000-of-00001.parquet']);
    assert.match(readFileSync(join(glue, 'README.md'), 'utf8'), /config_name: mrpc/);
  });

  test('a new commit on main is picked up; unchanged blobs are reused', async () => {
    server.addRepo({ id: 'hubtune-test/evolving', files: { 'a.txt': 'one', 'w.safetensors': Buffer.alloc(3000, 1) } });
    const first = await snapshotDownload({ repoId: 'hubtune-test/evolving', cacheDir, endpoint: server.url });
    const c2 = server.commitFiles({ id: 'hubtune-test/evolving', files: { 'a.txt': 'two' } });
    server.reset();
    const second = await snapshotDownload({ repoId: 'hubtune-test/evolving', cacheDir, endpoint: server.url });
    assert.ok(second.endsWith(c2) && second !== first);
    assert.equal(readFileSync(join(second, 'a.txt'), 'utf8'), 'two');
    assert.equal(readFileSync(join(first, 'a.txt'), 'utf8'), 'one');
    const fetched = server.requests.filter((r) => r.url.includes('/resolve/') || r.server === 'cdn').map((r) => r.url);
    assert.deepEqual(fetched, [`/hubtune-test/evolving/resolve/${c2}/a.txt`]);
  });

  test('unknown revision, unsafe names from the server', async () => {
    await assert.rejects(snapshotDownload({ repoId: MODEL_REPO, revision: 'v9', cacheDir, endpoint: server.url }), RevisionNotFoundError);
    server.addRepo({ id: 'hubtune-test/evil', files: { 'ok.txt': 'fine', '../escape.txt': 'boom' } });
    await assert.rejects(snapshotDownload({ repoId: 'hubtune-test/evil', cacheDir, endpoint: server.url }), UnsafePathError);
    assert.ok(!existsSync(join(cacheDir, 'models--hubtune-test--evil')), 'nothing written');
    assert.ok(!existsSync(join(cacheDir, 'escape.txt')));
  });

  test('offline: a cache written in Python\'s layout is used without any request', async () => {
    // Write what huggingface_hub would have written.
    const commit = 'c'.repeat(40);
    const storage = join(cacheDir, 'models--someorg--py-model');
    const content = Buffer.from('{"model_type": "bert"}');
    const etag = createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');
    mkdirSync(join(storage, 'blobs'), { recursive: true });
    mkdirSync(join(storage, 'refs'), { recursive: true });
    mkdirSync(join(storage, 'snapshots', commit, 'sub'), { recursive: true });
    writeFileSync(join(storage, 'blobs', etag), content);
    writeFileSync(join(storage, 'refs', 'main'), commit);
    symlinkSync(`../../blobs/${etag}`, join(storage, 'snapshots', commit, 'config.json'));
    symlinkSync(`../../../blobs/${etag}`, join(storage, 'snapshots', commit, 'sub', 'config.json'));
    mkdirSync(join(storage, '.no_exist', commit), { recursive: true });
    writeFileSync(join(storage, '.no_exist', commit, 'tokenizer.json'), '');
    process.env.HF_HUB_OFFLINE = '1';
    process.env.HF_HUB_CACHE = cacheDir;
    try {
      assert.equal(await snapshotDownload({ repoId: 'someorg/py-model', endpoint: server.url }), join(storage, 'snapshots', commit));
      const p = await hfHubDownload({ repoId: 'someorg/py-model', filename: 'sub/config.json', endpoint: server.url });
      assert.equal(readFileSync(p, 'utf8'), content.toString());
      assert.equal(await hfHubDownload({ repoId: 'someorg/py-model', filename: 'config.json', revision: commit }), join(storage, 'snapshots', commit, 'config.json'));
      await assert.rejects(hfHubDownload({ repoId: 'someorg/py-model', filename: 'tokenizer.json' }), /known from the cache/);
      await assert.rejects(snapshotDownload({ repoId: 'someorg/other' }), (e: Error) => e instanceof OfflineModeError && e.message.startsWith('offline and not in the cache: someorg/other'));
    } finally {
      delete process.env.HF_HUB_OFFLINE;
      delete process.env.HF_HUB_CACHE;
    }
    assert.equal(server.requests.length, 0);
  });

  test('Hub unreachable or failing: falls back to the cached snapshot', async () => {
    const folder = await snapshotDownload({ repoId: MODEL_REPO, cacheDir, endpoint: server.url, allowPatterns: '*.json' });
    process.env.HUBTUNE_HUB_MAX_RETRIES = '1';
    try {
      server.failNext({ match: '/api/models/', status: 500, times: 5 });
      assert.equal(await snapshotDownload({ repoId: MODEL_REPO, cacheDir, endpoint: server.url }), folder);
    } finally {
      delete process.env.HUBTUNE_HUB_MAX_RETRIES;
    }
    assert.ok(lstatSync(join(folder, 'config.json')).isSymbolicLink());
  });
});
