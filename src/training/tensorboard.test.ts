// TensorBoard event files read back by a reader written independently of the writer: a bitwise
// CRC32C (checked against the standard check value), its own TFRecord framing and protobuf decoding.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SummaryWriter, rewriteLogs } from './tensorboard';
import { Trainer, TrainingArguments, setSeed } from './index';
import { tinyRoberta, tinyTextDataset, padCollator } from '../../test/support/tiny-models';

process.env.HUBTUNE_QUIET_TRAINER = '1';

// ---- the independent reader

function crc32cBitwise(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of data) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0x82f63b78 & -(crc & 1));
  }
  return (~crc) >>> 0;
}
const unmask = (m: number) => { const r = (m - 0xa282ead8) >>> 0; return ((r >>> 17) | (r << 15)) >>> 0; };

function readRecords(buf: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let at = 0;
  while (at < buf.length) {
    const len = Number(buf.readBigUInt64LE(at));
    assert.equal(unmask(buf.readUInt32LE(at + 8)), crc32cBitwise(buf.subarray(at, at + 8)), `length CRC of the record at ${at}`);
    const data = buf.subarray(at + 12, at + 12 + len);
    assert.equal(unmask(buf.readUInt32LE(at + 12 + len)), crc32cBitwise(data), `payload CRC of the record at ${at}`);
    out.push(data);
    at += 16 + len;
  }
  assert.equal(at, buf.length, 'no trailing bytes');
  return out;
}

type Field = { no: number; wire: number; value: bigint | number | Buffer };
function decode(buf: Buffer): Field[] {
  const fields: Field[] = [];
  let i = 0;
  const varint = () => { let r = 0n, s = 0n; for (;;) { const b = buf[i++]!; r |= BigInt(b & 0x7f) << s; s += 7n; if (!(b & 0x80)) return r; } };
  while (i < buf.length) {
    const key = Number(varint());
    const no = key >> 3, wire = key & 7;
    if (wire === 0) fields.push({ no, wire, value: varint() });
    else if (wire === 1) { fields.push({ no, wire, value: buf.readDoubleLE(i) }); i += 8; }
    else if (wire === 5) { fields.push({ no, wire, value: buf.readFloatLE(i) }); i += 4; }
    else if (wire === 2) { const n = Number(varint()); fields.push({ no, wire, value: buf.subarray(i, i + n) }); i += n; }
    else throw new Error(`wire type ${wire}`);
  }
  return fields;
}
const get = (f: Field[], no: number) => f.find((x) => x.no === no)?.value;

interface ReadEvent { wallTime: number; step: number; fileVersion?: string; scalars: [string, number][]; texts: [string, string, string][] }
function readEvents(path: string): ReadEvent[] {
  return readRecords(readFileSync(path)).map((rec) => {
    const f = decode(rec);
    const ev: ReadEvent = { wallTime: get(f, 1) as number, step: Number(get(f, 2) ?? 0n), scalars: [], texts: [] };
    const fv = get(f, 3);
    if (fv) ev.fileVersion = (fv as Buffer).toString('utf8');
    const summary = get(f, 5) as Buffer | undefined;
    for (const v of summary ? decode(summary).filter((x) => x.no === 1) : []) {
      const vf = decode(v.value as Buffer);
      const tag = (get(vf, 1) as Buffer).toString('utf8');
      if (get(vf, 2) !== undefined) ev.scalars.push([tag, get(vf, 2) as number]);
      const tensor = get(vf, 8) as Buffer | undefined;
      if (tensor) {
        const plugin = (get(decode(get(decode(get(vf, 9) as Buffer), 1) as Buffer), 1) as Buffer).toString('utf8');
        const tf = decode(tensor);
        assert.equal(get(tf, 1), 7n, 'DT_STRING');
        ev.texts.push([tag, plugin, (get(tf, 8) as Buffer).toString('utf8')]);
      }
    }
    return ev;
  });
}

// ---- tests

test('the reader\'s CRC32C gives the standard check value, and agrees with the writer\'s records', () => {
  assert.equal(crc32cBitwise(Buffer.from('123456789')), 0xe3069283);
  const dir = mkdtempSync(join(tmpdir(), 'hubtune-tb-'));
  try {
    const w = new SummaryWriter(dir);
    w.addScalar('train/loss', 0.5, 3);
    w.addScalar('eval/accuracy', 0.875, 0);
    w.addText('args', '{"a": 1} — ünïcode');
    w.close();
    assert.match(w.path, /events\.out\.tfevents\.\d{10}\.[^.]+\.\d+\.\d+$/);
    const evs = readEvents(w.path);
    assert.equal(evs[0]!.fileVersion, 'brain.Event:2');
    assert.deepEqual(evs[1]!.scalars, [['train/loss', 0.5]]);
    assert.equal(evs[1]!.step, 3);
    assert.deepEqual(evs[2]!.scalars, [['eval/accuracy', 0.875]]);
    assert.deepEqual(evs[3]!.texts, [['args/text_summary', 'text', '{"a": 1} — ünïcode']]);
    for (const e of evs) assert.ok(Math.abs(e.wallTime - Date.now() / 1000) < 600);
    assert.throws(() => w.addScalar('x', 1, 1), /closed/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('rewriteLogs groups keys as transformers does', () => {
  assert.deepEqual(rewriteLogs({ loss: 1, eval_loss: 2, test_f1: 3, epoch: 1 }), { 'train/loss': 1, 'eval/loss': 2, 'test/f1': 3, 'train/epoch': 1 });
});

test("reportTo: ['tensorboard'] writes every logged scalar under loggingDir, with the args and model config as text", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hubtune-tb-'));
  try {
    setSeed(0);
    const trainer = new Trainer({
      model: tinyRoberta({ seed: 0 }),
      args: new TrainingArguments({ outputDir: dir, reportTo: ['tensorboard'], perDeviceTrainBatchSize: 4, maxSteps: 6, loggingSteps: 2, evalStrategy: 'steps', evalSteps: 3, saveStrategy: 'no', disableTqdm: true }),
      trainDataset: tinyTextDataset(24, { seed: 1 }),
      evalDataset: tinyTextDataset(8, { seed: 2 }),
      dataCollator: padCollator,
    });
    await trainer.train();
    const logDir = trainer.args.loggingDir!;
    const files = readdirSync(logDir).filter((f) => f.startsWith('events.out.tfevents.'));
    assert.equal(files.length, 1);
    const evs = readEvents(join(logDir, files[0]!));
    const scalars = evs.flatMap((e) => e.scalars.map(([tag, v]) => [tag, e.step, v] as const));
    // Every numeric value of the log history is there, at its step, as float32.
    for (const entry of trainer.state.logHistory) {
      for (const [k, v] of Object.entries(rewriteLogs(entry))) {
        if (k === 'train/step' || typeof v !== 'number') continue;
        assert.ok(scalars.some(([t, s, x]) => t === k && s === entry.step && x === Math.fround(v)), `${k} at step ${entry.step}`);
      }
    }
    assert.deepEqual([...new Set(scalars.filter(([t]) => t === 'train/loss').map(([, s]) => s))], [2, 4, 6]);
    assert.deepEqual([...new Set(scalars.filter(([t]) => t === 'eval/loss').map(([, s]) => s))], [3, 6]);
    const texts = evs.flatMap((e) => e.texts);
    assert.equal(JSON.parse(texts.find(([t]) => t === 'args/text_summary')![2]).report_to[0], 'tensorboard');
    assert.equal(JSON.parse(texts.find(([t]) => t === 'model_config/text_summary')![2]).model_type, 'roberta');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
