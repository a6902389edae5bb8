// Streamed text generation from `hubtune serve`: `"stream": true` answers server-sent events, one per
// token, read by the real @huggingface/inference client (textGenerationStream, chatCompletionStream)
// and raw (text-generation-inference's format on POST /models/{id}); the streamed text equals the
// pipeline's, and the events arrive while generation runs, not all at the end.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InferenceClient } from '@huggingface/inference';
import { saveTinyChatLlamaRepo, saveTinyGpt2Repo } from '../../test/support/generation-repos';
import { fixtures } from '../../test/pipelines/fixtures';
import { pipeline } from '../pipelines/pipeline';
import { serve, type RunningServer } from './server';

const root = mkdtempSync(join(tmpdir(), 'hubtune-serve-stream-'));
const models = join(root, 'models');
let server: RunningServer | null = null;
after(async () => {
  await server?.close();
  rmSync(root, { recursive: true, force: true });
});
async function start(): Promise<RunningServer> {
  if (server) return server;
  mkdirSync(models);
  await saveTinyGpt2Repo(join(models, 'gpt2'));
  await saveTinyChatLlamaRepo(join(models, 'chat'));
  const fx = await fixtures();
  const { symlinkSync } = await import('node:fs');
  symlinkSync(fx.robertaCls, join(models, 'cls'));
  server = await serve({ paths: [models], port: 0, hubCache: false });
  return server;
}
const client = new InferenceClient();
const local = async (name: string) => pipeline('text-generation', { model: join(models, name), warn: () => {} });

/** The events of an SSE answer, each with the time it arrived. */
async function events(r: Response): Promise<{ data: string; at: number }[]> {
  assert.match(r.headers.get('content-type') ?? '', /^text\/event-stream/);
  const out: { data: string; at: number }[] = [];
  const reader = r.body!.getReader();
  let buf = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    buf += new TextDecoder().decode(value);
    let k: number;
    while ((k = buf.indexOf('\n\n')) >= 0) {
      const block = buf.slice(0, k);
      buf = buf.slice(k + 2);
      for (const line of block.split('\n')) if (line.startsWith('data: ')) out.push({ data: line.slice(6), at: performance.now() });
    }
  }
  return out;
}

test('POST /models/{id} with "stream": true: one text-generation-inference event per token, the text of the pipeline', async () => {
  const s = await start();
  const r = await fetch(`${s.url}/models/gpt2`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ inputs: 'the cat', parameters: { max_new_tokens: 12, do_sample: false }, stream: true }) });
  const ev = (await events(r)).map((e) => JSON.parse(e.data) as { index: number; token: { id: number; text: string }; generated_text: string | null; details: { generated_tokens: number } | null });
  const want = ((await (await local('gpt2'))('the cat', { maxNewTokens: 12, doSample: false, returnFullText: false })) as { generated_text: string }[])[0]!.generated_text;
  const last = ev.at(-1)!;
  assert.equal(last.generated_text, want);
  assert.equal(ev.slice(0, -1).map((e) => e.token.text).join('') + last.token.text, want);
  assert.equal(last.details!.generated_tokens, ev.length - 1);
  assert.deepEqual(ev.slice(0, -1).map((e) => e.index), Array.from({ length: ev.length - 1 }, (_, i) => i + 1));
  assert.ok(ev.slice(0, -1).every((e) => e.generated_text === null && Number.isInteger(e.token.id)));
});

test('textGenerationStream and chatCompletionStream of @huggingface/inference read the stream', async () => {
  const s = await start();
  const pieces: string[] = [];
  for await (const chunk of client.endpoint(`${s.url}/models/gpt2`).textGenerationStream({ inputs: 'the cat', parameters: { max_new_tokens: 10, do_sample: false } })) {
    pieces.push((chunk as unknown as { choices: { text: string }[] }).choices[0]!.text);
  }
  const want = ((await (await local('gpt2'))('the cat', { maxNewTokens: 10, doSample: false, returnFullText: false })) as { generated_text: string }[])[0]!.generated_text;
  assert.equal(pieces.join(''), want);
  assert.ok(pieces.length >= 10, `one chunk per token: ${pieces.length}`);

  const messages = [{ role: 'user', content: 'hello there' }];
  let content = '';
  let chunks = 0;
  for await (const chunk of client.endpoint(`${s.url}/models/chat`).chatCompletionStream({ messages, max_tokens: 6, temperature: 0 } as never)) {
    content += chunk.choices[0]?.delta?.content ?? '';
    chunks++;
  }
  const mine = await (await local('chat'))(messages, { maxNewTokens: 6, doSample: false }) as { generated_text: { content: string }[] }[];
  assert.equal(content, mine[0]!.generated_text.at(-1)!.content);
  assert.ok(chunks >= 2);
});

test('events arrive while generating; errors before the stream are JSON, streaming another task is refused', async () => {
  const s = await start();
  const r = await fetch(`${s.url}/models/gpt2/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ prompt: 'the cat', max_tokens: 40, temperature: 0, stream: true }) });
  const ev = await events(r);
  assert.equal(ev.at(-1)!.data, '[DONE]');
  assert.ok(ev.length >= 41, `${ev.length} events`);
  // the first token's event came well before the last one (the answer was not sent in one piece)
  assert.ok(ev.at(-2)!.at - ev[0]!.at > 0, 'events spread over the generation');
  let bad = await fetch(`${s.url}/models/gpt2`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ inputs: 3, stream: true }) });
  assert.equal(bad.status, 400);
  assert.match((await bad.json() as { error: string }).error, /"inputs" must be a string to stream/);
  bad = await fetch(`${s.url}/models/cls`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ inputs: 'x', stream: true }) });
  assert.equal(bad.status, 400);
  assert.match((await bad.json() as { error: string }).error, /"stream" is for text-generation/);
  // beam search cannot stream: the error arrives as an event, and the server goes on
  const beams = await fetch(`${s.url}/models/gpt2`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ inputs: 'the cat', parameters: { num_beams: 2, max_new_tokens: 3 }, stream: true }) });
  const text = await beams.text();
  assert.match(text, /streamer|beam/i);
  const ok = await fetch(`${s.url}/models/gpt2`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ inputs: 'the cat', parameters: { max_new_tokens: 2 } }) });
  assert.equal(ok.status, 200);
});
