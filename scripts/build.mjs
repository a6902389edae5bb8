#!/usr/bin/env node
// Compiles src/ to dist/ (ESM JavaScript + .d.ts, same folder depth as src/ so paths to
// build/ and assets/ hold) and makes every relative import a full path (`./x` -> `./x.js`,
// `./dir` -> `./dir/index.js`) as plain Node.js ESM needs. Run by `npm pack` (prepack);
// `--clean` rebuilds from scratch.
import { readdirSync, readFileSync, writeFileSync, statSync, existsSync, rmSync } from 'node:fs';
import { join, dirname, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
const dist = join(root, 'dist');

// Incremental: tsc re-emits only what changed since the last build (its state sits beside dist/);
// outputs whose source is gone are removed below.
const buildInfo = join(root, '.hubtune-dist.tsbuildinfo');
if (!existsSync(join(dist, 'index.js')) || process.argv.includes('--clean')) {
  rmSync(dist, { recursive: true, force: true });
  rmSync(buildInfo, { force: true });
}
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const r = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json'), '--incremental', '--tsBuildInfoFile', buildInfo], { stdio: 'inherit', cwd: root });
if (r.status !== 0) {
  console.error('hubtune build: tsc failed');
  process.exit(r.status ?? 1);
}

const SPEC = /(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(['"])(\.{1,2}\/[^'"]*|\.{1,2})\2/g;

/** The full specifier for `spec` imported from `dir`, or null when it already is one. */
export function fullSpecifier(dir, spec) {
  if (/\.(m?js|json|node)$/.test(spec)) return null;
  const base = resolve(dir, spec);
  if (existsSync(`${base}.js`) || existsSync(`${base}.d.ts`)) return `${spec}.js`;
  if (existsSync(join(base, 'index.js')) || existsSync(join(base, 'index.d.ts'))) return `${spec.replace(/\/$/, '')}/index.js`;
  throw new Error(`hubtune build: cannot resolve '${spec}' from ${dir}`);
}

function walk(dir, out = []) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith('.js') || name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

let files = 0;
for (const file of walk(dist)) {
  const source = join(root, 'src', file.slice(dist.length).replace(/\.(d\.ts|js)$/, '.ts'));
  if (!existsSync(source)) {
    rmSync(file);
    continue;
  }
  const text = readFileSync(file, 'utf8');
  const out = text.replace(SPEC, (m, pre, q, spec) => {
    const full = fullSpecifier(dirname(file), spec);
    return full ? `${pre}${q}${full}${q}` : m;
  });
  if (out !== text) writeFileSync(file, out);
  files++;
}
console.log(`hubtune build: ${files} files in dist/`);
