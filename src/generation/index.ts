// Text generation: generate() with transformers' GenerationConfig semantics, logits processors,
// stopping criteria, beam search and streamers.
export { generate, logitsProcessorsFor, logitsWarpersFor, type GenerateOptions, type GenerateOutput, type GenerateDictOutput, type GenerateFunction, type GenerativeModel } from './generate';
export { GenerationConfig, GENERATION_CONFIG_NAME, type GenerationConfigInit } from './generation-config';
export * from './logits-process';
export * from './stopping-criteria';
export { BeamSearchScorer, BeamHypotheses } from './beam-search';
export { TextStreamer, TextIteratorStreamer, type BaseStreamer, type TextStreamerOptions } from './streamers';
