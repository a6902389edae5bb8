// The Hub client against a hostile server (the test Hub's hostile mode) and a booby-trapped cache:
// crafted ETags and oids, endless and stalled answers, echoed tokens, symbolic links in the cache.
// After every test nothing may exist outside the cache but what the test planted.
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { startHubServer, READ_TOKEN, type HubServer } from '../../test/support/hub-server';
import { MODEL_REPO, tinyModelFiles } from '../../test/support/hub-fixtures';
import { AutoConfig } from '../models/index';
import { HubError, HubHttpError, OfflineModeError, UnsafePathError, hfHubDownload, snapshotDownload } from './index';
import { redactSecrets } from './redact';

process.env.HUBTUNE_HUB_RETRY_BASE_MS = '5';
process.env.HUBTUNE_HUB_MAX_RETRIES = '1';
// Generous timeouts, so that a loaded machine never turns a refusal into a timeout; the stall tests
// shorten them (withShortTimeouts) where the timeout is what they check.
process.env.HF_HUB_DOWNLOAD_TIMEOUT = '60';
process.env.HF_HUB_ETAG_TIMEOUT = '60';
async function withShortTimeouts(fn: () => Promise<void>): Promise<void> {
  process.env.HF_HUB_DOWNLOAD_TIMEOUT = '0.5';
  process.env.HF_HUB_ETAG_TIMEOUT = '0.5';
  try { await fn(); } finally {
    process.env.HF_HUB_DOWNLOAD_TIMEOUT = '60';
    process.env.HF_HUB_ETAG_TIMEOUT = '60';
  }
}
delete process.env.HF_HUB_OFFLINE;
delete process.env.HF_TOKEN;

const REPO = MODEL_REPO;
const files: Record<string, string | Buffer | Uint8Array> = { ...tinyModelFiles(), 'notes.txt': 'n'.repeat(338) };
const gitSha1 = (b: Buffer | string) => createHash('sha1').update(`blob ${Buffer.byteLength(b)}\0`).update(b).digest('hex');
const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

let server: HubServer;
let sandbox: string; // holds the cache and whatever a test plants beside it
let cacheDir: string;
let planted: string[];

/** Every path under `dir` (links not followed). */
function walk(dir: string): string[] {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((e) => {
    const p = join(dir, e.name);
    return [p, ...(e.isDirectory() ? walk(p) : [])];
  });
}

/** Paths in the sandbox outside the cache that the test did not plant. */
function outsideCache(): string[] {
  return walk(sandbox)
    .filter((p) => p !== cacheDir && !p.startsWith(`${cacheDir}/`) && !planted.includes(p))
    .map((p) => relative(sandbox, p));
}

/** A folder outside the cache with one file in it, to lure writes. */
function decoy(name: string): string {
  const d = join(sandbox, name);
  mkdirSync(d);
  writeFileSync(join(d, 'keep.txt'), 'decoy');
  planted.push(d, join(d, 'keep.txt'));
  return d;
}

const dl = (filename: string, o: Partial<Parameters<typeof hfHubDownload>[0]> = {}) =>
  hfHubDownload({ repoId: REPO, filename, cacheDir, endpoint: server.url, ...o });
const snap = (o: Partial<Parameters<typeof snapshotDownload>[0]> = {}) => snapshotDownload({ repoId: REPO, cacheDir, endpoint: server.url, ...o });

