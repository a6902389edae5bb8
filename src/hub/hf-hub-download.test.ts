import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync, truncateSync, unlinkSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHubServer, READ_TOKEN, type HubServer } from '../../test/support/hub-server';
import { MODEL_REPO, tinyModelFiles } from '../../test/support/hub-fixtures';
import {
  EntryNotFoundError,
  GatedRepoError,
  HubHttpError,
  IntegrityError,
  OfflineModeError,
  RepositoryNotFoundError,
  RevisionNotFoundError,
  UnsafePathError,
  hfHubDownload,
} from './index';

process.env.HUBTUNE_HUB_RETRY_BASE_MS = '5';
process.env.HF_HUB_DOWNLOAD_TIMEOUT = '2';
delete process.env.HF_HUB_OFFLINE;
delete process.env.HF_TOKEN;

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const gitSha1 = (b: Buffer) => createHash('sha1').update(`blob ${b.length}\0`).update(b).digest('hex');

let server: HubServer;
let cacheDir: string;
let mainSha: string;
let devSha: string;
const files = tinyModelFiles();
const big = Buffer.alloc(200_000, 7).map((_, i) => (i * 13) % 251) as Buffer;

before(async () => {
  server = await startHubServer();
  const r = server.addRepo({ id: MODEL_REPO, files: { ...files, 'weights/big.safetensors': big }, branches: { dev: { 'config.json': '{"dev":true}\n' } }, tags: { 'v1.0': 'main' } });
  mainSha = r.sha;
  devSha = r.shas.dev;
  server.addRepo({ id: 'hubtune-test/private', files: { 'config.json': '{}' }, private: true });
  server.addRepo({ id: 'hubtune-test/gated', files: { 'config.json': '{}' }, gated: { users: ['writer'] } });
  server.addRepo({ type: 'dataset', id: 'hubtune-test/ds', files: { 'data/train.csv': 'a,b\n1,2\n' } });
});
after(() => server.close());
beforeEach(() => {
  cacheDir = mkdtempSync(join(tmpdir(), 'hubtune-hub-'));
  server.reset();
});

const dl = (o: Partial<Parameters<typeof hfHubDownload>[0]> & { filename: string }) =>
  hfHubDownload({ repoId: MODEL_REPO, cacheDir, endpoint: server.url, ...o });

