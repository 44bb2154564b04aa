import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { builtCli, repoRoot, type TempHome } from './temp-home.js';

const failFs = join(repoRoot, 'test', 'helpers', 'fail-fs.cjs');

/** An fs call to go wrong in a real process: the `at`-th of the calls named in `ops` on memory or state. */
export interface Fault {
  at: number;
  /** Comma-separated fs calls to count, e.g. 'rename,mkdir'. */
  ops: string;
  /** Stall at that call and SIGKILL the process there, instead of failing the call with ENOSPC. */
  kill?: boolean;
}

/**
 * Runs the built CLI as `runCli` does, with `fault` injected (see fail-fs.cjs). Resolves with the exit
 * code (null when killed) and, for `at: 0`, which fails nothing, the number of calls counted.
 */
export function runCliWithFault(home: TempHome, args: string[], input: string, fault: Fault): Promise<{ code: number | null; calls: number }> {
  const countFile = join(home.dir, 'fs-calls');
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['--require', failFs, builtCli, ...args], {
      cwd: home.project,
      env: {
        ...home.env,
        FAIL_N: String(fault.at),
        FAIL_OPS: fault.ops,
        FAIL_PATHS: '/aiconfig/|/\\.local/state/',
        FAIL_COUNT_FILE: countFile,
        ...(fault.kill ? { FAIL_HANG: '1' } : {}),
      },
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('STALLED')) child.kill('SIGKILL');
    });
    child.on('error', fail);
    child.on('exit', (code) => {
      if (fault.at > 0) return done({ code, calls: fault.at });
      readFile(countFile, 'utf8').then((text) => done({ code, calls: Number(text) }), fail);
    });
    child.stdin.end(input);
  });
}
