import { clientNamed } from '../clients/index.js';
import type { ClientName } from '../clients/names.js';
import { readSessionState, withSessionLock, writeSessionState, type SessionState } from '../memory/state.js';
import { snapshotForLater, type WorkTreeSnapshot } from '../project/git.js';
import { readRepoFiles } from '../project/git-files.js';
import type { SessionSource } from './facts.js';
import type { SessionServices } from './update.js';

/**
 * Stop: fold the transcript's new bytes and git's view into the session's one entry. A turn with nothing new
 * returns before the rest of the update is even loaded.
 */
export async function captureSession(source: SessionSource, services: SessionServices): Promise<undefined> {
  if (source.sessionKey && !source.ended && (await settleQuietTurn(services, source.sessionKey, source.client))) return undefined;
  const { updateSessionEntry } = await import('./update.js');
  await updateSessionEntry(services, source);
  return undefined;
}

/** SessionEnd: the same, for a session that is over (its last line is read even without a newline). */
export function endSession(source: SessionSource, services: SessionServices): Promise<undefined> {
  return captureSession({ ...source, ended: true, sessionEnd: true }, services);
}

/**
 * A turn after which the session's transcript holds nothing new changed nothing of the session's: no edit, and
 * no shell run that could have changed a file. Returns true for such a turn, having only kept the work tree's
 * snapshot current (so that a change another session makes now is never taken for this one's later), without
 * naming the project or touching memory; the session's lock is taken only when the snapshot changed. False when
 * there is something to capture, or no capture yet to go on from.
 */
async function settleQuietTurn({ paths, now }: SessionServices, sessionKey: string, client: ClientName | undefined): Promise<boolean> {
  const state = readSessionState(paths, sessionKey);
  if (!(await isQuiet(state, client))) return false;
  if (!state.git) return true;
  // The repository as its files tell it, never by asking git (that costs a process): else git status is asked.
  const repo = readRepoFiles(state.cwd!, paths.gitConfigFiles)?.repo ?? { root: state.cwd! };
  const snapshot = snapshotForLater(repo, now());
  if (sameSnapshot(snapshot, state.git)) return true;
  return withSessionLock(paths, sessionKey, async () => {
    // Read again under the lock: another run of this session may have captured something meanwhile.
    const current = readSessionState(paths, sessionKey);
    if (!(await isQuiet(current, client))) return false;
    writeSessionState(paths, sessionKey, { ...current, git: snapshot });
    return true;
  });
}

async function isQuiet(state: SessionState, client: ClientName | undefined): Promise<boolean> {
  if (!state.scan || !state.transcriptPath || !state.entryId || !state.cwd) return false;
  return !(await clientNamed(client ?? state.client).hasNewLines(state.transcriptPath, state.scan));
}

function sameSnapshot(a: WorkTreeSnapshot, b: WorkTreeSnapshot): boolean {
  const keys = Object.keys(a.files);
  return a.indexDigest === b.indexDigest && keys.length === Object.keys(b.files).length && keys.every((key) => a.files[key] === b.files[key]);
}
