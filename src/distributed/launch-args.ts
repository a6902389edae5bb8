// torchrun's command line for `hubtune launch`: launcher flags (both dash and underscore spellings,
// `--flag value` and `--flag=value`) up to the script, then the script's own arguments untouched.
import { DistributedError } from './errors';
import type { LaunchOptions } from './launch';

const FLAGS: Record<string, keyof LaunchOptions | 'standalone'> = {
  'nproc-per-node': 'nprocPerNode', nnodes: 'nnodes', 'node-rank': 'nodeRank',
  'master-addr': 'masterAddr', 'master-port': 'masterPort', standalone: 'standalone',
};

export interface ParsedLaunch extends Omit<LaunchOptions, 'script'> { script?: string; standalone?: boolean }

export function parseLaunchArgs(argv: string[]): ParsedLaunch {
  const out: ParsedLaunch = { nprocPerNode: 1, args: [] };
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') { i++; break; }
    if (!a.startsWith('-') || a === '-') break;
    const m = /^--?([^=]+)(?:=(.*))?$/.exec(a)!;
    const name = m[1]!.replace(/_/g, '-');
    const key = FLAGS[name];
    if (!key) throw new DistributedError(`hubtune launch: unknown option '${a}' (supported: --nproc-per-node, --nnodes, --node-rank, --master-addr, --master-port, --standalone)`);
    if (key === 'standalone') { out.standalone = true; continue; }
    const value = m[2] ?? argv[++i];
    if (value === undefined) throw new DistributedError(`hubtune launch: ${a} needs a value`);
    if (key === 'nnodes' && value.includes(':')) {
      const [lo, hi] = value.split(':');
      if (lo !== hi) throw new DistributedError(`hubtune launch: --nnodes ${value} asks for elastic training, which hubtune does not do: give a fixed number of nodes`);
    }
    if (key === 'nprocPerNode' && !/^\d+$/.test(value)) throw new DistributedError(`hubtune launch: --nproc-per-node must be a number of processes, got '${value}' (auto/gpu/cpu are not supported)`);
    (out as any)[key] = key === 'masterAddr' ? value : Number(value.split(':')[0]);
  }
  out.script = argv[i];
  out.args = argv.slice(i + 1);
  return out;
}
