// Fuzzes every loader (safetensors, config, tokenizer, image, parquet, Arrow folders, the .bin
// unpickler) with mutated inputs in memory-capped child processes and prints one JSON report per
// loader: `npm run fuzz -- [--count 10000] [--seed K] [--targets config,parquet] [--hang-ms 12000]`.
// Exits 1 when any loader had a crash, hang, memory spike or an error that names no file.
// With --child it is one of those children (test/support/fuzz-loaders.ts runFuzzChild).
import { TARGETS, runFuzzChild, type Target } from '../test/support/fuzz-loaders';

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};

if (arg('child')) {
  await runFuzzChild({
    target: arg('child') as Target, seedRoot: arg('seed-root')!, seed: Number(arg('seed')), start: Number(arg('start')), end: Number(arg('end')), work: arg('work')!,
  });
  process.exit(0);
} else {
  const { fuzzLoaders } = await import('../test/support/fuzz-harness');
  const targets = (arg('targets')?.split(',') ?? [...TARGETS]) as Target[];
  for (const t of targets) if (!TARGETS.includes(t)) throw new Error(`--targets: unknown target '${t}' (known: ${TARGETS.join(', ')})`);
  const reports = await fuzzLoaders(targets, {
    count: Number(arg('count') ?? 10_000), seed: Number(arg('seed') ?? 0x5eed), hangMs: Number(arg('hang-ms') ?? 12_000),
    onProgress: (t, n) => process.stderr.write(`${t}: ${n} inputs\n`),
  });
  console.log(JSON.stringify(reports, null, 1));
  const bad = reports.some((r) => r.crashes || r.hangs || r.memorySpikes || r.errorsWithoutFileName || r.errorsOfAnotherClass);
  process.exit(bad ? 1 : 0);
}
