// A local Hugging Face Hub for tests: serves the endpoints huggingface_hub, @huggingface/hub and
// src/hub use (info by revision, tree with paging, paths-info, resolve with Range and LFS
// redirects to a second "CDN" origin, whoami-v2, create repo, preupload, LFS batch + PUT, NDJSON
// commit), records requests and commits, and injects faults. Listens on 127.0.0.1 only.
// It answers the way the Hub does today: 307s from renamed repos (API and resolve, query kept),
// small files through a 307 to /api/resolve-cache (option `resolveCache`), LFS files through signed
// CDN URLs that expire (403) and, for Xet repos, a Xet-bridge redirect with X-Linked-Etag,
// X-Linked-Size and X-Xet-Hash; short (7-character) commit revisions; 429 with
// `RateLimit: "resolvers";r=0;t=N`; multipart LFS uploads above `multipartThreshold`; discussions,
// commits, model/dataset listings with search, filters and sort; refs/convert/* orphan branches.
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createHmac } from 'node:crypto';
import { parse as parseYaml } from 'yaml';
import { interceptHostile, type HostileBehaviour } from './hub-hostile';

export type RepoType = 'model' | 'dataset';
export type FileContent = Buffer | Uint8Array | string;

export interface StoredFile {
  content: Buffer;
  lfs: boolean;
  /** git blob sha1 of what git stores (the pointer for LFS files). */
  oid: string;
  sha256: string;
  /** Commit that last changed this file. */
  lastCommit: string;
}

export interface StoredCommit {
  oid: string;
  parent?: string;
  title: string;
  description: string;
  date: string;
  files: Map<string, StoredFile>;
}

export interface StoredRepo {
  type: RepoType;
  id: string;
  private: boolean;
  /** Users allowed in when gated (undefined: every valid token). */
  gated: false | { users?: string[] };
  branches: Map<string, string>;
  tags: Map<string, string>;
  commits: Map<string, StoredCommit>;
  prCount: number;
  /** Discussions and pull requests (PR n's commit is the branch `refs/pr/n`). */
  discussions: StoredDiscussion[];
  xet: boolean;
  meta: RepoMeta;
}

export interface StoredDiscussion {
  num: number;
  title: string;
  author: string;
  status: 'open' | 'closed' | 'merged' | 'draft';
  isPullRequest: boolean;
  createdAt: string;
}

export interface AddRepoOptions {
  type?: RepoType;
  /** `org/name` (or `name`). */
  id: string;
  /** Files of `main`. A default `.gitattributes` is added unless given. */
  files?: Record<string, FileContent>;
  /** Other branches: name -> files (each branch gets its own commit). */
  branches?: Record<string, Record<string, FileContent>>;
  /** Tags: name -> branch name or commit oid. */
  tags?: Record<string, string>;
  private?: boolean;
  /** Gated repo: `true` lets every valid token in, or list the user names allowed. */
  gated?: boolean | { users: string[] };
  /** Commit title of the first commit. */
  title?: string;
  /** The main commit's oid (40 hex), e.g. to be reachable by a pinned 7-character revision. */
  sha?: string;
  /** LFS files are served through the Xet bridge (X-Xet-Hash) instead of the legacy LFS CDN. */
  xet?: boolean;
  /** Listing metadata (the Hub computes these; tests set them). */
  meta?: RepoMeta;
}

export interface RepoMeta {
  downloads?: number;
  likes?: number;
  trendingScore?: number;
  pipelineTag?: string;
  libraryName?: string;
  /** Extra tags (the card's license, language and datasets are added as the Hub does). */
  tags?: string[];
  createdAt?: string;
}

export interface RecordedCommit {
  repoType: RepoType;
  repoId: string;
  branch: string;
  oid: string;
  title: string;
  description: string;
  added: string[];
  lfs: string[];
  deleted: string[];
}

export interface RequestLogEntry {
  server: 'hub' | 'cdn';
  method: string;
  /** Path and query as received. */
  url: string;
  range?: string;
  authorization?: string;
  status?: number;
}

export interface Fault {
  /** Substring of, or RegExp tested against, `"METHOD /path?query"` (default: every request). */
  match?: string | RegExp;
  /** Answer with this status (and `errorCode` as X-Error-Code) instead of serving. */
  status?: number;
  errorCode?: string;
  /** Serve normally but cut the connection after this many body bytes. */
  dropAfterBytes?: number;
  /** Wait this long before answering. */
  delayMs?: number;
  /** Answer only once this settles (a test decides when: no wall-clock timing). */
  holdUntil?: Promise<unknown>;
  /** Serve the body with its first byte changed (a corrupting proxy or disk). */
  corrupt?: boolean;
  /** Wait this long between body chunks (slow transfer). */
  chunkDelayMs?: number;
  /** How many requests it applies to (default 1). */
  times?: number;
  /** Which server it applies to (default both). */
  server?: 'hub' | 'cdn';
  /** Hostile mode: lie in or abuse the answer (crafted ETags/oids, endless or stalled bodies, echoed tokens). */
  hostile?: HostileBehaviour;
  /** Answer 429 with `RateLimit: "<resource>";r=<remaining>;t=<reset>` (and RateLimit-Policy), as the Hub rate limits. */
  rateLimit?: { resource?: string; remaining?: number; reset: number };
  /** Answer 307 to this Location (absolute, e.g. another host, or relative). */
  redirectTo?: string;
}

export interface HubUser {
  name: string;
  role: 'read' | 'write';
}

export interface StartHubServerOptions {
  /** token -> user. Default: {@link READ_TOKEN} (reader, read) and {@link WRITE_TOKEN} (writer, write). */
  tokens?: Record<string, HubUser>;
  /** Entries per page of tree listings (default 50). */
  pageSize?: number;
  /** Files at least this large always go through LFS (default 10 MB). */
  lfsThreshold?: number;
  /** Small (non-LFS) files answer resolve with a 307 to /api/resolve-cache/..., as the Hub does. Default false. */
  resolveCache?: boolean;
  /** LFS uploads at least this large are multipart (presigned part URLs + completion), default never. */
  multipartThreshold?: number;
  /** Part size of multipart uploads (default 5 MiB). */
  multipartChunkSize?: number;
  /** Lifetime of signed CDN URLs (default one hour); see also `expireSignedUrls()`. */
  signedUrlTtlMs?: number;
}

