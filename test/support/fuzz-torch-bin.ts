// Fuzzing the pytorch_model.bin reader: mutated checkpoints (pickle opcodes, arguments, memo
// indices, hostile snippets, storage records, the zip structure itself) must each either load to
// sane tensors or be refused with a one-line TorchCheckpointError: never another exception, a
// hang, or an allocation larger than the input allows. Used by the test (10,000 inputs) and by
// scripts/fuzz-torch-bin.ts (long runs).
import { readTorchStateDict, TorchCheckpointError } from '../../src/torch/torch-zip';
import { createRng } from '../../src/demo/rng';
import { PickleBuilder, checkpointZip, contiguous, f32, stateDictPickle, type SaveStorage, type SaveTensor } from './torch-save';

interface Seed {
  pickle: Uint8Array;
  storages: Map<string, Uint8Array>;
  archiveName: string;
}

function seedOf(sd: Record<string, SaveTensor>, archiveName = 'archive', parameters = false): Seed {
  const { pickle, storages } = stateDictPickle(sd, { parameters });
  return { pickle, storages: new Map([...storages].map(([k, s]: [string, SaveStorage]) => [k, s.data])), archiveName };
}

/** Small checkpoints covering the reader's paths: views, dtypes, parameters, v3, OrderedDict + BUILD. */
export function fuzzSeeds(): Seed[] {
  const base = { dtype: 'float32' as const, data: f32([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]) };
  const seeds = [
    seedOf({ w: contiguous('float32', [2, 3], f32([1, 2, 3, 4, 5, 6])), b: contiguous('float32', [3], f32([7, 8, 9])) }),
    seedOf({
      a: { storage: base, offset: 0, shape: [3, 4], stride: [4, 1] },
      t: { storage: base, offset: 0, shape: [4, 3], stride: [1, 4] },
      s: { storage: base, offset: 1, shape: [2, 3], stride: [6, 2] },
      ids: contiguous('int64', [2], new Uint8Array(new BigInt64Array([1n, 2n]).buffer)),
      m: contiguous('bool', [3], Uint8Array.from([1, 0, 1])),
      h: contiguous('bfloat16', [2], Uint8Array.from([0x80, 0x3f, 0x00, 0xc0])),
    }, 'pytorch_model'),
    seedOf({ p: contiguous('float16', [2, 2], new Uint8Array(8)), q: contiguous('float64', [1], new Uint8Array(8)) }, 'archive', true),
  ];
  const v3 = new PickleBuilder().proto().global('collections', 'OrderedDict').emptyTuple().reduce().put()
    .mark().str('x').global('torch._utils', '_rebuild_tensor_v3').mark()
    .mark().str('storage').global('torch.storage', 'UntypedStorage').str('0').str('cpu').int(8).tuple().binpersid()
    .int(0).int(2).tuple1().int(1).tuple1().bool(false).global('collections', 'OrderedDict').emptyTuple().reduce().global('torch', 'float32').tuple().reduce()
    .setitems().emptyDict().str('_metadata').global('collections', 'OrderedDict').emptyTuple().reduce().setitem().build().stop();
  seeds.push({ pickle: v3.bytes(), storages: new Map([['0', f32([1, 2])]]), archiveName: 'archive' });
  return seeds;
}

/** Snippets a mutation may splice in: every opcode family, hostile globals, extreme arguments. */
const SNIPPETS: number[][] = [
  [0x28], [0x29], [0x5d], [0x7d], [0x8f], [0x4e], [0x88], [0x89], [0x74], [0x85], [0x86], [0x87], [0x61], [0x65], [0x73], [0x75],
  [0x52], [0x62], [0x81], [0x51], [0x2e], [0x30], [0x31], [0x32], [0x93], [0x94], [0x95], [0x8c], [0x8e], [0x42], [0x43], [0x69], [0x6f],
  [0x4b, 0xff], [0x4d, 0xff, 0xff], [0x4a, 0xff, 0xff, 0xff, 0x7f], [0x4a, 0, 0, 0, 0x80], [0x8a, 0x08, 0, 0, 0, 0, 0, 0, 0, 0x80],
  [0x8a, 0xff], [0x47, 0x7f, 0xf0, 0, 0, 0, 0, 0, 0], [0x58, 0xff, 0xff, 0xff, 0xff], [0x55, 0xff], [0x58, 2, 0, 0, 0, 0xc3, 0x28],
  [0x68, 0xff], [0x6a, 0xff, 0xff, 0xff, 0xff], [0x71, 0], [0x72, 0xff, 0xff, 0xff, 0xff],
  [...Buffer.from('cos\nsystem\n')], [...Buffer.from('cbuiltins\neval\n')], [...Buffer.from('ctorch\nfloat32\n')],
  [...Buffer.from('ctorch._utils\n_rebuild_tensor_v2\n')], [...Buffer.from('ctorch\nFloatStorage\n')], [...Buffer.from('ccollections\nOrderedDict\n')],
  [...Buffer.from('ctorch._utils\n_rebuild_parameter\n')], [...Buffer.from('ctorch\nSize\n')], [...Buffer.from('c_codecs\nencode\n')],
  [...Buffer.from('ctorch\nLongStorage\n')], [...Buffer.from('ctorch\nBFloat16Storage\n')], [...Buffer.from('ctorch\nnothing\n')],
];

