// `hubtune serve`'s inference endpoint under load, against calling pipeline() in-process: requests per
// second and p50/p99 latency for the demo's tiny ViT (assets/vit-tiny-shapes) with 1 and 16 concurrent
// clients over loopback, rounds interleaved (in-process, server, in-process, server, ...).
// Prints one JSON object.   node --import tsx bench/serve.ts [--seconds 5] [--rounds 3]
import { join } from 'node:path';
import { loadavg } from 'node:os';
import sharp from 'sharp';
import { pipeline } from '../src/pipelines/pipeline';
import { serve } from '../src/serve/server';

const arg = (name: string, dflt: number) => { const i = process.argv.indexOf(`--${name}`); return i >= 0 ? Number(process.argv[i + 1]) : dflt; };
const SECONDS = arg('seconds', 5);
const ROUNDS = arg('rounds', 3);
const root = join(import.meta.dirname, '..');
const modelDir = join(root, 'assets', 'vit-tiny-shapes');

interface Run { rps: number; p50_ms: number; p99_ms: number; requests: number }
const pct = (xs: number[], p: number) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? NaN; };
const median = (xs: number[]) => pct(xs, 0.5);

/** `clients` loops each sending one request after another until the time is up. */
async function load(clients: number, once: () => Promise<unknown>): Promise<Run> {
  const lat: number[] = [];
  const end = performance.now() + SECONDS * 1000;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: clients }, async () => {
    while (performance.now() < end) {
      const s = performance.now();
      await once();
      lat.push(performance.now() - s);
    }
  }));
  const secs = (performance.now() - t0) / 1000;
  return { rps: Math.round(lat.length / secs * 10) / 10, p50_ms: Math.round(pct(lat, 0.5) * 100) / 100, p99_ms: Math.round(pct(lat, 0.99) * 100) / 100, requests: lat.length };
}

async function main(): Promise<void> {
  const image = await sharp({ create: { width: 64, height: 64, channels: 3, background: { r: 120, g: 200, b: 80 } } }).png().toBuffer();
  const pipe = await pipeline('image-classification', { model: modelDir, warn: () => {} });
  const server = await serve({ paths: [modelDir], port: 0, hubCache: false });
  const url = `${server.url}/models/vit-tiny-shapes`;
  const viaHttp = async () => {
    const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'image/png' }, body: image });
    if (!r.ok) throw new Error(`HTTP ${r.status}: ${await r.text()}`);
    return r.json();
  };
  const inProcess = () => pipe(image);
  await viaHttp(); await inProcess(); // warm-up: model loaded on both sides

  const out: Record<string, unknown> = { model: 'assets/vit-tiny-shapes', seconds_per_run: SECONDS, rounds: ROUNDS, loadavg_start: loadavg().map((x) => Math.round(x * 100) / 100) };
  for (const clients of [1, 16]) {
    const runs: { server: Run[]; in_process: Run[] } = { server: [], in_process: [] };
    for (let r = 0; r < ROUNDS; r++) {
      runs.in_process.push(await load(clients, inProcess));
      runs.server.push(await load(clients, viaHttp));
    }
    const med = (rs: Run[]) => ({ rps: median(rs.map((x) => x.rps)), p50_ms: median(rs.map((x) => x.p50_ms)), p99_ms: median(rs.map((x) => x.p99_ms)) });
    const s = med(runs.server), p = med(runs.in_process);
    out[`clients_${clients}`] = { server: s, in_process: p, server_over_in_process_rps: Math.round(s.rps / p.rps * 1000) / 1000, runs };
  }
  out.loadavg_end = loadavg().map((x) => Math.round(x * 100) / 100);
  await server.close();
  console.log(JSON.stringify(out, null, 2));
}

await main();
