// The index and model pages of `hubtune serve`, and the JSON and files behind them:
//   GET /                                        the index: served models (with their task), datasets, runs
//   GET /models/{id}                             the model page (assets/web/model.html): card, config, files, widget
//   GET /api/models/{id}                         what the model page shows (ModelInfo), errors naming the broken file
//   GET /models/{id}/resolve/main/{file}         one file of the model's listing (images of the card, config.json, ...)
// The inference widget posts to the Inference API route (POST /models/{id}). A file is served only
// when it is in the listing (links out of the model folder are not); what a browser could run (HTML,
// SVG, scripts) is sent as a download, never shown inline.
import type http from 'node:http';
import { createReadStream, statSync } from 'node:fs';
import { extname } from 'node:path';
import { modelInfo, servedFile } from './model-info';
import type { ServedModel } from './served-models';
import { sendPage } from './web-assets';

/** Types shown inline; every other file is an attachment of type application/octet-stream. */
const INLINE: Record<string, string> = {
  '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.gif': 'image/gif', '.webp': 'image/webp',
  '.json': 'text/plain; charset=utf-8', '.md': 'text/plain; charset=utf-8', '.txt': 'text/plain; charset=utf-8', '.yaml': 'text/plain; charset=utf-8', '.model': 'application/octet-stream',
};

function json(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
  res.end(text);
}

export class ModelPages {
  constructor(private readonly models: Map<string, ServedModel>) {}

  /** Answers the request when it is one of these routes (GET or HEAD only); false otherwise. */
  handle(req: http.IncomingMessage, res: http.ServerResponse, path: string): boolean {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    if (path === '/' || path === '/index.html') { sendPage(res, 'index.html'); return true; }
    if (path.startsWith('/api/models/')) {
      const id = path.slice('/api/models/'.length).replace(/\/+$/, '');
      const m = this.models.get(id);
      if (!m) json(res, 404, { error: `Model ${id} is not served here: see GET /api/models` });
      else json(res, 200, modelInfo(m));
      return true;
    }
    if (!path.startsWith('/models/')) return false;
    const rest = path.slice('/models/'.length);
    const page = rest.replace(/\/+$/, '');
    if (this.models.has(page)) { sendPage(res, 'model.html'); return true; }
    const r = /^(.+?)\/resolve\/main\/(.+)$/.exec(rest);
    if (r && this.models.has(r[1]!)) { this.file(res, this.models.get(r[1]!)!, r[2]!); return true; }
    // Anything else under /models/ with GET: the model page says the model is not served (JSON for other clients).
    if (/text\/html/.test(req.headers.accept ?? '') && !r) { sendPage(res, 'model.html', 404); return true; }
    return false;
  }

  private file(res: http.ServerResponse, m: ServedModel, rel: string): void {
    let real: string | null;
    try { real = servedFile(m, rel); } catch { real = null; }
    if (!real) { json(res, 404, { error: `${rel} is not a file of model ${m.id}: see GET /api/models/${m.id} for its files` }); return; }
    const type = INLINE[extname(rel).toLowerCase()];
    const size = statSync(real).size;
    const name = rel.split('/').at(-1)!.replace(/[^\w.-]/g, '_');
    res.writeHead(200, {
      'content-type': type ?? 'application/octet-stream', 'content-length': size, 'x-content-type-options': 'nosniff',
      'content-security-policy': "default-src 'none'; sandbox", 'cache-control': 'no-cache',
      ...(type ? {} : { 'content-disposition': `attachment; filename="${name}"` }),
    });
    if (res.req.method === 'HEAD') { res.end(); return; }
    createReadStream(real).on('error', () => res.destroy()).pipe(res);
  }
}
