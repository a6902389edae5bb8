// generate() (transformers' generation/utils.py, 4.29 semantics): greedy search, multinomial
// sampling, beam search and beam sampling, for decoder-only and encoder-decoder models, with the
// logits processors, stopping criteria and streamers of GenerationConfig.
import {
  Tensor, tidy, keep, noGrad, tensor, cat, ones, full, multinomial, disposeAll, yieldToEventLoop, Generator,
  threadsForSmallProducts, isAutocastEnabled, getAutocastDtype,
} from '../torch/index';
import type { PretrainedConfig } from '../models/config';
import type { DynamicCache } from '../models/blocks/kv-cache';
import { GenerationConfig, GENERATION_OPTION_NAMES, type GenerationConfigInit } from './generation-config';
import {
  LogitsProcessorList, MinLengthLogitsProcessor, MinNewTokensLengthLogitsProcessor, RepetitionPenaltyLogitsProcessor,
  NoRepeatNGramLogitsProcessor, NoBadWordsLogitsProcessor, ForcedBOSTokenLogitsProcessor, ForcedEOSTokenLogitsProcessor,
  InfNanRemoveLogitsProcessor, ExponentialDecayLengthPenalty, SuppressTokensLogitsProcessor, SuppressTokensAtBeginLogitsProcessor,
  ForceTokensLogitsProcessor, LogitNormalization, TemperatureLogitsWarper, TopKLogitsWarper, TopPLogitsWarper, TypicalLogitsWarper,
  type LogitsProcessor,
} from './logits-process';
import { MaxLengthCriteria, MaxTimeCriteria, StopStringCriteria, type StoppingCriterion, type StopStringTokenizer } from './stopping-criteria';
import { BeamSearchScorer } from './beam-search';
import type { BaseStreamer } from './streamers';

/** What generate() needs from a model (hubtune's causal and seq2seq LMs). */
export interface GenerativeModel {
  readonly config: PretrainedConfig & { isEncoderDecoder?: boolean; maxPositionEmbeddings?: number };
  generationConfig: GenerationConfig | null;
  forward(batch: Record<string, unknown>): { logits: Tensor; pastKeyValues?: DynamicCache };
  /** forward's argument names (snake_case); generate() passes logits_to_keep where it is one. */
  readonly forwardArgNames?: readonly string[];
  prepareInputsForGeneration(ids: Tensor, o: { pastKeyValues?: DynamicCache; attentionMask?: Tensor; encoderOutputs?: { lastHiddenState: Tensor }; useCache: boolean }): Record<string, unknown>;
  /** Encoder-decoders: the encoder's output for the inputs. */
  getEncoderOutputs?(o: { inputIds: Tensor; attentionMask?: Tensor }): { lastHiddenState: Tensor };
}

export interface GenerateOptions extends GenerationConfigInit {
  /** The prompt ids [B, L] (left-padded for decoder-only batches); `input_ids` is accepted too. */
  inputIds?: Tensor | number[] | number[][];
  attentionMask?: Tensor | number[] | number[][];
  /** Encoder-decoders: the decoder's first ids (default: decoder_start_token_id). */
  decoderInputIds?: Tensor | number[][];
  /** Instead of the model's generation_config (the other options override its fields). */
  generationConfig?: GenerationConfig | GenerationConfigInit;
  /** Extra processors, applied after the ones the config implies. */
  logitsProcessor?: LogitsProcessor[];
  stoppingCriteria?: StoppingCriterion[];
  /** Receives the prompt, then each new token (TextStreamer, TextIteratorStreamer). */
  streamer?: BaseStreamer | null;
  /** Needed for stop strings. */
  tokenizer?: StopStringTokenizer;
  /** Seeds the sampling generator (default: the global generator, see manualSeed). */
  seed?: number;
  generator?: Generator;
}

