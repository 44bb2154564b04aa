import { spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { builtCli, makeHome, runCli, type TempHome } from './helpers/temp-home.js';

let home: TempHome;
afterEach(async () => home?.remove());

const sessionsPath = () => join(home.paths.projectsDir, 'widget', 'sessions.json');
const entry = (n: number) => JSON.stringify({ summary: `session number ${n}`, follow_up: [`task ${n}`] });

async function readSummaries(): Promise<string[]> {
  const text = await readFile(sessionsPath(), 'utf8').catch(() => undefined);
  if (text === undefined) return [];
  // Throws if a crash ever left a torn file: that is the failure this suite looks for.
  const { sessions } = JSON.parse(text) as { sessions: { summary: string; id: string }[] };
  return sessions.map((s) => s.summary);
}

/** Starts `record` and SIGKILLs it after `killAfterMs`; resolves with its exit code, or null when it was killed. */
function recordKilledAfter(n: number, killAfterMs: number): Promise<number | null> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [builtCli, 'record', '--session', `K${n}`], {
      cwd: home.project,
      env: home.env,
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      done(code);
    });
    child.stdin.end(entry(n));
  });
}

describe('memory survives concurrency and crashes', () => {
  it('20 record processes started together leave 20 entries with unique ids', async () => {
    home = await makeHome();
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, n) => runCli(home, ['record', '--session', `S${n}`], entry(n))),
    );
    expect(results.map((r) => r.code)).toEqual(Array(20).fill(0));
    const { sessions } = JSON.parse(await readFile(sessionsPath(), 'utf8')) as { sessions: { id: string; summary: string }[] };
    expect(sessions).toHaveLength(20);
    expect(new Set(sessions.map((s) => s.id)).size).toBe(20);
    expect(new Set(sessions.map((s) => s.summary))).toEqual(new Set(Array.from({ length: 20 }, (_, n) => `session number ${n}`)));
  });

  it('writers SIGKILLed at 60 random moments never leave a torn file nor lose a finished entry', async () => {
    home = await makeHome();
    const finished: string[] = [];
    let killed = 0;
    // A writer lives ~100-250 ms; kill delays spread over its whole life (start-up, lock wait, write, rename).
    for (let n = 0; killed < 60 && n < 400; n++) {
      // Two at a time, so kills also land while another writer holds the lock.
      const [a, b] = await Promise.all([recordKilledAfter(2 * n, 30 + Math.random() * 200), recordKilledAfter(2 * n + 1, 30 + Math.random() * 200)]);
      for (const [code, id] of [[a, 2 * n], [b, 2 * n + 1]] as const) {
        if (code === 0) finished.push(`session number ${id}`);
        else killed++;
      }
      const summaries = await readSummaries();
      for (const summary of finished) expect(summaries).toContain(summary);
    }
    expect(killed).toBeGreaterThanOrEqual(60);
    expect(finished.length).toBeGreaterThan(0);
    // A killed writer's lock is released by the kernel: the next one gets through at once.
    const after = await runCli(home, ['record', '--session', 'final'], entry(999));
    expect(after.code).toBe(0);
    expect(await readSummaries()).toContain('session number 999');
    const leftovers = (await readdir(join(home.paths.projectsDir, 'widget'))).filter((name) => name.includes('corrupt'));
    expect(leftovers).toEqual([]);
  });
});
