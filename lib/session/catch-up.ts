import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { buildBrief } from '../read/brief.js';
import { captureTranscript } from './capture.js';
import type { HookContext, HookHandler, HookInput } from '../hook/run.js';
import { projectForFolder, readProjectMemory } from '../memory/read.js';
import { readSessionState, sessionStatePath, writeSessionState } from '../memory/state.js';
import { transcriptCwd } from '../clients/claude-code/read.js';

/** SessionStart spends at most this long bringing earlier sessions up to date; the rest waits for the next start. */
export const CATCH_UP_BUDGET_MS = 300;

/** Catch-up looks at sessions and transcripts changed within this long; older ones predate log-session or are done. */
const CATCH_UP_WINDOW_MS = 7 * 86_400_000;

/**
 * SessionStart, on every source: bring this project's earlier sessions up to date, then return the brief
 * (nothing when the project has no memory).
 */
export const startSession: HookHandler = async (input, context) => {
  const project = await projectForFolder(input.cwd);
  // Bookkeeping only: failing to save it must not cost the session its brief.
  await rememberStart(input, project, context).catch((error: unknown) =>
    context.warn(`could not save this session's start: ${error instanceof Error ? error.message : String(error)}`),
  );
  await catchUpSessions(project, { sessionKey: input.session_id, transcriptPath: input.transcript_path, cwd: input.cwd }, context);
  const memory = await readProjectMemory(context.paths, project);
  if (memory.problems?.length) context.warn(memory.problems.join('; '));
  return buildBrief(memory);
};

/**
 * A new session's start, saved before any capture: without a transcript (`--no-session-persistence`) git's
 * window then still opens here, and a file left dirty before the session is not claimed. With its transcript
 * path, a session that never reaches a capture is caught up like any other.
 */
async function rememberStart(input: HookInput, project: string, context: HookContext): Promise<void> {
  if (await exists(sessionStatePath(context.paths, input.session_id))) return;
  await writeSessionState(context.paths, input.session_id, {
    project,
    cwd: input.cwd,
    startedAt: context.now().toISOString(),
    ...(input.transcript_path ? { transcriptPath: input.transcript_path } : {}),
  });
}

/** The session that is starting: never caught up itself; its transcript's folder holds its project's other sessions. */
export interface CurrentSession {
  sessionKey: string;
  transcriptPath?: string;
  cwd: string;
}

/**
 * Captures the earlier sessions of `project` active in the last 7 days: those whose transcript grew after their
 * last capture (e.g. one that ended without its SessionEnd hook), then those never captured at all (Esc skips Stop, a closed terminal skips
 * SessionEnd) whose transcript sits beside the current one and changed in the last 7 days. They are over, so
 * nothing after their last line is theirs. Stops starting new ones once `budgetMs` is spent.
 * Returns the session keys it brought up to date; the ones that failed are reported through `warn`.
 */
export async function catchUpSessions(
  project: string,
  current: CurrentSession,
  context: HookContext,
  budgetMs = CATCH_UP_BUDGET_MS,
): Promise<string[]> {
  const started = Date.now();
  const caughtUp: string[] = [];
  const failures: string[] = [];
  const capture = async (sessionKey: string, transcriptPath: string, cwd: string) => {
    try {
      await captureTranscript({ sessionKey, transcriptPath, cwd, ended: true }, context);
      caughtUp.push(sessionKey);
    } catch (error) {
      // A session that cannot be brought up to date must not cost this one its brief: report it, go on.
      failures.push(`${sessionKey} (${error instanceof Error ? error.message : String(error)})`);
    }
  };

  const currentState = sessionStatePath(context.paths, current.sessionKey);
  for (const statePath of await recentFiles(join(context.paths.stateDir, 'sessions'), '.json', context)) {
    if (Date.now() - started >= budgetMs) break;
    if (statePath === currentState) continue;
    const sessionKey = basename(statePath, '.json');
    const state = await readSessionState(context.paths, sessionKey);
    if (state.project !== project || !state.transcriptPath || !state.cwd) continue;
    const size = await stat(state.transcriptPath).then((info) => info.size, () => undefined);
    // A shorter file was rewritten: the reader starts it over, so it needs catching up too.
    if (size === undefined || size === (state.scan?.offset ?? 0)) continue;
    await capture(sessionKey, state.transcriptPath, state.cwd);
  }

  for (const transcriptPath of current.transcriptPath ? await unseenTranscripts(dirname(current.transcriptPath), context) : []) {
    if (Date.now() - started >= budgetMs) break;
    const sessionKey = basename(transcriptPath, '.jsonl');
    if (sessionKey === current.sessionKey) continue;
    await capture(sessionKey, transcriptPath, (await transcriptCwd(transcriptPath)) ?? current.cwd);
  }

  if (failures.length) context.warn(`could not catch up ${failures.length} earlier session(s): ${failures.join('; ')}`);
  return caughtUp;
}

/** Session transcripts in `folder` that have no state yet and changed in the last 7 days, newest first. */
async function unseenTranscripts(folder: string, context: HookContext): Promise<string[]> {
  const unseen: string[] = [];
  for (const path of await recentFiles(folder, '.jsonl', context)) {
    // agent-*.jsonl beside a transcript is a sub-agent's (2.0.28-2.1.1), read with its session.
    if (basename(path).startsWith('agent-')) continue;
    if (!(await exists(sessionStatePath(context.paths, basename(path, '.jsonl'))))) unseen.push(path);
  }
  return unseen;
}

/**
 * Files in `folder` ending in `suffix` changed in the last 7 days, newest first. Only a stat each: state files
 * pile up with every session ever run, and reading them all would slow every SessionStart; a session left for
 * longer was resumed through its own hooks or is over.
 */
async function recentFiles(folder: string, suffix: string, context: HookContext): Promise<string[]> {
  const since = context.now().getTime() - CATCH_UP_WINDOW_MS;
  const names = (await readdir(folder).catch(() => [] as string[])).filter((name) => name.endsWith(suffix));
  const found = await Promise.all(
    names.map(async (name) => {
      const path = join(folder, name);
      const info = await stat(path).catch(() => undefined);
      return info?.isFile() && info.mtimeMs >= since ? [{ path, mtimeMs: info.mtimeMs }] : [];
    }),
  );
  return found.flat().sort((a, b) => b.mtimeMs - a.mtimeMs).map((file) => file.path);
}

function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}
