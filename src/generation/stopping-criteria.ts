// Stopping criteria (transformers' generation/stopping_criteria.py): after each step, which
// sequences are done. Each returns one flag per row.

export interface StoppingCriterion {
  /** ids: the sequences so far, one array per row. */
  isDone(ids: number[][]): boolean[];
}

/** Done at `maxLength` tokens (prompt included). */
export class MaxLengthCriteria implements StoppingCriterion {
  constructor(readonly maxLength: number) {}
  isDone(ids: number[][]): boolean[] { return ids.map((r) => r.length >= this.maxLength); }
}

/** Done after `maxTime` seconds from the start of generation. */
export class MaxTimeCriteria implements StoppingCriterion {
  readonly start = performance.now();
  constructor(readonly maxTime: number) {}
  isDone(ids: number[][]): boolean[] {
    const over = (performance.now() - this.start) / 1000 > this.maxTime;
    return ids.map(() => over);
  }
}

export interface StopStringTokenizer { decode(ids: number[], options?: Record<string, unknown>): string }

/**
 * Done when a stop string ends inside the last generated token (the token may overhang it, as
 * in ['st', 'opera'] for 'stop'), like transformers' StopStringCriteria.
 */
export class StopStringCriteria implements StoppingCriterion {
  readonly stopStrings: string[];
  private readonly window: number;
  constructor(readonly tokenizer: StopStringTokenizer, stopStrings: string | string[]) {
    this.stopStrings = typeof stopStrings === 'string' ? [stopStrings] : [...stopStrings];
    // a token holds at least one character, so the last (longest stop string + 1) tokens suffice
    this.window = Math.max(...this.stopStrings.map((s) => s.length)) + 1;
  }
  isDone(ids: number[][]): boolean[] {
    return ids.map((row) => {
      const tail = row.slice(-this.window);
      const full = this.tokenizer.decode(tail);
      const before = this.tokenizer.decode(tail.slice(0, -1));
      // the stop string must end after the text of the tokens before the last one
      return this.stopStrings.some((s) => {
        for (let i = full.indexOf(s); i >= 0; i = full.indexOf(s, i + 1)) if (i + s.length > before.length) return true;
        return false;
      });
    });
  }
}
