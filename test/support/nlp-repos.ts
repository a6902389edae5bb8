// Tiny stand-ins for the NLP examples (examples/ner-conll.ts, qa-squad.ts, swag-multiple-choice.ts):
// a cased and an uncased BERT with a WordPiece vocabulary over a small word list, and CoNLL-2003,
// SQuAD and SWAG-shaped datasets (JSON lines, with the README's dataset_info features where the Hub
// has ClassLabels), generated from a seeded stream.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { manualSeed } from '../../src/torch/index';
import { BertModel } from '../../src/models/index';

const PEOPLE = ['John', 'Mary', 'Angela', 'Peter', 'Ahmed', 'Yuki'];
const PLACES = ['Paris', 'Berlin', 'London', 'Tokyo', 'Nairobi', 'Lima'];
const ORGS = ['Acme', 'Globex', 'Initech', 'Hooli'];
const VERBS = ['lives', 'works', 'sleeps', 'runs', 'walks', 'eats', 'waits', 'sits'];
const FILL = ['the', 'a', 'in', 'at', 'for', 'with', 'and', 'near', 'today', 'often', 'who', 'where', 'what', 'does', 'is', 'then', 'he', 'she', 'it', 'they'];
const NER_NAMES = ['O', 'B-PER', 'I-PER', 'B-ORG', 'I-ORG', 'B-LOC', 'I-LOC', 'B-MISC', 'I-MISC'];

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s / 2 ** 32; };
}
const pick = <T>(r: () => number, a: readonly T[]): T => a[Math.floor(r() * a.length)]!;
const jsonl = (rows: object[]) => Buffer.from(rows.map((x) => JSON.stringify(x)).join('\n') + '\n');

/** A BERT checkpoint (no head, as google-bert/bert-base-cased) with a WordPiece vocabulary over the words above. */
export function saveTinyBertRepo(dir: string, o: { cased: boolean; seed?: number }): string {
  mkdirSync(dir, { recursive: true });
  const words = [...PEOPLE, ...PLACES, ...ORGS, ...VERBS, ...FILL, 'Smith', '.', ',', '?', '!'];
  const pieces = new Set<string>();
  for (const w of words) pieces.add(o.cased ? w : w.toLowerCase());
  // sub-words, so that words split (and word-level labels are aligned on first sub-tokens)
  for (const p of ['##s', '##ed', '##ing', '##er', 'Ac', '##me', 'Glo', '##bex', 'ac', 'glo']) pieces.add(p);
  const vocab = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', ...pieces];
  writeFileSync(join(dir, 'vocab.txt'), vocab.join('\n') + '\n');
  writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify({ tokenizer_class: 'BertTokenizer', do_lower_case: !o.cased, model_max_length: 64 }));
  manualSeed(o.seed ?? 11);
  const m = BertModel.fromConfig({
    model_type: 'bert', vocab_size: vocab.length, hidden_size: 16, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 32,
    max_position_embeddings: 64, architectures: ['BertForMaskedLM'],
  });
  m.savePretrained(dir);
  m.dispose();
  return dir;
}

function nerSentence(r: () => number): { tokens: string[]; ner_tags: number[] } {
  const tokens: string[] = [], tags: number[] = [];
  const add = (w: string, t: string) => { tokens.push(w); tags.push(NER_NAMES.indexOf(t)); };
  add(pick(r, PEOPLE), 'B-PER');
  if (r() < 0.4) add('Smith', 'I-PER');
  add(pick(r, VERBS), 'O');
  add(pick(r, ['in', 'near']), 'O');
  add(pick(r, PLACES), 'B-LOC');
  if (r() < 0.6) { add(pick(r, ['at', 'for', 'with']), 'O'); add(pick(r, ORGS), 'B-ORG'); }
  add('.', 'O');
  return { tokens, ner_tags: tags };
}