/** Runs the CLI (async, so this process's server keeps answering); resolves with its exit code and output. */
function cli(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['bin/hubtune.mjs', ...args], {
      env: { ...process.env, HF_ENDPOINT: server.url, HF_HUB_CACHE: cacheDir, HF_HOME: join(sandbox, 'hf-home'), HF_HUB_DISABLE_PROGRESS_BARS: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

let commit: string;
before(async () => {
  server = await startHubServer();
  commit = server.addRepo({ id: REPO, files }).sha;
});
after(() => server.close());
beforeEach(() => {
  sandbox = realpathSync(mkdtempSync(join(tmpdir(), 'hubtune-hostile-')));
  cacheDir = join(sandbox, 'cache');
  planted = [];
  server.reset();
});
afterEach(() => {
  assert.deepEqual(outsideCache(), [], 'nothing may be written outside the cache');
  rmSync(sandbox, { recursive: true, force: true });
});

describe('the cache is a jail: crafted blob names', () => {
  const crafted = ['"../../../escaped"', '"/tmp/../escaped-abs"', '"../../blobs/../../../escaped"', '"abc"', '"' + 'A'.repeat(40) + '"', '"' + 'a'.repeat(39) + '"'];

  test('a crafted ETag in the HEAD of a regular file is refused, naming the repo and file', async () => {
    for (const etag of crafted) {
      server.failNext({ match: 'HEAD /', hostile: { etag } });
      await assert.rejects(dl('config.json'), (e: Error) => {
        assert.ok(e instanceof UnsafePathError, `${etag}: ${e}`);
        assert.match(e.message, new RegExp(`${REPO}/config\\.json`));
        assert.match(e.message, /40- or 64-hex hash/);
        return true;
      });
    }
  });

  test('behind the Hub\'s resolve-cache 307, the ETag of the hop that answers is the one checked', async () => {
    const rc = await startHubServer({ resolveCache: true });
    try {
      rc.addRepo({ id: REPO, files });
      const viaRc = (filename: string) => hfHubDownload({ repoId: REPO, filename, cacheDir, endpoint: rc.url });
      for (const etag of crafted) {
        rc.failNext({ match: 'HEAD /api/resolve-cache/', hostile: { etag } });
        await assert.rejects(viaRc('config.json'), (e: Error) => e instanceof UnsafePathError && e.message.includes(`${REPO}/config.json`));
        assert.ok(rc.requests.some((r) => r.method === 'HEAD' && r.url.startsWith('/api/resolve-cache/')), 'the redirect was followed');
      }
      assert.deepEqual(walk(cacheDir).filter((p) => p.includes('/blobs/') || p.includes('/snapshots/')), []);
      const p = await viaRc('config.json');
      assert.equal(readlinkSync(p), `../../blobs/${gitSha1(files['config.json'] as string)}`);
    } finally {
      await rc.close();
    }
  });

  test('a crafted X-Linked-Etag of an LFS file is refused; no snapshot link is left', async () => {
    server.failNext({ match: 'HEAD /', hostile: { etag: '"../../../escaped"' } });
    await assert.rejects(dl('model.safetensors'), UnsafePathError);
    const snapshots = join(cacheDir, 'models--hubtune-test--tiny-bert', 'snapshots');
    assert.deepEqual(walk(cacheDir).filter((p) => p.startsWith(snapshots) && lstatSync(p).isSymbolicLink()), []);
  });

  test('a weak ETag W/"<sha>" is what the Hub may send: accepted', async () => {
    const oid = gitSha1(files['config.json'] as string);
    server.failNext({ match: 'HEAD /', hostile: { etag: `W/"${oid}"` } });
    const p = await dl('config.json');
    assert.equal(readlinkSync(p), `../../blobs/${oid}`);
  });

  test('a crafted oid in the tree listing is refused by snapshotDownload before anything is written', async () => {
    server.failNext({ match: /GET \/api\/models\/.*\/tree/, hostile: { oid: '../../../escaped' }, times: 10 });
    await assert.rejects(snap(), (e: Error) => e instanceof UnsafePathError && e.message.includes(`${REPO}/`));
    assert.deepEqual(walk(cacheDir).filter((p) => p.includes('/blobs/')), []);
  });

  test('AutoConfig.fromPretrained and `hubtune download` refuse a crafted ETag too', async () => {
    server.failNext({ match: 'HEAD /', hostile: { etag: '"../../../escaped"' } });
    await assert.rejects(AutoConfig.fromPretrained(REPO, { cacheDir, endpoint: server.url } as never), UnsafePathError);
    server.failNext({ match: 'HEAD /', hostile: { etag: '"../../../escaped"' } });
    const one = await cli(['download', REPO, 'config.json'], {});
    assert.equal(one.code, 1);
    assert.match(one.stderr, /^error: refusing file id .* sent for hubtune-test\/tiny-bert\/config\.json/);
    assert.equal(one.stderr.trim().split('\n').length, 1);
  });
});

describe('the cache is a jail: links planted in the cache', () => {
  const storage = () => join(cacheDir, 'models--hubtune-test--tiny-bert');

  test('blobs/ as a link to a folder elsewhere: refused, nothing written there', async () => {
    const d = decoy('elsewhere');
    mkdirSync(storage(), { recursive: true });
    symlinkSync(d, join(storage(), 'blobs'));
    await assert.rejects(dl('config.json'), (e: Error) => e instanceof UnsafePathError && /symbolic link/.test(e.message));
    await assert.rejects(snap(), UnsafePathError);
    assert.deepEqual(readdirSync(d), ['keep.txt']);
  });

  test('a blob path that is a link to a folder elsewhere: the link is replaced, never followed', async () => {
    const d = decoy('elsewhere');
    const oid = gitSha1(files['config.json'] as string);
    mkdirSync(join(storage(), 'blobs'), { recursive: true });
    symlinkSync(d, join(storage(), 'blobs', oid));
    symlinkSync(join(d, 'keep.txt'), join(storage(), 'blobs', `${oid}.incomplete`));
    const p = await dl('config.json');
    assert.equal(readFileSync(p, 'utf8'), files['config.json']);
    assert.ok(lstatSync(join(storage(), 'blobs', oid)).isFile());
    assert.deepEqual(readdirSync(d), ['keep.txt']);
    assert.equal(readFileSync(join(d, 'keep.txt'), 'utf8'), 'decoy');
  });

  test('snapshots/ or a snapshot sub-folder as a link elsewhere: refused', async () => {
    const d = decoy('elsewhere');
    mkdirSync(storage(), { recursive: true });
    symlinkSync(d, join(storage(), 'snapshots'));
    await assert.rejects(dl('config.json'), UnsafePathError);
    await assert.rejects(snap(), UnsafePathError);
    assert.deepEqual(readdirSync(d), ['keep.txt']);
  });

  test('a snapshot entry linking out of the repo folder is never returned: relinked online, absent offline', async () => {
    const outside = join(sandbox, 'outside-config.json');
    writeFileSync(outside, files['config.json'] as string); // same bytes, wrong place
    planted.push(outside);
    const entry = join(storage(), 'snapshots', commit, 'config.json');
    mkdirSync(join(storage(), 'snapshots', commit), { recursive: true });
    mkdirSync(join(storage(), 'refs'), { recursive: true });
    writeFileSync(join(storage(), 'refs', 'main'), commit);
    symlinkSync(outside, entry);
    await assert.rejects(dl('config.json', { localFilesOnly: true }), OfflineModeError);
    const p = await dl('config.json', { revision: commit });
    assert.equal(p, entry);
    assert.equal(readlinkSync(p), `../../blobs/${gitSha1(files['config.json'] as string)}`);
    assert.equal(readFileSync(outside, 'utf8'), files['config.json']);
  });
});

describe('bounded network', () => {
  test('an endless body for a file announced as 338 bytes fails at once; nothing beyond 338 bytes is kept', async () => {
    server.failNext({ match: 'GET /', hostile: { endless: true }, times: 10 });
    const t0 = Date.now();
    await assert.rejects(dl('notes.txt'), (e: Error) => e instanceof HubHttpError && /more than the 338 bytes announced for hubtune-test\/tiny-bert\/notes\.txt/.test(e.message));
    assert.ok(Date.now() - t0 < 5000);
    const blobs = join(cacheDir, 'models--hubtune-test--tiny-bert', 'blobs');
    for (const f of readdirSync(blobs)) assert.ok(lstatSync(join(blobs, f)).size <= 338, f);
  });

  test('an endless LFS body from the CDN fails the same way', async () => {
    server.failNext({ match: 'GET /lfs/', server: 'cdn', hostile: { endless: true }, times: 10 });
    await assert.rejects(dl('model.safetensors'), (e: Error) => e instanceof HubHttpError && /more than the \d+ bytes announced/.test(e.message));
  });

  test('a tree listing announcing a small size for a larger file: capped at the tree size', async () => {
    server.failNext({ match: /GET \/api\/models\/.*\/tree/, hostile: { size: 10 }, times: 10 });
    await assert.rejects(snap(), (e: Error) => e instanceof HubHttpError && /announced/.test(e.message));
  });

  test('an endless API answer is capped (HUBTUNE_HUB_MAX_API_BYTES) with a one-line error', async () => {
    process.env.HUBTUNE_HUB_MAX_API_BYTES = '1000000';
    try {
      server.failNext({ match: /GET \/api\/models\//, hostile: { endless: true }, times: 10 });
      await assert.rejects(snap(), (e: Error) => e instanceof HubHttpError && /exceeds 1000000 bytes/.test(e.message) && !e.message.includes('\n'));
    } finally {
      delete process.env.HUBTUNE_HUB_MAX_API_BYTES;
    }
  });

  test('a server that never answers: HEAD, GET and API calls give up after their timeouts', () => withShortTimeouts(async () => {
    server.failNext({ match: 'HEAD /', hostile: { stall: 'headers' }, times: 10 });
    await assert.rejects(dl('config.json'), (e: Error) => e instanceof HubHttpError && /no answer within 0\.5 s \(HF_HUB_ETAG_TIMEOUT\)/.test(e.message));
    server.reset();
    server.failNext({ match: 'GET /', hostile: { stall: 'headers' }, times: 10 });
    await assert.rejects(dl('config.json'), (e: Error) => e instanceof HubError && /HF_HUB_DOWNLOAD_TIMEOUT|kept failing/.test(e.message));
    server.reset();
    server.failNext({ match: /GET \/api\//, hostile: { stall: 'headers' }, times: 10 });
    await assert.rejects(snap(), (e: Error) => e instanceof HubHttpError && /no answer within/.test(e.message));
  }));

  test('a body that stops half-way: file downloads retry then fail; API answers fail with HF_HUB_DOWNLOAD_TIMEOUT', () => withShortTimeouts(async () => {
    server.failNext({ match: 'GET /', hostile: { stall: 'body' }, times: 10 });
    await assert.rejects(dl('notes.txt'), (e: Error) => e instanceof HubHttpError && /kept failing .* run again to resume/.test(e.message));
    server.reset();
    server.failNext({ match: /GET \/api\/models\/.*\/tree/, hostile: { stall: 'body' }, times: 10 });
    await assert.rejects(snap(), (e: Error) => e instanceof HubHttpError && /sent no data for 0\.5 s .*HF_HUB_DOWNLOAD_TIMEOUT/.test(e.message));
  }));
});

describe('secrets: server text is scrubbed before it is shown', () => {
  test('an echoed Authorization header never reaches an error message', async () => {
    for (const status of [403, 500, 400]) {
      server.failNext({ match: 'HEAD /', hostile: { echoAuthorization: status }, times: 10 });
      await assert.rejects(dl('config.json', { token: READ_TOKEN }), (e: Error) => {
        assert.ok(e instanceof HubError, String(e));
        assert.ok(!e.message.includes(READ_TOKEN), e.message);
        assert.ok(!e.message.includes('test_read'), e.message);
        return true;
      });
      server.reset();
    }
    server.failNext({ match: /GET \/api\//, hostile: { echoAuthorization: 403 }, times: 10 });
    await assert.rejects(snap({ token: READ_TOKEN }), (e: Error) => !e.message.includes(READ_TOKEN));
  });

  test('nor the CLI output', async () => {
    server.failNext({ match: 'HEAD /', hostile: { echoAuthorization: 403 }, times: 10 });
    const r = await cli(['download', REPO, 'config.json'], { HF_TOKEN: READ_TOKEN });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /forbidden \(403\)/);
    assert.ok(!r.stderr.includes(READ_TOKEN) && !r.stdout.includes(READ_TOKEN), r.stderr);
  });

  test('redactSecrets removes known tokens, token-shaped words, Bearer values and control characters', () => {
    const out = redactSecrets('Authorization: Bearer abc.def hf_AbCdEf123456 api_org_zzzzzzzz my-secret-tok \u001b[2J', ['my-secret-tok']);
    assert.equal(out, 'Authorization: Bearer *** *** *** ***  [2J');
  });
});

test('the hostile mode serves well-formed answers when no fault is queued (control)', async () => {
  const p = await dl('model.safetensors');
  assert.equal(readlinkSync(p), `../../blobs/${sha256(files['model.safetensors'] as Buffer)}`);
  const folder = await snap();
  assert.ok(readdirSync(folder).includes('notes.txt'));
});
