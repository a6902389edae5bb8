// scanCacheDir / deleteRevisions: what the Hub cache holds, repo by repo and revision by revision,
// and what deleting revisions frees (huggingface_hub's scan_cache_dir and DeleteCacheStrategy).
// Sizes count each blob once; a broken repo folder is a warning, not an error. Deleting never
// follows a link out of the cache: a snapshot entry that resolves outside its repo folder is
// reported and left alone, and only paths inside the cache root are removed.
import { existsSync, lstatSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, unlinkSync, type Stats } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { assertInside } from './cache-jail';
import { hubCacheDir } from './env';
import { HubError, type RepoType } from './errors';

export interface CachedFileInfo {
  fileName: string;
  filePath: string;
  blobPath: string;
  sizeOnDisk: number;
  blobLastAccessed: number;
  blobLastModified: number;
}

export interface CachedRevisionInfo {
  commitHash: string;
  snapshotPath: string;
  sizeOnDisk: number;
  files: CachedFileInfo[];
  refs: string[];
  lastModified: number;
}

export interface CachedRepoInfo {
  repoId: string;
  repoType: RepoType | 'space';
  repoPath: string;
  sizeOnDisk: number;
  nbFiles: number;
  revisions: CachedRevisionInfo[];
  lastAccessed: number;
  lastModified: number;
  /** Every ref of every revision. */
  refs: string[];
}

export interface HFCacheInfo {
  cacheDir: string;
  sizeOnDisk: number;
  repos: CachedRepoInfo[];
  /** Partial downloads (`blobs/*.incomplete`). */
  incompleteFiles: Array<{ path: string; sizeOnDisk: number }>;
  /** One line per repo folder that could not be read (Python's CorruptedCacheException). */
  warnings: string[];
}

const IGNORED = new Set(['.DS_Store', '.locks', 'CACHEDIR.TAG']);

function walkFiles(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walkFiles(p, out);
    else out.push(p);
  }
  return out;
}

function scanRepo(repoPath: string): CachedRepoInfo {
  const name = repoPath.split(sep).pop()!;
  if (!lstatSync(repoPath).isDirectory()) throw new Error(`repo path is not a folder: ${repoPath}`);
  if (!name.includes('--')) throw new Error(`not a Hugging Face cache folder: ${repoPath}`);
  const [typePart, ...idParts] = name.split('--');
  const repoType = typePart.slice(0, -1) as CachedRepoInfo['repoType'];
  if (!['model', 'dataset', 'space'].includes(repoType)) throw new Error(`repo type must be model, dataset or space, found '${repoType}' (${repoPath})`);
  const snapshots = join(repoPath, 'snapshots');
  if (!existsSync(snapshots) || !lstatSync(snapshots).isDirectory()) throw new Error(`no snapshots folder in ${repoPath}`);
  const refsByHash = new Map<string, string[]>();
  const refsDir = join(repoPath, 'refs');
  if (existsSync(refsDir)) {
    if (!lstatSync(refsDir).isDirectory()) throw new Error(`refs is not a folder: ${refsDir}`);
    for (const f of walkFiles(refsDir)) {
      if (IGNORED.has(f.split(sep).pop()!)) continue;
      const hash = readFileSync(f, 'utf8').trim();
      refsByHash.set(hash, [...(refsByHash.get(hash) ?? []), relative(refsDir, f).split(sep).join('/')]);
    }
  }
  const realRepo = realpathSync(repoPath);
  const blobStats = new Map<string, Stats>();
  const revisions: CachedRevisionInfo[] = [];
  for (const e of readdirSync(snapshots, { withFileTypes: true })) {
    if (IGNORED.has(e.name)) continue;
    const revPath = join(snapshots, e.name);
    if (!e.isDirectory()) throw new Error(`a file in the snapshots folder: ${revPath}`);
    const files: CachedFileInfo[] = [];
    for (const filePath of walkFiles(revPath)) {
      let blobPath: string;
      try {
        blobPath = realpathSync(filePath);
      } catch {
        throw new Error(`blob missing (broken link): ${filePath}`);
      }
      // A link out of the repo folder is not the cache's to count or delete.
      if (relative(realRepo, blobPath).startsWith('..')) throw new Error(`${filePath} points outside its repo folder (${blobPath})`);
      const st = blobStats.get(blobPath) ?? statSync(blobPath);
      blobStats.set(blobPath, st);
      files.push({ fileName: filePath.split(sep).pop()!, filePath, blobPath, sizeOnDisk: st.size, blobLastAccessed: st.atimeMs / 1000, blobLastModified: st.mtimeMs / 1000 });
    }
    const unique = new Map(files.map((f) => [f.blobPath, f.sizeOnDisk]));
    revisions.push({
      commitHash: e.name,
      snapshotPath: revPath,
      files,
      refs: (refsByHash.get(e.name) ?? []).sort(),
      sizeOnDisk: [...unique.values()].reduce((a, b) => a + b, 0),
      lastModified: files.length ? Math.max(...files.map((f) => f.blobLastModified)) : statSync(revPath).mtimeMs / 1000,
    });
    refsByHash.delete(e.name);
  }
  if (refsByHash.size) throw new Error(`refs point to commits missing from ${snapshots}: ${[...refsByHash.keys()].join(', ')}`);
  const stats = [...blobStats.values()];
  const repoStat = statSync(repoPath);
  return {
    repoId: idParts.join('/'),
    repoType,
    repoPath,
    sizeOnDisk: stats.reduce((a, s) => a + s.size, 0),
    nbFiles: blobStats.size,
    revisions: revisions.sort((a, b) => (a.commitHash < b.commitHash ? -1 : 1)),
    lastAccessed: stats.length ? Math.max(...stats.map((s) => s.atimeMs / 1000)) : repoStat.atimeMs / 1000,
    lastModified: stats.length ? Math.max(...stats.map((s) => s.mtimeMs / 1000)) : repoStat.mtimeMs / 1000,
    refs: revisions.flatMap((r) => r.refs).sort(),
  };
}

