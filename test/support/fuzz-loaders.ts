// The loaders' fuzz targets: seeds (small valid files), mutators (bit flips, byte edits,
// truncations, splices, length-field edits, JSON edits) and one runner per loader. Each input is
// derived from (seed, index) alone, so a finding is reproducible by its index. The child process
// (runFuzzChild) runs inputs and reports each as a protocol line; test/support/fuzz-harness.ts
// runs children under a memory cap and watches for crashes, hangs and memory spikes.
import { cpSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRng, mixSeed, type Rng } from '../../src/demo/rng';

export const TARGETS = ['safetensors', 'config', 'tokenizer', 'image', 'parquet', 'arrow', 'torch-bin'] as const;
export type Target = (typeof TARGETS)[number];

// ------------------------------------------------------------------------------------ mutators

const INTERESTING_U32 = [0, 1, 2, 7, 8, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];

/** Bit flips, byte sets, inserts, deletes, duplicated runs, truncation and 32/64-bit length-field edits. */
export function mutateBytes(src: Uint8Array, r: Rng): Uint8Array {
  let b: Uint8Array = Uint8Array.from(src);
  const n = 1 + r.int(0, 3);
  for (let k = 0; k < n; k++) {
    const at = r.int(0, Math.max(0, b.length - 1));
    switch (r.int(0, 8)) {
      case 0: if (b.length) b[at] ^= 1 << r.int(0, 7); break;
      case 1: if (b.length) b[at] = r.pick([0, 0xff, 0x7f, 0x80, 1, 2, r.int(0, 255)]); break;
      case 2: b = concat([b.subarray(0, at), Uint8Array.from({ length: r.int(1, 8) }, () => r.int(0, 255)), b.subarray(at)]); break;
      case 3: b = concat([b.subarray(0, at), b.subarray(Math.min(b.length, at + r.int(1, 64)))]); break;
      case 4: { const from = r.int(0, Math.max(0, b.length - 1)); b = concat([b.subarray(0, at), b.subarray(from, from + r.int(1, 256)), b.subarray(at)]); break; }
      case 5: b = b.subarray(0, r.int(0, b.length)); break;
      case 6: case 7: { // a length or offset field: an interesting 32-bit value, little or big endian, often 4-aligned
        const pos = r.chance(0.6) ? at & ~3 : at;
        if (pos + 4 > b.length) break;
        const v = r.chance(0.8) ? r.pick(INTERESTING_U32) : (b.length * r.int(1, 64)) >>> 0;
        new DataView(b.buffer, b.byteOffset).setUint32(pos, v, r.chance(0.8));
        break;
      }
      default: { // a 64-bit field
        const pos = at & ~7;
        if (pos + 8 > b.length) break;
        new DataView(b.buffer, b.byteOffset).setBigUint64(pos, r.pick([0n, 1n, 0xffffffffffffffffn, 0x7fffffffffffffffn, 1n << 40n, BigInt(b.length) * 1000n]), true);
      }
    }
  }
  return b;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

const deep = (n: number, open: string, close: string, inner = '1') => open.repeat(n) + inner + close.repeat(n);

/** Values a JSON edit may put anywhere: extreme numbers, wrong types, deep and large containers. */
function interestingJson(r: Rng): string {
  return r.pick([
    '0', '-1', '1', '2', '1.5', '-0.5', '1e9', '1000000000', '2147483648', '4294967296', '9007199254740993', '-9223372036854775808', '1e308', '1e400', '-1e400',
    '""', '"x"', '" "', '"a b"', '"\\u0000"', 'true', 'false', 'null', '[]', '{}', '[1]', '["a","b"]', '[["a","b"]]', '{"a":1}', '[null]', '[-1]', '[1e9]',
    deep(r.int(100, 5000), '[', ']'), deep(r.int(100, 5000), '{"a":', '}'), `[${Array.from({ length: 20_000 }, () => '0').join(',')}]`,
    JSON.stringify('x'.repeat(r.int(1000, 200_000))), '"NaN"', 'NaN', 'Infinity',
  ]);
}

type JsonPath = (string | number)[];

function paths(v: unknown, out: JsonPath[], at: JsonPath = [], limit = 4000): void {
  if (out.length >= limit) return;
  out.push(at);
  if (Array.isArray(v)) {
    const step = Math.max(1, Math.floor(v.length / 50));
    for (let i = 0; i < v.length; i += step) paths(v[i], out, [...at, i], limit);
  } else if (v && typeof v === 'object') for (const k of Object.keys(v)) paths((v as Record<string, unknown>)[k], out, [...at, k], limit);
}

/** A JSON-aware edit (set / delete / retype / duplicate at a random path), else a text edit. */
export function mutateJsonText(text: string, r: Rng): string {
  if (r.chance(0.25)) return Buffer.from(mutateBytes(Buffer.from(text, 'utf8'), r)).toString('utf8');
  const doc = JSON.parse(text);
  const all: JsonPath[] = [];
  paths(doc, all);
  const n = 1 + r.int(0, 2);
  let root: unknown = doc;
  const marks = new Map<string, string>();
  for (let k = 0; k < n; k++) {
    const p = r.pick(all);
    if (!p.length) { if (r.chance(0.2)) return interestingJson(r); continue; }
    let parent: any = root;
    for (const key of p.slice(0, -1)) { parent = parent?.[key]; if (parent === null || typeof parent !== 'object') break; }
    if (parent === null || typeof parent !== 'object') continue;
    const last = p[p.length - 1];
    const op = r.int(0, 6);
    if (op === 0 && !Array.isArray(parent)) delete parent[last];
    else if (op === 1 && Array.isArray(parent)) parent.splice(Number(last), 1);
    else if (op === 2) { const v = parent[last]; parent[last] = typeof v === 'number' ? String(v) : typeof v === 'string' && v !== '' && Number.isFinite(Number(v)) ? Number(v) : [v]; }
    else if (op === 3 && Array.isArray(parent[last])) parent[last] = [...parent[last], ...parent[last].slice(0, r.int(1, 4))];
    else if (op === 4 && typeof parent[last] === 'number') parent[last] = r.pick([parent[last] * 1000, -parent[last], parent[last] + 1, parent[last] - 1, 0, parent[last] * 2 ** 20]);
    else {
      const mark = `@@FUZZ${k}@@`;
      marks.set(JSON.stringify(mark), interestingJson(r));
      parent[last] = mark;
    }
  }
  let out = JSON.stringify(root);
  for (const [m, v] of marks) out = out.split(m).join(v);
  return out;
}

// ------------------------------------------------------------------------------------ seeds

/** Writes the seeds of every target under `root` (once per run; children read them). */
export async function writeSeeds(root: string): Promise<void> {
  mkdirSync(root, { recursive: true });
  const { writeSafetensors } = await import('../../src/torch/safetensors');
  const st = join(root, 'safetensors');
  mkdirSync(st, { recursive: true });
  const f32 = (xs: number[]) => new Uint8Array(new Float32Array(xs).buffer);
  writeFileSync(join(st, '0.safetensors'), writeSafetensors({ w: { dtype: 'F32', shape: [2, 3], data: f32([1, 2, 3, 4, 5, 6]) }, b: { dtype: 'F32', shape: [3], data: f32([7, 8, 9]) } }, { format: 'pt' }));
  writeFileSync(join(st, '1.safetensors'), writeSafetensors({ i: { dtype: 'I64', shape: [2], data: new Uint8Array(new BigInt64Array([1n, 2n]).buffer) }, h: { dtype: 'BF16', shape: [2, 1], data: Uint8Array.from([0x80, 0x3f, 0, 0xc0]) }, e: { dtype: 'F16', shape: [0], data: new Uint8Array(0) } }));

  const { configSeeds, tokenizerSeedDirs } = await import('./loader-seeds');
  const cfg = join(root, 'config');
  mkdirSync(cfg, { recursive: true });
  configSeeds().forEach((c, i) => writeFileSync(join(cfg, `${i}.json`), JSON.stringify(c, null, 2)));

  const tokWork = join(root, 'tokenizer-build');
  const dirs = await tokenizerSeedDirs(tokWork);
  dirs.forEach((d, i) => cpSync(d, join(root, 'tokenizer', String(i)), { recursive: true }));
  rmSync(tokWork, { recursive: true, force: true });

  const sharp = (await import('sharp')).default;
  const img = join(root, 'image');
  mkdirSync(img, { recursive: true });
  const raw = Buffer.from(Array.from({ length: 6 * 5 * 3 }, (_, i) => (i * 37) % 256));
  const base = () => sharp(raw, { raw: { width: 6, height: 5, channels: 3 } });
  writeFileSync(join(img, '0.png'), await base().png().toBuffer());
  writeFileSync(join(img, '1.jpg'), await base().jpeg({ quality: 80 }).toBuffer());
  writeFileSync(join(img, '2.png'), await sharp(Buffer.from(Array.from({ length: 8 * 8 }, (_, i) => i * 3)), { raw: { width: 8, height: 8, channels: 1 } }).png({ palette: true }).toBuffer());
  writeFileSync(join(img, '3.gif'), await base().gif().toBuffer());

  const { Features, Value, Sequence, ClassLabel, Image } = await import('../../src/datasets/features');
  const { writeParquet } = await import('../../src/datasets/parquet');
  const pq = join(root, 'parquet');
  mkdirSync(pq, { recursive: true });
  const pngBytes = readFileSync(join(img, '0.png'));
  const feats = new Features([['id', new Value('int64')], ['text', new Value('string')], ['score', new Value('float32')], ['label', new ClassLabel({ names: ['neg', 'pos'] })],
    ['tokens', new Sequence({ feature: new Value('int32') })], ['flag', new Value('bool')]]);
  const rows = 12;
  const cols = {
    id: Array.from({ length: rows }, (_, i) => i * 1000), text: Array.from({ length: rows }, (_, i) => (i % 4 === 3 ? null : `row ${i} ${'ab'.repeat(i)}`)),
    score: Array.from({ length: rows }, (_, i) => i / 7), label: Array.from({ length: rows }, (_, i) => i % 2), tokens: Array.from({ length: rows }, (_, i) => Array.from({ length: i % 5 }, (_, j) => i + j)),
    flag: Array.from({ length: rows }, (_, i) => i % 3 === 0),
  };
  writeParquet(join(pq, '0.parquet'), feats, cols, { rowGroupSize: 5 });
  writeParquet(join(pq, '1.parquet'), new Features([['image', new Image()], ['label', new Value('int64')]]), { image: [{ bytes: pngBytes, path: null }, { bytes: pngBytes, path: 'a.png' }], label: [0, 1] });

  const { Dataset } = await import('../../src/datasets/dataset');
  const ar = join(root, 'arrow');
  await Dataset.fromDict(cols, { features: feats }).saveToDisk(join(ar, '0'));
  await Dataset.fromDict({ text: ['a', 'bb', 'ccc', null], n: [1.5, 2.5, null, 4] }).saveToDisk(join(ar, '1'));
}

// ------------------------------------------------------------------------------------ targets

export interface Outcome { loaded: boolean; kind: string }

/** What a target's error must be: the loader's class, naming `file`. */
export interface Expect { classes: string[]; files: string[] }

export interface TargetRunner {
  /** Builds input `index` into `work` and loads it; returns the file the error must name. */
  run(index: number, work: string): Promise<Outcome>;
  expect(work: string): Expect;
}

function listFiles(dir: string): string[] {
  return readdirSync(dir).sort().map((f) => join(dir, f));
}

/** The runner of one target over the seeds in `seedRoot`; `seed` and the input index choose every mutation. */
export async function makeRunner(target: Target, seedRoot: string, seed: number): Promise<TargetRunner> {
  const rngFor = (index: number) => createRng(mixSeed(seed, index));
  const seedDir = join(seedRoot, target);
  switch (target) {
    case 'safetensors': {
      const { readSafetensorsFile } = await import('../../src/torch/safetensors');
      const seeds = listFiles(seedDir).map((f) => readFileSync(f));
      return {
        expect: () => ({ classes: ['SafetensorsError'], files: ['model.safetensors'] }),
        async run(i, work) {
          const r = rngFor(i);
          const file = join(work, 'model.safetensors');
          writeFileSync(file, mutateBytes(r.pick(seeds), r));
          const f = readSafetensorsFile(file);
          let n = 0;
          for (const t of f.tensors.values()) n += t.data.byteLength;
          return { loaded: true, kind: `${f.tensors.size} tensors, ${n} bytes` };
        },
      };
    }
    case 'config': {
      const { AutoConfig, AutoModel } = await import('../../src/models/auto');
      const { withConfigFile } = await import('../../src/models/config');
      const seeds = listFiles(seedDir).map((f) => readFileSync(f, 'utf8'));
      return {
        expect: () => ({ classes: ['ConfigError'], files: ['config.json'] }),
        async run(i, work) {
          const r = rngFor(i);
          writeFileSync(join(work, 'config.json'), mutateJsonText(r.pick(seeds), r));
          const config = await AutoConfig.fromPretrained(work);
          // as fromPretrained builds it: the size check names the file it came from
          const m = withConfigFile(join(work, 'config.json'), () => AutoModel.fromConfig(config));
          m.dispose();
          return { loaded: true, kind: config.modelType };
        },
      };
    }
    case 'tokenizer': {
      const { AutoTokenizer } = await import('../../src/preprocessing/auto-tokenizer');
      const seeds = listFiles(seedDir);
      return {
        expect: (work) => ({ classes: ['TokenizerError'], files: [work] }),
        async run(i, work) {
          const r = rngFor(i);
          const src = r.pick(seeds);
          for (const f of readdirSync(src)) cpSync(join(src, f), join(work, f));
          // mostly tokenizer.json; sometimes a companion file
          const name = r.chance(0.85) ? 'tokenizer.json' : r.pick(readdirSync(src).filter((f) => f.endsWith('.json')));
          writeFileSync(join(work, name), mutateJsonText(readFileSync(join(src, name), 'utf8'), r));
          const tok = await AutoTokenizer.fromPretrained(work);
          const ids = tok.encode('the bean grows in a field, 12 héllo!');
          tok.decode(ids);
          return { loaded: true, kind: `${ids.length} ids` };
        },
      };
    }
    case 'image': {
      const { decodeImage } = await import('../../src/preprocessing/image-decode');
      const seeds = listFiles(seedDir).map((f) => readFileSync(f));
      return {
        expect: () => ({ classes: ['ImageDecodeError', 'DecompressionBombError'], files: ['fuzz-image'] }),
        async run(i) {
          const r = rngFor(i);
          const img = await decodeImage(mutateBytes(r.pick(seeds), r), { name: 'fuzz-image' });
          return { loaded: true, kind: `${img.mode}` };
        },
      };
    }
    case 'parquet': {
      const { loadDataset } = await import('../../src/datasets/load');
      const seeds = listFiles(seedDir).map((f) => readFileSync(f));
      return {
        // a value that decodes badly (an image cell) is named by its row and column
        expect: () => ({ classes: ['DatasetError'], files: ['data.parquet', ' row '] }),
        async run(i, work) {
          const r = rngFor(i);
          const file = join(work, 'data.parquet');
          writeFileSync(file, mutateBytes(r.pick(seeds), r));
          const ds = await loadDataset('parquet', { dataFiles: file, split: 'train' }) as any;
          const rows = await ds.toList();
          return { loaded: true, kind: `${rows.length} rows` };
        },
      };
    }
    case 'arrow': {
      const { loadFromDisk } = await import('../../src/datasets/load');
      const seeds = listFiles(seedDir);
      return {
        expect: (work) => ({ classes: ['DatasetError'], files: [join(work, 'ds'), '.arrow', 'state.json', 'dataset_info.json', 'dataset_dict.json'] }),
        async run(i, work) {
          const r = rngFor(i);
          const src = r.pick(seeds);
          const dir = join(work, 'ds');
          cpSync(src, dir, { recursive: true });
          const files = readdirSync(dir);
          const arrow = files.find((f) => f.endsWith('.arrow'))!;
          const name = r.chance(0.8) ? arrow : r.pick(files.filter((f) => f.endsWith('.json')));
          const p = join(dir, name);
          if (name.endsWith('.json')) writeFileSync(p, mutateJsonText(readFileSync(p, 'utf8'), r));
          else writeFileSync(p, mutateBytes(readFileSync(p), r));
          const ds = await loadFromDisk(dir) as any;
          const rows = await ds.toList();
          return { loaded: true, kind: `${rows.length} rows` };
        },
      };
    }
    case 'torch-bin': {
      const { readTorchStateDict } = await import('../../src/torch/torch-zip');
      const { fuzzSeeds, mutant } = await import('./fuzz-torch-bin');
      const seeds = fuzzSeeds();
      return {
        expect: () => ({ classes: ['TorchCheckpointError'], files: ['fuzz.bin'] }),
        async run(i) {
          const r = rngFor(i);
          const out = readTorchStateDict(mutant(r.pick(seeds), () => r.next()), 'fuzz.bin');
          return { loaded: true, kind: `${out.size} tensors` };
        },
      };
    }
  }
}

/** Kinds of refusal, with numbers and quoted names blanked (for the report's top list). */
export function refusalKind(msg: string, file: string): string {
  return msg.split(file).join('<file>').replace(/'[^']*'/g, "'…'").replace(/"[^"]*"/g, '"…"').replace(/\/tmp\/\S+/g, '<path>').replace(/\d+/g, 'N').slice(0, 90);
}

export const PROTOCOL = '\x1eFUZZ ';

/**
 * A child's loop: runs inputs [start, end) of one target, each in a fresh work folder, writing
 * `begin` and `end` protocol lines (outcome, error class check, RSS) to stdout.
 */
export async function runFuzzChild(o: { target: Target; seedRoot: string; seed: number; start: number; end: number; work: string }): Promise<void> {
  const runner = await makeRunner(o.target, o.seedRoot, o.seed);
  const say = (m: Record<string, unknown>) => process.stdout.write(PROTOCOL + JSON.stringify(m) + '\n');
  const mb = (kb: number) => Math.round(kb / 1024);
  say({ ready: true, rssMB: mb(process.memoryUsage.rss() / 1024) });
  for (let i = o.start; i < o.end; i++) {
    const work = join(o.work, `in-${i}`);
    mkdirSync(work, { recursive: true });
    const rssBefore = process.memoryUsage.rss() / 1024;
    const maxBefore = process.resourceUsage().maxRSS;
    say({ begin: i });
    const t0 = performance.now();
    let line: Record<string, unknown>;
    try {
      const out = await runner.run(i, work);
      line = { end: i, loaded: true, kind: out.kind };
    } catch (e) {
      const err = e as Error;
      const { classes, files } = runner.expect(work);
      const msg = String(err?.message ?? e);
      line = {
        end: i, loaded: false, errorClass: err?.name ?? typeof e, wrongClass: !classes.includes(err?.name), unnamed: !files.some((f) => msg.includes(f)),
        multiline: msg.includes('\n'), message: msg.slice(0, 300), kind: refusalKind(msg.split('\n')[0], work),
      };
    }
    const maxAfter = process.resourceUsage().maxRSS;
    line.ms = Math.round(performance.now() - t0);
    line.extraMB = maxAfter > maxBefore ? mb(maxAfter - rssBefore) : 0;
    rmSync(work, { recursive: true, force: true });
    say(line);
  }
}
