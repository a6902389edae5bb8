// The Trainer's Hub integration driven by a short real training loop (tiny libtorch model, SGD):
// the Trainer class itself is still being written, so the loop below plays its part and drives
// CallbackHandler + DefaultFlowCallback + HubCallback exactly as the Trainer's events would.
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { folderDigest } from '../support/folder-digest';
import { startHubServer, READ_TOKEN, WRITE_TOKEN, type HubServer } from '../support/hub-server';
import { F, manualSeed, nn, optim, randn, saveSafetensors, tensor, tidy, yieldToEventLoop, versions } from '../../src/torch/index';
import { CallbackHandler, DefaultFlowCallback, TrainerControl } from '../../src/training/callbacks';
import { TrainingArguments, type TrainingArgumentsInit } from '../../src/training/training-args';
import { TrainerState } from '../../src/training/trainer-state';
import { splitFrontMatter, validateModelIndex } from '../../src/training/model-card';
import { Dataset } from '../../src/datasets/index';
import { HubCallback, TrainerHub } from '../../src/sharing/index';

process.env.HUBTUNE_HUB_RETRY_BASE_MS = '5';
delete process.env.HF_TOKEN;
delete process.env.HUGGING_FACE_HUB_TOKEN;
process.env.HF_HOME = mkdtempSync(join(tmpdir(), 'hubtune-th-home-'));
process.env.HUBTUNE_QUIET_BLAS_WARNING = '1';

let server: HubServer;
before(async () => {
  server = await startHubServer();
});
after(() => server.close());
beforeEach(() => server.reset());

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');


class TinyViTForImageClassification {
  config = { nameOrPath: 'google/vit-base-patch16-224-in21k' };
  readonly classifier: nn.Linear;
  constructor() {
    manualSeed(0);
    this.classifier = new nn.Linear(4, 2);
  }
  savePretrained(dir: string): void {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ _name_or_path: this.config.nameOrPath, architectures: ['ViTForImageClassification'] }, null, 2));
    saveSafetensors(join(dir, 'model.safetensors'), { 'classifier.weight': this.classifier.weight, 'classifier.bias': this.classifier.bias! });
  }
}
class TinyImageProcessor {
  async savePretrained(dir: string): Promise<string> {
    writeFileSync(join(dir, 'preprocessor_config.json'), '{"image_processor_type":"ViTImageProcessor"}');
    return join(dir, 'preprocessor_config.json');
  }
}

function makeTrainer(init: TrainingArgumentsInit) {
  const outputDir = join(mkdtempSync(join(tmpdir(), 'hubtune-run-')), 'vit-tiny-beans');
  const model = new TinyViTForImageClassification();
  const evalDataset = Dataset.fromDict({ x: [1, 2] }, { info: { builderName: 'parquet', datasetName: 'hubtune-test/beans', configName: 'default' }, split: 'validation' });
  const trainer = {
    args: new TrainingArguments({ outputDir, pushToHub: true, loggingSteps: 1, learningRate: 0.1, ...init }),
    state: new TrainerState(),
    model,
    processingClass: new TinyImageProcessor(),
    evalDataset,
    saveModel(dir?: string) {
      model.savePretrained(dir ?? outputDir);
    },
  };
  return trainer;
}
type Trainer = ReturnType<typeof makeTrainer>;

