// Browser tests: playwright-core driving Debian's chromium headless (scripts/bootstrap.sh installs it
// with apt when missing), started with a fixed set of flags and an empty user-data dir that is
// removed afterwards. Where Chromium is not installed or does not start, `openBrowser` returns the
// reason and the test skips saying so. Screenshots go under test-output/screenshots/.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';

export const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** The chromium binary (HUBTUNE_CHROMIUM, else Debian's), or null. */
export function chromiumPath(): string | null {
  for (const p of [process.env.HUBTUNE_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser']) if (p && existsSync(p)) return p;
  return null;
}

/** Where tests save screenshots: test-output/screenshots/ in the repository (git-ignored). */
export function screenshotDir(): string {
  const dir = join(import.meta.dirname, '..', '..', 'test-output', 'screenshots');
  mkdirSync(dir, { recursive: true });
  return dir;
}

export interface OpenBrowser {
  page: Page;
  context: BrowserContext;
  /** Page errors and console errors seen so far (a page with a script error fails its test). */
  errors: string[];
  close(): Promise<void>;
}

/** A fresh Chromium with one page, or the reason there is none (use it as the test's skip message). */
export async function openBrowser(o: { width?: number; height?: number } = {}): Promise<OpenBrowser | string> {
  const exe = chromiumPath();
  if (!exe) return 'Chromium is not installed (scripts/bootstrap.sh installs Debian\'s chromium with apt when run as root; or set HUBTUNE_CHROMIUM)';
  const { chromium } = await import('playwright-core');
  const profile = mkdtempSync(join(tmpdir(), 'hubtune-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, { executablePath: exe, headless: true, args: CHROMIUM_FLAGS, viewport: { width: o.width ?? 1200, height: o.height ?? 900 }, timeout: 60_000 });
  } catch (e) {
    rmSync(profile, { recursive: true, force: true });
    return `Chromium (${exe}) did not start: ${String((e as Error).message).split('\n')[0]}`;
  }
  const page = context.pages()[0] ?? await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error' && !/favicon/.test(m.location().url)) errors.push(`console: ${m.text()} (${m.location().url})`); });
  return {
    page, context, errors,
    close: async () => {
      await context.close().catch(() => {});
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
