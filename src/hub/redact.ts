// Server-provided text (error headers and bodies, ETags) is untrusted: a hostile or buggy server may
// echo the request's Authorization header or send terminal escape sequences. Everything the Hub
// client prints or puts in an error message from a server goes through redactSecrets first.
import { getToken } from './env';

/** Token-shaped words: Hub user and org tokens, and anything after `Bearer`. */
const TOKEN_PATTERNS = [/\bBearer\s+\S+/gi, /\bhf_[A-Za-z0-9_-]{6,}/g, /\bapi_org_[A-Za-z0-9_-]{6,}/g];

/**
 * Removes tokens (the given ones, the active one, and token-shaped words) and control characters
 * from untrusted text, and caps its length, so it can be printed.
 */
export function redactSecrets(text: string, tokens: Array<string | undefined> = [], maxLength = 300): string {
  let out = String(text);
  const known = new Set([...tokens, activeToken()].filter((t): t is string => typeof t === 'string' && t.length >= 4));
  for (const t of known) out = out.split(t).join('***');
  for (const re of TOKEN_PATTERNS) out = out.replace(re, (m) => (/^bearer/i.test(m) ? 'Bearer ***' : '***'));
  // eslint-disable-next-line no-control-regex
  out = out.replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, ' ');
  return out.length > maxLength ? `${out.slice(0, maxLength)}…` : out;
}

function activeToken(): string | undefined {
  try {
    return getToken();
  } catch {
    return undefined;
  }
}
