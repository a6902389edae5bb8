// Long fuzz run of the pytorch_model.bin reader: `npm run fuzz:torch-bin -- [--count N] [--seconds S] [--seed K]`.
// Prints a JSON report; on a finding, writes the input to fuzz-torch-bin-finding-<seed>-<index>.bin and exits 1.
import { writeFileSync } from 'node:fs';
import { FuzzFinding, fuzzTorchBin } from '../test/support/fuzz-torch-bin';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const count = arg('count', 1_000_000);
const seconds = arg('seconds', Infinity);
const seed = arg('seed', Date.now() % 2 ** 31);
try {
  const report = fuzzTorchBin({ count, seed, seconds: Number.isFinite(seconds) ? seconds : undefined, onProgress: (n) => process.stderr.write(`\r${n} inputs`) });
  process.stderr.write('\n');
  console.log(JSON.stringify({ target: 'pytorch_model.bin reader', seed, ...report }, null, 1));
} catch (err) {
  if (!(err instanceof FuzzFinding)) throw err;
  const file = `fuzz-torch-bin-finding-${seed}-${err.index}.bin`;
  writeFileSync(file, err.input);
  console.error(`\nFINDING (seed ${seed}): ${err.message}\ninput written to ${file}`);
  process.exit(1);
}
