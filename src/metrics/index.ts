export {
  loadMetric, listMetrics, combine, Metric, CombinedMetric,
  type ComputeOptions, type MetricInput, type MetricResult, type MetricValue, type LoadMetricOptions, type CombineOptions,
} from './metric';
export {
  accuracyScore, precisionScore, recallScore, f1Score, fbetaScore, precisionRecallFscoreSupport, matthewsCorrcoef,
  pearsonr, spearmanr, rankdata, uniqueLabels, checkTargets, MetricError, defaultWarningHandler,
  type Average, type Label, type ZeroDivision, type WarningHandler, type PrfOptions, type PrfResult,
} from './sklearn';
export { TextMetric, TextMetricError, rouge, bleu, sacrebleu, tokenize13a, rougeTokenize, type TextMetricResult, type RougeOptions, type BleuOptions, type SacreBleuOptions } from './text-metrics';
export {
  seqeval, squad, squadV2, getEntities, normalizeAnswer, StructuredMetric, NlpMetricError,
  type SeqevalOptions, type SeqevalResult, type SquadPrediction, type SquadReference, type SeqevalMetric, type SquadMetric, type SquadV2Metric,
} from './nlp-metrics';
