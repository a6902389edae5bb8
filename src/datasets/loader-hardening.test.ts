// Parquet and Arrow files checked before the libraries loop or allocate on their counts: num_rows
// against the row groups, column chunks against the file size, Arrow header vectors against the
// header, save_to_disk metadata; each failure a one-line DatasetError naming the file.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parquetMetadata } from 'hyparquet';
import { Features, Value, Sequence } from './features';
import { writeParquet, openParquet } from './parquet';
import { Dataset } from './dataset';
import { loadFromDisk } from './load';
import { DatasetError } from './errors';
import { verifyArrowMessage } from './arrow-verify';

let root = '';
before(() => { root = mkdtempSync(join(tmpdir(), 'ds-harden-')); });
after(() => rmSync(root, { recursive: true, force: true }));

const features = new Features([['id', new Value('int64')], ['text', new Value('string')], ['tokens', new Sequence({ feature: new Value('int32') })]]);
const columns = { id: [1, 2, 3, 4, 5], text: ['a', 'bb', null, 'dddd', 'e'], tokens: [[1], [], [2, 3], [4, 5, 6], [7]] };

async function refused(p: Promise<unknown> | (() => unknown), file: string, what: RegExp): Promise<void> {
  await assert.rejects(async () => (typeof p === 'function' ? p() : p), (e: Error) => {
    assert.ok(e instanceof DatasetError, `${e.name}: ${e.message}`);
    assert.ok(e.message.includes(file), `no file in: ${e.message}`);
    assert.match(e.message, what);
    assert.ok(!e.message.includes('\n'));
    return true;
  });
}

async function readAll(t: Awaited<ReturnType<typeof openParquet>>): Promise<unknown[][]> {
  return Promise.all([...t.columns.values()].map((c) => c.range(0, t.numRows)));
}

test('parquet: a valid file reads through the bounded decoder', async () => {
  const f = join(root, 'ok.parquet');
  writeParquet(f, features, columns, { rowGroupSize: 2 });
  const t = await openParquet(f);
  assert.equal(t.numRows, 5);
  const [id, text, tokens] = await readAll(t);
  assert.deepEqual(id, [1, 2, 3, 4, 5]);
  assert.deepEqual(text, ['a', 'bb', null, 'dddd', 'e']);
  assert.deepEqual(tokens, [[1], [], [2, 3], [4, 5, 6], [7]]);
});

test('parquet: num_rows that disagrees with the row groups is refused at open', async () => {
  const f = join(root, 'rows.parquet');
  writeParquet(f, features, columns, { rowGroupSize: 2 });
  const buf = readFileSync(f);
  const footerLen = buf.readUInt32LE(buf.length - 8);
  const footerStart = buf.length - 8 - footerLen;
  // FileMetaData field 3 (num_rows, i64): header byte 0x16, zigzag varint 10 (= 5 rows)
  const at = buf.indexOf(Buffer.from([0x16, 0x0a]), footerStart);
  assert.ok(at > 0);
  buf[at + 1] = 0x0c; // 6 rows
  writeFileSync(f, buf);
  assert.equal(parquetMetadata(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length)).num_rows, 6n);
  await refused(openParquet(f), 'rows.parquet', /num_rows 6 but its row groups hold 5 rows/);
});

test('parquet: column chunks past the end of the file are refused before any page is read', async () => {
  const f = join(root, 'cut.parquet');
  writeParquet(f, features, columns, { rowGroupSize: 2 });
  const buf = readFileSync(f);
  const footerLen = buf.readUInt32LE(buf.length - 8);
  const footer = buf.subarray(buf.length - 8 - footerLen);
  // drop 40 bytes of pages: the footer's offsets now point past the shorter file
  writeFileSync(f, Buffer.concat([buf.subarray(0, 4), buf.subarray(44, buf.length - 8 - footerLen), footer]));
  await refused(openParquet(f), 'cut.parquet', /do not fit the \d+-byte file before its footer/);
});

test('parquet: a decode that runs past its time bound ends the worker with a DatasetError', async () => {
  const f = join(root, 'slow.parquet');
  const n = 300_000;
  writeParquet(f, new Features([['s', new Value('string')]]), { s: Array.from({ length: n }, (_, i) => `value ${i} ${'x'.repeat(i % 50)}`) }, { rowGroupSize: n });
  const t = await openParquet(f);
  const prev = process.env.HUBTUNE_PARQUET_DECODE_TIMEOUT_MS;
  process.env.HUBTUNE_PARQUET_DECODE_TIMEOUT_MS = '1';
  try {
    await refused(t.columns.get('s')!.range(0, n), 'slow.parquet', /column 's', rows 0-299999: decoding did not finish in 0\.0 s/);
  } finally {
    if (prev === undefined) delete process.env.HUBTUNE_PARQUET_DECODE_TIMEOUT_MS; else process.env.HUBTUNE_PARQUET_DECODE_TIMEOUT_MS = prev;
  }
  // the next job gets a fresh worker
  const again = await openParquet(f);
  assert.equal((await again.columns.get('s')!.range(0, 3)).length, 3);
});

