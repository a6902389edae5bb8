// `hubtune serve [paths...]`: model pages with inference widgets and the Inference API over local model
// folders and the Hub cache, with the dataset viewer and training dashboard.
import type { Command } from 'commander';
import { serve } from '../../serve/server';

interface ServeCliOptions { port: string; host: string; hubCache: boolean; maxBodyMb: string }

export function register(program: Command): void {
  program
    .command('serve')
    .description('serve models over HTTP like the Hugging Face Inference API (POST /models/{id}), with model pages and inference widgets, a dataset viewer and a training dashboard in the browser')
    .argument('[paths...]', 'model folders, dataset folders and data files, training output folders, or folders of those')
    .option('--port <port>', 'TCP port (0 picks a free one)', '7860')
    .option('--host <host>', 'address to bind; anything but 127.0.0.1 exposes the models to your network', '127.0.0.1')
    .option('--no-hub-cache', 'do not serve the models already in the Hub cache')
    .option('--max-body-mb <n>', 'largest request body in MiB', '16')
    .addHelpText('after', `
Runs until Ctrl-C. For example, serve ./demo-output, then:
  curl -s localhost:7860/models/vit-tiny-beans-like --data-binary @leaf.png
  curl -s localhost:7860/models/my-classifier -H 'content-type: application/json' -d '{"inputs": "I love it"}'
or with @huggingface/inference: new InferenceClient().endpoint('http://127.0.0.1:7860/models/<id>').textClassification({inputs})`)
    .action(async (paths: string[], o: ServeCliOptions) => {
      const port = Number(o.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be an integer from 0 to 65535, got '${o.port}'`);
      const mb = Number(o.maxBodyMb);
      if (!(mb > 0)) throw new Error(`--max-body-mb must be a positive number, got '${o.maxBodyMb}'`);
      const s = await serve({ paths, port, host: o.host, hubCache: o.hubCache, maxBodyBytes: Math.floor(mb * 1024 * 1024) });
      console.log(`hubtune serve: ${s.models.size} model(s) at ${s.url} (open it in a browser: models, datasets and runs)`);
      for (const id of s.models.keys()) console.log(`  ${s.url}/models/${id}  (page with its widget; POST for the Inference API)`);
      if (!s.models.size) console.log('  (no model folders found: pass folders that hold config.json)');
      for (const d of s.dash.datasets.list()) console.log(`  dataset viewer: ${s.url}/datasets/${d.id}`);
      console.log(`  training runs: ${s.url}/runs (${s.dash.runs.runs().size} now)`);
      await new Promise<void>((resolve) => {
        const stop = () => { void s.close().then(resolve); };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}
