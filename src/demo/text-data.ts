// Demo text data: an English-like corpus for masked-LM pretraining, an MRPC-like paraphrase task,
// and a byte-level BPE vocabulary (RoBERTa layout) trained on the corpus.
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createRng, mixSeed, hashString, type Rng } from './rng';
import {
  ADJECTIVES, ADVERBS, FILLERS, INTRANSITIVE, NAMES, NUMBER_WORDS, PERSON_VERBS, PLACES, ROLES, THINGS, THING_VERBS,
  TIMES as TIMES_FOR_FRAMES,
  type Verb,
} from './lexicon';

export { buildVocabFiles, trainByteLevelBPE, bpeEncodeWord, bpeTokenize, bytesToUnicode, GPT2_PRETOKENIZE, type BuildVocabParams, type BpeModel } from './bpe';

// ---- meaning frames ---------------------------------------------------------------------------

type Person = { kind: 'name'; i: number } | { kind: 'role'; g: number; s: number };
interface ThingNP { g: number; s: number; adj: { g: number; s: number } | null; qty: number | null }
type Syn = { g: number; s: number };

/** One event: who did what to whom/what, where and when. Synonym indices (s) do not change meaning. */
export interface Frame {
  subj: Person;
  verbKind: 'thing' | 'person';
  verb: Syn;
  negated: boolean;
  objPerson: Person | null;
  objThing: ThingNP | null;
  place: Syn | null;
  time: Syn | null;
}

/** How a frame is worded. */
export interface Style {
  voice: 'active' | 'passive';
  timeFront: boolean;
  placeFront: boolean;
  filler: number | null;
  digits: boolean;
  contraction: boolean;
}

const pickSyn = (rng: Rng, groups: readonly unknown[][]): Syn => {
  const g = rng.int(0, groups.length - 1);
  return { g, s: rng.int(0, groups[g].length - 1) };
};
const randomPerson = (rng: Rng): Person =>
  rng.chance(0.55) ? { kind: 'name', i: rng.int(0, NAMES.length - 1) } : { kind: 'role', ...pickSyn(rng, ROLES) };
const samePerson = (a: Person, b: Person): boolean =>
  a.kind === 'name' ? b.kind === 'name' && a.i === b.i : b.kind === 'role' && a.g === b.g;

export function randomFrame(rng: Rng): Frame {
  const verbKind = rng.chance(0.5) ? 'thing' : 'person';
  const subj = randomPerson(rng);
  let objPerson: Person | null = null;
  if (verbKind === 'person') {
    do objPerson = randomPerson(rng); while (samePerson(objPerson, subj));
  }
  return {
    subj,
    verbKind,
    verb: pickSyn(rng, verbKind === 'thing' ? THING_VERBS : PERSON_VERBS),
    negated: rng.chance(0.12),
    objPerson,
    objThing: verbKind === 'thing'
      ? { ...pickSyn(rng, THINGS), adj: rng.chance(0.6) ? pickSyn(rng, ADJECTIVES) : null, qty: rng.chance(0.5) ? rng.int(2, 12) : null }
      : null,
    place: rng.chance(0.7) ? pickSyn(rng, PLACES) : null,
    time: rng.chance(0.7) ? pickSyn(rng, TIMES_FOR_FRAMES) : null,
  };
}

export function randomStyle(rng: Rng): Style {
  return {
    voice: rng.chance(0.7) ? 'active' : 'passive',
    timeFront: rng.chance(0.3),
    placeFront: rng.chance(0.12),
    filler: rng.chance(0.25) ? rng.int(0, FILLERS.length - 1) : null,
    digits: rng.chance(0.5),
    contraction: rng.chance(0.3),
  };
}

const personText = (p: Person): string => (p.kind === 'name' ? NAMES[p.i] : ROLES[p.g][p.s % ROLES[p.g].length]);
const numberText = (q: number, digits: boolean): string => (digits || q >= NUMBER_WORDS.length ? String(q) : NUMBER_WORDS[q]);

