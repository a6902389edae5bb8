// How `hubtune predict` prints each task's result for a person (the --json form is the pipeline's own output).
import type { FillMaskCandidate, LabelScore } from '../pipelines/index';

type Print = (line: string) => void;

const labelScores = (rs: LabelScore[], print: Print) => {
  const width = Math.max(0, ...rs.map((x) => x.label.length));
  for (const x of rs) print(`  ${x.label.padEnd(width)}  ${x.score.toFixed(4)}`);
};

const shape = (v: unknown): number[] => (Array.isArray(v) ? [v.length, ...shape(v[0])] : []);

/** Prints one input's result of `task` (a canonical task name) under its input line. */
export function printResult(task: string, r: unknown, print: Print, o: { pooling?: string } = {}): void {
  switch (task) {
    case 'feature-extraction': {
      if (o.pooling === 'none') { print(`  token vectors: [${shape(r).join(', ')}]`); return; }
      const v = r as number[];
      print(`  ${o.pooling ?? 'mean'}-pooled vector (${v.length} values): [${v.slice(0, 6).map((x) => x.toFixed(4)).join(', ')}, ...]`);
      return;
    }
    case 'image-feature-extraction':
      print(`  features: [${shape(r).join(', ')}]`);
      return;
    case 'fill-mask': {
      const perMask = Array.isArray((r as unknown[])[0]) ? r as FillMaskCandidate[][] : [r as FillMaskCandidate[]];
      perMask.forEach((cands, m) => {
        if (perMask.length > 1) print(`  mask ${m + 1}:`);
        for (const c of cands) print(`  ${c.score.toFixed(4)}  ${JSON.stringify(c.token_str)}  ${c.sequence}`);
      });
      return;
    }
    case 'token-classification': {
      const ents = r as { entity_group?: string; entity?: string; score: number; word: string; start: number; end: number }[];
      if (!ents.length) { print('  (no entities)'); return; }
      const width = Math.max(...ents.map((e) => (e.entity_group ?? e.entity ?? '').length));
      for (const e of ents) print(`  ${(e.entity_group ?? e.entity ?? '').padEnd(width)}  ${e.score.toFixed(4)}  ${JSON.stringify(e.word)} [${e.start}:${e.end}]`);
      return;
    }
    case 'question-answering':
      for (const a of (Array.isArray(r) ? r : [r]) as { answer: string; score: number; start: number; end: number }[]) {
        print(`  ${a.score.toFixed(4)}  ${JSON.stringify(a.answer)} [${a.start}:${a.end}]`);
      }
      return;
    case 'zero-shot-classification': {
      const z = r as { labels: string[]; scores: number[] };
      labelScores(z.labels.map((label, i) => ({ label, score: z.scores[i]! })), print);
      return;
    }
    case 'text-generation': case 'text2text-generation': case 'summarization': case 'translation': {
      for (const g of r as Record<string, unknown>[]) {
        const text = g.generated_text ?? g.summary_text ?? g.translation_text;
        print(`  ${typeof text === 'string' ? text : JSON.stringify(text)}`);
      }
      return;
    }
    default:
      labelScores(r as LabelScore[], print);
  }
}