export interface GenerateDictOutput {
  sequences: Tensor;
  /** The processed scores of each step [B·beams, V] (outputScores). */
  scores?: Tensor[];
  /** Beam search: the final score of each returned sequence. */
  sequencesScores?: Tensor;
  /** Beam search: the beam each token came from (-1 after the end). */
  beamIndices?: Tensor;
}
export type GenerateOutput = Tensor | GenerateDictOutput;

/** generate()'s call signatures: a Tensor of ids, or the dict output with returnDictInGenerate. */
export interface GenerateFunction {
  (o: GenerateOptions & { returnDictInGenerate: true }): Promise<GenerateDictOutput>;
  (o?: GenerateOptions): Promise<Tensor>;
}

const CONTROL_KEYS = new Set(['generationConfig', 'logitsProcessor', 'stoppingCriteria', 'streamer', 'tokenizer', 'seed', 'generator']);
const INPUT_KEYS = new Set(['inputIds', 'attentionMask', 'decoderInputIds', 'tokenTypeIds']);
const camelOf = (k: string) => k.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

let warnedPad = false;

function toIds(v: Tensor | number[] | number[][], what: string): Tensor {
  if (v instanceof Tensor) return v.dtype === 'int64' ? v : v.to('int64');
  if (!Array.isArray(v)) throw new TypeError(`generate(): ${what} must be a Tensor or an array of ids`);
  const rows = Array.isArray(v[0]) ? (v as number[][]) : [v as number[]];
  return tensor(rows, { dtype: 'int64' });
}

/** transformers' _get_logits_processor (the processors a GenerationConfig implies, in its order). */
export function logitsProcessorsFor(gc: GenerationConfig, o: { inputLength: number; encoderInputIds?: Tensor; extra?: LogitsProcessor[] }): LogitsProcessorList {
  const list = new LogitsProcessorList();
  const eos = gc.eosTokenIds;
  if (gc.repetitionPenalty !== 1.0) list.push(new RepetitionPenaltyLogitsProcessor(gc.repetitionPenalty));
  if (gc.noRepeatNgramSize > 0) list.push(new NoRepeatNGramLogitsProcessor(gc.noRepeatNgramSize));
  if (gc.badWordsIds !== null) list.push(new NoBadWordsLogitsProcessor(gc.badWordsIds, eos));
  if (gc.minLength > 0 && eos.length) list.push(new MinLengthLogitsProcessor(gc.minLength, eos));
  if (gc.minNewTokens !== null && gc.minNewTokens > 0 && eos.length) list.push(new MinNewTokensLengthLogitsProcessor(o.inputLength, gc.minNewTokens, eos));
  if (gc.forcedBosTokenId !== null) list.push(new ForcedBOSTokenLogitsProcessor(gc.forcedBosTokenId));
  if (gc.forcedEosTokenId !== null) list.push(new ForcedEOSTokenLogitsProcessor(gc.maxLength, gc.forcedEosTokenId));
  if (gc.removeInvalidValues) list.push(new InfNanRemoveLogitsProcessor());
  if (gc.exponentialDecayLengthPenalty !== null) {
    const [start, factor] = gc.exponentialDecayLengthPenalty;
    list.push(new ExponentialDecayLengthPenalty(start, factor, eos, o.inputLength));
  }
  if (gc.suppressTokens !== null) list.push(new SuppressTokensLogitsProcessor(gc.suppressTokens));
  if (gc.beginSuppressTokens !== null) {
    const begin = gc.forcedDecoderIds === null ? o.inputLength : o.inputLength + gc.forcedDecoderIds.length;
    list.push(new SuppressTokensAtBeginLogitsProcessor(gc.beginSuppressTokens, begin));
  }
  if (gc.forcedDecoderIds !== null) list.push(new ForceTokensLogitsProcessor(gc.forcedDecoderIds));
  for (const p of o.extra ?? []) list.push(p);
  if (gc.renormalizeLogits) list.push(new LogitNormalization());
  return list;
}

