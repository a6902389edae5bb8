// `hubtune search|info|repo create|upload|scan-cache|delete-cache|env|--version` against the test
// Hub: tables for people, --json for scripts, one-line errors; the interactive delete-cache
// selection driven by scripted answers. The commands run in-process (the CLI's own program, output
// captured) to keep the suite fast; --version and an error run as real subprocesses.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHubServer, READ_TOKEN, WRITE_TOKEN, type HubServer } from '../support/hub-server';
import { REPO_ROOT } from '../support/shared';
import { Command } from 'commander';
import { chooseRevisions, parseSelection } from '../../src/cli/cache-select';
import { registerAll } from '../../src/cli/commands/index';
import { redactSecrets } from '../../src/hub/redact';
import { scanCacheDir } from '../../src/hub/scan-cache';

let server: HubServer;
let home: string;

/** The CLI in this process: same commands as bin/hubtune, console output captured, errors as main.ts prints them. */
async function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const saved = { ...process.env };
  Object.assign(process.env, { HF_ENDPOINT: server.url, HF_HOME: home, HUBTUNE_HUB_RETRY_BASE_MS: '5', ...env });
  for (const k of ['HF_TOKEN', 'HF_HUB_CACHE', 'HF_HUB_OFFLINE']) if (!(k in env)) delete process.env[k];
  let stdout = '';
  let stderr = '';
  const log = console.log;
  const error = console.error;
  console.log = (...a: unknown[]) => { stdout += `${a.join(' ')}\n`; };
  console.error = (...a: unknown[]) => { stderr += `${a.join(' ')}\n`; };
  let code = 0;
  try {
    const program = new Command().name('hubtune').exitOverride();
    registerAll(program);
    await program.parseAsync(['node', 'hubtune', ...args]);
  } catch (err) {
    code = 1;
    stderr += `error: ${redactSecrets(String((err as Error)?.message ?? err), [], 2000)}\n`;
  } finally {
    console.log = log;
    console.error = error;
    process.env = saved;
  }
  return { code, stdout, stderr };
}

function spawnCli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const e: Record<string, string> = { ...(process.env as Record<string, string>), HF_ENDPOINT: server.url, HF_HOME: home, HUBTUNE_HUB_RETRY_BASE_MS: '5', ...env };
  for (const k of ['HF_TOKEN', 'HF_HUB_CACHE', 'HF_HUB_OFFLINE']) if (!(k in env)) delete e[k];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(REPO_ROOT, 'bin/hubtune.mjs'), ...args], { env: e, cwd: REPO_ROOT });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.stdin.end('');
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

before(async () => {
  server = await startHubServer({ resolveCache: true });
  home = mkdtempSync(join(tmpdir(), 'hubtune-cli-discovery-'));
  server.addRepo({ id: 'distilbert/distilroberta-base', files: { 'README.md': '---\nlicense: apache-2.0\nlanguage: en\n---\n', 'config.json': '{"model_type":"roberta"}', 'model.safetensors': Buffer.alloc(2048) }, meta: { downloads: 500, likes: 80, pipelineTag: 'fill-mask', libraryName: 'transformers' } });
  server.renameRepo('model', 'distilroberta-base', 'distilbert/distilroberta-base');
  server.addRepo({ id: 'google-bert/bert-base-uncased', files: { 'config.json': '{}' }, meta: { downloads: 9000, likes: 2000, pipelineTag: 'fill-mask', libraryName: 'transformers' } });
  server.addRepo({ type: 'dataset', id: 'AI-Lab-Makerere/beans', files: { 'README.md': '---\nlicense: mit\ntask_categories:\n- image-classification\n---\n' }, meta: { downloads: 4000 } });
  server.renameRepo('dataset', 'beans', 'AI-Lab-Makerere/beans');
});
after(async () => {
  await server.close();
  rmSync(home, { recursive: true, force: true });
});