describe('hfHubDownload: Python cache layout', () => {
  test('regular file: blob named by git sha1, relative symlink, refs/main', async () => {
    const p = await dl({ filename: 'config.json' });
    const storage = join(cacheDir, 'models--hubtune-test--tiny-bert');
    assert.equal(p, join(storage, 'snapshots', mainSha, 'config.json'));
    assert.equal(readFileSync(p, 'utf8'), files['config.json']);
    assert.ok(lstatSync(p).isSymbolicLink());
    const etag = gitSha1(Buffer.from(files['config.json'] as string));
    assert.equal(readlinkSync(p), `../../blobs/${etag}`);
    assert.equal(readFileSync(join(storage, 'refs', 'main'), 'utf8'), mainSha);
    assert.ok(!existsSync(join(storage, 'blobs', `${etag}.incomplete`)));
  });

  test('LFS file in a folder: blob named by sha256, fetched from the CDN origin without the token', async () => {
    const p = await dl({ filename: 'weights/big.safetensors', token: READ_TOKEN });
    assert.equal(readlinkSync(p), `../../../blobs/${sha256(big)}`);
    assert.deepEqual(readFileSync(p), big);
    const cdn = server.requests.filter((r) => r.server === 'cdn');
    assert.ok(cdn.length >= 1);
    assert.ok(cdn.every((r) => r.authorization === undefined), 'token must not reach another origin');
    assert.ok(server.requests.filter((r) => r.server === 'hub').every((r) => r.authorization === `Bearer ${READ_TOKEN}`));
  });

  test('dataset repo, branch, tag and commit revisions', async () => {
    const d = await hfHubDownload({ repoId: 'hubtune-test/ds', repoType: 'dataset', filename: 'data/train.csv', cacheDir, endpoint: server.url });
    assert.match(d, /datasets--hubtune-test--ds\/snapshots\/[0-9a-f]{40}\/data\/train\.csv$/);
    const dev = await dl({ filename: 'config.json', revision: 'dev' });
    assert.equal(dev, join(cacheDir, 'models--hubtune-test--tiny-bert', 'snapshots', devSha, 'config.json'));
    assert.equal(readFileSync(join(cacheDir, 'models--hubtune-test--tiny-bert', 'refs', 'dev'), 'utf8'), devSha);
    const tag = await dl({ filename: 'config.json', revision: 'v1.0' });
    assert.ok(tag.includes(mainSha));
    server.reset();
    const byCommit = await dl({ filename: 'config.json', revision: mainSha });
    assert.equal(byCommit, tag);
    assert.equal(server.requests.length, 0, 'a cached commit is served without any request');
  });

  test('unchanged file is not fetched again (ETag), shared blob re-linked', async () => {
    await dl({ filename: 'model.safetensors' });
    server.reset();
    await dl({ filename: 'model.safetensors' });
    assert.deepEqual(server.requests.map((r) => r.method), ['HEAD']);
  });

  test('.no_exist marker for a missing file, then offline says so', async () => {
    await assert.rejects(dl({ filename: 'nope.json' }), (e: Error) => e instanceof EntryNotFoundError && /file not found: hubtune-test\/tiny-bert\/nope\.json/.test(e.message));
    const marker = join(cacheDir, 'models--hubtune-test--tiny-bert', '.no_exist', mainSha, 'nope.json');
    assert.ok(existsSync(marker));
    await dl({ filename: 'config.json' }); // writes refs/main
    await assert.rejects(dl({ filename: 'nope.json', localFilesOnly: true }), EntryNotFoundError);
  });
});

describe('hfHubDownload: errors', () => {
  test('repository not found vs revision not found', async () => {
    await assert.rejects(dl({ repoId: 'hubtune-test/missing', filename: 'config.json' }), (e: Error) => e instanceof RepositoryNotFoundError && e.message.startsWith('repository not found: hubtune-test/missing'));
    await assert.rejects(dl({ filename: 'config.json', revision: 'nobranch' }), (e: Error) => e instanceof RevisionNotFoundError && e.message.startsWith('revision not found: "nobranch"'));
  });

  test('private and gated repos without a token say to log in', async () => {
    await assert.rejects(dl({ repoId: 'hubtune-test/private', filename: 'config.json' }), (e: Error) => e instanceof RepositoryNotFoundError && /hubtune login/.test(e.message));
    const ok = await dl({ repoId: 'hubtune-test/private', filename: 'config.json', token: READ_TOKEN });
    assert.ok(existsSync(ok));
    await assert.rejects(dl({ repoId: 'hubtune-test/gated', filename: 'config.json' }), (e: Error) => e instanceof GatedRepoError && e.status === 401 && /log in with `hubtune login`/.test(e.message));
    await assert.rejects(dl({ repoId: 'hubtune-test/gated', filename: 'config.json', token: READ_TOKEN }), (e: Error) => e instanceof GatedRepoError && e.status === 403 && !e.message.includes(READ_TOKEN));
  });

  test('server errors are retried, then one clear line', async () => {
    server.failNext({ match: 'HEAD /hubtune-test/tiny-bert/resolve', status: 500, times: 2 });
    assert.ok(existsSync(await dl({ filename: 'vocab.txt' })));
    server.failNext({ match: 'HEAD /hubtune-test/tiny-bert/resolve', status: 503, times: 100 });
    await assert.rejects(dl({ filename: 'tokenizer.json' }), (e: Error) => e instanceof HubHttpError && /answered 503.*try again later/.test(e.message) && !e.message.includes('\n'));
    server.reset();
  });

  test('unsafe file names are refused before any request', async () => {
    for (const bad of ['../evil', '/etc/passwd', 'a\\b', 'a\0b', 'a/../../b']) {
      await assert.rejects(dl({ filename: bad }), UnsafePathError);
    }
    assert.equal(server.requests.length, 0);
  });
});

