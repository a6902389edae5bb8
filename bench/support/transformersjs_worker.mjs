// transformers.js side of bench/inference.ts (plain node, no tsx): the ONNX files that
// inference_worker.py exported from the very weights hubtune saved, run by ONNX Runtime through
// @huggingface/transformers, installed for the bench only (argv[2]: its node_modules folder).
// One JSON request per stdin line, one JSON answer per line, like the other workers:
//   {"op": "warm"|undefined, "model": "vit"|"roberta", "variant": "fp32"|"q8", "batch", "mode": "forward"|"pipeline", "dir", "seq", "images": [paths], "texts": [...]}
import { createInterface } from 'node:readline';
import { performance } from 'node:perf_hooks';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const tjs = await import(pathToFileURL(join(process.argv[2], '@huggingface/transformers/dist/transformers.node.mjs')).href);
const { AutoModelForImageClassification, AutoModelForSequenceClassification, pipeline, Tensor, env } = tjs;
env.allowRemoteModels = false;
env.allowLocalModels = true;

const models = new Map();
const pipes = new Map();
async function modelFor(r) {
  const key = `${r.model}/${r.variant}`;
  if (!models.has(key)) {
    const Auto = r.model === 'vit' ? AutoModelForImageClassification : AutoModelForSequenceClassification;
    models.set(key, await Auto.from_pretrained(r.dir, { dtype: r.variant, local_files_only: true }));
  }
  return models.get(key);
}

async function run(r) {
  if (r.mode === 'forward') {
    const model = await modelFor(r);
    let feeds;
    if (r.model === 'vit') {
      const n = r.batch * 3 * 224 * 224;
      const px = new Float32Array(n);
      for (let i = 0; i < n; i++) px[i] = Math.sin(i * 0.37) * 1.5; // fixed values; speed does not depend on them
      feeds = { pixel_values: new Tensor('float32', px, [r.batch, 3, 224, 224]) };
    } else {
      const ids = new BigInt64Array(r.batch * r.seq);
      for (let b = 0; b < r.batch; b++) for (let j = 0; j < r.seq; j++) ids[b * r.seq + j] = BigInt(3 + ((b * 131 + j * 17) % 900));
      feeds = { input_ids: new Tensor('int64', ids, [r.batch, r.seq]), attention_mask: new Tensor('int64', new BigInt64Array(r.batch * r.seq).fill(1n), [r.batch, r.seq]) };
    }
    const t0 = performance.now();
    const out = await model(feeds);
    Array.from(out.logits.data);
    return performance.now() - t0;
  }
  const key = `${r.model}/${r.variant}`;
  if (!pipes.has(key)) pipes.set(key, await pipeline(r.model === 'vit' ? 'image-classification' : 'text-classification', r.dir, { dtype: r.variant, local_files_only: true }));
  const pipe = pipes.get(key);
  const inputs = r.model === 'vit' ? r.images.slice(0, r.batch) : r.texts.slice(0, r.batch);
  const t0 = performance.now();
  await pipe(inputs);
  return performance.now() - t0;
}

for await (const line of createInterface({ input: process.stdin })) {
  const r = JSON.parse(line);
  try {
    const ms = await run(r);
    process.stdout.write(`${JSON.stringify(r.op === 'warm' ? { ok: true } : { ms })}\n`);
  } catch (e) {
    process.stdout.write(`${JSON.stringify({ error: String(e?.message ?? e).split('\n')[0] })}\n`);
  }
}
