// `hubtune serve`'s Inference API, called by the real @huggingface/inference client (endpointUrl),
// for each task the tiny fixture models cover; answers compared with the in-process pipeline.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InferenceClient } from '@huggingface/inference';
import { fixtures } from '../../test/pipelines/fixtures';
import { saveTinyGpt2Repo, saveTinyT5Repo } from '../../test/support/generation-repos';
import { pipeline } from '../pipelines/pipeline';
import { serve, type RunningServer } from './server';

const root = mkdtempSync(join(tmpdir(), 'hubtune-serve-'));
let server: RunningServer | null = null;
after(async () => {
  await server?.close();
  rmSync(root, { recursive: true, force: true });
});

async function start(): Promise<RunningServer> {
  if (server) return server;
  const fx = await fixtures();
  const models = join(root, 'models');
  mkdirSync(models);
  for (const [name, dir] of [['vit', fx.vit], ['roberta-cls', fx.robertaCls], ['roberta-mlm', fx.robertaMlm], ['roberta-base', fx.robertaBase]] as const) symlinkSync(dir, join(models, name));
  await saveTinyGpt2Repo(join(models, 'gpt2'));
  await saveTinyT5Repo(join(models, 't5'));
  mkdirSync(join(models, 'broken'));
  writeFileSync(join(models, 'broken', 'config.json'), '{"model_type": "vit", "architectures": ["ViTForImageClassification"]}');
  // An empty cache folder keeps the test independent of the machine's Hub cache.
  server = await serve({ paths: [models], port: 0, hubCache: join(root, 'hub-cache') });
  return server;
}
const client = new InferenceClient();
const endpoint = (id: string) => client.endpoint(`${(server as RunningServer).url}/models/${id}`);

test('GET /api/models lists every served model with its task', async () => {
  const s = await start();
  assert.match(s.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  const list = await (await fetch(`${s.url}/api/models`)).json() as { id: string; pipeline_tag: string }[];
  const tags = Object.fromEntries(list.map((m) => [m.id, m.pipeline_tag]));
  assert.deepEqual(tags, {
    broken: 'image-classification', gpt2: 'text-generation', 'roberta-base': 'feature-extraction', 'roberta-cls': 'text-classification',
    'roberta-mlm': 'fill-mask', t5: 'text2text-generation', vit: 'image-classification',
  });
});

test('text-classification, fill-mask, feature-extraction through the client equal the in-process pipeline', async () => {
  const s = await start();
  const fx = await fixtures();
  const cls = await endpoint('roberta-cls').textClassification({ inputs: 'the cat sat on the mat' });
  const local = await (await pipeline('text-classification', { model: fx.robertaCls }))('the cat sat on the mat', { topK: null });
  assert.deepEqual(cls, local);
  assert.equal(cls.length, 2);

  const mask = await endpoint('roberta-mlm').fillMask({ inputs: 'the cat <mask> on the mat', parameters: { top_k: 3 } });
  assert.equal(mask.length, 3);
  assert.deepEqual(mask, await (await pipeline('fill-mask', { model: fx.robertaMlm }))('the cat <mask> on the mat', { topK: 3 }));

  const feats = await endpoint('roberta-base').featureExtraction({ inputs: 'the cat' });
  assert.deepEqual(feats, await (await pipeline('feature-extraction', { model: fx.robertaBase }))('the cat'));
  // The /pipeline/{task} route picks the task: the classifier's encoder as a feature extractor.
  const viaRoute = await (await fetch(`${s.url}/models/roberta-cls/pipeline/feature-extraction`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ inputs: 'the cat' }) })).json();
  assert.ok(Array.isArray(viaRoute) && Array.isArray(viaRoute[0]));
});

test('image-classification from raw image bytes', async () => {
  await start();
  const fx = await fixtures();
  const bytes = readFileSync(fx.imageFiles[0]!);
  const out = await endpoint('vit').imageClassification({ data: new Blob([bytes]) });
  const local = await (await pipeline('image-classification', { model: fx.vit }))(bytes, { topK: 5 });
  assert.deepEqual(out, local);
  assert.ok(out.length >= 1 && typeof out[0]!.label === 'string');
});