/** transformers' _get_logits_warper (sampling only). */
export function logitsWarpersFor(gc: GenerationConfig): LogitsProcessorList {
  const list = new LogitsProcessorList();
  const minKeep = gc.numBeams > 1 ? 2 : 1;
  if (gc.temperature !== 1.0) list.push(new TemperatureLogitsWarper(gc.temperature));
  if (gc.topK !== 0) list.push(new TopKLogitsWarper(gc.topK, minKeep));
  if (gc.topP < 1.0) list.push(new TopPLogitsWarper(gc.topP, minKeep));
  if (gc.typicalP < 1.0) list.push(new TypicalLogitsWarper(gc.typicalP, minKeep));
  if (gc.epsilonCutoff !== 0 || gc.etaCutoff !== 0) throw new Error('epsilon_cutoff and eta_cutoff sampling are not supported by hubtune: use top_k, top_p or typical_p');
  if (gc.renormalizeLogits) list.push(new LogitNormalization());
  return list;
}

/** Row-wise repeat_interleave on dim 0. */
function expandRows(t: Tensor, n: number): Tensor {
  if (n === 1) return t;
  return tidy(() => {
    const b = t.shape[0]!;
    const idx = tensor(Array.from({ length: b * n }, (_, i) => Math.floor(i / n)), { dtype: 'int64' });
    return t.indexSelect(0, idx);
  });
}

/** Generates sequences for `model` (see GenerativeModel); the model classes expose it as model.generate(). */
export async function generate(model: GenerativeModel, options: GenerateOptions & { returnDictInGenerate: true }): Promise<GenerateDictOutput>;
export async function generate(model: GenerativeModel, options?: GenerateOptions): Promise<Tensor>;
export async function generate(model: GenerativeModel, options: GenerateOptions = {}): Promise<GenerateOutput> {
  // ---- split the options: inputs, controls, generation fields (camelCase or snake_case)
  const inputs: Record<string, unknown> = {};
  const control: Record<string, unknown> = {};
  const genOpts: Record<string, unknown> = {};
  const unknown: string[] = [];
  for (const [k0, v] of Object.entries(options ?? {})) {
    if (v === undefined) continue;
    const k = camelOf(k0);
    if (INPUT_KEYS.has(k)) inputs[k] = v;
    else if (CONTROL_KEYS.has(k)) control[k] = v;
    else if (GENERATION_OPTION_NAMES.has(k) || GENERATION_OPTION_NAMES.has(k0)) genOpts[k] = v;
    else unknown.push(k0);
  }
  if (unknown.length) {
    throw new Error(`The following \`model_kwargs\` are not used by the model: [${unknown.map((k) => `'${k}'`).join(', ')}] (note: typos in the generate arguments will also show up in this list)`);
  }
  const cfgIn = control.generationConfig as GenerationConfig | GenerationConfigInit | undefined;
  const gc = cfgIn instanceof GenerationConfig ? cfgIn.clone()
    : cfgIn ? new GenerationConfig(cfgIn) : (model.generationConfig ?? GenerationConfig.fromModelConfig(model.config)).clone();
  gc.update(genOpts);
  gc.validate();
  const encDec = !!model.config.isEncoderDecoder;
  const streamer = (control.streamer as BaseStreamer | null | undefined) ?? null;
  const generator = (control.generator as Generator | undefined) ?? (typeof control.seed === 'number' ? new Generator(control.seed) : undefined);

  return runGeneration(model, gc, encDec, inputs, control, streamer, generator);
}

