// text2text-generation: transformers' Text2TextGenerationPipeline for encoder-decoders (T5, BART):
// each input text (with the model's task prefix) becomes [{generated_text}]. summarization.ts and
// translation.ts are the same pipeline with their own output key and task parameters.
import { disposeAll, type Tensor } from '../torch/index';
import { Pipeline } from './base';
import { PipelineInputError, describe } from './inputs';
import type { GenerationConfigInit } from '../generation/generation-config';
import type { TaskDefinition } from './tasks';

export interface Text2TextGenerationOptions extends GenerationConfigInit {
  /** Token ids instead of text. */
  returnTensors?: boolean;
  cleanUpTokenizationSpaces?: boolean;
  /** Truncate inputs longer than the tokenizer's model_max_length (default true). */
  truncation?: boolean;
  seed?: number;
}
export type Text2TextInput = string | string[];

interface GenerativePipelineModel { generate(o: Record<string, unknown>): Promise<Tensor> }

export class Text2TextGenerationPipeline<K extends string = 'generated_text'> extends Pipeline<Text2TextInput, Record<K, string>[] | Record<K, string>[][], Text2TextGenerationOptions> {
  /** The key of each result. */
  protected returnName = 'generated_text' as K;

  /** transformers' task_specific_params of the model config for this task (prefix and generation settings). */
  protected taskParams(): Record<string, unknown> {
    const tsp = (this.model.config as unknown as { extraFields?: Record<string, unknown> }).extraFields?.task_specific_params as Record<string, Record<string, unknown>> | undefined;
    return tsp?.[this.task] ?? {};
  }

  /** The text the model reads for one input (prefix included). */
  protected prepare(text: string, prefix: string): string { return prefix + text; }

  async call(inputs: Text2TextInput, options: Text2TextGenerationOptions = {}): Promise<Record<K, string>[] | Record<K, string>[][]> {
    const single = typeof inputs === 'string';
    const items = single ? [inputs] : inputs;
    if (!Array.isArray(items) || !items.every((x) => typeof x === 'string')) throw new PipelineInputError(`${this.task} takes a text or an array of texts, got ${describe(inputs)}`);
    const { prefix: tp, ...taskGen } = this.taskParams();
    const { returnTensors, cleanUpTokenizationSpaces, truncation, ...gen } = { ...taskGen, ...this.defaults, ...options } as Text2TextGenerationOptions & Record<string, unknown>;
    const prefix = typeof tp === 'string' ? tp : (this.model.config as unknown as { extraFields?: Record<string, unknown> }).extraFields?.prefix as string ?? '';
    const tok = this.tokenizer!;
    const model = this.model as unknown as GenerativePipelineModel;
    const results: Record<K, string>[][] = [];
    for (const chunk of this.chunks(items)) {
      const enc = tok(chunk.map((t) => this.prepare(t, prefix)), { padding: true, truncation: truncation ?? true, returnTensors: 'pt' });
      let out: Tensor;
      try {
        out = await model.generate({ inputIds: enc.input_ids, attentionMask: enc.attention_mask, ...this.generationOptions(gen) });
      } finally {
        disposeAll(enc);
      }
      const rows = out.toArray() as number[][];
      out.dispose();
      const per = rows.length / chunk.length;
      for (let i = 0; i < chunk.length; i++) {
        results.push(rows.slice(i * per, (i + 1) * per).map((row) => ({
          [this.returnName]: returnTensors ? row : tok.decode(row, { skipSpecialTokens: true, cleanUpTokenizationSpaces }),
        }) as Record<K, string>));
      }
    }
    return single ? results[0]! : results;
  }

  /** The generate() options of a call (subclasses add their own). */
  protected generationOptions(gen: Record<string, unknown>): Record<string, unknown> { return gen; }
}

export const text2textGenerationTask: TaskDefinition = {
  task: 'text2text-generation', inputs: 'text', autoClass: 'AutoModelForSeq2SeqLM',
  defaultModel: ['google-t5/t5-base', 'a9723ea'], inferFrom: /ForConditionalGeneration$/,
  description: 'generates a text from a text with an encoder-decoder (T5, BART)',
  create: (init) => new Text2TextGenerationPipeline(init),
};
