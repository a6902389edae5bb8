// summarization: transformers' SummarizationPipeline, an encoder-decoder summarising texts ([{summary_text}]).
import { Text2TextGenerationPipeline } from './text2text-generation';
import type { TaskDefinition } from './tasks';

export class SummarizationPipeline extends Text2TextGenerationPipeline<'summary_text'> {
  protected override returnName = 'summary_text' as const;
}

export const summarizationTask: TaskDefinition = {
  task: 'summarization', inputs: 'text', autoClass: 'AutoModelForSeq2SeqLM',
  defaultModel: ['sshleifer/distilbart-cnn-12-6', 'a4f8f3e'],
  description: 'summarises texts with an encoder-decoder ([{summary_text}])',
  create: (init) => new SummarizationPipeline(init),
};
