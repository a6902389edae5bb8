// The Trainer's Hub integration (transformers' init_hf_repo, _push_from_checkpoint,
// _finish_current_push, push_to_hub and create_model_card), as a helper the Trainer owns and a
// TrainerCallback that drives it from the training events.
//
// Pushes made during training run in the background through a queue: at most one push in flight;
// a newer save replaces a queued one (so the latest state always lands, and training never waits
// for the network except at the end). Each push uploads a staging folder of hard links / copies
// (`<outputDir>/_hub_staging-*`, never uploaded itself), so checkpoint rotation or later saves
// cannot change files while they upload, and no local file is ever written by a push.
import { copyFileSync, existsSync, linkSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TrainerCallback, TrainerControl, CallbackExtras } from '../training/callbacks';
import type { TrainingArguments } from '../training/training-args';
import type { TrainerState } from '../training/trainer-state';
import { createModelCard, saveModelCard, splitFrontMatter, type DatasetMetadata, type FrameworkVersions } from '../training/model-card';
import { printLine } from '../training/progress';
import { parse as parseYaml } from 'yaml';
import { GatedRepoError, HubError } from '../hub/index';
import { ensureRepo, pushFolderToHub, PushToHubError, type PushResult } from './push';
import { validateRepoId } from './repo-id';

/** What the hub helper needs of a Trainer (transformers' attribute names in camelCase). */
export interface HubTrainerLike {
  args: TrainingArguments;
  state: TrainerState;
  model?: unknown;
  processingClass?: unknown;
  trainDataset?: unknown;
  evalDataset?: unknown;
  /** Writes the final model (and processing class) into args.outputDir. */
  saveModel?(outputDir?: string): unknown;
}

export interface TrainerHubOptions {
  /** Receives warnings and push errors (default console.warn). Never given a token. */
  warn?: (message: string) => void;
  /** Receives progress lines (default: nothing). */
  info?: (message: string) => void;
  /** Hub URL. Default `$HF_ENDPOINT` or https://huggingface.co. */
  endpoint?: string;
  /** Dataset name(s) for the model card when the datasets do not carry one. */
  datasetName?: string | string[];
}

export interface TrainerModelCardOptions {
  language?: string | string[];
  license?: string;
  tags?: string | string[];
  modelName?: string;
  finetunedFrom?: string;
  tasks?: string | string[];
  /** Hub dataset ids (the card's `datasets:` tags). */
  datasetTags?: string | string[];
  /** Display names of the datasets (default: the tags). */
  dataset?: string | string[];
  /** Dataset config names (model-index dataset.args). */
  datasetArgs?: string | string[];
  datasetMetadata?: DatasetMetadata | DatasetMetadata[];
}

export interface TrainerPushOptions extends TrainerModelCardOptions {
  /** Default "End of training". */
  commitMessage?: string;
  /** Wait for the upload (default true); false returns once the local files are written. */
  blocking?: boolean;
  token?: string;
  revision?: string;
}

const PREFIX_CHECKPOINT_DIR = 'checkpoint';

/** One line per push for the person at the terminal (above the progress bar): what went where, and the commit. */
function summarizePush(r: PushResult, what: string): void {
  if (process.env.HUBTUNE_QUIET_TRAINER === '1') return;
  printLine(`Pushed ${what} to ${r.repoId}: ${r.commitUrl}`);
}
const STAGING_PREFIX = '_hub_staging-';
/** Files of a checkpoint that make up the model (copied over the output folder's in a push). */
const MODELING_FILE = /^(config\.json|generation_config\.json|model\.safetensors|model\.safetensors\.index\.json|model-\d{5}-of-\d{5}\.safetensors|training_args\.(json|bin))$/;
/** The dataset builders transformers leaves out of cards (not real Hub datasets). */
const LOCAL_BUILDERS = new Set(['csv', 'json', 'pandas', 'parquet', 'text', 'arrow', 'imagefolder']);
/** Below this size a staged file is copied; at or above it, hard-linked (weights are written atomically). */
const LINK_MIN_BYTES = 1 << 20;

