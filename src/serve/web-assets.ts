// The web pages' files, shipped in assets/web/ (a sibling of src/ and dist/ alike), read once each.
// Only the names listed here are ever read from that folder for a request.
import type http from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const WEB = join(import.meta.dirname, '..', '..', 'assets', 'web');
/** Served under /dash-assets/{name}: the pages' stylesheets and scripts. */
export const ASSETS: Readonly<Record<string, string>> = {
  'dash.css': 'text/css; charset=utf-8', 'dash-common.js': 'text/javascript; charset=utf-8',
  'model.css': 'text/css; charset=utf-8', 'model-page.js': 'text/javascript; charset=utf-8', 'index.js': 'text/javascript; charset=utf-8',
  'widgets.js': 'text/javascript; charset=utf-8', 'widgets-text.js': 'text/javascript; charset=utf-8',
};
/** Pages whose scripts are all files (no inline script), so they get a strict content security policy. */
const STRICT = new Set(['index.html', 'model.html']);
const CSP = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self' http: https:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const cache = new Map<string, string>();
export function webFile(name: string): string {
  let p = cache.get(name);
  if (p === undefined) cache.set(name, p = readFileSync(join(WEB, name), 'utf8'));
  return p;
}

/** Sends one of the pages (assets/web/{name}.html). */
export function sendPage(res: http.ServerResponse, name: string, status = 200): void {
  const html = webFile(name);
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(html), 'cache-control': 'no-store',
    'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer', ...(STRICT.has(name) ? { 'content-security-policy': CSP } : {}),
  });
  res.end(html);
}

/** Answers GET /dash-assets/{name} for a listed asset; false for any other path. */
export function sendAsset(res: http.ServerResponse, path: string): boolean {
  const name = path.startsWith('/dash-assets/') ? path.slice('/dash-assets/'.length) : '';
  if (!name || !Object.hasOwn(ASSETS, name)) return false;
  const body = webFile(name);
  res.writeHead(200, { 'content-type': ASSETS[name]!, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' });
  res.end(body);
  return true;
}
