import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { builtCli, repoRoot, type TempHome } from './temp-home.js';

const failFs = join(repoRoot, 'test', 'helpers', 'fail-fs.cjs');

/** The fs calls the preload counts: those on memory (`~/aiconfig/`) and on session state (`~/.local/state/`). */
const memoryAndState = '/aiconfig/|/\\.local/state/';

/** An fs call to go wrong in a real process: the `at`-th of the calls named in `ops` on memory or state. */
export interface Fault {
  at: number;
  /** Comma-separated fs calls to count, e.g. 'rename,mkdir'. */
  ops: string;
  /** Stall at that call and SIGKILL the process there, instead of failing the call with ENOSPC. */
  kill?: boolean;
  /** That call, a write, stops part-way as on a disk that just filled up; later writes to its file fail with ENOSPC. */
  short?: boolean;
  /** The error code the call fails with (default ENOSPC). */
  code?: string;
}

/** Where a process started by `startCli` stops (see fail-fs.cjs); calls are counted as in `Fault`. */
export interface Holds {
  ops: string;
  /** Stall for good at this call (`STALLED n op path`), to be killed there. */
  stallAt?: number;
  /** Wait before each of these calls (`PAUSED n op path`) until `resume()`. */
  pauseAt?: number[];
}

/** A log-session process with fail-fs.cjs preloaded, and what a test needs to time a kill by its events. */
export interface CliProcess {
  /**
   * The first line on stderr, already written or still to come, that matches `pattern`: the preload's events
   * (`STALLED`, `PAUSED`, and `DONE n op path` after each counted call). Rejects if the process ends without it.
   */
  until(pattern: RegExp): Promise<string>;
  /** Lets the process go on from the call it is paused at. */
  resume(): void;
  /** SIGKILLs the process (if it still runs); its exit code, null when killed. */
  kill(): Promise<number | null>;
  /** Its exit code once it ends, null when killed. */
  exit: Promise<number | null>;
  /** The lines of stderr read so far. */
  lines(): string[];
  pid: number;
}

/** Starts the built CLI as `runCli` does, with fail-fs.cjs holding it where `holds` says, and every counted call traced. */
export function startCli(home: TempHome, args: string[], input: string, holds: Holds): CliProcess {
  return startWithPreload(home, args, input, {
    FAIL_OPS: holds.ops,
    FAIL_TRACE: '1',
    ...(holds.stallAt === undefined ? {} : { FAIL_N: String(holds.stallAt), FAIL_HANG: '1' }),
    ...(holds.pauseAt?.length ? { FAIL_PAUSE: holds.pauseAt.join(',') } : {}),
  });
}

/**
 * Runs the built CLI as `runCli` does, with `fault` injected (see fail-fs.cjs). Resolves with the exit
 * code (null when killed), its stderr and, for `at: 0`, which fails nothing, the number of calls counted.
 */
export async function runCliWithFault(
  home: TempHome,
  args: string[],
  input: string,
  fault: Fault,
): Promise<{ code: number | null; calls: number; stderr: string }> {
  const countFile = join(home.dir, 'fs-calls');
  const run = startWithPreload(home, args, input, {
    FAIL_N: String(fault.at),
    FAIL_OPS: fault.ops,
    FAIL_COUNT_FILE: countFile,
    ...(fault.kill ? { FAIL_HANG: '1' } : {}),
    ...(fault.short ? { FAIL_SHORT: '1' } : {}),
    ...(fault.code ? { FAIL_CODE: fault.code } : {}),
  });
  // A process stalled at its call is killed there; one that ends first (the call never came) is not waited for.
  if (fault.kill && fault.at > 0) await run.until(/^STALLED /).then(() => run.kill(), () => undefined);
  const code = await run.exit;
  const stderr = run.lines().map((line) => `${line}\n`).join('');
  if (fault.at > 0) return { code, calls: fault.at, stderr };
  return { code, calls: Number(await readFile(countFile, 'utf8')), stderr };
}

/** Tells each started process's resume file from the others'. */
let started = 0;

function startWithPreload(home: TempHome, args: string[], input: string, faultEnv: Record<string, string>): CliProcess {
  const resumeFile = join(home.dir, `fail-fs-resume-${++started}`);
  const child = spawn(process.execPath, ['--require', failFs, builtCli, ...args], {
    cwd: home.project,
    env: { ...home.env, FAIL_PATHS: memoryAndState, FAIL_RESUME_FILE: resumeFile, ...faultEnv },
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  const lines: string[] = [];
  const waiting = new Set<{ pattern: RegExp; found: (line: string) => void; ended: (error: Error) => void }>();
  let partial = '';
  let ended = false;
  const describe = () => `${args.join(' ')} (${Object.entries(faultEnv).map(([key, value]) => `${key}=${value}`).join(' ')})`;

  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) {
      lines.push(line);
      for (const waiter of waiting) {
        if (!waiter.pattern.test(line)) continue;
        waiting.delete(waiter);
        waiter.found(line);
      }
    }
  });
  // Killed before it read its input: the pipe breaks, and the exit code already says what happened.
  child.stdin.on('error', () => {});
  const exit = new Promise<number | null>((done, fail) => {
    child.on('error', fail);
    // 'close', not 'exit': every line of stderr has been read by then.
    child.on('close', (code) => {
      ended = true;
      for (const waiter of waiting) {
        waiter.ended(new Error(`${describe()} ended (exit ${code}) before writing ${waiter.pattern}; its stderr:\n${lines.join('\n')}`));
      }
      waiting.clear();
      done(code);
    });
  });
  child.stdin.end(input);

  return {
    until(pattern) {
      const line = lines.find((seen) => pattern.test(seen));
      if (line !== undefined) return Promise.resolve(line);
      if (ended) return Promise.reject(new Error(`${describe()} ended before writing ${pattern}; its stderr:\n${lines.join('\n')}`));
      return new Promise((found, fail) => waiting.add({ pattern, found, ended: fail }));
    },
    resume() {
      writeFileSync(resumeFile, '');
    },
    kill() {
      if (!ended) child.kill('SIGKILL');
      return exit;
    },
    exit,
    lines: () => [...lines],
    pid: child.pid!,
  };
}
