// Processors that pair a tokenizer with an image processor (transformers' ProcessorMixin):
// CLIPProcessor, and AutoProcessor, which picks the processor a repo names (processor_class) or
// falls back to its image processor or tokenizer.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Tensor } from '../torch/index';
import { AutoTokenizer, type AutoTokenizerOptions } from './auto-tokenizer';
import type { PreTrainedTokenizer, BatchEncoding, EncodeOptions, DecodeOptions } from './tokenization-base';
import { AutoImageProcessor, IMAGE_PROCESSOR_NAME, type ViTImageProcessor, type ImageInput, type PixelValues, type FromPretrainedOptions } from './image-processing';
import { CLIPImageProcessor } from './image-processors';
import { CallableBase } from './tokenizers/callable';

export interface ProcessorLoadOptions extends FromPretrainedOptions {
  endpoint?: string;
  useFast?: boolean;
}

export interface CLIPProcessorCall extends EncodeOptions {
  /** One text or a batch (tokenised with padding/truncation options as the tokenizer takes them). */
  text?: string | string[];
  /** One image or a batch: paths, bytes or decoded images. */
  images?: ImageInput | ImageInput[];
}

export interface CLIPProcessor {
  (o: CLIPProcessorCall & { returnTensors: 'pt' }): Promise<BatchEncoding<Tensor> & { pixel_values?: Tensor }>;
  (o: CLIPProcessorCall): Promise<BatchEncoding & { pixel_values?: PixelValues | Tensor }>;
}

/**
 * CLIP's processor: `await processor({ text, images, returnTensors: 'pt', padding: true })` gives
 * input_ids, attention_mask and pixel_values (text alone: the encoding; images alone: pixel_values).
 */
export class CLIPProcessor extends CallableBase {
  static readonly processorClass = 'CLIPProcessor';
  constructor(readonly imageProcessor: ViTImageProcessor, readonly tokenizer: PreTrainedTokenizer) { super(); }

  /** The image processor (preprocessor_config.json) and the tokenizer from one folder or Hub repo. */
  static async fromPretrained(idOrPath: string, o: ProcessorLoadOptions = {}): Promise<CLIPProcessor> {
    const imageProcessor = await AutoImageProcessor.fromPretrained(idOrPath, o);
    const tokenizer = await AutoTokenizer.fromPretrained(idOrPath, tokenizerOptions(o));
    return new CLIPProcessor(imageProcessor, tokenizer);
  }

  get modelInputNames(): string[] { return [...new Set([...this.tokenizer.modelInputNames, 'pixel_values'])]; }

  async call(o: CLIPProcessorCall & { returnTensors: 'pt' }): Promise<BatchEncoding<Tensor> & { pixel_values?: Tensor }>;
  async call(o: CLIPProcessorCall): Promise<BatchEncoding & { pixel_values?: PixelValues | Tensor }>;
  async call(o: CLIPProcessorCall): Promise<Record<string, unknown>> {
    if (!o || typeof o !== 'object') throw new TypeError('CLIPProcessor takes one object: { text, images, returnTensors, padding, ... }');
    const { text, images, ...rest } = o;
    if (text === undefined && images === undefined) throw new Error('You have to specify either text or images. Both cannot be none.');
    let encoding: Record<string, unknown> = {};
    if (text !== undefined) encoding = this.tokenizer(text as string[], rest) as Record<string, unknown>;
    if (images !== undefined) {
      const rt = rest.returnTensors === 'pt' ? 'pt' : undefined;
      const { pixel_values } = await this.imageProcessor.preprocess(images, rt ? { returnTensors: rt } : {});
      encoding.pixel_values = pixel_values;
    }
    return encoding;
  }

  batchDecode(sequences: Parameters<PreTrainedTokenizer['batchDecode']>[0], o: DecodeOptions = {}): string[] { return this.tokenizer.batchDecode(sequences, o); }
  decode(ids: Parameters<PreTrainedTokenizer['decode']>[0], o: DecodeOptions = {}): string { return this.tokenizer.decode(ids, o); }

  /** Writes the tokenizer files and preprocessor_config.json, both naming processor_class CLIPProcessor. */
  async savePretrained(dir: string): Promise<string[]> {
    this.tokenizer.initConfig.processor_class = CLIPProcessor.processorClass;
    this.imageProcessor.extra.processor_class = CLIPProcessor.processorClass;
    const files = this.tokenizer.savePretrained(dir);
    files.push(await this.imageProcessor.savePretrained(dir));
    return files;
  }
}

function tokenizerOptions(o: ProcessorLoadOptions): AutoTokenizerOptions {
  const { revision, cacheDir, localFilesOnly, endpoint, useFast } = o;
  const token = typeof o.token === 'string' ? o.token : undefined;
  return { revision, cacheDir, token, localFilesOnly, endpoint, useFast };
}

/** Processors by the processor_class a repo's configs name. */
const PROCESSOR_CLASSES: Record<string, { fromPretrained(id: string, o?: ProcessorLoadOptions): Promise<CLIPProcessor> }> = {
  CLIPProcessor,
};

/** transformers' AutoProcessor: the processor_class a repo names, else its image processor, else its tokenizer. */
export class AutoProcessor {
  static async fromPretrained(idOrPath: string, o: ProcessorLoadOptions = {}): Promise<CLIPProcessor | ViTImageProcessor | PreTrainedTokenizer> {
    const local = existsSync(idOrPath) && statSync(idOrPath).isDirectory();
    const read = async (name: string): Promise<Record<string, unknown> | null> => {
      try {
        let path: string;
        if (local) path = join(idOrPath, name);
        else {
          const { hfHubDownload } = await import('../hub/index');
          path = await hfHubDownload({ repoId: idOrPath, filename: name, revision: o.revision, cacheDir: o.cacheDir, token: o.token, localFilesOnly: o.localFilesOnly });
        }
        return existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : null;
      } catch (e) {
        if ((e as Error)?.name === 'EntryNotFoundError') return null;
        if (e instanceof SyntaxError) throw new Error(`${idOrPath}: ${name} is not valid JSON (${e.message}): fix or re-download it`);
        throw e;
      }
    };
    const pre = await read(IMAGE_PROCESSOR_NAME);
    const tok = pre?.processor_class ? null : await read('tokenizer_config.json');
    const named = (pre?.processor_class ?? tok?.processor_class) as string | undefined;
    if (named) {
      const P = PROCESSOR_CLASSES[named];
      if (!P) throw new Error(`${idOrPath} names processor_class '${named}', which hubtune does not have: it has ${Object.keys(PROCESSOR_CLASSES).join(', ')}; load its AutoImageProcessor or AutoTokenizer instead`);
      return P.fromPretrained(idOrPath, o);
    }
    if (pre) return AutoImageProcessor.fromPretrained(idOrPath, o);
    return AutoTokenizer.fromPretrained(idOrPath, tokenizerOptions(o));
  }
}

