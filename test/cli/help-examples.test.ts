// Every example printed by every `hubtune ... --help` runs, as written, in a shell (so quotes, "$VARS",
// ~ and # comments behave as for a user), against the local test Hub with tiny models. The examples
// are read from the help texts themselves: a new example without a run here fails the first test.
// Demos run with their hidden --quick (seconds-long) mode; `npm run demo` is checked to be `hubtune demo`.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { registerAll } from '../../src/cli/commands/index';
import { startHubServer, WRITE_TOKEN, type HubServer } from '../support/hub-server';
import { glueLikeFiles } from '../support/hub-fixtures';
import { beansAsStored } from '../support/dataset-archives';
import { saveTinyRobertaRepo } from '../support/tiny-models';

const ROOT = resolve(new URL('../..', import.meta.url).pathname);
const BIN = join(ROOT, 'bin/hubtune.mjs');
const SST2 = 'distilbert/distilbert-base-uncased-finetuned-sst-2-english';
let hub: HubServer;
const work = mkdtempSync(join(tmpdir(), 'hubtune-help-examples-'));

/** Every `$ ...` line after "Example(s):" in every command's help, with the command path. */
function helpExamples(): string[] {
  let text = '';
  const program = new Command().name('hubtune').configureOutput({ writeOut: (s) => { text += s; }, writeErr: (s) => { text += s; } });
  registerAll(program);
  const out: string[] = [];
  const walk = (c: Command) => {
    text = '';
    c.outputHelp();
    for (const m of text.matchAll(/^ {2}\$ (.+)$/gm)) out.push(m[1]!.trim());
    c.commands.forEach(walk);
  };
  walk(program);
  return [...new Set(out)];
}

function folderFiles(dir: string): Record<string, Buffer> {
  return Object.fromEntries(readdirSync(dir).map((f) => [f, readFileSync(join(dir, f))]));
}

/**
 * Runs one example line in bash, `hubtune` being this checkout's CLI (demos in --quick mode).
 * Asynchronous: the test Hub answers from this process's event loop.
 */
async function sh(line: string, o: { stdin?: string; tty?: boolean } = {}): Promise<{ code: number | null; out: string; err: string }> {
  const prelude = `hubtune() { if [ "$1" = demo ]; then "${process.execPath}" "${BIN}" "$@" --quick; else "${process.execPath}" "${BIN}" "$@"; fi; }; export -f hubtune 2>/dev/null; `;
  const cmd = o.tty ? ['script', ['-qec', `bash -c '${prelude.replace(/'/g, "'\\''")}${line.replace(/'/g, "'\\''")}'`, '/dev/null']] as const : ['bash', ['-c', prelude + line]] as const;
  const env: NodeJS.ProcessEnv = {
    ...process.env, HOME: work, HF_HOME: join(work, 'hf-home'), HF_ENDPOINT: hub.url, MY_HF_TOKEN: WRITE_TOKEN, HUBTUNE_QUIET: '1', TERM: 'dumb',
  };
  for (const k of ['HF_TOKEN', 'HF_HUB_CACHE', 'HF_HUB_OFFLINE', 'XDG_CACHE_HOME', 'HUBTUNE_CACHE', 'HF_DATASETS_CACHE']) delete env[k];
  const child = spawn(cmd[0], [...cmd[1]], { cwd: work, env });
  let out = '', err = '';
  child.stdout.on('data', (d) => { out += String(d); });
  child.stderr.on('data', (d) => { err += String(d); });
  child.stdin.end(o.stdin ?? '');
  const timer = setTimeout(() => child.kill('SIGKILL'), 300_000);
  const code = await new Promise<number | null>((res) => child.on('close', (c) => res(c)));
  clearTimeout(timer);
  return { code, out, err };
}

const ran = new Set<string>();
async function example(line: string, check?: (r: { out: string; err: string }) => void, o: { stdin?: string; tty?: boolean } = {}): Promise<void> {
  const r = await sh(line, o);
  ran.add(line);
  assert.equal(r.code, 0, `${line}\n${r.out}\n${r.err}`);
  check?.(r);
}

