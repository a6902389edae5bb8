// model/tokenizer/processor pushToHub and `hubtune push` against the local Hub server.
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { folderDigest } from '../support/folder-digest';
import { startHubServer, READ_TOKEN, WRITE_TOKEN, type HubServer } from '../support/hub-server';
import { safetensorsBuffer } from '../support/hub-fixtures';
import { REPO_ROOT } from '../support/shared';
import {
  PushToHubError, RepoIdError, defaultCommitMessage, pushImageProcessorToHub, pushModelToHub, pushTokenizerToHub, validateRepoId,
} from '../../src/sharing/index';
import { splitFrontMatter } from '../../src/training/model-card';
import { ViTImageProcessor } from '../../src/preprocessing/image-processing';

process.env.HUBTUNE_HUB_RETRY_BASE_MS = '5';
delete process.env.HF_TOKEN;
delete process.env.HUGGING_FACE_HUB_TOKEN;
process.env.HF_HOME = mkdtempSync(join(tmpdir(), 'hubtune-share-home-'));

let server: HubServer;
before(async () => {
  server = await startHubServer({ lfsThreshold: 1024 });
});
after(() => server.close());
beforeEach(() => server.reset());

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');


class TinyModelForSequenceClassification {
  config = { nameOrPath: 'hubtune-test/tiny-bert', model_type: 'bert' };
  saved: Array<Record<string, unknown> | undefined> = [];
  weights: Buffer;
  constructor(seed = 0) {
    this.weights = safetensorsBuffer({ 'classifier.weight': { dtype: 'F32', shape: [2, 512], data: Array.from({ length: 1024 }, (_, i) => (i + seed) / 1024) } });
  }
  savePretrained(dir: string, opts?: Record<string, unknown>): void {
    this.saved.push(opts);
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ model_type: 'bert', architectures: ['BertForSequenceClassification'] }, null, 2));
    writeFileSync(join(dir, 'model.safetensors'), this.weights);
  }
}
class TinyTokenizerFast {
  savePretrained(dir: string): string[] {
    writeFileSync(join(dir, 'tokenizer.json'), '{"version":"1.0"}');
    writeFileSync(join(dir, 'tokenizer_config.json'), '{"model_max_length":32}');
    return [join(dir, 'tokenizer.json'), join(dir, 'tokenizer_config.json')];
  }
}
class TinyImageProcessor {
  async savePretrained(dir: string): Promise<string> {
    writeFileSync(join(dir, 'preprocessor_config.json'), '{"image_processor_type":"ViTImageProcessor"}');
    return join(dir, 'preprocessor_config.json');
  }
}

describe('validateRepoId (huggingface_hub rules)', () => {
  test('valid ids pass unchanged', () => {
    for (const id of ['bert', 'my-org/my_model.v2', 'a/b', 'x'.repeat(96), 'Org_1/name-2']) assert.equal(validateRepoId(id), id);
  });
  test('invalid ids: one-line error naming the id', () => {
    const bad = ['my--model', 'org/a..b', '-model', 'model-', '.model', 'org/model.', 'a/b/c', 'x'.repeat(97), 'my model', 'org/', '', 'model.git', 'ünï/côdé'];
    for (const id of bad) {
      assert.throws(() => validateRepoId(id), (e: Error) => {
        assert.ok(e instanceof RepoIdError, id);
        assert.ok(e.message.includes(JSON.stringify(id)), e.message);
        assert.ok(!e.message.includes('\n'), 'one line');
        return true;
      });
    }
  });
});

