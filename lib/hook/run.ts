import * as z from 'zod/mini';
import { noteProblems, type HookEvent } from './problems.js';
import { resolvePaths, type Paths } from '../paths.js';
import { parseHookJson, readStdin } from './stdin.js';
import { transcriptCwd } from '../clients/claude-code/read.js';

/** The fields every hook needs; anything else Claude Code sends passes through untouched. */
const hookInputSchema = z.looseObject({
  session_id: z.string().check(z.minLength(1)),
  transcript_path: z.optional(z.string()),
  // Claude Code sends it since 1.0.54.
  cwd: z.optional(z.string().check(z.minLength(1))),
  hook_event_name: z.optional(z.string()),
  source: z.optional(z.string()),
});
type SentInput = z.infer<typeof hookInputSchema>;
/** Claude Code's input, its `cwd` made the folder the session belongs to (see sessionFolder). */
export type HookInput = SentInput & { cwd: string };

export interface HookContext {
  paths: Paths;
  now: () => Date;
  /** Something went wrong but the hook carried on (a damaged file kept aside): logged, and said in the hook's one stderr line. */
  warn: (message: string) => void;
}

/** Returns text for SessionStart's additionalContext, or nothing. */
export type HookHandler = (input: HookInput, context: HookContext) => Promise<string | undefined>;

/**
 * Runs a hook so that it never gets in Claude Code's way: exit 0 on every path, stdout only for
 * SessionStart's context, and every problem in the log file plus one line on stderr.
 */
export async function runHook(event: HookEvent, handle: HookHandler, readInput: () => Promise<string> = readStdin): Promise<void> {
  const paths = resolvePaths(process.env);
  const problems: unknown[] = [];
  const warn = (message: string) => void problems.push(message);
  try {
    const parsed = parseHookInput(await readInput());
    const input = { ...parsed, cwd: await sessionFolder(parsed, process.env.CLAUDE_PROJECT_DIR) };
    const context = await handle(input, { paths, now: () => new Date(), warn });
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
 * `CLAUDE_PROJECT_DIR`, the folder Claude Code was started in: unlike the input's cwd it stays put when the shell
 * `cd`s into a sub-package, which must not move the session to another project. Else the input's cwd; else
 * (Claude Code before 1.0.54 sent neither) the folder the transcript started in; else ours.
 */
async function sessionFolder(input: SentInput, launchFolder: string | undefined): Promise<string> {
  if (launchFolder) return launchFolder;
  if (input.cwd) return input.cwd;
  return (input.transcript_path && (await transcriptCwd(input.transcript_path))) || process.cwd();
}

/** Claude Code's input, or an error whose first line says what was wrong with it. */
function parseHookInput(text: string): SentInput {
  const result = hookInputSchema.safeParse(parseHookJson(text));
  if (result.success) return result.data;
  const fields = [...new Set(result.error.issues.map((issue) => issue.path.join('.') || '(input)'))];
  throw new Error(`hook input lacked or had a bad ${fields.join(', ')} (expected session_id as a string)`, { cause: result.error });
}
