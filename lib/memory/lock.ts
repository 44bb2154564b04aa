import { constants } from 'node:fs';
import { join } from 'node:path';
import { errorCode } from '../errors.js';
import { makeStoreFolder, openStoreFile } from './store-file.js';

export interface LockOptions {
  /** Give up after this long; a hook must never hang Claude Code. */
  timeoutMs: number;
}

export class LockTimeoutError extends Error {
  override name = 'LockTimeoutError';
}

/**
 * Runs `critical` holding an exclusive kernel lock (Linux OFD fcntl, macOS flock) on `lockPath`.
 * The kernel frees the lock when its holder dies, so a SIGKILLed writer never leaves a stale lock
 * behind and there is no staleness clock to get wrong.
 */
export async function withLock<T>(lockPath: string, options: LockOptions, critical: () => Promise<T>): Promise<T> {
  // Loaded here, not at start-up: a native addon that cannot load (no build for this platform) is then an error
  // a hook reports in its log and survives, instead of a crash before it can say anything.
  const { tryLock } = await import('fs-native-extensions');
  const handle = await openStoreFile(lockPath, constants.O_RDWR | constants.O_CREAT, 'lock');
  try {
    const deadline = Date.now() + options.timeoutMs;
    let pause = 2;
    while (!tryLock(handle.fd)) {
      if (Date.now() >= deadline) {
        throw new LockTimeoutError(`another log-session process held ${lockPath} for over ${options.timeoutMs} ms`);
      }
      await new Promise((done) => setTimeout(done, pause + Math.random() * pause));
      pause = Math.min(pause * 2, 50);
    }
    return await critical();
  } finally {
    // Closing the descriptor releases the lock.
    await handle.close().catch((error: unknown) => {
      if (errorCode(error) !== 'EBADF') throw error;
    });
  }
}

export const LOCK_TIMEOUT_MS = 30_000;

/** Runs a read-modify-write of one project's memory under its cross-process lock. */
export async function withProjectLock<T>(projectDir: string, critical: () => Promise<T>): Promise<T> {
  await makeStoreFolder(projectDir);
  return withLock(join(projectDir, '.lock'), { timeoutMs: LOCK_TIMEOUT_MS }, critical);
}
