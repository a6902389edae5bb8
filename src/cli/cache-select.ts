// Interactive choice of cached revisions for `hubtune delete-cache` in a terminal (huggingface-cli
// shows a checkbox list): a numbered list, numbers or ranges toggle, Enter confirms.
import type { HFCacheInfo } from '../hub/index';
import { formatSize, formatTimeSince } from '../hub/scan-cache';

interface Choice {
  hash: string;
  label: string;
}

export function revisionChoices(info: HFCacheInfo): Choice[] {
  const out: Choice[] = [];
  for (const repo of [...info.repos].sort((a, b) => (a.repoPath < b.repoPath ? -1 : 1))) {
    for (const r of repo.revisions) {
      const refs = r.refs.length ? ` (${r.refs.join(', ')})` : ' (detached)';
      out.push({ hash: r.commitHash, label: `${repo.repoType}/${repo.repoId} ${r.commitHash.slice(0, 8)}${refs} ${formatSize(r.sizeOnDisk)}, modified ${formatTimeSince(r.lastModified)}` });
    }
  }
  return out;
}

/** Parses "1 3-5,7" into 0-based indices (out of range or malformed parts throw). */
export function parseSelection(text: string, n: number): number[] {
  const out: number[] = [];
  for (const part of text.split(/[\s,]+/).filter(Boolean)) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new Error(`"${part}" is not a number or a range like 3-5`);
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (a < 1 || b > n || a > b) throw new Error(`"${part}" is outside 1-${n}`);
    for (let i = a; i <= b; i++) out.push(i - 1);
  }
  return out;
}

/** Asks until the person confirms; returns the chosen commit hashes ([] when cancelled). */
export async function chooseRevisions(info: HFCacheInfo, ask: (question: string) => Promise<string>, print: (text: string) => void): Promise<string[]> {
  const choices = revisionChoices(info);
  if (!choices.length) return [];
  const chosen = new Set<number>();
  for (;;) {
    print(choices.map((c, i) => `  [${chosen.has(i) ? 'x' : ' '}] ${String(i + 1).padStart(String(choices.length).length)}  ${c.label}`).join('\n'));
    const answer = (await ask('Numbers or ranges to toggle (e.g. "1 3-5"), "a" for all, Enter when done, "q" to cancel: ')).trim().toLowerCase();
    if (answer === '') return [...chosen].sort((a, b) => a - b).map((i) => choices[i].hash);
    if (answer === 'q') return [];
    if (answer === 'a') {
      const all = chosen.size === choices.length;
      choices.forEach((_, i) => (all ? chosen.delete(i) : chosen.add(i)));
      continue;
    }
    try {
      for (const i of parseSelection(answer, choices.length)) chosen.has(i) ? chosen.delete(i) : chosen.add(i);
    } catch (err) {
      print(`  ${(err as Error).message}`);
    }
  }
}
