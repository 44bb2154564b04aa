import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Client } from '../clients/client.js';
import { isRunning } from '../ancestry.js';
import { hasSessionState, readStateFile, retireStateFile, sessionStateDir, sessionStatePath, type SessionState } from '../memory/state.js';
import type { SessionSource } from './facts.js';
import type { SessionServices } from './update.js';

/** SessionStart spends at most this long bringing earlier sessions up to date; the rest waits for the next start. */
export const CATCH_UP_BUDGET_MS = 300;

/** Catch-up looks at sessions and transcripts changed within this long; older ones predate log-session or are done. */
const CATCH_UP_WINDOW_MS = 7 * 86_400_000;

/** The session that is starting: never caught up itself; its transcript's folder holds its project's other sessions. */
export interface CurrentSession {
  sessionKey: string;
  transcriptPath?: string;
  cwd: string;
}

/**
 * Captures the earlier sessions of `project` active in the last 7 days: those whose transcript grew after their
 * last capture (e.g. one that ended without its SessionEnd hook), then those never captured at all (Esc skips
 * Stop, a closed terminal skips SessionEnd) whose transcript sits beside the current one and changed in the last
 * 7 days. Stops starting new ones once `budgetMs` is spent. Returns the session keys it brought up to date; the ones that failed are reported through `warn`.
 */
export async function catchUpSessions(
  client: Client,
  project: string,
  current: CurrentSession,
  services: SessionServices,
  budgetMs = CATCH_UP_BUDGET_MS,
): Promise<string[]> {
  const started = Date.now();
  const caughtUp: string[] = [];
  const failures: string[] = [];
  const capture = async (source: SessionSource & { sessionKey: string }) => {
    try {
      // Loaded only when there is a session to catch up: most starts have none, and skip compiling the capture.
      const { updateSessionEntry } = await import('./update.js');
      await updateSessionEntry(services, { ...source, ended: true });
      caughtUp.push(source.sessionKey);
    } catch (error) {
      // A session that cannot be brought up to date must not cost this one its brief: report it, go on.
      failures.push(`${source.sessionKey} (${error instanceof Error ? error.message : String(error)})`);
    }
  };

  const currentState = sessionStatePath(services.paths, current.sessionKey);
  // States older than the window are moved aside as they are found, so the next start lists only recent ones.
  const retire = (path: string) => retireStateFile(services.paths, path);
  for (const { path: statePath, mtimeMs } of await recentFiles(sessionStateDir(services.paths), (name) => name.endsWith('.json'), services, retire)) {
    if (Date.now() - started >= budgetMs) break;
    if (statePath === currentState) continue;
    const saved = await readStateFile(statePath);
    if (!saved) continue;
    const { sessionKey, state } = saved;
    const transcript = state.transcriptPath === undefined ? undefined : await stat(state.transcriptPath).catch(() => undefined);
    // A shorter file was rewritten: the reader starts it over, so it needs catching up too.
    const readToItsEnd = !transcript || transcript.size === (state.scan?.offset ?? 0);
    if (readToItsEnd) {
      if (await isOver(state, Math.max(mtimeMs, transcript?.mtimeMs ?? 0), services)) await retire(statePath).catch(() => undefined);
      continue;
    }
    if (state.project !== project || !state.transcriptPath || !state.cwd) continue;
    await capture({ sessionKey, transcriptPath: state.transcriptPath, cwd: state.cwd });
  }

  for (const { sessionKey, transcriptPath } of current.transcriptPath ? await unseenTranscripts(client, current.transcriptPath, services) : []) {
    if (Date.now() - started >= budgetMs) break;
    if (sessionKey === current.sessionKey) continue;
    await capture({ sessionKey, client: client.name, transcriptPath, cwd: (await client.transcriptCwd(transcriptPath)) ?? current.cwd });
  }

  if (failures.length) services.warn(`could not catch up ${failures.length} earlier session(s): ${failures.join('; ')}`);
  return caughtUp;
}

/** A session read to its end is left alone by catch-up once this long passed without a write to it or its state. */
const QUIET_MS = 3_600_000;

/**
 * Whether a session read to its end is over, so that later starts need not read its state (it is retired: still
 * read by its own hooks and `record`, and a resume brings it back): the agent process that ran it has exited, or,
 * where /proc cannot tell, nothing was written to it or its state for an hour. Not at its SessionEnd: the agent
 * may write its transcript's last lines after that hook (claude-code.md: written asynchronously), and catch-up
 * takes them then.
 */
async function isOver(state: SessionState, lastWriteMs: number, services: SessionServices): Promise<boolean> {
  const running = state.agentProcess && (await isRunning(services.paths.procDir, state.agentProcess));
  return running === false || (running === undefined && services.now().getTime() - lastWriteMs > QUIET_MS);
}

/** The client's session transcripts beside the current one that have no state yet and changed in the last 7 days, newest first. */
async function unseenTranscripts(client: Client, currentTranscript: string, services: SessionServices): Promise<{ sessionKey: string; transcriptPath: string }[]> {
  const unseen: { sessionKey: string; transcriptPath: string }[] = [];
  const since = new Date(services.now().getTime() - CATCH_UP_WINDOW_MS);
  const found = await Promise.all((await client.transcriptFolders(currentTranscript, since)).map((folder) => recentFiles(folder, () => true, services)));
  for (const { path: transcriptPath } of found.flat()) {
    const sessionKey = await client.transcriptSessionKey(transcriptPath);
    if (sessionKey !== undefined && !(await hasSessionState(services.paths, sessionKey))) unseen.push({ sessionKey, transcriptPath });
  }
  return unseen;
}

/**
 * Files in `folder` whose name `wanted` takes, changed in the last 7 days, newest first. Only a stat each: state
 * files pile up with every session ever run, and reading them all would slow every SessionStart; a session left
 * for longer was resumed through its own hooks or is over.
 */
async function recentFiles(
  folder: string,
  wanted: (name: string) => boolean,
  services: SessionServices,
  onOld?: (path: string) => Promise<void>,
): Promise<{ path: string; mtimeMs: number }[]> {
  const since = services.now().getTime() - CATCH_UP_WINDOW_MS;
  const names = (await readdir(folder).catch(() => [] as string[])).filter(wanted);
  const found = await Promise.all(
    names.map(async (name) => {
      const path = join(folder, name);
      const info = await stat(path).catch(() => undefined);
      if (info?.isFile() && info.mtimeMs < since) await onOld?.(path).catch(() => undefined);
      return info?.isFile() && info.mtimeMs >= since ? [{ path, mtimeMs: info.mtimeMs }] : [];
    }),
  );
  return found.flat().sort((a, b) => b.mtimeMs - a.mtimeMs);
}
