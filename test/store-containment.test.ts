import { execFile } from 'node:child_process';
import { lstat, mkdir, readdir, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { makeHome, runCli, runHookProcess, type TempHome } from './helpers/temp-home.js';

const run = promisify(execFile);

let home: TempHome;
afterEach(async () => home?.remove());

const memoryDir = () => join(home.paths.projectsDir, 'widget');
const outside = () => join(home.dir, 'outside');
const record = (session = 'S1', summary = 'Second session.') => runCli(home, ['record', '--session', session, '--summary', summary]);

/** Everything below `~/outside` and the user's `~/.bashrc`: what they are and hold, to see that nothing changed. */
async function outsideWorld(): Promise<Record<string, string>> {
  const seen: Record<string, string> = {};
  const visit = async (path: string): Promise<void> => {
    const stats = await lstat(path).catch(() => undefined);
    if (!stats) return;
    if (stats.isDirectory()) {
      seen[path] = 'folder';
      for (const name of await readdir(path)) await visit(join(path, name));
    } else if (stats.isFile()) seen[path] = `file ${(await readFile(path)).toString('base64')}`;
    else if (stats.isSymbolicLink()) seen[path] = `link to ${await readlink(path)}`;
    else seen[path] = `special ${stats.mode} ${stats.rdev}`;
  };
  await visit(outside());
  await visit(join(home.dir, '.bashrc'));
  return seen;
}

/** A device node outside memory: our own (root can make one), else /dev/null, which nobody else can replace. */
async function deviceNode(): Promise<string> {
  const node = join(outside(), 'null-device');
  return run('mknod', [node, 'c', '1', '3']).then(
    () => node,
    () => '/dev/null',
  );
}

/** Replaces `path` (a file or folder of the store) by a symbolic link to `target`. */
async function plantLink(path: string, target: string): Promise<void> {
  await rm(path, { recursive: true, force: true });
  await mkdir(join(path, '..'), { recursive: true });
  await symlink(target, path);
}

const refusal = (path: string, kind: 'file' | 'folder') =>
  `${path} is a symbolic link; log-session does not read or write through links inside memory or its state folder: replace it with the ${kind} it points to`;

interface PlantedLink {
  /** Plants the link; returns where it is and what belongs there. */
  plant: () => Promise<{ link: string; kind: 'file' | 'folder' }>;
  /** What the user runs: by default, record. */
  run?: () => Promise<{ code: number; stderr: string }>;
}

/** A link at `at`, where a file or folder of the store belongs, to `to`; a folder it points to is made first. */
function linkRow(at: () => string, to: () => string | Promise<string>, kind: 'file' | 'folder', run?: PlantedLink['run']): PlantedLink {
  return {
    plant: async () => {
      const target = await to();
      if (kind === 'folder') await mkdir(target, { recursive: true });
      await plantLink(at(), target);
      return { link: at(), kind };
    },
    run,
  };
}

const sessionsFile = () => join(memoryDir(), 'sessions.json');
const notes = () => join(outside(), 'notes.txt');

const plantedLinks: Record<string, PlantedLink> = {
  'sessions.json is a link to ~/.bashrc': linkRow(sessionsFile, () => join(home.dir, '.bashrc'), 'file'),
  'sessions.json.bak is a link to a file outside': linkRow(() => `${sessionsFile()}.bak`, notes, 'file'),
  'sessions.json is a link to a device node': linkRow(sessionsFile, deviceNode, 'file'),
  'sessions.json is a link to nothing yet, outside': linkRow(sessionsFile, () => join(outside(), 'new.json'), 'file'),
  'context.json is a link to a file outside': linkRow(() => join(memoryDir(), 'context.json'), notes, 'file', () =>
    runCli(home, ['record', '--session', 'S1', '--summary', 'Second session.', '--focus', 'links']),
  ),
  '.lock is a link to nothing yet, outside': linkRow(() => join(memoryDir(), '.lock'), () => join(outside(), 'lock'), 'file'),
  "the project's folder is a link to a folder outside": linkRow(memoryDir, () => join(outside(), 'project'), 'folder'),
  "the session's state file is a link to a file outside": linkRow(() => join(home.paths.stateDir, 'sessions', 'S1.json'), notes, 'file'),
  "the session's lock is a link to nothing yet, outside": linkRow(() => join(home.paths.stateDir, 'locks', 'S1.lock'), () => join(outside(), 'lock'), 'file'),
  "the state's sessions/ folder is a link to a folder outside": linkRow(() => join(home.paths.stateDir, 'sessions'), () => join(outside(), 'sessions'), 'folder'),
  "the state's locks/ folder is a link to a folder outside": linkRow(() => join(home.paths.stateDir, 'locks'), () => join(outside(), 'locks'), 'folder'),
};

describe('nothing is written outside memory and the state folder, whatever links are planted in them', () => {
  it.each(Object.keys(plantedLinks))('%s: record refuses it in one line (exit 1), and the link and what it points to stay as they were', async (name) => {
    home = await makeHome();
    expect((await record('S0', 'First session.')).code).toBe(0);
    await mkdir(outside());
    await writeFile(join(home.dir, '.bashrc'), 'export EDITOR=vi\n');
    await writeFile(join(outside(), 'notes.txt'), '{"sessions": []}\n');
    const row = plantedLinks[name]!;
    const { link, kind } = await row.plant();
    const before = await outsideWorld();
    const target = await readlink(link);

    const result = await (row.run ?? record)();
    expect(result.stderr).toBe(`log-session record: ${refusal(link, kind)}\n`);
    expect(result.code).toBe(1);
    expect(await outsideWorld()).toEqual(before);
    expect(await readlink(link)).toBe(target);
    expect((await readdir(home.dir)).filter((entry) => entry.startsWith('.bashrc'))).toEqual(['.bashrc']);
  });

  it('a log file that is a link is not written through: the hook still exits 0 and says what went wrong on stderr', async () => {
    home = await makeHome();
    await mkdir(outside());
    await writeFile(join(outside(), 'notes.txt'), 'my notes\n');
    await plantLink(home.paths.logFile, join(outside(), 'notes.txt'));
    const before = await outsideWorld();
    const hook = await runHookProcess(home, 'stop-worker.js', 'not json');
    expect(hook).toMatchObject({ code: 0, stdout: '' });
    expect(hook.stderr).toMatch(/^log-session Stop hook: /);
    expect(await outsideWorld()).toEqual(before);
  });

  it('the reading commands and the SessionStart brief do not read through a planted link: they report it and read it as empty', async () => {
    home = await makeHome();
    expect((await record('S0', 'First session.')).code).toBe(0);
    await mkdir(outside());
    const secret = JSON.stringify({ sessions: [{ id: 'x', summary: 'PRIVATE NOTES FROM OUTSIDE' }] });
    await writeFile(join(outside(), 'private.json'), secret);
    const link = join(memoryDir(), 'sessions.json');
    await plantLink(link, join(outside(), 'private.json'));

    for (const args of [['show'], ['context'], ['recall', 'notes'], ['show', '--project', 'widget']]) {
      const result = await runCli(home, args);
      expect(result.stdout, args.join(' ')).not.toContain('PRIVATE NOTES');
      expect(result.stderr, args.join(' ')).toContain(`log-session: ${refusal(link, 'file')}; it was read as empty`);
    }
    const start = await runHookProcess(home, 'session-start.js', { session_id: 'S2', cwd: home.project, hook_event_name: 'SessionStart', source: 'startup' });
    expect(start.code).toBe(0);
    expect(start.stdout).not.toContain('PRIVATE');
    expect(start.stderr).toContain(refusal(link, 'file'));
    expect(await readFile(join(outside(), 'private.json'), 'utf8')).toBe(secret);
  });

  it("a link among other sessions' state files is neither read nor written through, and SessionStart still gives its brief", async () => {
    home = await makeHome();
    expect((await record('S0', 'First session.')).code).toBe(0);
    await mkdir(outside());
    await writeFile(join(outside(), 'transcript.jsonl'), '{}\n');
    const state = { project: 'widget', cwd: home.project, transcriptPath: join(outside(), 'transcript.jsonl') };
    await writeFile(join(outside(), 'state.json'), JSON.stringify(state));
    await plantLink(join(home.paths.stateDir, 'sessions', 'other.json'), join(outside(), 'state.json'));
    const before = await outsideWorld();
    const start = await runHookProcess(home, 'session-start.js', { session_id: 'S2', cwd: home.project, hook_event_name: 'SessionStart', source: 'startup' });
    expect(start.code).toBe(0);
    expect(start.stdout).toContain('First session.');
    expect(await outsideWorld()).toEqual(before);
  });

  it("a project's folder that is a link is not read through either", async () => {
    home = await makeHome();
    await mkdir(join(outside(), 'project'), { recursive: true });
    await writeFile(join(outside(), 'project', 'sessions.json'), JSON.stringify({ sessions: [{ id: 'x', summary: 'PRIVATE NOTES FROM OUTSIDE' }] }));
    await plantLink(memoryDir(), join(outside(), 'project'));
    const result = await runCli(home, ['show', '--project', 'widget']);
    expect(result.stdout).not.toContain('PRIVATE');
    expect(result.stderr).toContain(`log-session: ${refusal(memoryDir(), 'folder')}; it was read as empty`);
  });
});

describe('links above the store are the user\'s own and keep working', () => {
  const placements: Record<string, (home: TempHome) => Promise<string>> = {
    '~/aiconfig is a link into dotfiles': async (home) => {
      await mkdir(join(home.dir, 'dotfiles', 'aiconfig'), { recursive: true });
      await symlink(join(home.dir, 'dotfiles', 'aiconfig'), home.paths.aiconfigHome);
      return join(home.dir, 'dotfiles', 'aiconfig', 'memory', 'projects', 'widget');
    },
    'memory/projects is a link': async (home) => {
      await mkdir(join(home.dir, 'synced', 'projects'), { recursive: true });
      await mkdir(join(home.paths.aiconfigHome, 'memory'), { recursive: true });
      await symlink(join(home.dir, 'synced', 'projects'), home.paths.projectsDir);
      return join(home.dir, 'synced', 'projects', 'widget');
    },
    'the state folder is reached through a link': async (home) => {
      await mkdir(join(home.dir, 'state-elsewhere'), { recursive: true });
      await mkdir(join(home.dir, '.local'), { recursive: true });
      await symlink(join(home.dir, 'state-elsewhere'), join(home.dir, '.local', 'state'));
      return join(home.paths.projectsDir, 'widget');
    },
  };

  it.each(Object.keys(placements))('%s: record writes every entry where the link leads', async (name) => {
    home = await makeHome();
    const realDir = await placements[name]!(home);
    expect((await record('S0', 'First session.')).stderr).toBe('');
    expect((await record('S1', 'Second session.')).code).toBe(0);
    const { sessions } = JSON.parse(await readFile(join(realDir, 'sessions.json'), 'utf8')) as { sessions: { summary: string }[] };
    expect(sessions.map((session) => session.summary)).toEqual(['First session.', 'Second session.']);
    const shown = await runCli(home, ['show']);
    expect(shown.stderr).toBe('');
    expect(shown.stdout).toContain('Second session.');
  });
});
