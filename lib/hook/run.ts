import { clientNamed } from '../clients/index.js';
import { CLIENT_NAMES, isClientName, type ClientName } from '../clients/names.js';
import { resolvePaths } from '../paths.js';
import { writeOutput } from '../output.js';
import type { SessionSource } from '../session/facts.js';
import type { SessionServices } from '../session/update.js';
import { noteProblems } from './problems.js';
import type { HookEvent } from './table.js';
import { readHookInput } from './stdin.js';

/** The fields every hook needs; anything else the agent sends passes through untouched. */
interface HookInput {
  session_id: string;
  // Codex sends null when the session keeps no rollout (ephemeral).
  transcript_path?: string | null;
  // Claude Code sends it since 1.0.54.
  cwd?: string;
}

/** A hook's work: the session as its agent named it. Returns text for SessionStart's additionalContext, or nothing. */
export type HookHandler = (source: SessionSource & { sessionKey: string }, services: SessionServices) => Promise<string | undefined>;

/**
 * Runs a hook so that it never gets in Claude Code's way: exit 0 on every path, stdout only for
 * SessionStart's context (the same JSON serves Claude Code and Codex), and every problem in the log file plus one line on stderr.
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
    const client = clientNamed(hookClientName(process.argv.slice(2)));
    const input = checkHookInput(await readInput());
    // The launch folder, where the agent names one: the session's folder even after its shell `cd`s elsewhere.
    const cwd = (client.projectDirEnv && process.env[client.projectDirEnv]) || input.cwd;
    const source = {
      sessionKey: input.session_id,
      client: client.name,
      ...(input.transcript_path ? { transcriptPath: input.transcript_path } : {}),
      ...(cwd ? { cwd } : {}),
    };
    const context = await handle(source, { paths, now: () => new Date(), warn });
    if (context && event === 'SessionStart') {
      writeOutput(1, JSON.stringify({ hookSpecificOutput: { hookEventName: 'SessionStart', additionalContext: context } }));
    }
  } catch (error) {
    problems.push(error);
  }
  await noteProblems(paths, event, problems);
  process.exitCode = 0;
}

/**
 * The agent that runs this hook: the installer registers `--client NAME` after the hook file for every agent but
 * Claude Code, whose hooks (and the plugin's) take no argument. An unknown name is an error the log shows.
 */
export function hookClientName(args: string[]): ClientName | undefined {
  const at = args.indexOf('--client');
  if (at === -1) return undefined;
  const name = args[at + 1];
  if (!isClientName(name)) throw new Error(`hook run with --client ${String(name)}: not one of ${CLIENT_NAMES.join(', ')}; reinstall with 'log-session install --client ...'`);
  return name;
}

/**
 * The agent's input, or an error whose first line says what was wrong with it. Three fields, checked by hand:
 * zod's chunk cost every hook 17% of `node -e 0` to load, for this.
 */
function checkHookInput(value: Record<string, unknown>): HookInput {
  const { session_id: sessionId, transcript_path: transcriptPath, cwd } = value;
  const bad = [
    ...(typeof sessionId === 'string' && sessionId !== '' ? [] : ['session_id']),
    ...(transcriptPath === undefined || transcriptPath === null || typeof transcriptPath === 'string' ? [] : ['transcript_path']),
    ...(cwd === undefined || (typeof cwd === 'string' && cwd !== '') ? [] : ['cwd']),
  ];
  if (bad.length) throw new Error(`hook input lacked or had a bad ${bad.join(', ')} (expected session_id as a string)`);
  return value as unknown as HookInput;
}
