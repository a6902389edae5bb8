// Hugging Face Hub client with huggingface_hub's cache layout, environment and errors.
export { hfHubDownload, getFileMetadata, type HfHubDownloadParams, type FileMetadata } from './hf-hub-download';
export { snapshotDownload, type SnapshotDownloadParams } from './snapshot-download';
export { getToken, hubEndpoint, isOffline, hfHome, hubCacheDir, tokenPath } from './env';
export { repoFolderName } from './cache';
export { filterRepoPaths, fnmatch } from './fnmatch';
export { createRepo, type CreateRepoParams } from './create-repo';
export { uploadFiles, type UploadFilesParams, type UploadFileSource, type CommitInfo } from './upload-files';
export { uploadFolder, type UploadFolderParams } from './upload-folder';
export { listRepoCommits, type ListRepoCommitsParams, type GitCommitInfo } from './list-repo-commits';
export { getRepoDiscussions, type GetRepoDiscussionsParams, type Discussion } from './get-repo-discussions';
export { findConversionPr, CONVERSION_PR_TITLE, CONVERSION_BOT, type ConversionPr } from './conversion-pr';
export { modelInfo, datasetInfo, type ModelInfo, type DatasetInfo, type RepoInfo, type RepoSibling, type RepoInfoParams } from './repo-info';
export { listModels, listDatasets, type ListReposParams, type RepoSort } from './list-repos';
export { scanCacheDir, deleteRevisions, executeDeleteStrategy, formatSize, formatTimeSince, type HFCacheInfo, type CachedRepoInfo, type CachedRevisionInfo, type CachedFileInfo, type DeleteCacheStrategy } from './scan-cache';
export { whoami, type WhoamiParams, type WhoamiResult } from './whoami';
export { login, logout, type LoginParams } from './login';
export {
  HubError,
  HubHttpError,
  RepositoryNotFoundError,
  RevisionNotFoundError,
  EntryNotFoundError,
  GatedRepoError,
  OfflineModeError,
  UnsafePathError,
  IntegrityError,
  type RepoType,
} from './errors';
