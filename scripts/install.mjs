#!/usr/bin/env node
// `npm install` of hubtune: builds the native addon over libtorch with node-gyp. When libtorch,
// a C++ compiler or make is missing, it stops with one line saying what to install.
// HUBTUNE_PREBUILT_ADDON=/path/to/hubtune_native.node copies an addon built elsewhere (same
// libtorch, same Node.js ABI, e.g. the one of a hubtune checkout) instead of compiling.
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
const APT = 'sudo apt-get install -y libtorch-dev libgloo-dev libdnnl-dev libopenblas0-pthread libjpeg62-turbo-dev g++ make';

function fail(msg) {
  console.error(`hubtune: ${msg}`);
  process.exit(1);
}

const prebuilt = process.env.HUBTUNE_PREBUILT_ADDON;
if (prebuilt) {
  if (!existsSync(prebuilt)) fail(`HUBTUNE_PREBUILT_ADDON=${prebuilt} does not exist: point it at a built hubtune_native.node or unset it to compile`);
  mkdirSync(join(root, 'build/Release'), { recursive: true });
  copyFileSync(prebuilt, join(root, 'build/Release/hubtune_native.node'));
  console.log(`hubtune: native addon copied from HUBTUNE_PREBUILT_ADDON (${prebuilt})`);
  process.exit(0);
}

const where = spawnSync(process.execPath, [join(root, 'scripts/libtorch-config.mjs'), 'describe'], { encoding: 'utf8' });
if (where.status !== 0) {
  const why = (where.stderr.match(/Error: (.*)/)?.[1] ?? 'libtorch not found').replace(/:.*$/, '');
  fail(`cannot build the native addon: ${why}. Install libtorch (Debian/Ubuntu: \`${APT}\`, as scripts/bootstrap.sh does), or set LIBTORCH=/path/to/unpacked/libtorch or LIBTORCH_USE_PYTORCH=1, then run \`npm rebuild hubtune\``);
}
for (const tool of ['g++', 'make']) {
  if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) {
    fail(`cannot build the native addon: \`${tool}\` is missing. Install it (Debian/Ubuntu: \`${APT}\`), then run \`npm rebuild hubtune\``);
  }
}

// npm hands its own node-gyp to install scripts (npm_config_node_gyp); else node-gyp from PATH.
const gyp = process.env.npm_config_node_gyp;
const cmd = gyp ? [process.execPath, [gyp, 'rebuild']] : ['node-gyp', ['rebuild']];
console.log('hubtune: building the native addon over libtorch (a few minutes) ...');
const r = spawnSync(cmd[0], cmd[1], { cwd: root, stdio: 'inherit' });
if (r.error) fail(`cannot run node-gyp (${r.error.message}): install it with \`npm install -g node-gyp\`, then run \`npm rebuild hubtune\``);
if (r.status !== 0) fail(`the native addon failed to compile (node-gyp exit ${r.status}, log above); check libtorch with \`node ${join(root, 'scripts/libtorch-config.mjs')} describe\``);
