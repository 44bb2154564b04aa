import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { noteProblem } from './hook-problem.js';
import { resolvePaths } from './paths.js';

/**
 * Stop runs after every turn, so it only hands its input to a detached worker and exits: Claude Code waits for
 * a process that loads nothing but Node's own modules. The worker (a full `runHook`) does the capture under the
 * lock and reports its problems itself. Deliberately light: this is the per-turn cost.
 */
export async function handOff(workerPath: string): Promise<void> {
  const report = (problem: unknown) => noteProblem(resolvePaths(process.env), 'Stop', problem);
  try {
    // A missing worker would fail where nobody hears it: say so here instead.
    if (!existsSync(workerPath)) throw new Error(`${workerPath} is missing: run 'npm run build' in the log-session folder`);
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    const worker = spawn(process.execPath, [workerPath], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
    worker.on('error', (error) => void report(new Error(`could not start the capture: ${error.message}`, { cause: error })));
    await new Promise<void>((done) => worker.stdin.end(Buffer.concat(chunks), () => done()));
    worker.unref();
  } catch (error) {
    await report(error);
  }
  process.exitCode = 0;
}
