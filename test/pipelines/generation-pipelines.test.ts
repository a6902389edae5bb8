// text-generation, text2text-generation, summarization and translation pipelines on the fixtures'
// tiny GPT-2 and BART (with their tokenizers): the same text as generate() + decode.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, cpSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline, TextGenerationPipeline, TranslationPipeline } from '../../src/pipelines/index';
import { AutoTokenizer } from '../../src/preprocessing/auto-tokenizer';
import { AutoModelForCausalLM } from '../../src/models/index';
import { needsShared, sharedPath } from '../support/shared';

const GPT2 = sharedPath('fixtures', 'hf-reference-2', 'models', 'gpt2');
const BART = sharedPath('fixtures', 'hf-reference-2', 'models', 'bart');

test('text-generation: prompts, returnFullText, several prompts, and the same ids as generate()', needsShared, async () => {
  const pipe = await pipeline('text-generation', { model: GPT2 });
  assert.ok(pipe instanceof TextGenerationPipeline);
  const out = await pipe('The leaves of the bean', { maxNewTokens: 6 }) as { generated_text: string }[];
  const tok = await AutoTokenizer.fromPretrained(GPT2);
  const model = await AutoModelForCausalLM.fromPretrained(GPT2, { quiet: true });
  const enc = tok('The leaves of the bean', { returnTensors: 'pt' });
  const ids = await (model as any).generate({ ...enc, maxNewTokens: 6 });
  assert.equal(out[0]!.generated_text, tok.decode(ids.toArray()[0], { skipSpecialTokens: true }));
  const only = await pipe('The leaves of the bean', { maxNewTokens: 6, returnFullText: false }) as { generated_text: string }[];
  assert.equal('The leaves of the bean' + only[0]!.generated_text, out[0]!.generated_text);
  const two = await pipe(['Hello', 'The leaves'], { maxNewTokens: 3 }) as { generated_text: string }[][];
  assert.equal(two.length, 2);
  assert.ok(two[1]![0]!.generated_text.startsWith('The leaves'));
  const sampled = await pipe('Hello', { maxNewTokens: 5, doSample: true, numReturnSequences: 2, seed: 3 }) as { generated_text: string }[];
  assert.equal(sampled.length, 2);
});

test('text-generation with a chat: the template renders the prompt, the answer is appended as the assistant turn', needsShared, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hubtune-chat-gpt2-'));
  cpSync(GPT2, dir, { recursive: true });
  const cfg = JSON.parse(readFileSync(join(dir, 'tokenizer_config.json'), 'utf8'));
  cfg.chat_template = "{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}{% if add_generation_prompt %}assistant:{% endif %}";
  writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify(cfg));
  const pipe = await pipeline('text-generation', { model: dir });
  const chat = [{ role: 'user', content: 'Hello' }];
  const out = await pipe(chat, { maxNewTokens: 4 }) as { generated_text: { role: string; content: string }[] }[];
  const conv = out[0]!.generated_text;
  assert.equal(conv.length, 2);
  assert.deepEqual(conv[0], chat[0]);
  assert.equal(conv[1]!.role, 'assistant');
  const plain = await pipe('user: Hello\nassistant:', { maxNewTokens: 4, returnFullText: false }) as { generated_text: string }[];
  assert.equal(conv[1]!.content, plain[0]!.generated_text);
});

test('text2text-generation, summarization and translation_en_to_de on BART: output keys and the same text', needsShared, async () => {
  const t2t = await pipeline('text2text-generation', { model: BART });
  const a = await t2t('the farmers photograph the leaves in the field.', { maxNewTokens: 8 }) as { generated_text: string }[];
  const sum = await pipeline('summarization', { model: BART });
  const b = await sum('the farmers photograph the leaves in the field.', { maxNewTokens: 8 }) as { summary_text: string }[];
  assert.equal(a[0]!.generated_text, b[0]!.summary_text);
  const tr = await pipeline('translation_en_to_de', { model: BART });
  assert.ok(tr instanceof TranslationPipeline);
  assert.deepEqual(tr.languages, ['en', 'de']);
  const c = await tr(['the house is small.', 'the farmers photograph the leaves in the field.'], { maxNewTokens: 8 }) as { translation_text: string }[][];
  assert.equal(c.length, 2);
  assert.equal(c[1]![0]!.translation_text, a[0]!.generated_text);
  await assert.rejects(t2t(42 as never), /takes a text or an array of texts/);
});
