// A tiny byte-level BPE tokenizer folder with a chat template (tests of chat templates and LoRA SFT).
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** vocab.json + merges.txt (the 256 byte symbols, a few merges) and <|im_start|>/<|im_end|>/<|endoftext|> special tokens. */
export function tinyByteLevelTokenizerDir(chatTemplate: string | null, dir = mkdtempSync(join(tmpdir(), 'hubtune-chat-tok-'))): string {
  mkdirSync(dir, { recursive: true });
  const bs: number[] = [];
  for (let i = 33; i <= 126; i++) bs.push(i);
  for (let i = 161; i <= 172; i++) bs.push(i);
  for (let i = 174; i <= 255; i++) bs.push(i);
  const cs = [...bs];
  let n = 0;
  for (let b = 0; b < 256; b++) if (!bs.includes(b)) { bs.push(b); cs.push(256 + n++); }
  const vocab: Record<string, number> = {};
  bs.forEach((b, i) => { vocab[String.fromCodePoint(cs[i]!)] = b; });
  const merges = ['Ġ t', 'h e', 'Ġt he', 'i n', 'a n'];
  for (const m of merges) vocab[m.replace(' ', '')] = Object.keys(vocab).length;
  for (const t of ['<|endoftext|>', '<|im_start|>', '<|im_end|>']) vocab[t] = Object.keys(vocab).length;
  writeFileSync(join(dir, 'vocab.json'), JSON.stringify(vocab));
  writeFileSync(join(dir, 'merges.txt'), `#version: 0.2\n${merges.join('\n')}\n`);
  const cfg: Record<string, unknown> = {
    tokenizer_class: 'GPT2Tokenizer', bos_token: '<|im_start|>', eos_token: '<|im_end|>', unk_token: '<|endoftext|>', pad_token: '<|endoftext|>',
    additional_special_tokens: ['<|im_start|>', '<|im_end|>'], model_max_length: 128,
  };
  if (chatTemplate !== null) cfg.chat_template = chatTemplate;
  writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify(cfg, null, 2));
  return dir;
}
