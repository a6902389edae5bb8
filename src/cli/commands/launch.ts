// `hubtune launch`: torchrun's launcher for hubtune scripts and commands (src/distributed/launch.ts).
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Command } from 'commander';
import { launch } from '../../distributed/launch';
import { parseLaunchArgs } from '../../distributed/launch-args';
import { DistributedError } from '../../distributed/errors';

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => { const p = (s.address() as { port: number }).port; s.close(() => res(p)); });
  });
}

/** True when `argv` (what follows `launch`) names a script after valid launcher flags (no --help before it). */
export function launchScriptGiven(argv: string[]): boolean {
  try {
    return !!parseLaunchArgs(argv).script;
  } catch {
    return false;
  }
}

/** Runs `argv` (what follows `launch`) as torchrun would; returns the exit code. */
export async function runLaunch(argv: string[], commandNames: string[]): Promise<number> {
  const p = parseLaunchArgs(argv);
  if (!p.script) throw new DistributedError('hubtune launch: give a script (.js/.mjs/.ts) or a hubtune command to run, e.g. hubtune launch --nproc-per-node 2 train.ts');
  let script = p.script;
  let args = p.args ?? [];
  let hubtune = false;
  if (script === 'hubtune' && args.length) { script = args[0]!; args = args.slice(1); hubtune = true; }
  if (!existsSync(script) && commandNames.includes(script)) hubtune = true;
  if (p.standalone) { p.masterAddr ??= '127.0.0.1'; p.masterPort ??= await freePort(); }
  const res = await launch({ ...p, script, args, hubtune });
  if (res.message) console.error(res.message);
  return res.exitCode;
}

export function register(program: Command): void {
  program
    .command('launch')
    .description('run a script or hubtune command as N processes of one job, with torchrun\'s flags and environment')
    .usage('[--nproc-per-node N] [--nnodes M --node-rank R --master-addr A --master-port P] <script.ts|js | command> [args...]')
    .allowUnknownOption()
    .allowExcessArguments()
    .helpOption('-h, --help', 'show this help (before the script; after it, --help is the script\'s)')
    .addHelpText('after', `
Options (torchrun's; dashes or underscores, --flag value or --flag=value):
  --nproc-per-node N   processes on this node (default 1)
  --nnodes M           number of nodes (default 1)
  --node-rank R        this node's index, 0..M-1 (default 0)
  --master-addr A      node 0's address (default 127.0.0.1; required with --nnodes > 1)
  --master-port P      the rendezvous port on node 0 (default 29500)
  --standalone         one node, a free port picked for you

Every process gets RANK, LOCAL_RANK, WORLD_SIZE, LOCAL_WORLD_SIZE, GROUP_RANK, MASTER_ADDR and MASTER_PORT;
the script calls initProcessGroup() (or the Trainer does). SIGINT/SIGTERM go to every process; when one
process fails, the others are stopped (SIGTERM, SIGKILL after HUBTUNE_LAUNCH_KILL_TIMEOUT_MS, default 10 s)
and the launcher exits non-zero naming the rank.

For example, on one machine:
  hubtune launch --nproc-per-node 2 train.ts --epochs 3
  hubtune launch --nproc-per-node 2 train --recipe recipe.yaml
and on two machines (run on each, --node-rank 0 on the one at 10.0.0.1):
  hubtune launch --nnodes 2 --node-rank 0 --nproc-per-node 1 --master-addr 10.0.0.1 --master-port 29500 train.ts`)
    .action(async () => {
      const at = process.argv.indexOf('launch');
      const argv = process.argv.slice(at + 1);
      process.exitCode = await runLaunch(argv, program.commands.map((c) => c.name()));
    });
}

/**
 * `hubtune <command> --nproc-per-node N ...`: runs the same command line again as N processes through
 * the launcher (without --nproc-per-node); returns the exit code.
 */
export async function relaunchCommand(command: string, nproc: string): Promise<number> {
  const at = process.argv.indexOf(command);
  const rest: string[] = [];
  const argv = process.argv.slice(at + 1);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--nproc-per-node' || a === '--nproc_per_node') { i++; continue; }
    if (a.startsWith('--nproc-per-node=') || a.startsWith('--nproc_per_node=')) continue;
    rest.push(a);
  }
  return runLaunch(['--nproc-per-node', nproc, command, ...rest], [command]);
}
