// The Hub's redirects and headers, as the test Hub now sends them: renamed repos (307, API and
// resolve, query kept, cache folder of the requested id), resolve-cache 307s, Xet-bridge redirects
// (X-Linked-Etag, X-Linked-Size, X-Xet-Hash), 7-character revisions, 429 with RateLimit (waits
// capped and said), an expired signed CDN URL (403 -> fresh HEAD -> resume), the token never
// sent to another host, multipart LFS uploads.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHubServer, READ_TOKEN, WRITE_TOKEN, type HubServer } from '../../test/support/hub-server';
import { getFileMetadata, hfHubDownload } from './hf-hub-download';
import { snapshotDownload } from './snapshot-download';
import { listRepoCommits } from './list-repo-commits';
import { uploadFiles } from './upload-files';
import { createRepo } from './create-repo';

process.env.HUBTUNE_HUB_RETRY_BASE_MS = '5';
delete process.env.HF_HUB_OFFLINE;
delete process.env.HF_TOKEN;

let server: HubServer;
let home: string;
const big = randomBytes(300_000);
const config = JSON.stringify({ model_type: 'roberta', hidden_size: 8 });
const SHA = '714eb0f' + createHash('sha1').update('pinned').digest('hex').slice(7);

before(async () => {
  server = await startHubServer({ resolveCache: true, multipartThreshold: 200_000, multipartChunkSize: 64 * 1024 });
  home = mkdtempSync(join(tmpdir(), 'hubtune-redirects-'));
  server.addRepo({ id: 'distilbert/distilroberta-base', xet: true, sha: SHA, files: { 'config.json': config, 'model.safetensors': big } });
  server.renameRepo('model', 'distilroberta-base', 'distilbert/distilroberta-base');
});
after(async () => {
  await server.close();
  rmSync(home, { recursive: true, force: true });
});

const cacheDir = () => join(home, 'hub');
const o = () => ({ cacheDir: cacheDir(), endpoint: server.url, token: READ_TOKEN });
const line = (r: { method: string; url: string; status?: number }) => `${r.status} ${r.method} ${r.url}`;

