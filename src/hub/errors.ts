// Error classes of the Hub client. Messages are one English line that says what to do;
// they never contain a token.

export type RepoType = 'model' | 'dataset';

/** Base class of every error raised by src/hub. */
export class HubError extends Error {
  override name = 'HubError';
  /** HTTP status when the error came from a response. */
  status?: number;
  constructor(message: string, options?: { status?: number; cause?: unknown }) {
    super(message, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.status = options?.status;
  }
}

/** The repository does not exist, or is private and the token has no access (404/401 RepoNotFound). */
export class RepositoryNotFoundError extends HubError {
  override name = 'RepositoryNotFoundError';
}

/** The repository exists but the branch, tag or commit does not (404 RevisionNotFound). */
export class RevisionNotFoundError extends HubError {
  override name = 'RevisionNotFoundError';
}

/** The file does not exist at that revision (404 EntryNotFound, or a `.no_exist` marker in the cache). */
export class EntryNotFoundError extends HubError {
  override name = 'EntryNotFoundError';
}

/** The repository is gated or needs a token the request lacks (401/403). */
export class GatedRepoError extends HubError {
  override name = 'GatedRepoError';
}

/** Offline (HF_HUB_OFFLINE or localFilesOnly) and the file or snapshot is not in the cache. */
export class OfflineModeError extends HubError {
  override name = 'OfflineModeError';
}

/** The server kept failing (5xx after retries), could not be reached, or answered something unusable. */
export class HubHttpError extends HubError {
  override name = 'HubHttpError';
}

/** A path from the server or the caller that would escape the cache folder. */
export class UnsafePathError extends HubError {
  override name = 'UnsafePathError';
}

/** A downloaded file whose size or hash does not match what the Hub announced. */
export class IntegrityError extends HubError {
  override name = 'IntegrityError';
}