/** A Trainer-like loop: SGD steps on a tiny libtorch model; logs, evaluates and saves as DefaultFlowCallback says. */
async function train(trainer: Trainer, hub: TrainerHub, maxSteps: number, onStep?: (step: number) => void): Promise<{ loopMs: number; stepTimes: number[]; onSaveMs: number[] }> {
  const { args, state, model } = trainer;
  const handler = new CallbackHandler([DefaultFlowCallback, new HubCallback(hub)], { model, warn: () => {} });
  state.maxSteps = maxSteps;
  state.computeSteps(args, maxSteps);
  const opt = new optim.SGD(model.classifier.parameters(), { lr: args.learningRate });
  const x = randn([8, 4]);
  const y = tensor([0, 1, 0, 1, 1, 0, 1, 0], { dtype: 'int64' });
  let control = new TrainerControl();
  const t0 = Date.now();
  const stepTimes: number[] = [];
  const onSaveMs: number[] = [];
  control = await handler.onTrainBegin(args, state, control);
  for (let step = 1; step <= maxSteps; step++) {
    const ts = Date.now();
    control = await handler.onStepBegin(args, state, control);
    opt.zeroGrad();
    const loss = tidy(() => {
      const l = F.crossEntropy(model.classifier.forward(x), y);
      l.backward();
      return l.item();
    });
    opt.step();
    state.globalStep = step;
    state.epoch = step / maxSteps;
    control = await handler.onStepEnd(args, state, control);
    if (control.shouldLog) {
      state.logHistory.push({ loss: Math.round(loss * 1e4) / 1e4, grad_norm: 1.0, learning_rate: args.learningRate, epoch: state.epoch, step });
      control = await handler.onLog(args, state, control, state.logHistory.at(-1)!);
    }
    if (control.shouldEvaluate) {
      const metrics = { eval_loss: Math.round(loss * 1e4) / 1e4, eval_accuracy: 0.5 + step / 100, eval_runtime: 0.01, eval_samples_per_second: 800.0, eval_steps_per_second: 100.0, epoch: state.epoch };
      state.logHistory.push({ ...metrics, step });
      control = await handler.onEvaluate(args, state, control, metrics);
    }
    if (control.shouldSave) {
      const ckpt = join(args.outputDir, `checkpoint-${step}`);
      model.savePretrained(ckpt);
      args.saveJson(join(ckpt, 'training_args.json'));
      state.save(join(ckpt, 'trainer_state.json'));
      writeFileSync(join(ckpt, 'optimizer.pt'), Buffer.alloc(64, step));
      const ts2 = performance.now();
      control = await handler.onSave(args, state, control);
      onSaveMs.push(performance.now() - ts2);
    }
    onStep?.(step);
    stepTimes.push(Date.now() - ts);
    await yieldToEventLoop();
    if (control.shouldTrainingStop) break;
  }
  const loopMs = Date.now() - t0;
  state.logHistory.push({ train_runtime: loopMs / 1000, train_samples_per_second: 100.0, train_steps_per_second: 10.0, total_flos: 0.0, train_loss: 0.5, epoch: state.epoch, step: state.globalStep });
  await handler.onTrainEnd(args, state, control);
  return { loopMs, stepTimes, onSaveMs };
}

function mainFiles(id: string): Map<string, { content: Buffer; lfs: boolean; sha256: string }> {
  const repo = server.getRepo('model', id)!;
  return repo.commits.get(repo.branches.get('main')!)!.files;
}

