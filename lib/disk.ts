import { errorCode } from './errors.js';

/** Expected absence, written one way: a missing file (ENOENT) is `undefined`; any other failure is thrown. */
export async function orAbsent<T>(pending: Promise<T>): Promise<T | undefined> {
  try {
    return await pending;
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw error;
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
