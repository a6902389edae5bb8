// The error of every dataset file problem (parquet, Arrow, save_to_disk folders): one line naming
// the file and the column / rows / field, saying what to do.
export class DatasetError extends Error {
  override name = 'DatasetError';
  constructor(message: string) {
    // one line even when a corrupt file's column names hold control characters
    super(message.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`));
  }
}

/** Any failure inside a dataset reader as a DatasetError naming `where` (kept as is when it already is one). */
export function datasetErrorIn(where: string, e: unknown, hint = 'the file is corrupt; re-download or regenerate it'): DatasetError {
  if (e instanceof DatasetError) return e;
  const msg = String((e as Error)?.message ?? e).split('\n')[0].slice(0, 300);
  return new DatasetError(`${where}: ${msg.includes(where) ? msg.replace(where, '').replace(/^[:\s]+/, '') : msg} (${(e as Error)?.name ?? 'Error'}); ${hint}`);
}