async function runGeneration(model: GenerativeModel, gc: GenerationConfig, encDec: boolean, inputs: Record<string, unknown>, control: Record<string, unknown>,
  streamer: BaseStreamer | null, generator: Generator | undefined): Promise<GenerateOutput> {
  const owned = new Set<Tensor>();
  const own = <T extends Tensor>(t: T): T => { owned.add(keep(t)); return t; };
  const release = (t: Tensor) => { if (owned.delete(t)) t.dispose(); };
  const ownIds = (v: unknown, what: string): Tensor => { const t = toIds(v as Tensor, what); return t === v ? t : own(t); };
  let step: StepContext | undefined;
  try {
    // ---- special tokens
    if (gc.padTokenId === null && gc.eosTokenIds.length) {
      if (!warnedPad) console.warn(`Setting \`pad_token_id\` to \`eos_token_id\`:${gc.eosTokenIds[0]} for open-end generation.`);
      warnedPad = true;
      gc.padTokenId = gc.eosTokenIds[0]!;
    }
    const eos = gc.eosTokenIds;
    const pad = gc.padTokenId;

    // ---- the prompt
    let promptIds: Tensor;
    if (inputs.inputIds !== undefined) promptIds = ownIds(inputs.inputIds, 'inputIds');
    else if (encDec) throw new Error('generate() needs inputIds for an encoder-decoder model: tokenize the source text first');
    else {
      if (gc.bosTokenId === null) throw new Error('`bos_token_id` has to be defined when no `input_ids` are provided.');
      promptIds = own(full([1, 1], gc.bosTokenId, { dtype: 'int64' }));
    }
    if (promptIds.ndim !== 2) throw new Error(`generate(): inputIds must be [batch, length], got shape [${promptIds.shape.join(', ')}]`);
    const batch = promptIds.shape[0]!;
    let attentionMask: Tensor;
    if (inputs.attentionMask !== undefined) attentionMask = ownIds(inputs.attentionMask, 'attentionMask');
    else if (pad !== null && !eos.includes(pad)) attentionMask = own(tidy(() => promptIds.ne(pad).to('int64')));
    else attentionMask = own(ones(promptIds.shape, { dtype: 'int64' }));
    const maxPositions = model.config.maxPositionEmbeddings;
    if (typeof maxPositions === 'number' && promptIds.shape[1]! > maxPositions) {
      throw new Error(`Input length of input_ids is ${promptIds.shape[1]}, longer than the model's context of ${maxPositions} tokens (max_position_embeddings): truncate the prompt`);
    }

    let ids: Tensor;
    let encoderOutputs: { lastHiddenState: Tensor } | undefined;
    if (encDec) {
      if (!model.getEncoderOutputs) throw new Error('this model is marked is_encoder_decoder but has no encoder');
      encoderOutputs = noGrad(() => model.getEncoderOutputs!({ inputIds: promptIds, attentionMask }));
      own(encoderOutputs.lastHiddenState);
      if (inputs.decoderInputIds !== undefined) ids = ownIds(inputs.decoderInputIds, 'decoderInputIds');
      else {
        const start = gc.decoderStartTokenId ?? (model.config as { decoderStartTokenId?: number | null }).decoderStartTokenId ?? gc.bosTokenId;
        if (start === null || start === undefined) throw new Error('`decoder_start_token_id` or `bos_token_id` has to be defined for encoder-decoder generation.');
        ids = own(full([batch, 1], start, { dtype: 'int64' }));
      }
    } else {
      ids = promptIds;
      if (pad !== null && batch > 1) {
        const rightPadded = tidy(() => promptIds.select(1, promptIds.shape[1]! - 1).eq(pad).any().item());
        if (rightPadded) console.warn("A decoder-only architecture is being used, but right-padding was detected! For correct generation results, please set `padding_side='left'` when initializing the tokenizer.");
      }
    }
    const inputLength = ids.shape[1]!;
    if (gc.maxNewTokens !== null) gc.maxLength = gc.maxNewTokens + inputLength;
    if (inputLength >= gc.maxLength) {
      console.warn(`Input length of ${encDec ? 'decoder_input_ids' : 'input_ids'} is ${inputLength}, but \`max_length\` is set to ${gc.maxLength}. This can lead to unexpected behavior. You should consider increasing \`max_new_tokens\`.`);
    }

    // ---- processors and criteria
    const processors = logitsProcessorsFor(gc, { inputLength, extra: control.logitsProcessor as LogitsProcessor[] | undefined });
    const criteria: StoppingCriterion[] = [new MaxLengthCriteria(gc.maxLength)];
    if (gc.maxTime !== null) criteria.push(new MaxTimeCriteria(gc.maxTime));
    if (gc.stopStrings !== null) {
      const tok = control.tokenizer as StopStringTokenizer | undefined;
      if (!tok) throw new Error('There are one or more stop strings, either in the arguments to `generate` or in the model\'s generation config, but we could not locate a tokenizer. When generating with stop strings, you must pass the model\'s tokenizer to the `tokenizer` argument of `generate`.');
      criteria.push(new StopStringCriteria(tok, gc.stopStrings));
    }
    criteria.push(...((control.stoppingCriteria as StoppingCriterion[] | undefined) ?? []));
    if (streamer && gc.numBeams > 1) throw new Error('`streamer` cannot be used with beam search (yet!). Make sure that `num_beams` is set to 1.');

    // ---- expand for beams / several samples per prompt
    const expand = gc.numBeams > 1 ? gc.numBeams * (gc.doSample ? gc.numReturnSequences : 1) : gc.numReturnSequences;
    if (expand > 1) {
      ids = own(expandRows(ids, expand));
      attentionMask = own(expandRows(attentionMask, expand));
      if (encoderOutputs) encoderOutputs = { lastHiddenState: own(expandRows(encoderOutputs.lastHiddenState, expand)) };
    }
    step = {
      model, gc, encDec, processors, criteria, streamer, generator, encoderOutputs, own, release, endThreads: null,
      state: { ids, attentionMask, cache: undefined },
    };
    return gc.numBeams > 1 ? await beamSearch(step, batch) : await sampleOrGreedy(step);
  } catch (e) {
    (streamer as { fail?: (e: unknown) => void } | null)?.fail?.(e);
    throw e;
  } finally {
    step?.endThreads?.();
    step?.state.cache?.dispose();
    disposeAll([...owned]);
  }
}

