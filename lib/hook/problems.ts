import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { appendStoreFile } from '../memory/store-file.js';
import { writeOutput } from '../output.js';
import type { Paths } from '../paths.js';
import type { HookEvent } from './table.js';

/**
 * What went wrong in one hook run: each problem in full (stack included) in the log file, and one line on stderr
 * however many there were, so Claude Code's output is not flooded. Both redacted, like everything on disk.
 */
export async function noteProblems(paths: Paths, event: HookEvent, problems: unknown[]): Promise<void> {
  if (problems.length === 0) return;
  // Loaded only when there is something to say: the Stop hook runs after every turn. Messages quote paths and input,
  // so without it (a build missing its lazily loaded files) they are not said at all.
  const redactor = await import('../redact.js').catch(() => undefined);
  if (!redactor) {
    tell(`log-session ${event} hook: ${problems.length} problem(s) not shown, as their redaction could not be loaded: log-session's build is incomplete; reinstall it\n`);
    return;
  }
  const details = problems.map((problem) => redactor.redactSecrets(problem instanceof Error ? `${problem.message}\n${problem.stack ?? ''}` : String(problem)));
  const more = details.length > 1 ? ` (and ${details.length - 1} more)` : '';
  tell(`log-session ${event} hook: ${details[0]!.split('\n')[0]}${more}; see ${paths.logFile}\n`);
  try {
    mkdirSync(dirname(paths.logFile), { recursive: true, mode: 0o700 });
    const at = new Date().toISOString();
    appendStoreFile(paths.logFile, details.map((detail) => `${at} ${event} ${detail}\n`).join(''));
  } catch {
    // Nowhere left to report to; stderr had its chance.
  }
}

/** The one stderr line, where stderr takes it: one that fails (a full disk behind it) must not fail the hook, nor its log. */
function tell(line: string): void {
  try {
    writeOutput(2, line);
  } catch {
    // The log file still gets the problem.
  }
}
