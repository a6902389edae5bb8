#!/usr/bin/env node
// The `hubtune` command. Installed from npm it runs the compiled CLI (dist/); in a hubtune
// checkout (src/ present, tsx installed) it runs the TypeScript sources through tsx's loader.
import { existsSync } from 'node:fs';

const src = new URL('../src/cli/main.ts', import.meta.url);
if (existsSync(src)) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(src.href);
} else {
  await import('../dist/cli/main.js');
}
