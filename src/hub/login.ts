// login / logout: the token file Python uses ($HF_TOKEN_PATH or $HF_HOME/token), mode 0600.
import { mkdirSync, rmSync } from 'node:fs';
import { writeFileAtomicSync } from '../util/atomic-file';
import { dirname } from 'node:path';
import { tokenPath } from './env';
import { HubError } from './errors';
import { whoami, type WhoamiResult } from './whoami';

export interface LoginParams {
  /** The access token (from https://huggingface.co/settings/tokens). */
  token: string;
  /** Hub URL used to check the token. Default `$HF_ENDPOINT` or https://huggingface.co. */
  endpoint?: string;
  /** Skip the whoami check. Default false. */
  skipValidation?: boolean;
}

/**
 * Checks the token with whoami, then stores it where huggingface_hub reads it
 * (`$HF_TOKEN_PATH` or `$HF_HOME/token`, file mode 0600). Returns who it belongs to.
 */
export async function login(params: LoginParams): Promise<WhoamiResult | undefined> {
  const token = (params.token ?? '').replace(/[\r\n]/g, '').trim();
  if (!token) throw new HubError('no token given: pass one with --token or paste it at the prompt (https://huggingface.co/settings/tokens)');
  if (/\s/.test(token)) throw new HubError('the token contains spaces: paste it again without spaces');
  const who = params.skipValidation ? undefined : await whoami({ token, endpoint: params.endpoint });
  const path = tokenPath();
  mkdirSync(dirname(path), { recursive: true });
  writeFileAtomicSync(path, token, { mode: 0o600 });
  return who;
}

/** Deletes the stored token file. Returns true when there was one. `HF_TOKEN` in the environment is not affected. */
export function logout(): boolean {
  const path = tokenPath();
  try {
    rmSync(path);
    return true;
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return false;
    throw new HubError(`cannot delete ${path} (${(err as { code?: string }).code}): delete it by hand`);
  }
}