describe('redirects as the Hub sends them', () => {
  test('a renamed repo (307) and a small file through /api/resolve-cache (307): followed, cached under the requested id', async () => {
    server.reset();
    const path = await hfHubDownload({ ...o(), repoId: 'distilroberta-base', filename: 'config.json' });
    assert.equal(path, join(cacheDir(), 'models--distilroberta-base', 'snapshots', SHA, 'config.json'));
    assert.equal(readFileSync(path, 'utf8'), config);
    const log = server.requests.map(line);
    assert.match(log[0], /^307 HEAD \/distilroberta-base\/resolve\/main\/config\.json$/);
    assert.match(log[1], /^307 HEAD \/distilbert\/distilroberta-base\/resolve\/main\/config\.json$/);
    assert.match(log[2], new RegExp(`^200 HEAD /api/resolve-cache/models/distilbert/distilroberta-base/${SHA}/config\\.json$`));
    assert.ok(server.requests.every((r) => r.authorization === `Bearer ${READ_TOKEN}`), 'same-origin hops keep the token');
    assert.ok(!existsSync(join(cacheDir(), 'models--distilbert--distilroberta-base')));
  });

  test('API calls of a renamed repo follow the 307 with their query (paging, recursive listing)', async () => {
    server.reset();
    const folder = await snapshotDownload({ ...o(), repoId: 'distilroberta-base' });
    assert.equal(folder, join(cacheDir(), 'models--distilroberta-base', 'snapshots', SHA));
    const tree = server.requests.filter((r) => r.url.includes('/tree/'));
    assert.equal(tree[0].status, 307);
    assert.match(tree[1].url, /^\/api\/models\/distilbert\/distilroberta-base\/tree\/[0-9a-f]{40}\?.*recursive=(true|1)/);
    assert.deepEqual(readFileSync(join(folder, 'model.safetensors')), big);
    const commits = await listRepoCommits({ ...o(), repoId: 'distilroberta-base' });
    assert.equal(commits[0].commitId, SHA);
  });

  test('a large file: Xet-bridge redirect with X-Linked-Etag / X-Linked-Size / X-Xet-Hash, fetched without the token', async () => {
    const ctx = { endpoint: server.url, token: READ_TOKEN, repoId: 'distilroberta-base', repoType: 'model' as const, revision: 'main', filename: 'model.safetensors' };
    const meta = await getFileMetadata(ctx);
    const sha256 = createHash('sha256').update(big).digest('hex');
    assert.equal(meta.etag, sha256);
    assert.equal(meta.size, big.length);
    assert.match(meta.xetHash ?? '', /^[0-9a-f]{64}$/);
    assert.ok(meta.location.startsWith(`${server.cdnUrl}/xet-bridge-us/${meta.xetHash}?`));
    server.reset();
    const path = await hfHubDownload({ ...o(), repoId: 'distilroberta-base', filename: 'model.safetensors', forceDownload: true });
    assert.deepEqual(readFileSync(path), big);
    assert.ok(existsSync(join(cacheDir(), 'models--distilroberta-base', 'blobs', sha256)));
    const cdn = server.requests.filter((r) => r.server === 'cdn');
    assert.ok(cdn.length > 0 && cdn.every((r) => r.authorization === undefined), 'the token never goes to the CDN');
  });

  test('an expired signed URL (403) gets a fresh HEAD and the download resumes with Range', async () => {
    server.reset();
    server.failNext({ server: 'cdn', match: 'GET /xet-bridge-us/', dropAfterBytes: 100_000 });
    server.failNext({ server: 'cdn', match: 'GET /xet-bridge-us/', delayMs: 400 });
    const done = hfHubDownload({ ...o(), repoId: 'distilroberta-base', filename: 'model.safetensors', forceDownload: true });
    // While the second GET waits, every URL handed out so far expires.
    for (let i = 0; i < 200 && server.requests.filter((r) => r.server === 'cdn').length < 2; i++) await new Promise((r) => setTimeout(r, 5));
    server.expireSignedUrls();
    assert.deepEqual(readFileSync(await done), big);
    const gets = server.requests.filter((r) => r.server === 'cdn');
    assert.equal(gets.length, 3);
    assert.deepEqual(gets.slice(1).map((r) => r.status), [403, 206], 'cut, then expired, then resumed'); // the cut answer never finished
    assert.match(gets[2].range ?? '', /^bytes=\d+-$/);
    assert.equal(server.requests.filter((r) => r.method === 'HEAD' && r.url.includes('model.safetensors')).length, 4, 'two HEADs (rename + resolve) twice');
  });

  test('a 7-character revision (as transformers pins defaults) resolves, is cached as refs/<short>, and works offline', async () => {
    const path = await hfHubDownload({ ...o(), repoId: 'distilbert/distilroberta-base', revision: '714eb0f', filename: 'config.json' });
    assert.equal(path, join(cacheDir(), 'models--distilbert--distilroberta-base', 'snapshots', SHA, 'config.json'));
    assert.equal(readFileSync(join(cacheDir(), 'models--distilbert--distilroberta-base', 'refs', '714eb0f'), 'utf8'), SHA);
    process.env.HF_HUB_OFFLINE = '1';
    try {
      server.reset();
      assert.equal(await hfHubDownload({ ...o(), repoId: 'distilbert/distilroberta-base', revision: '714eb0f', filename: 'config.json' }), path);
      assert.equal(server.requests.length, 0);
    } finally {
      delete process.env.HF_HUB_OFFLINE;
    }
  });

  test('429 with RateLimit: waits the reset (capped, and says so), then gives up in one line', async () => {
    const warnings: string[] = [];
    const warn = console.warn;
    console.warn = (m: string) => warnings.push(m);
    process.env.HUBTUNE_HUB_MAX_RATE_LIMIT_WAIT = '0.2';
    try {
      server.failNext({ match: 'HEAD /distilbert/distilroberta-base/resolve', rateLimit: { reset: 3600 } });
      const t0 = Date.now();
      await hfHubDownload({ ...o(), repoId: 'distilbert/distilroberta-base', filename: 'config.json', forceDownload: true });
      assert.ok(Date.now() - t0 >= 190, 'waited the capped time');
      assert.equal(warnings.length, 1);
      assert.match(warnings[0], /rate limited by the Hub at http:\/\/127\.0\.0\.1:\d+ \("resolvers" limit, resets in 3600 s\); waiting 0\.2 s \(it asks for 3601 s; capped by HUBTUNE_HUB_MAX_RATE_LIMIT_WAIT\) before retry 1\/\d+/);
      process.env.HUBTUNE_HUB_MAX_RETRIES = '1';
      server.failNext({ match: 'GET /api/models/distilbert/distilroberta-base/commits', rateLimit: { reset: 7, resource: 'api' }, times: 5 });
      await assert.rejects(listRepoCommits({ ...o(), repoId: 'distilbert/distilroberta-base' }), (e: Error) => {
        assert.match(e.message, /rate limited by the Hub at .* for distilbert\/distilroberta-base \("api" limit, resets in 7 s\) after 2 attempts: try again later/);
        assert.ok(!e.message.includes('\n'));
        return true;
      });
    } finally {
      console.warn = warn;
      delete process.env.HUBTUNE_HUB_MAX_RATE_LIMIT_WAIT;
      delete process.env.HUBTUNE_HUB_MAX_RETRIES;
      server.reset();
    }
  });

  test('a redirect to another host never carries the token', async () => {
    server.reset();
    server.failNext({ match: 'GET /api/models/distilbert/distilroberta-base/commits', redirectTo: `${server.cdnUrl}/elsewhere` });
    await listRepoCommits({ ...o(), repoId: 'distilbert/distilroberta-base' }).catch(() => {});
    const off = server.requests.find((r) => r.server === 'cdn');
    assert.ok(off, 'the redirect was followed');
    assert.equal(off.authorization, undefined);
    assert.equal(server.requests[0].authorization, `Bearer ${READ_TOKEN}`);
  });
});

describe('multipart LFS upload', () => {
  test('a file above the threshold goes up in presigned parts, then the completion call; it downloads back intact', async () => {
    await createRepo({ repoId: 'writer/big-upload', token: WRITE_TOKEN, endpoint: server.url });
    const payload = randomBytes(250_000);
    await uploadFiles({ repoId: 'writer/big-upload', files: [{ path: 'weights.bin', content: payload }], token: WRITE_TOKEN, endpoint: server.url });
    assert.deepEqual(server.multipartUploads.at(-1), { oid: createHash('sha256').update(payload).digest('hex'), parts: 4 });
    const parts = server.requests.filter((r) => r.server === 'cdn' && r.method === 'PUT');
    assert.equal(parts.length, 4);
    assert.ok(parts.every((r) => r.authorization === undefined));
    const path = await hfHubDownload({ repoId: 'writer/big-upload', filename: 'weights.bin', cacheDir: cacheDir(), endpoint: server.url, token: WRITE_TOKEN });
    assert.deepEqual(readFileSync(path), payload);
  });
});
