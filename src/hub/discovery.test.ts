// Discovery like HfApi: listModels / listDatasets (search, author, task, library, language, license,
// sort, limit, paging), modelInfo / datasetInfo (files with sizes, card data), and the cache scan /
// delete strategy of huggingface_hub (sizes counted once, shared blobs kept, links never followed out).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHubServer, READ_TOKEN, type HubServer } from '../../test/support/hub-server';
import { listDatasets, listModels } from './list-repos';
import { datasetInfo, modelInfo } from './repo-info';
import { hfHubDownload } from './hf-hub-download';
import { deleteRevisions, executeDeleteStrategy, formatSize, formatTimeSince, scanCacheDir } from './scan-cache';

let server: HubServer;
let home: string;

const card = (yaml: string) => `---\n${yaml}\n---\n# card\n`;

before(async () => {
  server = await startHubServer({ pageSize: 2 });
  home = mkdtempSync(join(tmpdir(), 'hubtune-discovery-'));
  const models: Array<[string, number, number, string, string, string]> = [
    ['distilbert/distilbert-base-uncased', 900, 50, 'fill-mask', 'transformers', 'license: apache-2.0\nlanguage: en'],
    ['distilbert/distilroberta-base', 500, 80, 'fill-mask', 'transformers', 'license: apache-2.0\nlanguage: en\ndatasets:\n- openwebtext'],
    ['google/vit-base-patch16-224', 700, 60, 'image-classification', 'transformers', 'license: apache-2.0\ndatasets:\n- imagenet-1k'],
    ['timm/resnet50.a1_in1k', 300, 10, 'image-classification', 'timm', 'license: apache-2.0'],
    ['someone/bert-fr', 20, 1, 'fill-mask', 'transformers', 'license: mit\nlanguage: fr'],
  ];
  for (const [id, downloads, likes, task, lib, yaml] of models) {
    server.addRepo({ id, files: { 'README.md': card(yaml), 'config.json': '{}', 'model.safetensors': Buffer.alloc(1234) }, meta: { downloads, likes, pipelineTag: task, libraryName: lib, trendingScore: likes } });
  }
  server.addRepo({ type: 'dataset', id: 'AI-Lab-Makerere/beans', files: { 'README.md': card('license: mit\nlanguage: en\ntask_categories:\n- image-classification'), 'data/train.zip': Buffer.alloc(500) }, meta: { downloads: 4000, likes: 30 } });
  server.addRepo({ type: 'dataset', id: 'nyu-mll/glue', files: { 'README.md': card('license: other\nlanguage: en\ntask_categories:\n- text-classification') }, meta: { downloads: 9000, likes: 400 } });
});
after(async () => {
  await server.close();
  rmSync(home, { recursive: true, force: true });
});

const o = () => ({ endpoint: server.url });
async function ids<T extends { id: string }>(it: AsyncIterable<T>): Promise<string[]> {
  const out: string[] = [];
  for await (const x of it) out.push(x.id);
  return out;
}

describe('listModels / listDatasets', () => {
  test('search, author, task, library, language, license; sorted descending; pages followed', async () => {
    assert.deepEqual(await ids(listModels({ ...o(), search: 'distil', sort: 'downloads' })), ['distilbert/distilbert-base-uncased', 'distilbert/distilroberta-base']);
    assert.deepEqual(await ids(listModels({ ...o(), author: 'distilbert', sort: 'likes' })), ['distilbert/distilroberta-base', 'distilbert/distilbert-base-uncased']);
    assert.deepEqual(await ids(listModels({ ...o(), task: 'image-classification', sort: 'downloads' })), ['google/vit-base-patch16-224', 'timm/resnet50.a1_in1k']);
    assert.deepEqual(await ids(listModels({ ...o(), library: 'timm' })), ['timm/resnet50.a1_in1k']);
    assert.deepEqual(await ids(listModels({ ...o(), language: 'fr' })), ['someone/bert-fr']);
    assert.deepEqual(await ids(listModels({ ...o(), license: 'mit' })), ['someone/bert-fr']);
    // 5 models, 2 per page: the Link header is followed; sort trending = trendingScore.
    assert.deepEqual(await ids(listModels({ ...o(), sort: 'trending' })), ['distilbert/distilroberta-base', 'google/vit-base-patch16-224', 'distilbert/distilbert-base-uncased', 'timm/resnet50.a1_in1k', 'someone/bert-fr']);
    server.reset();
    assert.deepEqual(await ids(listModels({ ...o(), sort: 'downloads', limit: 3 })), ['distilbert/distilbert-base-uncased', 'google/vit-base-patch16-224', 'distilbert/distilroberta-base']);
    assert.match(server.requests[0].url, /^\/api\/models\?.*sort=downloads.*limit=3/);
    assert.equal(server.requests.length, 2, 'stops paging at the limit');
  });

  test('datasets: task category, language and license as the Hub tags them; fields parsed', async () => {
    assert.deepEqual(await ids(listDatasets({ ...o(), task: 'image-classification' })), ['AI-Lab-Makerere/beans']);
    assert.deepEqual(await ids(listDatasets({ ...o(), language: 'en', sort: 'downloads' })), ['nyu-mll/glue', 'AI-Lab-Makerere/beans']);
    const all = [];
    for await (const d of listDatasets({ ...o(), search: 'glue', cardData: true })) all.push(d);
    assert.equal(all[0].downloads, 9000);
    assert.deepEqual(all[0].cardData?.task_categories, ['text-classification']);
    assert.ok(all[0].tags.includes('license:other'));
    await assert.rejects(async () => { for await (const _ of listModels({ ...o(), sort: 'best' as never })) void _; }, /unknown sort 'best'/);
  });

  test('modelInfo / datasetInfo: files with sizes and LFS hashes, card data, task, library', async () => {
    const m = await modelInfo({ ...o(), repoId: 'google/vit-base-patch16-224', filesMetadata: true });
    assert.equal(m.pipelineTag, 'image-classification');
    assert.equal(m.libraryName, 'transformers');
    assert.deepEqual(m.cardData?.datasets, ['imagenet-1k']);
    const weights = m.siblings?.find((f) => f.rfilename === 'model.safetensors');
    assert.equal(weights?.size, 1234);
    assert.match(weights?.lfs?.sha256 ?? '', /^[0-9a-f]{64}$/);
    assert.match(m.sha ?? '', /^[0-9a-f]{40}$/);
    assert.ok(m.lastModified instanceof Date);
    const d = await datasetInfo({ ...o(), repoId: 'AI-Lab-Makerere/beans', token: READ_TOKEN });
    assert.equal(d.siblings?.find((f) => f.rfilename === 'data/train.zip')?.size, undefined, 'sizes only with filesMetadata');
    await assert.rejects(modelInfo({ ...o(), repoId: 'nobody/nothing' }), /repository not found: nobody\/nothing/);
  });
});

