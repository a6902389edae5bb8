// Streamed text generation for `hubtune serve`: `"stream": true` on a text-generation request answers
// server-sent events, one per new token, in the format of the route: text-generation-inference's
// ({token: {id, text, special}, generated_text}) on POST /models/{id}, OpenAI's completion chunks
// on /v1/completions and chat.completion.chunk deltas on /v1/chat/completions, the last two ending
// with `data: [DONE]` (what @huggingface/inference's textGenerationStream / chatCompletionStream read).
import type { BaseStreamer } from '../generation/streamers';

export type StreamFormat = 'tgi' | 'completions' | 'chat';
/** Receives each event's JSON (and `[DONE]` as a string at the end). */
export type StreamSink = (data: unknown) => void;

interface Tok { decode(ids: number[], o?: Record<string, unknown>): string; allSpecialIds?: number[] }

/**
 * A streamer turning each generated token into one event of the given format. Text is decoded
 * from all the tokens so far, so multi-token characters come out whole (a token that ends inside a
 * character sends its text with the next one).
 */
export class SseTokenStreamer implements BaseStreamer {
  private ids: number[] = [];
  private sent = 0;
  private prompt = true;
  private readonly created = Math.floor(Date.now() / 1000);
  private readonly id: string;
  text = '';

  constructor(private readonly tok: Tok, private readonly format: StreamFormat, private readonly sink: StreamSink,
    private readonly o: { model: string; maxNewTokens?: number; special?: Set<number> }) {
    this.id = `${format === 'chat' ? 'chatcmpl' : 'cmpl'}-${Date.now()}`;
  }

  put(ids: number[] | number[][]): void {
    if (this.prompt) { this.prompt = false; return; } // generate() hands the prompt first
    const flat = (Array.isArray(ids[0]) ? (ids as number[][])[0]! : ids as number[]);
    for (const id of flat) {
      this.ids.push(id);
      const special = this.o.special?.has(id) ?? false;
      const full = this.tok.decode(this.ids, { skipSpecialTokens: true });
      // hold back a character still being spelled out over several tokens
      const delta = full.endsWith('\uFFFD') ? '' : full.slice(this.sent);
      if (!full.endsWith('\uFFFD')) this.sent = full.length;
      this.text = full;
      this.emit(id, delta, special, false);
    }
  }

  end(): void {
    const rest = this.text.slice(this.sent);
    const length = this.o.maxNewTokens !== undefined && this.ids.length >= this.o.maxNewTokens;
    if (this.format === 'tgi') {
      this.sink({ index: this.ids.length, token: { id: this.ids.at(-1) ?? 0, text: rest, logprob: null, special: false }, generated_text: this.text, details: { finish_reason: length ? 'length' : 'eos_token', generated_tokens: this.ids.length } });
      return;
    }
    const finish = length ? 'length' : 'stop';
    if (this.format === 'completions') this.sink({ id: this.id, object: 'text_completion', created: this.created, model: this.o.model, choices: [{ index: 0, text: rest, finish_reason: finish, logprobs: null }] });
    else this.sink({ id: this.id, object: 'chat.completion.chunk', created: this.created, model: this.o.model, choices: [{ index: 0, delta: rest ? { content: rest } : {}, finish_reason: finish, logprobs: null }] });
    this.sink('[DONE]');
  }

  private emit(id: number, text: string, special: boolean, _last: boolean): void {
    if (this.format === 'tgi') this.sink({ index: this.ids.length, token: { id, text, logprob: null, special }, generated_text: null, details: null });
    else if (this.format === 'completions') this.sink({ id: this.id, object: 'text_completion', created: this.created, model: this.o.model, choices: [{ index: 0, text, finish_reason: null, logprobs: null }] });
    else this.sink({ id: this.id, object: 'chat.completion.chunk', created: this.created, model: this.o.model, choices: [{ index: 0, delta: this.ids.length === 1 ? { role: 'assistant', content: text } : { content: text }, finish_reason: null, logprobs: null }] });
  }
}
