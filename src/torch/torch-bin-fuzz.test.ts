// 10,000 mutated pytorch_model.bin checkpoints: each loads to sane tensors or is refused with a
// one-line TorchCheckpointError (the long run is `npm run fuzz:torch-bin`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fuzzTorchBin } from '../../test/support/fuzz-torch-bin';

test('fuzz: 10,000 mutated checkpoints, no crash, no hang, no oversized allocation', () => {
  const report = fuzzTorchBin({ count: 10_000, seed: 0x5eed });
  assert.equal(report.inputs, 10_000);
  assert.equal(report.loaded + report.refused, 10_000);
  // Both outcomes occur: the mutations reach the loader's success path as well as its refusals.
  assert.ok(report.loaded > 50, `only ${report.loaded} mutants loaded`);
  assert.ok(report.topRefusals.some(([k]) => k.startsWith('refusing global')), 'hostile globals were exercised');
});
