// pytorch_model.bin: real torch.save files (../shared/fixtures/torch-bin) load to exactly the
// weights of the matching model.safetensors; hand-written checkpoints cover every dtype, views,
// parameters, big-endian files and _rebuild_tensor_v3; hostile pickles are each refused in one line.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTorchStateDict, readTorchStateDictFile, TorchCheckpointError, type RawTensor } from './torch-zip';
import { loadTorchBin, loadShardedTorchBin } from './torch-bin';
import { readSafetensorsFile } from './safetensors';
import { loadSafetensors } from './serialization';
import { tidy } from './scope';
import { needsShared, sharedPath } from '../../test/support/shared';
import { PickleBuilder, checkpointZip, contiguous, f32, torchSave, type SaveTensor } from '../../test/support/torch-save';
import { writeZip } from '../../test/support/archive-writer';

const BIN = sharedPath('fixtures', 'torch-bin');
const REF = sharedPath('fixtures', 'hf-reference', 'models');

function refuses(fn: () => unknown, re: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof TorchCheckpointError, `expected TorchCheckpointError, got ${(e as Error)?.name}: ${(e as Error)?.message}`);
    assert.match((e as Error).message, re);
    assert.ok(!(e as Error).message.includes('\n'), 'one-line message');
    return true;
  });
}

const same = (a: Uint8Array, b: Uint8Array) => Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0;

