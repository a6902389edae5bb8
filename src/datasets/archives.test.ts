// Datasets as the Hub stores them: image archives (zip, tar, tar.gz) read as imagefolder, the
// card's features filled from them, the refs/convert/parquet export when main cannot be read as
// stored (a loading script), and hostile archives refused in one line with nothing written.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHubServer, type HubServer } from '../../test/support/hub-server';
import { BEANS_LABELS } from '../../test/support/hub-fixtures';
import { BEANS_COUNTS, beanImages, beanTars, beansAsStored } from '../../test/support/dataset-archives';
import { writeTar, writeZip } from '../../test/support/archive-writer';
import { walkOrder } from './archives';
import { Dataset, DatasetDict, loadDataset, type DecodedImage } from './index';

process.env.HUBTUNE_HUB_RETRY_BASE_MS = '5';
delete process.env.HF_HUB_OFFLINE;
delete process.env.HF_TOKEN;

let server: HubServer;
let home: string;

before(async () => {
  server = await startHubServer();
  home = mkdtempSync(join(tmpdir(), 'hubtune-archives-'));
  process.env.HF_ENDPOINT = server.url;
  process.env.HF_HOME = home;
  const stored = await beansAsStored();
  server.addRepo({ type: 'dataset', id: 'AI-Lab-Makerere/beans', files: stored.files, branches: stored.branches });
  const scripted = await beansAsStored({ script: 'scripted-beans.py' });
  server.addRepo({ type: 'dataset', id: 'hubtune-test/scripted-beans', files: { ...scripted.files, 'data/train.zip': 'not read' }, branches: scripted.branches });
  const noExport = await beansAsStored({ script: 'script-only.py', exportBranch: false });
  server.addRepo({ type: 'dataset', id: 'hubtune-test/script-only', files: noExport.files });
  const odd = await beansAsStored();
  server.addRepo({ type: 'dataset', id: 'hubtune-test/unfit-card', files: { ...odd.files, 'README.md': '---\ndataset_info:\n  features:\n  - name: image\n    dtype: image\n  - name: width\n    dtype: int32\n---\n' }, branches: odd.branches });
  const plain = await beansAsStored({ card: false, exportBranch: false });
  server.addRepo({ type: 'dataset', id: 'hubtune-test/zips', files: plain.files });
});
after(async () => {
  await server.close();
  rmSync(home, { recursive: true, force: true });
});

describe('image archives on the Hub', () => {
  test("beans as stored: data/<split>.zip read as imagefolder into the card's columns", async () => {
    const dd = await loadDataset('AI-Lab-Makerere/beans', { cacheDir: join(home, 'c1') }) as DatasetDict;
    assert.deepEqual(dd.numRows, BEANS_COUNTS);
    const train = dd.get('train');
    assert.deepEqual(train.columnNames, ['image_file_path', 'image', 'labels']);
    assert.equal(String(train.features.get('labels')), `ClassLabel(names=${JSON.stringify(BEANS_LABELS).replace(/"/g, "'").replace(/,/g, ', ')}, id=None)`);
    // walk order: folders sorted (angular_leaf_spot, bean_rust, healthy), files sorted inside
    const rows = await train.getBatch([0, 1, 2, 5]);
    assert.deepEqual(rows.labels, [0, 0, 1, 2]);
    assert.match((rows.image_file_path as string[])[0], /^zip:\/\/train\/angular_leaf_spot\/angular_leaf_spot_train\.0\.png::.*data\/train\.zip$/);
    const expected = (await beanImages('train', 6)).find((m) => m.name.endsWith('angular_leaf_spot_train.0.png'))!;
    const img = (rows.image as DecodedImage[])[0];
    assert.equal(img.width, 8);
    assert.deepEqual(img.bytes && [...img.bytes], [...expected.data]);
    // nothing was extracted: no image files anywhere under the cache
    const walk = (d: string): string[] => readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(d, e.name)) : [e.name]));
    assert.ok(!walk(home).some((f) => f.endsWith('.png')));
  });

  test('archives without a card: image + label (ClassLabel of the sorted folder names)', async () => {
    const ds = await loadDataset('hubtune-test/zips', { cacheDir: join(home, 'c2'), split: 'validation' }) as Dataset;
    assert.deepEqual(ds.columnNames, ['image', 'label']);
    assert.deepEqual(ds.features.classLabel('label').names, BEANS_LABELS);
    assert.deepEqual((await ds.getBatch([0, 1, 2])).label, [0, 1, 2]);
  });

  test('a loading-script dataset loads its refs/convert/parquet export; without one, a clear error', async () => {
    server.reset();
    const dd = await loadDataset('hubtune-test/scripted-beans', { cacheDir: join(home, 'c3') }) as DatasetDict;
    assert.deepEqual(dd.numRows, BEANS_COUNTS);
    assert.deepEqual(dd.get('test').columnNames, ['image_file_path', 'image', 'labels']);
    assert.ok(server.requests.some((r) => r.url.includes('refs%2Fconvert%2Fparquet')));
    assert.ok(!server.requests.some((r) => r.url.endsWith('/data/train.zip')), 'main data files are not fetched for the export');
    await assert.rejects(loadDataset('hubtune-test/script-only', { cacheDir: join(home, 'c3') }),
      /Dataset 'hubtune-test\/script-only' is defined by a loading script \(script-only\.py\), which hubtune does not run .* and it has no Parquet export \(refs\/convert\/parquet\)/);
    // card features an imagefolder cannot fill (an int column) also fall back to the export
    const unfit = await loadDataset('hubtune-test/unfit-card', { cacheDir: join(home, 'c3'), split: 'train' }) as Dataset;
    assert.deepEqual(unfit.columnNames, ['image_file_path', 'image', 'labels']);
    // offline, the export comes from the cache
    process.env.HF_HUB_OFFLINE = '1';
    try {
      const again = await loadDataset('hubtune-test/scripted-beans', { cacheDir: join(home, 'c3'), split: 'validation' }) as Dataset;
      assert.equal(again.numRows, BEANS_COUNTS.validation);
    } finally {
      delete process.env.HF_HUB_OFFLINE;
    }
  });
});

