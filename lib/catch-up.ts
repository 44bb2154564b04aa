import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { buildBrief } from './brief.js';
import { captureSession } from './capture.js';
import type { HookContext, HookHandler } from './hook-run.js';
import { projectForFolder, readProjectMemory } from './memory-read.js';
import { readSessionState, sessionStatePath } from './session-state.js';

/** SessionStart spends at most this long bringing earlier sessions up to date; the rest waits for the next start. */
export const CATCH_UP_BUDGET_MS = 300;

/**
 * SessionStart, on every source: bring this project's earlier sessions up to date, then return the brief
 * (nothing when the project has no memory).
 */
export const startSession: HookHandler = async (input, context) => {
  const project = await projectForFolder(input.cwd);
  await catchUpSessions(project, input.session_id, context);
  const memory = await readProjectMemory(context.paths, project);
  if (memory.problems?.length) context.warn(memory.problems.join('; '));
  return buildBrief(memory);
};

/**
 * Captures the sessions of `project` (other than `currentSession`) whose transcript grew after their last capture,
 * e.g. one that ended without its SessionEnd hook. Stops starting new ones once `budgetMs` is spent.
 * Returns the session keys it brought up to date; the ones that failed are reported through `warn`.
 */
export async function catchUpSessions(
  project: string,
  currentSession: string,
  context: HookContext,
  budgetMs = CATCH_UP_BUDGET_MS,
): Promise<string[]> {
  const started = Date.now();
  const folder = join(context.paths.stateDir, 'sessions');
  const current = sessionStatePath(context.paths, currentSession);
  const names = (await readdir(folder).catch(() => [] as string[])).filter((name) => name.endsWith('.json'));
  const caughtUp: string[] = [];
  const failures: string[] = [];
  for (const name of names) {
    if (Date.now() - started >= budgetMs) break;
    if (join(folder, name) === current) continue;
    const sessionKey = name.slice(0, -'.json'.length);
    const state = await readSessionState(context.paths, sessionKey);
    if (state.project !== project || !state.transcriptPath || !state.cwd) continue;
    const size = await stat(state.transcriptPath).then((info) => info.size, () => undefined);
    // A shorter file was rewritten: the reader starts it over, so it needs catching up too.
    if (size === undefined || size === (state.scan?.offset ?? 0)) continue;
    try {
      await captureSession({ session_id: sessionKey, transcript_path: state.transcriptPath, cwd: state.cwd }, context);
      caughtUp.push(sessionKey);
    } catch (error) {
      // A session that cannot be brought up to date must not cost this one its brief: report it, go on.
      failures.push(`${sessionKey} (${error instanceof Error ? error.message : String(error)})`);
    }
  }
  if (failures.length) context.warn(`could not catch up ${failures.length} earlier session(s): ${failures.join('; ')}`);
  return caughtUp;
}