export interface HubServer {
  /** Hub URL (HF_ENDPOINT), `http://127.0.0.1:<port>`. */
  url: string;
  /** Second origin, standing for the CDN that LFS files redirect to. */
  cdnUrl: string;
  close(): Promise<void>;
  /** Creates a repo with its first commit; returns the `main` commit and every branch's. */
  addRepo(opts: AddRepoOptions): { sha: string; shas: Record<string, string> };
  /** Opens a pull request (a commit on top of main as `refs/pr/N`, and its discussion) as `author`. */
  openPullRequest(opts: { type?: RepoType; id: string; title: string; author: string; files?: Record<string, FileContent>; delete?: string[]; status?: StoredDiscussion['status'] }): { num: number; ref: string; oid: string };
  /** Commits files to an existing repo's branch (as an upload would); returns the commit oid. */
  commitFiles(opts: { type?: RepoType; id: string; branch?: string; files?: Record<string, FileContent>; delete?: string[]; title?: string }): string;
  getRepo(type: RepoType, id: string): StoredRepo | undefined;
  /** Commits received through the upload endpoints. */
  commits: RecordedCommit[];
  requests: RequestLogEntry[];
  /** Queues a fault for the next matching request(s). */
  failNext(fault: Fault): void;
  /** `from` now redirects (307) to `to`, as the Hub does after a rename or a move to an org. */
  renameRepo(type: RepoType, from: string, to: string): void;
  /** Every signed CDN URL handed out so far is expired from now on (403 "Request has expired"). */
  expireSignedUrls(): void;
  /** Multipart uploads completed (oid, parts). */
  multipartUploads: Array<{ oid: string; parts: number }>;
  /** Drops queued faults and the request log. */
  reset(): void;
}

export const READ_TOKEN = 'hf_test_read_token_0123456789';
export const WRITE_TOKEN = 'hf_test_write_token_0123456789';

const LFS_EXT = /\.(safetensors|bin|parquet|arrow|png|jpe?g|gif|webp|pt|pth|ckpt|h5|onnx|msgpack|zip|gz|tar|zst|npy|npz|pkl|pickle|tflite|ot|model|wav|mp3|flac)$/i;

export const DEFAULT_GITATTRIBUTES = [
  '*.safetensors filter=lfs diff=lfs merge=lfs -text',
  '*.bin filter=lfs diff=lfs merge=lfs -text',
  '*.parquet filter=lfs diff=lfs merge=lfs -text',
  '*.arrow filter=lfs diff=lfs merge=lfs -text',
  '*.png filter=lfs diff=lfs merge=lfs -text',
  '*.jpg filter=lfs diff=lfs merge=lfs -text',
  '*.pt filter=lfs diff=lfs merge=lfs -text',
  '*.onnx filter=lfs diff=lfs merge=lfs -text',
  '',
].join('\n');

function gitSha1(content: Buffer): string {
  return createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');
}

function sha256(content: Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}

function lfsPointer(sha: string, size: number): Buffer {
  return Buffer.from(`version https://git-lfs.github.com/spec/v1\noid sha256:${sha}\nsize ${size}\n`);
}

function toBuffer(c: FileContent): Buffer {
  return typeof c === 'string' ? Buffer.from(c) : Buffer.from(c.buffer, c.byteOffset, c.byteLength);
}

