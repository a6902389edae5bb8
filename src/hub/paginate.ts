// huggingface_hub's paginate(): GET a JSON list, then follow the `Link: <...>; rel="next"` pages.
import { HubHttpError } from './errors';
import { hubFetch, type HubRequestContext } from './http';

/** The `rel="next"` URL of a Link header, resolved against the request URL. */
export function nextLink(link: string | null, base: string): string | undefined {
  if (!link) return undefined;
  for (const part of link.split(',')) {
    const m = /<([^>]*)>\s*;(.*)$/.exec(part.trim());
    if (m && /\brel\s*=\s*"?next"?/.test(m[2])) return new URL(m[1], base).href;
  }
  return undefined;
}

/** Yields the items of every page (at most `maxPages`, and a page URL is never fetched twice). */
export async function* paginate<T>(ctx: HubRequestContext, url: string, o: { maxPages?: number } = {}): AsyncGenerator<T> {
  const f = hubFetch(ctx);
  const seen = new Set<string>();
  let next: string | undefined = url;
  for (let page = 0; next && page < (o.maxPages ?? 10_000); page++) {
    if (seen.has(next)) return;
    seen.add(next);
    const res = await f(next, { headers: { accept: 'application/json' } });
    let body: unknown;
    try {
      body = await res.json();
    } catch {
      throw new HubHttpError(`${ctx.endpoint} answered ${new URL(next).pathname} with something that is not JSON: check HF_ENDPOINT`);
    }
    if (!Array.isArray(body)) throw new HubHttpError(`${ctx.endpoint} answered ${new URL(next).pathname} without a JSON list: check HF_ENDPOINT`);
    for (const item of body) yield item as T;
    next = nextLink(res.headers.get('link'), next);
  }
}

/** `models` / `datasets` in API paths. */
export function apiRepoPath(repoType: 'model' | 'dataset' | 'space', repoId: string): string {
  return `api/${repoType}s/${repoId.split('/').map(encodeURIComponent).join('/')}`;
}
