// Datasets at scale: open a 100k-row parquet file, random row access, a trivial batched map over all
// rows, memory against file size, and lazy image decoding. Data is generated under /tmp.
// Prints one JSON object.   node --import tsx bench/datasets.ts [--rows 100000] [--images 2000]
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { ClassLabel, Dataset, Features, Image, Value, loadDataset } from '../src/datasets/index';
import { clearChunkCache } from '../src/datasets/columns';
import { writeParquet } from '../src/datasets/parquet';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}
const ROWS = arg('rows', 100_000);
const IMAGES = arg('images', 2000);
const dir = join(tmpdir(), `hubtune-bench-datasets-${process.pid}`);
mkdirSync(dir, { recursive: true });

const ms = (t0: bigint): number => Math.round(Number(process.hrtime.bigint() - t0) / 1e4) / 100;
const mb = (b: number): number => Math.round(b / 1048576 * 10) / 10;
function heap(): number { global.gc?.(); return process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers; }

async function main(): Promise<void> {
  const out: Record<string, unknown> = { rows: ROWS, node: process.version };
  // ---- text parquet: a long text column (most of the bytes) and two small ones
  const words = ['the', 'movie', 'was', 'good', 'bad', 'bean', 'leaf', 'rust', 'healthy', 'great'];
  const text: string[] = []; const label: number[] = []; const idx: number[] = [];
  for (let i = 0; i < ROWS; i++) {
    let s = '';
    for (let w = 0; w < 40; w++) s += words[(i * 7 + w * 13) % words.length] + ' ';
    text.push(`${i} ${s}`); label.push(i % 2); idx.push(i);
  }
  const pq = join(dir, 'text.parquet');
  let t0 = process.hrtime.bigint();
  writeParquet(pq, new Features({ text: new Value('string'), label: new ClassLabel({ names: ['neg', 'pos'] }), idx: new Value('int32') }), { text, label, idx }, { rowGroupSize: 10_000 });
  out.write_parquet_ms = ms(t0);
  out.parquet_file_mb = mb(statSync(pq).size);
  text.length = 0; label.length = 0; idx.length = 0;

  const h0 = heap();
  t0 = process.hrtime.bigint();
  const ds = await loadDataset(pq, { split: 'train', cacheDir: join(dir, 'cache') }) as Dataset;
  out.open_100k_parquet_ms = ms(t0);
  out.heap_after_open_mb = mb(heap() - h0);

  t0 = process.hrtime.bigint();
  await ds.get(Math.floor(ROWS / 2));
  out.first_get_ms = ms(t0);
  t0 = process.hrtime.bigint();
  for (let k = 0; k < 1000; k++) await ds.get((k * 7919) % ROWS);
  out.get_random_1000_rows_ms = ms(t0);

  clearChunkCache();
  const h1 = heap();
  t0 = process.hrtime.bigint();
  const labels = await ds.column('label');
  out.read_label_column_ms = ms(t0);
  out.heap_after_reading_small_column_mb = mb(heap() - h1);
  void labels;

  clearChunkCache();
  t0 = process.hrtime.bigint();
  const mapped = await ds.map((lab: number[]) => ({ y: lab.map((l) => l * 2) }), { batched: true, inputColumns: 'label', loadFromCacheFile: false });
  out.map_trivial_batched_100k_label_ms = ms(t0);
  void mapped;

  clearChunkCache();
  t0 = process.hrtime.bigint();
  await ds.map((b: { text: string[] }) => ({ n: b.text.map((s) => s.length) }), { batched: true, loadFromCacheFile: false });
  out.map_batched_100k_all_columns_with_cache_write_ms = ms(t0);

  t0 = process.hrtime.bigint();
  await ds.map((b: { text: string[] }) => ({ n: b.text.map((s) => s.length) }), { batched: true });
  out.map_cache_hit_ms = ms(t0);

  t0 = process.hrtime.bigint();
  const sh = ds.shuffle({ seed: 42 });
  out.shuffle_100k_ms = ms(t0);
  t0 = process.hrtime.bigint();
  await sh.getBatch(Array.from({ length: 32 }, (_, k) => k));
  out.shuffled_batch_of_32_ms = ms(t0);

  // ---- images: a beans-like parquet of JPEGs, decoded only when a row is read
  const jpgs: Uint8Array[] = [];
  for (let k = 0; k < 16; k++) {
    const px = Buffer.alloc(500 * 500 * 3);
    for (let p = 0; p < px.length; p++) px[p] = (p * 31 + k * 101 + (p >> 9)) & 255;
    jpgs.push(new Uint8Array(await sharp(px, { raw: { width: 500, height: 500, channels: 3 } }).jpeg({ quality: 85 }).toBuffer()));
  }
  const ipq = join(dir, 'images.parquet');
  writeParquet(ipq, new Features({ image: new Image(), labels: new ClassLabel({ names: ['a', 'b', 'c'] }) }),
    { image: Array.from({ length: IMAGES }, (_, i) => ({ bytes: jpgs[i % jpgs.length], path: `${i}.jpg` })), labels: Array.from({ length: IMAGES }, (_, i) => i % 3) }, { rowGroupSize: 100 });
  out.images = IMAGES;
  out.image_parquet_mb = mb(statSync(ipq).size);
  t0 = process.hrtime.bigint();
  const ids = await loadDataset(ipq, { split: 'train' }) as Dataset;
  out.open_image_parquet_ms = ms(t0);
  t0 = process.hrtime.bigint();
  await ids.get(IMAGES - 1);
  out.get_one_image_row_500x500_ms = ms(t0);
  const hl = heap();
  t0 = process.hrtime.bigint();
  await ids.column('labels');
  out.read_labels_of_image_dataset_ms = ms(t0);
  out.heap_after_reading_labels_only_mb = mb(heap() - hl);

  rmSync(dir, { recursive: true, force: true });
  console.log(JSON.stringify(out, null, 2));
}

main().catch((e) => { rmSync(dir, { recursive: true, force: true }); console.error(e); process.exit(1); });
