// DatasetDict: named splits (Python's dict of Dataset), with the methods applied to every split.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from 'node:util';
import type { Dataset, FilterOptions, MapOptions, TransformFn } from './dataset';
import type { FeatureType } from './features';
import { pyRepr } from './pyrepr';

// Names that code probing an object reads (await, JSON, test frameworks): never taken for a split.
const PROBES = new Set(['then', 'catch', 'finally', 'toJSON', 'constructor', 'asymmetricMatch', 'nodeType', 'tagName', 'length', 'prototype', 'inspect', 'valueOf']);

/** Python's `dd["train"]` / `dd.train` on a DatasetDict; an unknown name is an error listing the splits. */
const splitAccess: ProxyHandler<DatasetDictBase> = {
  get(target, prop) {
    if (typeof prop === 'string' && !(prop in target)) {
      const ds = Map.prototype.get.call(target, prop) as Dataset | undefined;
      if (ds) return ds;
      if (PROBES.has(prop) || /^[_$@]/.test(prop)) return undefined;
      throw new Error(`Unknown split "${prop}". Should be one of ${pyRepr([...Map.prototype.keys.call(target)])}.`);
    }
    const v = Reflect.get(target, prop, target);
    if (typeof v !== 'function') return v;
    // Map's methods need the real Map as `this`; bound once per method so identities stay stable.
    let bound = target.boundMethods.get(v);
    if (!bound) { bound = v.bind(target) as Function; target.boundMethods.set(v, bound); }
    return bound;
  },
  has(target, prop) { return Reflect.has(target, prop) || (typeof prop === 'string' && Map.prototype.has.call(target, prop)); },
};

class DatasetDictBase extends Map<string, Dataset> {
  /** @internal */ readonly boundMethods = new Map<Function, Function>();

  constructor(splits?: Record<string, Dataset> | Iterable<readonly [string, Dataset]>) {
    super(splits && !(Symbol.iterator in Object(splits)) ? Object.entries(splits as Record<string, Dataset>) : splits as Iterable<readonly [string, Dataset]> | undefined);
    return new Proxy(this, splitAccess);
  }

  /** The split (Python's `dd["train"]`); an unknown name is an error listing the available splits. */
  override get(split: string): Dataset {
    const ds = super.get(split);
    if (!ds) throw new Error(`Unknown split "${split}". Should be one of ${pyRepr([...this.keys()])}.`);
    return ds;
  }

  get splits(): string[] { return [...this.keys()]; }
  get numRows(): Record<string, number> { return this.each((d) => d.numRows); }
  get numColumns(): Record<string, number> { return this.each((d) => d.numColumns); }
  get columnNames(): Record<string, string[]> { return this.each((d) => d.columnNames); }
  get shape(): Record<string, [number, number]> { return this.each((d) => d.shape); }

  private each<T>(fn: (d: Dataset, split: string) => T): Record<string, T> {
    const out: Record<string, T> = {};
    for (const [k, d] of this) out[k] = fn(d, k);
    return out;
  }
  private mapSplits(fn: (d: Dataset, split: string) => Dataset): DatasetDict {
    return new DatasetDict([...this].map(([k, d]) => [k, fn(d, k)] as const));
  }
  private async mapSplitsAsync(fn: (d: Dataset, split: string) => Promise<Dataset>): Promise<DatasetDict> {
    const out = new DatasetDict();
    for (const [k, d] of this) out.set(k, await fn(d, k));
    return out;
  }

  map(fn: (...args: any[]) => unknown, params: MapOptions = {}): Promise<DatasetDict> { return this.mapSplitsAsync((d) => d.map(fn, params)); }
  filter(fn: (...args: any[]) => unknown, params: FilterOptions = {}): Promise<DatasetDict> { return this.mapSplitsAsync((d) => d.filter(fn, params)); }
  withTransform(transform: TransformFn | null, params: { columns?: string[] | null; outputAllColumns?: boolean } = {}): DatasetDict {
    return this.mapSplits((d) => d.withTransform(transform, params));
  }
  setTransform(transform: TransformFn | null, params: { columns?: string[] | null; outputAllColumns?: boolean } = {}): void {
    for (const d of this.values()) d.setTransform(transform, params);
  }
  resetFormat(): void { for (const d of this.values()) d.resetFormat(); }
  shuffle(params: { seed?: number | null; seeds?: Record<string, number> } = {}): DatasetDict {
    return this.mapSplits((d, k) => d.shuffle({ seed: params.seeds?.[k] ?? params.seed }));
  }
  renameColumn(original: string | { originalColumnName: string; newColumnName: string }, newName?: string): DatasetDict {
    return this.mapSplits((d) => d.renameColumn(original, newName));
  }
  renameColumns(mapping: Record<string, string>): DatasetDict { return this.mapSplits((d) => d.renameColumns(mapping)); }
  removeColumns(columnNames: string | string[]): DatasetDict { return this.mapSplits((d) => d.removeColumns(columnNames)); }
  selectColumns(columnNames: string | string[]): DatasetDict { return this.mapSplits((d) => d.selectColumns(columnNames)); }
  castColumn(params: { column: string; feature: FeatureType }): Promise<DatasetDict> { return this.mapSplitsAsync((d) => d.castColumn(params)); }
  async unique(column: string): Promise<Record<string, unknown[]>> {
    const out: Record<string, unknown[]> = {};
    for (const [k, d] of this) out[k] = await d.unique(column);
    return out;
  }

  /** Python's DatasetDict.save_to_disk: one folder per split plus `dataset_dict.json`. */
  async saveToDisk(dir: string, params: { numShards?: Record<string, number>; maxShardSize?: number } = {}): Promise<void> {
    mkdirSync(dir, { recursive: true });
    for (const [k, d] of this) await d.saveToDisk(join(dir, k), { numShards: params.numShards?.[k], maxShardSize: params.maxShardSize });
    const { writeJSONAtomic } = await import('./dataset');
    writeJSONAtomic(join(dir, 'dataset_dict.json'), { splits: this.splits });
  }

  /** Python's DatasetDict.push_to_hub: parquet shards per split + README.md, one commit (see src/sharing). */
  pushToHub(repoId: string, opts: import('../sharing/dataset-push').PushDatasetOptions = {}) { return import('../sharing/dataset-push').then((m) => m.pushDatasetDictToHub(this as unknown as DatasetDict, repoId, opts)); }

  override toString(): string {
    const body = [...this].map(([k, v]) => `${k}: ${v}`).join('\n').replace(/^/gm, '    ');
    return `DatasetDict({\n${body}\n})`;
  }
  [inspect.custom](): string { return this.toString(); }
}

/**
 * Python's DatasetDict: a Map of split name -> Dataset whose splits are also read as properties,
 * `ds['train']` or `ds.train` (an unknown split is an error naming the available ones).
 */
export type DatasetDict = DatasetDictBase & { readonly [split: string]: Dataset };
export const DatasetDict = DatasetDictBase as unknown as {
  new (splits?: Record<string, Dataset> | Iterable<readonly [string, Dataset]>): DatasetDict;
  readonly prototype: DatasetDict;
};