describe('local archives', () => {
  test('tar and tar.gz data files as imagefolder; the tar.gz is decompressed once into the cache', async () => {
    const dir = mkdtempSync(join(home, 'tars-'));
    const tars = await beanTars();
    writeFileSync(join(dir, 'train.tar.gz'), tars.train);
    writeFileSync(join(dir, 'test.tar'), tars.test);
    const cacheDir = join(home, 'c4');
    const dd = await loadDataset('imagefolder', { dataFiles: { train: join(dir, 'train.tar.gz'), test: join(dir, 'test.tar') }, cacheDir }) as DatasetDict;
    assert.deepEqual(dd.numRows, { train: 6, test: 3 });
    assert.deepEqual((await dd.get('train').getBatch([0, 2, 4])).label, [0, 1, 2]);
    assert.equal(((await dd.get('test').get(1)).image as DecodedImage).height, 8);
    const extracted = readdirSync(join(cacheDir, 'downloads', 'extracted'));
    assert.equal(extracted.filter((f) => f.endsWith('.tar')).length, 1);
  });

  test('walk order: a folder\'s files before its sub-folders, each sorted', () => {
    const paths = ['b/x.png', 'a/z/1.png', 'a/y.png', 'a/b.png', 'c.png'];
    assert.deepEqual(paths.sort(walkOrder), ['c.png', 'a/b.png', 'a/y.png', 'a/z/1.png', 'b/x.png']);
  });
});

describe('hostile archives are refused with one line, nothing written outside the cache', () => {
  const png = Uint8Array.from([0x89, 0x50, 0x4e, 0x47]);
  const cases: Array<[string, string, () => Uint8Array, RegExp]> = [
    ['zip path traversal', 'evil.zip', () => writeZip([{ name: 'train/a/ok.png', data: png }, { name: '../../escaped.png', data: png }]), /evil\.zip: refusing member "\.\.\/\.\.\/escaped\.png": archive paths must stay inside the archive/],
    ['zip absolute path', 'abs.zip', () => writeZip([{ name: '/tmp/abs.png', data: png }]), /refusing member "\/tmp\/abs\.png"/],
    ['zip symlink', 'link.zip', () => writeZip([{ name: 'a/l.png', data: '/etc/passwd', symlink: true }]), /refusing member 'a\/l\.png': it is a symbolic link/],
    ['zip bomb (declared size beyond deflate)', 'bomb.zip', () => writeZip([{ name: 'a/x.png', data: 'tiny', deflate: true, declaredSize: 0xfffffff0 }]), /more than deflate can produce \(a zip bomb\?\)/],
    ['tar traversal', 'evil.tar', () => writeTar([{ name: 'a/../../x.png', data: png }]), /refusing member "a\/\.\.\/\.\.\/x\.png"/],
    ['tar symlink', 'sym.tar', () => writeTar([{ name: 'a/x.png', type: 'symlink', linkname: '/etc/passwd' }]), /refusing member 'a\/x\.png': it is a symbolic link/],
    ['tar hard link', 'hard.tar', () => writeTar([{ name: 'a/x.png', type: 'hardlink', linkname: '/etc/passwd' }]), /it is a hard link/],
    ['tar size past the end', 'short.tar', () => writeTar([{ name: 'a/x.png', data: png, declaredSize: 1 << 30 }]), /declares 1073741824 bytes, past the end/],
  ];
  for (const [what, name, make, re] of cases) {
    test(what, async () => {
      const dir = mkdtempSync(join(home, 'evil-'));
      const inner = join(dir, 'data', 'x');
      mkdirSync(inner, { recursive: true });
      writeFileSync(join(inner, name), make());
      await assert.rejects(loadDataset('imagefolder', { dataFiles: { train: join(inner, name) }, cacheDir: join(dir, 'cache') }), (e: Error) => {
        assert.match(e.message, re);
        assert.ok(!e.message.includes('\n'));
        return true;
      });
      assert.ok(!existsSync(join(dir, 'escaped.png')) && !existsSync(join(dir, 'data', 'escaped.png')) && !existsSync('/tmp/abs.png'));
    });
  }

  test('a gzip bomb is cut at the byte limit and leaves no partial file', async () => {
    const dir = mkdtempSync(join(home, 'gz-'));
    writeFileSync(join(dir, 'big.tar.gz'), writeTar([{ name: 'a/x.png', data: new Uint8Array(4 << 20) }], { gzip: true }));
    process.env.HUBTUNE_MAX_ARCHIVE_BYTES = String(1 << 20);
    try {
      await assert.rejects(loadDataset('imagefolder', { dataFiles: { train: join(dir, 'big.tar.gz') }, cacheDir: join(dir, 'cache') }), /big\.tar\.gz decompresses to more than 1048576 bytes \(a gzip bomb\?\)/);
    } finally {
      delete process.env.HUBTUNE_MAX_ARCHIVE_BYTES;
    }
    assert.deepEqual(readdirSync(join(dir, 'cache', 'downloads', 'extracted')), []);
  });
});
