// Turning pipeline inputs into what the preprocessors take: images from paths, URLs, bytes or
// decoded images; texts and sentence pairs.
import { existsSync, statSync } from 'node:fs';
import { decodeImage, type DecodedImage } from '../preprocessing/image-decode';
import { isOffline } from '../hub/env';

export type { DecodedImage };
/** One image: a file path, an http(s) URL, encoded bytes, or a decoded image. */
export type ImageInputItem = string | Buffer | Uint8Array | DecodedImage;
/** A text, or a sentence pair like transformers' `{text, text_pair}`. */
export type TextInputItem = string | { text: string; text_pair?: string | null };

export class PipelineInputError extends Error {
  override name = 'PipelineInputError';
}

export function isDecodedImage(v: unknown): v is DecodedImage {
  return !!v && typeof v === 'object' && !(v instanceof Uint8Array) && 'data' in v && 'width' in v && 'height' in v && 'mode' in v;
}

/** Splits a pipeline's input into a list, remembering whether it was one item (to unwrap the output). */
export function asBatch<T>(inputs: T | T[], isItem: (v: unknown) => boolean, what: string): { items: T[]; single: boolean } {
  if (Array.isArray(inputs) && !isItem(inputs)) {
    if (inputs.length === 0) throw new PipelineInputError(`no ${what} given: pass one ${what} or a non-empty array of them`);
    return { items: inputs, single: false };
  }
  if (inputs === undefined || inputs === null) throw new PipelineInputError(`no ${what} given: pass one ${what} or a non-empty array of them`);
  return { items: [inputs as T], single: true };
}

const isUrl = (s: string) => /^https?:\/\//i.test(s);

async function fetchBytes(url: string): Promise<Uint8Array> {
  if (isOffline()) {
    throw new PipelineInputError(`cannot fetch ${url}: offline mode (HF_HUB_OFFLINE=1); download the image and pass its file path`);
  }
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(30_000) });
  } catch (e) {
    throw new PipelineInputError(`cannot fetch ${url} (${(e as Error).message}): check the URL and your connection, or pass a local file`);
  }
  if (!res.ok) throw new PipelineInputError(`cannot fetch ${url}: HTTP ${res.status} ${res.statusText}`);
  return new Uint8Array(await res.arrayBuffer());
}

/** Decodes one image input (path, URL, bytes or decoded image), naming it in errors. */
export async function loadImage(input: ImageInputItem, index = 0): Promise<DecodedImage> {
  if (isDecodedImage(input)) return input;
  if (typeof input === 'string') {
    if (isUrl(input)) return decodeImage(await fetchBytes(input), { name: input });
    if (!existsSync(input)) throw new PipelineInputError(`image file not found: ${input}`);
    if (statSync(input).isDirectory()) throw new PipelineInputError(`${input} is a folder, not an image file`);
    return decodeImage(input);
  }
  if (input instanceof Uint8Array) return decodeImage(input, { name: `image ${index} (bytes)` });
  throw new PipelineInputError(`image ${index} is ${describe(input)}: pass a file path, an http(s) URL, a Buffer or a decoded image`);
}

export function isTextItem(v: unknown): v is TextInputItem {
  return typeof v === 'string' || (!!v && typeof v === 'object' && !Array.isArray(v) && typeof (v as { text?: unknown }).text === 'string');
}

/** Checks one text input; returns [text, pair | null]. */
export function textPair(input: unknown, index: number): [string, string | null] {
  if (typeof input === 'string') return [input, null];
  if (Array.isArray(input) && input.length === 2 && input.every((s) => typeof s === 'string')) {
    throw new PipelineInputError(`text ${index} is an array of two strings: pass a sentence pair as {text, text_pair}`);
  }
  if (isTextItem(input)) {
    const pair = (input as { text_pair?: unknown; textPair?: unknown }).text_pair ?? (input as { textPair?: unknown }).textPair ?? null;
    if (pair !== null && typeof pair !== 'string') throw new PipelineInputError(`text ${index}: text_pair must be a string`);
    return [(input as { text: string }).text, pair as string | null];
  }
  throw new PipelineInputError(`text ${index} is ${describe(input)}: pass a string or {text, text_pair}`);
}

export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return `an object with keys ${Object.keys(v as object).slice(0, 5).join(', ') || '(none)'}`;
  return `a ${typeof v} (${String(v).slice(0, 40)})`;
}

/**
 * One column of a dataset (or any iterable of rows) as a stream of inputs, like transformers'
 * KeyDataset: `for await (const out of pipe.stream(keyDataset(ds, 'image'))) ...`.
 */
export async function* keyDataset(rows: Iterable<Record<string, unknown>> | AsyncIterable<Record<string, unknown>>, key: string): AsyncGenerator<unknown> {
  let i = 0;
  for await (const row of rows as AsyncIterable<Record<string, unknown>>) {
    if (!row || typeof row !== 'object' || !(key in row)) {
      throw new PipelineInputError(`keyDataset: row ${i} has no column '${key}' (columns: ${Object.keys(row ?? {}).join(', ') || 'none'})`);
    }
    yield row[key];
    i++;
  }
}
