// The Hub's Parquet export of a dataset (the `refs/convert/parquet` branch the dataset viewer
// writes): `<config>/<split>/<nnnn>.parquet` (`<config>/partial-<split>/...` for partial exports),
// or the older `<config>/<name>-<split>[-<nnnnn>-of-<nnnnn>].parquet`.
import { pyRepr } from './pyrepr';

export const PARQUET_EXPORT_REVISION = 'refs/convert/parquet';

/** Config name -> split -> files (relative to the branch root), from the branch's parquet files. */
export function parquetExportLayout(files: string[]): Map<string, Record<string, string[]>> {
  const out = new Map<string, Record<string, string[]>>();
  for (const f of files.filter((x) => x.endsWith('.parquet')).sort()) {
    const parts = f.split('/');
    if (parts.length < 2) continue;
    const config = parts[0];
    let split: string | undefined;
    if (parts.length === 3) split = parts[1].replace(/^partial-/, '');
    else if (parts.length === 2) split = /-([^-]+?)(?:-\d{5}-of-\d{5})?\.parquet$/.exec(parts[1])?.[1];
    if (!split) continue;
    const c = out.get(config) ?? {};
    (c[split] ??= []).push(f);
    out.set(config, c);
  }
  return out;
}

/** The config to load from the export: `name`, else `default`, else the only one. */
export function pickExportConfig(layout: Map<string, Record<string, string[]>>, name: string | undefined, repoId: string): string {
  const configs = [...layout.keys()];
  if (name) {
    if (!layout.has(name)) throw new Error(`BuilderConfig '${name}' not found for ${repoId} in its Parquet export. Available: ${pyRepr(configs)}`);
    return name;
  }
  if (layout.has('default')) return 'default';
  if (configs.length === 1) return configs[0];
  throw new Error(`Config name is missing for ${repoId}. Please pick one among the available configs: ${pyRepr(configs)}; e.g. loadDataset('${repoId}', '${configs[0]}')`);
}
