import { readHookRunner, type ProcessId } from '../ancestry.js';
import { clientNamed } from '../clients/index.js';
import type { ClientName } from '../clients/names.js';
import { statSync } from 'node:fs';
import { orAbsentSync, orNothing } from '../disk.js';
import { createSessionState, readSessionState, withSessionLock, writeSessionState } from '../memory/state.js';
import { readRepo, snapshotForLater, type RepoFacts } from '../project/git.js';
import { readProjectMemory } from '../memory/read.js';
import { projectNameAt } from '../project/name.js';
import { buildBrief } from '../read/brief.js';
import { catchUpSessions } from './catch-up.js';
import type { SessionSource } from './facts.js';
import { sessionFolder } from './folder.js';
import type { SessionServices } from './update.js';

/**
 * SessionStart, on every source: save the session's start, bring this project's earlier sessions up to date, then
 * return the brief (nothing when the project has no memory).
 */
export async function startSession(source: SessionSource & { sessionKey: string }, services: SessionServices): Promise<string | undefined> {
  const client = clientNamed(source.client);
  const cwd = await sessionFolder(client, source);
  const repo = readRepo(cwd, services.paths.gitConfigFiles);
  const project = projectNameAt(repo?.root ?? cwd, repo?.originUrl);
  // `record` run in the agent's shell finds this session by the process that runs us where the shell does not name
  // it (Gemini CLI) or names two agents (one run inside the other's shell): a few small reads of /proc.
  const agentProcess = readHookRunner(services.paths.procDir, process.pid, process.argv[1] ?? '');
  // Bookkeeping only: failing to save it must not cost the session its brief.
  await rememberStart({ ...source, client: client.name, cwd, agentProcess }, project, repo, services).catch((error: unknown) =>
    services.warn(`could not save this session's start: ${error instanceof Error ? error.message : String(error)}`),
  );
  await catchUpSessions(client, project, { sessionKey: source.sessionKey, transcriptPath: source.transcriptPath, cwd }, services);
  const memory = readProjectMemory(services.paths, project);
  if (memory.problems?.length) services.warn(memory.problems.join('; '));
  return buildBrief(memory, services.now());
}

/**
 * A session's start, saved before any capture: a new session's folder, time and transcript path (without a
 * transcript, `--no-session-persistence`, its window still opens here; with one, a session that never reaches a
 * capture is caught up like any other), and the work tree as it is now, so that what was dirty or deleted before
 * the session, or while a resumed one was away, is never taken for its work.
 */
async function rememberStart(
  source: SessionSource & { sessionKey: string; client: ClientName; cwd: string; agentProcess?: ProcessId },
  project: string,
  repo: RepoFacts | undefined,
  services: SessionServices,
): Promise<void> {
  const { paths } = services;
  const now = services.now();
  const agentProcess = source.agentProcess ? { agentProcess: { ...source.agentProcess, since: now.toISOString() } } : {};
  const start = { client: source.client, project, cwd: source.cwd, startedAt: now.toISOString(), ...(source.transcriptPath ? { transcriptPath: source.transcriptPath } : {}) };
  // A new session's state is created whole without the lock, whose native addon costs SessionStart a quarter of
  // `node -e 0`: nothing else writes a session's state before its start (a capture follows a turn, catch-up takes
  // sessions with a transcript). A state that appeared meanwhile is not replaced: the locked way below merges.
  if (Object.keys(readSessionState(paths, source.sessionKey)).length === 0) {
    const state = { ...agentProcess, ...start, ...(repo ? { git: snapshotForLater(repo, now) } : {}) };
    if (orNothing(() => createSessionState(paths, source.sessionKey, state))) return;
  }
  await withSessionLock(paths, source.sessionKey, async () => {
    // One read: a missing or unreadable state is a new session's, and gets its start.
    const state = readSessionState(paths, source.sessionKey);
    const known = Object.keys(state).length > 0;
    // A resumed session whose last turn was never captured keeps its snapshot: that turn's changes are still to be taken.
    const { scan, transcriptPath } = state;
    const caughtUp = !scan || !transcriptPath || orAbsentSync(() => statSync(transcriptPath))?.size === scan.offset;
    if (known && !(repo && caughtUp) && !source.agentProcess) return;
    writeSessionState(paths, source.sessionKey, {
      ...state,
      ...agentProcess,
      ...(known ? {} : start),
      ...(repo && caughtUp ? { git: snapshotForLater(repo, now) } : {}),
    });
  });
}
