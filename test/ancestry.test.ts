import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readAncestors, readHookRunner } from '../lib/ancestry.js';

let proc: string;
beforeEach(async () => {
  proc = await mkdtemp(join(tmpdir(), 'log-session-proc-'));
});
afterEach(async () => rm(proc, { recursive: true, force: true }));

/** A process in the fake /proc: its stat line as Linux writes it (start time is field 22) and its command line. */
async function plant(pid: number, ppid: number, start: number, argv: string[] = ['node'], name = argv[0]!): Promise<void> {
  await mkdir(join(proc, String(pid)), { recursive: true });
  const rest = ['S', ppid, pid, pid, 0, -1, 4194560, 0, 0, 0, 0, 0, 0, 0, 0, 20, 0, 1, 0, start, 1000, 50];
  await writeFile(join(proc, String(pid), 'stat'), `${pid} (${name}) ${rest.join(' ')}\n`);
  await writeFile(join(proc, String(pid), 'cmdline'), `${argv.join('\0')}\0`);
}

const HOOK = '/opt/log-session/dist/hooks/session-start.js';

describe('readAncestors', () => {
  it('lists the parent first, up to the top, with each start time; a name with spaces and parentheses is read right', async () => {
    await plant(1, 0, 1, ['/sbin/init']);
    await plant(40, 1, 100, ['bash']);
    await plant(50, 40, 200, ['gemini'], 'node) (x');
    await plant(60, 50, 300, ['node', 'cli.js', 'record']);
    expect(readAncestors(proc, 60)).toEqual([
      { pid: 50, start: 200 },
      { pid: 40, start: 100 },
      { pid: 1, start: 1 },
    ]);
  });

  it('stops where a parent pid is held by a process that started after the child (the parent died, its pid reused)', async () => {
    await plant(1, 0, 1, ['/sbin/init']);
    await plant(40, 1, 900, ['later']);
    await plant(50, 40, 200, ['gemini']);
    await plant(60, 50, 300, ['record']);
    expect(readAncestors(proc, 60)).toEqual([{ pid: 50, start: 200 }]);
  });

  it('is empty where /proc cannot be read, or the process is not there', async () => {
    expect(readAncestors(join(proc, 'missing'), 60)).toEqual([]);
    expect(readAncestors(proc, 60)).toEqual([]);
  });

  it('reads the real /proc: this process descends from its parent', async () => {
    const [parent] = readAncestors('/proc', process.pid);
    expect(parent?.pid).toBe(process.ppid);
  });
});

describe('readHookRunner', () => {
  it('is the parent when the agent ran the hook directly (the shell exec-ed it)', async () => {
    await plant(50, 1, 200, ['node', '/usr/lib/gemini/bundle/gemini.js']);
    await plant(70, 50, 400, ['node', HOOK, '--client', 'gemini']);
    expect(readHookRunner(proc, 70, HOOK)).toEqual({ pid: 50, start: 200 });
  });

  it("is the shell's parent when the parent is the shell that runs the hook's command", async () => {
    await plant(50, 1, 200, ['node', '/usr/lib/gemini/bundle/gemini.js']);
    await plant(65, 50, 350, ['bash', '-c', `node "${HOOK}" --client gemini | cat`]);
    await plant(70, 65, 400, ['node', HOOK, '--client', 'gemini']);
    expect(readHookRunner(proc, 70, HOOK)).toEqual({ pid: 50, start: 200 });
  });

  it('is undefined where /proc cannot be read', async () => {
    expect(readHookRunner(join(proc, 'missing'), 70, HOOK)).toBeUndefined();
  });
});