test('text generation (completions route), text2text and summarization', async () => {
  await start();
  const gen = await endpoint('gpt2').textGeneration({ inputs: 'the cat', parameters: { max_new_tokens: 4, do_sample: false } });
  assert.equal(typeof gen.generated_text, 'string');
  const local = await (await pipeline('text-generation', { model: join(root, 'models', 'gpt2') }))('the cat', { maxNewTokens: 4, doSample: false, returnFullText: false });
  assert.equal(gen.generated_text, (local as { generated_text: string }[])[0]!.generated_text);
  const s = server!;
  const t2t = await (await fetch(`${s.url}/models/t5`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ inputs: 'summarize: the cat sat', parameters: { max_new_tokens: 3 } }) })).json() as { generated_text: string }[];
  assert.equal(typeof t2t[0]!.generated_text, 'string');
  const summary = await client.endpoint(`${s.url}/models/t5/pipeline/summarization`).summarization({ inputs: 'the cat sat on the mat', parameters: { max_new_tokens: 3 } as never });
  assert.equal(typeof summary.summary_text, 'string');
});

test('bad requests get a JSON error and the server stays up', async () => {
  const s = await start();
  const post = (path: string, body: string | Buffer, type = 'application/json') => fetch(`${s.url}${path}`, { method: 'POST', headers: { 'content-type': type }, body });
  let r = await post('/models/nope', '{"inputs": "x"}');
  assert.equal(r.status, 404);
  assert.match((await r.json() as { error: string }).error, /nope is not served here/);
  r = await post('/models/roberta-cls', '{"inputs": 3}');
  assert.equal(r.status, 400);
  assert.match((await r.json() as { error: string }).error, /"inputs" must be a string/);
  r = await post('/models/roberta-cls', 'not json{', 'application/json');
  assert.equal(r.status, 400);
  // A path is never read for a client: image inputs are bytes or base64 only.
  r = await post('/models/vit', JSON.stringify({ inputs: '/etc/passwd' }));
  assert.equal(r.status, 400);
  assert.match((await r.json() as { error: string }).error, /Cannot decode image/);
  r = await post('/models/vit', JSON.stringify({ inputs: '../x.png' }));
  assert.equal(r.status, 400);
  assert.match((await r.json() as { error: string }).error, /base64/);
  r = await post('/models/../../etc/passwd', '{"inputs": "x"}');
  assert.equal(r.status, 404);
  r = await post('/models/broken', Buffer.from([1, 2, 3]), 'image/png');
  assert.equal(r.status, 500);
  assert.match((await r.json() as { error: string }).error, /\S/);
  r = await post('/models/vit', Buffer.alloc(17 * 1024 * 1024), 'image/png');
  assert.equal(r.status, 413);
  // still serving
  assert.equal((await endpoint('roberta-cls').textClassification({ inputs: 'still there' })).length, 2);
});

test('concurrent requests to one model are batched, each answered with its own result', async () => {
  await start();
  const fx = await fixtures();
  const texts = Array.from({ length: 16 }, (_, i) => `sentence ${'number '.repeat(i % 5)}${i}`);
  const outs = await Promise.all(texts.map((t) => endpoint('roberta-cls').textClassification({ inputs: t })));
  const pipe = await pipeline('text-classification', { model: fx.robertaCls });
  for (let i = 0; i < texts.length; i++) {
    const local = await pipe(texts[i]!, { topK: null }) as { label: string; score: number }[];
    // A batch pads texts to its longest one, which moves scores in the last bits only.
    assert.deepEqual(outs[i]!.map((x) => x.label), local.map((x) => x.label), texts[i]);
    outs[i]!.forEach((x, k) => assert.ok(Math.abs(x.score - local[k]!.score) < 1e-5, texts[i]));
  }
  // Images, in request order (a batched GEMM rounds differently in the last bits).
  const before = server!.stats();
  const images = [...fx.imageFiles, ...fx.imageFiles, ...fx.imageFiles].map((f) => readFileSync(f));
  const imgOuts = await Promise.all(images.map((b) => endpoint('vit').imageClassification({ data: new Blob([b]) })));
  const vit = await pipeline('image-classification', { model: fx.vit });
  for (let i = 0; i < images.length; i++) {
    const local = await vit(images[i]!, { topK: 5 }) as { label: string; score: number }[];
    assert.deepEqual(imgOuts[i]!.map((x) => x.label), local.map((x) => x.label));
    imgOuts[i]!.forEach((x, k) => assert.ok(Math.abs(x.score - local[k]!.score) < 1e-5));
  }
  const after = server!.stats();
  assert.equal(after.requests - before.requests, images.length);
  assert.ok(after.forwards - before.forwards < images.length, `requests were batched: ${after.forwards - before.forwards} forwards for ${images.length} requests`);
});