function thingText(t: ThingNP, digits: boolean): { text: string; plural: boolean } {
  const noun = THINGS[t.g][t.s % THINGS[t.g].length];
  const adj = t.adj ? ADJECTIVES[t.adj.g][t.adj.s % ADJECTIVES[t.adj.g].length] + ' ' : '';
  if (t.qty === null) return { text: `the ${adj}${noun.sg}`, plural: false };
  return { text: `${numberText(t.qty, digits)} ${adj}${noun.pl}`, plural: true };
}

const capitalise = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

/** Words a frame into an English sentence. */
export function realise(f: Frame, st: Style): string {
  const verbs = f.verbKind === 'thing' ? THING_VERBS : PERSON_VERBS;
  const verb: Verb = verbs[f.verb.g][f.verb.s % verbs[f.verb.g].length];
  const subj = personText(f.subj);
  const obj = f.objThing ? thingText(f.objThing, st.digits) : { text: personText(f.objPerson!), plural: false };
  let clause: string;
  if (st.voice === 'active') {
    const vp = f.negated ? `${st.contraction ? "didn't" : 'did not'} ${verb.base}` : verb.past;
    clause = `${subj} ${vp} ${obj.text}`;
  } else {
    const be = obj.plural ? 'were' : 'was';
    const aux = f.negated ? (st.contraction ? `${be}n't` : `${be} not`) : be;
    clause = `${obj.text} ${aux} ${verb.pp} by ${subj}`;
  }
  const place = f.place ? PLACES[f.place.g][f.place.s % PLACES[f.place.g].length] : null;
  const time = f.time ? TIMES_FOR_FRAMES[f.time.g][f.time.s % TIMES_FOR_FRAMES[f.time.g].length] : null;
  const front: string[] = [];
  const back: string[] = [];
  if (place) (st.placeFront ? front : back).push(place);
  if (time) (st.timeFront && !st.placeFront ? front : back).push(time);
  let s = front.length ? `${front.join(' ')}, ${clause}` : clause;
  if (back.length) s += ` ${back.join(' ')}`;
  if (st.filler !== null) {
    s = `${FILLERS[st.filler]} ${s}`;
  }
  return capitalise(s) + '.';
}

// ---- paraphrase rewrites (meaning kept) and near misses (meaning changed) ----------------------

function resynonym(rng: Rng, f: Frame): Frame {
  const g = structuredClone(f);
  const bump = (syn: Syn | null, groups: readonly unknown[][]) => {
    if (syn && groups[syn.g].length > 1) syn.s = (syn.s + rng.int(1, groups[syn.g].length - 1)) % groups[syn.g].length;
  };
  const which = rng.int(0, 4);
  if (which === 0) bump(g.verb, g.verbKind === 'thing' ? THING_VERBS : PERSON_VERBS);
  else if (which === 1 && g.objThing) { bump(g.objThing, THINGS); bump(g.objThing.adj, ADJECTIVES); }
  else if (which === 2) bump(g.place, PLACES);
  else if (which === 3) bump(g.time, TIMES_FOR_FRAMES);
  else if (g.subj.kind === 'role') bump(g.subj, ROLES);
  return g;
}

/** A different wording of the same frame: 1-4 meaning-preserving edits. */
function paraphrase(rng: Rng, f: Frame, st: Style): { frame: Frame; style: Style } {
  let frame = f;
  const style = { ...st };
  const ops = rng.int(1, 4);
  for (let k = 0; k < ops; k++) {
    switch (rng.int(0, 6)) {
      case 0: style.voice = style.voice === 'active' ? 'passive' : 'active'; break;
      case 1: style.timeFront = !style.timeFront; break;
      case 2: style.placeFront = !style.placeFront; break;
      case 3: style.filler = style.filler === null ? rng.int(0, FILLERS.length - 1) : null; break;
      case 4: style.digits = !style.digits; style.contraction = !style.contraction; break;
      default: frame = resynonym(rng, frame);
    }
  }
  return { frame, style };
}

export type NearMissKind = 'number' | 'swap' | 'entity' | 'negation' | 'time' | 'verb' | 'place';