interface StepContext {
  model: GenerativeModel;
  gc: GenerationConfig;
  encDec: boolean;
  processors: LogitsProcessorList;
  criteria: StoppingCriterion[];
  streamer: BaseStreamer | null;
  generator: Generator | undefined;
  encoderOutputs: { lastHiddenState: Tensor } | undefined;
  own: <T extends Tensor>(t: T) => T;
  /** Frees a tensor generate() made (not the caller's). */
  release: (t: Tensor) => void;
  state: { ids: Tensor; attentionMask: Tensor; cache: DynamicCache | undefined };
  /** Ends the thread setting of the cached decoding steps (threadsForSmallProducts), once opened. */
  endThreads: (() => void) | null;
}

/**
 * The largest weight of the repeated layers (parameter names with a layer index, `layers.3.`, `h.3.`,
 * `block.3.`; embeddings and the LM head are left out) and the dtype their products run in, which
 * size the thread pool of the cached decoding steps; null for a model off the CPU or without such layers.
 */
function layerProducts(model: GenerativeModel): { weight: number; dtype: string } | null {
  const params = (model as { namedParameters?: () => [string, Tensor][] }).namedParameters?.();
  if (!params) return null;
  let weight = 0, dtype = '';
  for (const [name, p] of params) {
    if (p.ndim !== 2 || p.numel <= weight || !/\.\d+\./.test(name)) continue;
    if (p.device !== 'cpu') return null;
    weight = p.numel; dtype = p.dtype;
  }
  if (!weight) return null;
  return { weight, dtype: isAutocastEnabled('cpu') ? getAutocastDtype('cpu') : dtype };
}

