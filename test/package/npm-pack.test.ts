// hubtune as an npm dependency: `npm pack` (which compiles dist/), then a fresh project
// (`npm init -y && npm install ./hubtune-x.y.z.tgz`) that uses it with plain `node` (no tsx),
// type-checks against its .d.ts under --strict with NodeNext resolution, and runs `npx hubtune`.
// The install reuses this checkout's addon (HUBTUNE_PREBUILT_ADDON) instead of compiling it again;
// dependencies come from the npm registry (or npm's cache).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(new URL('../..', import.meta.url).pathname);
const ADDON = join(ROOT, 'build/Release/hubtune_native.node');
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

function run(cmd: string, args: string[], opts: SpawnSyncOptions = {}): { code: number | null; out: string; err: string } {
  const env: NodeJS.ProcessEnv = { ...process.env, HF_HUB_OFFLINE: '1', npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' };
  // The repo's tsx loader must not leak into the fresh project's processes.
  delete env.NODE_OPTIONS;
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 300_000, ...opts, env: { ...env, ...(opts.env ?? {}) } });
  return { code: r.status, out: String(r.stdout ?? ''), err: String(r.stderr ?? '') + (r.error ? String(r.error) : '') };
}

test('npm pack installs into a fresh project and runs with plain node', { timeout: 900_000 }, (t) => {
  assert.ok(existsSync(ADDON), `the addon is not built (${ADDON}): run bash scripts/bootstrap.sh`);
  const dir = mkdtempSync(join(tmpdir(), 'hubtune-pack-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));

  // npm pack runs prepack (scripts/build.mjs: tsc to dist/, full import paths).
  const pack = run('npm', ['pack', '--json', '--pack-destination', dir], { cwd: ROOT });
  assert.equal(pack.code, 0, pack.err);
  const info = JSON.parse(pack.out.slice(pack.out.indexOf('['))) as { filename: string; files: { path: string }[] }[];
  const tgz = join(dir, info[0].filename);
  assert.equal(info[0].filename, `hubtune-${VERSION}.tgz`);
  const packed = info[0].files.map((f) => f.path);
  for (const f of ['dist/index.js', 'dist/index.d.ts', 'dist/cli/main.js', 'bin/hubtune.mjs', 'binding.gyp', 'scripts/install.mjs', 'native/addon.cc']) {
    assert.ok(packed.includes(f), `${f} is not in the tarball`);
  }
  assert.ok(!packed.some((f) => f.startsWith('src/') || f.endsWith('.test.js') || f.startsWith('test/')), 'sources or tests in the tarball');

  // The compiled modules have no import cycle (a cycle breaks plain-node ESM loading).
  const cycles = run(process.execPath, [join(ROOT, 'scripts/check-cycles.mjs'), join(ROOT, 'dist')]);
  assert.equal(cycles.code, 0, cycles.out + cycles.err);

  const app = join(dir, 'app');
  assert.equal(run('mkdir', [app]).code, 0);
  const init = run('npm', ['init', '-y'], { cwd: app });
  assert.equal(init.code, 0, init.err);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ ...JSON.parse(readFileSync(join(app, 'package.json'), 'utf8')), type: 'module' }));
  const install = run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tgz], { cwd: app, env: { HUBTUNE_PREBUILT_ADDON: ADDON } });
  assert.equal(install.code, 0, install.out + install.err);
  assert.ok(existsSync(join(app, 'node_modules/hubtune/build/Release/hubtune_native.node')), 'install script left no addon');
  assert.ok(!existsSync(join(app, 'node_modules/tsx')), 'tsx is installed as a runtime dependency');

  // Plain node, ESM: import from 'hubtune', compute with the addon, build the objects of a fine-tune.
  writeFileSync(join(app, 'main.mjs'), [
    "import { tensor, TrainingArguments, getScheduler, AutoConfig } from 'hubtune';",
    "import { createRequire } from 'node:module';",
    'const t = tensor([[1, 2], [3, 4]]);',
    "const args = new TrainingArguments({ outputDir: 'out', learningRate: 3e-5 });",
    "console.log(JSON.stringify({ sum: t.sum().item(), dtype: t.dtype, lr: args.learningRate, getScheduler: typeof getScheduler, auto: typeof AutoConfig.fromPretrained, pkg: createRequire(import.meta.url)('hubtune/package.json').version }));",
  ].join('\n'));
  const main = run(process.execPath, ['main.mjs'], { cwd: app });
  assert.equal(main.code, 0, main.err);
  assert.deepEqual(JSON.parse(main.out.trim().split('\n').at(-1)!), { sum: 10, dtype: 'int64', lr: 3e-5, getScheduler: 'function', auto: 'function', pkg: VERSION });

  // TypeScript users: the .d.ts resolve under NodeNext and --strict, and they carry real types.
  writeFileSync(join(app, 'check.ts'), [
    "import { tensor, TrainingArguments, type Tensor } from 'hubtune';",
    'const t: Tensor = tensor([1, 2, 3]);',
    "const args = new TrainingArguments({ outputDir: 'out' });",
    'const epochs: number = args.numTrainEpochs;',
    '// @ts-expect-error numTrainEpochs is a number, not a string',
    'const wrong: string = args.numTrainEpochs;',
    'console.log(t, epochs, wrong);',
  ].join('\n'));
  const tsc = run(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '--noEmit', '--strict', '--skipLibCheck',
    '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--types', 'node',
    '--typeRoots', join(ROOT, 'node_modules/@types'), 'check.ts'], { cwd: app });
  assert.equal(tsc.code, 0, tsc.out + tsc.err);

  // npx hubtune from the project.
  const version = run('npx', ['--no-install', 'hubtune', '--version'], { cwd: app });
  assert.equal(version.code, 0, version.err);
  assert.equal(version.out.trim(), VERSION);
  const help = run('npx', ['--no-install', 'hubtune', '--help'], { cwd: app });
  assert.equal(help.code, 0, help.err);
  assert.match(help.out, /\n {2}train\b/);

  // Without libtorch the install script stops with one line saying what to install.
  const noTorch = run(process.execPath, [join(app, 'node_modules/hubtune/scripts/install.mjs')], { env: { LIBTORCH: join(dir, 'no-libtorch'), HUBTUNE_PREBUILT_ADDON: '' } });
  assert.equal(noTorch.code, 1);
  assert.match(noTorch.err, /^hubtune: cannot build the native addon: .*apt-get install -y libtorch-dev.*npm rebuild hubtune`\n$/);
});