/** A frame that differs in meaning from f in one detail. */
function nearMiss(rng: Rng, f: Frame): { frame: Frame; kind: NearMissKind } {
  const g = structuredClone(f);
  const kinds: NearMissKind[] = ['entity', 'negation', 'verb'];
  if (g.objThing) kinds.push('number', 'number');
  if (g.objPerson) kinds.push('swap', 'swap');
  if (g.time) kinds.push('time', 'time');
  if (g.place) kinds.push('place');
  const kind = rng.pick(kinds);
  switch (kind) {
    case 'number': {
      const t = g.objThing!;
      if (t.qty === null) t.qty = rng.int(2, 12);
      else { let q = t.qty; while (q === t.qty) q = rng.chance(0.5) ? rng.int(2, 12) : t.qty + rng.pick([-2, -1, 1, 2, 10]); t.qty = Math.max(2, q); if (t.qty === f.objThing!.qty) t.qty += 1; }
      break;
    }
    case 'swap': { const s = g.subj; g.subj = g.objPerson!; g.objPerson = s; break; }
    case 'entity': {
      if (g.objThing && rng.chance(0.5)) { let k = g.objThing.g; while (k === g.objThing.g) k = rng.int(0, THINGS.length - 1); g.objThing.g = k; g.objThing.s = 0; }
      else { let p = g.subj; while (samePerson(p, f.subj) || (g.objPerson && samePerson(p, g.objPerson))) p = randomPerson(rng); g.subj = p; }
      break;
    }
    case 'negation': g.negated = !g.negated; break;
    case 'time': { let k = g.time!.g; while (k === g.time!.g) k = rng.int(0, TIMES_FOR_FRAMES.length - 1); g.time = { g: k, s: 0 }; break; }
    case 'place': { let k = g.place!.g; while (k === g.place!.g) k = rng.int(0, PLACES.length - 1); g.place = { g: k, s: 0 }; break; }
    case 'verb': {
      const groups = g.verbKind === 'thing' ? THING_VERBS : PERSON_VERBS;
      let k = g.verb.g; while (k === g.verb.g) k = rng.int(0, groups.length - 1); g.verb = { g: k, s: 0 };
      break;
    }
  }
  return { frame: g, kind };
}

export interface ParaphrasePair { sentence1: string; sentence2: string; label: 0 | 1; idx: number }

/**
 * One MRPC-like pair. Positives are rewrites (voice, clause order, synonyms, fillers, number format);
 * negatives are near misses (number, swapped roles, entity, negation, time, place, verb) that often keep
 * most words, with a rewrite on top half the time, so word overlap alone does not decide the label.
 */
export function makeParaphrasePair(rng: Rng, idx: number, positiveRate = 0.68): ParaphrasePair & { kind: NearMissKind | 'paraphrase' } {
  const f = randomFrame(rng);
  const st = randomStyle(rng);
  const s1 = realise(f, st);
  const positive = rng.chance(positiveRate); // decided once, so retries do not bias the rate
  for (let attempt = 0; attempt < 50; attempt++) {
    if (positive) {
      const p = paraphrase(rng, f, st);
      const s2 = realise(p.frame, p.style);
      if (s2 !== s1) return { sentence1: s1, sentence2: s2, label: 1, idx, kind: 'paraphrase' };
    } else {
      const nm = nearMiss(rng, f);
      const w = rng.chance(0.5) ? paraphrase(rng, nm.frame, st) : { frame: nm.frame, style: st };
      const s2 = realise(w.frame, w.style);
      if (s2 !== s1) return { sentence1: s1, sentence2: s2, label: 0, idx, kind: nm.kind };
    }
  }
  throw new Error('makeParaphrasePair: could not build a distinct pair (report this as a bug)');
}

// ---- corpus -----------------------------------------------------------------------------------

