// Models with transformers' names: configs, the registry-driven Auto classes, save/load both ways.
export * from './config';
export * from './modeling-utils';
export * from './blocks/inputs';
export * from './blocks/attention';
export * from './blocks/losses';
export * from './blocks/layers';
export * from './files';
export * from './vit';
export * from './bert';
export * from './roberta';
export * from './distilbert';
export { SUPPORTED_MODEL_TYPES, CONFIG_CLASSES, MODEL_CLASSES, AUTO_TASKS, configClassFor, modelClassFor, modelTypesFor, modalityOf, type AutoTask, type ModelFamily, type ModelClass } from './registry';
export * from './auto';