/** eriktks/conll2003's layout: id, tokens, pos_tags, chunk_tags, ner_tags (ClassLabel sequences named in the README). */
export function conllFiles(counts = { train: 48, validation: 16, test: 16 }): Record<string, Buffer> {
  const r = rng(21);
  const files: Record<string, Buffer> = {};
  for (const [split, n] of Object.entries(counts)) {
    files[`${split}.jsonl`] = jsonl(Array.from({ length: n }, (_, i) => {
      const s = nerSentence(r);
      return { id: String(i), tokens: s.tokens, pos_tags: s.tokens.map(() => 0), chunk_tags: s.tokens.map(() => 0), ner_tags: s.ner_tags };
    }));
  }
  const classLabel = (names: string[]) => ['    sequence:', '      class_label:', '        names:', ...names.map((x, i) => `          '${i}': ${x}`)];
  files['README.md'] = Buffer.from(['---', 'dataset_info:', '  features:', '  - name: id', '    dtype: string', '  - name: tokens', '    sequence: string',
    '  - name: pos_tags', ...classLabel(['NN']), '  - name: chunk_tags', ...classLabel(['O']), '  - name: ner_tags', ...classLabel(NER_NAMES), '---', '', '# CoNLL-2003 (tiny stand-in)', ''].join('\n'));
  return files;
}

/** rajpurkar/squad's layout: id, title, context, question, answers {text, answer_start}. */
export function squadFiles(counts = { train: 32, validation: 12 }): Record<string, Buffer> {
  const r = rng(22);
  const files: Record<string, Buffer> = {};
  for (const [split, n] of Object.entries(counts)) {
    files[`${split}.jsonl`] = jsonl(Array.from({ length: n }, (_, i) => {
      const who = pick(r, PEOPLE), where = pick(r, PLACES), org = pick(r, ORGS);
      const filler = () => Array.from({ length: 2 + Math.floor(r() * 5) }, () => `${pick(r, PEOPLE)} ${pick(r, VERBS)} near ${pick(r, PLACES)} .`).join(' ');
      const head = `${filler()} `;
      const sentence = `${who} ${pick(r, VERBS)} in ${where} with ${org} .`;
      const context = `${head}${sentence} ${filler()}`;
      const asksPlace = r() < 0.5;
      const question = asksPlace ? `where does ${who} work ?` : `who works in ${where} with ${org} ?`;
      const answer = asksPlace ? where : who;
      const at = head.length + (asksPlace ? sentence.indexOf(` ${where} `) + 1 : 0);
      return { id: `${split}-${i}`, title: 'tiny', context, question, answers: { text: [answer], answer_start: [at] } };
    }));
  }
  return files;
}

/** allenai/swag's 'regular' layout: sent1, sent2, ending0..3, label (a ClassLabel of 4 in the README). */
export function swagFiles(counts = { train: 32, validation: 12 }): Record<string, Buffer> {
  const r = rng(23);
  const files: Record<string, Buffer> = {};
  for (const [split, n] of Object.entries(counts)) {
    files[`regular/${split}.jsonl`] = jsonl(Array.from({ length: n }, (_, i) => {
      const who = pick(r, PEOPLE), where = pick(r, PLACES);
      const label = Math.floor(r() * 4);
      const endings = [0, 1, 2, 3].map((k) => (k === label ? `${pick(r, VERBS)} in ${where} .` : `${pick(r, VERBS)} in ${pick(r, PLACES.filter((p) => p !== where))} .`));
      return { 'video-id': `v${i}`, 'fold-ind': String(i), startphrase: `${who} is in ${where} . ${who}`, sent1: `${who} is in ${where} .`, sent2: who, gold_source: 'gold', ending0: endings[0], ending1: endings[1], ending2: endings[2], ending3: endings[3], label };
    }));
  }
  files['README.md'] = Buffer.from(['---', 'configs:', '- config_name: regular', '  data_files:', '  - split: train', '    path: regular/train.jsonl', '  - split: validation', '    path: regular/validation.jsonl',
    'dataset_info:', '  config_name: regular', '  features:', '  - name: video-id', '    dtype: string', '  - name: fold-ind', '    dtype: string', '  - name: startphrase', '    dtype: string',
    '  - name: sent1', '    dtype: string', '  - name: sent2', '    dtype: string', '  - name: gold_source', '    dtype: string',
    ...[0, 1, 2, 3].flatMap((k) => [`  - name: ending${k}`, '    dtype: string']), '  - name: label', '    dtype:', '      class_label:', '        names:', "          '0': '0'", "          '1': '1'", "          '2': '2'", "          '3': '3'",
    '---', '', '# SWAG (tiny stand-in)', ''].join('\n'));
  return files;
}
