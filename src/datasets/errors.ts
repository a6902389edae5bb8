// The error of every dataset file problem (parquet, Arrow, save_to_disk folders): one line naming
// the file and the column / rows / field, saying what to do.
export class DatasetError extends Error {
  override name = 'DatasetError';
}

/** Any failure inside a dataset reader as a DatasetError naming `where` (kept as is when it already is one). */
export function datasetErrorIn(where: string, e: unknown, hint = 'the file is corrupt; re-download or regenerate it'): DatasetError {
  if (e instanceof DatasetError) return e;
  const msg = String((e as Error)?.message ?? e).split('\n')[0].slice(0, 300);
  return new DatasetError(`${where}: ${msg.includes(where) ? msg.replace(where, '').replace(/^[:\s]+/, '') : msg} (${(e as Error)?.name ?? 'Error'}); ${hint}`);
}
