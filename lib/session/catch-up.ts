import { readdirSync, statSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '../clients/client.js';
import { orNothing } from '../disk.js';
import { isRecord } from '../json.js';
import { makeStoreFolder, readBookkeeping, replaceStoreFile } from '../memory/store-file.js';
import type { Paths } from '../paths.js';
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
  for (const { path: statePath, mtimeMs } of recentFiles(sessionStateDir(services.paths), (name) => name.endsWith('.json'), services, retire)) {
    if (Date.now() - started >= budgetMs) break;
    if (statePath === currentState) continue;
    const saved = readStateFile(statePath);
    if (!saved) continue;
    const { sessionKey, state } = saved;
    const { transcriptPath } = state;
    const transcript = transcriptPath === undefined ? undefined : orNothing(() => statSync(transcriptPath));
    // A shorter file was rewritten: the reader starts it over, so it needs catching up too.
    const readToItsEnd = !transcript || transcript.size === (state.scan?.offset ?? 0);
    if (readToItsEnd) {
      if (isOver(state, Math.max(mtimeMs, transcript?.mtimeMs ?? 0), services)) orNothing(() => retire(statePath));
      continue;
    }
    if (state.project !== project || !state.transcriptPath || !state.cwd) continue;
    await capture({ sessionKey, transcriptPath: state.transcriptPath, cwd: state.cwd });
  }

  if (current.transcriptPath && Date.now() - started < budgetMs) {
    const scanned = services.now().getTime();
    const { unseen, folders } = await unseenTranscripts(client, current.transcriptPath, services);
    let whole = true;
    for (const { sessionKey, transcriptPath } of unseen) {
      if (Date.now() - started >= budgetMs) {
        whole = false;
        break;
      }
      if (sessionKey === current.sessionKey) continue;
      await capture({ sessionKey, client: client.name, transcriptPath, cwd: (await client.transcriptCwd(transcriptPath)) ?? current.cwd });
    }
    if (whole && failures.length === 0) orNothing(() => markScanned(services.paths, folders, scanned));
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
function isOver(state: SessionState, lastWriteMs: number, services: SessionServices): boolean {
  const running = state.agentProcess && isRunning(services.paths.procDir, state.agentProcess);
  return running === false || (running === undefined && services.now().getTime() - lastWriteMs > QUIET_MS);
}

/**
 * The client's session transcripts beside the current one that have no state yet and changed in the last 7 days,
 * newest first, and the folders they were looked for in. A folder scanned whole before (see markScanned) is looked
 * at only for what changed since, and not listed at all when no file was added: a week of `claude -p` runs leaves
 * a thousand transcripts there.
 */
async function unseenTranscripts(
  client: Client,
  currentTranscript: string,
  services: SessionServices,
): Promise<{ unseen: { sessionKey: string; transcriptPath: string }[]; folders: string[] }> {
  const unseen: { sessionKey: string; transcriptPath: string }[] = [];
  const since = new Date(services.now().getTime() - CATCH_UP_WINDOW_MS);
  const folders = await client.transcriptFolders(currentTranscript, since);
  const marks = readScanMarks(services.paths);
  const found = folders.map((folder) => {
    const mark = marks[folder];
    // After a whole scan only a new transcript can lack a state, and a new file changes its folder's time. A file
    // is new by its ctime, which no tool sets back (a transcript copied back with its old mtime is new too).
    if (mark !== undefined && changedMs(orNothing(() => statSync(folder))) <= mark) return [];
    return recentFiles(folder, () => true, services).filter((file) => file.changedMs > (mark ?? 0));
  });
  for (const { path: transcriptPath } of found.flat()) {
    const sessionKey = await client.transcriptSessionKey(transcriptPath);
    if (sessionKey !== undefined && !hasSessionState(services.paths, sessionKey)) unseen.push({ sessionKey, transcriptPath });
  }
  return { unseen, folders };
}

/** Where each transcript folder was last scanned whole: `{ folder: ms }`, machine bookkeeping like the states. */
function scanMarksPath(paths: Paths): string {
  return join(paths.stateDir, 'catch-up-scans.json');
}

/** Files changed this long before a scan began may still have been written after it listed them: looked at again. */
const SCAN_MARGIN_MS = 2000;

function readScanMarks(paths: Paths): Record<string, number> {
  const read = readBookkeeping(scanMarksPath(paths));
  // Only a time counts: anything else (a hand edit) would hide every transcript of its folder.
  const marks = isRecord(read) ? read : {};
  return Object.fromEntries(Object.entries(marks).filter((entry): entry is [string, number] => Number.isFinite(entry[1])));
}

/**
 * Notes that every transcript of `folders` changed before `scanned` (less a margin) had a state, or was caught up,
 * when a scan that began then ended whole. Another start writing at once may put an older mark back: that costs
 * only a longer look next time, never a transcript missed.
 */
function markScanned(paths: Paths, folders: string[], scanned: number): void {
  const marks = readScanMarks(paths);
  for (const folder of folders) marks[folder] = Math.max(marks[folder] ?? 0, scanned - SCAN_MARGIN_MS);
  // A folder's mark older than the window says nothing the window does not: kept no longer.
  for (const [folder, at] of Object.entries(marks)) if (at < scanned - CATCH_UP_WINDOW_MS) delete marks[folder];
  makeStoreFolder(paths.stateDir);
  replaceStoreFile(scanMarksPath(paths), Buffer.from(JSON.stringify(marks)));
}

/**
 * Files in `folder` whose name `wanted` takes, changed in the last 7 days, newest first. Only a stat each: state
 * files pile up with every session ever run, and reading them all would slow every SessionStart; a session left
 * for longer was resumed through its own hooks or is over. The stats are synchronous: a thousand promised ones
 * cost a SessionStart about 0.1 s of CPU, a thousand blocking ones a tenth of that.
 */
function recentFiles(
  folder: string,
  wanted: (name: string) => boolean,
  services: SessionServices,
  onOld?: (path: string) => void,
): { path: string; mtimeMs: number; changedMs: number }[] {
  const since = services.now().getTime() - CATCH_UP_WINDOW_MS;
  const found: { path: string; mtimeMs: number; changedMs: number }[] = [];
  for (const name of (orNothing(() => readdirSync(folder)) ?? []).filter(wanted)) {
    const path = join(folder, name);
    const info = orNothing(() => statSync(path));
    if (!info?.isFile()) continue;
    if (info.mtimeMs >= since) found.push({ path, mtimeMs: info.mtimeMs, changedMs: changedMs(info) });
    else if (onOld) orNothing(() => onOld(path));
  }
  return found.sort((a, b) => b.mtimeMs - a.mtimeMs);
}

/** When a file's content or the file itself last changed; never for one that is not there. */
function changedMs(info: Stats | undefined): number {
  return info ? Math.max(info.mtimeMs, info.ctimeMs) : Infinity;
}
