import {
  closeSync,
  constants,
  fstatSync,
  fsyncSync,
  linkSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
  type Stats,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { orAbsentSync, orNothing } from '../disk.js';
import { errorCode, StoreError } from '../errors.js';
import { parseJson } from '../json.js';

/**
 * The store is what log-session keeps on disk: memory (`memory/projects/<project>/`) and state (the state folder).
 * Every file in it is reached through this module, under one rule: `memory/projects/` and the state folder may be
 * reached through links (a user's `~/aiconfig` in their dotfiles), but inside them nothing is followed. A project's
 * folder and the state's `sessions/` and `locks/` must be real folders, and every file a regular file, opened with
 * O_NOFOLLOW (a link is refused, never written through) and O_NONBLOCK (a FIFO is refused, never waited on). So
 * nothing is created, written, renamed or truncated outside the store, and no open can hang.
 *
 * Synchronous: every caller is a short-lived process that waits for each answer anyway, and Node's promise API sends
 * each call through its thread pool, which cost a SessionStart about a fifth of `node -e 0` in CPU (`farm-bench`).
 */

const { O_CREAT, O_EXCL, O_NOFOLLOW, O_NONBLOCK, O_RDWR } = constants;

/** What a failed operation was doing, as its message says it. */
type Action = 'read' | 'write' | 'lock' | 'create' | 'sync';

/** What belongs at a path of the store. */
type Kind = 'file' | 'folder';

/** Opens the regular file at `path` with `flags` (0600 when created); anything else there is refused. */
export function openStoreFile(path: string, flags: number, action: Action): number {
  let fd: number;
  try {
    fd = openSync(path, flags | O_NOFOLLOW | O_NONBLOCK, 0o600);
  } catch (error) {
    throw errorCode(error) === 'ENOENT' ? error : describeFailure(error, path, action, 'file');
  }
  const refusal = refusalOf(path, fstatSync(fd), 'file');
  if (refusal) {
    closeSync(fd);
    throw refusal;
  }
  return fd;
}

/** The bytes of the file at `path`, `undefined` when there is none. */
export function readStoreFile(path: string): Buffer | undefined {
  const fd = orAbsentSync(() => openStoreFile(path, constants.O_RDONLY, 'read'));
  if (fd === undefined) return undefined;
  try {
    return readFileSync(fd);
  } catch (error) {
    throw describeFailure(error, path, 'read', 'file');
  } finally {
    closeSync(fd);
  }
}

/**
 * Replaces the file at `path` whole or not at all, only with bytes verified complete: a new temp file beside it
 * (O_EXCL: never an existing file or link), one write that must take every byte, fsync, the bytes read back and
 * compared, then a rename over `path`. On any failure the temp file is removed and `path` is as it was. A link or
 * special file at `path` is refused, not replaced. The folder is not synced: see `syncStoreFolder`.
 */
export function replaceStoreFile(path: string, bytes: Buffer): void {
  // A link or special file at `path` is refused here: the rename would replace it.
  isThere(path, 'file');
  publishStoreFile(path, bytes, (temp) => renameSync(temp, path));
}

/**
 * Writes `bytes` at `path` only where nothing is there yet: false, and nothing written, where something is. The
 * file appears whole (a hard link to the finished temp file, which fails on a taken name), so a writer that holds
 * no lock never replaces what another wrote.
 */
export function createStoreFile(path: string, bytes: Buffer): boolean {
  let taken = false;
  publishStoreFile(path, bytes, (temp) => {
    try {
      linkSync(temp, path);
    } catch (error) {
      if (errorCode(error) !== 'EEXIST') throw error;
      taken = true;
    }
    unlinkSync(temp);
  });
  return !taken;
}

/**
 * The JSON value of a bookkeeping file of the store (a cache, a journal, scan marks): `undefined` when it is
 * missing, refused or does not parse. Such a file only saves work, so nothing is reported.
 */
export function readBookkeeping(path: string): unknown {
  const bytes = orNothing(() => readStoreFile(path));
  const parsed = bytes && parseJson(bytes.toString('utf8'));
  return parsed?.ok ? parsed.value : undefined;
}

/**
 * A temp file of ours beside `path`: `sessions.json.log-session-<8 hex>.tmp`, a name no one gives a file of their own
 * (a dated copy such as `sessions.json.20261201` is not one), so one a killed writer left can be removed.
 */
function tempName(path: string): string {
  // Unique, not secret: O_EXCL refuses a name taken, so Math.random serves, and no hook loads node:crypto for it.
  return `${path}${TEMP_MARK}${Math.floor(Math.random() * 2 ** 32).toString(16).padStart(8, '0')}.tmp`;
}

const TEMP_MARK = '.log-session-';

/** A live writer's temp file exists for the milliseconds of a write and an fsync; one this old was left behind. */
const LEFT_BEHIND_MS = 10 * 60_000;

/** Writes `bytes` whole to a new temp file beside `path`, then has `publish` put it in place (or remove it). */
function publishStoreFile(path: string, bytes: Buffer, publish: (temp: string) => void): void {
  const temp = tempName(path);
  let created = false;
  try {
    const fd = openSync(temp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
    created = true;
    try {
      writeVerified(fd, bytes);
    } finally {
      closeSync(fd);
    }
    publish(temp);
  } catch (error) {
    if (created) orNothing(() => unlinkSync(temp));
    throw describeFailure(error, path, 'write', 'file');
  }
  removeLeftBehind(path);
}

/**
 * Removes the temp files of `path` that writers killed mid-write left (older than LEFT_BEHIND_MS, so never one a
 * writer still working on it holds). Best effort: they only take room.
 */
function removeLeftBehind(path: string): void {
  const folder = dirname(path);
  const prefix = `${basename(path)}${TEMP_MARK}`;
  const before = Date.now() - LEFT_BEHIND_MS;
  for (const name of orNothing(() => readdirSync(folder)) ?? []) {
    if (!name.startsWith(prefix) || !name.endsWith('.tmp')) continue;
    const temp = join(folder, name);
    const info = orNothing(() => lstatSync(temp));
    if (info?.isFile() && info.mtimeMs < before) orNothing(() => unlinkSync(temp));
  }
}

/** Appends `text` to the regular file at `path`, made 0600 when it is new. */
export function appendStoreFile(path: string, text: string): void {
  const fd = openStoreFile(path, constants.O_WRONLY | constants.O_APPEND | O_CREAT, 'write');
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
}

/** Makes `path` a real folder (0700), creating its parents (which may be links) as needed. */
export function makeStoreFolder(path: string): void {
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    mkdirSync(path, { mode: 0o700 });
  } catch (error) {
    if (errorCode(error) !== 'EEXIST') throw describeFailure(error, path, 'create', 'folder');
  }
  isThere(path, 'folder');
}

/** Whether `path` is a real folder: false when there is nothing there, refused when there is something else. */
export function isStoreFolder(path: string): boolean {
  return isThere(path, 'folder');
}

/** Moves the store file `from` to `to`, beside it (a damaged file kept aside). */
export function renameStoreFile(from: string, to: string): void {
  try {
    renameSync(from, to);
  } catch (error) {
    throw describeFailure(error, from, 'write', 'file');
  }
}

/** Without this a power loss can undo a rename in `folder` and lose the newest write. */
export function syncStoreFolder(folder: string): void {
  try {
    const fd = openSync(folder, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    // Some systems cannot sync a folder (Windows, some network file systems): nothing more can be done there.
    if (!['EISDIR', 'EPERM', 'EINVAL'].includes(errorCode(error) ?? '')) throw describeFailure(error, folder, 'sync', 'folder');
  }
}

/** One write that must take every byte (a short write means the disk is full), fsync, and the bytes read back. */
function writeVerified(fd: number, bytes: Buffer): void {
  const bytesWritten = writeSync(fd, bytes, 0, bytes.length, 0);
  if (bytesWritten !== bytes.length) throw shortWrite(bytesWritten, bytes.length);
  fsyncSync(fd);
  // One byte more than written is asked for, so a longer file shows too; one read of a regular file gets them all.
  const back = Buffer.alloc(bytes.length + 1);
  const bytesRead = readSync(fd, back, 0, back.length, 0);
  if (!back.subarray(0, bytesRead).equals(bytes)) throw shortWrite(bytesRead, bytes.length);
}

function shortWrite(got: number, wanted: number): Error {
  return Object.assign(new Error(`only ${got} of ${wanted} bytes were written`), { code: 'ENOSPC' });
}

/** Whether there is a `kind` at `path`: false when there is nothing, refused when there is something else. */
function isThere(path: string, kind: Kind): boolean {
  let stats: Stats | undefined;
  try {
    stats = orAbsentSync(() => lstatSync(path));
  } catch (error) {
    throw describeFailure(error, path, 'read', kind);
  }
  if (stats === undefined) return false;
  const refusal = refusalOf(path, stats, kind);
  if (refusal) throw refusal;
  return true;
}

/**
 * Why what is at `path` cannot be used as a `kind` of the store; `undefined` when it can. When it was found by a
 * call on a path below it that failed (`cause`), that code ends the message.
 */
function refusalOf(path: string, stats: Stats, kind: Kind, cause?: unknown): StoreError | undefined {
  const code = errorCode(cause);
  const because = (message: string) => new StoreError(path, code ? `${message} (${code})` : message, { cause });
  if (stats.isSymbolicLink()) {
    return because(
      `${path} is a symbolic link; log-session does not read or write through links inside memory or its state folder: replace it with the ${kind} it points to`,
    );
  }
  if (kind === 'file' ? stats.isFile() : stats.isDirectory()) return undefined;
  const what = stats.isDirectory()
    ? 'a folder'
    : stats.isFile()
      ? 'a file'
      : stats.isFIFO()
        ? 'a named pipe (FIFO)'
        : stats.isSocket()
          ? 'a socket'
          : 'a device node';
  return because(`${path} is ${what} where log-session keeps a ${kind}: move it away`);
}

/**
 * A failure of `action` on `path` as the user can act on it, naming `path` (never a temp file). What is really
 * there says more than the code (ELOOP is a link, ENXIO a FIFO, EISDIR a folder, ENOTDIR a file above): that first.
 * Set-up problems (a full disk, an I/O error, no permission) are `StoreError`s; anything else keeps its code.
 */
function describeFailure(error: unknown, path: string, action: Action, kind: Kind): Error {
  if (error instanceof StoreError) return error;
  const found = orNothing(() => lstatSync(path));
  const refusal = found ? refusalOf(path, found, kind) : fileAbove(path, error);
  if (refusal) return refusal;
  const code = errorCode(error);
  const problem = code === undefined ? undefined : setUpProblems[code]?.(path, action);
  if (problem) return new StoreError(path, problem, { cause: error });
  return Object.assign(new Error(`could not ${action} ${path} (${code ?? String(error)})`, { cause: error }), { code });
}

/** The nearest existing folder above `path` when it is not a folder after all (links above are followed). */
function fileAbove(path: string, cause: unknown): StoreError | undefined {
  for (let above = dirname(path); above !== dirname(above); above = dirname(above)) {
    const stats = orNothing(() => statSync(above));
    if (stats) return refusalOf(above, stats, 'folder', cause);
  }
  return undefined;
}

/** What did not happen, said for the user. */
const whatFailed: Record<Action, (path: string) => string> = {
  read: (path) => `could not read ${path}`,
  write: (path) => `nothing was written to ${path}, which is as it was`,
  lock: (path) => `could not open the lock ${path}`,
  create: (path) => `could not create the folder ${path}`,
  sync: (path) => `the folder ${path} could not be synced to disk`,
};

const setUpProblems: Record<string, (path: string, action: Action) => string> = {
  ENOSPC: (path, action) => `the disk is full: ${whatFailed[action](path)}; free some space, then run it again`,
  EDQUOT: (path, action) => `the disk quota is used up: ${whatFailed[action](path)}; free some space, then run it again`,
  EIO: (path, action) => `an I/O error: ${whatFailed[action](path)}; check the disk, then run it again`,
  EACCES: (path, action) => `permission denied: ${whatFailed[action](path)}; ${grantAccess(path)}`,
  EPERM: (path, action) => `permission denied: ${whatFailed[action](path)}; ${grantAccess(path)}`,
  EROFS: (path, action) => `the file system is read-only: ${whatFailed[action](path)}; remount it read-write, or keep it on a writable disk`,
};

function grantAccess(path: string): string {
  const folder = dirname(path);
  return `make ${folder} and the files in it yours and writable by you (chown -R, chmod -R u+rwX)`;
}
