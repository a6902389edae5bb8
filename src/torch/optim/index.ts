export { Optimizer, type ParamGroup, type ParamGroupInput, type OptimizerStateDict, type ParamState } from './optimizer';
export { AdamW, adamwFusedAvailable, type AdamWOptions } from './adamw';
export { SGD, type SGDOptions } from './sgd';
export { clipGradNorm } from './clip';
