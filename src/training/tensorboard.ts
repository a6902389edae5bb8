// TensorBoard event files, as torch.utils.tensorboard's SummaryWriter writes them: TFRecord framing
// (length, masked CRC32C of the length, payload, masked CRC32C of the payload) around `Event`
// protobufs. Only what transformers' TensorBoardCallback logs: scalars (simple_value) and text.
import fs from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { TrainingArguments } from './training-args';
import type { TrainerState } from './trainer-state';
import type { CallbackExtras, TrainerCallback, TrainerControl } from './callbacks';

// ------------------------------------------------------------------ CRC32C (Castagnoli)

const CRC32C_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32c(data: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = CRC32C_TABLE[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** TFRecord's masked CRC: rotate right by 15 and add a constant, so CRCs of CRCs stay useful. */
export function maskedCrc32c(data: Uint8Array): number {
  const c = crc32c(data);
  return ((((c >>> 15) | (c << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

/** One TFRecord: uint64 length, masked CRC of those 8 bytes, payload, masked CRC of the payload. */
export function tfRecord(payload: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + payload.length + 4);
  out.writeBigUInt64LE(BigInt(payload.length), 0);
  out.writeUInt32LE(maskedCrc32c(out.subarray(0, 8)), 8);
  out.set(payload, 12);
  out.writeUInt32LE(maskedCrc32c(payload), 12 + payload.length);
  return out;
}

// ------------------------------------------------------------------ protobuf encoding (the few fields needed)

class ProtoWriter {
  private parts: Buffer[] = [];
  private varint(v: bigint): void {
    const bytes: number[] = [];
    let x = BigInt.asUintN(64, v);
    do {
      let b = Number(x & 0x7fn);
      x >>= 7n;
      if (x) b |= 0x80;
      bytes.push(b);
    } while (x);
    this.parts.push(Buffer.from(bytes));
  }
  private key(field: number, wire: number): void { this.varint(BigInt((field << 3) | wire)); }
  int(field: number, v: number | bigint): this {
    // proto3: default values are not written.
    if (BigInt(v) !== 0n) { this.key(field, 0); this.varint(BigInt(v)); }
    return this;
  }
  double(field: number, v: number): this {
    const b = Buffer.alloc(8); b.writeDoubleLE(v);
    this.key(field, 1); this.parts.push(b);
    return this;
  }
  float(field: number, v: number): this {
    const b = Buffer.alloc(4); b.writeFloatLE(v);
    this.key(field, 5); this.parts.push(b);
    return this;
  }
  bytes(field: number, v: Uint8Array | string): this {
    const b = typeof v === 'string' ? Buffer.from(v, 'utf8') : Buffer.from(v);
    this.key(field, 2); this.varint(BigInt(b.length)); this.parts.push(b);
    return this;
  }
  message(field: number, m: ProtoWriter): this { return this.bytes(field, m.finish()); }
  finish(): Buffer { return Buffer.concat(this.parts); }
}

const DT_STRING = 7;

/** Summary.Value with a scalar, as `add_scalar` writes it (simple_value, float32). */
function scalarValue(tag: string, value: number): ProtoWriter {
  return new ProtoWriter().bytes(1, tag).float(2, value);
}

/** Summary.Value with a text tensor and the "text" plugin's metadata, as `add_text` writes it. */
function textValue(tag: string, text: string): ProtoWriter {
  const metadata = new ProtoWriter().message(1, new ProtoWriter().bytes(1, 'text'));
  const shape = new ProtoWriter().message(2, new ProtoWriter().int(1, 1));
  const tensor = new ProtoWriter().int(1, DT_STRING).message(2, shape).bytes(8, text);
  return new ProtoWriter().bytes(1, `${tag}/text_summary`).message(9, metadata).message(8, tensor);
}

function event(step: number, build: (e: ProtoWriter) => void): Buffer {
  const e = new ProtoWriter().double(1, Date.now() / 1000).int(2, step);
  build(e);
  return e.finish();
}

// ------------------------------------------------------------------ writer

let uid = 0;

/** The subset of torch.utils.tensorboard.SummaryWriter the Trainer needs; every record is one append. */
export class SummaryWriter {
  readonly path: string;
  private fd: number | null;

  constructor(readonly logDir: string) {
    fs.mkdirSync(logDir, { recursive: true });
    const stamp = String(Math.floor(Date.now() / 1000)).padStart(10, '0');
    this.path = join(logDir, `events.out.tfevents.${stamp}.${hostname()}.${process.pid}.${uid++}`);
    this.fd = fs.openSync(this.path, 'a');
    this.write(event(0, (e) => e.bytes(3, 'brain.Event:2')));
  }

  private write(payload: Buffer): void {
    if (this.fd === null) throw new Error(`SummaryWriter for ${this.logDir} is closed`);
    // One write() per record on an O_APPEND descriptor: a reader never sees half a record from us.
    fs.writeSync(this.fd, tfRecord(payload));
  }

  addScalar(tag: string, value: number, step: number): void {
    this.write(event(step, (e) => e.message(5, new ProtoWriter().message(1, scalarValue(tag, value)))));
  }

  addText(tag: string, text: string, step = 0): void {
    this.write(event(step, (e) => e.message(5, new ProtoWriter().message(1, textValue(tag, text)))));
  }

  close(): void {
    if (this.fd !== null) fs.closeSync(this.fd);
    this.fd = null;
  }
}

// ------------------------------------------------------------------ Trainer callback

/** transformers' rewrite_logs: eval_x -> eval/x, test_x -> test/x, anything else -> train/x. */
export function rewriteLogs(logs: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(logs)) {
    if (k.startsWith('eval_')) out[`eval/${k.slice(5)}`] = v;
    else if (k.startsWith('test_')) out[`test/${k.slice(5)}`] = v;
    else out[`train/${k}`] = v;
  }
  return out;
}

/** What `reportTo: ['tensorboard']` adds, as transformers' TensorBoardCallback: args and model config as text, every numeric log as a scalar. */
export class TensorBoardCallback implements TrainerCallback {
  private writer: SummaryWriter | null = null;

  onTrainBegin(args: TrainingArguments, state: TrainerState, _control: TrainerControl, extras: CallbackExtras): void {
    if (!state.isWorldProcessZero) return;
    this.writer ??= new SummaryWriter(args.loggingDir ?? join(args.outputDir, 'runs'));
    this.writer.addText('args', args.toJsonString());
    const config = (extras.model as { config?: { toJsonString?: () => string } } | undefined)?.config;
    if (typeof config?.toJsonString === 'function') this.writer.addText('model_config', config.toJsonString());
  }

  onLog(args: TrainingArguments, state: TrainerState, _control: TrainerControl, extras: CallbackExtras): void {
    if (!state.isWorldProcessZero || !extras.logs) return;
    this.writer ??= new SummaryWriter(args.loggingDir ?? join(args.outputDir, 'runs'));
    for (const [k, v] of Object.entries(rewriteLogs(extras.logs))) {
      if (typeof v === 'number') this.writer.addScalar(k, v, state.globalStep);
      else {
        console.warn(`Trainer is attempting to log a value of "${String(v)}" of type ${typeof v} for key "${k}" as a scalar. This invocation of Tensorboard's writer.add_scalar() is incorrect so we dropped this attribute.`);
      }
    }
  }

  onTrainEnd(): void {
    this.writer?.close();
    this.writer = null;
  }
}
