// `hubtune scan-cache` and `hubtune delete-cache`, like huggingface-cli: what the Hub cache holds,
// and deleting revisions (chosen interactively in a terminal, by flags otherwise).
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { deleteRevisions, executeDeleteStrategy, formatSize, formatTimeSince, scanCacheDir, type HFCacheInfo } from '../../hub/scan-cache';
import { chooseRevisions } from '../cache-select';
import { formatTable, toJson } from '../table';

const collect = (v: string, prev: string[] = []) => [...prev, v];

function scanTable(info: HFCacheInfo, verbose: boolean): string {
  const repos = [...info.repos].sort((a, b) => (a.repoPath < b.repoPath ? -1 : 1));
  if (!verbose) {
    return formatTable(
      ['REPO ID', 'REPO TYPE', 'SIZE ON DISK', 'NB FILES', 'LAST_ACCESSED', 'LAST_MODIFIED', 'REFS', 'LOCAL PATH'],
      repos.map((r) => [r.repoId, r.repoType, formatSize(r.sizeOnDisk).padStart(12), r.nbFiles, formatTimeSince(r.lastAccessed), formatTimeSince(r.lastModified), r.refs.join(', '), r.repoPath]),
    );
  }
  return formatTable(
    ['REPO ID', 'REPO TYPE', 'REVISION', 'SIZE ON DISK', 'NB FILES', 'LAST_MODIFIED', 'REFS', 'LOCAL PATH'],
    repos.flatMap((r) => r.revisions.map((v) => [r.repoId, r.repoType, v.commitHash, formatSize(v.sizeOnDisk).padStart(12), v.files.length, formatTimeSince(v.lastModified), v.refs.join(', '), v.snapshotPath])),
  );
}

function jsonOf(info: HFCacheInfo): unknown {
  return {
    cacheDir: info.cacheDir,
    sizeOnDisk: info.sizeOnDisk,
    warnings: info.warnings,
    incompleteFiles: info.incompleteFiles,
    repos: info.repos.map((r) => ({
      repoId: r.repoId, repoType: r.repoType, repoPath: r.repoPath, sizeOnDisk: r.sizeOnDisk, nbFiles: r.nbFiles,
      lastAccessed: new Date(r.lastAccessed * 1000), lastModified: new Date(r.lastModified * 1000), refs: r.refs,
      revisions: r.revisions.map((v) => ({ commitHash: v.commitHash, refs: v.refs, sizeOnDisk: v.sizeOnDisk, nbFiles: v.files.length, lastModified: new Date(v.lastModified * 1000), snapshotPath: v.snapshotPath })),
    })),
  };
}

/** Commit hashes for `--repo` ids (`id`, or `model/id` / `dataset/id`) and `--revision` hashes (full or a unique prefix). */
function selected(info: HFCacheInfo, repos: string[], revisions: string[]): string[] {
  const out = new Set<string>();
  for (const want of repos) {
    const m = /^(model|dataset|space)s?\/(.+)$/.exec(want);
    const hits = info.repos.filter((r) => (m ? r.repoType === m[1] && r.repoId === m[2] : r.repoId === want));
    if (!hits.length) throw new Error(`${want} is not in the cache ${info.cacheDir}: see \`hubtune scan-cache\``);
    if (hits.length > 1) throw new Error(`${want} is cached as a model and as a dataset: write model/${want} or dataset/${want}`);
    for (const r of hits[0].revisions) out.add(r.commitHash);
  }
  const all = info.repos.flatMap((r) => r.revisions.map((v) => v.commitHash));
  for (const want of revisions) {
    const hits = all.filter((h) => h.startsWith(want.toLowerCase()));
    if (hits.length !== 1) throw new Error(`revision ${want} ${hits.length ? 'is ambiguous' : 'is not in the cache'}: see \`hubtune scan-cache -v\``);
    out.add(hits[0]);
  }
  return [...out];
}

