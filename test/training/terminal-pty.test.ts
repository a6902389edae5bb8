// The training display in a real pseudo-terminal (tmux) at 80 and 200 columns: log lines printed in
// full above the bar (joined back from the terminal's wrapping, nothing clipped), the bar within the
// width with the fields that fit, a summary line per push with the commit URL. Off a TTY: plain lines.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '../..');
const script = join(root, 'test/support/terminal-run.ts');
const tsx = import.meta.resolve('tsx');

function hasTmux(): boolean {
  try { execFileSync('tmux', ['-V'], { stdio: 'ignore' }); return true; } catch { return false; }
}
const skip = hasTmux() ? false : 'needs tmux for a pseudo-terminal (apt-get install tmux)';

/** Runs the training script in a detached tmux session `cols` wide; returns the screen (rows) and the joined text. */
async function inTmux(cols: number): Promise<{ rows: string[]; joined: string }> {
  const name = `hubtune-pty-${process.pid}-${cols}`;
  const dir = mkdtempSync(join(tmpdir(), 'hubtune-pty-'));
  const cmd = `cd ${JSON.stringify(root)} && ${JSON.stringify(process.execPath)} --import ${JSON.stringify(tsx)} ${JSON.stringify(script)} ${JSON.stringify(join(dir, 'out'))}; echo "EXIT=$?"; sleep 120`;
  const env = { ...process.env, HUBTUNE_QUIET_TRAINER: '', TERM: 'xterm-256color' };
  await run('tmux', ['-f', '/dev/null', 'new-session', '-d', '-s', name, '-x', String(cols), '-y', '60', cmd], { env });
  try {
    const deadline = Date.now() + 240_000;
    for (;;) {
      const { stdout } = await run('tmux', ['capture-pane', '-p', '-t', name]);
      if (/EXIT=\d+/.test(stdout)) break;
      if (Date.now() > deadline) throw new Error(`the run did not finish in tmux:\n${stdout}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    // the screen as it shows (the run fits in the pane's 60 rows)
    const rows = (await run('tmux', ['capture-pane', '-p', '-t', name])).stdout.split('\n');
    const joined = (await run('tmux', ['capture-pane', '-p', '-J', '-t', name])).stdout;
    return { rows, joined };
  } finally {
    await run('tmux', ['kill-session', '-t', name]).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
}

function checkScreen(s: { rows: string[]; joined: string }, cols: number): string {
  assert.match(s.joined, /EXIT=0/, s.joined);
  for (const r of s.rows) assert.ok(r.length <= cols, `row wider than ${cols}: ${r}`);
  // every log line arrives whole (wrapped by the terminal, joined back here)
  const logs = s.joined.split('\n').filter((l) => l.startsWith("{'loss'"));
  assert.equal(logs.length, 4, s.joined);
  for (const l of logs) assert.match(l, /^\{'loss': [\d.]+, 'grad_norm': [\d.e-]+, 'learning_rate': [\d.e-]+, 'epoch': [\d.]+\}$/);
  const evals = s.joined.split('\n').filter((l) => l.startsWith("{'eval_loss'"));
  assert.equal(evals.length, 2, s.joined);
  for (const l of evals) assert.match(l, /'eval_runtime': [\d.]+, 'eval_samples_per_second': [\d.]+, 'eval_steps_per_second': [\d.]+, 'epoch': [\d.]+\}$/);
  assert.match(s.joined, /\{'train_runtime': .*'train_loss': [\d.]+, 'epoch': [\d.]+\}/);
  // a summary per push, with the commit URL
  const pushes = s.joined.split('\n').filter((l) => l.startsWith('Pushed '));
  assert.ok(pushes.length >= 2, s.joined);
  for (const p of pushes) assert.match(p, /^Pushed .* to writer\/tiny-terminal: http:\/\/127\.0\.0\.1:\d+\/writer\/tiny-terminal\/commit\/[0-9a-f]{40}$/);
  // the final training bar: complete, within the width
  const bar = s.rows.filter((r) => /^100%\|█+\| 40\/40/.test(r));
  assert.equal(bar.length, 1, s.rows.join('\n'));
  assert.ok(!s.joined.includes('eval '), 'the evaluation bar is gone once evaluation ends');
  return bar[0]!;
}

test('in tmux at 80 columns: full log lines, the bar fitted to 79 columns, push summaries', { skip }, async () => {
  const s = await inTmux(80);
  const bar = checkScreen(s, 80);
  assert.ok(bar.length <= 79, bar);
  assert.match(bar, /^100%\|█{10,}\| 40\/40 \[\d\d:\d\d<00:00, [\d.]+(it\/s|s\/it)\] \| loss [\d.]+/);
  console.log(`80-column screen:\n${s.rows.filter((r, i, a) => r.trim() || a.slice(i).some((x) => x.trim())).join('\n')}`);
});

test('in tmux at 200 columns: every field of the bar shows', { skip }, async () => {
  const s = await inTmux(200);
  const bar = checkScreen(s, 200);
  assert.match(bar, /^100%\|█{40}\| 40\/40 \[\d\d:\d\d<00:00, [\d.]+(it\/s|s\/it)\] \| loss [\d.]+ \| lr [\d.e-]+ \| epoch [\d.]+\/\d+$/);
});

test('off a TTY: plain lines only (no escape sequences), push summaries included', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hubtune-pty-'));
  try {
    const { stdout } = await run(process.execPath, ['--import', tsx, script, join(dir, 'out')], { cwd: root, env: { ...process.env, HUBTUNE_QUIET_TRAINER: '' }, maxBuffer: 1 << 24 });
    assert.ok(!stdout.includes('\x1b'), 'no escape sequences');
    assert.equal(stdout.split('\n').filter((l) => l.startsWith("{'loss'")).length, 4);
    assert.ok(stdout.split('\n').some((l) => /^Pushed .* to writer\/tiny-terminal: http:\/\/.*\/commit\/[0-9a-f]{40}$/.test(l)), stdout);
    assert.match(stdout, /run finished\n$/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