/** One forward of the model on the current sequences: the last position's logits (float32 [B, V]). */
function nextLogits(s: StepContext): Tensor {
  const { model, gc, encDec, state } = s;
  const useCache = gc.useCache;
  // the model creates its cache (a DynamicCache) on the first forward and extends it afterwards;
  // the steps after it compute one row per sequence, which small low-precision models do faster on one thread
  if (useCache && state.cache && !s.endThreads) {
    const p = layerProducts(model);
    s.endThreads = p ? threadsForSmallProducts({ macs: state.ids.shape[0]! * p.weight, dtype: p.dtype }) : () => {};
  }
  return noGrad(() => tidy(() => {
    const stepInputs = model.prepareInputsForGeneration(state.ids, { pastKeyValues: state.cache, attentionMask: state.attentionMask, encoderOutputs: s.encoderOutputs, useCache });
    // as transformers' generate(): a model that takes logits_to_keep computes the last position's scores only
    if (model.forwardArgNames?.includes('logits_to_keep') && stepInputs.logitsToKeep === undefined) stepInputs.logitsToKeep = 1;
    const out = model.forward(stepInputs);
    if (useCache) state.cache = out.pastKeyValues;
    void encDec;
    const l = out.logits.shape[1]!;
    return out.logits.select(1, l - 1).to('float32');
  }));
}

/** After a step: append the tokens, extend the decoder-only attention mask. */
function appendTokens(s: StepContext, tokens: number[], reorder?: number[]): void {
  const { state } = s;
  const next = tidy(() => {
    let base = state.ids;
    if (reorder) base = base.indexSelect(0, tensor(reorder, { dtype: 'int64' }));
    return cat([base, tensor(tokens, { dtype: 'int64' }).view(-1, 1)], 1);
  });
  s.release(state.ids);
  state.ids = s.own(next);
  if (!s.encDec) {
    const old = state.attentionMask;
    state.attentionMask = s.own(tidy(() => cat([old, ones([old.shape[0]!, 1], { dtype: 'int64' })], 1)));
    s.release(old);
  }
}

function stoppedRows(s: StepContext): boolean[] {
  const rows = s.state.ids.toArray() as number[][];
  const done = rows.map(() => false);
  for (const c of s.criteria) c.isDone(rows).forEach((d, i) => { if (d) done[i] = true; });
  return done;
}

async function sampleOrGreedy(s: StepContext): Promise<GenerateOutput> {
  const { gc, streamer } = s;
  const eos = gc.eosTokenIds;
  const pad = gc.padTokenId;
  const warpers = gc.doSample ? logitsWarpersFor(gc) : null;
  const rows = s.state.ids.shape[0]!;
  const unfinished = new Array<boolean>(rows).fill(true);
  const scores: Tensor[] = [];
  streamer?.put(s.state.ids.toArray() as number[][]);
  for (;;) {
    const logits = nextLogits(s);
    const { processed, tokens } = tidy(() => {
      let sc = s.processors.process(s.state.ids, logits);
      if (warpers) sc = warpers.process(s.state.ids, sc);
      const pick = warpers ? multinomial(sc.softmax(-1), 1, false, s.generator).squeeze(1) : sc.argmax(-1);
      return { processed: sc, tokens: pick.toArray() as number[] };
    });
    logits.dispose();
    if (gc.outputScores && gc.returnDictInGenerate) scores.push(keep(processed)); else processed.dispose();
    const next = tokens.map((t, i) => (unfinished[i] || pad === null ? t : pad));
    appendTokens(s, next);
    streamer?.put(next);
    next.forEach((t, i) => { if (eos.includes(t)) unfinished[i] = false; });
    stoppedRows(s).forEach((d, i) => { if (d) unfinished[i] = false; });
    if (!unfinished.some(Boolean)) break;
    await yieldToEventLoop();
  }
  streamer?.end();
  const sequences = keep(s.state.ids.clone());
  if (!gc.returnDictInGenerate) return sequences;
  return { sequences, scores: gc.outputScores ? scores : undefined };
}

