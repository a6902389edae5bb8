// generate()'s cached decoding steps of a small bf16/fp16 model run on 1 intra-op thread (their
// matrix products are too small to share, see threadsForSmallProducts); the prompt's forward, fp32
// models, large layers and a user's own thread choice keep the pool as it was, and it is restored
// afterwards. Each case runs in a fresh process: the thread choice is process-wide.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';

const script = `
import { getNumThreads, setNumThreads } from './src/torch/index.ts';
import { LlamaForCausalLM } from './src/models/index.ts';
const seen = (dtype, hidden = 16, inter = 32) => {
  const m = LlamaForCausalLM.fromConfig({ vocab_size: 40, hidden_size: hidden, intermediate_size: inter, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, max_position_embeddings: 64 }).eval();
  if (dtype !== 'float32') m.to(dtype);
  const threads = [];
  const spy = { process: (_ids, scores) => { threads.push(getNumThreads().intraOp); return scores; } };
  return m.generate({ inputIds: [[3, 4, 5, 6]], maxNewTokens: 4, doSample: false, eosTokenId: null, padTokenId: 0, logitsProcessor: [spy] }).then(() => threads);
};
const out = { before: getNumThreads().intraOp };
out.bf16 = await seen('bfloat16');
out.after = getNumThreads().intraOp;
out.fp16 = await seen('float16');
out.fp32 = await seen('float32');
out.large = await seen('bfloat16', 1024, 8192);
if (process.env.CHOOSE) { setNumThreads({ intraOp: 2 }); out.chosen = await seen('bfloat16'); }
console.log(JSON.stringify(out));
`;

// small layers under a head of 64 x 131072 (8.4M multiply-adds a row): the head keeps the pool's
// threads in the cached steps, and its scores are the very bits a 1-thread run gives
const headScript = `
import { getNumThreads, setNumThreads, manualSeed } from './src/torch/index.ts';
import { native } from './src/torch/native.ts';
import { LlamaForCausalLM } from './src/models/index.ts';
manualSeed(0);
const m = LlamaForCausalLM.fromConfig({ vocab_size: 131072, hidden_size: 64, intermediate_size: 128, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, max_position_embeddings: 64 }).eval();
m.to('bfloat16');
const run = async () => {
  const threads = [];
  const spy = { process: (_ids, scores) => { threads.push(getNumThreads().intraOp); return scores; } };
  const calls0 = native.wideProducts().calls;
  const r = await m.generate({ inputIds: [[3, 4, 5, 6]], maxNewTokens: 4, doSample: false, eosTokenId: null, padTokenId: 0, logitsProcessor: [spy], outputScores: true, returnDictInGenerate: true });
  const scores = r.scores.map((s) => Array.from(new Uint32Array(s.toTypedArray().buffer)));
  return { threads, widened: native.wideProducts().calls - calls0, after: native.wideProducts().threads, scores };
};
const pool = await run();
setNumThreads({ intraOp: 1 });
const one = await run();
console.log(JSON.stringify({ pool: { ...pool, scores: undefined }, one: { ...one, scores: undefined }, same: JSON.stringify(pool.scores) === JSON.stringify(one.scores) }));
`;

function run(env: Record<string, string> = {}, code = script): Record<string, any> {
  const clean = { ...process.env };
  for (const k of ['HUBTUNE_NUM_THREADS', 'HUBTUNE_BLAS_THREADS', 'OMP_NUM_THREADS']) delete clean[k];
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { env: { ...clean, ...env }, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

const cores = availableParallelism();
test('cached decoding of a small bf16/fp16 model runs on 1 thread; its prompt, fp32, large layers and a user\'s choice keep the pool', { skip: cores < 2 ? 'one core: there is no second thread to leave out' : false }, () => {
  const o = run({ CHOOSE: '1' });
  assert.equal(o.before, cores);
  assert.deepEqual(o.bf16, [cores, 1, 1, 1], 'the prompt on every core, each cached step on 1');
  assert.equal(o.after, cores, 'the pool is restored');
  assert.deepEqual(o.fp16, [cores, 1, 1, 1]);
  assert.deepEqual(o.fp32, [cores, cores, cores, cores], 'float32 products (oneDNN sgemm) keep the pool');
  assert.deepEqual(o.large, [cores, cores, cores, cores], '1024 x 8192 layers are large enough to share');
  assert.deepEqual(o.chosen, [2, 2, 2, 2], 'setNumThreads() is the user\'s choice');
  const env = run({ HUBTUNE_NUM_THREADS: '2' });
  assert.deepEqual(env.bf16, [2, 2, 2, 2], 'HUBTUNE_NUM_THREADS is the user\'s choice');
});

test('a language-model head too large for one thread keeps the pool in the cached steps, and gives the same scores as one thread', { skip: cores < 2 ? 'one core: there is no second thread to give the head' : false }, () => {
  const o = run({}, headScript);
  assert.deepEqual(o.pool.threads, [cores, 1, 1, 1], 'the layers of each cached step on 1 thread');
  assert.equal(o.pool.widened, 3, 'the head of each of the 3 cached steps ran on the pool');
  assert.equal(o.pool.after, 0, 'the widening ends with generate()');
  assert.equal(o.one.widened, 0, 'a user\'s thread choice holds for the head too');
  assert.deepEqual(o.one.threads, [1, 1, 1, 1]);
  assert.equal(o.same, true, 'the scores are bit for bit those of a 1-thread run');
});