function matches(f: Fault, line: string, server: 'hub' | 'cdn'): boolean {
  if (f.server && f.server !== server) return false;
  if (f.match === undefined) return true;
  return typeof f.match === 'string' ? line.includes(f.match) : f.match.test(line);
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts the local Hub (two listeners on 127.0.0.1: hub and CDN). Call `close()` when done. */
export async function startHubServer(opts: StartHubServerOptions = {}): Promise<HubServer> {
  const tokens = new Map<string, HubUser>(Object.entries(opts.tokens ?? { [READ_TOKEN]: { name: 'reader', role: 'read' }, [WRITE_TOKEN]: { name: 'writer', role: 'write' } } as Record<string, HubUser>));
  const pageSize = opts.pageSize ?? 50;
  const lfsThreshold = opts.lfsThreshold ?? 10 * 1024 * 1024;
  const repos = new Map<string, StoredRepo>();
  const lfsStore = new Map<string, Buffer>();
  const faults: Fault[] = [];
  const requests: RequestLogEntry[] = [];
  const commits: RecordedCommit[] = [];
  let url = '';
  let cdnUrl = '';
  let clock = Date.UTC(2024, 0, 1);

  const key = (type: RepoType, id: string) => `${type}:${id}`;
  const isLfs = (path: string, size: number) => LFS_EXT.test(path) || size >= lfsThreshold;

  // ---- the Hub's ways: renames, signed CDN URLs, Xet, multipart uploads ----
  const renames = new Map<string, string>();
  const multipartThreshold = opts.multipartThreshold ?? Infinity;
  const chunkSize = opts.multipartChunkSize ?? 5 * 1024 * 1024;
  const ttlMs = opts.signedUrlTtlMs ?? 3_600_000;
  const signingKey = randomBytes(16);
  let signEpoch = 0;
  const xetHashes = new Map<string, string>();
  const multipart = new Map<string, { size: number; parts: Map<number, Buffer> }>();
  const multipartUploads: Array<{ oid: string; parts: number }> = [];

  const signature = (path: string, date: string, expires: string, epoch: string) => createHmac('sha256', signingKey).update(`${path}|${date}|${expires}|${epoch}`).digest('hex');
  /** A presigned CDN URL (S3-style query), valid for `ttlMs` and until `expireSignedUrls()`. */
  function signedUrl(path: string): string {
    const date = String(Date.now());
    const expires = String(Math.max(1, Math.round(ttlMs / 1000)));
    const epoch = String(signEpoch);
    return `${cdnUrl}${path}?X-Amz-Date=${date}&X-Amz-Expires=${expires}&X-Amz-Epoch=${epoch}&X-Amz-Signature=${signature(path, date, expires, epoch)}`;
  }
  function checkSigned(u: URL): 'ok' | 'expired' | 'denied' {
    const q = u.searchParams;
    const [date, expires, epoch, sig] = ['X-Amz-Date', 'X-Amz-Expires', 'X-Amz-Epoch', 'X-Amz-Signature'].map((k) => q.get(k) ?? '');
    if (!sig || signature(u.pathname, date, expires, epoch) !== sig) return 'denied';
    if (Number(epoch) !== signEpoch || Date.now() > Number(date) + Number(expires) * 1000) return 'expired';
    return 'ok';
  }
  function s3Error(res: ServerResponse, code: string, message: string) {
    const body = Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`);
    res.writeHead(403, { 'content-type': 'application/xml', 'content-length': String(body.length) });
    res.end(body);
  }
  /** Xet's content hash stands apart from the sha256 (a merkle hash over chunks); any stable 64-hex value does here. */
  function xetHashOf(sha: string): string {
    const h = createHash('sha256').update(`xet-merkle:${sha}`).digest('hex');
    xetHashes.set(h, sha);
    return h;
  }
  /** `<card front matter>` of a commit's README.md, parsed (cardData). */
  function cardData(c: StoredCommit): Record<string, unknown> | undefined {
    const readme = c.files.get('README.md')?.content.toString('utf8');
    const m = readme && /^---\s*\n([\s\S]*?)\n---\s*(\n|$)/.exec(readme);
    if (!m) return undefined;
    try {
      const v = parseYaml(m[1]);
      return v && typeof v === 'object' ? (v as Record<string, unknown>) : undefined;
    } catch {
      return undefined;
    }
  }
  /** Tags as the Hub derives them: library, pipeline tag, license, languages, datasets, plus the repo's own. */
  function tagsOf(repo: StoredRepo, card: Record<string, unknown> | undefined): string[] {
    const list = (v: unknown) => (Array.isArray(v) ? v.map(String) : v === undefined || v === null ? [] : [String(v)]);
    const out = new Set<string>(repo.meta.tags ?? []);
    if (repo.meta.libraryName) out.add(repo.meta.libraryName);
    for (const l of list(card?.library_name)) out.add(l);
    if (repo.meta.pipelineTag) out.add(repo.meta.pipelineTag);
    for (const l of list(card?.license)) out.add(`license:${l}`);
    for (const l of list(card?.language)) out.add(repo.type === 'dataset' ? `language:${l}` : l);
    for (const d of list(card?.datasets)) out.add(`dataset:${d}`);
    for (const t of list(card?.task_categories)) out.add(`task_categories:${t}`);
    for (const t of list(card?.tags)) out.add(t);
    return [...out];
  }
  /** The Hub's relative 307 for a renamed repo: the id segments replaced, the rest and the query kept. */
  function renameLocation(u: URL): string | undefined {
    if (!renames.size) return undefined;
    const raw = u.pathname.split('/').filter(Boolean);
    const dec = raw.map((x) => decodeURIComponent(x));
    let type: RepoType;
    let at: number;
    if (dec[0] === 'api' && (dec[1] === 'models' || dec[1] === 'datasets')) {
      type = dec[1] === 'models' ? 'model' : 'dataset';
      at = 2;
    } else if (dec[0] === 'datasets') {
      type = 'dataset';
      at = 1;
    } else if (dec[0] !== 'api') {
      type = 'model';
      at = 0;
    } else return undefined;
    for (const n of [2, 1]) {
      if (dec.length < at + n) continue;
      const id = dec.slice(at, at + n).join('/');
      const to = renames.get(key(type, id));
      if (!to || repos.has(key(type, id))) continue;
      if (at !== 2 && dec[at + n] !== 'resolve') continue; // file URLs: /{id}/resolve/...
      return `/${[...raw.slice(0, at), ...to.split('/').map(encodeURIComponent), ...raw.slice(at + n)].join('/')}${u.search}`;
    }
    return undefined;
  }

  function storeFile(path: string, content: Buffer, lastCommit: string): StoredFile {
    const lfs = isLfs(path, content.length);
    const sha = sha256(content);
    if (lfs) lfsStore.set(sha, content);
    return { content, lfs, oid: gitSha1(lfs ? lfsPointer(sha, content.length) : content), sha256: sha, lastCommit };
  }

  function makeCommit(repo: StoredRepo, parent: string | undefined, title: string, description: string, apply: (files: Map<string, StoredFile>, oid: string) => void, forcedOid?: string): StoredCommit {
    const oid = forcedOid ?? createHash('sha1').update(randomBytes(16)).digest('hex');
    const files = new Map(parent ? repo.commits.get(parent)!.files : []);
    apply(files, oid);
    clock += 60_000;
    const c: StoredCommit = { oid, parent, title, description, date: new Date(clock).toISOString(), files };
    repo.commits.set(oid, c);
    return c;
  }

  function putFiles(files: Map<string, StoredFile>, oid: string, add: Record<string, FileContent>) {
    for (const [p, c] of Object.entries(add)) {
      const buf = toBuffer(c);
      const prev = files.get(p);
      const f = storeFile(p, buf, oid);
      if (prev && prev.sha256 === f.sha256) f.lastCommit = prev.lastCommit;
      files.set(p, f);
    }
  }

  function addRepo(o: AddRepoOptions): { sha: string; shas: Record<string, string> } {
    const type = o.type ?? 'model';
    const repo: StoredRepo = {
      type,
      id: o.id,
      private: !!o.private,
      gated: o.gated ? (o.gated === true ? {} : { users: o.gated.users }) : false,
      branches: new Map(),
      tags: new Map(),
      commits: new Map(),
      prCount: 0,
      discussions: [],
      xet: !!o.xet,
      meta: o.meta ?? {},
    };
    repos.set(key(type, o.id), repo);
    const mainFiles = { '.gitattributes': DEFAULT_GITATTRIBUTES, ...(o.files ?? {}) };
    const main = makeCommit(repo, undefined, o.title ?? 'initial commit', '', (files, oid) => putFiles(files, oid, mainFiles), o.sha);
    repo.branches.set('main', main.oid);
    const shas: Record<string, string> = { main: main.oid };
    for (const [b, files] of Object.entries(o.branches ?? {})) {
      // The Hub's conversion branches (refs/convert/parquet) are orphans holding only their own files.
      const orphan = b.startsWith('refs/convert/');
      const c = makeCommit(repo, orphan ? undefined : main.oid, `branch ${b}`, '', (fs, oid) => putFiles(fs, oid, orphan ? { '.gitattributes': DEFAULT_GITATTRIBUTES, ...files } : files));
      repo.branches.set(b, c.oid);
      shas[b] = c.oid;
    }
    for (const [t, target] of Object.entries(o.tags ?? {})) repo.tags.set(t, repo.branches.get(target) ?? target);
    return { sha: main.oid, shas };
  }

  function openPullRequest(o: { type?: RepoType; id: string; title: string; author: string; files?: Record<string, FileContent>; delete?: string[]; status?: StoredDiscussion['status'] }) {
    const repo = repos.get(key(o.type ?? 'model', o.id));
    if (!repo) throw new Error(`no repo ${o.id}`);
    const num = ++repo.prCount;
    const ref = `refs/pr/${num}`;
    const c = makeCommit(repo, repo.branches.get('main'), o.title, '', (files, oid) => {
      putFiles(files, oid, o.files ?? {});
      for (const d of o.delete ?? []) files.delete(d);
    });
    repo.branches.set(ref, c.oid);
    repo.discussions.push({ num, title: o.title, author: o.author, status: o.status ?? 'open', isPullRequest: true, createdAt: c.date });
    return { num, ref, oid: c.oid };
  }

  function commitFiles(o: { type?: RepoType; id: string; branch?: string; files?: Record<string, FileContent>; delete?: string[]; title?: string }): string {
    const repo = repos.get(key(o.type ?? 'model', o.id));
    if (!repo) throw new Error(`no repo ${o.id}`);
    const branch = o.branch ?? 'main';
    const c = makeCommit(repo, repo.branches.get(branch) ?? repo.branches.get('main'), o.title ?? 'update', '', (files, oid) => {
      putFiles(files, oid, o.files ?? {});
      for (const d of o.delete ?? []) files.delete(d);
    });
    repo.branches.set(branch, c.oid);
    return c.oid;
  }

  // ---- helpers to answer ----
  function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
    const buf = Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
    res.writeHead(status, { 'content-type': typeof body === 'string' || Buffer.isBuffer(body) ? 'text/plain' : 'application/json', 'content-length': String(buf.length), ...headers });
    res.end(buf);
  }
  function error(res: ServerResponse, status: number, code: string | undefined, message: string, extra: Record<string, string> = {}) {
    send(res, status, { error: message }, { ...(code ? { 'x-error-code': code } : {}), 'x-error-message': message, ...extra });
  }

  function userOf(req: IncomingMessage): HubUser | undefined | null {
    const h = req.headers.authorization;
    if (!h) return undefined;
    const m = /^Bearer (.+)$/.exec(h);
    return (m && tokens.get(m[1])) || null; // null: a token that is not valid
  }

  /** Access check for reads; returns false after answering when refused. */
  function canRead(req: IncomingMessage, res: ServerResponse, repo: StoredRepo | undefined, type: RepoType, id: string): repo is StoredRepo {
    const user = userOf(req);
    if (user === null) {
      error(res, 401, undefined, 'Invalid credentials in Authorization header');
      return false;
    }
    if (!repo || (repo.private && !user)) {
      error(res, repo ? 401 : 404, 'RepoNotFound', `Repository Not Found for url: ${type === 'dataset' ? 'datasets/' : ''}${id}. Please make sure you specified the correct repo_id and repo_type. If you are trying to access a private or gated repo, make sure you are authenticated.`);
      return false;
    }
    if (repo.gated) {
      if (!user) {
        error(res, 401, 'GatedRepo', `Access to ${id} is restricted. You must have access to it and be authenticated to access it. Please log in.`);
        return false;
      }
      if (repo.gated.users && !repo.gated.users.includes(user.name)) {
        error(res, 403, 'GatedRepo', `Access to ${id} is restricted and you are not in the authorized list. Visit the repo page to ask for access.`);
        return false;
      }
    }
    return true;
  }

  function canWrite(req: IncomingMessage, res: ServerResponse): boolean {
    const user = userOf(req);
    if (!user) {
      error(res, 401, undefined, user === null ? 'Invalid credentials in Authorization header' : 'You must be authenticated to write');
      return false;
    }
    if (user.role !== 'write') {
      error(res, 403, undefined, 'This token has read access only');
      return false;
    }
    return true;
  }

  function resolveRev(repo: StoredRepo, rev: string): string | undefined {
    if (repo.branches.has(rev)) return repo.branches.get(rev);
    if (repo.tags.has(rev)) return repo.tags.get(rev);
    if (repo.commits.has(rev)) return rev;
    // Like git, the Hub takes an unambiguous commit prefix of at least 7 hex digits.
    if (/^[0-9a-f]{7,39}$/.test(rev)) {
      const hits = [...repo.commits.keys()].filter((c) => c.startsWith(rev));
      if (hits.length === 1) return hits[0];
    }
    return undefined;
  }

  /** Splits `segments` into a known repo id and the rest. */
  function findRepo(type: RepoType, segs: string[]): { id: string; rest: string[]; repo?: StoredRepo } {
    if (segs.length >= 2 && repos.has(key(type, `${segs[0]}/${segs[1]}`))) return { id: `${segs[0]}/${segs[1]}`, rest: segs.slice(2), repo: repos.get(key(type, `${segs[0]}/${segs[1]}`)) };
    if (segs.length >= 1 && repos.has(key(type, segs[0]))) return { id: segs[0], rest: segs.slice(1), repo: repos.get(key(type, segs[0])) };
    // Unknown: assume org/name when the path has room for it.
    const keywords = new Set(['revision', 'tree', 'paths-info', 'preupload', 'commit', 'resolve', 'commits', 'discussions']);
    const two = segs.length >= 2 && !keywords.has(segs[1]);
    return { id: two ? `${segs[0]}/${segs[1]}` : segs[0], rest: segs.slice(two ? 2 : 1) };
  }

  function treeEntries(c: StoredCommit, prefix: string, recursive: boolean, expand: boolean, repo: StoredRepo) {
    const out: Array<Record<string, unknown>> = [];
    const dirs = new Set<string>();
    const base = prefix ? `${prefix}/` : '';
    for (const [p, f] of [...c.files.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
      if (!p.startsWith(base)) continue;
      const rel = p.slice(base.length);
      const parts = rel.split('/');
      for (let i = 1; i < parts.length; i++) {
        const d = base + parts.slice(0, i).join('/');
        if (!recursive && i > 1) break;
        if (!dirs.has(d)) {
          dirs.add(d);
          out.push({ type: 'directory', oid: gitSha1(Buffer.from(d)), size: 0, path: d });
        }
      }
      if (!recursive && parts.length > 1) continue;
      out.push(fileEntry(p, f, expand, repo));
    }
    return out;
  }

  function fileEntry(p: string, f: StoredFile, expand: boolean, repo: StoredRepo) {
    const e: Record<string, unknown> = { type: 'file', oid: f.oid, size: f.content.length, path: p };
    if (f.lfs) e.lfs = { oid: f.sha256, size: f.content.length, pointerSize: lfsPointer(f.sha256, f.content.length).length };
    if (expand) {
      const lc = repo.commits.get(f.lastCommit)!;
      e.lastCommit = { id: lc.oid, title: lc.title, date: lc.date };
      e.securityFileStatus = { status: 'safe' };
    }
    return e;
  }

  function serveBytes(req: IncomingMessage, res: ServerResponse, content: Buffer, headers: Record<string, string>, fault?: Fault) {
    const total = content.length;
    let start = 0;
    let end = total - 1;
    let status = 200;
    const range = req.headers.range;
    if (range) {
      const m = /^bytes=(\d*)-(\d*)$/.exec(range);
      if (m) {
        if (m[1] === '') {
          start = Math.max(0, total - Number(m[2]));
        } else {
          start = Number(m[1]);
          if (m[2] !== '') end = Math.min(Number(m[2]), total - 1);
        }
        if (start >= total && total > 0) {
          res.writeHead(416, { 'content-range': `bytes */${total}`, ...headers });
          res.end();
          return;
        }
        status = 206;
      }
    }
    let body = total === 0 ? Buffer.alloc(0) : content.subarray(start, end + 1);
    if (fault?.corrupt && body.length > 0) {
      body = Buffer.from(body);
      body[0] ^= 0xff;
    }
    res.writeHead(status, {
      'accept-ranges': 'bytes',
      'content-length': String(body.length),
      'content-type': 'application/octet-stream',
      ...(status === 206 ? { 'content-range': `bytes ${start}-${end}/${total}` } : {}),
      ...headers,
    });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    if (fault?.dropAfterBytes !== undefined) {
      res.write(body.subarray(0, fault.dropAfterBytes), () => {
        setTimeout(() => res.socket?.destroy(), 20);
      });
      return;
    }
    if (fault?.chunkDelayMs) {
      void (async () => {
        for (let i = 0; i < body.length; i += 1024) {
          if (res.destroyed) return;
          res.write(body.subarray(i, i + 1024));
          await sleep(fault.chunkDelayMs!);
        }
        res.end();
      })();
      return;
    }
    res.end(body);
  }

  /** The LFS batch `upload` action: one PUT, or presigned parts + a completion URL above the multipart threshold. */
  function uploadAction(oid: string, size: number): Record<string, unknown> {
    if (size < multipartThreshold) return { href: `${cdnUrl}/upload/${oid}`, header: {} };
    multipart.set(oid, { size, parts: new Map() });
    const n = Math.ceil(size / chunkSize);
    const header: Record<string, string> = { chunk_size: String(chunkSize) };
    for (let i = 1; i <= n; i++) header[String(i).padStart(5, '0')] = signedUrl(`/multipart/${oid}/${i}`);
    return { href: `${url}/api/complete_multipart?oid=${oid}`, header };
  }

  /** A repo as listings and info describe it. */
  function repoListing(repo: StoredRepo, c: StoredCommit, full: boolean, withCard: boolean): Record<string, unknown> {
    const card = cardData(c);
    return {
      _id: `id-${repo.id}`,
      id: repo.id,
      ...(repo.type === 'model' ? { modelId: repo.id } : {}),
      author: repo.id.split('/')[0],
      private: repo.private,
      gated: repo.gated ? 'auto' : false,
      disabled: false,
      downloads: repo.meta.downloads ?? 0,
      likes: repo.meta.likes ?? 0,
      trendingScore: repo.meta.trendingScore ?? 0,
      tags: tagsOf(repo, card),
      ...(repo.type === 'model' ? { pipeline_tag: repo.meta.pipelineTag, library_name: repo.meta.libraryName ?? (card?.library_name as string | undefined) } : {}),
      createdAt: repo.meta.createdAt ?? '2024-01-01T00:00:00.000Z',
      ...(full ? { sha: c.oid, lastModified: c.date, siblings: [...c.files.keys()].sort().map((rfilename) => ({ rfilename })) } : {}),
      ...(withCard && card ? { cardData: card } : {}),
    };
  }

  function listRepos(req: IncomingMessage, res: ServerResponse, u: URL, type: RepoType) {
    const q = u.searchParams;
    const user = userOf(req);
    const search = q.getAll('search').map((x) => x.toLowerCase());
    const filters = q.getAll('filter');
    const sortKey = q.get('sort');
    let list = [...repos.values()].filter((r) => r.type === type && (!r.private || (user && r.id.startsWith(`${user.name}/`))));
    list = list.filter((r) => search.every((s) => r.id.toLowerCase().includes(s)));
    if (q.get('author')) list = list.filter((r) => r.id.split('/')[0] === q.get('author'));
    if (q.get('pipeline_tag')) list = list.filter((r) => r.meta.pipelineTag === q.get('pipeline_tag'));
    const head = (r: StoredRepo) => r.commits.get(r.branches.get('main')!)!;
    if (filters.length) list = list.filter((r) => { const tags = tagsOf(r, cardData(head(r))); return filters.every((f) => tags.includes(f)); });
    const value = (r: StoredRepo): string | number => {
      switch (sortKey) {
        case 'downloads': return r.meta.downloads ?? 0;
        case 'likes': return r.meta.likes ?? 0;
        case 'trendingScore': return r.meta.trendingScore ?? 0;
        case 'lastModified': return head(r).date;
        case 'createdAt': return r.meta.createdAt ?? '';
        default: return 0;
      }
    };
    if (sortKey) {
      const dir = q.get('direction') === '1' ? 1 : -1;
      list.sort((a, b) => { const x = value(a); const y = value(b); return x === y ? 0 : (x < y ? -1 : 1) * dir; });
    }
    const limit = q.get('limit') ? Number(q.get('limit')) : Infinity;
    const page = Math.min(limit, pageSize);
    const cursor = Number(q.get('cursor') ?? '0');
    const items = list.slice(cursor, Math.min(cursor + page, limit));
    const headers: Record<string, string> = {};
    if (cursor + page < Math.min(limit, list.length)) {
      const next = new URL(u.href);
      next.searchParams.set('cursor', String(cursor + page));
      headers.link = `<${next.href}>; rel="next"`;
    }
    const full = q.get('full') === 'true' || q.get('full') === 'True';
    const withCard = q.get('cardData') === 'true' || q.get('cardData') === 'True';
    return send(res, 200, items.map((r) => repoListing(r, head(r), full, withCard)), headers);
  }

  // ---- hub routes ----
  async function handleHub(req: IncomingMessage, res: ServerResponse, fault?: Fault) {
    const u = new URL(req.url ?? '/', url);
    const segs = u.pathname.split('/').filter(Boolean).map((s) => decodeURIComponent(s));
    const method = req.method ?? 'GET';

    const moved = renameLocation(u);
    if (moved) {
      const body = Buffer.from(`Temporary Redirect. Redirecting to ${moved}`);
      res.writeHead(307, { location: moved, 'content-type': 'text/plain; charset=utf-8', 'content-length': String(body.length) });
      return res.end(method === 'HEAD' ? undefined : body);
    }

    // /api/resolve-cache/{models|datasets}/{repo}/{commit}/{path}: where the Hub's resolve 307s small files.
    if (segs[0] === 'api' && segs[1] === 'resolve-cache' && (segs[2] === 'models' || segs[2] === 'datasets') && (method === 'GET' || method === 'HEAD')) {
      const type: RepoType = segs[2] === 'models' ? 'model' : 'dataset';
      const { id, rest, repo } = findRepo(type, segs.slice(3));
      if (!canRead(req, res, repo, type, id)) return;
      const commit = repo.commits.get(rest[0] ?? '');
      const path = rest.slice(1).join('/');
      const f = commit?.files.get(path);
      if (!commit || !f) return error(res, 404, 'EntryNotFound', `${path} does not exist at ${rest[0]}`);
      return serveBytes(req, res, f.content, { etag: `"${f.oid}"`, 'x-repo-commit': commit.oid }, fault);
    }

    // Completion of a multipart LFS upload (the href of the batch answer).
    if (u.pathname === '/api/complete_multipart' && method === 'POST') {
      const oid = u.searchParams.get('oid') ?? '';
      const up = multipart.get(oid);
      if (!up) return error(res, 404, undefined, `no multipart upload for ${oid}`);
      const body = JSON.parse((await readBody(req)).toString()) as { oid: string; parts: Array<{ partNumber: number; etag: string }> };
      const n = Math.ceil(up.size / chunkSize);
      if (body.oid !== oid || body.parts.length !== n) return error(res, 400, undefined, `expected ${n} parts for ${oid}`);
      const chunks: Buffer[] = [];
      for (const p of body.parts.sort((a, b) => a.partNumber - b.partNumber)) {
        const part = up.parts.get(p.partNumber);
        if (!part || p.etag !== `"${createHash('md5').update(part).digest('hex')}"`) return error(res, 400, undefined, `part ${p.partNumber} of ${oid} is missing or its ETag differs`);
        chunks.push(part);
      }
      const whole = Buffer.concat(chunks);
      if (whole.length !== up.size || sha256(whole) !== oid) return error(res, 400, undefined, `assembled upload does not match ${oid}`);
      lfsStore.set(oid, whole);
      multipart.delete(oid);
      multipartUploads.push({ oid, parts: n });
      return send(res, 200, {});
    }

    // Listings: GET /api/models, /api/datasets (search, author, filter, pipeline_tag, sort, limit, full, cardData, paging).
    if (segs[0] === 'api' && (segs[1] === 'models' || segs[1] === 'datasets') && segs.length === 2 && method === 'GET') {
      return listRepos(req, res, u, segs[1] === 'models' ? 'model' : 'dataset');
    }

    if (u.pathname === '/api/whoami-v2') {
      const user = userOf(req);
      if (!user) return error(res, 401, undefined, 'Invalid user token.');
      return send(res, 200, {
        type: 'user',
        id: createHash('sha1').update(user.name).digest('hex').slice(0, 24),
        name: user.name,
        fullname: user.name,
        email: `${user.name}@example.com`,
        emailVerified: true,
        isPro: false,
        canPay: false,
        periodEnd: null,
        avatarUrl: '',
        orgs: [{ type: 'org', name: 'hubtune-test', fullname: 'hubtune test org', id: 'org1' }],
        auth: { type: 'access_token', accessToken: { displayName: 'test', role: user.role, createdAt: '2024-01-01T00:00:00.000Z' } },
      });
    }

    if (u.pathname === '/api/repos/create' && method === 'POST') {
      if (!canWrite(req, res)) return;
      const body = JSON.parse((await readBody(req)).toString() || '{}');
      const type: RepoType = body.type === 'dataset' ? 'dataset' : 'model';
      const id = body.organization ? `${body.organization}/${body.name}` : `${userOf(req)!.name}/${body.name}`;
      const repoUrl = `${url}/${type === 'dataset' ? 'datasets/' : ''}${id}`;
      if (repos.has(key(type, id))) return error(res, 409, undefined, 'You already created this repo', {});
      addRepo({ type, id, private: body.visibility === 'private' || body.private === true });
      return send(res, 200, { url: repoUrl, name: id, id: `repo-${id}` });
    }

    if (segs[0] === 'api' && (segs[1] === 'models' || segs[1] === 'datasets')) {
      const type: RepoType = segs[1] === 'models' ? 'model' : 'dataset';
      const { id, rest, repo } = findRepo(type, segs.slice(2));
      const action = rest[0] ?? 'revision';
      const rev = rest[0] === undefined ? 'main' : (rest[1] ?? 'main');
      if (action === 'preupload' || action === 'commit') {
        if (!canWrite(req, res)) return;
        if (!repo) return error(res, 404, 'RepoNotFound', `Repository Not Found for url: ${id}`);
        if (action === 'preupload') {
          const body = JSON.parse((await readBody(req)).toString());
          return send(res, 200, {
            files: body.files.map((f: { path: string; size: number }) => ({ path: f.path, uploadMode: isLfs(f.path, f.size) ? 'lfs' : 'regular', shouldIgnore: false })),
            commitOid: repo.branches.get(rev) ?? null,
          });
        }
        return handleCommit(req, res, repo, rev, u.searchParams.get('create_pr') === '1' || u.searchParams.get('create_pr') === 'true');
      }
      if (!canRead(req, res, repo, type, id)) return;
      if (action === 'discussions' && method === 'GET' && rest.length === 1) {
        // The Hub's page size is 50; `start`/`count` let clients know when to stop.
        const want = (d: StoredDiscussion) =>
          (!u.searchParams.get('author') || d.author === u.searchParams.get('author')) &&
          (!u.searchParams.get('type') || u.searchParams.get('type') === 'all' || (u.searchParams.get('type') === 'pull_request') === d.isPullRequest) &&
          (!u.searchParams.get('status') || u.searchParams.get('status') === 'all' || d.status === u.searchParams.get('status'));
        const all = [...repo.discussions].reverse().filter(want);
        const page = Number(u.searchParams.get('p') ?? '0');
        const start = page * pageSize;
        return send(res, 200, {
          discussions: all.slice(start, start + pageSize).map((d) => ({
            num: d.num, title: d.title, status: d.status, isPullRequest: d.isPullRequest, createdAt: d.createdAt,
            author: { name: d.author, type: 'user' }, repo: { name: repo.id, type: repo.type }, pinned: false, numComments: 1, topReactions: [],
          })),
          count: all.length,
          start,
          numClosedDiscussions: repo.discussions.filter((d) => d.status !== 'open').length,
        });
      }
      const commitOid = resolveRev(repo, rev);
      if (!commitOid) return error(res, 404, 'RevisionNotFound', `Invalid rev id: ${rev}`);
      const c = repo.commits.get(commitOid)!;
      if (action === 'revision' && method === 'GET') {
        return send(res, 200, {
          _id: `id-${repo.id}`,
          id: repo.id,
          modelId: repo.id,
          author: repo.id.split('/')[0],
          sha: c.oid,
          private: repo.private,
          gated: repo.gated ? 'auto' : false,
          disabled: false,
          ...repoListing(repo, c, true, true),
          siblings: [...c.files.keys()].sort().map((rfilename) => {
            if (u.searchParams.get('blobs') !== 'true') return { rfilename };
            const f = c.files.get(rfilename)!;
            return { rfilename, blobId: f.oid, size: f.content.length, ...(f.lfs ? { lfs: { sha256: f.sha256, size: f.content.length, pointerSize: lfsPointer(f.sha256, f.content.length).length } } : {}) };
          }),
        });
      }
      if (action === 'commits' && method === 'GET') {
        const chain: StoredCommit[] = [];
        for (let at: StoredCommit | undefined = c; at; at = at.parent ? repo.commits.get(at.parent) : undefined) chain.push(at);
        const p = Number(u.searchParams.get('p') ?? '0');
        const headers: Record<string, string> = {};
        if ((p + 1) * pageSize < chain.length) {
          const next = new URL(u.href);
          next.searchParams.set('p', String(p + 1));
          headers.link = `<${next.href}>; rel="next"`;
        }
        return send(res, 200, chain.slice(p * pageSize, (p + 1) * pageSize).map((k) => ({
          id: k.oid, title: k.title, message: k.description, date: k.date, authors: [{ user: 'hubtune-test', avatar: '' }],
        })), headers);
      }
      if (action === 'tree' && method === 'GET') {
        const prefix = rest.slice(2).join('/');
        const all = treeEntries(c, prefix, u.searchParams.get('recursive') === 'true', u.searchParams.get('expand') === 'true', repo);
        if (prefix && all.length === 0 && !c.files.has(prefix)) return error(res, 404, 'EntryNotFound', `${prefix} does not exist on "${rev}"`);
        const cursor = Number(u.searchParams.get('cursor') ?? '0');
        const page = all.slice(cursor, cursor + pageSize);
        const headers: Record<string, string> = {};
        if (cursor + pageSize < all.length) {
          const next = new URL(u.href);
          next.searchParams.set('cursor', String(cursor + pageSize));
          headers.link = `<${next.href}>; rel="next"`;
        }
        return send(res, 200, page, headers);
      }
      if (action === 'paths-info' && method === 'POST') {
        const raw = (await readBody(req)).toString();
        let paths: string[];
        let expand = false;
        if ((req.headers['content-type'] ?? '').includes('json')) {
          const b = JSON.parse(raw);
          paths = b.paths;
          expand = !!b.expand;
        } else {
          const f = new URLSearchParams(raw);
          paths = f.getAll('paths');
          expand = f.get('expand') === 'True' || f.get('expand') === 'true';
        }
        const out: unknown[] = [];
        for (const p of paths) {
          const f = c.files.get(p);
          if (f) out.push(fileEntry(p, f, expand, repo));
          else if ([...c.files.keys()].some((k) => k.startsWith(`${p}/`))) out.push({ type: 'directory', oid: gitSha1(Buffer.from(p)), size: 0, path: p });
        }
        return send(res, 200, out);
      }
      return error(res, 404, undefined, `no route ${method} ${u.pathname}`);
    }

    // /{datasets/}{repo}.git/info/lfs/objects/batch
    const lfsIdx = segs.findIndex((s) => s.endsWith('.git'));
    if (lfsIdx >= 0 && segs.slice(lfsIdx + 1).join('/') === 'info/lfs/objects/batch' && method === 'POST') {
      if (!canWrite(req, res)) return;
      const body = JSON.parse((await readBody(req)).toString());
      return send(
        res,
        200,
        {
          transfer: 'basic',
          objects: body.objects.map((o: { oid: string; size: number }) => ({
            oid: o.oid,
            size: o.size,
            authenticated: true,
            ...(lfsStore.has(o.oid) ? {} : { actions: { upload: uploadAction(o.oid, o.size) } }),
          })),
        },
        { 'content-type': 'application/vnd.git-lfs+json' },
      );
    }

    // /{datasets/}{repo}/resolve/{rev}/{path}
    const type: RepoType = segs[0] === 'datasets' ? 'dataset' : 'model';
    const { id, rest, repo } = findRepo(type, type === 'dataset' ? segs.slice(1) : segs);
    if (rest[0] === 'resolve' && (method === 'GET' || method === 'HEAD')) {
      if (!canRead(req, res, repo, type, id)) return;
      const rev = rest[1] ?? 'main';
      const commitOid = resolveRev(repo, rev);
      if (!commitOid) return error(res, 404, 'RevisionNotFound', `Invalid rev id: ${rev}`);
      const path = rest.slice(2).join('/');
      const f = repo.commits.get(commitOid)!.files.get(path);
      const common = { 'x-repo-commit': commitOid, 'access-control-expose-headers': 'X-Repo-Commit,X-Linked-Etag,X-Linked-Size,ETag,Content-Range' };
      if (!f) return error(res, 404, 'EntryNotFound', `${path} does not exist on "${rev}"`, common);
      if (f.lfs) {
        const linked = { 'x-linked-etag': `"${f.sha256}"`, 'x-linked-size': String(f.content.length), etag: `"${f.oid}"`, 'content-length': '0', ...common };
        if (repo.xet) {
          const xh = xetHashOf(f.sha256);
          res.writeHead(302, {
            location: signedUrl(`/xet-bridge-us/${xh}`),
            'x-xet-hash': xh,
            link: `<${url}/api/${type}s/${id}/xet-read-token/${commitOid}>; rel="xet-auth", <${cdnUrl}/v1/reconstructions/${xh}>; rel="xet-reconstruction-info"`,
            ...linked,
          });
        } else {
          res.writeHead(302, { location: signedUrl(`/lfs/${f.sha256}`), ...linked });
        }
        return res.end();
      }
      if (opts.resolveCache) {
        const enc = (x: string) => x.split('/').map(encodeURIComponent).join('/');
        const original = `/${type === 'dataset' ? 'datasets/' : ''}${id}/resolve/${rev}/${path}`;
        const location = `/api/resolve-cache/${type}s/${enc(id)}/${commitOid}/${enc(path)}?${encodeURIComponent(original)}=&etag=${encodeURIComponent(`"${f.oid}"`)}`;
        res.writeHead(307, { location, 'content-type': 'text/plain; charset=utf-8', 'content-length': '0', ...common });
        return res.end();
      }
      return serveBytes(req, res, f.content, { etag: `"${f.oid}"`, ...common }, fault);
    }
    return error(res, 404, undefined, `no route ${method} ${u.pathname}`);
  }

  async function handleCommit(req: IncomingMessage, res: ServerResponse, repo: StoredRepo, branch: string, createPr: boolean) {
    const lines = (await readBody(req)).toString().split('\n').filter((l) => l.trim());
    let title = 'commit';
    let description = '';
    let parentCommit: string | undefined;
    const add: Array<{ path: string; content: Buffer }> = [];
    const lfs: string[] = [];
    const deleted: string[] = [];
    const deletedFolders: string[] = [];
    for (const line of lines) {
      const { key: k, value } = JSON.parse(line);
      if (k === 'header') {
        title = value.summary ?? title;
        description = value.description ?? '';
        parentCommit = value.parentCommit;
      } else if (k === 'file') {
        add.push({ path: value.path, content: Buffer.from(value.content, value.encoding === 'base64' ? 'base64' : 'utf8') });
      } else if (k === 'lfsFile') {
        const blob = lfsStore.get(value.oid);
        if (!blob) return error(res, 422, undefined, `LFS object ${value.oid} for ${value.path} was not uploaded`);
        add.push({ path: value.path, content: blob });
        lfs.push(value.path);
      } else if (k === 'deletedFile') {
        deleted.push(value.path);
      } else if (k === 'deletedFolder') {
        deletedFolders.push(value.path.replace(/\/+$/, ''));
      }
    }
    const head = repo.branches.get(branch);
    if (head === undefined && !createPr) return error(res, 404, 'RevisionNotFound', `Invalid rev id: ${branch}`);
    if (parentCommit && parentCommit !== head) return error(res, 412, undefined, 'A commit has happened since. Please refresh and try again.');
    const c = makeCommit(repo, head, title, description, (files, oid) => {
      putFiles(files, oid, Object.fromEntries(add.map((a) => [a.path, a.content])));
      for (const d of deleted) files.delete(d);
      for (const d of deletedFolders) for (const p of [...files.keys()]) if (p.startsWith(`${d}/`)) files.delete(p);
    });
    let target = branch;
    let pullRequestUrl: string | undefined;
    if (createPr) {
      repo.prCount++;
      target = `refs/pr/${repo.prCount}`;
      repo.discussions.push({ num: repo.prCount, title, author: userOf(req)?.name ?? 'deleted', status: 'open', isPullRequest: true, createdAt: c.date });
      pullRequestUrl = `${url}/${repo.type === 'dataset' ? 'datasets/' : ''}${repo.id}/discussions/${repo.prCount}`;
    }
    repo.branches.set(target, c.oid);
    commits.push({ repoType: repo.type, repoId: repo.id, branch: target, oid: c.oid, title, description, added: add.map((a) => a.path), lfs, deleted: [...deleted, ...deletedFolders] });
    return send(res, 200, {
      success: true,
      commitOid: c.oid,
      commitUrl: `${url}/${repo.type === 'dataset' ? 'datasets/' : ''}${repo.id}/commit/${c.oid}`,
      hookOutput: '',
      ...(pullRequestUrl ? { pullRequestUrl } : {}),
    });
  }

  async function handleCdn(req: IncomingMessage, res: ServerResponse, fault?: Fault) {
    const u = new URL(req.url ?? '/', cdnUrl);
    const segs = u.pathname.split('/').filter(Boolean);
    if ((segs[0] === 'lfs' || segs[0] === 'xet-bridge-us') && segs[1] && (req.method === 'GET' || req.method === 'HEAD')) {
      const verdict = checkSigned(u);
      if (verdict === 'expired') return s3Error(res, 'AccessDenied', 'Request has expired');
      if (verdict === 'denied') return s3Error(res, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided.');
      const sha = segs[0] === 'lfs' ? segs[1] : xetHashes.get(segs[1]);
      const blob = sha ? lfsStore.get(sha) : undefined;
      if (!blob) return error(res, 404, undefined, 'NoSuchKey');
      return serveBytes(req, res, blob, { etag: `"${sha}"` }, fault);
    }
    if (segs[0] === 'multipart' && segs[1] && segs[2] && req.method === 'PUT') {
      if (checkSigned(u) !== 'ok') return s3Error(res, 'AccessDenied', 'Request has expired');
      const up = multipart.get(segs[1]);
      if (!up) return error(res, 404, undefined, 'NoSuchUpload');
      const body = await readBody(req);
      up.parts.set(Number(segs[2]), body);
      res.writeHead(200, { etag: `"${createHash('md5').update(body).digest('hex')}"`, 'content-length': '0' });
      return res.end();
    }
    if (segs[0] === 'upload' && segs[1] && req.method === 'PUT') {
      const body = await readBody(req);
      if (sha256(body) !== segs[1]) return error(res, 400, undefined, 'sha256 mismatch');
      lfsStore.set(segs[1], body);
      return send(res, 200, '');
    }
    return error(res, 404, undefined, 'not found');
  }

  function makeServer(name: 'hub' | 'cdn'): Server {
    const sockets = new Set<Socket>();
    const s = createServer((req, res) => {
      const line = `${req.method} ${req.url}`;
      const entry: RequestLogEntry = {
        server: name,
        method: req.method ?? 'GET',
        url: req.url ?? '/',
        range: req.headers.range,
        authorization: req.headers.authorization,
      };
      requests.push(entry);
      res.on('finish', () => (entry.status = res.statusCode));
      const idx = faults.findIndex((f) => matches(f, line, name));
      const fault = idx >= 0 ? faults[idx] : undefined;
      if (fault) {
        fault.times = (fault.times ?? 1) - 1;
        if (fault.times <= 0) faults.splice(idx, 1);
      }
      void (async () => {
        if (fault?.delayMs) await sleep(fault.delayMs);
        if (fault?.holdUntil) await fault.holdUntil.catch(() => {});
        if (fault?.hostile && interceptHostile(fault.hostile, req, res)) return;
        if (fault?.redirectTo) {
          entry.status = 307;
          res.writeHead(307, { location: fault.redirectTo, 'content-length': '0' });
          return res.end();
        }
        if (fault?.rateLimit) {
          entry.status = 429;
          await readBody(req).catch(() => {});
          const r = fault.rateLimit;
          const resource = r.resource ?? 'resolvers';
          return error(res, 429, undefined, `You have been rate-limited; you can retry this action in about ${r.reset} seconds.`, {
            ratelimit: `"${resource}";r=${r.remaining ?? 0};t=${r.reset}`,
            'ratelimit-policy': `"fixed window";"${resource}";q=3000;w=300`,
          });
        }
        if (fault?.status) {
          entry.status = fault.status;
          await readBody(req).catch(() => {});
          return error(res, fault.status, fault.errorCode, `injected ${fault.status}`);
        }
        await (name === 'hub' ? handleHub(req, res, fault) : handleCdn(req, res, fault));
      })().catch((err) => {
        if (!res.headersSent) error(res, 500, undefined, String(err?.message ?? err));
        else res.destroy();
      });
    });
    s.on('connection', (sock) => {
      sockets.add(sock);
      sock.on('close', () => sockets.delete(sock));
    });
    (s as Server & { _sockets?: Set<Socket> })._sockets = sockets;
    return s;
  }

  const hub = makeServer('hub');
  const cdn = makeServer('cdn');
  await Promise.all([hub, cdn].map((s) => new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()))));
  url = `http://127.0.0.1:${(hub.address() as AddressInfo).port}`;
  cdnUrl = `http://127.0.0.1:${(cdn.address() as AddressInfo).port}`;

  return {
    url,
    cdnUrl,
    async close() {
      for (const s of [hub, cdn]) for (const sock of (s as Server & { _sockets?: Set<Socket> })._sockets ?? []) sock.destroy();
      await Promise.all([hub, cdn].map((s) => new Promise<void>((r) => s.close(() => r()))));
    },
    addRepo,
    openPullRequest,
    commitFiles,
    getRepo: (type, id) => repos.get(key(type, id)),
    commits,
    requests,
    failNext(f) {
      faults.push({ ...f });
    },
    renameRepo(type, from, to) {
      renames.set(key(type, from), to);
    },
    expireSignedUrls() {
      signEpoch++;
    },
    multipartUploads,
    reset() {
      faults.length = 0;
      requests.length = 0;
    },
  };
}
