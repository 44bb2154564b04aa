import { closeSync, constants, fstatSync, openSync, readFileSync } from 'node:fs';
import { errorCode } from './errors.js';

/** Expected absence, written one way: a missing file (ENOENT) is `undefined`; any other failure is thrown. */
export function orAbsent<T>(pending: Promise<T>): Promise<T | undefined> {
  return pending.catch(absent);
}

/** `orAbsent` for a synchronous call. */
export function orAbsentSync<T>(call: () => T): T | undefined {
  try {
    return call();
  } catch (error) {
    return absent(error);
  }
}

function absent(error: unknown): undefined {
  if (errorCode(error) === 'ENOENT') return undefined;
  throw error;
}

/** The call's value, or `undefined` when it fails in any way: for what only saves work or explains a failure. */
export function orNothing<T>(call: () => T): T | undefined {
  try {
    return call();
  } catch {
    return undefined;
  }
}

/**
 * A regular file's text, read only when it is at most `maxBytes`: a FIFO or device planted there is never waited on
 * (O_NONBLOCK, then refused), and a huge file is never held. Anything else throws.
 */
export function readRegularFile(path: string, maxBytes: number): string {
  return readRegularBytes(path, maxBytes).toString('utf8');
}

/** `readRegularFile`'s bytes. */
export function readRegularBytes(path: string, maxBytes: number): Buffer {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const info = fstatSync(fd);
    if (!info.isFile() || info.size > maxBytes) throw new Error(`${path}: not a regular file of at most ${maxBytes} bytes`);
    return readFileSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Replaces `path` whole or not at all: a temp file beside it, fsync, rename. `mode` for a new file; without it an
 * existing file keeps its own.
 */
export async function replaceFile(path: string, data: string | Buffer, options: { mode?: number } = {}): Promise<void> {
  // Loaded here: the hooks use orAbsent on every turn, never this (its chunk cost a quiet turn 27% of `node -e 0`).
  const { default: writeFileAtomic } = await import('write-file-atomic');
  await writeFileAtomic(path, data, options.mode === undefined ? {} : { mode: options.mode });
}