// ------------------------------------------------------------------------------------------------
// The queue

interface PushJob {
  label: string;
  run(): Promise<void>;
  /** Called when a newer job replaces this one before it started. */
  discard(): void;
}

/** At most one push in flight; one queued (the newest wins). */
export class PushQueue {
  private inFlight: Promise<void> | null = null;
  private pending: PushJob | null = null;
  /** Labels of the jobs that were replaced before they started. */
  readonly skipped: string[] = [];

  get busy(): boolean {
    return this.inFlight !== null || this.pending !== null;
  }

  enqueue(job: PushJob): void {
    if (this.inFlight) {
      if (this.pending) {
        this.pending.discard();
        this.skipped.push(this.pending.label);
      }
      this.pending = job;
      return;
    }
    this.start(job);
  }

  private start(job: PushJob): void {
    this.inFlight = (async () => {
      try {
        await job.run();
      } catch {
        /* jobs report their own errors */
      }
    })().then(() => {
      this.inFlight = null;
      const next = this.pending;
      this.pending = null;
      if (next) this.start(next);
    });
  }

  /** Resolves when nothing is in flight or queued. */
  async idle(): Promise<void> {
    while (this.inFlight) await this.inFlight;
  }
}

// ------------------------------------------------------------------------------------------------
// Helpers

function listFilesRec(root: string, skipTop: (name: string) => boolean): string[] {
  const out: string[] = [];
  const walk = (dir: string, top: boolean) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (top && skipTop(e.name)) continue;
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p, false);
      else if (e.isFile()) out.push(relative(root, p).split(sep).join('/'));
    }
  };
  if (existsSync(root)) walk(root, true);
  return out;
}

function stageFile(src: string, dst: string): void {
  mkdirSync(dirname(dst), { recursive: true });
  rmSync(dst, { force: true });
  if (statSync(src).size >= LINK_MIN_BYTES) {
    try {
      linkSync(src, dst);
      return;
    } catch {
      /* other filesystem or no hard links: copy */
    }
  }
  copyFileSync(src, dst);
}

function isOutputNoise(name: string): boolean {
  return name.startsWith('_') || name.startsWith(`${PREFIX_CHECKPOINT_DIR}-`) || name.startsWith('.');
}

let stagingCounter = 0;