describe('torch-bin fixtures (real torch.save)', needsShared, () => {
  for (const name of ['vit', 'bert', 'distilbert', 'roberta_mlm']) {
    test(`${name}/pytorch_model.bin holds exactly model.safetensors' tensors`, () => {
      const bin = readTorchStateDictFile(join(BIN, name, 'pytorch_model.bin'));
      const st = readSafetensorsFile(join(REF, name, 'model.safetensors'));
      for (const [k, t] of bin) {
        const ref = st.tensors.get(k);
        if (/position_ids$/.test(k) && !ref) continue; // a buffer transformers 4.29 still saved in .bin
        assert.ok(ref, `${k} is not in model.safetensors`);
        assert.deepEqual(t.shape, ref.shape, k);
        assert.ok(same(t.data, ref.data), `${k} differs`);
      }
      // What .bin lacks is only what save_pretrained drops as tied (the MLM decoder).
      const missing = [...st.tensors.keys()].filter((k) => !bin.has(k));
      assert.deepEqual(missing, name === 'roberta_mlm' ? ['lm_head.decoder.bias', 'lm_head.decoder.weight'] : []);
    });
  }

  test('sharded pytorch_model.bin.index.json loads the same tensors as the single file', () => {
    const whole = loadTorchBin(join(BIN, 'bert', 'pytorch_model.bin'));
    const sharded = loadShardedTorchBin(join(BIN, 'bert_sharded'));
    assert.deepEqual([...sharded.keys()].sort(), [...whole.keys()].sort());
    for (const [k, t] of whole) assert.ok(tidy(() => t.equal(sharded.get(k)!)), k);
    for (const t of [...whole.values(), ...sharded.values()]) t.dispose();
  });

  for (const dt of ['bfloat16', 'float16'] as const) {
    test(`bert_${dt === 'bfloat16' ? 'bf16' : 'fp16'}.bin equals the float32 weights cast to ${dt}`, () => {
      const bin = loadTorchBin(join(BIN, `bert_${dt === 'bfloat16' ? 'bf16' : 'fp16'}.bin`));
      const ref = loadSafetensors(join(REF, 'bert', 'model.safetensors')).tensors;
      let compared = 0;
      for (const [k, t] of bin) {
        const r = ref.get(k);
        if (!r) continue;
        assert.equal(t.dtype, dt, k);
        assert.ok(tidy(() => r.to(dt).equal(t)), `${k} differs from the ${dt} cast`);
        compared++;
      }
      assert.equal(compared, ref.size);
      for (const t of [...bin.values(), ...ref.values()]) t.dispose();
    });
  }

  test('odd_storages.bin: shared storages, views, a transpose, strides, 0-d, every integer dtype, empty', () => {
    const expected = JSON.parse(readFileSync(join(BIN, 'odd_storages.expected.json'), 'utf8')) as Record<string, { shape: number[]; dtype: string; values: Array<number | boolean> }>;
    const got = loadTorchBin(join(BIN, 'odd_storages.bin'));
    assert.deepEqual([...got.keys()], Object.keys(expected));
    for (const [k, want] of Object.entries(expected)) {
      const t = got.get(k)!;
      assert.equal(t.dtype, want.dtype, k);
      assert.deepEqual(t.shape, want.shape, k);
      const flat = t.shape.length === 0 ? [t.toArray()] : (t.toArray() as unknown[]).flat(t.shape.length);
      assert.deepEqual(flat, want.values, k);
      t.dispose();
    }
  });

  test('the legacy (pre-zip) torch.save format gets a clear error', () => {
    refuses(() => loadTorchBin(join(BIN, 'odd_storages_legacy.bin')), /odd_storages_legacy\.bin uses PyTorch's legacy \(pre-1\.6\) torch\.save format.*re-save it/);
  });

  test('AutoModel-style fromPretrained of a .bin folder gives the weights of the safetensors folder', async () => {
    const { MODEL_CLASSES } = await import('../models/index');
    const dir = mkdtempSync(join(tmpdir(), 'hubtune-bin-'));
    try {
      for (const name of ['bert', 'roberta_mlm']) {
        const exp = JSON.parse(readFileSync(join(REF, name, 'expected.json'), 'utf8'));
        const C = MODEL_CLASSES[exp.model_class] as any;
        const fromBin = await C.fromPretrained(join(BIN, name), { quiet: true });
        const fromSt = await C.fromPretrained(join(REF, name), { quiet: true });
        const a = fromBin.stateDict();
        const b = fromSt.stateDict();
        for (const [k, t] of b) assert.ok(tidy(() => t.equal(a.get(k))), `${name}: ${k}`);
        assert.deepEqual(fromBin.loadingInfo.missingKeys, fromSt.loadingInfo.missingKeys);
        fromBin.dispose();
        fromSt.dispose();
      }
      // A folder with both formats takes model.safetensors (transformers' order).
      copyFileSync(join(BIN, 'bert', 'pytorch_model.bin'), join(dir, 'pytorch_model.bin'));
      copyFileSync(join(REF, 'bert', 'config.json'), join(dir, 'config.json'));
      writeFileSync(join(dir, 'model.safetensors'), 'not safetensors');
      const C = MODEL_CLASSES.BertModel as any;
      await assert.rejects(C.fromPretrained(dir, { quiet: true }), /safetensors|header/i);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// ---- hand-written checkpoints --------------------------------------------------------------------

function values(t: RawTensor): number[] {
  const dv = new DataView(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  const out: number[] = [];
  const size = t.data.byteLength / Math.max(1, t.shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < t.data.byteLength; i += size) {
    out.push(t.dtype === 'float32' ? dv.getFloat32(i, true) : t.dtype === 'int64' ? Number(dv.getBigInt64(i, true)) : t.dtype === 'float64' ? dv.getFloat64(i, true) : t.dtype === 'int32' ? dv.getInt32(i, true) : t.dtype === 'int16' ? dv.getInt16(i, true) : dv.getUint8(i));
  }
  return out;
}

describe('torch.save zip format (hand-written)', () => {
  test('views of one storage, parameters, every engine dtype, big- and little-endian', () => {
    const base = { dtype: 'float32' as const, data: f32([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]) };
    const i64 = new Uint8Array(new BigInt64Array([5n, -6n]).buffer);
    const sd: Record<string, SaveTensor> = {
      w: { storage: base, offset: 0, shape: [3, 4], stride: [4, 1], parameter: true, requiresGrad: true },
      t: { storage: base, offset: 0, shape: [4, 3], stride: [1, 4] },
      row: { storage: base, offset: 8, shape: [4], stride: [1] },
      every2: { storage: base, offset: 1, shape: [2, 3], stride: [6, 2] },
      ids: contiguous('int64', [2], i64),
      h: contiguous('int16', [2], new Uint8Array(new Int16Array([-3, 300]).buffer)),
      d: contiguous('float64', [1], new Uint8Array(new Float64Array([2.5]).buffer)),
      four: contiguous('float32', [1, 1, 1, 2], f32([7, 8])),
    };
    for (const byteorder of ['little', 'big', null] as const) {
      const got = readTorchStateDict(torchSave(sd, { byteorder, archiveName: 'pytorch_model' }), 'x.bin');
      assert.deepEqual([...got.keys()], Object.keys(sd));
      assert.deepEqual(values(got.get('w')!), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
      assert.deepEqual(values(got.get('t')!), [0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11]);
      assert.deepEqual(values(got.get('row')!), [8, 9, 10, 11]);
      assert.deepEqual(values(got.get('every2')!), [1, 3, 5, 7, 9, 11]);
      assert.deepEqual(values(got.get('ids')!), [5, -6]);
      assert.deepEqual(values(got.get('h')!), [-3, 300]);
      assert.deepEqual(values(got.get('d')!), [2.5]);
      assert.deepEqual(got.get('four')!.shape, [1, 1, 1, 2]);
    }
  });

  test('_rebuild_tensor_v3 (an untyped storage with the dtype given) and _rebuild_from_type_v2', () => {
    const p = new PickleBuilder().proto().emptyDict().mark().str('x')
      .global('torch._tensor', '_rebuild_from_type_v2').mark()
      .global('torch._utils', '_rebuild_tensor_v3')
      .global('torch', 'Tensor')
      .mark()
      .mark().str('storage').global('torch.storage', 'UntypedStorage').str('0').str('cpu').int(8).tuple().binpersid()
      .int(0).int(2).tuple1().int(1).tuple1().bool(false).global('collections', 'OrderedDict').emptyTuple().reduce().global('torch', 'float32')
      .tuple()
      .emptyDict().tuple()
      .reduce()
      .setitems().stop();
    const got = readTorchStateDict(checkpointZip(p.bytes(), new Map([['0', f32([1.5, -2])]])));
    assert.equal(got.get('x')!.dtype, 'float32');
    assert.deepEqual(values(got.get('x')!), [1.5, -2]);
  });

  test('OrderedDict state dicts with _metadata (BUILD) read like plain dicts', () => {
    const p = new PickleBuilder().proto().global('collections', 'OrderedDict').emptyTuple().reduce().put()
      .mark().str('a').global('torch._utils', '_rebuild_tensor_v2').mark()
      .mark().str('storage').global('torch', 'FloatStorage').str('0').str('cpu').int(1).tuple().binpersid()
      .int(0).emptyTuple().emptyTuple().bool(false).global('collections', 'OrderedDict').emptyTuple().reduce().tuple().reduce()
      .setitems()
      .emptyDict().str('_metadata').global('collections', 'OrderedDict').emptyTuple().reduce().setitem().build()
      .stop();
    const got = readTorchStateDict(checkpointZip(p.bytes(), new Map([['0', f32([4])]])));
    assert.deepEqual(values(got.get('a')!), [4]);
    assert.deepEqual(got.get('a')!.shape, []);
  });
});

// ---- hostile and broken checkpoints ----------------------------------------------------------------

/** A checkpoint whose pickle is `body` run on a fresh builder (PROTO already written). */
function hostile(body: (p: PickleBuilder) => PickleBuilder, storages = new Map<string, Uint8Array>([['0', f32([1, 2, 3, 4])]])): Uint8Array {
  return checkpointZip(body(new PickleBuilder().proto()).bytes(), storages);
}
const storage0 = (p: PickleBuilder, numel = 4, cls = 'FloatStorage') => p.mark().str('storage').global('torch', cls).str('0').str('cpu').int(numel).tuple().binpersid();
function tensorCall(p: PickleBuilder, o: { numel?: number; offset?: number; shape?: number[]; stride?: number[]; cls?: string } = {}): PickleBuilder {
  p.global('torch._utils', '_rebuild_tensor_v2').mark();
  storage0(p, o.numel ?? 4, o.cls);
  p.int(o.offset ?? 0).mark();
  for (const d of o.shape ?? [4]) p.int(d);
  p.tuple().mark();
  for (const d of o.stride ?? [1]) p.int(d);
  return p.tuple().bool(false).global('collections', 'OrderedDict').emptyTuple().reduce().tuple().reduce();
}
const inDict = (inner: (p: PickleBuilder) => PickleBuilder) => (p: PickleBuilder) => inner(p.emptyDict().str('x')).setitem().stop();

describe('hostile pickles are refused with one line, nothing executed or allocated', () => {
  const cases: Array<[string, Uint8Array, RegExp]> = [
    ['a global outside the allow-list (os.system)', hostile((p) => p.global('os', 'system').str('echo pwned').tuple1().reduce().stop()), /refusing global os\.system: torch\.load\(weights_only=True\) does not allow it/],
    ['builtins.eval', hostile((p) => p.global('builtins', 'eval').str('1').tuple1().reduce().stop()), /refusing global builtins\.eval/],
    ['__builtin__.getattr (Python 2 names are mapped, still refused)', hostile((p) => p.global('__builtin__', 'getattr').stop()), /refusing global builtins\.getattr/],
    ['subprocess via a torch-looking name', hostile((p) => p.global('torch', 'load').stop()), /refusing global torch\.load/],
    ['REDUCE on a value that is not a callable', hostile((p) => p.emptyDict().put().get(0).emptyTuple().reduce().stop()), /REDUCE on a dict, which is not an allowed callable/],
    ['REDUCE on an allowed value-only global', hostile((p) => p.global('torch', 'float32').emptyTuple().reduce().stop()), /torch\.float32 cannot be called here/],
    ['REDUCE with a non-tuple argument', hostile((p) => p.global('collections', 'OrderedDict').emptyDict().reduce().stop()), /called with a dict instead of an argument tuple/],
    ['nested BUILD (twice on one OrderedDict)', hostile((p) => p.global('collections', 'OrderedDict').emptyTuple().reduce().emptyDict().build().emptyDict().build().stop()), /BUILD applied twice/],
    ['BUILD on a plain dict', hostile((p) => p.emptyDict().emptyDict().build().stop()), /BUILD on a dict: only OrderedDict, Counter and tensors/],
    ['BUILD with state on a tensor', hostile(inDict((p) => tensorCall(p).emptyDict().str('k').int(1).setitem().build())), /BUILD with state on a tensor/],
    ['NEWOBJ on an allowed function', hostile((p) => p.global('torch._utils', '_rebuild_tensor_v2').emptyTuple().newobj().stop()), /NEWOBJ on torch\._utils\._rebuild_tensor_v2 is not supported/],
    ['APPEND to a dict', hostile((p) => p.emptyDict().int(1).append().stop()), /APPEND on a dict: only lists/],
    ['SETITEM on a list', hostile((p) => p.emptyList().int(1).int(2).setitem().stop()), /SETITEM on a list/],
    ['a persistent id that is not a storage', hostile((p) => p.mark().str('module').str('x').tuple().binpersid().stop()), /only storages may be loaded/],
    ['a storage type that is not a storage class', hostile((p) => p.mark().str('storage').global('torch', 'float32').str('0').str('cpu').int(1).tuple().binpersid().stop()), /torch\.float32 is not a storage class/],
    ['a dtype that does not exist', hostile((p) => storage0(p, 4, 'Float128Storage').stop()), /refusing global torch\.Float128Storage/],
    ['a storage declaring more than the archive holds', hostile(inDict((p) => tensorCall(p, { numel: 1000, shape: [4] }))), /storage '0' declares 1000 float32 elements \(4000 bytes\) but the archive holds 16 bytes/],
    ['a huge declared storage size', hostile(inDict((p) => tensorCall(p, { numel: 2 ** 52, shape: [4] }))), /declares 4503599627370496 float32 elements/],
    ['a storage offset beyond the data', hostile(inDict((p) => tensorCall(p, { offset: 3, shape: [4] }))), /reaches element 6, past the 4 elements of storage '0'/],
    ['a view whose strides run past the storage', hostile(inDict((p) => tensorCall(p, { shape: [2, 2], stride: [3, 1] }))), /past the 4 elements/],
    ['a huge declared shape', hostile(inDict((p) => tensorCall(p, { shape: [2 ** 40, 2 ** 40], stride: [1, 1] }))), /past the 4 elements/],
    ['a storage record missing from the archive', hostile(inDict((p) => tensorCall(p)), new Map()), /storage '0' is missing from the archive/],
    ['a storage key that could be a path', hostile((p) => p.mark().str('storage').global('torch', 'FloatStorage').str('../../etc/passwd').str('cpu').int(1).tuple().binpersid().stop()), /is not a plain record name/],
    ['an opcode weights_only refuses (STACK_GLOBAL)', hostile((p) => p.str('os').str('system').op(0x93).stop()), /unsupported opcode 0x93/],
    ['INST (protocol 0 object creation)', hostile((p) => p.mark().op(0x69, ...Buffer.from('os\nsystem\n')).stop()), /unsupported opcode 0x69/],
    ['a memo read before it is written', hostile((p) => p.get(7).stop()), /memo entry 7 is read before it is written/],
    ['stack underflow', hostile((p) => p.tuple2().stop()), /stack underflow/],
    ['a missing MARK', hostile((p) => p.tuple().stop()), /MARK missing/],
    ['a huge string length', hostile((p) => p.op(0x58, 0xff, 0xff, 0xff, 0x7f).stop()), /truncated: needs 2147483647 more bytes/],
    ['no STOP', hostile((p) => p.emptyDict()), /ends without STOP/],
    ['a root that is not a dict', hostile((p) => p.emptyList().stop()), /holds a list, not a state dict/],
    ['a non-tensor value', hostile((p) => p.emptyDict().str('x').int(1).setitem().stop()), /entry 'x' is not a tensor/],
  ];
  for (const [what, file, re] of cases) test(what, () => refuses(() => readTorchStateDict(file, 'evil.bin'), re));

  test('broken archives', () => {
    refuses(() => readTorchStateDict(new Uint8Array([1, 2, 3])), /not a PyTorch checkpoint/);
    const good = torchSave({ a: contiguous('float32', [2], f32([1, 2])) });
    refuses(() => readTorchStateDict(good.subarray(0, good.length - 30)), /no ZIP end-of-central-directory record|truncated|corrupt/);
    const flipped = new Uint8Array(good);
    flipped[good.indexOf(0x80) + 5] ^= 0xff; // inside data.pkl: the CRC catches it
    refuses(() => readTorchStateDict(flipped), /CRC-32|corrupt|refusing|unsupported|truncated/);
    refuses(() => readTorchStateDict(writeZip([{ name: 'a/other.txt', data: 'x' }])), /not a torch\.save checkpoint \(no data\.pkl\)/);
    refuses(() => readTorchStateDict(writeZip([{ name: 'archive/data.pkl', data: 'x', deflate: true, declaredSize: 1e9 }])), /more than deflate can produce/);
  });
});