describe('pushToHub for models, tokenizers, image processors', () => {
  test('default commit messages follow transformers (by class name)', () => {
    class BertForSequenceClassification {}
    class ViTImageProcessor {}
    class PreTrainedTokenizerFast {}
    assert.equal(defaultCommitMessage(new BertForSequenceClassification()), 'Upload BertForSequenceClassification');
    assert.equal(defaultCommitMessage(new TinyModelForSequenceClassification()), 'Upload model');
    assert.equal(defaultCommitMessage(new ViTImageProcessor()), 'Upload processor');
    assert.equal(defaultCommitMessage(new PreTrainedTokenizerFast()), 'Upload tokenizer');
    assert.equal(defaultCommitMessage({}, 'tokenizer'), 'Upload tokenizer');
  });

  test('model: repo created under the user, config + safetensors (LFS, sha256) + default card in one commit', async () => {
    const model = new TinyModelForSequenceClassification();
    const r = await pushModelToHub(model, 'tiny-finetuned', { token: WRITE_TOKEN, endpoint: server.url });
    assert.equal(r.repoId, 'writer/tiny-finetuned');
    assert.match(r.commitOid, /^[0-9a-f]{40}$/);
    const c = server.commits.at(-1)!;
    assert.equal(c.title, 'Upload model');
    assert.deepEqual([...c.added].sort(), ['README.md', 'config.json', 'model.safetensors']);
    assert.deepEqual(c.lfs, ['model.safetensors']);
    const repo = server.getRepo('model', 'writer/tiny-finetuned')!;
    const files = repo.commits.get(repo.branches.get('main')!)!.files;
    const st = files.get('model.safetensors')!;
    assert.equal(st.lfs, true);
    assert.equal(st.sha256, sha256(model.weights));
    const card = files.get('README.md')!.content.toString();
    assert.equal((parse(splitFrontMatter(card).frontMatter!) as Record<string, unknown>).library_name, 'transformers');
    assert.deepEqual(model.saved, [{}]);

    // a second push keeps the repo's card and can open a PR
    const pr = await pushModelToHub(model, 'writer/tiny-finetuned', { token: WRITE_TOKEN, endpoint: server.url, createPr: true, commitMessage: 'v2' });
    assert.match(pr.pullRequestUrl ?? '', /discussions\/1$/);
    assert.deepEqual([...server.commits.at(-1)!.added].sort(), ['config.json', 'model.safetensors']);
    assert.equal(server.commits.at(-1)!.branch, 'refs/pr/1');
  });

  test('private repo; tokenizer and image processor default messages', async () => {
    await pushTokenizerToHub(new TinyTokenizerFast(), 'hubtune-test/tok', { token: WRITE_TOKEN, endpoint: server.url, private: true });
    assert.equal(server.getRepo('model', 'hubtune-test/tok')!.private, true);
    assert.equal(server.commits.at(-1)!.title, 'Upload tokenizer');
    assert.deepEqual([...server.commits.at(-1)!.added].sort(), ['README.md', 'tokenizer.json', 'tokenizer_config.json']);
    await pushImageProcessorToHub(new TinyImageProcessor(), 'hubtune-test/tok', { token: WRITE_TOKEN, endpoint: server.url });
    assert.equal(server.commits.at(-1)!.title, 'Upload processor');
    assert.deepEqual(server.commits.at(-1)!.added, ['preprocessor_config.json']);
  });

  test('the real ViTImageProcessor.pushToHub uploads its preprocessor_config.json', async () => {
    const proc = new ViTImageProcessor({ size: { height: 32, width: 32 } });
    const dir = mkdtempSync(join(tmpdir(), 'hubtune-proc-'));
    const local = readFileSync(await proc.savePretrained(dir));
    await proc.pushToHub('hubtune-test/vit-proc', { token: WRITE_TOKEN, endpoint: server.url });
    assert.equal(server.commits.at(-1)!.title, 'Upload processor');
    const repo = server.getRepo('model', 'hubtune-test/vit-proc')!;
    assert.deepEqual(repo.commits.get(repo.branches.get('main')!)!.files.get('preprocessor_config.json')!.content, local);
  });

  test('no token, read-only token, invalid name: clear errors, no request for a bad name', async () => {
    const model = new TinyModelForSequenceClassification();
    await assert.rejects(pushModelToHub(model, 'writer/x', { endpoint: server.url }), (e: Error) => e instanceof PushToHubError && /needs a token with write access: run `hubtune login`/.test(e.message));
    await assert.rejects(pushModelToHub(model, 'writer/x', { token: READ_TOKEN, endpoint: server.url }), (e: Error) => e instanceof PushToHubError && (e as PushToHubError).status === 403 && /could not push the model to writer\/x: .*read access only/.test(e.message));
    server.reset();
    await assert.rejects(pushModelToHub(model, 'writer/bad--name', { token: WRITE_TOKEN, endpoint: server.url }), (e: Error) => e instanceof RepoIdError && e.message.includes('"writer/bad--name"'));
    assert.equal(server.requests.length, 0);
    await assert.rejects(pushModelToHub(model, 'writer/x', { token: WRITE_TOKEN, endpoint: server.url, safeSerialization: false }), /safetensors only/);
  });

  test('a push interrupted midway (LFS upload and commit fail) is retried; local files untouched', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hubtune-local-model-'));
    const model = new TinyModelForSequenceClassification(7);
    model.savePretrained(dir);
    const before = folderDigest(dir);
    server.failNext({ match: 'PUT /upload/', server: 'cdn', status: 503, times: 2 });
    server.failNext({ match: '/commit/main', status: 500 });
    const r = await pushModelToHub(model, 'writer/retried', { token: WRITE_TOKEN, endpoint: server.url });
    assert.equal(r.repoId, 'writer/retried');
    const puts = server.requests.filter((q) => q.server === 'cdn' && q.method === 'PUT');
    assert.deepEqual(puts.map((q) => q.status), [503, 503, 200]);
    assert.deepEqual(server.requests.filter((q) => q.url.includes('/commit/')).map((q) => q.status), [500, 200]);
    const repo = server.getRepo('model', 'writer/retried')!;
    assert.equal(repo.commits.get(repo.branches.get('main')!)!.files.get('model.safetensors')!.sha256, sha256(model.weights));
    assert.equal(folderDigest(dir), before);
  });
});

