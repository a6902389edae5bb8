// text-generation: transformers' TextGenerationPipeline for causal LMs. Inputs are prompts or chat
// conversations ([{role, content}, ...], rendered with the tokenizer's chat template); outputs are
// [{generated_text}] per input (the conversation with the new assistant message, for chats).
import { tensor, disposeAll, type Tensor } from '../torch/index';
import { Pipeline } from './base';
import { PipelineInputError, describe } from './inputs';
import type { GenerationConfigInit } from '../generation/generation-config';
import type { ChatMessage } from '../preprocessing/chat-template';
import type { TaskDefinition } from './tasks';

export interface TextGenerationOptions extends GenerationConfigInit {
  /** Include the prompt in generated_text (default true; chats always return the whole conversation). */
  returnFullText?: boolean;
  /** Token ids instead of text (generated_token_ids). */
  returnTensors?: boolean;
  /** Text put before every prompt. */
  prefix?: string;
  cleanUpTokenizationSpaces?: boolean;
  /** Stops generation at this text (stop_strings). */
  stopSequence?: string;
  seed?: number;
}
export type Chat = ChatMessage[];
export type TextGenerationInput = string | string[] | Chat | Chat[];
export interface GeneratedText { generated_text: string | Chat; generated_token_ids?: number[] }
export type TextGenerationOutput = GeneratedText[] | GeneratedText[][];

const isChat = (v: unknown): v is Chat => Array.isArray(v) && v.length > 0 && v.every((m) => m && typeof m === 'object' && typeof (m as ChatMessage).role === 'string');

interface GenerativePipelineModel { generate(o: Record<string, unknown>): Promise<Tensor> }

export class TextGenerationPipeline extends Pipeline<TextGenerationInput, TextGenerationOutput, TextGenerationOptions> {
  async call(inputs: TextGenerationInput, options: TextGenerationOptions = {}): Promise<TextGenerationOutput> {
    const o = { ...this.defaults, ...options };
    let items: (string | Chat)[];
    let single: boolean;
    if (typeof inputs === 'string' || isChat(inputs)) { items = [inputs]; single = true; }
    else if (Array.isArray(inputs) && inputs.length && inputs.every((x) => typeof x === 'string' || isChat(x))) { items = inputs as (string | Chat)[]; single = false; }
    else throw new PipelineInputError(`text-generation takes a prompt, a chat ([{role, content}, ...]) or an array of them, got ${describe(inputs)}`);
    const results: GeneratedText[][] = [];
    for (const item of items) results.push(await this.one(item, o));
    return single ? results[0]! : results;
  }

  private async one(item: string | Chat, o: TextGenerationOptions): Promise<GeneratedText[]> {
    const tok = this.tokenizer!;
    const { returnFullText, returnTensors, prefix, cleanUpTokenizationSpaces, stopSequence, ...gen } = o;
    const chat = typeof item !== 'string';
    const promptText = chat ? tok.applyChatTemplate(item, { tokenize: false, addGenerationPrompt: true }) : (prefix ?? '') + item;
    const ids = tok.encode(promptText, { addSpecialTokens: !chat });
    if (!ids.length && tok.bosTokenId === null) throw new PipelineInputError('the prompt is empty and the tokenizer has no bos token to start from: give some text');
    const inputIds = tensor([ids], { dtype: 'int64' });
    const attentionMask = tensor([ids.map(() => 1)], { dtype: 'int64' });
    const model = this.model as unknown as GenerativePipelineModel;
    let out: Tensor;
    try {
      out = await model.generate({
        inputIds: ids.length ? inputIds : undefined, attentionMask: ids.length ? attentionMask : undefined, ...gen,
        ...(stopSequence ? { stopStrings: stopSequence, tokenizer: tok } : {}),
      });
    } finally {
      disposeAll([inputIds, attentionMask]);
    }
    const rows = out.toArray() as number[][];
    out.dispose();
    const decodeOpts = { skipSpecialTokens: true, cleanUpTokenizationSpaces };
    const promptDecoded = ids.length ? tok.decode(ids, decodeOpts) : '';
    return rows.map((row) => {
      if (returnTensors) return { generated_text: '', generated_token_ids: row };
      const text = tok.decode(row, decodeOpts);
      const fresh = text.slice(promptDecoded.length);
      if (chat) return { generated_text: [...item, { role: 'assistant', content: fresh }] };
      return { generated_text: returnFullText === false ? fresh : promptText + fresh };
    });
  }
}

export const textGenerationTask: TaskDefinition = {
  task: 'text-generation', inputs: 'text', autoClass: 'AutoModelForCausalLM',
  defaultModel: ['openai-community/gpt2', '607a30d'], inferFrom: /(ForCausalLM|LMHeadModel)$/,
  description: 'continues prompts or chat conversations with a causal language model',
  create: (init) => new TextGenerationPipeline(init),
};
