// `hubtune serve` against hostile requests and broken folders: no file outside the served roots can be
// read (`..`, %2e%2e, %2f, double encoding, backslashes, links out of a model folder), request bodies
// are capped (413, one-line JSON, the server stays up), and a broken model folder (bad config.json,
// truncated safetensors, bad YAML) is reported naming the file while the other models keep serving.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fixtures } from '../pipelines/fixtures';
import { serve, type RunningServer } from '../../src/serve/server';

const root = mkdtempSync(join(tmpdir(), 'hubtune-serve-security-'));
const SECRET = 'TOP-SECRET-7f3a9c';
let server: RunningServer | null = null;
after(async () => {
  await server?.close();
  rmSync(root, { recursive: true, force: true });
});

async function start(): Promise<RunningServer> {
  if (server) return server;
  const fx = await fixtures();
  writeFileSync(join(root, 'secret.txt'), SECRET);
  const models = join(root, 'served', 'models');
  mkdirSync(models, { recursive: true });
  writeFileSync(join(root, 'served', 'secret.txt'), SECRET);
  const vit = join(models, 'vit');
  cpSync(fx.vit, vit, { recursive: true });
  symlinkSync('/etc/passwd', join(vit, 'passwd'));
  symlinkSync(join(root, 'secret.txt'), join(vit, 'secret.txt'));
  symlinkSync('../../secret.txt', join(vit, 'relative-secret.txt'));
  symlinkSync('/etc', join(vit, 'etc'));
  symlinkSync(root, join(vit, 'up'));
  symlinkSync('config.json', join(vit, 'inner-link.json'));
  writeFileSync(join(vit, 'evil.html'), '<script>alert(1)</script>');
  writeFileSync(join(vit, 'evil.svg'), '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>');
  writeFileSync(join(vit, 'README.md'), '---\ntags: [vision]\n---\n# vit\n\n![sample](sample.png) ![p](passwd) [secret](../../secret.txt)\n');
  writeFileSync(join(vit, 'sample.png'), readFileSync(fx.imageFiles[0]!));
  // broken folders
  mkdirSync(join(models, 'bad-config'));
  writeFileSync(join(models, 'bad-config', 'config.json'), '{"model_type": "vit", ');
  cpSync(fx.vit, join(models, 'truncated'), { recursive: true });
  const weights = join(models, 'truncated', 'model.safetensors');
  truncateSync(weights, Math.floor(statSync(weights).size / 2));
  cpSync(fx.vit, join(models, 'bad-yaml'), { recursive: true });
  writeFileSync(join(models, 'bad-yaml', 'README.md'), '---\ntags: [unclosed\n  - x: : y\n---\n# still a card\n');
  // links out of the folder that a pipeline would read: never followed
  mkdirSync(join(models, 'linked-config'));
  symlinkSync('/etc/passwd', join(models, 'linked-config', 'config.json'));
  cpSync(fx.vit, join(models, 'linked-weights'), { recursive: true });
  writeFileSync(join(root, 'secret.json'), JSON.stringify({ secret: SECRET }));
  rmSync(join(models, 'linked-weights', 'preprocessor_config.json'));
  symlinkSync(join(root, 'secret.json'), join(models, 'linked-weights', 'preprocessor_config.json'));
  // datasets with links out of the served folders
  const data = join(root, 'served', 'data');
  mkdirSync(join(data, 'leaky'), { recursive: true });
  writeFileSync(join(root, 'secret.csv'), `text,label\n${SECRET},1\n`);
  symlinkSync(join(root, 'secret.csv'), join(data, 'leaky', 'train.csv'));
  symlinkSync('/etc/passwd', join(data, 'passwd.csv'));
  mkdirSync(join(data, 'fine'));
  writeFileSync(join(data, 'fine', 'train.csv'), 'text,label\nhello,1\n');
  symlinkSync('train.csv', join(data, 'fine', 'test.csv'));
  // a Hub cache repo: snapshot files link to the repo's blobs (served) or out of the cache (not)
  const repo = join(root, 'hub', 'models--org--cached');
  const commit = 'a'.repeat(40);
  mkdirSync(join(repo, 'blobs'), { recursive: true });
  mkdirSync(join(repo, 'refs'));
  mkdirSync(join(repo, 'snapshots', commit), { recursive: true });
  writeFileSync(join(repo, 'refs', 'main'), commit);
  for (const f of ['config.json', 'model.safetensors', 'preprocessor_config.json']) {
    cpSync(join(fx.vit, f), join(repo, 'blobs', `blob-${f}`));
    symlinkSync(`../../blobs/blob-${f}`, join(repo, 'snapshots', commit, f));
  }
  symlinkSync(join(root, 'secret.txt'), join(repo, 'snapshots', commit, 'outside.txt'));
  server = await serve({ paths: [models, join(root, 'served', 'data')], port: 0, hubCache: join(root, 'hub'), maxBodyBytes: 1024 * 1024 });
  return server;
}