describe('Trainer hub integration', () => {
  test('every_save: pushes in the background (one in flight, newest queued), training never waits; pushToHub at the end', async () => {
    const trainer = makeTrainer({ saveSteps: 1, hubStrategy: 'every_save', hubToken: WRITE_TOKEN, evalStrategy: 'steps', evalSteps: 2 });
    const warnings: string[] = [];
    const hub = new TrainerHub(trainer, { endpoint: server.url, warn: (m) => warnings.push(m) });
    // The Hub answers no commit until the loop reaches its last step: a loop that waited on a push would
    // never get there (the watchdog then releases the commit, and the test fails instead of hanging).
    let releasedBy = '';
    let release!: () => void;
    const held = new Promise<void>((r) => { release = r; });
    const watchdog = setTimeout(() => { releasedBy ||= 'watchdog'; release(); }, 60_000);
    server.failNext({ match: 'POST /api/models/writer/vit-tiny-beans/commit/main', holdUntil: held, times: 2 });
    let commitsAtLastStep = -1;
    const { loopMs, onSaveMs } = await train(trainer, hub, 6, (step) => {
      if (step !== 6) return;
      commitsAtLastStep = server.commits.length;
      releasedBy ||= 'loop';
      release();
    });
    clearTimeout(watchdog);
    assert.equal(releasedBy, 'loop', 'the training loop waited for a push to the Hub');
    assert.equal(commitsAtLastStep, 0, 'the loop reached its last step with no commit answered');
    assert.equal(hub.hubModelId, 'writer/vit-tiny-beans');
    console.log(`# every_save: loop ${loopMs} ms for 6 steps with 6 saves; onSave (staging) ms: ${onSaveMs.map((x) => x.toFixed(1)).join(', ')}`);
    // step 1 in flight, 2..5 replaced in the queue, 6 pushed after 1
    assert.deepEqual(hub.queue.skipped, ['checkpoint-2', 'checkpoint-3', 'checkpoint-4', 'checkpoint-5']);
    assert.deepEqual(server.commits.map((c) => c.title), ['Training in progress, step 1', 'Training in progress, step 6']);
    const first = server.commits[0];
    assert.deepEqual([...first.added].sort(), ['config.json', 'model.safetensors', 'preprocessor_config.json', 'training_args.json']);
    assert.deepEqual(first.lfs, ['model.safetensors']);
    assert.equal(mainFiles('writer/vit-tiny-beans').get('model.safetensors')!.sha256, sha256(readFileSync(join(trainer.args.outputDir, 'checkpoint-6', 'model.safetensors'))));
    assert.deepEqual(warnings, []);
    assert.ok(!readdirSync(trainer.args.outputDir).some((n) => n.startsWith('_hub_staging')), 'staging folders removed');

    server.reset();
    const r = await hub.pushToHub({ license: 'apache-2.0', tags: 'image-classification' });
    const end = server.commits.at(-1)!;
    assert.equal(end.title, 'End of training');
    assert.equal(r.commitOid, end.oid);
    assert.ok(end.added.includes('README.md') && end.added.includes('model.safetensors'));
    assert.ok(!end.added.some((p) => p.startsWith('checkpoint-') || p.startsWith('_')), String(end.added));
    const files = mainFiles('writer/vit-tiny-beans');
    assert.equal(files.get('model.safetensors')!.sha256, sha256(readFileSync(join(trainer.args.outputDir, 'model.safetensors'))));
    const card = files.get('README.md')!.content.toString();
    assert.equal(card, readFileSync(join(trainer.args.outputDir, 'README.md'), 'utf8'));
    const fm = parse(splitFrontMatter(card).frontMatter!) as Record<string, any>;
    assert.deepEqual(validateModelIndex(fm), []);
    assert.equal(fm.base_model, 'google/vit-base-patch16-224-in21k');
    assert.deepEqual(fm.datasets, ['hubtune-test/beans']);
    assert.deepEqual(fm.tags, ['image-classification', 'generated_from_trainer']);
    assert.equal(fm['model-index'][0].name, 'vit-tiny-beans');
    assert.deepEqual(fm['model-index'][0].results[0].task, { name: 'Image Classification', type: 'image-classification' });
    assert.deepEqual(fm['model-index'][0].results[0].dataset, { name: 'hubtune-test/beans', type: 'hubtune-test/beans', config: 'default', split: 'validation', args: 'default' });
    assert.equal(fm['model-index'][0].results[0].metrics[0].value, 0.56);
    assert.match(card, /fine-tuned version of \[google\/vit-base-patch16-224-in21k\]\(https:\/\/huggingface.co\/google\/vit-base-patch16-224-in21k\) on the hubtune-test\/beans dataset\.\nIt achieves the following results on the evaluation set:\n- Loss: [0-9.]+\n- Accuracy: 0.56\n/);
    assert.match(card, /\| Training Loss \| Epoch +\| Step \| Validation Loss \| Accuracy \|/);
    assert.match(card, /- learning_rate: 0.1\n- train_batch_size: 8\n/);
    assert.ok(card.includes(`- hubtune 0.1.0\n- libtorch ${versions().torch}\n- Node.js ${process.versions.node}\n`));
    writeFileSync(join(tmpdir(), 'hubtune-sample-model-card.md'), card);
  });

  test('checkpoint and all_checkpoints also push the checkpoint folder (last-checkpoint/ or checkpoint-N/)', async () => {
    for (const [strategy, prefix] of [['checkpoint', 'last-checkpoint'], ['all_checkpoints', 'checkpoint-2']] as const) {
      server.reset();
      const n = server.commits.length;
      const trainer = makeTrainer({ saveSteps: 2, hubStrategy: strategy, hubToken: WRITE_TOKEN, hubModelId: `hubtune-test/ckpt-${strategy}`, hubPrivateRepo: true });
      const hub = new TrainerHub(trainer, { endpoint: server.url });
      await train(trainer, hub, 2);
      assert.equal(server.getRepo('model', `hubtune-test/ckpt-${strategy}`)!.private, true);
      const cs = server.commits.slice(n);
      assert.deepEqual(cs.map((c) => c.title), ['Training in progress, step 2', 'Training in progress, step 2, checkpoint']);
      assert.deepEqual([...cs[1].added].sort(), ['config.json', 'model.safetensors', 'optimizer.pt', 'trainer_state.json', 'training_args.json'].map((f) => `${prefix}/${f}`));
      assert.ok(cs[1].lfs.includes(`${prefix}/model.safetensors`) && cs[1].lfs.includes(`${prefix}/optimizer.pt`));
    }
  });

  test('end: nothing pushed during training', async () => {
    const trainer = makeTrainer({ saveSteps: 1, hubStrategy: 'end', hubToken: WRITE_TOKEN, hubModelId: 'hubtune-test/at-end' });
    const hub = new TrainerHub(trainer, { endpoint: server.url });
    await train(trainer, hub, 3);
    assert.equal(server.commits.filter((c) => c.repoId === 'hubtune-test/at-end').length, 0);
    await hub.pushToHub({ commitMessage: 'final' });
    assert.deepEqual(server.commits.filter((c) => c.repoId === 'hubtune-test/at-end').map((c) => c.title), ['final']);
  });

  test('failing uploads are retried, reported once, never block or corrupt training; a later push lands', async () => {
    const trainer = makeTrainer({ saveSteps: 2, hubStrategy: 'every_save', hubToken: WRITE_TOKEN, hubModelId: 'flaky' });
    const warnings: string[] = [];
    const hub = new TrainerHub(trainer, { endpoint: server.url, warn: (m) => warnings.push(m) });
    // the first push's LFS upload fails twice (retried), then its commit fails on all 6 attempts
    server.failNext({ match: 'PUT /upload/', server: 'cdn', status: 503, times: 2 });
    server.failNext({ match: 'POST /api/models/writer/flaky/commit/main', status: 500, times: 6 });
    const digests = new Map<string, string>();
    await train(trainer, hub, 6, (step) => {
      const ck = join(trainer.args.outputDir, `checkpoint-${step}`);
      if (existsSync(ck)) digests.set(ck, folderDigest(ck));
    });
    assert.equal(trainer.state.globalStep, 6, 'training finished');
    for (const [ck, d] of digests) assert.equal(folderDigest(ck), d, `${ck} untouched`);
    assert.equal(warnings.length, 1, warnings.join('\n'));
    assert.match(warnings[0], /^could not push the model of checkpoint-2 to writer\/flaky: the Hub at .* answered 500 .* after 6 attempts: try again later\. Training continues; the files are saved locally in \/.*vit-tiny-beans; the next save or trainer.pushToHub\(\) will try again$/);
    assert.ok(!warnings[0].includes(WRITE_TOKEN));
    const titles = server.commits.filter((c) => c.repoId === 'writer/flaky').map((c) => c.title);
    assert.equal(titles.at(-1), 'Training in progress, step 6');
    assert.equal(mainFiles('writer/flaky').get('model.safetensors')!.sha256, sha256(readFileSync(join(trainer.args.outputDir, 'checkpoint-6', 'model.safetensors'))));
  });

  test('no token / read-only token: training continues, one clear message with the local folder', async () => {
    for (const [token, re] of [[undefined, /needs a token with write access/], [READ_TOKEN, /forbidden \(403\).*read access only/]] as const) {
      const trainer = makeTrainer({ saveSteps: 2, hubToken: token ?? null, hubModelId: 'writer/nope' });
      const warnings: string[] = [];
      const hub = new TrainerHub(trainer, { endpoint: server.url, warn: (m) => warnings.push(m) });
      server.reset();
      const n = server.commits.length;
      await train(trainer, hub, 4);
      assert.equal(trainer.state.globalStep, 4);
      assert.ok(existsSync(join(trainer.args.outputDir, 'checkpoint-4', 'model.safetensors')));
      assert.equal(warnings.length, 1, warnings.join('\n'));
      assert.match(warnings[0], /^push to the Hub is off for this run: .*Training continues; the model and checkpoints are saved locally in \/.*vit-tiny-beans$/);
      assert.match(warnings[0], re);
      assert.equal(server.commits.length, n);
      assert.ok(!server.requests.some((r) => r.url.includes('/commit/')));
      await assert.rejects(hub.pushToHub(), (e: Error) => re.test(e.message) && e.message.includes('saved locally in'));
    }
    const bad = makeTrainer({ hubModelId: 'writer/bad..name', hubToken: WRITE_TOKEN, saveSteps: 1 });
    const warnings: string[] = [];
    await train(bad, new TrainerHub(bad, { endpoint: server.url, warn: (m) => warnings.push(m) }), 1);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /invalid repo id "writer\/bad\.\.name"/);
  });

  test('createModelCard: characters that would break YAML are quoted; the front matter validates', async () => {
    const trainer = makeTrainer({ saveSteps: 100, hubToken: WRITE_TOKEN, pushToHub: false });
    const hub = new TrainerHub(trainer, { endpoint: server.url });
    const n = server.commits.length;
    trainer.state.logHistory = [
      { loss: 0.7, epoch: 1.0, step: 5 },
      { eval_loss: 0.6, eval_accuracy: 0.75, eval_f1: 0.8, eval_runtime: 1.0, epoch: 1.0, step: 5 },
      { train_runtime: 3.0, train_loss: 0.7, epoch: 1.0, step: 5 },
    ];
    const weird = 'my: data # "quoted"\nsecond line';
    const path = await hub.createModelCard({ dataset: weird, datasetTags: 'org/weird-data', datasetArgs: 'cfg: x', language: 'en', license: 'mit', tasks: 'text-classification', modelName: 'name: with # hash' });
    const card = readFileSync(path, 'utf8');
    const fm = parse(splitFrontMatter(card).frontMatter!) as Record<string, any>;
    assert.deepEqual(validateModelIndex(fm), []);
    const r = fm['model-index'][0].results[0];
    assert.equal(fm['model-index'][0].name, 'name: with # hash');
    assert.equal(r.dataset.name, weird);
    assert.equal(r.dataset.args, 'cfg: x');
    assert.deepEqual(fm.metrics, ['accuracy', 'f1']);
    assert.deepEqual(fm.language, ['en']);
    assert.equal(fm.license, 'mit');
    assert.equal(server.commits.length, n);
  });
});
