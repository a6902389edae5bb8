// hubtune datasets: Python `datasets` in TypeScript (loadDataset, Dataset, DatasetDict, Features).
export { loadDataset, loadDatasetDict, loadDatasetSplit, loadFromDisk, concatenateDatasets, parseSplitSpec, type LoadDatasetOptions, type DataFiles } from './load';
export { Dataset, type Row, type Batch, type TransformFn, type MapOptions, type FilterOptions, type DatasetInfo } from './dataset';
export { DatasetDict } from './dataset-dict';
export { Features, Value, ClassLabel, Image, Sequence, inferFeature, featureRepr, type FeatureType, type FeatureDict } from './features';
export { decodeImage, convertImage, encodeImagePng, isDecodedImage, type DecodedImage, type ImageMode } from './image';
export { defaultRng, type Generator } from './rng';
export { DatasetError } from './errors';
export { IterableDataset, IterableDatasetDict, splitDatasetByNode, type IterableMapOptions, type IterableFilterOptions, type IterableFormat } from './iterable-dataset';
