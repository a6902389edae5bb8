// `hubtune env` (like `huggingface-cli env`): versions, platform, token and cache settings, to paste
// into a bug report. The token itself is never printed.
import { existsSync, readFileSync } from 'node:fs';
import { arch, platform, release } from 'node:os';
import type { Command } from 'commander';
import { getToken, hfHome, hubCacheDir, hubEndpoint, isOffline, tokenPath, whoami } from '../../hub/index';
import { toJson } from '../table';

/** hubtune's version (package.json). */
export function hubtuneVersion(): string {
  return (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

async function engine(): Promise<{ libtorch: string; cuda: string }> {
  try {
    const rt = await import('../../torch/runtime');
    const v = rt.versions();
    return { libtorch: v.torch, cuda: v.cuda ? `yes (${rt.cuda.deviceCount()} device(s))` : 'no' };
  } catch (err) {
    return { libtorch: `N/A (${(err as Error).message.split('\n')[0].slice(0, 80)})`, cuda: 'N/A' };
  }
}

export function register(program: Command): void {
  program
    .command('env')
    .description('print versions, platform and Hub settings (for bug reports; the token is never shown)')
    .option('--json', 'print JSON for scripts')
    .action(async (o: { json?: boolean }) => {
      const token = getToken();
      let who = 'N/A (not logged in)';
      if (token && !isOffline()) who = await whoami({ token }).then((w) => w.name, (e: Error) => `N/A (${e.message.split(':')[0]})`);
      else if (token) who = 'N/A (offline)';
      const e = await engine();
      const info: Record<string, string> = {
        'hubtune version': hubtuneVersion(),
        Platform: `${platform()}-${release()}-${arch()}`,
        'Node.js version': process.version,
        'libtorch version': e.libtorch,
        'CUDA available': e.cuda,
        'Token path ?': tokenPath(),
        'Has saved token ?': String(existsSync(tokenPath())),
        'Who am I ?': who,
        ENDPOINT: hubEndpoint(),
        HF_HOME: hfHome(),
        HF_HUB_CACHE: hubCacheDir(),
        HF_TOKEN_PATH: tokenPath(),
        HF_HUB_OFFLINE: String(isOffline()),
        HF_HUB_DISABLE_PROGRESS_BARS: process.env.HF_HUB_DISABLE_PROGRESS_BARS ?? 'None',
        HF_HUB_ETAG_TIMEOUT: process.env.HF_HUB_ETAG_TIMEOUT ?? '10',
        HF_HUB_DOWNLOAD_TIMEOUT: process.env.HF_HUB_DOWNLOAD_TIMEOUT ?? '10',
      };
      if (o.json) {
        console.log(toJson(info));
        return;
      }
      console.log('\nCopy-and-paste the text below in your GitHub issue.\n');
      for (const [k, v] of Object.entries(info)) console.log(`- ${k}: ${v}`);
      console.log('');
    });
}
