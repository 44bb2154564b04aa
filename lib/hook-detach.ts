import { spawn } from 'node:child_process';

/**
 * Stop runs after every turn, so it only hands its input to a detached worker and exits: Claude Code waits for
 * a process that imports nothing but child_process. The worker (a full `runHook`) does the capture under the
 * lock and reports problems in the log file. Deliberately free of other imports: this is the per-turn cost.
 */
export async function handOff(workerPath: string): Promise<void> {
  try {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    const worker = spawn(process.execPath, [workerPath], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
    worker.on('error', (error) => process.stderr.write(`log-session Stop hook: could not start the capture: ${error.message}\n`));
    await new Promise<void>((done) => worker.stdin.end(Buffer.concat(chunks), () => done()));
    worker.unref();
  } catch (error) {
    process.stderr.write(`log-session Stop hook: ${error instanceof Error ? error.message : String(error)}\n`);
  }
  process.exitCode = 0;
}
