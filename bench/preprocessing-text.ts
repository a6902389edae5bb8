// Text preprocessing speed: tokenises 10,000 MRPC-length sentence pairs (truncation to 128,
// padding to the longest per batch of 32) with real-size vocabularies (GPT-2/RoBERTa byte-level
// BPE, 50k tokens; bert-base-uncased WordPiece, 30k), and collates them. Prints JSON.
// Needs ../shared/fixtures/vocab-sources (prints {skipped} without it). Target: < 1 s per 10k pairs.
import { mkdtempSync, symlinkSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { AutoTokenizer, type PreTrainedTokenizer } from '../src/preprocessing/tokenization';
import { DataCollatorWithPadding } from '../src/preprocessing/collators';
import { sharedPath } from '../test/support/shared';

const N = Number(process.env.BENCH_PAIRS ?? 10_000);
const SRC = sharedPath('fixtures', 'vocab-sources');

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = ('the of and to in a is that for it as was with be by on not he i this are or his from at which but have an they you were her ' +
  'she there been one all we their has would when if so no will more can about said company shares million percent year market billion ' +
  'stock government officials reported quarter earlier analysts investors federal president court statement spokesman profit revenue ' +
  'Amrozi accused brother witness deliberately distorting evidence Yucaipa owned Dominick\'s Safeway purchased chain stores Tuesday ' +
  'Wednesday Thursday Friday Monday Microsoft Intel Apple Nasdaq Dow Jones industrial average closed points trading session expected ' +
  'announced according previously including however although unprecedented reorganization telecommunications semiconductor pharmaceutical').split(' ');

function sentence(r: () => number): string {
  const n = 14 + Math.floor(r() * 18); // MRPC: ~22 words on average
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    let w = WORDS[Math.floor(r() * WORDS.length)];
    if (i === 0) w = w[0].toUpperCase() + w.slice(1);
    if (r() < 0.05) w = String(Math.floor(r() * 10000) / 100);
    out.push(w);
    if (r() < 0.08) out.push(',');
  }
  return out.join(' ').replaceAll(' ,', ',') + (r() < 0.9 ? '.' : ' "');
}

function folder(files: Record<string, string>, config: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), 'hubtune-bench-tok-'));
  for (const [name, src] of Object.entries(files)) symlinkSync(src, join(dir, name));
  writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify(config));
  return dir;
}

function time(fn: () => void): number {
  const t0 = performance.now();
  fn();
  return (performance.now() - t0) / 1000;
}

async function main(): Promise<void> {
  if (!existsSync(SRC)) {
    console.log(JSON.stringify({ bench: 'preprocessing-text', skipped: `${SRC} is absent` }));
    return;
  }
  const r = rng(1234);
  const a: string[] = [], b: string[] = [];
  for (let i = 0; i < N; i++) { a.push(sentence(r)); b.push(sentence(r)); }
  const chars = a.reduce((s, x) => s + x.length, 0) + b.reduce((s, x) => s + x.length, 0);

  const dirs = {
    roberta: folder({ 'vocab.json': join(SRC, 'gpt2-vocab.json'), 'merges.txt': join(SRC, 'gpt2-merges.txt') }, { tokenizer_class: 'RobertaTokenizer', model_max_length: 512 }),
    bert: folder({ 'vocab.txt': join(SRC, 'bert-base-uncased-vocab.txt') }, { tokenizer_class: 'BertTokenizer', do_lower_case: true, model_max_length: 512 }),
  };
  const results: Record<string, unknown> = {};
  try {
    for (const [name, dir] of Object.entries(dirs)) {
      let tok!: PreTrainedTokenizer;
      const loadS = await (async () => { const t0 = performance.now(); tok = await AutoTokenizer.fromPretrained(dir); return (performance.now() - t0) / 1000; })();
      let tokens = 0;
      const run = () => {
        tokens = 0;
        for (let i = 0; i < N; i += 32) {
          const enc = tok(a.slice(i, i + 32), b.slice(i, i + 32), { truncation: true, maxLength: 128, padding: true });
          for (const row of enc.attention_mask as number[][]) for (const m of row) tokens += m;
        }
      };
      const coldS = time(run);
      const warmS = time(run);
      const features = Array.from({ length: 32 }, (_, i) => ({ ...tok(a[i], b[i], { truncation: true, maxLength: 128 }), label: i % 2 }));
      const collate = new DataCollatorWithPadding({ tokenizer: tok });
      collate(features);
      const batches = 200;
      const collateS = time(() => { for (let i = 0; i < batches; i++) collate(features); });
      results[name] = {
        load_s: +loadS.toFixed(3),
        pairs: N,
        tokens_per_pair: +(tokens / N).toFixed(1),
        first_pass_s: +coldS.toFixed(3),
        second_pass_s: +warmS.toFixed(3),
        pairs_per_s: Math.round(N / coldS),
        under_1s: coldS < 1,
        collate_batch32_ms: +((collateS / batches) * 1000).toFixed(3),
      };
    }
  } finally {
    for (const d of Object.values(dirs)) rmSync(d, { recursive: true, force: true });
  }
  console.log(JSON.stringify({ bench: 'preprocessing-text', node: process.version, pairs: N, avg_chars_per_pair: Math.round(chars / N), ...results }, null, 2));
}

await main();
