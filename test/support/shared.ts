// Locates ../shared (golden fixtures from Python transformers). CI has it beside the
// checkout; a user's clone may not, and then fixture tests say so and skip.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const SHARED_DIR = process.env.HUBTUNE_SHARED_DIR ?? resolve(REPO_ROOT, '../shared');

export const hasShared = existsSync(join(SHARED_DIR, 'fixtures'));

/** Absolute path of a file under ../shared (no existence check). */
export function sharedPath(...parts: string[]): string {
  return join(SHARED_DIR, ...parts);
}

/** Options for `test()`/`describe()`: skips with a visible reason when ../shared is absent. */
export const needsShared = hasShared ? {} : { skip: `../shared is absent (${SHARED_DIR}): Python reference fixture test skipped` };

/** Inside a test: returns false (after marking the test skipped with the reason) when ../shared is absent. */
export function sharedOrSkip(t: TestContext): boolean {
  if (!hasShared) t.skip(`../shared is absent (${SHARED_DIR}): Python reference fixture test skipped`);
  return hasShared;
}
