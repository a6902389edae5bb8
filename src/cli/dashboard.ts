// `hubtune train --dashboard`: the run reports to 'hubtune' and `hubtune serve`'s training dashboard
// runs in the same process while it trains (its page at /runs/<output folder name>). On a terminal the
// dashboard stays up after training until Ctrl-C; otherwise it closes with the run.
import { basename, resolve } from 'node:path';
import type { Recipe } from './recipe';

export async function withDashboard<T>(recipe: Recipe, portText: string, run: () => Promise<T>, o: { log?: (l: string) => void; keepOpen?: boolean } = {}): Promise<T> {
  const log = o.log ?? ((l: string) => console.log(l));
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--dashboard-port must be an integer from 0 to 65535, got '${portText}'`);
  const ta = (recipe.trainingArgs ??= {}) as Record<string, unknown>;
  const key = 'report_to' in ta ? 'report_to' : 'reportTo' in ta ? 'reportTo' : 'report_to';
  const given = ta[key];
  const list = (Array.isArray(given) ? given.map(String) : typeof given === 'string' ? given.split(',').map((x) => x.trim()) : []).filter((x) => x && x !== 'none');
  ta[key] = [...new Set([...list, 'hubtune'])];
  const { serve } = await import('../serve/server');
  const server = await serve({ paths: [], port, hubCache: false });
  const outputDir = String(ta.output_dir ?? ta.outputDir ?? 'trainer_output');
  log(`dashboard: ${server.url}/runs/${encodeURIComponent(basename(resolve(outputDir)))}`);
  try {
    const out = await run();
    if (o.keepOpen ?? !!process.stdout.isTTY) {
      log(`training done; the dashboard stays at ${server.url}/runs (Ctrl-C to stop)`);
      await new Promise<void>((done) => { process.once('SIGINT', () => done()); process.once('SIGTERM', () => done()); });
    }
    return out;
  } finally {
    await server.close();
  }
}