describe('hubtune discovery and repo commands', () => {
  test('--version prints the package version; errors are one line with exit code 1 (subprocesses)', async () => {
    const r = await spawnCli(['--version']);
    assert.equal(r.code, 0);
    assert.equal(r.stdout.trim(), JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')).version);
    const bad = await spawnCli(['search', 'models', '--limit', '0']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^error: --limit must be a positive integer, not "0"\n$/);
  });

  test('search models: a table by downloads, --json for scripts', async () => {
    const r = await run(['search', 'models', '--task', 'fill-mask']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.match(lines[0], /^ID +TASK +LIBRARY +DOWNLOADS +LIKES +UPDATED$/);
    assert.match(lines[1], /^-+ -+/);
    assert.match(lines[2], /^google-bert\/bert-base-uncased +fill-mask +transformers +9000 +2000 /);
    assert.match(lines[3], /^distilbert\/distilroberta-base /);
    const j = await run(['search', 'models', 'distil', '--json', '--limit', '1']);
    const parsed = JSON.parse(j.stdout);
    assert.equal(parsed.length, 1);
    assert.equal(parsed[0].id, 'distilbert/distilroberta-base');
    assert.equal(parsed[0].pipelineTag, 'fill-mask');
    const d = await run(['search', 'datasets', '--task', 'image-classification']);
    assert.match(d.stdout, /AI-Lab-Makerere\/beans +4000 /);
    const none = await run(['search', 'models', 'zzz-nothing']);
    assert.equal(none.stdout.trim(), 'No models found.');
    const bad = await run(['search', 'models', '--limit', '0']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^error: --limit must be a positive integer, not "0"\n$/);
  });

  test('info: metadata, card data and files with sizes (through a rename); --json', async () => {
    const r = await run(['info', 'distilroberta-base']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^id +distilbert\/distilroberta-base$/m);
    assert.match(r.stdout, /^task +fill-mask$/m);
    assert.match(r.stdout, /^license +apache-2\.0$/m);
    assert.match(r.stdout, /^model\.safetensors +2\.0K +yes$/m);
    const j = JSON.parse((await run(['info', 'beans', '--repo-type', 'dataset', '--json'])).stdout);
    assert.equal(j.id, 'AI-Lab-Makerere/beans');
    assert.deepEqual(j.cardData.task_categories, ['image-classification']);
  });

  test('repo create and upload (file, folder with include), as the token owner', async () => {
    const c = await run(['repo', 'create', 'my-model', '--token', WRITE_TOKEN]);
    assert.equal(c.code, 0, c.stderr);
    assert.equal(c.stdout.trim(), `Your repo now lives at:\n  ${server.url}/writer/my-model`);
    const again = await run(['repo', 'create', 'my-model', '--token', WRITE_TOKEN]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already exists: pass existOk \(--exist-ok\)/);
    const dir = join(home, 'to-upload');
    mkdirSync(join(dir, 'sub'), { recursive: true });
    writeFileSync(join(dir, 'weights.bin'), Buffer.alloc(100, 7));
    writeFileSync(join(dir, 'config.json'), '{}');
    writeFileSync(join(dir, 'sub', 'notes.json'), '[]');
    const f = await run(['upload', 'my-model', join(dir, 'weights.bin'), 'w/weights.bin', '--token', WRITE_TOKEN]);
    assert.equal(f.code, 0, f.stderr);
    assert.equal(f.stdout.trim(), `${server.url}/writer/my-model/blob/main/w/weights.bin`);
    const g = await run(['upload', 'writer/other', dir, '--include', '*.json', '--token', WRITE_TOKEN, '--json']);
    assert.equal(g.code, 0, g.stderr);
    assert.match(JSON.parse(g.stdout).commitOid, /^[0-9a-f]{40}$/);
    assert.deepEqual(server.commits.at(-1)?.added.sort(), ['config.json', 'sub/notes.json']);
    const denied = await run(['upload', 'writer/other', dir, '--token', READ_TOKEN]);
    assert.equal(denied.code, 1);
    assert.ok(!denied.stderr.includes(READ_TOKEN));
  });

  test('scan-cache and delete-cache (flags off a terminal; --dry-run; --yes)', async () => {
    assert.equal((await run(['download', 'distilroberta-base'])).code, 0);
    assert.equal((await run(['download', 'beans', '--repo-type', 'dataset'])).code, 0);
    const s = await run(['scan-cache']);
    assert.equal(s.code, 0, s.stderr);
    assert.match(s.stdout, /^REPO ID +REPO TYPE +SIZE ON DISK +NB FILES +LAST_ACCESSED +LAST_MODIFIED +REFS +LOCAL PATH$/m);
    assert.match(s.stdout, /^beans +dataset +\d+\.\dK? +\d+ .* main .*datasets--beans$/m);
    assert.match(s.stdout, /^distilroberta-base +model +2\.\dK +\d+ /m);
    assert.match(s.stdout, /Scanned 2 repo\(s\) for a total of /);
    const j = JSON.parse((await run(['scan-cache', '-v', '--json'])).stdout);
    assert.equal(j.repos.length, 2);
    const noSel = await run(['delete-cache']);
    assert.equal(noSel.code, 1);
    assert.match(noSel.stderr, /nothing selected: pass --repo <id> or --revision <hash>/);
    const dry = await run(['delete-cache', '--repo', 'distilroberta-base', '--dry-run']);
    assert.match(dry.stdout, /^Would delete 1 revision\(s\) \(1 repo\(s\) entirely\), freeing 2\.\dK\.$/m);
    const noYes = await run(['delete-cache', '--repo', 'distilroberta-base']);
    assert.equal(noYes.code, 1);
    assert.match(noYes.stderr, /add --yes to delete without a terminal/);
    const cache = join(home, 'hub');
    assert.ok(existsSync(join(cache, 'models--distilroberta-base')));
    const yes = await run(['delete-cache', '--repo', 'distilroberta-base', '--yes']);
    assert.equal(yes.code, 0, yes.stderr);
    assert.ok(!existsSync(join(cache, 'models--distilroberta-base')));
    assert.ok(existsSync(join(cache, 'datasets--beans')));
  });

  test('env: versions and settings, never the token; --json', async () => {
    const r = await run(['env'], { HF_TOKEN: READ_TOKEN });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^- hubtune version: \d+\.\d+\.\d+$/m);
    assert.match(r.stdout, /^- Who am I \?: reader$/m);
    assert.match(r.stdout, new RegExp(`^- ENDPOINT: ${server.url.replace(/\./g, '\\.')}$`, 'm'));
    assert.ok(!r.stdout.includes(READ_TOKEN));
    const j = JSON.parse((await run(['env', '--json'])).stdout);
    assert.equal(j.HF_HOME, home);
  });
});

test('delete-cache in a terminal: numbers and ranges toggle, Enter confirms, q cancels', async () => {
  const info = scanCacheDir(join(home, 'hub'));
  const shown: string[] = [];
  const script = (answers: string[]) => async () => answers.shift() ?? '';
  const picked = await chooseRevisions(info, script(['a', 'a', '1', 'x', '']), (t) => shown.push(t));
  assert.deepEqual(picked, [info.repos[0].revisions[0].commitHash]);
  assert.match(shown[0], /^ {2}\[ \] 1 {2}dataset\/beans [0-9a-f]{8} \(main\) /);
  assert.ok(shown.some((t) => t.includes('"x" is not a number or a range like 3-5')));
  assert.deepEqual(await chooseRevisions(info, script(['1', 'q']), () => {}), []);
  assert.deepEqual(parseSelection('1 3-4,2', 5), [0, 2, 3, 1]);
  assert.throws(() => parseSelection('7', 5), /"7" is outside 1-5/);
});
