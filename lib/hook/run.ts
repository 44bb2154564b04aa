import { resolvePaths } from '../paths.js';
import type { SessionSource } from '../session/facts.js';
import type { SessionServices } from '../session/update.js';
import { noteProblems } from './problems.js';
import type { HookEvent } from './table.js';
import { readHookInput } from './stdin.js';

/** The fields every hook needs; anything else Claude Code sends passes through untouched. */
interface HookInput {
  session_id: string;
  transcript_path?: string;
  // Claude Code sends it since 1.0.54.
  cwd?: string;
}

/** A hook's work: the session as Claude Code named it. Returns text for SessionStart's additionalContext, or nothing. */
export type HookHandler = (source: SessionSource & { sessionKey: string }, services: SessionServices) => Promise<string | undefined>;

/**
 * Runs a hook so that it never gets in Claude Code's way: exit 0 on every path, stdout only for
 * SessionStart's context, and every problem in the log file plus one line on stderr.
 */
export async function runHook(
  event: HookEvent,
  handle: HookHandler,
  readInput: () => Promise<Record<string, unknown>> = readHookInput,
): Promise<void> {
  const paths = resolvePaths(process.env);
  const problems: unknown[] = [];
  const warn = (message: string) => void problems.push(message);
  try {
    const input = checkHookInput(await readInput());
    // The launch folder stays put when the shell `cd`s into a sub-package, which must not move the session.
    const cwd = process.env.CLAUDE_PROJECT_DIR || input.cwd;
    const source = { sessionKey: input.session_id, transcriptPath: input.transcript_path, ...(cwd ? { cwd } : {}) };
    const context = await handle(source, { paths, now: () => new Date(), warn });
    if (context && event === 'SessionStart') {
      process.stdout.write(JSON.stringify({ hookSpecificOutput: { hookEventName: 'SessionStart', additionalContext: context } }));
    }
  } catch (error) {
    problems.push(error);
  }
  await noteProblems(paths, event, problems);
  process.exitCode = 0;
}

/**
 * Claude Code's input, or an error whose first line says what was wrong with it. Three fields, checked by hand:
 * zod's chunk cost every hook 17% of `node -e 0` to load, for this.
 */
function checkHookInput(value: Record<string, unknown>): HookInput {
  const { session_id: sessionId, transcript_path: transcriptPath, cwd } = value;
  const bad = [
    ...(typeof sessionId === 'string' && sessionId !== '' ? [] : ['session_id']),
    ...(transcriptPath === undefined || typeof transcriptPath === 'string' ? [] : ['transcript_path']),
    ...(cwd === undefined || (typeof cwd === 'string' && cwd !== '') ? [] : ['cwd']),
  ];
  if (bad.length) throw new Error(`hook input lacked or had a bad ${bad.join(', ')} (expected session_id as a string)`);
  return value as unknown as HookInput;
}
