// hubtune's tensor engine: libtorch through a native addon, with PyTorch's API in camelCase.
export {
  Tensor, Generator, tensor, fromArray, scalarTensor, zeros, ones, empty, full, eye, zerosLike, onesLike, fullLike,
  arange, linspace, randn, rand, randint, randperm, normal, bernoulli, multinomial, cat, stack, where, isTensor,
  type CreateOptions, type RandomOptions, type Index, type Scalar, type TensorLike, type Reduction,
} from './tensor';
export { type DType, DTYPES, isFloating, elementSize, type TypedArray } from './dtype';
export { tidy, keep, disposeAll } from './scope';
export {
  setNumThreads, getNumThreads, useThreadsFor, threadsForSmallProducts, setFloat32Gemm, float32Gemm, manualSeed, getRngState, setRngState, noGrad, isGradEnabled, setGradEnabled,
  memoryStats, resetPeakMemory, setTensorMemoryLimit, cuda, versions, resolveDevice, yieldToEventLoop, blasWarning, type MemoryStats,
} from './runtime';
export * as nn from './nn/index';
export * as optim from './optim/index';
export { functional as F } from './nn/index';
export { loadSafetensors, loadShardedSafetensors, saveSafetensors, tensorsFromSafetensors, tensorToWrite } from './serialization';
export * as safetensors from './safetensors';
export { loadTorchBin, loadShardedTorchBin, TorchCheckpointError } from './torch-bin';
export { autocast, isAutocastEnabled, getAutocastDtype, cpuHasNativeBf16, setAllowTf32, getAllowTf32, type AutocastDevice, type AutocastOptions } from './amp/autocast';
export { checkpoint, type CheckpointOptions } from './checkpoint';
export {
  getScheduler, LRScheduler, SCHEDULER_NAMES, getConstantSchedule, getConstantScheduleWithWarmup, getLinearScheduleWithWarmup,
  getCosineScheduleWithWarmup, getCosineWithHardRestartsScheduleWithWarmup, getPolynomialDecayScheduleWithWarmup, getInverseSqrtSchedule,
  type Schedule, type SchedulerName, type GetSchedulerOptions, type GetSchedulerForOptimizerOptions, type SchedulableOptimizer,
  type SchedulerSpecificKwargs, type LRSchedulerOptions, type LRSchedulerState,
} from './lr-scheduler';
export { GradScaler, type GradScalerOptions, type GradScalerState } from './amp/grad-scaler';
export { quantizeDynamic, DynamicQuantizedLinear, QuantizationError, isQuantized, quantizedEngine, type QuantizeDynamicOptions, type DynamicQuantizationConfig } from './quantization';
export { profileOps, formatOps, type OpStat } from './profiler';
