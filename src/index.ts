// hubtune's public API: the Hugging Face transfer-learning workflow in TypeScript.
//   torch         tensors, nn, optim, safetensors (libtorch)
//   hub           hfHubDownload, snapshotDownload, login, uploads
//   datasets      loadDataset, Dataset, DatasetDict, Features
//   preprocessing AutoTokenizer, AutoImageProcessor, collators, image transforms
//   models        ViT / BERT / RoBERTa / DistilBERT, AutoModelFor*
//   training      Trainer, TrainingArguments, callbacks, model cards
//   metrics       loadMetric, combine
//   pipelines     pipeline(task)
// Everything is also available by module: `import { torch, hub } from 'hubtune'`.
export * from './torch/index';
export * from './hub/index';
export * from './datasets/index';
export * from './preprocessing/tokenization';
export * from './preprocessing/collators';
export * from './preprocessing/image-processing';
export * from './preprocessing/image-processors';
export * from './preprocessing/processors';
export * from './models/index';
export * from './training/index';
export * from './metrics/index';
export * from './pipelines/index';
export * from './generation/index';
export * from './peft/index';
export * from './distributed/index';
export { DataCollatorForSeq2Seq, groupTexts, type DataCollatorForSeq2SeqOptions } from './preprocessing/collators-seq2seq';
export { ChatTemplateError, type ChatMessage, type ApplyChatTemplateOptions } from './preprocessing/chat-template';

// Names defined by two modules: the top level takes the first; the other is under its module's namespace.
export { Generator, stack } from './torch/index';
export { decodeImage, isDecodedImage, type DecodedImage, ImageDecodeError } from './preprocessing/image-processing';
export { type DecodeOptions } from './preprocessing/tokenization';
export { type DecodeOptions as ImageDecodeOptions, type FromPretrainedOptions as ImageProcessorFromPretrainedOptions } from './preprocessing/image-processing';
export { type FromPretrainedOptions } from './models/index';
export { type Feature } from './preprocessing/collators';
export { type DatasetInfo } from './datasets/index'; // the Hub's listing type is hub.DatasetInfo

export * as torch from './torch/index';
export * as hub from './hub/index';
export * as datasets from './datasets/index';
export * as models from './models/index';
export * as training from './training/index';
export * as metrics from './metrics/index';
export * as pipelines from './pipelines/index';
export * as generation from './generation/index';
export * as peft from './peft/index';
export * as distributed from './distributed/index';
export * as tokenization from './preprocessing/tokenization';
export * as imageProcessing from './preprocessing/image-processing';
export * as collators from './preprocessing/collators';
