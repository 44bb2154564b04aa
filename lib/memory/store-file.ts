import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { mkdir, open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { errorCode, StoreError } from '../errors.js';

/**
 * The store is what log-session keeps on disk: memory (`memory/projects/<project>/`) and state (the state folder).
 * Its files are written through this module, and only with bytes verified complete.
 */

const { O_CREAT, O_EXCL, O_NOFOLLOW, O_RDWR } = constants;

/** What a failed operation was doing, as its message says it. */
type Action = 'write' | 'create' | 'sync';

/**
 * Replaces the file at `path` whole or not at all, only with bytes verified complete: a new temp file beside it
 * (O_EXCL: never an existing file or link), one write that must take every byte, fsync, the bytes read back and
 * compared, then a rename over `path`. On any failure the temp file is removed and `path` is as it was. The folder
 * is not synced: see `syncStoreFolder`.
 */
export async function replaceStoreFile(path: string, bytes: Buffer): Promise<void> {
  // Named as write-file-atomic named its temp files (`sessions.json.<number>`), which tools and tests already know.
  const temp = `${path}.${randomBytes(4).readUInt32BE()}`;
  let created = false;
  try {
    const handle = await open(temp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
    created = true;
    try {
      await writeVerified(handle, bytes);
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (error) {
    if (created) await unlink(temp).catch(() => undefined);
    throw describeFailure(error, path, 'write');
  }
}

/** Makes the folder `path` (0700) and its parents as needed. */
export async function makeStoreFolder(path: string): Promise<void> {
  try {
    await mkdir(path, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw describeFailure(error, path, 'create');
  }
}

/** Without this a power loss can undo a rename in `folder` and lose the newest write. */
export async function syncStoreFolder(folder: string): Promise<void> {
  const handle = await open(folder, 'r');
  try {
    await handle.sync();
  } catch (error) {
    // Some systems cannot sync a folder (Windows, some network file systems): nothing more can be done there.
    if (!['EISDIR', 'EPERM', 'EINVAL'].includes(errorCode(error) ?? '')) throw describeFailure(error, folder, 'sync');
  } finally {
    await handle.close();
  }
}

/** One write that must take every byte (a short write means the disk is full), fsync, and the bytes read back. */
async function writeVerified(handle: FileHandle, bytes: Buffer): Promise<void> {
  const { bytesWritten } = await handle.write(bytes, 0, bytes.length, 0);
  if (bytesWritten !== bytes.length) throw shortWrite(bytesWritten, bytes.length);
  await handle.sync();
  // One byte more than written is asked for, so a longer file shows too; one read of a regular file gets them all.
  const back = Buffer.alloc(bytes.length + 1);
  const { bytesRead } = await handle.read(back, 0, back.length, 0);
  if (!back.subarray(0, bytesRead).equals(bytes)) throw shortWrite(bytesRead, bytes.length);
}

function shortWrite(got: number, wanted: number): Error {
  return Object.assign(new Error(`only ${got} of ${wanted} bytes were written`), { code: 'ENOSPC' });
}

/**
 * A failure of `action` on `path` as the user can act on it, naming `path` (never a temp file). Set-up problems
 * (a full disk) are `StoreError`s; anything else keeps its code.
 */
function describeFailure(error: unknown, path: string, action: Action): Error {
  const code = errorCode(error);
  const problem = code === undefined ? undefined : setUpProblems[code]?.(path, action);
  if (problem) return new StoreError(path, problem, { cause: error });
  return Object.assign(new Error(`could not ${action} ${path} (${code ?? String(error)})`, { cause: error }), { code });
}

/** What did not happen, said for the user. */
const whatFailed: Record<Action, (path: string) => string> = {
  write: (path) => `nothing was written to ${path}, which is as it was`,
  create: (path) => `could not create the folder ${path}`,
  sync: (path) => `the folder ${path} could not be synced to disk`,
};

const setUpProblems: Record<string, (path: string, action: Action) => string> = {
  ENOSPC: (path, action) => `the disk is full: ${whatFailed[action](path)}; free some space, then run it again`,
  EDQUOT: (path, action) => `the disk quota is used up: ${whatFailed[action](path)}; free some space, then run it again`,
  EIO: (path, action) => `an I/O error: ${whatFailed[action](path)}; check the disk, then run it again`,
};
