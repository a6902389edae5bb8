export { Module, ModuleList, type LoadResult } from './module';
export { Linear, Embedding, LayerNorm, Conv2d, Dropout, Activation, ReLU, GELU, SiLU, Tanh, Sequential } from './layers';
export * as functional from './functional';
export * as init from './init';
export { BatchNorm2d, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, Flatten, Identity, freezeBatchNorm, unfreezeBatchNorm, type BatchNormOptions } from './conv-layers';