/** A request with the path sent exactly as written (fetch would normalise `..` first). */
function raw(path: string, o: { method?: string; body?: Buffer | Readable; headers?: Record<string, string> } = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  const url = new URL(server!.url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, path, method: o.method ?? 'GET', headers: o.headers }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(parts).toString('utf8') }));
    });
    req.on('error', reject);
    if (o.body instanceof Readable) o.body.pipe(req);
    else req.end(o.body);
  });
}

test('no file outside the served roots: .., %2e%2e, %2f, double encoding, backslashes, NUL, links out of the folder', async () => {
  await start();
  const attempts = [
    '/models/vit/resolve/main/../../secret.txt', '/models/vit/resolve/main/../../../secret.txt',
    '/models/vit/resolve/main/%2e%2e/%2e%2e/secret.txt', '/models/vit/resolve/main/%2E%2E/%2E%2E/%2E%2E/secret.txt',
    '/models/vit/resolve/main/..%2f..%2fsecret.txt', '/models/vit/resolve/main/%2e%2e%2f%2e%2e%2f%2e%2e%2fsecret.txt',
    '/models/vit/resolve/main/%252e%252e%252f%252e%252e%252fsecret.txt', '/models/vit/resolve/main/..%252f..%252fsecret.txt',
    '/models/vit/resolve/main/..\\..\\secret.txt', '/models/vit/resolve/main/..%5c..%5csecret.txt',
    '/models/vit/resolve/main//etc/passwd', '/models/vit/resolve/main/%2fetc%2fpasswd', '/models/vit/resolve/main/config.json%00/../../secret.txt',
    '/models/vit/resolve/main/passwd', '/models/vit/resolve/main/secret.txt', '/models/vit/resolve/main/relative-secret.txt',
    '/models/vit/resolve/main/etc/passwd', '/models/vit/resolve/main/up/secret.txt', '/models/vit/resolve/main/up/served/secret.txt',
    '/models/vit/resolve/main/', '/models/vit/resolve/main/.', '/models/org/cached/resolve/main/outside.txt',
    '/models/org/cached/resolve/main/../../../secret.txt', '/models/org/cached/resolve/main/..%2f..%2f..%2fblobs%2fblob-config.json',
    '/models/..%2f..%2fsecret.txt', '/models/%2e%2e/%2e%2e/secret.txt', '/api/models/..%2f..%2fsecret.txt', '/api/models/../secret.txt',
    '/dash-assets/../../package.json', '/dash-assets/..%2f..%2fpackage.json', '/dash-assets/%2e%2e%2f%2e%2e%2fpackage.json', '/dash-assets/dash.css/../../../package.json',
    '/datasets/..%2f..%2fsecret', '/api/datasets/..%2f..%2fsecret.txt', '/api/runs/..%2f..%2fsecret.txt', '/%2e%2e/%2e%2e/%2e%2e/etc/passwd', '/../../etc/passwd', '/secret.txt',
  ];
  for (const path of attempts) {
    const r = await raw(path);
    assert.ok(!r.body.includes(SECRET) && !/root:.*:0:0:/.test(r.body) && !r.body.includes('"name": "hubtune"'), `${path} leaked a file: ${r.status} ${r.body.slice(0, 120)}`);
    assert.ok(r.status === 404 || r.status === 400 || r.status === 405 || (r.status === 200 && /text\/html/.test(String(r.headers['content-type']))), `${path}: ${r.status} ${r.body.slice(0, 120)}`);
    if (/json/.test(String(r.headers['content-type']))) assert.doesNotMatch(r.body, /\n/, `${path}: one-line JSON error`);
  }
  // what is in the folder is served; links inside it too; links out are neither listed nor served
  const cfg = await raw('/models/vit/resolve/main/config.json');
  assert.equal(cfg.status, 200);
  assert.equal(cfg.body, readFileSync(join(root, 'served', 'models', 'vit', 'config.json'), 'utf8'));
  assert.equal((await raw('/models/vit/resolve/main/inner-link.json')).body, cfg.body);
  const info = JSON.parse((await raw('/api/models/vit')).body) as { files: { path: string; size: number }[]; skipped: string[]; card: { html: string } };
  const names = info.files.map((f) => f.path);
  for (const n of ['config.json', 'model.safetensors', 'inner-link.json', 'README.md', 'sample.png']) assert.ok(names.includes(n), n);
  for (const n of ['passwd', 'secret.txt', 'relative-secret.txt', 'etc', 'up']) assert.ok(!names.some((x) => x === n || x.startsWith(`${n}/`)), `${n} listed`);
  assert.deepEqual(info.skipped.sort(), ['etc', 'passwd', 'relative-secret.txt', 'secret.txt', 'up']);
  assert.equal(info.files.find((f) => f.path === 'model.safetensors')!.size, statSync(join(root, 'served', 'models', 'vit', 'model.safetensors')).size);
  // the card's image points at the served file; links to files that are not served stay inert
  assert.match(info.card.html, /<img src="\/models\/vit\/resolve\/main\/sample\.png" alt="sample"/);
  assert.doesNotMatch(info.card.html, /src="[^"]*passwd/);
  const png = await raw('/models/vit/resolve/main/sample.png');
  assert.equal(png.headers['content-type'], 'image/png');
  // what a browser could run comes as a download in a sandbox
  for (const f of ['evil.html', 'evil.svg']) {
    const r = await raw(`/models/vit/resolve/main/${f}`);
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'application/octet-stream');
    assert.match(String(r.headers['content-disposition']), /^attachment/);
    assert.match(String(r.headers['content-security-policy']), /sandbox/);
  }
  // the Hub cache: snapshot links into the repo's blobs are files of the model; a link out of the cache is not
  const cached = JSON.parse((await raw('/api/models/org/cached')).body) as { files: { path: string }[]; skipped: string[] };
  assert.deepEqual(cached.files.map((f) => f.path), ['config.json', 'model.safetensors', 'preprocessor_config.json']);
  assert.deepEqual(cached.skipped, ['outside.txt']);
  assert.equal((await raw('/models/org/cached/resolve/main/config.json')).status, 200);
  // pages carry a strict content security policy
  const page = await raw('/models/vit');
  assert.equal(page.status, 200);
  assert.match(String(page.headers['content-security-policy']), /script-src 'self';/);
});