async function beamSearch(s: StepContext, batch: number): Promise<GenerateOutput> {
  const { gc } = s;
  const nb = gc.numBeams;
  const sample = gc.doSample;
  const batchSize = sample ? batch * gc.numReturnSequences : batch;
  const scorer = new BeamSearchScorer(batchSize, nb, {
    lengthPenalty: gc.lengthPenalty, earlyStopping: gc.earlyStopping, numBeamHypsToKeep: sample ? 1 : gc.numReturnSequences, maxLength: gc.maxLength,
  });
  const warpers = sample ? logitsWarpersFor(gc) : null;
  const eos = gc.eosTokenIds;
  let beamScores: Float32Array = new Float32Array(batchSize * nb);
  // only the first beam of each row starts live (sampling starts all beams)
  if (!sample) for (let b = 0; b < batchSize; b++) for (let j = 1; j < nb; j++) beamScores[b * nb + j] = -1e9;
  const track = gc.outputScores && gc.returnDictInGenerate;
  let beamIndices: number[][] | null = track ? Array.from({ length: batchSize * nb }, () => []) : null;
  const scores: Tensor[] = [];
  for (;;) {
    const logits = nextLogits(s);
    const vocab = logits.shape[1]!;
    const { processed, topScores, topTokens } = tidy(() => {
      const logp = logits.logSoftmax(-1);
      const proc = s.processors.process(s.state.ids, logp);
      let total = proc.add(tensor(beamScores, { shape: [batchSize * nb, 1] }).expand(batchSize * nb, vocab));
      if (warpers) {
        total = warpers.process(s.state.ids, total);
        const flat = total.view(batchSize, nb * vocab);
        const picked = multinomial(flat.softmax(-1), 2 * nb, false, s.generator);
        const pickedScores = flat.gather(-1, picked);
        const { values, indices } = pickedScores.sort(1, true);
        return { processed: proc, topScores: values.contiguous().toTypedArray() as Float32Array, topTokens: picked.gather(-1, indices).toArray() as number[][] };
      }
      const { values, indices } = total.view(batchSize, nb * vocab).topk(2 * nb, 1, true, true);
      return { processed: proc, topScores: values.contiguous().toTypedArray() as Float32Array, topTokens: indices.toArray() as number[][] };
    });
    logits.dispose();
    if (track) scores.push(keep(processed)); else processed.dispose();
    const flatTokens = topTokens.flat();
    const nextIndices = flatTokens.map((t) => Math.floor(t / vocab));
    const nextTokens = flatTokens.map((t) => t % vocab);
    const idsNow = s.state.ids.toArray() as number[][];
    const r = scorer.process(idsNow, topScores, nextTokens, nextIndices, gc.padTokenId, eos, beamIndices);
    beamScores = r.nextBeamScores;
    appendTokens(s, r.nextBeamTokens, r.nextBeamIndices);
    if (s.state.cache) tidy(() => { s.state.cache!.reorder(tensor(r.nextBeamIndices, { dtype: 'int64' })); });
    if (beamIndices) beamIndices = r.nextBeamIndices.map((bi) => [...beamIndices![bi]!, bi]);
    const stop = stoppedRows(s).every(Boolean);
    if (scorer.isDone || stop) break;
    await yieldToEventLoop();
  }
  const fin = scorer.finalize(s.state.ids.toArray() as number[][], beamScores, gc.padTokenId, eos, gc.maxLength, beamIndices);
  const sequences = keep(tensor(fin.sequences, { dtype: 'int64' }));
  if (!gc.returnDictInGenerate) return sequences;
  return {
    sequences,
    sequencesScores: gc.outputScores ? keep(tensor(fin.sequenceScores)) : undefined,
    scores: gc.outputScores ? scores : undefined,
    beamIndices: gc.outputScores && fin.beamIndices ? keep(tensor(fin.beamIndices, { dtype: 'int64' })) : undefined,
  };
}
