// torch.distributed for hubtune: c10d process groups, collectives and the launcher's environment.
export { initProcessGroup } from './init';
export { isInitialized, getRank, getWorldSize, destroyProcessGroup, getDefaultGroup } from './state';
export { allReduce, broadcast, allGather, reduceScatter, barrier } from './collectives';
export { ProcessGroup, type Work, type ReduceOpName, type CollectiveOptions } from './process-group';
export { DistributedError } from './errors';
export type { InitProcessGroupOptions, Backend } from './env';
