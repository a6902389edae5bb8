// hubtune pipelines: transformers' pipeline(task) for image-classification, text-classification
// (sentiment-analysis), fill-mask and feature-extraction.
export { pipeline, PipelineError, type PipelineOptions } from './pipeline';
export { listTasks, checkTask, inferTask, SUPPORTED_TASKS, TASK_ALIASES, UnknownTaskError, type TaskName, type TaskInfo } from './tasks';
export { Pipeline, type PipelineModel, type PipelineInit } from './base';
export { ImageClassificationPipeline, type ImageClassificationOptions, type ImageClassificationInput, type ImageClassificationOutput, type LabelScore } from './image-classification';
export { TextClassificationPipeline, type TextClassificationOptions, type TextClassificationInput, type TextClassificationOutput } from './text-classification';
export { FillMaskPipeline, type FillMaskOptions, type FillMaskCandidate, type FillMaskOutput } from './fill-mask';
export { FeatureExtractionPipeline, type FeatureExtractionOptions, type FeatureExtractionOutput, type Pooling } from './feature-extraction';
export { PipelineInputError, loadImage, type ImageInputItem, type TextInputItem } from './inputs';