test('request bodies are capped: 413 with a one-line JSON error, declared or streamed, and the server stays up', async () => {
  const s = await start();
  const big = Buffer.alloc(2 * 1024 * 1024, 7);
  // declared length
  let r = await raw('/models/vit', { method: 'POST', body: big, headers: { 'content-type': 'image/png', 'content-length': String(big.length) } });
  assert.equal(r.status, 413);
  assert.match(JSON.parse(r.body).error, /^request body of 2097152 bytes is over the limit of 1048576 bytes: send less, or start hubtune serve with a larger --max-body-mb$/);
  assert.doesNotMatch(r.body, /\n/);
  // no declared length (chunked): counted as it comes
  r = await raw('/models/vit', { method: 'POST', body: Readable.from((function* () { for (let i = 0; i < 32; i++) yield Buffer.alloc(64 * 1024, i); })()), headers: { 'content-type': 'image/png' } });
  assert.equal(r.status, 413);
  assert.match(JSON.parse(r.body).error, /over the limit of 1048576 bytes/);
  // JSON bodies too, on every model route
  r = await raw('/models/vit/pipeline/image-classification', { method: 'POST', body: Buffer.from(JSON.stringify({ inputs: 'A'.repeat(1.5 * 1024 * 1024) })), headers: { 'content-type': 'application/json' } });
  assert.equal(r.status, 413);
  // still serving: an image just under the cap is classified
  const fx = await fixtures();
  const ok = await fetch(`${s.url}/models/vit`, { method: 'POST', headers: { 'content-type': 'image/png' }, body: readFileSync(fx.imageFiles[0]!) });
  assert.equal(ok.status, 200);
  assert.ok(((await ok.json()) as { label: string }[]).length >= 1);
});

