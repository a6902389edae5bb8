// The one error type of torch.distributed-style calls: a one-line message saying what to do.
export class DistributedError extends Error {
  override name = 'DistributedError';
  readonly code = 'ERR_HUBTUNE_DISTRIBUTED';
}

/** Re-throws a native c10d failure as a DistributedError (one line, with what was being done). */
export function distributedError(err: unknown, doing?: string): DistributedError {
  if (err instanceof DistributedError) return err;
  const msg = String((err as Error)?.message ?? err).split('\n')[0]!;
  return new DistributedError(doing ? `${doing}: ${msg}` : msg);
}