describe('hfHubDownload: interrupted and corrupt downloads', () => {
  test('a dropped connection mid-file is resumed with Range', async () => {
    server.failNext({ match: /GET \/lfs\//, server: 'cdn', dropAfterBytes: 50_000 });
    const p = await dl({ filename: 'weights/big.safetensors' });
    assert.deepEqual(readFileSync(p), big);
    const gets = server.requests.filter((r) => r.server === 'cdn' && r.method === 'GET');
    assert.equal(gets.length, 2);
    assert.match(gets[1].range ?? '', /^bytes=\d+-$/);
  });

  test('after giving up, the partial file stays .incomplete and the next call resumes it', async () => {
    process.env.HUBTUNE_HUB_MAX_RETRIES = '0';
    try {
      server.failNext({ match: /GET \/lfs\//, server: 'cdn', dropAfterBytes: 60_000 });
      await assert.rejects(dl({ filename: 'weights/big.safetensors' }), (e: Error) => e instanceof HubHttpError && /run again to resume/.test(e.message));
    } finally {
      delete process.env.HUBTUNE_HUB_MAX_RETRIES;
    }
    const storage = join(cacheDir, 'models--hubtune-test--tiny-bert');
    const inc = join(storage, 'blobs', `${sha256(big)}.incomplete`);
    assert.ok(statSync(inc).size > 0 && statSync(inc).size < big.length);
    assert.ok(!existsSync(join(storage, 'snapshots', mainSha, 'weights', 'big.safetensors')));
    server.reset();
    const p = await dl({ filename: 'weights/big.safetensors' });
    assert.deepEqual(readFileSync(p), big);
    assert.equal(server.requests.find((r) => r.server === 'cdn')?.range, `bytes=${60_000}-`);
  });

  test('a full disk keeps the partial download and leaves nothing in snapshots/', async () => {
    // A file-size limit (ulimit -f, in a child process) stands for a full disk: writes past it fail.
    // (A link to /dev/full in the cache no longer works: the cache never writes through links.)
    const storage = join(cacheDir, 'models--hubtune-test--tiny-bert');
    const script = `import { hfHubDownload } from ${JSON.stringify(join(process.cwd(), 'src/hub/index.ts'))};
      hfHubDownload({ repoId: ${JSON.stringify(MODEL_REPO)}, filename: 'weights/big.safetensors', cacheDir: ${JSON.stringify(cacheDir)}, endpoint: ${JSON.stringify(server.url)} })
        .then(() => console.log('downloaded'), (e) => console.log(e.message));`;
    const out = await new Promise<string>((res) => {
      const child = spawn('bash', ['-c', `ulimit -f 100 && exec "${process.execPath}" --import tsx --input-type=module -e "$0"`, script], { stdio: ['ignore', 'pipe', 'inherit'] });
      let text = '';
      child.stdout.on('data', (d) => (text += d));
      child.on('close', () => res(text));
    });
    assert.match(out, /file size limit reached while writing .*\.incomplete: free some space .* run again; the \d+ bytes kept are resumed/);
    assert.ok(!existsSync(join(storage, 'snapshots', mainSha, 'weights', 'big.safetensors')));
    assert.ok(!existsSync(join(storage, 'blobs', sha256(big))));
    const kept = statSync(join(storage, 'blobs', `${sha256(big)}.incomplete`)).size;
    assert.ok(kept > 0 && kept <= 100 * 1024, `kept ${kept}`); // bash counts 1 KiB blocks
    server.reset();
    const p = await dl({ filename: 'weights/big.safetensors' });
    assert.deepEqual(readFileSync(p), big);
    assert.equal(server.requests.find((r) => r.server === 'cdn')?.range, `bytes=${kept}-`);
  });

  test('a corrupt cache entry is detected and fetched again when online', async () => {
    const p = await dl({ filename: 'config.json' });
    const blob = join(cacheDir, 'models--hubtune-test--tiny-bert', 'blobs', gitSha1(Buffer.from(files['config.json'] as string)));
    writeFileSync(blob, 'x'.repeat(statSync(blob).size)); // same size, wrong content
    assert.equal(await dl({ filename: 'config.json' }), p);
    assert.equal(readFileSync(p, 'utf8'), files['config.json']);
    const lfs = await dl({ filename: 'weights/big.safetensors' });
    truncateSync(lfs, 10);
    await dl({ filename: 'weights/big.safetensors' });
    assert.deepEqual(readFileSync(lfs), big);
    rmSync(join(cacheDir, 'models--hubtune-test--tiny-bert', 'blobs', sha256(big))); // dangling symlink
    await dl({ filename: 'weights/big.safetensors' });
    assert.deepEqual(readFileSync(lfs), big);
  });

  test('wrong bytes are caught by the hash check: retried once, then IntegrityError with nothing cached', async () => {
    server.failNext({ match: /GET \/lfs\//, server: 'cdn', corrupt: true });
    const p = await dl({ filename: 'weights/big.safetensors' });
    assert.deepEqual(readFileSync(p), big);
    rmSync(cacheDir, { recursive: true });
    server.failNext({ match: /GET \/lfs\//, server: 'cdn', corrupt: true, times: 2 });
    await assert.rejects(dl({ filename: 'weights/big.safetensors' }), (e: Error) => e instanceof IntegrityError && /sha256 differs/.test(e.message));
    const storage = join(cacheDir, 'models--hubtune-test--tiny-bert');
    assert.ok(!existsSync(join(storage, 'blobs', sha256(big))));
    assert.ok(!existsSync(join(storage, 'snapshots', mainSha, 'weights', 'big.safetensors')));
    server.failNext({ match: 'GET /hubtune-test/tiny-bert/resolve/main/vocab.txt', corrupt: true, times: 2 });
    await assert.rejects(dl({ filename: 'vocab.txt' }), (e: Error) => e instanceof IntegrityError && /git sha1 differs/.test(e.message));
  });
});

describe('hfHubDownload: offline', () => {
  test('HF_HUB_OFFLINE serves main through refs/main with no request; a missing file says so', async () => {
    await dl({ filename: 'config.json' });
    server.reset();
    process.env.HF_HUB_OFFLINE = '1';
    try {
      const p = await dl({ filename: 'config.json' });
      assert.ok(p.includes(mainSha));
      await assert.rejects(dl({ filename: 'vocab.txt' }), (e: Error) => e instanceof OfflineModeError && e.message.startsWith('offline and not in the cache: hubtune-test/tiny-bert/vocab.txt'));
    } finally {
      delete process.env.HF_HUB_OFFLINE;
    }
    assert.equal(server.requests.length, 0);
  });

  test('unreachable Hub falls back to the cache', async () => {
    await dl({ filename: 'config.json' });
    process.env.HUBTUNE_HUB_MAX_RETRIES = '0';
    try {
      const p = await hfHubDownload({ repoId: MODEL_REPO, filename: 'config.json', cacheDir, endpoint: 'http://127.0.0.1:9' });
      assert.ok(p.includes(mainSha));
      await assert.rejects(hfHubDownload({ repoId: MODEL_REPO, filename: 'vocab.txt', cacheDir, endpoint: 'http://127.0.0.1:9' }), /could not reach the Hub/);
    } finally {
      delete process.env.HUBTUNE_HUB_MAX_RETRIES;
    }
  });
});
