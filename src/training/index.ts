// hubtune training: transformers' Trainer, TrainingArguments, callbacks and metrics helpers.
export {
  Trainer, setSeed, speedMetrics, argmax, toNested, TrainingDivergedError,
  type TrainerOptions, type TrainerModel, type ProcessingClass, type EvalPrediction, evalPrediction, type ComputeMetrics, type TrainOutput, type PredictionOutput,
} from './trainer';
export {
  TrainingArguments, TrainingArgumentsError, TRAINING_ARGUMENT_NAMES, toSnakeCase, toCamelCase,
  type TrainingArgumentsInit, type IntervalStrategy, type SaveStrategy, type SchedulerType,
} from './training-args';
export { TrainerState, type LogEntry, type TrainerStateInit } from './trainer-state';
export {
  TrainerControl, CallbackHandler, DefaultFlowCallback, EarlyStoppingCallback, JsonlLogCallback, LOG_HISTORY_JSONL,
  type TrainerCallback, type StatefulCallback, type CallbackExtras, type EarlyStoppingOptions,
} from './callbacks';
export { TensorBoardCallback, SummaryWriter } from './tensorboard';
export { ProgressCallback, formatLogLine, type ProgressCallbackOptions } from './progress';
export { logMetrics, saveMetrics, metricsFormat, secs2timedelta, type Metrics } from './metrics-io';
export { DataLoader, lengthGroupedIndices, batchToRows, rowLengths, type DatasetLike, type Collator, type DataLoaderOptions, type Feature } from './data-loader';
export {
  getLastCheckpoint, sortedCheckpoints, rotateCheckpoints, loadModelWeights, CheckpointError, PREFIX_CHECKPOINT_DIR,
  verifyCheckpoint, lastIntactCheckpoint, writeChecksums, CHECKSUMS_NAME, ensureOutputDir, OutputDirError,
} from './checkpoint';
export { writeFileAtomic, writeFileAtomicSync, writeDirAtomic } from './atomic';
export { createModelCard, saveModelCard, type ModelCardOptions } from './model-card';
export { Seq2SeqTrainer, Seq2SeqTrainingArguments, type Seq2SeqTrainingArgumentsInit } from './seq2seq-trainer';
