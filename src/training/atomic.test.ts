import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanStaleTempDirs, isTempDirName, writeDirAtomic, writeFileAtomic, writeFileAtomicSync } from './atomic';

function withDir(fn: (dir: string) => Promise<void> | void) {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hubtune-atomic-'));
    try { await fn(dir); } finally { rmSync(dir, { recursive: true, force: true }); }
  };
}

test('writeFileAtomic(Sync) replaces the file and leaves no temp file', withDir(async (dir) => {
  const p = join(dir, 'a.json');
  writeFileAtomicSync(p, 'one');
  await writeFileAtomic(p, 'two');
  assert.equal(readFileSync(p, 'utf8'), 'two');
  assert.deepEqual(readdirSync(dir), ['a.json']);
  assert.throws(() => writeFileAtomicSync(join(dir, 'missing', 'x'), 'x'), /folder does not exist/);
}));

test('writeDirAtomic builds in a temp folder, renames into place, replaces an existing folder', withDir(async (dir) => {
  const final = join(dir, 'checkpoint-10');
  await writeDirAtomic(final, async (tmp) => {
    assert.ok(tmp.endsWith(`checkpoint-10.tmp-${process.pid}`));
    assert.ok(!existsSync(final));
    writeFileSync(join(tmp, 'model.safetensors'), 'w1');
    mkdirSync(join(tmp, 'sub'));
    writeFileSync(join(tmp, 'sub', 'x'), 'y');
  });
  assert.equal(readFileSync(join(final, 'model.safetensors'), 'utf8'), 'w1');
  await writeDirAtomic(final, (tmp) => { writeFileSync(join(tmp, 'model.safetensors'), 'w2'); });
  assert.equal(readFileSync(join(final, 'model.safetensors'), 'utf8'), 'w2');
  assert.ok(!existsSync(join(final, 'sub')));
  assert.deepEqual(readdirSync(dir), ['checkpoint-10']);
}));

test('writeDirAtomic removes its temp folder when fill fails, and stale temp folders next time', withDir(async (dir) => {
  const final = join(dir, 'checkpoint-20');
  await assert.rejects(writeDirAtomic(final, () => { throw new Error('disk full'); }), /disk full/);
  assert.deepEqual(readdirSync(dir), []);
  // A crashed writer (a pid that is not running) leaves checkpoint-5.tmp-<pid>.
  mkdirSync(join(dir, 'checkpoint-5.tmp-999999999'));
  writeFileSync(join(dir, 'checkpoint-5.tmp-999999999', 'partial'), '');
  assert.ok(isTempDirName('checkpoint-5.tmp-999999999'));
  assert.ok(!isTempDirName('checkpoint-5'));
  await writeDirAtomic(final, (tmp) => { writeFileSync(join(tmp, 'f'), 'x'); });
  assert.deepEqual(readdirSync(dir).sort(), ['checkpoint-20']);
  assert.deepEqual(cleanStaleTempDirs(dir), []);
}));