test('a broken model folder: errors name the file, the page still opens, the others keep serving', async () => {
  const s = await start();
  const fx = await fixtures();
  const info = async (id: string) => (await (await fetch(`${s.url}/api/models/${id}`)).json()) as { errors: string[]; task: string | null; config: { parameters: number | null } | null; card: { html: string } | null };
  const bad = await info('bad-config');
  assert.equal(bad.task, null);
  assert.equal(bad.errors.length, 1);
  assert.match(bad.errors[0]!, /^config\.json: cannot be read: /);
  const truncated = await info('truncated');
  assert.equal(truncated.task, 'image-classification');
  assert.equal(truncated.config!.parameters, null);
  assert.match(truncated.errors.join('|'), /^model\.safetensors: /);
  const yaml = await info('bad-yaml');
  assert.match(yaml.errors.join('|'), /^README\.md: the YAML front matter does not parse/);
  assert.match(yaml.card!.html, /<h1 id="still-a-card">still a card<\/h1>/);
  // the pages open (the page shows the errors)
  for (const id of ['bad-config', 'truncated', 'bad-yaml']) assert.equal((await fetch(`${s.url}/models/${id}`)).status, 200);
  // inference on them: a JSON error naming the file, never a crash
  const image = readFileSync(fx.imageFiles[0]!);
  for (const [id, file] of [['bad-config', 'config.json'], ['truncated', 'model.safetensors']] as const) {
    const r = await fetch(`${s.url}/models/${id}`, { method: 'POST', headers: { 'content-type': 'image/png' }, body: image });
    assert.ok(r.status >= 400, `${id}: ${r.status}`);
    const body = await r.text();
    assert.doesNotMatch(body, /\n/);
    assert.match(JSON.parse(body).error, new RegExp(file.replace('.', '\\.')), `${id}: ${body}`);
  }
  // the listing still has every model, and the good one answers
  const list = (await (await fetch(`${s.url}/api/models`)).json()) as { id: string }[];
  assert.deepEqual(list.map((m) => m.id).sort(), ['bad-config', 'bad-yaml', 'linked-config', 'linked-weights', 'org/cached', 'truncated', 'vit']);
  const ok = await fetch(`${s.url}/models/vit`, { method: 'POST', headers: { 'content-type': 'image/png' }, body: image });
  assert.equal(ok.status, 200);
});

test('links out of a model or dataset folder are never read through: not by the model page, the Inference API or the dataset viewer', async () => {
  const s = await start();
  const fx = await fixtures();
  const leaks = (body: string) => body.includes(SECRET) || /root:.*:0:0:|root:x/.test(body);
  for (const id of ['linked-config', 'linked-weights']) {
    const info = await (await fetch(`${s.url}/api/models/${id}`)).text();
    assert.ok(!leaks(info), `${id}: ${info.slice(0, 200)}`);
    const file = id === 'linked-config' ? 'config.json' : 'preprocessor_config.json';
    assert.ok((JSON.parse(info) as { errors: string[] }).errors.includes(`${file}: a link out of the model folder: not read and not served (replace the link by the file)`), info);
    const r = await fetch(`${s.url}/models/${id}`, { method: 'POST', headers: { 'content-type': 'image/png' }, body: readFileSync(fx.imageFiles[0]!) });
    const body = await r.text();
    assert.equal(r.status, 403, body);
    assert.ok(!leaks(body), body);
    assert.equal(JSON.parse(body).error, `${id}: ${file} is a link out of the model folder, which hubtune serve does not follow: replace the link by the file`);
  }
  assert.equal(((await (await fetch(`${s.url}/api/models`)).json()) as { id: string; pipeline_tag: string | null }[]).find((m) => m.id === 'linked-config')!.pipeline_tag, null);
  // datasets: a folder whose data file links out, a data file that is a link out; a link inside a folder is fine
  for (const [id, name] of [['leaky', 'train.csv'], ['passwd', 'passwd.csv']]) {
    for (const path of [`/api/datasets/${id}`, `/api/datasets/${id}/rows?offset=0&length=10`, `/api/datasets/${id}/distribution`]) {
      const r = await fetch(`${s.url}${path}`);
      const body = await r.text();
      assert.equal(r.status, 403, `${path}: ${body}`);
      assert.ok(!leaks(body), body);
      assert.match(JSON.parse(body).error, new RegExp(`^Dataset ${id}: ${name.replace('.', '\\.')} is a link out of the served folders`));
    }
  }
  const fine = (await (await fetch(`${s.url}/api/datasets/fine/rows?split=train`)).json()) as { rows: { row: { text: string } }[] };
  assert.deepEqual(fine.rows.map((r) => r.row.text), ['hello']);
});
