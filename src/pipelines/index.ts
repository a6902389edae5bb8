// hubtune pipelines: transformers' pipeline(task), one file per task, listed in tasks.ts.
export { pipeline, PipelineError, modelTypesForTask, type PipelineOptions, type PipelineLoadOptions, type CallOptionsOf } from './pipeline';
export { listTasks, checkTask, inferTask, SUPPORTED_TASKS, TASK_ALIASES, TASKS, UnknownTaskError, type TaskName, type TaskInfo, type TaskDefinition, type PipelineTypes } from './tasks';
export { Pipeline, PipelineItemError, PipelineBatchError, type PipelineModel, type PipelineInit } from './base';
export { ImageClassificationPipeline, type ImageClassificationOptions, type ImageClassificationInput, type ImageClassificationOutput, type LabelScore } from './image-classification';
export { TextClassificationPipeline, type TextClassificationOptions, type TextClassificationInput, type TextClassificationOutput } from './text-classification';
export { FillMaskPipeline, type FillMaskOptions, type FillMaskCandidate, type FillMaskOutput } from './fill-mask';
export { FeatureExtractionPipeline, type FeatureExtractionOptions, type FeatureExtractionOutput, type Pooling } from './feature-extraction';
export { PipelineInputError, loadImage, keyDataset, type ImageInputItem, type TextInputItem } from './inputs';
export { TextGenerationPipeline, type TextGenerationOptions, type TextGenerationInput, type TextGenerationOutput, type GeneratedText, type Chat } from './text-generation';
export { Text2TextGenerationPipeline, type Text2TextGenerationOptions, type Text2TextInput } from './text2text-generation';
export { SummarizationPipeline } from './summarization';
export { TranslationPipeline } from './translation';
export { ZeroShotImageClassificationPipeline, formatHypothesis, type ZeroShotImageClassificationOptions, type ZeroShotImageClassificationOutput, type ZeroShotLabelScore } from './zero-shot-image-classification';
export { ImageFeatureExtractionPipeline, type ImageFeatureExtractionOptions, type ImageFeatureExtractionOutput, type ImageFeatures } from './image-feature-extraction';
export { TokenClassificationPipeline, aggregateEntities, type TokenClassificationOptions, type TokenClassificationOutput, type TokenEntity, type EntityGroup, type AggregationStrategy, type PreEntity } from './token-classification';
export { QuestionAnsweringPipeline, type QuestionAnsweringOptions, type QuestionAnsweringInput, type QuestionAnsweringItem, type QuestionAnsweringAnswer, type QuestionAnsweringOutput } from './question-answering';
export { ZeroShotClassificationPipeline, type ZeroShotClassificationOptions, type ZeroShotResult, type ZeroShotClassificationOutput } from './zero-shot-classification';
