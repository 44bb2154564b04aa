import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { lstat, mkdir, open, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { withLock } from '../lib/memory/lock.js';
import { startCli } from './helpers/faults.js';
import { makeHome, runCli, runHookProcess, type TempHome } from './helpers/temp-home.js';

const run = promisify(execFile);

let home: TempHome;
const fifos: string[] = [];
afterEach(async () => {
  // A process stuck on a FIFO (the failure these tests look for) is let go: a reader and a writer open it, then close.
  for (const fifo of fifos.splice(0)) await open(fifo, constants.O_RDWR | constants.O_NONBLOCK).then((handle) => handle.close(), () => undefined);
  await home?.remove();
});

const memoryDir = () => join(home.paths.projectsDir, 'widget');
const record = (session = 'S1', summary = 'Second session.') => runCli(home, ['record', '--session', session, '--summary', summary]);

/** Puts a FIFO at `path` (replacing what is there). */
async function plantFifo(path: string): Promise<void> {
  await rm(path, { recursive: true, force: true });
  await mkdir(dirname(path), { recursive: true });
  await run('mkfifo', [path]);
  fifos.push(path);
}

/** A home with one session recorded, then a FIFO at its sessions.json; the FIFO's path. */
async function fifoAtSessions(): Promise<string> {
  home = await makeHome();
  expect((await record('S0', 'First session.')).code).toBe(0);
  const path = join(memoryDir(), 'sessions.json');
  await plantFifo(path);
  return path;
}

async function plantFile(path: string): Promise<void> {
  await rm(path, { recursive: true, force: true });
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, 'not a folder\n');
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** What `path` is, as `ls -l` would tell it. */
async function kindOf(path: string): Promise<string> {
  const stats = await lstat(path);
  return stats.isFIFO() ? 'fifo' : stats.isDirectory() ? 'folder' : stats.isFile() ? 'file' : stats.isCharacterDevice() ? 'device' : 'other';
}

interface Planted {
  /**
   * Plants the thing; returns what the message says: "<path> is <what> where log-session keeps a <kind>", and the
   * code of the failed call when it was found above the path log-session wanted.
   */
  plant: () => Promise<{ path: string; what: string; kind: 'file' | 'folder'; code?: string }>;
}

const fifoAt = (path: () => string): Planted => ({
  plant: async () => {
    await plantFifo(path());
    return { path: path(), what: 'a named pipe (FIFO)', kind: 'file' };
  },
});

const planted: Record<string, Planted> = {
  'a FIFO at sessions.json': fifoAt(() => join(memoryDir(), 'sessions.json')),
  'a FIFO at sessions.json.bak': fifoAt(() => join(memoryDir(), 'sessions.json.bak')),
  'a FIFO at the project lock': fifoAt(() => join(memoryDir(), '.lock')),
  "a FIFO at the session's state": fifoAt(() => join(home.paths.stateDir, 'sessions', 'S1.json')),
  "a FIFO at the session's lock": fifoAt(() => join(home.paths.stateDir, 'locks', 'S1.lock')),
  'a folder at sessions.json': {
    plant: async () => {
      const path = join(memoryDir(), 'sessions.json');
      await rm(path);
      await mkdir(join(path, 'inside'), { recursive: true });
      return { path, what: 'a folder', kind: 'file' };
    },
  },
  "a file at the project's folder": {
    plant: async () => {
      await plantFile(memoryDir());
      return { path: memoryDir(), what: 'a file', kind: 'folder' };
    },
  },
  'a file at memory/projects': {
    plant: async () => {
      await plantFile(home.paths.projectsDir);
      return { path: home.paths.projectsDir, what: 'a file', kind: 'folder', code: 'ENOTDIR' };
    },
  },
  "a file at the state's sessions/ folder": {
    plant: async () => {
      const path = join(home.paths.stateDir, 'sessions');
      await plantFile(path);
      return { path, what: 'a file', kind: 'folder' };
    },
  },
};

describe('a special file or a folder where a file belongs (or the reverse) is refused at once, never waited on', () => {
  it.each(Object.keys(planted))('%s: record says so in one line and exits 1, and leaves it as it was', async (name) => {
    home = await makeHome();
    expect((await record('S0', 'First session.')).code).toBe(0);
    const { path, what, kind, code } = await planted[name]!.plant();
    const before = await kindOf(path);
    const result = await record();
    expect(result.stderr).toBe(`log-session record: ${path} is ${what} where log-session keeps a ${kind}: move it away${code ? ` (${code})` : ''}\n`);
    expect(result.code).toBe(1);
    expect(await kindOf(path)).toBe(before);
  });

  it('a device node at sessions.json is refused and stays a device node', async () => {
    home = await makeHome();
    expect((await record('S0', 'First session.')).code).toBe(0);
    const path = join(memoryDir(), 'sessions.json');
    await rm(path);
    const made = await run('mknod', [path, 'c', '1', '3']).then(
      () => true,
      () => false,
    );
    // Only root can make a device node; elsewhere the FIFO rows above cover the same refusal.
    if (!made) return;
    const result = await record();
    expect(result.stderr).toBe(`log-session record: ${path} is a device node where log-session keeps a file: move it away\n`);
    expect(result.code).toBe(1);
    expect(await kindOf(path)).toBe('device');
  });

  it('with a FIFO at sessions.json, every hook still finishes and says why, and the next turn is not kept waiting for the lock', async () => {
    const path = await fifoAtSessions();
    const said = `${path} is a named pipe (FIFO) where log-session keeps a file: move it away`;
    const input = { session_id: 'S1', cwd: home.project };
    for (const [file, event] of [
      ['stop-worker.js', 'Stop'],
      ['stop-worker.js', 'Stop'],
      ['session-end-worker.js', 'SessionEnd'],
      ['session-start.js', 'SessionStart'],
    ] as const) {
      const hook = await runHookProcess(home, file, { ...input, hook_event_name: event });
      expect(hook.code, file).toBe(0);
      expect(hook.stderr, file).toMatch(new RegExp(`^log-session ${event} hook: .*${escapeRegExp(said)}`));
      expect(hook.stderr.trim().split('\n'), file).toHaveLength(1);
    }
    expect(await readFile(home.paths.logFile, 'utf8')).toContain(said);
    expect(await kindOf(path)).toBe('fifo');
  });

  it('with a FIFO at sessions.json, show and context answer at once and report it', async () => {
    const path = await fifoAtSessions();
    for (const command of ['show', 'context']) {
      const result = await runCli(home, [command]);
      expect(result.code, command).toBe(0);
      expect(result.stderr, command).toContain(`log-session: ${path} is a named pipe (FIFO) where log-session keeps a file: move it away; it was read as empty`);
    }
  });
});

describe('a lock wait that gives up says who holds the lock', () => {
  it('names the lock, and the pid and command of the log-session process holding it', async () => {
    home = await makeHome();
    expect((await record('S0', 'First session.')).code).toBe(0);
    const lock = join(memoryDir(), '.lock');
    // Stalled at its first rename (the session's entry id being saved), a record holds the project lock.
    const holder = startCli(home, ['record', '--session', 'S1', '--summary', 'Held.'], '', { ops: 'rename', stallAt: 1 });
    await holder.until(/^STALLED /);
    const waited = await withLock(lock, { timeoutMs: 100 }, async () => 'taken').catch((error: Error) => error.message);
    const pid = holder.pid;
    expect(await holder.kill()).toBeNull();
    expect(waited).toMatch(
      new RegExp(`^waited 0.1 s for the lock ${escapeRegExp(lock)}, held by pid ${pid} \\(cli\\.js record, since \\d{4}-[\\d-]+T[\\d:.]+Z\\); if that process is stuck, end it, then run this again$`),
    );
  });
});
