// Repo ids as huggingface_hub's validate_repo_id checks them, and the namespace a bare name
// lives under (the token's user, from whoami), as transformers' create_repo does.
import { whoami } from '../hub/index';

/** A repo id that huggingface_hub would refuse. */
export class RepoIdError extends Error {
  override name = 'RepoIdError';
}

// One part: word characters, "-" and ".", 1 to 96 of them, starting and ending with a word
// character (the `\b...\b` of huggingface_hub's REPO_ID_REGEX). ASCII only, like the Hub.
const PART = /^[A-Za-z0-9_](?:[\w.-]{0,94}[A-Za-z0-9_])?$/;

/**
 * Checks `name` or `namespace/name` (huggingface_hub's rules: `[\w\-.]{1,96}` per part, no `--`
 * or `..`, not starting or ending with `-` or `.`, not ending with `.git`). Returns it unchanged;
 * throws a one-line {@link RepoIdError} naming it otherwise.
 */
export function validateRepoId(repoId: string, what = 'repo id'): string {
  const shown = JSON.stringify(String(repoId));
  const fail = (why: string): never => {
    throw new RepoIdError(`invalid ${what} ${shown}: ${why}; use "name" or "namespace/name" with letters, digits, "-", "_" and "." (at most 96 per part, not starting or ending with "-" or ".", no "--" or "..")`);
  };
  if (typeof repoId !== 'string' || repoId === '') fail('it is empty');
  const parts = repoId.split('/');
  if (parts.length > 2) fail('it has more than one "/"');
  if (repoId.includes('--') || repoId.includes('..')) fail('"--" and ".." are forbidden');
  if (repoId.endsWith('.git')) fail('it must not end with ".git"');
  for (const p of parts) {
    if (p.length === 0) fail('a part is empty');
    if (p.length > 96) fail(`"${p.slice(0, 20)}..." is longer than 96 characters`);
    if (!PART.test(p)) fail(/^[-.]|[-.]$/.test(p) ? `"${p}" starts or ends with "-" or "."` : `"${p}" has characters other than letters, digits, "-", "_" and "."`);
  }
  return repoId;
}

export interface ResolveRepoIdParams {
  token?: string;
  endpoint?: string;
}

/** `namespace/name` as given, or the token's user name + `/name` for a bare name (checks both). */
export async function resolveRepoId(repoId: string, params: ResolveRepoIdParams = {}): Promise<string> {
  validateRepoId(repoId);
  if (repoId.includes('/')) return repoId;
  const who = await whoami({ token: params.token, endpoint: params.endpoint });
  return validateRepoId(`${who.name}/${repoId}`);
}
