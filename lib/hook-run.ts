import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import { resolvePaths, type Paths } from './paths.js';
import { readStdin } from './stdin.js';

export type HookEvent = 'SessionStart' | 'Stop' | 'SessionEnd';

/** The fields every hook needs; anything else Claude Code sends passes through untouched. */
const hookInputSchema = z.looseObject({
  session_id: z.string().min(1),
  transcript_path: z.string().optional(),
  cwd: z.string().min(1),
  hook_event_name: z.string().optional(),
  source: z.string().optional(),
});
export type HookInput = z.infer<typeof hookInputSchema>;

export interface HookContext {
  paths: Paths;
  now: () => Date;
  /** Something went wrong but the hook carried on (a damaged file kept aside): log it and tell the user once. */
  warn: (message: string) => void;
}

/** Returns text for SessionStart's additionalContext, or nothing. */
export type HookHandler = (input: HookInput, context: HookContext) => Promise<string | undefined>;

/**
 * Runs a hook so that it never gets in Claude Code's way: exit 0 on every path, stdout only for
 * SessionStart's context, and every problem in the log file plus one line on stderr.
 */
export async function runHook(event: HookEvent, handle: HookHandler): Promise<void> {
  const paths = resolvePaths(process.env);
  const warn = (message: string) => void noteProblem(paths, event, message);
  try {
    const input = parseHookInput(await readStdin());
    const context = await handle(input, { paths, now: () => new Date(), warn });
    if (context && event === 'SessionStart') {
      process.stdout.write(JSON.stringify({ hookSpecificOutput: { hookEventName: 'SessionStart', additionalContext: context } }));
    }
  } catch (error) {
    await noteProblem(paths, event, error instanceof Error ? `${error.message}\n${error.stack ?? ''}` : String(error));
  }
  process.exitCode = 0;
}

/** Claude Code's input, or an error whose first line says what was wrong with it. */
function parseHookInput(text: string): HookInput {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`hook input on stdin was not JSON (${(error as Error).message.replace(/\s+/g, " ")})`, { cause: error });
  }
  const result = hookInputSchema.safeParse(value);
  if (result.success) return result.data;
  const fields = [...new Set(result.error.issues.map((issue) => issue.path.join('.') || '(input)'))];
  throw new Error(`hook input lacked or had a bad ${fields.join(', ')} (expected session_id and cwd as strings)`, { cause: result.error });
}

async function noteProblem(paths: Paths, event: HookEvent, detail: string): Promise<void> {
  const firstLine = detail.split('\n')[0] ?? detail;
  process.stderr.write(`log-session ${event} hook: ${firstLine}; see ${paths.logFile}\n`);
  try {
    await mkdir(dirname(paths.logFile), { recursive: true, mode: 0o700 });
    await appendFile(paths.logFile, `${new Date().toISOString()} ${event} ${detail}\n`, { mode: 0o600 });
  } catch {
    // Nowhere left to report to; stderr already has the line.
  }
}
