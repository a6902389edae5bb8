import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import {
  readSafetensors, readSafetensorsFile, readSafetensorsHeader, writeSafetensors, writeSafetensorsFile,
  readShardedIndex, readShardedSafetensors, writeSharded, parseFileSize, toTypedArray, toFloat32Array,
  SafetensorsError,
} from './safetensors';
import { needsShared, sharedPath } from '../../test/support/shared';

/** Builds a file from a header (object or raw string) and a data section of `dataLen` bytes. */
function raw(header: unknown, dataLen: number, opts: { headerLen?: bigint } = {}): Uint8Array {
  const json = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header), 'utf8');
  const out = new Uint8Array(8 + json.length + dataLen);
  new DataView(out.buffer).setBigUint64(0, opts.headerLen ?? BigInt(json.length), true);
  out.set(json, 8);
  for (let i = 0; i < dataLen; i++) out[8 + json.length + i] = i & 0xff;
  return out;
}

function throwsWith(fn: () => unknown, re: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof SafetensorsError, `expected SafetensorsError, got ${e}`);
    assert.match((e as Error).message, re);
    return true;
  });
}

function walk(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (e.name.endsWith('.safetensors')) out.push(p);
  }
  return out;
}

describe('safetensors: hand-made round trips', () => {
  test('write -> read gives the same tensors, metadata, and views without copies', () => {
    const w = new Float32Array([1, 2, 3, 4, 5, 6]);
    const ids = new BigInt64Array([7n, -8n]);
    const mask = new Uint8Array([1, 0, 1]);
    const half = new Uint16Array([0x3c00, 0xc000]); // 1, -2 in F16
    const bytes = writeSafetensors(
      { 'b.weight': { dtype: 'F32', shape: [2, 3], data: w }, ids: { dtype: 'I64', shape: [2], data: ids }, mask: { dtype: 'BOOL', shape: [3], data: mask }, h: { dtype: 'F16', shape: [2], data: half }, empty: { dtype: 'F32', shape: [0, 4], data: new Float32Array(0) } },
      { format: 'pt', note: 'héllo "q"' },
    );
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    assert.equal(n % 8, 0);
    const r = readSafetensors(bytes);
    assert.deepEqual(r.metadata, { format: 'pt', note: 'héllo "q"' });
    assert.deepEqual([...r.tensors.keys()], ['ids', 'b.weight', 'empty', 'h', 'mask']); // dtype rank desc, then name
    const bw = r.tensors.get('b.weight')!;
    assert.equal(bw.data.buffer, bytes.buffer); // a view
    assert.deepEqual(bw.shape, [2, 3]);
    assert.deepEqual([...(toTypedArray(bw) as Float32Array)], [1, 2, 3, 4, 5, 6]);
    assert.deepEqual([...(toTypedArray(r.tensors.get('ids')!) as BigInt64Array)], [7n, -8n]);
    assert.deepEqual([...toFloat32Array(r.tensors.get('h')!)], [1, -2]);
    assert.deepEqual(r.tensors.get('empty')!.shape, [0, 4]);
    // read -> write reproduces the bytes
    assert.deepEqual(writeSafetensors(r.tensors, r.metadata), bytes);
  });

  test('header JSON is compact, ordered like the reference and space padded', () => {
    const bytes = writeSafetensors({ b: { dtype: 'U8', shape: [1], data: new Uint8Array([9]) }, a: { dtype: 'U8', shape: [1], data: new Uint8Array([8]) } });
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    const header = Buffer.from(bytes.subarray(8, 8 + n)).toString('utf8');
    assert.equal(header.trimEnd(), '{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"b":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}');
    assert.match(header, /^[^ ]+ *$/);
    assert.deepEqual([...bytes.subarray(8 + n)], [8, 9]);
    assert.equal(readSafetensors(bytes).metadata, null);
  });

  test('integer-like tensor names keep their order and BF16 decodes', () => {
    const bytes = writeSafetensors({ '10': { dtype: 'BF16', shape: [1], data: new Uint16Array([0x3f80]) }, '2': { dtype: 'BF16', shape: [1], data: new Uint16Array([0xc040]) } });
    const r = readSafetensors(bytes);
    assert.deepEqual([...r.tensors.keys()], ['10', '2']);
    assert.deepEqual([...toFloat32Array(r.tensors.get('2')!)], [-3]);
  });

  test('writeSafetensorsFile is atomic and readSafetensorsFile/Header read it back', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hubtune-st-'));
    try {
      const p = join(dir, 'model.safetensors');
      writeFileSync(p, 'old contents');
      writeSafetensorsFile(p, { x: { dtype: 'F64', shape: [2], data: new Float64Array([0.5, -1]) } }, { format: 'pt' });
      assert.deepEqual(readdirSync(dir), ['model.safetensors']); // no temp file left
      const r = readSafetensorsFile(p);
      assert.deepEqual([...(toTypedArray(r.tensors.get('x')!) as Float64Array)], [0.5, -1]);
      const h = readSafetensorsHeader(p);
      assert.deepEqual(h.tensors.get('x'), { dtype: 'F64', shape: [2], dataOffsets: [0, 16] });
      // a failing write leaves the old file in place and no temp file
      assert.throws(() => writeSafetensorsFile(p, { y: { dtype: 'F32', shape: [3], data: new Float32Array(2) } }), /tensor 'y' data has 8 bytes but shape \[3\] of F32 needs 12/);
      assert.deepEqual(readdirSync(dir), ['model.safetensors']);
      assert.ok(readSafetensorsFile(p).tensors.has('x'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('bad tensors to write give clear errors', () => {
    throwsWith(() => writeSafetensors({ a: { dtype: 'Q4', shape: [1], data: new Uint8Array(1) } }), /tensor 'a' has unknown dtype "Q4"/);
    throwsWith(() => writeSafetensors({ a: { dtype: 'F32', shape: [-1], data: new Uint8Array(1) } }), /shape must be an array of non-negative integers/);
    throwsWith(() => writeSafetensors({ a: { dtype: 'F32', shape: [1], data: new Float32Array(1) } }, { n: 3 as unknown as string }), /metadata value for key 'n' must be a string/);
    throwsWith(() => writeSafetensors({ __metadata__: { dtype: 'F32', shape: [1], data: new Float32Array(1) } }), /reserved/);
  });
});

describe('safetensors: hostile files', () => {
  const ok = { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } };

  test('a well-formed hand-made file loads', () => {
    const r = readSafetensors(raw(ok, 8), 'x.safetensors');
    assert.deepEqual(r.tensors.get('a')!.shape, [2]);
  });
  test('truncated below 8 bytes', () => {
    throwsWith(() => readSafetensors(new Uint8Array(5), 'model.safetensors'), /^model\.safetensors: 5 bytes is too small/);
  });
  test('header length larger than the file', () => {
    throwsWith(() => readSafetensors(raw(ok, 8, { headerLen: 4000n }), 'm.safetensors'), /m\.safetensors: header length 4000 goes past the end of the file \(\d+ bytes\)/);
  });
  test('header length over the 100 MB bound (no allocation)', () => {
    throwsWith(() => readSafetensors(raw(ok, 8, { headerLen: 0xffff_ffff_ffffn }), 'm.safetensors'), /exceeds the 100000000-byte limit/);
  });
  test('truncated data section', () => {
    const full = raw(ok, 8);
    throwsWith(() => readSafetensors(full.subarray(0, full.length - 3), 'm.safetensors'), /tensor 'a' data_offsets \[0, 8\] out of the data section \(5 bytes\)/);
  });
  test('offsets out of range', () => {
    throwsWith(() => readSafetensors(raw({ a: { dtype: 'U8', shape: [4], data_offsets: [100, 104] } }, 8), 'model.safetensors'),
      /^model\.safetensors: tensor 'a' data_offsets \[100, 104\] out of the data section \(8 bytes\)$/);
  });
  test('overlapping tensors', () => {
    const h = { a: { dtype: 'U8', shape: [4], data_offsets: [0, 4] }, b: { dtype: 'U8', shape: [4], data_offsets: [2, 6] } };
    throwsWith(() => readSafetensors(raw(h, 6), 'm.safetensors'), /tensor 'b' data_offsets \[2, 6\] overlap tensor 'a'/);
  });
  test('gap in the data section, and trailing bytes', () => {
    const h = { a: { dtype: 'U8', shape: [2], data_offsets: [0, 2] }, b: { dtype: 'U8', shape: [2], data_offsets: [4, 6] } };
    throwsWith(() => readSafetensors(raw(h, 6), 'm.safetensors'), /tensor 'b' .* leave a gap: bytes 2\.\.4/);
    throwsWith(() => readSafetensors(raw(ok, 12), 'm.safetensors'), /data section has 12 bytes but the tensors cover only 8/);
  });
  test('size mismatch between offsets and shape', () => {
    throwsWith(() => readSafetensors(raw({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, 8), 'm.safetensors'), /hold 8 bytes but shape \[3\] of F32 needs 12/);
  });
  test('unknown dtype', () => {
    throwsWith(() => readSafetensors(raw({ a: { dtype: 'F128', shape: [1], data_offsets: [0, 16] } }, 16), 'm.safetensors'), /tensor 'a' has unknown dtype "F128" \(known: BOOL/);
  });
  test('byte size overflow is rejected without allocating', () => {
    const h = { a: { dtype: 'F64', shape: [2 ** 31, 2 ** 31, 2 ** 31], data_offsets: [0, 8] } };
    throwsWith(() => readSafetensors(raw(h, 8), 'm.safetensors'), /byte size of shape \[2147483648, 2147483648, 2147483648\] x F64 overflows/);
    throwsWith(() => readSafetensors(raw('{"a":{"dtype":"U8","shape":[18446744073709551617],"data_offsets":[0,1]}}', 1), 'm.safetensors'), /shape must be an array of non-negative integers/);
  });
  test('non-string metadata, bad JSON, non-object header, bad UTF-8', () => {
    throwsWith(() => readSafetensors(raw({ __metadata__: { format: 'pt', epoch: 3 }, ...ok }, 8), 'm.safetensors'), /__metadata__ value for key 'epoch' must be a string, got number/);
    throwsWith(() => readSafetensors(raw('{"a": {', 0), 'm.safetensors'), /header is not valid JSON/);
    throwsWith(() => readSafetensors(raw('[1,2]', 0), 'm.safetensors'), /header must be a JSON object, got an array/);
    const bad = raw('{"a":1}', 0);
    bad[9] = 0xff;
    throwsWith(() => readSafetensors(bad, 'm.safetensors'), /not valid UTF-8/);
    throwsWith(() => readSafetensors(raw({ a: { dtype: 'F32', shape: [1] } }, 4), 'm.safetensors'), /data_offsets must be \[begin, end\]/);
  });
  test('header reader rejects the same hostile files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hubtune-st-'));
    try {
      const p = join(dir, 'bad.safetensors');
      writeFileSync(p, raw(ok, 8, { headerLen: 1n << 40n }));
      throwsWith(() => readSafetensorsHeader(p), /^bad\.safetensors: header length \d+ exceeds/);
      writeFileSync(p, raw({ a: { dtype: 'U8', shape: [4], data_offsets: [0, 4] } }, 2));
      throwsWith(() => readSafetensorsHeader(p), /out of the data section \(2 bytes\)/);
      throwsWith(() => readSafetensorsFile(p), /^bad\.safetensors: tensor 'a'/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('safetensors: sharded checkpoints', () => {
  test('writeSharded splits like transformers and readShardedSafetensors reads it back', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hubtune-st-'));
    try {
      const t = (n: number, v: number) => ({ dtype: 'F32', shape: [n], data: new Float32Array(n).fill(v) });
      const tensors = { 'emb.weight': t(10, 1), 'l0.weight': t(10, 2), 'l0.bias': t(2, 3), 'big': t(40, 4), 'head': t(1, 5) };
      writeFileSync(join(dir, 'model-00001-of-00009.safetensors'), 'stale');
      writeFileSync(join(dir, 'model.safetensors'), 'stale single file');
      const res = writeSharded(dir, tensors, { maxShardSize: 88 });
      assert.equal(writeSharded(join(dir, 'sub/dir'), tensors).files[0], 'model.safetensors'); // creates the folder
      rmSync(join(dir, 'sub'), { recursive: true });
      // 40+40 = 80 <= 88, +8 = 88 <= 88; big (160) alone; head in a new shard
      assert.deepEqual(res.files, ['model-00001-of-00003.safetensors', 'model-00002-of-00003.safetensors', 'model-00003-of-00003.safetensors']);
      assert.deepEqual(readdirSync(dir).sort(), [...res.files, 'model.safetensors.index.json'].sort());
      const idxText = readFileSync(join(dir, 'model.safetensors.index.json'), 'utf8');
      assert.ok(idxText.startsWith('{\n  "metadata": {\n    "total_size": 252\n  },\n  "weight_map": {\n    "big": "model-00002-of-00003.safetensors",\n'));
      assert.ok(idxText.endsWith('}\n}\n'));
      const idx = readShardedIndex(dir);
      assert.equal(idx.totalSize, 252);
      assert.equal(idx.weightMap.get('l0.bias'), 'model-00001-of-00003.safetensors');
      const all = readShardedSafetensors(dir);
      assert.equal(all.tensors.size, 5);
      assert.deepEqual(all.metadata, { format: 'pt' });
      assert.deepEqual([...(toTypedArray(all.tensors.get('head')!) as Float32Array)], [5]);
      // a later single-file save removes the shards and the index
      writeSharded(dir, { x: t(1, 0) }, { maxShardSize: '5GB' });
      assert.deepEqual(readdirSync(dir), ['model.safetensors']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('bad indexes give clear errors', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hubtune-st-'));
    try {
      throwsWith(() => readShardedIndex(dir), /model\.safetensors\.index\.json: not found/);
      const p = join(dir, 'model.safetensors.index.json');
      writeFileSync(p, '{"weight_map": {"a": "../../etc/passwd"}}');
      throwsWith(() => readShardedIndex(dir), /must be a plain file name/);
      writeFileSync(p, '{"weight_map": [1]}');
      throwsWith(() => readShardedIndex(dir), /"weight_map" must be an object/);
      writeFileSync(p, '{"weight_map": {"a": "model-00001-of-00002.safetensors"}}');
      throwsWith(() => readShardedSafetensors(dir), /shard 'model-00001-of-00002\.safetensors' is listed but missing/);
      writeFileSync(join(dir, 'model-00001-of-00002.safetensors'), writeSafetensors({ b: { dtype: 'U8', shape: [1], data: new Uint8Array(1) } }));
      throwsWith(() => readShardedSafetensors(dir), /tensor 'a' is listed in model\.safetensors\.index\.json but not in the shard/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('parseFileSize follows transformers units', () => {
    assert.equal(parseFileSize('5GB'), 5e9);
    assert.equal(parseFileSize('2GiB'), 2 * 2 ** 30);
    assert.equal(parseFileSize('500MB'), 5e8);
    assert.equal(parseFileSize('8Gb'), 1e9);
    assert.equal(parseFileSize(1234), 1234);
    assert.throws(() => parseFileSize('lots'), /not understood/);
  });
});

describe('safetensors: Python reference fixtures', needsShared, () => {
  test('every .safetensors file under ../shared/fixtures loads and re-serialises losslessly', () => {
    const root = sharedPath('fixtures');
    const files = walk(root);
    assert.ok(files.length > 0);
    for (const f of files) {
      const r = readSafetensorsFile(f);
      assert.ok(r.tensors.size > 0, relative(root, f));
      assert.ok(r.metadata && typeof r.metadata.format === 'string', relative(root, f));
      const again = readSafetensors(writeSafetensors(r.tensors, r.metadata));
      assert.deepEqual(again.metadata, r.metadata);
      assert.equal(again.tensors.size, r.tensors.size);
      for (const [name, t] of r.tensors) {
        const u = again.tensors.get(name)!;
        assert.equal(u.dtype, t.dtype);
        assert.deepEqual(u.shape, t.shape);
        assert.ok(Buffer.from(u.data).equals(Buffer.from(t.data)), `${relative(root, f)}: ${name}`);
      }
      // files with a single dtype were written in name order, which is also the reference's order
      if (new Set([...r.tensors.values()].map((t) => t.dtype)).size === 1) {
        assert.ok(Buffer.from(writeSafetensors(r.tensors, r.metadata)).equals(readFileSync(f)), `${relative(root, f)} bytes differ`);
      }
    }
  });

  test('known fixture contents', () => {
    const r = readSafetensorsFile(sharedPath('fixtures/hf-reference/optim/tensors.safetensors'));
    const w = r.tensors.get('init.classifier.weight')!;
    assert.equal(w.dtype, 'F32');
    assert.deepEqual(w.shape, [3, 6]);
    assert.ok(existsSync(sharedPath('fixtures/hf-reference/models/bert/model.safetensors')));
    const bert = readSafetensorsHeader(sharedPath('fixtures/hf-reference/models/bert/model.safetensors'));
    assert.ok(bert.tensors.has('bert.embeddings.LayerNorm.bias'));
  });
});
