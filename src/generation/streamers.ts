// Streamers (transformers' generation/streamers.py): generate() hands them each new token; they
// turn tokens into text as soon as a word is complete. TextStreamer prints it; TextIteratorStreamer
// is an async iterator of the text deltas (`for await (const text of streamer)`).

/** What generate() calls: put(ids of the prompt, then of each new token), end() once. */
export interface BaseStreamer {
  put(ids: number[] | number[][]): void;
  end(): void;
}

/** The decode() a streamer needs (any hubtune tokenizer). */
export interface StreamerTokenizer {
  decode(ids: number[], options?: Record<string, unknown>): string;
}

export interface TextStreamerOptions {
  /** Do not print the prompt (default false). */
  skipPrompt?: boolean;
  /** Passed to tokenizer.decode (e.g. skipSpecialTokens: true). */
  decodeOptions?: Record<string, unknown>;
  /** Where the text goes (default process.stdout). */
  write?: (text: string) => void;
}

/** CJK ideographs are words of their own: printed as soon as they are decoded. */
function isChineseChar(cp: number): boolean {
  return (cp >= 0x4e00 && cp <= 0x9fff) || (cp >= 0x3400 && cp <= 0x4dbf) || (cp >= 0x20000 && cp <= 0x2a6df) || (cp >= 0x2a700 && cp <= 0x2b73f)
    || (cp >= 0x2b740 && cp <= 0x2b81f) || (cp >= 0x2b820 && cp <= 0x2ceaf) || (cp >= 0xf900 && cp <= 0xfaff) || (cp >= 0x2f800 && cp <= 0x2fa1f);
}

/** Prints the generated text word by word (transformers' TextStreamer). Batch size 1 only. */
export class TextStreamer implements BaseStreamer {
  private tokenCache: number[] = [];
  private printLen = 0;
  private nextTokensArePrompt = true;
  readonly skipPrompt: boolean;
  readonly decodeOptions: Record<string, unknown>;
  private readonly write: (text: string) => void;

  constructor(readonly tokenizer: StreamerTokenizer, o: TextStreamerOptions = {}) {
    this.skipPrompt = o.skipPrompt ?? false;
    this.decodeOptions = o.decodeOptions ?? {};
    this.write = o.write ?? ((t) => { process.stdout.write(t); });
  }

  put(ids: number[] | number[][]): void {
    let flat: number[];
    if (Array.isArray(ids[0])) {
      if (ids.length > 1) throw new Error('TextStreamer only supports batch size 1');
      flat = ids[0] as number[];
    } else flat = ids as number[];
    if (this.skipPrompt && this.nextTokensArePrompt) { this.nextTokensArePrompt = false; return; }
    this.nextTokensArePrompt = false;
    this.tokenCache.push(...flat);
    const text = this.tokenizer.decode(this.tokenCache, this.decodeOptions);
    let printable: string;
    if (text.endsWith('\n')) {
      printable = text.slice(this.printLen);
      this.tokenCache = [];
      this.printLen = 0;
    } else if (text.length > 0 && isChineseChar(text.codePointAt(text.length - 1) ?? 0)) {
      printable = text.slice(this.printLen);
      this.printLen += printable.length;
    } else {
      printable = text.slice(this.printLen, text.lastIndexOf(' ') + 1);
      this.printLen += printable.length;
    }
    this.onFinalizedText(printable);
  }

  end(): void {
    let printable = '';
    if (this.tokenCache.length) {
      const text = this.tokenizer.decode(this.tokenCache, this.decodeOptions);
      printable = text.slice(this.printLen);
      this.tokenCache = [];
      this.printLen = 0;
    }
    this.nextTokensArePrompt = true;
    this.onFinalizedText(printable, true);
  }

  /** Receives each finished piece of text (prints it; a newline at the end of the stream). */
  onFinalizedText(text: string, streamEnd = false): void {
    if (text || streamEnd) this.write(streamEnd ? `${text}\n` : text);
  }
}

/**
 * The generated text as an async iterator of deltas: start generate() without awaiting it, then
 * `for await (const piece of streamer)`. Ends when generation ends (or throws its error).
 */
export class TextIteratorStreamer extends TextStreamer implements AsyncIterable<string> {
  private readonly queue: string[] = [];
  private finished = false;
  private failure: unknown = null;
  private wake: (() => void) | null = null;

  constructor(tokenizer: StreamerTokenizer, o: Omit<TextStreamerOptions, 'write'> = {}) {
    super(tokenizer, { ...o, write: () => {} });
  }

  override onFinalizedText(text: string, streamEnd = false): void {
    if (text) this.queue.push(text);
    if (streamEnd) this.finished = true;
    this.wake?.();
  }

  /** generate() calls this when it fails, so the consumer sees the error instead of waiting. */
  fail(e: unknown): void {
    this.failure = e;
    this.finished = true;
    this.wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<string> {
    for (;;) {
      if (this.queue.length) { yield this.queue.shift()!; continue; }
      if (this.failure) throw this.failure;
      if (this.finished) return;
      await new Promise<void>((r) => { this.wake = r; });
      this.wake = null;
    }
  }
}
