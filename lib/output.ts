import { writeSync } from 'node:fs';
import { errorCode } from './errors.js';

/**
 * Writes `text` whole to standard output (1) or error (2) with fs's blocking write. process.stdout is a stream
 * whose first use loads node:stream and its kin: a recall spent about 5 ms on that for one write. A reader that went
 * away (EPIPE: `| head`) gets nothing more; a pipe another process left non-blocking (EAGAIN) is waited on.
 */
export function writeOutput(fd: 1 | 2, text: string): void {
  const bytes = Buffer.from(text);
  for (let written = 0; written < bytes.length; ) {
    try {
      written += writeSync(fd, bytes, written);
    } catch (error) {
      if (errorCode(error) === 'EPIPE') return;
      if (errorCode(error) !== 'EAGAIN') throw error;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
    }
  }
}