function mutateBytes(src: Uint8Array, r: () => number): Uint8Array {
  let b = [...src];
  const n = 1 + Math.floor(r() * 4);
  for (let i = 0; i < n; i++) {
    const at = Math.floor(r() * (b.length + 1));
    const kind = Math.floor(r() * 8);
    if (kind === 0 && b.length) b[Math.min(at, b.length - 1)] ^= 1 << Math.floor(r() * 8);
    else if (kind === 1 && b.length) b[Math.min(at, b.length - 1)] = [0, 0xff, 0x7f, 0x80, 1, 2][Math.floor(r() * 6)];
    else if (kind === 2) b.splice(at, 0, ...SNIPPETS[Math.floor(r() * SNIPPETS.length)]);
    else if (kind === 3) b.splice(at, Math.floor(r() * 8) + 1);
    else if (kind === 4) {
      const from = Math.floor(r() * b.length);
      b.splice(at, 0, ...b.slice(from, from + Math.floor(r() * 32) + 1));
    } else if (kind === 5) b = b.slice(0, at);
    else if (kind === 6 && b.length) {
      // Aim at an argument byte: right after an opcode that takes one.
      const ops = b.map((x, j) => ([0x4b, 0x4d, 0x4a, 0x68, 0x71, 0x6a, 0x72, 0x58, 0x8a].includes(x) ? j : -1)).filter((j) => j >= 0);
      if (ops.length) {
        const j = ops[Math.floor(r() * ops.length)] + 1;
        if (j < b.length) b[j] = Math.floor(r() * 256);
      }
    } else b.splice(at, 0, Math.floor(r() * 256));
  }
  return Uint8Array.from(b);
}

/** One mutated checkpoint: mostly the pickle (re-zipped, so the CRC passes), sometimes storages or the zip. */
export function mutant(seed: Seed, r: () => number): Uint8Array {
  const mode = r();
  if (mode < 0.7) return checkpointZip(mutateBytes(seed.pickle, r), seed.storages, { archiveName: seed.archiveName });
  if (mode < 0.8) {
    const storages = new Map(seed.storages);
    const keys = [...storages.keys()];
    const k = keys[Math.floor(r() * keys.length)];
    if (r() < 0.5) storages.delete(k);
    else storages.set(k, storages.get(k)!.subarray(0, Math.floor(r() * storages.get(k)!.length)));
    return checkpointZip(seed.pickle, storages, { archiveName: seed.archiveName });
  }
  return mutateBytes(checkpointZip(seed.pickle, seed.storages, { archiveName: seed.archiveName }), r);
}

export interface FuzzReport {
  inputs: number;
  loaded: number;
  refused: number;
  seconds: number;
  inputsPerSecond: number;
  slowestMs: number;
  /** Distinct refusal kinds (message with numbers and names blanked) and their counts, top 12. */
  topRefusals: Array<[string, number]>;
}

export class FuzzFinding extends Error {
  override name = 'FuzzFinding';
  constructor(message: string, readonly input: Uint8Array, readonly index: number) {
    super(message);
  }
}

/** Runs `count` mutants from `seed` (or until `seconds` pass); throws a FuzzFinding on the first bad outcome. */
export function fuzzTorchBin(o: { count: number; seed?: number; seconds?: number; onProgress?: (done: number) => void }): FuzzReport {
  // A seeded stream, so a finding is reproducible from (seed, index).
  const rng = createRng(o.seed ?? 1);
  const r = () => rng.next();
  const seeds = fuzzSeeds();
  const kinds = new Map<string, number>();
  let loaded = 0;
  let refused = 0;
  let slowest = 0;
  const t0 = performance.now();
  let i = 0;
  for (; i < o.count; i++) {
    if (o.seconds !== undefined && (performance.now() - t0) / 1000 > o.seconds) break;
    const input = mutant(seeds[Math.floor(r() * seeds.length)], r);
    const s = performance.now();
    try {
      const out = readTorchStateDict(input, 'fuzz.bin');
      for (const [k, t] of out) {
        const numel = t.shape.reduce((a, b) => a * b, 1);
        if (t.data.byteLength > 64 * input.byteLength + 4096 || t.data.byteLength % Math.max(1, numel) !== 0) {
          throw new FuzzFinding(`tensor '${k}' came out with ${t.data.byteLength} bytes for shape [${t.shape}] from a ${input.byteLength}-byte input`, input, i);
        }
      }
      loaded++;
    } catch (err) {
      if (err instanceof FuzzFinding) throw err;
      if (!(err instanceof TorchCheckpointError)) {
        throw new FuzzFinding(`input ${i}: ${(err as Error)?.name}: ${(err as Error)?.message} (not a TorchCheckpointError)`, input, i);
      }
      const msg = err.message;
      if (msg.includes('\n') || msg.length > 600) throw new FuzzFinding(`input ${i}: error message is not one short line: ${JSON.stringify(msg.slice(0, 200))}`, input, i);
      const kind = msg.replace(/^fuzz\.bin: (data\.pkl: )?/, '').replace(/\(pickle byte \d+\)/, '').replace(/'[^']*'/g, "'…'").replace(/\d+/g, 'N').replace(/\b(global|REDUCE on a|BUILD on a|of an?) [\w.]+/g, '$1 X').slice(0, 80);
      kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
      refused++;
    }
    slowest = Math.max(slowest, performance.now() - s);
    if (o.onProgress && i % 10000 === 0) o.onProgress(i);
  }
  const seconds = (performance.now() - t0) / 1000;
  return {
    inputs: i,
    loaded,
    refused,
    seconds: Math.round(seconds * 100) / 100,
    inputsPerSecond: Math.round(i / seconds),
    slowestMs: Math.round(slowest * 10) / 10,
    topRefusals: [...kinds].sort((a, b) => b[1] - a[1]).slice(0, 12),
  };
}