export function register(program: Command): void {
  program
    .command('scan-cache')
    .description('show what the Hub cache holds: repos, sizes, refs (-v: one row per revision)')
    .option('--dir <folder>', 'cache folder (default $HF_HUB_CACHE or $HF_HOME/hub)')
    .option('-v, --verbose', 'one row per revision')
    .option('--json', 'print JSON for scripts')
    .addHelpText('after', '\nExamples:\n  $ hubtune scan-cache\n  $ hubtune scan-cache -v --json')
    .action((o: { dir?: string; verbose?: boolean; json?: boolean }) => {
      const t0 = Date.now();
      const info = scanCacheDir(o.dir);
      if (o.json) {
        console.log(toJson(jsonOf(info)));
        return;
      }
      console.log(scanTable(info, !!o.verbose));
      console.log(`\nDone in ${((Date.now() - t0) / 1000).toFixed(1)}s. Scanned ${info.repos.length} repo(s) for a total of ${formatSize(info.sizeOnDisk)}.`);
      if (info.incompleteFiles.length) console.log(`Found ${info.incompleteFiles.length} partial download(s) (*.incomplete), ${formatSize(info.incompleteFiles.reduce((a, f) => a + f.sizeOnDisk, 0))}.`);
      if (info.warnings.length) {
        console.log(`Got ${info.warnings.length} warning(s) while scanning.`);
        for (const w of info.warnings) console.log(`  ${w}`);
      }
    });

  program
    .command('delete-cache')
    .description('delete cached revisions: chosen from a list in a terminal, or named with --repo/--revision')
    .option('--dir <folder>', 'cache folder (default $HF_HUB_CACHE or $HF_HOME/hub)')
    .option('--repo <id>', 'every revision of this repo (repeatable; "model/id" or "dataset/id" when both exist)', collect)
    .option('--revision <hash>', 'this revision, a commit hash or a unique prefix (repeatable)', collect)
    .option('-y, --yes', 'do not ask for confirmation')
    .option('--dry-run', 'say what would be deleted, delete nothing')
    .option('--json', 'print JSON for scripts')
    .addHelpText('after', '\nExamples:\n  $ hubtune delete-cache                        # choose in the terminal\n  $ hubtune delete-cache --repo distilroberta-base --yes\n  $ hubtune delete-cache --revision 714eb0f --dry-run')
    .action(async (o: { dir?: string; repo?: string[]; revision?: string[]; yes?: boolean; dryRun?: boolean; json?: boolean }) => {
      const info = scanCacheDir(o.dir);
      const tty = !!process.stdin.isTTY && !!process.stdout.isTTY;
      let hashes: string[];
      const rl = tty ? createInterface({ input: process.stdin, output: process.stdout }) : undefined;
      try {
        if (o.repo || o.revision) hashes = selected(info, o.repo ?? [], o.revision ?? []);
        else if (rl) hashes = await chooseRevisions(info, (q) => rl.question(q), (t) => console.log(t));
        else throw new Error('nothing selected: pass --repo <id> or --revision <hash> (see `hubtune scan-cache -v`), or run in a terminal to choose');
        if (!hashes.length) {
          console.log('Nothing selected: nothing deleted.');
          return;
        }
        const strategy = deleteRevisions(info, hashes);
        const summary = `${hashes.length} revision(s)${strategy.repos.length ? ` (${strategy.repos.length} repo(s) entirely)` : ''}, freeing ${formatSize(strategy.expectedFreedSize)}`;
        if (o.dryRun) {
          if (o.json) console.log(toJson({ dryRun: true, revisions: hashes, ...strategy }));
          else console.log(`Would delete ${summary}.`);
          return;
        }
        if (!o.yes) {
          if (!rl) throw new Error(`would delete ${summary}: add --yes to delete without a terminal`);
          const ok = (await rl.question(`Delete ${summary}? (y/N) `)).trim().toLowerCase();
          if (ok !== 'y' && ok !== 'yes') {
            console.log('Deletion cancelled.');
            return;
          }
        }
        executeDeleteStrategy(info, strategy);
        if (o.json) console.log(toJson({ deleted: hashes, freed: strategy.expectedFreedSize, repos: strategy.repos, snapshots: strategy.snapshots }));
        else console.log(`Done. Deleted ${summary}.`);
      } finally {
        rl?.close();
      }
    });
}
