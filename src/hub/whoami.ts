// whoami: who the token belongs to (GET /api/whoami-v2).
import { whoAmI } from '@huggingface/hub';
import { hubEndpoint, resolveToken } from './env';
import { GatedRepoError } from './errors';
import { hubFetch } from './http';

export interface WhoamiParams {
  /** Token to check. Default: `$HF_TOKEN` or the token file. */
  token?: string;
  /** Hub URL. Default `$HF_ENDPOINT` or https://huggingface.co. */
  endpoint?: string;
}

export interface WhoamiResult {
  name: string;
  type: string;
  fullname?: string;
  orgs: string[];
  /** Role of the token (`read`, `write`, `fineGrained`) when the Hub says it. */
  tokenRole?: string;
  tokenName?: string;
}

/** Asks the Hub who the token belongs to; fails with a "log in" message when there is none or it is refused. */
export async function whoami(params: WhoamiParams = {}): Promise<WhoamiResult> {
  const endpoint = (params.endpoint ?? hubEndpoint()).replace(/\/+$/, '');
  const token = resolveToken(params.token);
  if (!token) throw new GatedRepoError('not logged in: run `hubtune login` or set HF_TOKEN');
  // The token goes in through hubFetch (endpoint origin only); @huggingface/hub's own check wants "hf_" tokens.
  const info = (await whoAmI({ hubUrl: endpoint, fetch: hubFetch({ endpoint, token }), credentials: undefined as never })) as unknown as {
    name: string;
    type: string;
    fullname?: string;
    orgs?: Array<{ name: string }>;
    auth?: { accessToken?: { displayName?: string; role?: string } };
  };
  return {
    name: info.name,
    type: info.type,
    fullname: info.fullname,
    orgs: (info.orgs ?? []).map((o) => o.name),
    tokenRole: info.auth?.accessToken?.role,
    tokenName: info.auth?.accessToken?.displayName,
  };
}