function extraSentence(rng: Rng): string {
  const who = () => personText(randomPerson(rng));
  const thing = () => thingText({ ...pickSyn(rng, THINGS), adj: rng.chance(0.5) ? pickSyn(rng, ADJECTIVES) : null, qty: rng.chance(0.4) ? rng.int(2, 12) : null }, rng.chance(0.5)).text;
  const place = () => rng.pick(rng.pick(PLACES));
  const time = () => rng.pick(rng.pick(TIMES_FOR_FRAMES));
  const adj = () => rng.pick(rng.pick(ADJECTIVES));
  const iv = () => rng.pick(INTRANSITIVE);
  const tv = () => rng.pick(rng.pick(THING_VERBS));
  const pv = () => rng.pick(rng.pick(PERSON_VERBS));
  const noun = () => rng.pick(rng.pick(THINGS));
  let s: string;
  switch (rng.int(0, 11)) {
    case 0: s = `${who()} ${iv().past} ${rng.pick(ADVERBS)} ${place()} ${time()}`; break;
    case 1: { const q = rng.int(2, 12); s = `there were ${numberText(q, rng.chance(0.5))} ${adj()} ${noun().pl} ${place()}`; break; }
    case 2: s = `the ${noun().sg} ${place()} was ${adj()}`; break;
    case 3: s = `${who()} said that ${who()} had ${tv().pp} ${thing()}`; break;
    case 4: return capitalise(`did ${who()} ${tv().base} ${thing()} ${time()}?`);
    case 5: s = `${who()} ${tv().past} ${thing()} and then ${tv().past} ${thing()}`; break;
    case 6: s = `because ${who()} ${iv().past} ${rng.pick(ADVERBS)}, ${who()} ${pv().past} ${who()}`; break;
    case 7: s = `${who()} ${tv().s} ${thing()} every ${rng.pick(['day', 'week', 'morning', 'evening', 'month'])}`; break;
    case 8: s = `${who()} wants to ${tv().base} ${thing()} ${place()}`; break;
    case 9: s = `${who()} and ${who()} ${iv().past} ${place()}`; break;
    case 10: s = `${who()} will ${pv().base} ${who()} ${rng.pick(['tomorrow', 'next week', 'next month', 'soon', 'later'])}`; break;
    default: s = `${who()} did not ${iv().base} ${time()} because the ${noun().sg} was ${adj()}`;
  }
  return capitalise(s.replace(/\s+/g, ' ').trim()) + '.';
}

/** One corpus sentence: a template frame in a random style (60%) or one of the extra forms. */
function corpusSentence(rng: Rng): string {
  return rng.chance(0.6) ? realise(randomFrame(rng), randomStyle(rng)) : extraSentence(rng);
}

/**
 * A small English-like corpus (one sentence per entry) from templates over a few hundred words:
 * people, roles, transitive and intransitive verbs in several tenses, things, adjectives, numbers,
 * places and times. Deterministic for a seed.
 */
export function generateCorpus(params: { seed?: number; numSentences: number }): string[] {
  const { numSentences } = params;
  if (!Number.isInteger(numSentences) || numSentences < 0) throw new Error(`generateCorpus: numSentences must be a non-negative integer (got ${numSentences})`);
  const rng = createRng(mixSeed(params.seed ?? 0, hashString('corpus')));
  const out: string[] = [];
  for (let i = 0; i < numSentences; i++) out.push(corpusSentence(rng));
  return out;
}

/**
 * Sentence pairs for masked-LM pretraining in the paraphrase task's input format: rewordings of one
 * event (paraphraseRate), one-detail variants (nearMissRate) and unrelated corpus sentences (the rest),
 * in random order. A masked word in one sentence is then often readable from the other, so the model
 * learns to align the two sentences; no label is kept. Deterministic for a seed; its random stream is
 * separate from generateParaphraseDataset's.
 */
export function generatePairCorpus(params: { seed?: number; numPairs: number; paraphraseRate?: number; nearMissRate?: number }): [string, string][] {
  const { numPairs } = params;
  const para = params.paraphraseRate ?? 0.4, near = params.nearMissRate ?? 0.3;
  if (!Number.isInteger(numPairs) || numPairs < 0) throw new Error(`generatePairCorpus: numPairs must be a non-negative integer (got ${numPairs})`);
  if (!(para >= 0 && near >= 0 && para + near <= 1)) throw new Error(`generatePairCorpus: paraphraseRate and nearMissRate must be >= 0 with a sum <= 1 (got ${para}, ${near})`);
  const rng = createRng(mixSeed(params.seed ?? 0, hashString('pair-corpus')));
  const out: [string, string][] = [];
  for (let i = 0; i < numPairs; i++) {
    const u = rng.next();
    let a: string, b: string;
    if (u < para + near) { const p = makeParaphrasePair(rng, i, u < para ? 1 : 0); a = p.sentence1; b = p.sentence2; }
    else { a = corpusSentence(rng); b = corpusSentence(rng); }
    out.push(rng.chance(0.5) ? [a, b] : [b, a]);
  }
  return out;
}

