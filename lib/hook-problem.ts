import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Paths } from './paths.js';

export type HookEvent = 'SessionStart' | 'Stop' | 'SessionEnd';

/** A hook's problem: its first line on stderr, the whole of it (stack included) in the log file. */
export async function noteProblem(paths: Paths, event: HookEvent, problem: unknown): Promise<void> {
  const detail = problem instanceof Error ? `${problem.message}\n${problem.stack ?? ''}` : String(problem);
  const firstLine = detail.split('\n')[0] ?? detail;
  process.stderr.write(`log-session ${event} hook: ${firstLine}; see ${paths.logFile}\n`);
  try {
    await mkdir(dirname(paths.logFile), { recursive: true, mode: 0o700 });
    await appendFile(paths.logFile, `${new Date().toISOString()} ${event} ${detail}\n`, { mode: 0o600 });
  } catch {
    // Nowhere left to report to; stderr already has the line.
  }
}
