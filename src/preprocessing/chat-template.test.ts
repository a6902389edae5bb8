// applyChatTemplate: ChatML and Llama-2-style templates rendered as transformers renders them,
// tokenized, and the errors for bad conversations and raising templates.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { AutoTokenizer } from './auto-tokenizer';
import { REPO_ROOT } from '../../test/support/shared';
import { tinyByteLevelTokenizerDir } from '../../test/support/chat-fixtures';

const CHATML = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
const ALTERNATING = "{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}{% else %}{{ message['content'] + eos_token }}{% endif %}{% endfor %}";

test('applyChatTemplate renders ChatML with the generation prompt and tokenizes it', async () => {
  const tok = await AutoTokenizer.fromPretrained(tinyByteLevelTokenizerDir(CHATML));
  const messages = [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi there' }];
  const text = tok.applyChatTemplate(messages, { tokenize: false, addGenerationPrompt: true });
  assert.equal(text, '<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi there<|im_end|>\n<|im_start|>assistant\n');
  assert.equal(tok.applyChatTemplate(messages, { tokenize: false }), '<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi there<|im_end|>\n');
  const ids = tok.applyChatTemplate(messages, { addGenerationPrompt: true });
  assert.deepEqual(ids, tok.encode(text, { addSpecialTokens: false }));
  assert.ok(tok.decode(ids).startsWith('<|im_start|>system'));
  const enc = tok.applyChatTemplate(messages, { returnDict: true });
  assert.deepEqual(enc.attention_mask, new Array((enc.input_ids as number[]).length).fill(1));
});

test('special tokens reach the template; raise_exception and unknown roles are one-line errors', async () => {
  const tok = await AutoTokenizer.fromPretrained(tinyByteLevelTokenizerDir(ALTERNATING));
  const ok = tok.applyChatTemplate([{ role: 'user', content: 'a' }, { role: 'assistant', content: 'b' }], { tokenize: false });
  assert.equal(ok, `${tok.bosToken}[INST] a [/INST]b${tok.eosToken}`);
  assert.throws(() => tok.applyChatTemplate([{ role: 'assistant', content: 'b' }]), /^ChatTemplateError: chat template error: Conversation roles must alternate/);
  assert.throws(() => tok.applyChatTemplate([{ role: 'robot', content: 'b' }]), /unknown role 'robot'/);
  assert.throws(() => tok.applyChatTemplate([]), /non-empty array of messages/);
  assert.throws(() => tok.applyChatTemplate([{ role: 'user', content: 'x' }], { chatTemplate: '{% for %}' }), /does not parse/);
  tok.chatTemplate = null;
  assert.throws(() => tok.applyChatTemplate([{ role: 'user', content: 'x' }]), /chat_template is not set/);
  void join; void REPO_ROOT;
});
