import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHubServer, READ_TOKEN, WRITE_TOKEN, type HubServer } from '../../test/support/hub-server';
import { GatedRepoError, createRepo, hfHubDownload, snapshotDownload, uploadFiles, uploadFolder } from './index';

process.env.HUBTUNE_HUB_RETRY_BASE_MS = '5';
delete process.env.HF_TOKEN;
let server: HubServer;
before(async () => {
  server = await startHubServer();
});
after(() => server.close());

describe('createRepo, uploadFiles, uploadFolder', () => {
  test('create, commit small + LFS files, later downloads see them', async () => {
    const repo = await createRepo({ repoId: 'writer/my-model', token: WRITE_TOKEN, endpoint: server.url });
    assert.equal(repo.repoUrl, `${server.url}/writer/my-model`);
    await assert.rejects(createRepo({ repoId: 'writer/my-model', token: WRITE_TOKEN, endpoint: server.url }), /already exists: pass existOk/);
    await createRepo({ repoId: 'writer/my-model', token: WRITE_TOKEN, endpoint: server.url, existOk: true });

    const weights = Buffer.alloc(5000, 3);
    server.failNext({ match: 'POST /api/models/writer/my-model/commit', status: 500 }); // retried
    const c = await uploadFiles({
      repoId: 'writer/my-model',
      files: [{ path: 'config.json', content: '{"a":1}' }, { path: 'model.safetensors', content: weights }],
      commitMessage: 'add model',
      token: WRITE_TOKEN,
      endpoint: server.url,
    });
    assert.match(c.commitOid, /^[0-9a-f]{40}$/);
    const rec = server.commits.at(-1)!;
    assert.equal(rec.title, 'add model');
    assert.deepEqual(rec.lfs, ['model.safetensors']);
    assert.ok(server.requests.some((r) => r.server === 'cdn' && r.method === 'PUT' && r.authorization === undefined));

    const cacheDir = mkdtempSync(join(tmpdir(), 'hubtune-up-'));
    const p = await hfHubDownload({ repoId: 'writer/my-model', filename: 'model.safetensors', cacheDir, endpoint: server.url });
    assert.deepEqual(readFileSync(p), weights);
    assert.ok(p.includes(c.commitOid));
  });

  test('uploadFolder skips .git and honours patterns; datasets too', async () => {
    await createRepo({ repoId: 'writer/my-data', repoType: 'dataset', token: WRITE_TOKEN, endpoint: server.url });
    const dir = mkdtempSync(join(tmpdir(), 'hubtune-folder-'));
    mkdirSync(join(dir, '.git'));
    writeFileSync(join(dir, '.git', 'HEAD'), 'ref');
    mkdirSync(join(dir, 'data'));
    writeFileSync(join(dir, 'data', 'train.csv'), 'a\n1\n');
    writeFileSync(join(dir, 'notes.tmp'), 'x');
    await uploadFolder({ repoId: 'writer/my-data', repoType: 'dataset', folderPath: dir, ignorePatterns: '*.tmp', token: WRITE_TOKEN, endpoint: server.url });
    assert.deepEqual(server.commits.at(-1)!.added, ['data/train.csv']);
    const cacheDir = mkdtempSync(join(tmpdir(), 'hubtune-up-'));
    const snap = await snapshotDownload({ repoId: 'writer/my-data', repoType: 'dataset', cacheDir, endpoint: server.url });
    assert.equal(readFileSync(join(snap, 'data', 'train.csv'), 'utf8'), 'a\n1\n');
  });

  test('a read-only token or none cannot upload', async () => {
    await assert.rejects(uploadFiles({ repoId: 'writer/my-model', files: [{ path: 'x', content: 'y' }], token: READ_TOKEN, endpoint: server.url }), (e: Error) => e instanceof GatedRepoError && e.status === 403);
    await assert.rejects(uploadFiles({ repoId: 'writer/my-model', files: [{ path: 'x', content: 'y' }], token: '', endpoint: server.url }), /needs a token: run `hubtune login`/);
  });
});
