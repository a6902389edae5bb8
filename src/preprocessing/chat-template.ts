// Chat templates (transformers' apply_chat_template): the Jinja template of tokenizer_config.json
// rendered with @huggingface/jinja over the messages, the special tokens and add_generation_prompt.
import { Template } from '@huggingface/jinja';

export interface ChatMessage {
  role: string;
  content: string | unknown;
  [key: string]: unknown;
}

export interface ApplyChatTemplateOptions {
  /** End with the prompt of an assistant turn (the template's add_generation_prompt). */
  addGenerationPrompt?: boolean;
  /** Return token ids (default true) instead of the text. */
  tokenize?: boolean;
  /** Leave the last message open so generation continues it (continue_final_message). */
  continueFinalMessage?: boolean;
  /** A template (or the name of one of the tokenizer's templates) instead of tokenizer.chatTemplate. */
  chatTemplate?: string;
  /** Tool definitions and documents some templates read. */
  tools?: unknown[];
  documents?: unknown[];
  /** Return a batch encoding ({input_ids, attention_mask}) instead of the ids. */
  returnDict?: boolean;
  /** Further variables for the template. */
  [templateVariable: string]: unknown;
}

export class ChatTemplateError extends Error { override name = 'ChatTemplateError'; }

/** Roles every chat template knows; others must appear in the template itself. */
const STANDARD_ROLES = new Set(['system', 'user', 'assistant', 'tool', 'function', 'developer', 'ipython']);

/** The template to use: the option, a named template of the tokenizer, or its default. */
export function resolveChatTemplate(own: string | Record<string, string> | null, given: string | undefined, who: string): string {
  const named = own && typeof own === 'object' ? own : null;
  if (given !== undefined) return named?.[given] ?? given;
  if (typeof own === 'string') return own;
  if (named?.default) return named.default;
  throw new ChatTemplateError(`Cannot use chat template functions because tokenizer.chat_template is not set and no template argument was passed (${who}): set tokenizer.chatTemplate or pass { chatTemplate }`);
}

/** Normalises tokenizer_config.json's chat_template (a string, or a list of {name, template}). */
export function parseChatTemplateField(v: unknown): string | Record<string, string> | null {
  if (v === undefined || v === null) return null;
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) {
    const out: Record<string, string> = {};
    for (const t of v) if (t && typeof t.name === 'string' && typeof t.template === 'string') out[t.name] = t.template;
    return out;
  }
  return null;
}

const compiled = new Map<string, Template>();

/** Renders the conversation; errors raised by the template (raise_exception) become one-line ChatTemplateErrors. */
export function renderChatTemplate(template: string, messages: ChatMessage[], specialTokens: Record<string, unknown>, o: ApplyChatTemplateOptions = {}): string {
  if (!Array.isArray(messages) || !messages.length) throw new ChatTemplateError('applyChatTemplate needs a non-empty array of messages like [{ role: "user", content: "Hi" }]');
  messages.forEach((m, i) => {
    if (!m || typeof m !== 'object' || typeof m.role !== 'string') throw new ChatTemplateError(`message ${i} is not a {role, content} object: ${JSON.stringify(m)?.slice(0, 80)}`);
    if (!STANDARD_ROLES.has(m.role) && !template.includes(m.role)) {
      throw new ChatTemplateError(`message ${i} has the unknown role '${m.role}': this chat template knows system, user and assistant (and tool)`);
    }
  });
  let t = compiled.get(template);
  if (!t) {
    try {
      t = new Template(template);
    } catch (e) {
      throw new ChatTemplateError(`the chat template does not parse: ${String((e as Error).message).split('\n')[0]}`);
    }
    compiled.set(template, t);
  }
  const { addGenerationPrompt, tokenize: _t, continueFinalMessage, chatTemplate: _c, returnDict: _r, ...extra } = o;
  const vars: Record<string, unknown> = {
    ...specialTokens, ...extra, messages, add_generation_prompt: !!addGenerationPrompt,
  };
  let text: string;
  try {
    text = t.render(vars);
  } catch (e) {
    // the template's raise_exception(message) and runtime errors alike
    throw new ChatTemplateError(`chat template error: ${String((e as Error).message).split('\n')[0]}`);
  }
  if (continueFinalMessage) {
    const last = messages[messages.length - 1]!.content;
    if (typeof last === 'string') {
      const at = text.lastIndexOf(last.trim());
      if (at >= 0) text = text.slice(0, at + last.trim().length);
    }
  }
  return text;
}
