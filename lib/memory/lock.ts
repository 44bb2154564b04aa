import { closeSync, constants, ftruncateSync, readSync, writeSync } from 'node:fs';
import { basename, join } from 'node:path';
import { errorCode } from '../errors.js';
import { orNothing } from '../disk.js';
import { isRecord, parseJson } from '../json.js';
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
 * behind and there is no staleness clock to get wrong. The holder notes itself in the lock file, so a
 * waiter that gives up can say who held it.
 */
export async function withLock<T>(lockPath: string, options: LockOptions, critical: () => Promise<T>): Promise<T> {
  // Loaded here, not at start-up: a native addon that cannot load (no build for this platform) is then an error
  // a hook reports in its log and survives, instead of a crash before it can say anything.
  const { tryLock } = await import('fs-native-extensions');
  const fd = openStoreFile(lockPath, constants.O_RDWR | constants.O_CREAT, 'lock');
  try {
    const deadline = Date.now() + options.timeoutMs;
    let pause = 2;
    while (!tryLock(fd)) {
      if (Date.now() >= deadline) {
        const holder = readHolder(fd);
        throw new LockTimeoutError(
          `waited ${options.timeoutMs / 1000} s for the lock ${lockPath}, held by ${describeHolder(holder)}; if that process is stuck, end it, then run this again`,
        );
      }
      await new Promise((done) => setTimeout(done, pause + Math.random() * pause));
      pause = Math.min(pause * 2, 50);
    }
    noteHolder(fd);
    return await critical();
  } finally {
    // Closing the descriptor releases the lock.
    try {
      closeSync(fd);
    } catch (error) {
      if (errorCode(error) !== 'EBADF') throw error;
    }
  }
}

/** Who holds a lock, as the holder notes it in the lock file. */
interface LockHolder {
  pid: number;
  /** The script and its first argument: `cli.js record`, `stop-worker.js`. Nothing more, so no text the user passed. */
  command: string;
  since: string;
}

function noteHolder(fd: number): void {
  const [script = 'node', first] = process.argv.slice(1);
  const holder: LockHolder = { pid: process.pid, command: [basename(script), first].filter(Boolean).join(' '), since: new Date().toISOString() };
  // Best effort: the note only explains a wait, and on a full disk the write this lock guards reports the disk itself.
  orNothing(() => {
    ftruncateSync(fd, 0);
    writeSync(fd, JSON.stringify(holder), 0);
  });
}

function readHolder(fd: number): LockHolder | undefined {
  const buffer = Buffer.alloc(4096);
  const bytesRead = readSync(fd, buffer, 0, buffer.length, 0);
  const parsed = parseJson(buffer.subarray(0, bytesRead).toString('utf8'));
  const { pid, command, since } = parsed.ok && isRecord(parsed.value) ? parsed.value : {};
  return typeof pid === 'number' && typeof command === 'string' && typeof since === 'string' ? { pid, command, since } : undefined;
}

function describeHolder(holder: LockHolder | undefined): string {
  if (!holder) return 'a process that left no note of itself (another program, or a log-session from before notes)';
  return `pid ${holder.pid} (${holder.command}, since ${holder.since}${isRunning(holder.pid) ? '' : ', no longer running'})`;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user.
    return errorCode(error) === 'EPERM';
  }
}

export const LOCK_TIMEOUT_MS = 30_000;

/** Runs a read-modify-write of one project's memory under its cross-process lock. */
export async function withProjectLock<T>(projectDir: string, critical: () => Promise<T>): Promise<T> {
  makeStoreFolder(projectDir);
  return withLock(join(projectDir, '.lock'), { timeoutMs: LOCK_TIMEOUT_MS }, critical);
}
