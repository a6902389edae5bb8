import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHubServer, READ_TOKEN, type HubServer } from '../../test/support/hub-server';
import { GatedRepoError, getToken, hubEndpoint, isOffline, login, logout, whoami } from './index';
import { hubCacheDir, tokenPath } from './env';

let server: HubServer;
let home: string;
before(async () => {
  server = await startHubServer({ tokens: { [READ_TOKEN]: { name: 'reader', role: 'read' }, 'api_org_legacy123': { name: 'org-bot', role: 'read' } } });
  home = mkdtempSync(join(tmpdir(), 'hubtune-home-'));
  process.env.HF_HOME = home;
  delete process.env.HF_TOKEN;
  delete process.env.HF_TOKEN_PATH;
  delete process.env.HF_HUB_CACHE;
  delete process.env.HUGGING_FACE_HUB_TOKEN;
});
after(() => server.close());

describe('environment like huggingface_hub', () => {
  test('HF_HOME, HF_HUB_CACHE, HF_ENDPOINT, HF_HUB_OFFLINE', () => {
    assert.equal(hubCacheDir(), join(home, 'hub'));
    assert.equal(tokenPath(), join(home, 'token'));
    process.env.HF_HUB_CACHE = '/x/cache';
    assert.equal(hubCacheDir(), '/x/cache');
    delete process.env.HF_HUB_CACHE;
    process.env.HF_ENDPOINT = 'http://127.0.0.1:1234/';
    assert.equal(hubEndpoint(), 'http://127.0.0.1:1234');
    delete process.env.HF_ENDPOINT;
    assert.equal(hubEndpoint(), 'https://huggingface.co');
    for (const v of ['1', 'true', 'YES', 'on']) {
      process.env.HF_HUB_OFFLINE = v;
      assert.equal(isOffline(), true, v);
    }
    process.env.HF_HUB_OFFLINE = '0';
    assert.equal(isOffline(), false);
    delete process.env.HF_HUB_OFFLINE;
  });
});

describe('login, whoami, logout', () => {
  test('login checks the token, stores it in $HF_HOME/token with mode 0600; getToken reads it', async () => {
    const logs: unknown[] = [];
    const orig = { log: console.log, debug: console.debug, error: console.error, warn: console.warn };
    for (const k of ['log', 'debug', 'error', 'warn'] as const) console[k] = (...a: unknown[]) => logs.push(a);
    try {
      const who = await login({ token: `${READ_TOKEN}\n`, endpoint: server.url });
      assert.equal(who?.name, 'reader');
    } finally {
      Object.assign(console, orig);
    }
    assert.equal(JSON.stringify(logs).includes(READ_TOKEN), false, 'token never printed');
    const p = join(home, 'token');
    assert.equal(readFileSync(p, 'utf8'), READ_TOKEN);
    assert.equal(statSync(p).mode & 0o777, 0o600);
    assert.equal(getToken(), READ_TOKEN);
    assert.equal((await whoami({ endpoint: server.url })).name, 'reader');
    process.env.HF_TOKEN = 'api_org_legacy123'; // not hf_-prefixed: still works, env wins over the file
    try {
      assert.equal(getToken(), 'api_org_legacy123');
      assert.equal((await whoami({ endpoint: server.url })).name, 'org-bot');
    } finally {
      delete process.env.HF_TOKEN;
    }
    assert.equal(logout(), true);
    assert.equal(existsSync(p), false);
    assert.equal(logout(), false);
    assert.equal(getToken(), undefined);
  });

  test('a refused token is not stored; whoami without a token says to log in', async () => {
    await assert.rejects(login({ token: 'hf_wrong', endpoint: server.url }), (e: Error) => e instanceof GatedRepoError && /hubtune login/.test(e.message) && !e.message.includes('hf_wrong'));
    assert.equal(existsSync(join(home, 'token')), false);
    await assert.rejects(whoami({ endpoint: server.url }), /not logged in: run `hubtune login`/);
  });

  test('a token file written by Python (with a trailing newline) is read', () => {
    writeFileSync(join(home, 'token'), `${READ_TOKEN}\n`);
    assert.equal(getToken(), READ_TOKEN);
    logout();
  });
});