describe('scanCacheDir / deleteRevisions', () => {
  test('sizes count shared blobs once; deleting one revision keeps the blobs others use; all revisions removes the repo', async () => {
    const cacheDir = join(home, 'cache');
    const a = await hfHubDownload({ ...o(), repoId: 'distilbert/distilroberta-base', filename: 'model.safetensors', cacheDir });
    await hfHubDownload({ ...o(), repoId: 'distilbert/distilroberta-base', filename: 'config.json', cacheDir });
    const first = a.split('/snapshots/')[1].split('/')[0];
    // A second revision that shares the weights and changes config.json.
    server.commitFiles({ id: 'distilbert/distilroberta-base', files: { 'config.json': '{"v": 2}' } });
    const b = await hfHubDownload({ ...o(), repoId: 'distilbert/distilroberta-base', filename: 'model.safetensors', cacheDir });
    await hfHubDownload({ ...o(), repoId: 'distilbert/distilroberta-base', filename: 'config.json', cacheDir });
    const second = b.split('/snapshots/')[1].split('/')[0];
    await hfHubDownload({ ...o(), repoId: 'AI-Lab-Makerere/beans', repoType: 'dataset', filename: 'README.md', cacheDir });
    mkdirSync(join(cacheDir, 'not-a-repo'));
    const info = scanCacheDir(cacheDir);
    const repo = info.repos.find((r) => r.repoId === 'distilbert/distilroberta-base')!;
    assert.equal(repo.repoType, 'model');
    assert.equal(repo.revisions.length, 2);
    assert.equal(repo.nbFiles, 3, 'two config.json blobs and one weights blob');
    assert.equal(repo.sizeOnDisk, 1234 + 2 + 8);
    assert.deepEqual(repo.refs, ['main']);
    assert.equal(info.warnings.length, 1);
    assert.match(info.warnings[0], /not a Hugging Face cache folder: .*not-a-repo/);

    const one = deleteRevisions(info, [first, 'f'.repeat(40)]);
    assert.deepEqual(one.missing, ['f'.repeat(40)]);
    assert.equal(one.blobs.length, 1, 'only the old config.json blob');
    assert.equal(one.expectedFreedSize, 2);
    executeDeleteStrategy(info, one);
    const after1 = scanCacheDir(cacheDir).repos.find((r) => r.repoId === 'distilbert/distilroberta-base')!;
    assert.deepEqual(after1.revisions.map((r) => r.commitHash), [second]);
    assert.ok(existsSync(b));

    const all = deleteRevisions(scanCacheDir(cacheDir), [second]);
    assert.equal(all.repos.length, 1);
    executeDeleteStrategy(scanCacheDir(cacheDir), all);
    assert.ok(!existsSync(join(cacheDir, 'models--distilbert--distilroberta-base')));
    assert.ok(existsSync(join(cacheDir, 'datasets--AI-Lab-Makerere--beans')));
  });

  test('a snapshot entry linking outside its repo folder is a warning, never counted or deleted', () => {
    const cacheDir = join(home, 'evil-cache');
    const outside = join(home, 'precious.txt');
    writeFileSync(outside, 'keep me');
    const snap = join(cacheDir, 'models--x--y', 'snapshots', 'a'.repeat(40));
    mkdirSync(snap, { recursive: true });
    symlinkSync(outside, join(snap, 'config.json'));
    const info = scanCacheDir(cacheDir);
    assert.equal(info.repos.length, 0);
    assert.match(info.warnings[0], /points outside its repo folder/);
    assert.ok(existsSync(outside));
  });

  test("huggingface_hub's size and time formats", () => {
    assert.equal(formatSize(116_300), '116.3K');
    assert.equal(formatSize(999), '999.0');
    assert.equal(formatSize(3_400_000_000), '3.4G');
    const now = 1_000_000;
    assert.equal(formatTimeSince(now - 5, now), 'a few seconds ago');
    assert.equal(formatTimeSince(now - 4 * 86400, now), '4 days ago');
    assert.equal(formatTimeSince(now - 60, now), '60 seconds ago'); // Python's rounding, kept
    assert.equal(formatTimeSince(now - 120, now), '2 minutes ago');
  });
});
