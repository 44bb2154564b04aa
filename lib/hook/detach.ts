import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { errorCode } from '../errors.js';
import { noteProblems } from './problems.js';
import { resolvePaths } from '../paths.js';
import { parseHookJson, readStdin } from './stdin.js';

/** How the Stop hook hands its input to the worker: an environment variable, which only its owner can read. */
const HANDED_INPUT = 'LOG_SESSION_HOOK_INPUT';
/** The input the capture reads; the rest (the last answer, background tasks) can be large and is left behind. */
const HANDED_FIELDS = ['session_id', 'transcript_path', 'cwd', 'hook_event_name'];

/**
 * Stop runs after every turn, so it only hands its input to a detached worker and exits: Claude Code waits for
 * a process that loads nothing but Node's own modules and opens no pipe. The worker (a full `runHook`) checks
 * the input, does the capture under the lock and reports its problems itself. This is the per-turn cost.
 */
export async function handOff(workerPath: string): Promise<void> {
  const report = (problem: unknown) => noteProblems(resolvePaths(process.env), 'Stop', [problem]);
  try {
    // A missing worker would fail where nobody hears it: say so here instead.
    if (!existsSync(workerPath)) throw new Error(`${workerPath} is missing: run 'npm run build' in the log-session folder`);
    const input = parseHookJson(await readInputAtOnce());
    const handed = JSON.stringify(Object.fromEntries(HANDED_FIELDS.filter((key) => key in input).map((key) => [key, input[key]])));
    const worker = spawn(process.execPath, [workerPath], { detached: true, stdio: 'ignore', env: { ...process.env, [HANDED_INPUT]: handed } });
    worker.on('error', (error) => void report(new Error(`could not start the capture: ${error.message}`, { cause: error })));
    worker.unref();
  } catch (error) {
    await report(error);
  }
  process.exitCode = 0;
}

/** The worker's input: what the Stop hook handed over, else stdin (the worker run by hand, or by tests). */
export async function readHandedInput(): Promise<string> {
  const handed = process.env[HANDED_INPUT];
  if (handed === undefined) return readStdin();
  // Not passed on to git and the other processes the capture starts.
  delete process.env[HANDED_INPUT];
  return handed;
}

/** stdin in one blocking read, which skips setting up a stream; a non-blocking stdin (EAGAIN) is streamed. */
async function readInputAtOnce(): Promise<string> {
  try {
    return readFileSync(0, 'utf8');
  } catch (error) {
    if (errorCode(error) !== 'EAGAIN') throw error;
    return readStdin();
  }
}
