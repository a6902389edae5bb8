// Models: ViT, BERT, RoBERTa, DistilBERT with transformers' names, Auto classes, save/load both ways.
export * from './config';
export * from './modeling-utils';
export * from './files';
export * from './vit';
export * from './bert';
export * from './roberta';
export * from './distilbert';
export * from './auto';