before(async () => {
  hub = await startHubServer({ resolveCache: true });
  const beans = await beansAsStored();
  hub.addRepo({ type: 'dataset', id: 'AI-Lab-Makerere/beans', files: beans.files, branches: beans.branches });
  hub.renameRepo('dataset', 'beans', 'AI-Lab-Makerere/beans');
  hub.addRepo({ type: 'dataset', id: 'nyu-mll/glue', files: glueLikeFiles() });
  hub.renameRepo('dataset', 'glue', 'nyu-mll/glue');
  const roberta = folderFiles(await saveTinyRobertaRepo(join(work, 'tiny-roberta')));
  hub.addRepo({ id: 'distilbert/distilroberta-base', files: roberta });
  hub.renameRepo('model', 'distilroberta-base', 'distilbert/distilroberta-base');
  hub.addRepo({ id: SST2, sha: '714eb0f'.padEnd(40, '3'), files: roberta });
  hub.renameRepo('model', 'distilbert-base-uncased-finetuned-sst-2-english', SST2);
  hub.addRepo({ id: 'google-bert/bert-base-uncased', files: { 'config.json': roberta['config.json']! } });
  symlinkSync(join(ROOT, 'assets'), join(work, 'assets'));
});

after(async () => {
  await hub?.close();
  rmSync(work, { recursive: true, force: true });
});

const ALL = helpExamples();

test('the help texts hold examples, each one run below', () => {
  assert.ok(ALL.length >= 30, `only ${ALL.length} examples found`);
  const covered = new Set(PLAN.map((p) => p.line));
  assert.deepEqual(ALL.filter((l) => !covered.has(l)), [], 'examples in --help without a run in this test');
});

