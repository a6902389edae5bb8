// Dataset repos stored as archives, the way the Hub holds `beans` today: data/{split}.zip with
// <split>/<label>/<image> inside, a card declaring image_file_path / image / labels, and the
// dataset viewer's Parquet export on the orphan branch refs/convert/parquet.
import { stringify } from 'yaml';
import { writeTar, writeZip } from './archive-writer';
import { BEANS_LABELS, beansParquet, pngBuffer } from './hub-fixtures';
import type { FileContent } from './hub-server';

export const BEANS_COUNTS = { train: 6, validation: 3, test: 3 };

/** PNG images of a split, as {member path, bytes}: `<split>/<label>/<label>_<split>.<i>.png`. */
export async function beanImages(split: string, n: number): Promise<Array<{ name: string; data: Uint8Array; label: number }>> {
  const out = [];
  for (let i = 0; i < n; i++) {
    const label = i % BEANS_LABELS.length;
    const png = await pngBuffer(8, 8, (x, y) => [(x * 31 + i * 17) % 256, (y * 29 + label * 80) % 256, ((x + y) * 13 + i) % 256]);
    out.push({ name: `${split}/${BEANS_LABELS[label]}/${BEANS_LABELS[label]}_${split}.${i}.png`, data: new Uint8Array(png), label });
  }
  return out;
}

export function beansCard(): string {
  const card = {
    dataset_info: {
      features: [
        { name: 'image_file_path', dtype: 'string' },
        { name: 'image', dtype: 'image' },
        { name: 'labels', dtype: { class_label: { names: Object.fromEntries(BEANS_LABELS.map((n, i) => [String(i), n])) } } },
      ],
      splits: Object.entries(BEANS_COUNTS).map(([name, num_examples]) => ({ name, num_examples })),
    },
  };
  return `---\n${stringify(card)}---\n# beans\nBean leaf images in three classes.\n`;
}

/** main (card + data/<split>.zip) and the refs/convert/parquet branch (default/<split>/0000.parquet). */
export async function beansAsStored(o: { script?: string; exportBranch?: boolean; card?: boolean } = {}): Promise<{ files: Record<string, FileContent>; branches: Record<string, Record<string, FileContent>> }> {
  const files: Record<string, FileContent> = {};
  if (o.card ?? true) files['README.md'] = beansCard();
  if (o.script) files[o.script] = 'import datasets\n# a loading script (named after the repo): never run by hubtune\n';
  const exported: Record<string, FileContent> = {};
  for (const [split, n] of Object.entries(BEANS_COUNTS)) {
    files[`data/${split}.zip`] = writeZip((await beanImages(split, n)).map((m) => ({ name: m.name, data: m.data, deflate: true })));
    exported[`default/${split}/0000.parquet`] = await beansParquet(split, n);
  }
  return { files, branches: o.exportBranch ?? true ? { 'refs/convert/parquet': exported } : {} };
}

/** The same images as tar (test) and tar.gz (train). */
export async function beanTars(): Promise<{ train: Uint8Array; test: Uint8Array }> {
  return {
    train: writeTar((await beanImages('train', 6)).map((m) => ({ name: m.name, data: m.data })), { gzip: true }),
    test: writeTar((await beanImages('test', 3)).map((m) => ({ name: m.name, data: m.data }))),
  };
}
