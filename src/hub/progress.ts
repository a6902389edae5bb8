// One progress display per download call: a cli-progress bar on stderr when it is a TTY,
// nothing otherwise (or with HF_HUB_DISABLE_PROGRESS_BARS).
import cliProgress from 'cli-progress';
import { progressBarsDisabled } from './env';

export interface Progress {
  /** Adds downloaded bytes. */
  add(bytes: number): void;
  /** Marks one file done. */
  fileDone(): void;
  stop(): void;
}

const QUIET: Progress = { add() {}, fileDone() {}, stop() {} };

function formatBytes(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) {
    n /= 1000;
    i++;
  }
  return `${n.toFixed(i === 0 ? 0 : 1)}${units[i]}`;
}

export function createProgress(label: string, totalBytes: number, totalFiles: number): Progress {
  if (!process.stderr.isTTY || progressBarsDisabled() || totalFiles === 0) return QUIET;
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: `${label} |{bar}| {percentage}% {done}/{total_h} {files}`,
      hideCursor: true,
      clearOnComplete: false,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  let files = 0;
  let bytes = 0;
  const payload = () => ({ done: formatBytes(bytes), total_h: formatBytes(totalBytes), files: `(${files}/${totalFiles} files)` });
  bar.start(Math.max(totalBytes, 1), 0, payload());
  return {
    add(n) {
      bytes += n;
      bar.update(Math.min(bytes, Math.max(totalBytes, 1)), payload());
    },
    fileDone() {
      files++;
      bar.update(Math.min(bytes, Math.max(totalBytes, 1)), payload());
    },
    stop() {
      bar.stop();
    },
  };
}
