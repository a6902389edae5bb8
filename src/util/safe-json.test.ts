// The capped JSON reader behind every loader's JSON: preprocessor_config.json and trainer_state.json
// here (config.json and tokenizer.json have their own tests): deep nesting is a one-line error
// naming the file, never a stack overflow.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readJsonFile, JsonFileError } from './safe-json';
import { AutoImageProcessor, ImageProcessorConfigError } from '../preprocessing/image-processing';
import { TrainerState } from '../training/trainer-state';

const deep = (n: number) => `{"a": ${'['.repeat(n)}${']'.repeat(n)}}`;

test('readJsonFile: limits, missing files and non-objects, each naming the file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'safe-json-'));
  try {
    const f = join(dir, 'x.json');
    writeFileSync(f, deep(300));
    assert.throws(() => readJsonFile(f), (e: Error) => e instanceof JsonFileError && e.message.startsWith(f) && /nests deeper than 200/.test(e.message));
    writeFileSync(f, '[1,2,3]');
    assert.throws(() => readJsonFile(f, JsonFileError, { maxBytes: 4 }), /x\.json is 7 bytes, more than the 4-byte limit/);
    assert.throws(() => readJsonFile(f, JsonFileError, { object: true }), /x\.json must hold a JSON object/);
    assert.deepEqual(readJsonFile(f), [1, 2, 3]);
    assert.throws(() => readJsonFile(join(dir, 'none.json')), /none\.json not found/);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('preprocessor_config.json and trainer_state.json refuse hostile nesting by name', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'safe-json-'));
  try {
    writeFileSync(join(dir, 'preprocessor_config.json'), deep(1_000_000));
    await assert.rejects(AutoImageProcessor.fromPretrained(dir), (e: Error) => e instanceof ImageProcessorConfigError && e.message.includes('preprocessor_config.json') && /nests deeper/.test(e.message));
    const st = join(dir, 'trainer_state.json');
    writeFileSync(st, deep(1_000_000));
    assert.throws(() => TrainerState.load(st), (e: Error) => e.message.includes(st) && /nests deeper/.test(e.message));
  } finally { rmSync(dir, { recursive: true, force: true }); }
});