describe('hubtune push', () => {
  function run(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
    const e: Record<string, string> = { ...(process.env as Record<string, string>), HF_ENDPOINT: server.url, HUBTUNE_HUB_RETRY_BASE_MS: '5', ...env };
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [join(REPO_ROOT, 'bin/hubtune.mjs'), ...args], { env: e, cwd: REPO_ROOT });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    });
  }

  test('uploads a folder (private, commit message); bad name and no token fail with one line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hubtune-cli-push-'));
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'config.json'), '{}');
    writeFileSync(join(dir, 'sub', 'model.safetensors'), safetensorsBuffer({ w: { dtype: 'F32', shape: [4], data: [1, 2, 3, 4] } }));
    const ok = await run(['push', dir, 'cli-model', '--private', '--commit-message', 'from the cli'], { HF_TOKEN: WRITE_TOKEN });
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /\/writer\/cli-model\/commit\/[0-9a-f]{40}/);
    assert.equal(server.getRepo('model', 'writer/cli-model')!.private, true);
    const c = server.commits.at(-1)!;
    assert.equal(c.title, 'from the cli');
    assert.deepEqual([...c.added].sort(), ['config.json', 'sub/model.safetensors']);
    assert.ok(!ok.stdout.includes(WRITE_TOKEN) && !ok.stderr.includes(WRITE_TOKEN));

    const bad = await run(['push', dir, 'org/-bad'], { HF_TOKEN: WRITE_TOKEN });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^error: invalid repo id "org\/-bad": .*\n$/);
    const none = await run(['push', dir, 'writer/cli-model'], { HF_TOKEN: '', HF_HOME: mkdtempSync(join(tmpdir(), 'hubtune-nohome-')) });
    assert.equal(none.code, 1);
    assert.match(none.stderr, /needs a token with write access/);
  });
});
