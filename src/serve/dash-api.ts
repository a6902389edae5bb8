// The JSON routes of the dataset viewer and the training dashboard, and their two pages:
//   GET /api/datasets                              served datasets
//   GET /api/datasets/{id}                         splits (rows), features (ClassLabel names), label and image columns
//   GET /api/datasets/{id}/rows?split&offset&length[&column&query]   a page of rows (of the matching rows with a query)
//   GET /api/datasets/{id}/distribution?split[&column]               counts per label
//   GET /api/datasets/{id}/image?split&row&column[&size]             a PNG thumbnail of an image cell
//   GET /api/runs                                  runs (training output folders and this process's live runs)
//   GET /api/runs/{id}                             a run's snapshot
//   GET /api/runs/{id}/events                      server-sent events: snapshot, then log / progress / confusion_matrix
//   GET /datasets/{id}, /runs, /runs/{id}          the pages (assets/web/dataset.html, dashboard.html)
//   GET /dash-assets/{name}                        the pages' stylesheets and scripts (web-assets.ts lists them)
import type http from 'node:http';
import { DatasetRequestError, DatasetService, type ServedDataset } from './served-datasets';
import { RunService } from './served-runs';
import { sendAsset, sendPage } from './web-assets';

function json(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}

const int = (v: string | null) => (v === null || v === '' ? undefined : Number(v));

export class DashboardApi {
  readonly datasets: DatasetService;
  readonly runs: RunService;
  /** Open event streams, closed with the server. */
  private streams = new Set<http.ServerResponse>();

  constructor(o: { datasets: Map<string, ServedDataset>; runRoots: string[] }) {
    this.datasets = new DatasetService(o.datasets);
    this.runs = new RunService(o.runRoots);
  }

  /** Splits `rest` into a served id and a known suffix (ids may hold slashes: org/name). */
  private split(rest: string, has: (id: string) => boolean, suffixes: string[]): { id: string; suffix: string } | null {
    if (has(rest)) return { id: rest, suffix: '' };
    for (const s of suffixes) if (rest.endsWith(`/${s}`) && has(rest.slice(0, -s.length - 1))) return { id: rest.slice(0, -s.length - 1), suffix: s };
    return null;
  }

  /** Answers the request when it is one of these routes; false otherwise. */
  async handle(req: http.IncomingMessage, res: http.ServerResponse, path: string, query: URLSearchParams): Promise<boolean> {
    const isApi = path === '/api/datasets' || path.startsWith('/api/datasets/') || path === '/api/runs' || path.startsWith('/api/runs/');
    const isPage = path.startsWith('/datasets/') || path === '/runs' || path === '/runs/' || path.startsWith('/runs/');
    if (sendAsset(res, path)) return true;
    if (!isApi && !isPage) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') { json(res, 405, { error: `use GET for ${path}` }); return true; }
    try {
      if (isPage) return this.page(res, path);
      if (path === '/api/datasets') { json(res, 200, this.datasets.list()); return true; }
      if (path === '/api/runs') { json(res, 200, this.runs.list()); return true; }
      if (path.startsWith('/api/datasets/')) {
        const hit = this.split(path.slice('/api/datasets/'.length), (id) => this.datasets.datasets.has(id), ['rows', 'distribution', 'image']);
        if (!hit) { json(res, 404, { error: `Dataset ${path.slice('/api/datasets/'.length)} is not served here: see GET /api/datasets` }); return true; }
        const split = query.get('split') || null;
        if (hit.suffix === '') json(res, 200, await this.datasets.info(hit.id));
        else if (hit.suffix === 'rows') json(res, 200, await this.datasets.rows(hit.id, { split, offset: int(query.get('offset')), length: int(query.get('length')), column: query.get('column'), query: query.get('query') ?? query.get('q') }));
        else if (hit.suffix === 'distribution') json(res, 200, await this.datasets.distribution(hit.id, { split, column: query.get('column') }));
        else {
          const png = await this.datasets.thumbnail(hit.id, { split, row: Number(query.get('row')), column: query.get('column') ?? '', size: int(query.get('size')) });
          res.writeHead(200, { 'content-type': 'image/png', 'content-length': png.length, 'cache-control': 'max-age=60' });
          res.end(png);
        }
        return true;
      }
      const runs = this.runs.runs();
      const hit = this.split(path.slice('/api/runs/'.length), (id) => runs.has(id), ['events']);
      if (!hit) { json(res, 404, { error: `Run ${path.slice('/api/runs/'.length)} is not served here: see GET /api/runs` }); return true; }
      const run = runs.get(hit.id)!;
      if (hit.suffix === '') { json(res, 200, this.runs.snapshot(run.id, run.dir)); return true; }
      this.stream(req, res, run);
      return true;
    } catch (e) {
      const err = e as Error;
      const status = e instanceof DatasetRequestError ? e.status : /^(DatasetError|ImageDecodeError|DecompressionBombError)$/.test(err?.name ?? '') ? 422 : 500;
      if (!res.headersSent) json(res, status, { error: String(err?.message ?? err).split('\n')[0] });
      else res.destroy();
      return true;
    }
  }

  private page(res: http.ServerResponse, path: string): boolean {
    sendPage(res, path.startsWith('/datasets/') ? 'dataset.html' : 'dashboard.html');
    return true;
  }

  private stream(req: http.IncomingMessage, res: http.ServerResponse, run: { id: string; dir: string }): void {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
    this.streams.add(res);
    const stop = this.runs.subscribe(run.id, run.dir, (e) => { res.write(`event: ${e.event}\ndata: ${JSON.stringify(e.data)}\n\n`); });
    // A comment line now and then keeps proxies from closing an idle stream.
    const ping = setInterval(() => res.write(': ping\n\n'), 15_000);
    ping.unref();
    const end = () => { stop(); clearInterval(ping); this.streams.delete(res); };
    req.on('close', end);
    res.on('close', end);
  }

  close(): void {
    for (const r of this.streams) r.end();
    this.streams.clear();
  }
}
