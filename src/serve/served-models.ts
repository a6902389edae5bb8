// Which models `hubtune serve` offers, and under which ids: model folders given on the command line
// (or found one level below them, e.g. a training output dir and its checkpoints), and the models of
// the Hub cache (`org/name`, the snapshot `refs/main` points to). Requests name a model by id only;
// no part of a request is ever used as a path.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';

export interface ServedModel {
  /** The id in URLs: `/models/{id}`. */
  id: string;
  /** The folder holding config.json. */
  dir: string;
  /** Where it came from: a folder given to serve, or the Hub cache. */
  source: 'folder' | 'hub-cache';
}

const isDir = (p: string) => { try { return statSync(p).isDirectory(); } catch { return false; } };
const isModelDir = (p: string) => isDir(p) && existsSync(join(p, 'config.json'));

/** Models in the given folders: each folder that has config.json, else its sub-folders that do. */
export function modelsInFolders(paths: string[]): ServedModel[] {
  const out: ServedModel[] = [];
  for (const given of paths) {
    const dir = resolve(given);
    if (!isDir(dir)) {
      if (existsSync(dir)) continue; // a data file: a dataset for the viewer
      throw new Error(`hubtune serve: ${given} does not exist (give model, dataset or training output folders, data files, or folders of those)`);
    }
    if (isModelDir(dir)) out.push({ id: basename(dir), dir, source: 'folder' });
    for (const name of readdirSync(dir).sort()) {
      const sub = join(dir, name);
      if (isModelDir(sub)) out.push({ id: isModelDir(dir) ? `${basename(dir)}/${name}` : name, dir: sub, source: 'folder' });
    }
  }
  return out;
}

/** Models of a Hub cache folder (`models--org--name/snapshots/<refs/main>`). */
export function modelsInHubCache(cacheDir: string): ServedModel[] {
  if (!isDir(cacheDir)) return [];
  const out: ServedModel[] = [];
  for (const name of readdirSync(cacheDir).sort()) {
    if (!name.startsWith('models--')) continue;
    const repo = join(cacheDir, name);
    let commit: string;
    try {
      commit = readFileSync(join(repo, 'refs', 'main'), 'utf8').trim();
    } catch {
      continue;
    }
    if (!/^[0-9a-f]{40}$/.test(commit)) continue;
    const dir = join(repo, 'snapshots', commit);
    if (isModelDir(dir)) out.push({ id: name.slice('models--'.length).split('--').join('/'), dir, source: 'hub-cache' });
  }
  return out;
}

/** All served models by id; a later duplicate id gets a numeric suffix so every model stays reachable. */
export function servedModels(paths: string[], cacheDir: string | null): Map<string, ServedModel> {
  const byId = new Map<string, ServedModel>();
  for (const m of [...modelsInFolders(paths), ...(cacheDir ? modelsInHubCache(cacheDir) : [])]) {
    let id = m.id;
    for (let n = 2; byId.has(id); n++) id = `${m.id}-${n}`;
    byId.set(id, { ...m, id });
  }
  return byId;
}
