// Public text-preprocessing API: tokenizers with transformers' behaviour.
export {
  PreTrainedTokenizer,
  cleanUpTokenization,
  VERY_LARGE_INTEGER,
  SPECIAL_TOKEN_KEYS,
  type BatchEncoding,
  type EncodeOptions,
  type PadOptions,
  type DecodeOptions,
  type AddedToken,
  type PaddingOption,
  type TruncationOption,
  type SpecialTokenKey,
  type TokenizerInit,
} from './tokenization-base';
export { AutoTokenizer, type AutoTokenizerOptions } from './auto-tokenizer';
export { TokenizerError } from './tokenizers/validate';