/** Scans the Hub cache (default `$HF_HUB_CACHE`). */
export function scanCacheDir(cacheDir?: string): HFCacheInfo {
  const root = resolve(cacheDir ?? hubCacheDir());
  if (!existsSync(root)) throw new HubError(`cache folder not found: ${root}: download something first, or pass --cache-dir / set HF_HUB_CACHE`);
  if (!statSync(root).isDirectory()) throw new HubError(`the cache path ${root} is a file, not a folder: fix HF_HUB_CACHE`);
  const repos: CachedRepoInfo[] = [];
  const warnings: string[] = [];
  const incompleteFiles: HFCacheInfo['incompleteFiles'] = [];
  for (const name of readdirSync(root).sort()) {
    if (IGNORED.has(name)) continue;
    const repoPath = join(root, name);
    try {
      repos.push(scanRepo(repoPath));
    } catch (err) {
      warnings.push((err as Error).message);
    }
    const blobs = join(repoPath, 'blobs');
    if (existsSync(blobs) && lstatSync(blobs).isDirectory()) {
      for (const b of readdirSync(blobs)) if (b.endsWith('.incomplete')) incompleteFiles.push({ path: join(blobs, b), sizeOnDisk: lstatSync(join(blobs, b)).size });
    }
  }
  return { cacheDir: root, repos, sizeOnDisk: repos.reduce((a, r) => a + r.sizeOnDisk, 0), incompleteFiles, warnings };
}

export interface DeleteCacheStrategy {
  /** Whole repo folders (every revision of the repo is deleted). */
  repos: string[];
  snapshots: string[];
  refs: string[];
  blobs: string[];
  expectedFreedSize: number;
  /** Revisions asked for that the cache does not hold. */
  missing: string[];
}

/** What deleting these revisions (commit hashes) removes: blobs no other revision uses, refs, snapshots, whole repos. */
export function deleteRevisions(info: HFCacheInfo, hashes: string[]): DeleteCacheStrategy {
  const want = new Set(hashes);
  const s: DeleteCacheStrategy = { repos: [], snapshots: [], refs: [], blobs: [], expectedFreedSize: 0, missing: [] };
  for (const repo of info.repos) {
    const del = repo.revisions.filter((r) => want.has(r.commitHash));
    for (const r of del) want.delete(r.commitHash);
    if (!del.length) continue;
    const others = repo.revisions.filter((r) => !del.includes(r));
    if (!others.length) {
      s.repos.push(repo.repoPath);
      s.expectedFreedSize += repo.sizeOnDisk;
      continue;
    }
    const kept = new Set(others.flatMap((r) => r.files.map((f) => f.blobPath)));
    for (const r of del) {
      s.snapshots.push(r.snapshotPath);
      for (const ref of r.refs) s.refs.push(join(repo.repoPath, 'refs', ...ref.split('/')));
      for (const f of r.files) {
        if (kept.has(f.blobPath) || s.blobs.includes(f.blobPath)) continue;
        s.blobs.push(f.blobPath);
        s.expectedFreedSize += f.sizeOnDisk;
      }
    }
  }
  s.missing = [...want];
  return s;
}

/** Carries out a strategy; every path must lie inside the cache root (links are removed, never followed). */
export function executeDeleteStrategy(info: HFCacheInfo, s: DeleteCacheStrategy): void {
  const root = info.cacheDir;
  const realRoot = realpathSync(root);
  // Lexically inside the root, and reached through real folders (the parent resolves inside the real root).
  const inside = (p: string) => {
    assertInside(root, p);
    const parent = realpathSync(resolve(p, '..'));
    if (parent !== realRoot) assertInside(realRoot, parent);
  };
  for (const p of [...s.blobs, ...s.refs]) {
    if (!existsSync(p)) continue;
    inside(p);
    unlinkSync(p);
  }
  for (const p of [...s.snapshots, ...s.repos]) {
    if (!existsSync(p)) continue;
    inside(p);
    rmSync(p, { recursive: true, force: true });
  }
}

/** huggingface_hub's _format_size: 1000-based, one decimal ("116.3K", "3.4G"). */
export function formatSize(n: number): string {
  let v = n;
  for (const unit of ['', 'K', 'M', 'G', 'T', 'P', 'E', 'Z']) {
    if (Math.abs(v) < 1000) return `${v.toFixed(1)}${unit}`;
    v /= 1000;
  }
  return `${v.toFixed(1)}Y`;
}

/** huggingface_hub's format_timesince ("a few seconds ago", "4 days ago"). */
export function formatTimeSince(ts: number, now = Date.now() / 1000): string {
  const delta = now - ts;
  if (delta < 20) return 'a few seconds ago';
  const chunks: Array<[string, number, number | null]> = [
    ['second', 1, 60], ['minute', 60, 60], ['hour', 3600, 24], ['day', 86400, 6], ['week', 604800, 6], ['month', 2592000, 11], ['year', 31536000, null],
  ];
  let value = 0;
  let label = 'second';
  for (const [l, divider, max] of chunks) {
    label = l;
    value = Math.round(delta / divider);
    if (max !== null && value <= max) break;
  }
  return `${value} ${label}${value > 1 ? 's' : ''} ago`;
}