// ---- writers ----------------------------------------------------------------------------------

async function writeAtomic(path: string, data: string): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, data);
  await rename(tmp, path);
}

const csvCell = (s: string | number): string => (typeof s === 'number' || !/[",\n\r]/.test(s) ? String(s) : `"${s.replace(/"/g, '""')}"`);

export interface GenerateParaphraseParams {
  outDir: string;
  seed?: number;
  counts: Partial<Record<'train' | 'validation' | 'test', number>> & Record<string, number>;
  /** 'jsonl' (default): {sentence1, sentence2, label, idx} per line; 'csv': header sentence1,sentence2,label,idx. */
  format?: 'jsonl' | 'csv';
  /** Fraction of paraphrases (default 0.68, like MRPC). */
  positiveRate?: number;
}

/**
 * Writes an MRPC-like paraphrase dataset: outDir/{split}.jsonl (or .csv) with sentence1, sentence2,
 * label (1 = paraphrase, 0 = not) and idx, and outDir/dataset_info.json with the features.
 * Sentences never repeat across splits.
 */
export async function generateParaphraseDataset(params: GenerateParaphraseParams): Promise<{ dir: string; files: Record<string, string>; counts: Record<string, number>; positives: Record<string, number> }> {
  const { outDir, counts } = params;
  const format = params.format ?? 'jsonl';
  const rate = params.positiveRate ?? 0.68;
  if (!(rate >= 0 && rate <= 1)) throw new Error(`generateParaphraseDataset: positiveRate must be in [0, 1] (got ${rate})`);
  await mkdir(outDir, { recursive: true });
  const seen = new Set<string>();
  const files: Record<string, string> = {};
  const positives: Record<string, number> = {};
  const rng = createRng(mixSeed(params.seed ?? 0, hashString('mrpc')));
  for (const [split, count] of Object.entries(counts)) {
    if (!Number.isInteger(count) || count < 0) throw new Error(`generateParaphraseDataset: counts.${split} must be a non-negative integer (got ${count})`);
    const rows: ParaphrasePair[] = [];
    while (rows.length < count) {
      const p = makeParaphrasePair(rng, rows.length, rate);
      if (seen.has(p.sentence1)) continue; // no sentence shared between pairs or splits
      seen.add(p.sentence1);
      rows.push({ sentence1: p.sentence1, sentence2: p.sentence2, label: p.label, idx: p.idx });
    }
    positives[split] = rows.filter((r) => r.label === 1).length;
    const file = join(outDir, `${split}.${format}`);
    const text = format === 'jsonl'
      ? rows.map((r) => JSON.stringify(r)).join('\n') + (rows.length ? '\n' : '')
      : ['sentence1,sentence2,label,idx', ...rows.map((r) => [r.sentence1, r.sentence2, r.label, r.idx].map(csvCell).join(','))].join('\n') + '\n';
    await writeAtomic(file, text);
    files[split] = file;
  }
  const info = {
    description: 'Synthetic MRPC-like paraphrase pairs generated by hubtune demo (GLUE MRPC layout).',
    features: {
      sentence1: { dtype: 'string', _type: 'Value' },
      sentence2: { dtype: 'string', _type: 'Value' },
      label: { names: ['not_equivalent', 'equivalent'], _type: 'ClassLabel' },
      idx: { dtype: 'int32', _type: 'Value' },
    },
    splits: Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, { name: k, num_examples: v }])),
  };
  await writeAtomic(join(outDir, 'dataset_info.json'), JSON.stringify(info, null, 2) + '\n');
  return { dir: outDir, files, counts: { ...counts }, positives };
}