async function savedDataset(name: string): Promise<{ dir: string; arrow: string }> {
  const dir = join(root, name);
  await Dataset.fromDict(columns, { features }).saveToDisk(dir);
  return { dir, arrow: join(dir, readdirSync(dir).find((f) => f.endsWith('.arrow'))!) };
}

test('Arrow: a corrupt flatbuffer vector length in the schema is refused before apache-arrow reads it', async () => {
  const { dir, arrow } = await savedDataset('vec');
  const buf = readFileSync(arrow);
  // the schema's fields vector: its length (3) is a u32 somewhere in the first message's header
  const metaLen = buf.readInt32LE(4);
  const meta = buf.subarray(8, 8 + metaLen);
  let patched = 0;
  for (let i = 0; i + 4 <= meta.length; i += 4) {
    if (meta.readUInt32LE(i) === 3) {
      const copy = Buffer.from(buf);
      copy.writeUInt32LE(0x7fffffff, 8 + i);
      writeFileSync(arrow, copy);
      try {
        await loadFromDisk(dir);
      } catch (e) {
        if (e instanceof DatasetError && /claims 2147483647 entries/.test((e as Error).message)) { patched++; assert.ok((e as Error).message.includes(arrow)); }
      }
    }
  }
  assert.ok(patched >= 1, 'the fields vector length was found and refused');
});

test('Arrow: list and string offsets past their values or out of order are refused, not looped over', async () => {
  const int32s = (xs: number[]) => Buffer.from(new Int32Array(xs).buffer);
  // tokens [[1], [], [2, 3], [4, 5, 6], [7]] and text ['a', 'bb', null, 'dddd', 'e'] as saved
  const cases: [string, number[], number, number, RegExp][] = [
    ['tokens', [0, 1, 1, 3, 6, 7], 3, 1_225_785_354, /column 'tokens'.*offset 1225785354 at value 2 is out of order or past the 7 values/],
    ['tokens', [0, 1, 1, 3, 6, 7], 2, 5, /column 'tokens'.*offset 3 at value 2 is out of order/],
    ['text', [0, 1, 3, 3, 7, 8], 4, 0x7fff0000, /column 'text'.*offset 2147418112 at value 3 is out of order or past the 8 values/],
  ];
  for (const [column, offsets, at, value, re] of cases) {
    const { dir, arrow } = await savedDataset(`offsets-${column}-${at}`);
    const buf = readFileSync(arrow);
    const pos = buf.indexOf(int32s(offsets));
    assert.ok(pos > 0, `the ${column} offsets are in the file`);
    buf.writeInt32LE(value, pos + 4 * at);
    writeFileSync(arrow, buf);
    const ds = await loadFromDisk(dir) as Dataset;
    await assert.rejects(async () => ds.toList(), (e: Error) => e instanceof DatasetError && re.test(e.message) && e.message.includes('.arrow') && !e.message.includes('\n'));
  }
});

test('Arrow: verifier limits on tables, and record-batch buffers past the body', () => {
  // a root offset past the header
  assert.throws(() => verifyArrowMessage(Uint8Array.from([0xff, 0, 0, 0]), 'x.arrow'), (e: Error) => e instanceof DatasetError && /x\.arrow: .*root offset/.test(e.message));
  assert.throws(() => verifyArrowMessage(new Uint8Array(2), 'x.arrow'), DatasetError);
});

test('save_to_disk folders: state.json may not point outside the folder; bad JSON names the file', async () => {
  const { dir } = await savedDataset('state');
  const state = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8'));
  writeFileSync(join(dir, 'state.json'), JSON.stringify({ ...state, _data_files: [{ filename: '../../etc/passwd' }] }));
  await refused(loadFromDisk(dir), 'state.json', /_data_files\[0\]\.filename must be a file name/);
  writeFileSync(join(dir, 'state.json'), '{"_data_files": ' + '['.repeat(10_000));
  await refused(loadFromDisk(dir), 'state.json', /nests deeper/);
  writeFileSync(join(dir, 'state.json'), JSON.stringify({ ...state, _data_files: 'data.arrow' }));
  await refused(loadFromDisk(dir), 'state.json', /_data_files must be a list/);
  writeFileSync(join(dir, 'state.json'), JSON.stringify(state));
  writeFileSync(join(dir, 'dataset_info.json'), JSON.stringify({ features: { id: { _type: 'Nope' } } }));
  await refused(loadFromDisk(dir), 'dataset_info.json', /features/);
});

test('a DatasetError stays one line when a corrupt file names a column with control characters', () => {
  assert.equal(new DatasetError("x.parquet: column 'a\nb\u0000'").message, "x.parquet: column 'a\\x0ab\\x00'");
});
