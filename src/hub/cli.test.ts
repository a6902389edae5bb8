// `hubtune download|login|whoami|logout` as subprocesses against the local Hub.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHubServer, READ_TOKEN, type HubServer } from '../../test/support/hub-server';
import { MODEL_REPO, BEANS_REPO, addFixtureRepos } from '../../test/support/hub-fixtures';
import { REPO_ROOT } from '../../test/support/shared';

let server: HubServer;
let home: string;
let shas: { model: string; beans: string; glue: string };

function run(args: string[], input?: string, extraEnv: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const env: Record<string, string> = { ...(process.env as Record<string, string>), HF_ENDPOINT: server.url, HF_HOME: home, HUBTUNE_HUB_RETRY_BASE_MS: '5', ...extraEnv };
  delete env.HF_TOKEN;
  delete env.HF_HUB_CACHE;
  delete env.HF_HUB_OFFLINE;
  Object.assign(env, extraEnv);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(REPO_ROOT, 'bin/hubtune.mjs'), ...args], { env, cwd: REPO_ROOT });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.stdin.end(input ?? '');
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

before(async () => {
  server = await startHubServer();
  shas = await addFixtureRepos(server);
  home = mkdtempSync(join(tmpdir(), 'hubtune-cli-'));
});
after(() => server.close());

describe('hubtune hub commands', () => {
  test('download prints the file path or the snapshot folder; offline it works from the cache', async () => {
    const one = await run(['download', MODEL_REPO, 'config.json']);
    assert.equal(one.code, 0, one.stderr);
    assert.equal(one.stdout.trim(), join(home, 'hub', 'models--hubtune-test--tiny-bert', 'snapshots', shas.model, 'config.json'));
    assert.equal(one.stderr, '', 'quiet off a TTY');
    const all = await run(['download', BEANS_REPO, '--repo-type', 'dataset', '--include', 'data/*', '--exclude', '*test*']);
    assert.equal(all.code, 0, all.stderr);
    const folder = all.stdout.trim();
    assert.equal(folder, join(home, 'hub', 'datasets--hubtune-test--beans', 'snapshots', shas.beans));
    assert.ok(existsSync(join(folder, 'data', 'train-00000-of-00001.parquet')));
    assert.ok(!existsSync(join(folder, 'data', 'test-00000-of-00001.parquet')));
    const off = await run(['download', MODEL_REPO, 'config.json'], undefined, { HF_HUB_OFFLINE: '1', HF_ENDPOINT: 'http://127.0.0.1:9' });
    assert.equal(off.stdout.trim(), one.stdout.trim());
    const miss = await run(['download', MODEL_REPO, 'vocab.txt'], undefined, { HF_HUB_OFFLINE: '1' });
    assert.equal(miss.code, 1);
    assert.equal(miss.stderr.trim(), 'error: offline and not in the cache: hubtune-test/tiny-bert/vocab.txt: unset HF_HUB_OFFLINE and download it first');
    const bad = await run(['download', 'hubtune-test/nothing', 'config.json']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^error: repository not found: hubtune-test\/nothing/);
  });

  test('login from stdin, whoami, logout; the token is never printed', async () => {
    const li = await run(['login'], `${READ_TOKEN}\n`);
    assert.equal(li.code, 0, li.stderr);
    assert.match(li.stdout, /Logged in as reader/);
    assert.ok(!(li.stdout + li.stderr).includes(READ_TOKEN));
    assert.equal(readFileSync(join(home, 'token'), 'utf8'), READ_TOKEN);
    assert.equal(statSync(join(home, 'token')).mode & 0o777, 0o600);
    const who = await run(['whoami']);
    assert.equal(who.stdout.split('\n')[0], 'reader');
    const lo = await run(['logout']);
    assert.match(lo.stdout, /Logged out/);
    assert.ok(!existsSync(join(home, 'token')));
    const help = await run(['download', '--help']);
    assert.match(help.stdout, /Examples:/);
  });
});
