// translation (and translation_xx_to_yy): transformers' TranslationPipeline ([{translation_text}]).
// The language pair comes from the task name or srcLang/tgtLang; T5's prefix from the model's
// task_specific_params (translation_en_to_de: "translate English to German: ").
import { Text2TextGenerationPipeline } from './text2text-generation';
import type { TaskDefinition } from './tasks';

export class TranslationPipeline extends Text2TextGenerationPipeline<'translation_text'> {
  protected override returnName = 'translation_text' as const;
  /** The language pair of a translation_xx_to_yy task, or of srcLang/tgtLang. */
  get languages(): [string, string] | null {
    const m = /^translation_(.+)_to_(.+)$/.exec(this.task);
    if (m) return [m[1]!, m[2]!];
    const d = this.defaults as { srcLang?: string; tgtLang?: string };
    return d.srcLang && d.tgtLang ? [d.srcLang, d.tgtLang] : null;
  }
  protected override taskParams(): Record<string, unknown> {
    const tsp = (this.model.config as unknown as { extraFields?: Record<string, unknown> }).extraFields?.task_specific_params as Record<string, Record<string, unknown>> | undefined;
    const l = this.languages;
    return (l && tsp?.[`translation_${l[0]}_to_${l[1]}`]) ?? tsp?.[this.task] ?? {};
  }
  protected override generationOptions(gen: Record<string, unknown>): Record<string, unknown> {
    const { srcLang: _s, tgtLang: _t, ...rest } = gen;
    return rest;
  }
}

export const translationTask: TaskDefinition = {
  task: 'translation', inputs: 'text', autoClass: 'AutoModelForSeq2SeqLM',
  defaultModel: ['google-t5/t5-base', 'a9723ea'],
  description: 'translates texts with an encoder-decoder ([{translation_text}]); translation_xx_to_yy names the pair',
  create: (init) => new TranslationPipeline(init),
};
