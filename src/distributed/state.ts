// The default process group (torch.distributed's WORLD): installed by initProcessGroup.
import { DistributedError } from './errors';
import type { ProcessGroup } from './process-group';

let world: ProcessGroup | undefined;

/** @internal */
export function setDefaultGroup(pg: ProcessGroup | undefined): void { world = pg; }

/** The default process group; a one-line error when initProcessGroup has not run. */
export function getDefaultGroup(what = 'this call'): ProcessGroup {
  if (!world) throw new DistributedError(`${what} needs a process group: call await initProcessGroup({ backend: 'gloo' }) first (under hubtune launch)`);
  return world;
}

/** Whether initProcessGroup has installed a default group (torch.distributed.is_initialized). */
export function isInitialized(): boolean { return world !== undefined; }

/** This process's rank in the default group (0 when none: a single process is rank 0). */
export function getRank(group?: ProcessGroup): number { return (group ?? world)?.rank ?? 0; }

/** Number of processes in the default group (1 when none). */
export function getWorldSize(group?: ProcessGroup): number { return (group ?? world)?.worldSize ?? 1; }

/** Releases the default group (or `group`); initProcessGroup may then run again. */
export function destroyProcessGroup(group?: ProcessGroup): void {
  const g = group ?? world;
  if (!g) return;
  g.destroy();
  if (g === world) world = undefined;
}
