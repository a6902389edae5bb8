// What the model page shows for a served model: the model card (README.md: YAML front matter parsed,
// the Markdown rendered safely), a config summary (architecture, parameters counted from the
// safetensors headers, labels), the files with their sizes, the task and its widget's examples, and a
// "use in hubtune" snippet. A broken file (bad config.json, truncated safetensors, bad YAML) is an
// entry in `errors` naming it; the rest of the page still shows.
//
// Files: the listing walks the model folder without following links out of it (a link is listed only
// when it resolves inside the folder, or inside the Hub cache repo for cached models, whose snapshot
// files are links to its blobs), and `servedFile` hands out only files of that listing.
import { closeSync, lstatSync, openSync, readdirSync, readFileSync, readSync, realpathSync, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { checkTask, inferTask } from '../pipelines/tasks';
import { readSafetensorsHeader } from '../torch/safetensors';
import { splitFrontMatter } from '../training/model-card';
import { renderMarkdown } from './markdown';
import type { ServedModel } from './served-models';

export interface ModelFileEntry { path: string; size: number }
export interface ResultRow { model: string; task: string; dataset: string; metric: string; value: unknown }

export interface ModelInfo {
  id: string;
  source: ServedModel['source'];
  /** The pipeline task: the card's pipeline_tag when pipelines support it, else the one config.json's architectures name. */
  task: string | null;
  card: {
    html: string;
    tags: string[];
    baseModel: string[];
    datasets: string[];
    license: string | null;
    language: string[];
    results: ResultRow[];
  } | null;
  config: {
    architecture: string | null;
    modelType: string | null;
    /** Parameters counted from the safetensors headers (null without safetensors). */
    parameters: number | null;
    labels: Record<string, string> | null;
    details: Record<string, string | number | boolean>;
  } | null;
  files: ModelFileEntry[];
  /** Links in the folder that point outside it: not listed, never served. */
  skipped: string[];
  /** The widget's pre-filled inputs. */
  examples: string[];
  maskToken: string | null;
  snippet: string;
  errors: string[];
}

const MAX_FILES = 2000;
const MAX_DEPTH = 6;
/** A larger README.md is not read (its first 256 KiB are rendered: markdown.ts's MAX_MARKDOWN). */
const MAX_README = 4 * 1024 * 1024;
const DETAIL_KEYS = ['model_type', 'hidden_size', 'num_hidden_layers', 'num_attention_heads', 'intermediate_size', 'vocab_size', 'max_position_embeddings',
  'n_embd', 'n_layer', 'n_head', 'n_positions', 'd_model', 'num_layers', 'image_size', 'patch_size', 'num_channels', 'torch_dtype', 'transformers_version'];

const inside = (root: string, p: string) => p === root || p.startsWith(root.endsWith(sep) ? root : root + sep);

/** The folder whose files a model may show: its own, or the Hub cache repo (snapshots link to its blobs). */
export function modelRoot(m: ServedModel): string {
  return realpathSync(m.source === 'hub-cache' ? resolve(m.dir, '..', '..') : m.dir);
}

/** The model's files (relative paths with '/'), links out of the served folder left out and named in `skipped`. */
export function listModelFiles(m: ServedModel): { files: ModelFileEntry[]; skipped: string[] } {
  const root = modelRoot(m);
  const top = realpathSync(m.dir);
  const files: ModelFileEntry[] = [];
  const skipped: string[] = [];
  const walk = (dir: string, depth: number) => {
    let names: string[];
    try { names = readdirSync(dir).sort(); } catch { return; }
    for (const name of names) {
      if (files.length >= MAX_FILES) return;
      if (name === '.git' || name === '.cache') continue;
      const p = join(dir, name);
      const rel = relative(top, p).split(sep).join('/');
      let st;
      try { st = lstatSync(p); } catch { continue; }
      if (st.isSymbolicLink()) {
        let real: string;
        try { real = realpathSync(p); } catch { skipped.push(rel); continue; }
        if (!inside(root, real)) { skipped.push(rel); continue; }
        try { st = statSync(real); } catch { skipped.push(rel); continue; }
        if (!st.isFile()) { skipped.push(rel); continue; } // linked folders are not walked
        files.push({ path: rel, size: st.size });
      } else if (st.isDirectory()) {
        if (depth < MAX_DEPTH) walk(p, depth + 1);
      } else if (st.isFile()) files.push({ path: rel, size: st.size });
    }
  };
  walk(top, 0);
  return { files, skipped };
}

/**
 * The real path of one of the model's listed files, or null. `rel` must be a path of the listing
 * exactly: nothing else (no `..`, no link out of the folder, no folder) is ever opened for a request.
 */
export function servedFile(m: ServedModel, rel: string): string | null {
  const { files } = listModelFiles(m);
  if (!files.some((f) => f.path === rel)) return null;
  const real = realpathSync(join(m.dir, ...rel.split('/')));
  return inside(modelRoot(m), real) ? real : null;
}

/** Files a pipeline reads from a model folder (top level): never through a link out of the folder. */
const LOADER_FILE = /^(.*config\.json|tokenizer\.json|vocab\.(json|txt)|merges\.txt|special_tokens_map\.json|added_tokens\.json|chat_template\.(jinja|json)|README\.md|.*\.safetensors(\.index\.json)?|pytorch_model.*\.bin(\.index\.json)?|.*\.model|.*\.tiktoken)$/;

/**
 * The first file a pipeline would read that is a link out of the model folder, or null. A model
 * folder cloned from elsewhere can hold such links (config.json -> ~/.ssh/...): serving never reads
 * through them, so neither a page nor an error message can show what they point to.
 */
export function loaderLinkOut(m: ServedModel): string | null {
  let names: string[];
  try { names = readdirSync(m.dir).filter((n) => LOADER_FILE.test(n)).sort(); } catch { return null; }
  const root = modelRoot(m);
  for (const n of names) {
    try {
      if (lstatSync(join(m.dir, n)).isSymbolicLink() && !inside(root, realpathSync(join(m.dir, n)))) return n;
    } catch { /* a dangling link reads nothing */ }
  }
  return null;
}
export const linkOutMessage = (m: ServedModel, p: string) => `${m.id}: ${p} is a link out of the model folder, which hubtune serve does not follow: replace the link by the file`;

const asList = (v: unknown): string[] => (v === undefined || v === null ? [] : Array.isArray(v) ? v.filter((x) => typeof x === 'string' || typeof x === 'number').map(String) : typeof v === 'string' ? [v] : []);
const oneLine = (e: unknown) => String((e as Error)?.message ?? e).split('\n')[0]!;

function modelIndexRows(mi: unknown): ResultRow[] {
  const rows: ResultRow[] = [];
  if (!Array.isArray(mi)) return rows;
  for (const entry of mi) {
    const results = (entry as { results?: unknown })?.results;
    if (!Array.isArray(results)) continue;
    for (const r of results as Record<string, any>[]) {
      for (const metric of Array.isArray(r?.metrics) ? r.metrics : []) {
        rows.push({
          model: String((entry as { name?: unknown }).name ?? ''),
          task: String(r.task?.name ?? r.task?.type ?? ''),
          dataset: String(r.dataset?.name ?? r.dataset?.type ?? '') + (r.dataset?.split ? ` (${r.dataset.split})` : ''),
          metric: String(metric?.name ?? metric?.type ?? ''),
          value: typeof metric?.value === 'number' || typeof metric?.value === 'string' ? metric.value : JSON.stringify(metric?.value ?? null),
        });
      }
    }
  }
  return rows;
}

function readJson(path: string): Record<string, unknown> {
  const v: unknown = JSON.parse(readFileSync(path, 'utf8'));
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('not a JSON object');
  return v as Record<string, unknown>;
}

function maskTokenOf(dir: string, files: Set<string>): string | null {
  for (const f of ['tokenizer_config.json', 'special_tokens_map.json']) {
    if (!files.has(f)) continue;
    try {
      const t = readJson(join(dir, f)).mask_token as unknown;
      const s = typeof t === 'string' ? t : (t as { content?: unknown })?.content;
      if (typeof s === 'string' && s) return s;
    } catch { /* reported by the pipeline when it loads */ }
  }
  return null;
}

/** Pre-filled widget inputs per task (the card's `widget:` examples come first). */
function defaultExamples(task: string | null, mask: string | null): string[] {
  switch (task) {
    case 'fill-mask': return [`Paris is the ${mask ?? '[MASK]'} of France.`];
    case 'text-classification': return ['I like you. I love you.'];
    case 'token-classification': return ['My name is Sarah and I live in London.'];
    case 'question-answering': return ['Where do I live?'];
    case 'zero-shot-classification': return ['I have a problem with my iphone that needs to be resolved asap!!'];
    case 'text-generation': return ['Once upon a time,'];
    case 'summarization': return ['The tower is 324 metres tall, about the same height as an 81-storey building, and the tallest structure in Paris.'];
    case 'translation': return ['My name is Wolfgang and I live in Berlin.'];
    case 'text2text-generation': return ['translate English to German: The house is wonderful.'];
    case 'feature-extraction': return ['Today is a sunny day.'];
    default: return [];
  }
}

const jsString = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'`;

/** The card's `pipeline_tag` when pipelines support that task (the Hub's task for the model), else null. */
export function cardPipelineTag(m: ServedModel): string | null {
  let text: string;
  try {
    const real = realpathSync(join(m.dir, 'README.md'));
    if (!inside(modelRoot(m), real)) return null;
    // the front matter is at the top: the first 64 KiB hold it
    const fd = openSync(real, 'r');
    try {
      const buf = Buffer.alloc(64 * 1024);
      text = buf.subarray(0, readSync(fd, buf, 0, buf.length, 0)).toString('utf8');
    } finally {
      closeSync(fd);
    }
  } catch {
    return null;
  }
  const { frontMatter } = splitFrontMatter(text.replace(/\r\n?/g, '\n'));
  if (frontMatter === null || !/^pipeline_tag:/m.test(frontMatter)) return null;
  try {
    const tag = (parseYaml(frontMatter, { maxAliasCount: 50 }) as Record<string, unknown> | null)?.pipeline_tag;
    return typeof tag === 'string' ? checkTask(tag).task : null;
  } catch {
    return null;
  }
}

export function modelInfo(m: ServedModel): ModelInfo {
  const errors: string[] = [];
  const { files, skipped } = listModelFiles(m);
  const names = new Set(files.map((f) => f.path));
  for (const p of skipped) if (!p.includes('/') && LOADER_FILE.test(p)) errors.push(`${p}: a link out of the model folder: not read and not served (replace the link by the file)`);
  let card: ModelInfo['card'] = null;
  let front: Record<string, unknown> = {};
  const readmeSize = files.find((f) => f.path === 'README.md')?.size ?? 0;
  if (readmeSize > MAX_README) errors.push(`README.md: ${readmeSize} bytes is more than a model card (${MAX_README} bytes at most): not shown`);
  else if (names.has('README.md')) {
    const { frontMatter, body } = splitFrontMatter(readFileSync(join(m.dir, 'README.md'), 'utf8').replace(/\r\n?/g, '\n'));
    if (frontMatter !== null) {
      try {
        const y: unknown = parseYaml(frontMatter, { maxAliasCount: 50 });
        if (y && typeof y === 'object' && !Array.isArray(y)) front = y as Record<string, unknown>;
        else if (y !== null && y !== undefined) errors.push('README.md: the YAML front matter is not a mapping (key: value lines)');
      } catch (e) {
        errors.push(`README.md: the YAML front matter does not parse: ${oneLine(e)}`);
      }
    }
    const base = `/models/${m.id.split('/').map(encodeURIComponent).join('/')}/resolve/main/`;
    card = {
      html: renderMarkdown(body, { resolve: (p) => (names.has(p.split(/[?#]/)[0]!) ? base + p.split(/[?#]/)[0]!.split('/').map(encodeURIComponent).join('/') : null) }),
      tags: asList(front.tags), baseModel: asList(front.base_model), datasets: asList(front.datasets), language: asList(front.language),
      license: typeof front.license === 'string' ? front.license : null,
      results: modelIndexRows(front['model-index']),
    };
  }
  let config: ModelInfo['config'] = null;
  let task: string | null = null;
  try {
    if (!names.has('config.json')) throw new Error(skipped.includes('config.json') ? 'linked' : 'missing');
    const c = readJson(join(m.dir, 'config.json'));
    const id2label = c.id2label && typeof c.id2label === 'object' ? Object.fromEntries(Object.entries(c.id2label as Record<string, unknown>).map(([k, v]) => [k, String(v)])) : null;
    const details: Record<string, string | number | boolean> = {};
    for (const k of DETAIL_KEYS) if (['string', 'number', 'boolean'].includes(typeof c[k])) details[k] = c[k] as string | number | boolean;
    config = { architecture: asList(c.architectures)[0] ?? null, modelType: typeof c.model_type === 'string' ? c.model_type : null, parameters: null, labels: id2label, details };
    task = inferTask(c as { architectures?: string[] });
  } catch (e) {
    const why = (e as Error).message;
    if (why !== 'linked') errors.push(`config.json: ${why === 'missing' ? 'missing' : `cannot be read: ${oneLine(e)}`}`);
  }
  if (typeof front.pipeline_tag === 'string') {
    try { task = checkTask(front.pipeline_tag).task; } catch { /* a task pipelines do not have: the config's */ }
  }
  const weights = files.filter((f) => !f.path.includes('/') && f.path.endsWith('.safetensors') && !f.path.startsWith('adapter_'));
  let parameters = weights.length ? 0 : null;
  for (const f of weights) {
    try {
      for (const t of readSafetensorsHeader(join(m.dir, f.path)).tensors.values()) parameters! += t.shape.reduce((a, b) => a * b, 1);
    } catch (e) {
      errors.push(`${f.path}: ${oneLine(e).replace(new RegExp(`^${f.path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: `), '')}`);
      parameters = null;
      break;
    }
  }
  if (config) config.parameters = parameters;
  const maskToken = task === 'fill-mask' ? maskTokenOf(m.dir, names) : null;
  const fromCard = Array.isArray(front.widget) ? (front.widget as { text?: unknown }[]).map((w) => w?.text).filter((t): t is string => typeof t === 'string') : [];
  const examples = [...fromCard, ...defaultExamples(task, maskToken)];
  const where = m.source === 'hub-cache' ? m.id : m.dir;
  const snippet = task
    ? `import { pipeline } from 'hubtune';\n\nconst pipe = await pipeline(${jsString(task)}, { model: ${jsString(where)} });\nconst out = await pipe(${/image/.test(task) ? "'path/to/image.jpg'" : jsString(examples[0] ?? '')});`
    : '';
  return { id: m.id, source: m.source, task, card, config, files, skipped, examples, maskToken, snippet, errors };
}
