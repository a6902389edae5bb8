// The loaders' fuzz run, short: 200 mutated inputs per loader (safetensors, config, tokenizer,
// image, parquet, Arrow folders, .bin) in memory-capped child processes. Every input loads or is
// refused with the loader's own error class naming the file; no crash, hang or memory spike.
// The long run (10,000 per loader) is `npm run fuzz`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fuzzLoaders } from '../support/fuzz-harness';
import { TARGETS } from '../support/fuzz-loaders';

test('fuzz: 200 mutated inputs per loader, no crash, hang, memory spike or unnamed error', { timeout: 600_000 }, async () => {
  // models of at most 64 MB: building one stays far inside the hang limit on a loaded machine
  const reports = await fuzzLoaders(TARGETS, { count: 200, seed: 0xf022, env: { HUBTUNE_MAX_MODEL_BYTES: String(64 * 2 ** 20) } });
  for (const r of reports) {
    const why = `${r.target}: ${JSON.stringify(r.findings.slice(0, 3))}`;
    assert.equal(r.inputs, 200, why);
    assert.equal(r.crashes, 0, why);
    assert.equal(r.hangs, 0, why);
    assert.equal(r.memorySpikes, 0, why);
    assert.equal(r.errorsWithoutFileName, 0, why);
    assert.equal(r.errorsOfAnotherClass, 0, why);
    assert.equal(r.multilineErrors, 0, why);
    // the mutations reach both sides of each loader: some inputs load, some are refused
    assert.ok(r.refused > 0, `${r.target}: nothing refused`);
    if (r.target !== 'safetensors') assert.ok(r.loaded > 0, `${r.target}: nothing loaded`);
  }
});