const HUBTUNE_VERSION = (() => {
  try {
    const here = dirname(fileURLToPath(import.meta.url));
    return (JSON.parse(readFileSync(join(here, '..', '..', 'package.json'), 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
})();

/** hubtune (package.json), libtorch (the addon's `versions().torch`) and Node.js versions. */
export async function frameworkVersions(): Promise<FrameworkVersions> {
  let libtorch = 'unknown';
  try {
    const torch = await import('../torch/index');
    libtorch = torch.versions().torch;
  } catch {
    /* addon not built: the card says unknown */
  }
  return { hubtune: HUBTUNE_VERSION, libtorch, node: process.versions.node };
}

const TASK_BY_CLASS: Array<[RegExp, string]> = [
  [/ForImageClassification/, 'image-classification'],
  [/ForSequenceClassification/, 'text-classification'],
  [/ForTokenClassification/, 'token-classification'],
  [/ForQuestionAnswering/, 'question-answering'],
  [/ForMaskedLM/, 'fill-mask'],
  [/ForCausalLM/, 'text-generation'],
  [/ForMultipleChoice/, 'multiple-choice'],
];

/** The model's `_name_or_path` (config.nameOrPath / config._name_or_path / model.nameOrPath). */
function modelNameOrPath(model: unknown): string | undefined {
  const m = model as { config?: { nameOrPath?: unknown; _name_or_path?: unknown }; nameOrPath?: unknown } | undefined;
  const v = m?.config?.nameOrPath ?? m?.config?._name_or_path ?? m?.nameOrPath;
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

const asList = <T>(v: T | T[] | undefined): T[] | undefined => (v === undefined ? undefined : Array.isArray(v) ? v : [v]);

interface DatasetLike {
  info?: { builderName?: string | null; datasetName?: string | null; configName?: string | null };
  split?: string | null;
  numRows?: number;
}

function looksLikeDataset(d: unknown): d is DatasetLike {
  return !!d && typeof d === 'object' && 'info' in d && typeof (d as DatasetLike).info === 'object' && !(d instanceof Map);
}

/** transformers' dataset defaults from the eval (else train) dataset: tag, config, split. */
function datasetDefaults(trainer: HubTrainerLike): { tag?: string; config?: string | null; split?: string | null } {
  const one = trainer.evalDataset ?? trainer.trainDataset;
  if (!looksLikeDataset(one)) return {};
  const info = one.info ?? {};
  let tag: string | undefined;
  if (info.builderName && !LOCAL_BUILDERS.has(info.builderName)) tag = info.builderName;
  else if (info.datasetName && !isDir(info.datasetName) && !existsSync(info.datasetName)) {
    try {
      tag = validateRepoId(info.datasetName);
    } catch {
      tag = undefined;
    }
  }
  return { tag, config: info.configName ?? null, split: one.split ?? null };
}

// ------------------------------------------------------------------------------------------------
// The helper

export class TrainerHub {
  /** The repo (`namespace/name`) once initRepo succeeded. */
  hubModelId: string | null = null;
  /** Why pushes during training are off (no token, read-only token, ...); null when they are on. */
  disabledReason: string | null = null;
  readonly queue = new PushQueue();
  /** Commits made by background pushes. */
  readonly pushed: PushResult[] = [];
  /** Errors reported (each distinct message once until a push succeeds). */
  readonly errors: string[] = [];
  private lastReported: string | null = null;
  private readonly warn: (m: string) => void;
  private readonly info: (m: string) => void;
  private initPromise: Promise<string | null> | null = null;

  constructor(readonly trainer: HubTrainerLike, readonly opts: TrainerHubOptions = {}) {
    this.warn = opts.warn ?? ((m) => console.warn(m));
    this.info = opts.info ?? (() => {});
  }

  get args(): TrainingArguments {
    return this.trainer.args;
  }

  get outputDir(): string {
    return this.trainer.args.outputDir;
  }

  /** The repo name asked for: hubModelId, else the output folder's name. */
  requestedRepoId(): string {
    return this.args.hubModelId ?? basename(resolve(this.outputDir));
  }

  private report(message: string): void {
    if (message === this.lastReported) return;
    this.lastReported = message;
    this.errors.push(message);
    this.warn(message);
  }

  /**
   * transformers' init_hf_repo: creates the repo (existOk, private per hubPrivateRepo) and sets
   * hubModelId to its full id. Throws a PushToHubError on a bad name, no token, or a refused token.
   */
  async initRepo(token?: string): Promise<string> {
    const repo = await ensureRepo(this.requestedRepoId(), {
      token: token ?? this.args.hubToken ?? undefined,
      endpoint: this.opts.endpoint,
      private: this.args.hubPrivateRepo ?? undefined,
      what: 'the model',
    });
    this.hubModelId = repo.repoId;
    this.disabledReason = null;
    return repo.repoId;
  }

  /**
   * initRepo for training: never throws. On failure pushes are turned off, and the reason is
   * reported once with where the local files are.
   */
  initRepoForTraining(): Promise<string | null> {
    if (this.hubModelId) return Promise.resolve(this.hubModelId);
    this.initPromise ??= this.initRepo().then(
      (id) => id as string | null,
      (err: Error) => {
        this.disabledReason = err.message;
        this.report(`push to the Hub is off for this run: ${err.message}. Training continues; the model and checkpoints are saved locally in ${resolve(this.outputDir)}`);
        return null;
      },
    );
    return this.initPromise;
  }

  private pushFailed(err: unknown, what: string): void {
    const e = err as HubError;
    const msg = (e?.message ?? String(err)).replace(/^could not push [^:]+: /, '');
    const fatal = err instanceof GatedRepoError || (e?.status !== undefined && (e.status === 401 || e.status === 403)) || (e?.cause instanceof GatedRepoError);
    if (fatal) this.disabledReason = msg;
    this.report(`could not push ${what} to ${this.hubModelId}: ${msg}. Training continues; the files are saved locally in ${resolve(this.outputDir)}${fatal ? '; pushes are off for the rest of this run' : '; the next save or trainer.pushToHub() will try again'}`);
  }

  private pushSucceeded(r: PushResult, what: string): void {
    this.pushed.push(r);
    this.lastReported = null;
    summarizePush(r, what);
  }

  /**
   * transformers' _push_from_checkpoint: after a checkpoint is saved, push the model files from
   * it (plus the rest of the output folder) and, with the checkpoint strategies, the checkpoint
   * folder. Returns once the files are staged; the upload runs in the background.
   */
  async pushFromCheckpoint(checkpointFolder: string): Promise<void> {
    const args = this.args;
    if (!args.pushToHub || args.hubStrategy === 'end' || !this.trainer.state.isWorldProcessZero) return;
    const repoId = this.hubModelId ?? (await this.initRepoForTraining());
    if (!repoId || this.disabledReason) return;
    if (!isDir(checkpointFolder)) {
      this.report(`cannot push checkpoint ${checkpointFolder}: the folder does not exist`);
      return;
    }
    const state = this.trainer.state;
    const commitMessage = args.saveStrategy === 'steps' || args.saveStrategy === 'best'
      ? `Training in progress, step ${state.globalStep}`
      : `Training in progress, epoch ${Math.trunc(state.epoch)}`;
    const stage = join(this.outputDir, `${STAGING_PREFIX}${process.pid}-${++stagingCounter}`);
    const modelDir = join(stage, 'model');
    const ckptDir = join(stage, 'checkpoint');
    try {
      // The output folder (minus checkpoints and _*), then the checkpoint's model files over it.
      for (const rel of listFilesRec(this.outputDir, isOutputNoise)) stageFile(join(this.outputDir, rel), join(modelDir, rel));
      for (const name of readdirSync(checkpointFolder)) {
        if (MODELING_FILE.test(name)) stageFile(join(checkpointFolder, name), join(modelDir, name));
      }
      const pc = this.trainer.processingClass as { savePretrained?(dir: string): unknown } | undefined;
      if (pc && typeof pc.savePretrained === 'function') {
        mkdirSync(modelDir, { recursive: true });
        await pc.savePretrained(modelDir);
      }
      if (args.hubStrategy === 'checkpoint' || args.hubStrategy === 'all_checkpoints') {
        for (const rel of listFilesRec(checkpointFolder, () => false)) stageFile(join(checkpointFolder, rel), join(ckptDir, rel));
      }
    } catch (err) {
      rmSync(stage, { recursive: true, force: true });
      this.report(`could not prepare the push of ${checkpointFolder}: ${(err as Error).message}; training continues`);
      return;
    }
    const pathInRepo = args.hubStrategy === 'checkpoint' ? 'last-checkpoint' : basename(checkpointFolder);
    const token = args.hubToken ?? undefined;
    const endpoint = this.opts.endpoint;
    const label = basename(checkpointFolder);
    this.queue.enqueue({
      label,
      discard: () => rmSync(stage, { recursive: true, force: true }),
      run: async () => {
        try {
          if (this.disabledReason) return;
          if (existsSync(modelDir)) {
            try {
              this.pushSucceeded(await pushFolderToHub(modelDir, repoId, { token, endpoint, commitMessage, revision: undefined, what: 'the model' }), `the model of ${label}`);
              this.info(`pushed ${label} to ${repoId}`);
            } catch (err) {
              this.pushFailed(err, `the model of ${label}`);
              if (this.disabledReason) return;
            }
          }
          if (existsSync(ckptDir)) {
            try {
              this.pushSucceeded(await pushFolderToHub(ckptDir, repoId, { token, endpoint, commitMessage: `${commitMessage}, checkpoint`, pathInRepo, what: 'the checkpoint' }), label);
            } catch (err) {
              this.pushFailed(err, label);
            }
          }
        } finally {
          rmSync(stage, { recursive: true, force: true });
        }
      },
    });
  }

  /** transformers' _finish_current_push: waits for the background pushes. */
  async finishCurrentPush(): Promise<void> {
    await this.queue.idle();
  }

  /** transformers' TrainingSummary.from_trainer(...).to_model_card(), written to `<outputDir>/README.md`. */
  async createModelCard(o: TrainerModelCardOptions = {}): Promise<string> {
    const text = await this.modelCardText(o);
    mkdirSync(this.outputDir, { recursive: true });
    return saveModelCard(this.outputDir, text);
  }

  /** The card text (see createModelCard). */
  async modelCardText(o: TrainerModelCardOptions = {}): Promise<string> {
    const t = this.trainer;
    const defaults = datasetDefaults(t);
    let datasetTags = asList(o.datasetTags);
    let datasetArgs = asList(o.datasetArgs);
    let datasetMetadata = o.datasetMetadata;
    if (!datasetTags && defaults.tag) {
      datasetTags = [defaults.tag];
      datasetArgs ??= defaults.config ? [defaults.config] : undefined;
      datasetMetadata ??= { ...(defaults.config ? { config: defaults.config } : {}), ...(defaults.split ? { split: String(defaults.split) } : {}) };
    }
    if (!datasetTags && this.opts.datasetName) datasetTags = asList(this.opts.datasetName);
    const datasetNames = asList(o.dataset) ?? datasetTags;

    let finetunedFrom = o.finetunedFrom;
    const nop = modelNameOrPath(t.model);
    if (finetunedFrom === undefined && nop && !isDir(nop)) finetunedFrom = nop;

    let tasks = asList(o.tasks);
    if (!tasks && t.model && typeof t.model === 'object') {
      const cls = (t.model as object).constructor?.name ?? '';
      const hit = TASK_BY_CLASS.find(([re]) => re.test(cls));
      if (hit) tasks = [hit[1]];
    }

    let modelName = o.modelName ?? (this.args.hubModelId ? this.args.hubModelId.split('/').pop()! : basename(resolve(this.outputDir)));
    if (!modelName) modelName = finetunedFrom ?? 'model';

    let tags = asList(o.tags) ?? [];
    const existing = join(this.outputDir, 'README.md');
    if (existsSync(existing)) {
      try {
        const fm = splitFrontMatter(readFileSync(existing, 'utf8')).frontMatter;
        const old = fm ? (parseYaml(fm) as { tags?: unknown })?.tags : undefined;
        if (Array.isArray(old) && o.tags !== undefined) for (const x of old) if (typeof x === 'string' && !tags.includes(x)) tags.push(x);
      } catch {
        /* an unreadable old card is replaced */
      }
    }
    tags = [...tags];

    return createModelCard({
      modelName,
      baseModel: finetunedFrom ?? null,
      datasets: datasetTags,
      datasetNames,
      datasetArgs,
      datasetMetadata,
      task: tasks as unknown as string,
      license: o.license,
      language: o.language,
      tags,
      logHistory: t.state.logHistory,
      hyperparameters: this.args,
      frameworkVersions: await frameworkVersions(),
    });
  }

  /**
   * transformers' Trainer.push_to_hub: saves the model into outputDir, writes the model card,
   * waits for the background pushes, then uploads outputDir (without checkpoint-* and _*).
   * With blocking: false it returns once the local files are written; `done` settles with the upload.
   */
  async pushToHub(o?: TrainerPushOptions & { blocking?: true }): Promise<PushResult>;
  async pushToHub(o: TrainerPushOptions & { blocking: false }): Promise<{ done: Promise<PushResult> }>;
  async pushToHub(o: TrainerPushOptions = {}): Promise<PushResult | { done: Promise<PushResult> }> {
    const { commitMessage = 'End of training', blocking = true, token, revision, ...cardOpts } = o;
    const args = this.args;
    if (!this.hubModelId || (this.disabledReason && token)) {
      try {
        await this.initRepo(token);
      } catch (err) {
        throw new PushToHubError(`${(err as Error).message}; the model is saved locally in ${resolve(this.outputDir)}`, { cause: err, status: (err as HubError).status });
      }
    }
    await this.saveModelLocally();
    if (cardOpts.modelName === undefined) cardOpts.modelName = args.hubModelId ? args.hubModelId.split('/').pop() : basename(resolve(this.outputDir));
    await this.createModelCard(cardOpts);
    await this.finishCurrentPush();
    const repoId = this.hubModelId!;
    const upload = pushFolderToHub(this.outputDir, repoId, {
      token: token ?? args.hubToken ?? undefined,
      endpoint: this.opts.endpoint,
      commitMessage,
      revision,
      ignorePatterns: ['_*', `${PREFIX_CHECKPOINT_DIR}-*`],
      what: 'the model',
    }).then((r) => { summarizePush(r, 'the model'); return r; }, (err: Error) => {
      throw new PushToHubError(`${err.message}; the model is saved locally in ${resolve(this.outputDir)}`, { cause: err, status: (err as HubError).status });
    });
    if (blocking) return upload;
    upload.catch(() => {});
    return { done: upload };
  }

  private async saveModelLocally(): Promise<void> {
    const t = this.trainer;
    if (typeof t.saveModel === 'function') {
      await t.saveModel(this.outputDir);
      return;
    }
    mkdirSync(this.outputDir, { recursive: true });
    const m = t.model as { savePretrained?(dir: string): unknown } | undefined;
    if (m && typeof m.savePretrained === 'function') await m.savePretrained(this.outputDir);
    const pc = t.processingClass as { savePretrained?(dir: string): unknown } | undefined;
    if (pc && typeof pc.savePretrained === 'function') await pc.savePretrained(this.outputDir);
  }
}

// ------------------------------------------------------------------------------------------------
// The callback

/**
 * Drives a TrainerHub from training events: creates the repo at train begin (reporting, not
 * throwing, when it cannot), queues a push on every save (per hubStrategy), waits for the
 * pushes at train end. Only acts when args.pushToHub is set.
 */
export class HubCallback implements TrainerCallback {
  constructor(readonly hub: TrainerHub) {}

  async onTrainBegin(args: TrainingArguments): Promise<void> {
    if (args.pushToHub) await this.hub.initRepoForTraining();
  }

  async onSave(args: TrainingArguments, state: TrainerState, _control: TrainerControl, extras: CallbackExtras): Promise<void> {
    if (!args.pushToHub) return;
    const folder = typeof extras.checkpointFolder === 'string' ? extras.checkpointFolder : join(args.outputDir, `${PREFIX_CHECKPOINT_DIR}-${state.globalStep}`);
    await this.hub.pushFromCheckpoint(folder);
  }

  async onTrainEnd(args: TrainingArguments): Promise<void> {
    if (args.pushToHub) await this.hub.finishCurrentPush();
  }
}

/** Standalone form of `trainer.pushToHub(opts)`. */
export function trainerPushToHub(hub: TrainerHub, o: TrainerPushOptions = {}) {
  return hub.pushToHub(o as TrainerPushOptions & { blocking?: true });
}
