// Sharing on the Hub: push_to_hub for models, tokenizers, image processors, datasets and the
// Trainer (background pushes during training, model card), and repo-id validation.
export { validateRepoId, resolveRepoId, RepoIdError } from './repo-id';
export {
  pushModelToHub, pushTokenizerToHub, pushImageProcessorToHub, pushSavableToHub, pushFolderToHub, ensureRepo,
  defaultCommitMessage, defaultModelCard, PushToHubError,
  type PushToHubOptions, type PushFolderOptions, type PushResult, type Savable, type PushKind,
} from './push';
export {
  pushDatasetToHub, pushDatasetDictToHub, featuresToYamlList, estimateNbytes, parseFileSize, parseCard, dumpCardData,
  type PushDatasetOptions,
} from './dataset-push';
export {
  TrainerHub, HubCallback, PushQueue, trainerPushToHub, frameworkVersions,
  type HubTrainerLike, type TrainerHubOptions, type TrainerModelCardOptions, type TrainerPushOptions,
} from './trainer-hub';