interface Step { line: string; prepare?: () => void; check?: (r: { out: string; err: string }) => void; stdin?: string; tty?: boolean }
const demoData = () => join(work, '.cache/hubtune/demo/beans-like-64px');
const PLAN: Step[] = [
  { line: 'hubtune login', stdin: `${WRITE_TOKEN}\n`, check: (r) => assert.match(r.out, /^Logged in as writer\./) },
  { line: 'hubtune login --token "$MY_HF_TOKEN"', check: (r) => assert.match(r.out, /^Logged in as writer\./) },
  { line: 'hubtune whoami', check: (r) => assert.match(r.out, /writer/) },
  { line: 'hubtune demo', check: () => assert.ok(existsSync(join(work, 'demo-output/vit-tiny-beans-like/config.json'))) },
  { line: 'hubtune eval ./demo-output/vit-tiny-beans-like -d imagefolder --data-dir ~/.cache/hubtune/demo/beans-like-64px --split test', check: (r) => assert.match(r.out, /test_accuracy/) },
  {
    line: 'hubtune predict ./demo-output/vit-tiny-beans-like leaf1.png leaf2.png --top-k 2',
    prepare: () => {
      const dir = join(demoData(), 'test', 'healthy');
      const [a, b] = readdirSync(dir).sort();
      cpSync(join(dir, a!), join(work, 'leaf1.png'));
      cpSync(join(dir, b!), join(work, 'leaf2.png'));
    },
    check: (r) => assert.match(r.out, /^leaf1\.png\n {2}\S+\s+0\.\d{4}\n/),
  },
  { line: 'hubtune demo text --output-dir ./demo-text', check: () => assert.ok(existsSync(join(work, 'demo-text'))) },
  {
    // GLUE's test split has label -1 on every row: trained on train, evaluated on validation, test predicted only
    line: 'hubtune train -m distilroberta-base -d nyu-mll/glue --dataset-config mrpc -o ./mrpc --num-train-epochs 3',
    check: (r) => {
      assert.match(r.out, /note: the 'test' split has no labels \(label -1 on every row, like GLUE's test split\): predicting only, as run_glue\.py does/);
      assert.match(r.out, /eval_accuracy/);
      assert.doesNotMatch(r.out, /test_accuracy|test_loss/);
      const lines = readFileSync(join(work, 'mrpc/predict_results_mrpc.txt'), 'utf8').trimEnd().split('\n');
      assert.equal(lines[0], 'index\tprediction');
      assert.equal(lines.length, 1 + 4);
      lines.slice(1).forEach((l, i) => assert.match(l, new RegExp(`^${i}\\t(not_equivalent|equivalent)$`)));
      assert.ok(existsSync(join(work, 'mrpc/model.safetensors')));
    },
  },
  {
    line: 'hubtune eval ./mrpc-model -d nyu-mll/glue --dataset-config mrpc --split validation --json',
    prepare: () => cpSync(join(work, 'mrpc'), join(work, 'mrpc-model'), { recursive: true }),
    check: (r) => assert.equal(typeof (JSON.parse(r.out) as Record<string, number>).eval_accuracy, 'number'),
  },
  {
    line: 'hubtune predict ./my-paraphrase-model "The cat sat." --text-pair "A cat was sitting."',
    prepare: () => cpSync(join(work, 'mrpc'), join(work, 'my-paraphrase-model'), { recursive: true }),
    check: (r) => assert.match(r.out, /equivalent\s+0\.\d{4}/),
  },
  { line: 'hubtune predict distilbert-base-uncased-finetuned-sst-2-english "I love this movie!" --json', check: (r) => assert.ok(Array.isArray(JSON.parse(r.out))) },
  { line: 'hubtune predict ./assets/roberta-tiny-mlm "Lena paid the <mask>." --task fill-mask', check: (r) => assert.match(r.out, /0\.\d{4}/) },
  {
    line: 'hubtune train --recipe recipe.yaml',
    prepare: () => writeFileSync(join(work, 'recipe.yaml'), [
      'model: ./demo-output/vit-tiny-beans-like', 'dataset: imagefolder', `data_dir: ${demoData()}`, 'label_column: label',
      'training_args:', '  output_dir: ./vit-leaves', '  learning_rate: 2e-4', '  max_steps: 2', '  per_device_train_batch_size: 4', '  eval_strategy: "no"', '  report_to: []', '',
    ].join('\n')),
    check: () => assert.ok(existsSync(join(work, 'vit-leaves/model.safetensors'))),
  },
  { line: 'hubtune train --recipe recipe.yaml --learning-rate 1e-4 --output-dir ./run2', check: () => assert.ok(existsSync(join(work, 'run2/model.safetensors'))) },
  {
    line: 'hubtune push ./vit-base-beans my-vit-beans',
    prepare: () => cpSync(join(work, 'run2'), join(work, 'vit-base-beans'), { recursive: true }),
  },
  {
    line: 'hubtune push ./out my-org/my-model --private --commit-message "first version"',
    prepare: () => cpSync(join(work, 'run2'), join(work, 'out'), { recursive: true }),
  },
  { line: 'hubtune repo create my-model' },
  { line: 'hubtune repo create my-org/beans-mini --repo-type dataset --private' },
  {
    line: 'hubtune upload my-model ./model.safetensors',
    prepare: () => { cpSync(join(work, 'run2/model.safetensors'), join(work, 'model.safetensors')); cpSync(join(work, 'run2/config.json'), join(work, 'config.json')); },
  },
  {
    line: 'hubtune upload my-org/beans-mini ./data data --repo-type dataset',
    prepare: () => { mkdirSync(join(work, 'data')); writeFileSync(join(work, 'data/train.csv'), 'text,label\nhello,0\n'); },
  },
  { line: 'hubtune upload my-model . --include "*.json" --create-pr' },
  { line: 'hubtune download google-bert/bert-base-uncased config.json', check: (r) => assert.match(r.out, /config\.json/) },
  { line: 'hubtune download AI-Lab-Makerere/beans --repo-type dataset --include "data/*"' },
  { line: 'hubtune search models bert --task fill-mask --limit 5' },
  { line: 'hubtune search models --author distilbert --sort likes --json', check: (r) => assert.ok(Array.isArray(JSON.parse(r.out))) },
  { line: 'hubtune search datasets beans' },
  { line: 'hubtune search datasets --task image-classification --language en' },
  { line: 'hubtune info distilroberta-base' },
  { line: 'hubtune info beans --repo-type dataset --json', check: (r) => assert.equal(typeof JSON.parse(r.out), 'object') },
  { line: 'hubtune scan-cache', check: (r) => assert.match(r.out, /distilroberta-base/) },
  { line: 'hubtune scan-cache -v --json', check: (r) => assert.equal(typeof JSON.parse(r.out), 'object') },
  { line: 'hubtune delete-cache --revision 714eb0f --dry-run', check: (r) => assert.match(r.out, /^Would delete 1 revision/) },
  { line: 'hubtune delete-cache                        # choose in the terminal', tty: true, stdin: 'q\n', check: (r) => assert.match(r.out, /Nothing selected: nothing deleted\./) },
  { line: 'hubtune delete-cache --repo distilroberta-base --yes' },
  { line: 'hubtune logout', check: (r) => assert.match(r.out, /Logged out/) },
];

for (const step of PLAN) {
  if (step.line === 'npm run demo') continue;
  test(step.line, async () => {
    step.prepare?.();
    await example(step.line, step.check, { stdin: step.stdin, tty: step.tty });
  });
}

PLAN.push({ line: 'npm run demo' });
test('npm run demo is `hubtune demo` after the set-up (bootstrap), run above', () => {
  const scripts = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
  assert.match(scripts.demo!, /^bash scripts\/bootstrap\.sh && node --import tsx src\/cli\/main\.ts demo$/);
  assert.ok(ran.has('hubtune demo'));
});
