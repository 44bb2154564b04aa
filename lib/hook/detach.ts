import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolvePaths } from '../paths.js';
import { noteProblems } from './problems.js';
import { readHookInput } from './stdin.js';
import type { HookEvent } from './table.js';

/**
 * How the Stop and SessionEnd hooks hand their input to the worker: one environment variable per field (only its owner can read
 * them), so the worker parses nothing. Only the fields the capture reads; the rest (the last answer, background
 * tasks) can be large and is left behind.
 */
const HANDED_FIELDS = { session_id: 'LOG_SESSION_SESSION_ID', transcript_path: 'LOG_SESSION_TRANSCRIPT_PATH', cwd: 'LOG_SESSION_CWD' } as const;

/**
 * Stop runs after every turn, so it only hands its input to a detached worker and exits: Claude Code waits for
 * a process that loads nothing but Node's own modules and opens no pipe. The worker (a full `runHook`) checks
 * the input, does the capture under the lock and reports its problems itself. This is the per-turn cost.
 * SessionEnd hands off the same way: Claude Code cancels a SessionEnd hook still running after 1.5 s (a plugin's
 * timeout does not lift that), and the worker outlives the CLI; the next SessionStart catches up anything cut short.
 */
export async function handOff(event: HookEvent, workerPath: string): Promise<void> {
  const report = (problem: unknown) => noteProblems(resolvePaths(process.env), event, [problem]);
  try {
    // A missing worker would fail where nobody hears it: say so here instead.
    if (!existsSync(workerPath)) throw new Error(`${workerPath} is missing: run 'npm run build' in the log-session folder`);
    const input = await readHookInput();
    const handed: Record<string, string> = {};
    for (const [field, name] of Object.entries(HANDED_FIELDS)) {
      if (typeof input[field] === 'string') handed[name] = input[field];
    }
    // Present but not a string: the worker's check names the field.
    if (typeof input.session_id !== 'string') handed[HANDED_FIELDS.session_id] = '';
    // The hook's own arguments (`--client codex`) go along: the worker reads them as the hook would.
    const worker = spawn(process.execPath, [workerPath, ...process.argv.slice(2)], { detached: true, stdio: 'ignore', env: { ...process.env, ...handed } });
    worker.on('error', (error) => void report(new Error(`could not start the capture: ${error.message}`, { cause: error })));
    worker.unref();
  } catch (error) {
    await report(error);
  }
  process.exitCode = 0;
}

/** The worker's input: what the hook handed over, else stdin (the worker run by hand, or by tests). */
export async function readHandedInput(): Promise<Record<string, unknown>> {
  if (process.env[HANDED_FIELDS.session_id] === undefined) return readHookInput();
  const input: Record<string, unknown> = {};
  for (const [field, name] of Object.entries(HANDED_FIELDS)) {
    const value = process.env[name];
    if (value !== undefined) input[field] = value;
    // Not passed on to git and the other processes the capture starts.
    delete process.env[name];
  }
  return input;
}
