// Small dataset fixtures made on the fly (no downloads): images, imagefolder trees, parquet repos laid
// out like `beans` and `glue`, csv/json files. Everything goes under a fresh temp folder.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import { ClassLabel, Features, Image, Value } from '../../src/datasets/features';
import { writeParquet } from '../../src/datasets/parquet';

export const BEANS_LABELS = ['angular_leaf_spot', 'bean_rust', 'healthy'];
export const MRPC_LABELS = ['not_equivalent', 'equivalent'];

/** A fresh temp folder; call `cleanup()` when done. */
export function tempDir(prefix = 'hubtune-ds-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A deterministic RGB test image (a gradient tinted by `seed`), encoded as PNG or JPEG. */
export async function makeImage(params: { width?: number; height?: number; seed?: number; format?: 'png' | 'jpeg'; channels?: 1 | 3 | 4 } = {}): Promise<Uint8Array> {
  const { width = 8, height = 6, seed = 0, format = 'png', channels = 3 } = params;
  const data = Buffer.alloc(width * height * channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * channels;
      for (let c = 0; c < channels; c++) data[o + c] = (x * 31 + y * 17 + c * 50 + seed * 40) & 255;
      if (channels === 4) data[o + 3] = 200;
    }
  }
  const img = sharp(data, { raw: { width, height, channels } });
  const buf = format === 'png' ? await img.png().toBuffer() : await img.jpeg({ quality: 90 }).toBuffer();
  return new Uint8Array(buf);
}

function writeFile(path: string, data: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, data);
}

/** An imagefolder tree: `<root>/<split>/<label>/<label>_<i>.<ext>`. */
export async function writeImagefolder(root: string, layout: Record<string, Record<string, number>>, format: 'png' | 'jpeg' = 'png'): Promise<string[]> {
  const files: string[] = [];
  let seed = 0;
  for (const [split, labels] of Object.entries(layout)) {
    for (const [label, n] of Object.entries(labels)) {
      for (let i = 0; i < n; i++) {
        const f = join(root, split, label, `${label}_${i}.${format === 'png' ? 'png' : 'jpg'}`);
        writeFile(f, await makeImage({ seed: seed++, format }));
        files.push(f);
      }
    }
  }
  return files;
}

export const BEANS_FEATURES = new Features({ image_file_path: new Value('string'), image: new Image(), labels: new ClassLabel({ names: BEANS_LABELS }) });

/** README front matter like the Hub's `beans` (dataset_info.features in the YAML list form). */
export const BEANS_README = `---
dataset_info:
  features:
  - name: image_file_path
    dtype: string
  - name: image
    dtype: image
  - name: labels
    dtype:
      class_label:
        names:
          '0': angular_leaf_spot
          '1': bean_rust
          '2': healthy
---
# beans (tiny test copy)
`;

/**
 * A repo folder laid out like `beans`: `data/{train,validation,test}-00000-of-00001.parquet`
 * with image bytes embedded, plus the README. `withParquetMetadata: false` drops the huggingface
 * metadata so that features come from the README only.
 */
export async function writeBeansRepo(root: string, params: { rows?: Record<string, number>; withParquetMetadata?: boolean; readme?: boolean } = {}): Promise<void> {
  const rows = params.rows ?? { train: 6, validation: 3, test: 3 };
  let seed = 0;
  for (const [split, n] of Object.entries(rows)) {
    const paths: string[] = []; const images: unknown[] = []; const labels: number[] = [];
    for (let i = 0; i < n; i++) {
      const label = i % 3;
      const p = `/home/user/.cache/beans/${split}/${BEANS_LABELS[label]}/bean_${split}_${i}.jpg`;
      paths.push(p);
      images.push({ bytes: await makeImage({ seed: seed++, format: 'jpeg', width: 10, height: 8 }), path: `bean_${split}_${i}.jpg` });
      labels.push(label);
    }
    const file = join(root, 'data', `${split}-00000-of-00001.parquet`);
    mkdirSync(dirname(file), { recursive: true });
    writeParquet(file, BEANS_FEATURES, { image_file_path: paths, image: images, labels });
    if (params.withParquetMetadata === false) stripHfMetadata(file);
  }
  if (params.readme !== false) writeFile(join(root, 'README.md'), BEANS_README);
}

