// Random-access bytes from a file or a buffer: archive readers read only the parts they need
// (a multi-GB checkpoint is never held in memory whole just to find its directory).
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { basename } from 'node:path';

export interface ByteSource {
  /** Total length in bytes. */
  readonly size: number;
  /** Name used in error messages (the file name). */
  readonly label: string;
  /** `length` bytes at `offset` (the caller has checked the range against `size`). */
  read(offset: number, length: number): Uint8Array;
  close(): void;
}

export function bufferSource(buf: Uint8Array, label = 'buffer'): ByteSource {
  return {
    size: buf.byteLength,
    label,
    read: (offset, length) => buf.subarray(offset, offset + length),
    close() {},
  };
}

/** A file opened for positional reads; `close()` releases the descriptor. */
export function fileSource(path: string): ByteSource {
  const fd = openSync(path, 'r');
  let size: number;
  try {
    size = fstatSync(fd).size;
  } catch (err) {
    closeSync(fd);
    throw err;
  }
  let open = true;
  return {
    size,
    label: basename(path),
    read(offset, length) {
      // Its own ArrayBuffer at offset 0, so typed views over it are aligned.
      const out = new Uint8Array(new ArrayBuffer(length));
      let done = 0;
      while (done < length) {
        const got = readSync(fd, out, done, Math.min(length - done, 1 << 30), offset + done);
        if (got === 0) throw new Error(`${basename(path)}: file shrank while reading (${offset + done} of ${size} bytes)`);
        done += got;
      }
      return out;
    },
    close() {
      if (open) closeSync(fd);
      open = false;
    },
  };
}
