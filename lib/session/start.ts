import { claudeCode } from '../clients/claude-code/index.js';
import { sessionStatePath, withSessionLock, writeSessionState } from '../memory/state.js';
import { readProjectMemory } from '../memory/read.js';
import { projectForFolder } from '../project/name.js';
import { buildBrief } from '../read/brief.js';
import { catchUpSessions, exists } from './catch-up.js';
import { sessionFolder, type SessionSource } from './facts.js';
import type { SessionServices } from './update.js';

/**
 * SessionStart, on every source: save the session's start, bring this project's earlier sessions up to date, then
 * return the brief (nothing when the project has no memory).
 */
export async function startSession(source: SessionSource & { sessionKey: string }, services: SessionServices): Promise<string | undefined> {
  const cwd = await sessionFolder(claudeCode, source);
  const project = await projectForFolder(cwd);
  // Bookkeeping only: failing to save it must not cost the session its brief.
  await rememberStart({ ...source, cwd }, project, services).catch((error: unknown) =>
    services.warn(`could not save this session's start: ${error instanceof Error ? error.message : String(error)}`),
  );
  await catchUpSessions(claudeCode, project, { sessionKey: source.sessionKey, transcriptPath: source.transcriptPath, cwd }, services);
  const memory = await readProjectMemory(services.paths, project);
  if (memory.problems?.length) services.warn(memory.problems.join('; '));
  return buildBrief(memory);
}

/**
 * A new session's start, saved before any capture: without a transcript (`--no-session-persistence`) git's
 * window then still opens here, and a file left dirty before the session is not claimed. With its transcript
 * path, a session that never reaches a capture is caught up like any other.
 */
async function rememberStart(source: SessionSource & { sessionKey: string; cwd: string }, project: string, services: SessionServices): Promise<void> {
  const { paths } = services;
  await withSessionLock(paths, source.sessionKey, async () => {
    if (await exists(sessionStatePath(paths, source.sessionKey))) return;
    await writeSessionState(paths, source.sessionKey, {
      project,
      cwd: source.cwd,
      startedAt: services.now().toISOString(),
      ...(source.transcriptPath ? { transcriptPath: source.transcriptPath } : {}),
    });
  });
}