function stripHfMetadata(file: string): void {
  // writeParquet always adds the key; rename it in place to an unrelated key of the same length
  const buf = readFileSync(file);
  const key = Buffer.from('huggingface');
  const at = buf.lastIndexOf(key);
  if (at >= 0) Buffer.from('xxxxxxxxxxx').copy(buf, at);
  writeFileSync(file, buf);
}

export const MRPC_ROWS = [
  { sentence1: 'Amrozi accused his brother , whom he called " the witness " , of deliberately distorting his evidence .', sentence2: 'Referring to him as only " the witness " , Amrozi accused his brother of deliberately distorting his evidence .', label: 1, idx: 0 },
  { sentence1: "Yucaipa owned Dominick 's before selling the chain to Safeway in 1998 for $ 2.5 billion .", sentence2: "Yucaipa bought Dominick 's in 1995 for $ 693 million and sold it to Safeway for $ 1.8 billion in 1998 .", label: 0, idx: 1 },
  { sentence1: 'They had published an advertisement on the Internet on June 10 , offering the cargo for sale , he added .', sentence2: "On June 10 , the ship 's owners had published an advertisement on the Internet , offering the explosives for sale .", label: 1, idx: 2 },
  { sentence1: 'Around 0335 GMT , Tab shares were up 19 cents , or 4.4 % , at A $ 4.56 , having earlier set a record high of A $ 4.57 .', sentence2: 'Tab shares jumped 20 cents , or 4.2 % , to a record A $ 4.81 .', label: 0, idx: 3 },
];

export const MRPC_FEATURES = new Features({ sentence1: new Value('string'), sentence2: new Value('string'), label: new ClassLabel({ names: MRPC_LABELS }), idx: new Value('int32') });

/** A repo folder laid out like `glue`: one folder per config with parquet splits and README `configs`. */
export function writeGlueRepo(root: string, params: { rows?: Record<string, number>; configsInReadme?: boolean } = {}): void {
  const rows = params.rows ?? { train: 8, validation: 4, test: 4 };
  for (const config of ['mrpc', 'cola']) {
    for (const [split, n] of Object.entries(rows)) {
      const cols: Record<string, unknown[]> = { sentence1: [], sentence2: [], label: [], idx: [] };
      for (let i = 0; i < n; i++) {
        const r = MRPC_ROWS[i % MRPC_ROWS.length];
        cols.sentence1.push(`${r.sentence1}${i >= MRPC_ROWS.length ? ` (${i})` : ''}`);
        cols.sentence2.push(r.sentence2); cols.label.push(split === 'test' ? -1 : r.label); cols.idx.push(i);
      }
      const file = join(root, config, `${split}-00000-of-00001.parquet`);
      mkdirSync(dirname(file), { recursive: true });
      writeParquet(file, MRPC_FEATURES, cols);
    }
  }
  if (params.configsInReadme !== false) {
    const cfg = (c: string): string => `- config_name: ${c}\n  data_files:\n  - split: train\n    path: ${c}/train-*\n  - split: validation\n    path: ${c}/validation-*\n  - split: test\n    path: ${c}/test-*\n`;
    writeFile(join(root, 'README.md'), `---\nconfigs:\n${cfg('cola')}${cfg('mrpc')}dataset_info:\n- config_name: mrpc\n  features:\n  - name: sentence1\n    dtype: string\n  - name: sentence2\n    dtype: string\n  - name: label\n    dtype:\n      class_label:\n        names:\n          '0': not_equivalent\n          '1': equivalent\n  - name: idx\n    dtype: int32\n---\n# glue (tiny test copy)\n`);
  }
}

export function writeText(path: string, text: string): string {
  writeFile(path, text);
  return path;
}
