import { mkdir, readdir, readFile, readlink, rename, symlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readJsonFile } from '../lib/memory/files.js';
import { runCliWithFault } from './helpers/faults.js';
import { makeHome, runCli, type TempHome } from './helpers/temp-home.js';

let home: TempHome;
afterEach(async () => home?.remove());

const memoryDir = () => join(home.paths.projectsDir, 'widget');
const sessionsPath = () => join(memoryDir(), 'sessions.json');
const record = (summary: string) => runCli(home, ['record', '--session', summary, '--summary', summary]);
const summariesIn = async (path: string) =>
  (JSON.parse(await readFile(path, 'utf8')) as { sessions: { summary: string }[] }).sessions.map((session) => session.summary);
const keptAside = async (dir = memoryDir()) => (await readdir(dir)).filter((name) => name.includes('.corrupt-'));

describe('a damaged memory file is recovered with nothing of ours lost', () => {
  it('a record killed right after moving a damaged file aside leaves the next one to go on from the backup', async () => {
    home = await makeHome();
    await record('A');
    await record('B');
    await writeFile(sessionsPath(), '{"sessions": [');
    // The 1st rename moves the damaged file aside; the process is killed at the 2nd, before any new sessions.json.
    const killed = await runCliWithFault(home, ['record', '--session', 'C', '--summary', 'C'], '', { ops: 'rename', at: 2, kill: true });
    expect(killed.code).toBeNull();
    expect(await keptAside()).toHaveLength(1);

    const next = await record('D');
    expect(next.code).toBe(0);
    expect(next.stderr).toContain('sessions.json was missing but its backup was not');
    expect(await summariesIn(sessionsPath())).toEqual(['A', 'B', 'D']);
    expect(await summariesIn(`${sessionsPath()}.bak`)).toEqual(['A', 'B', 'D']);
  });

  it("a temp file a killed writer left is removed by a later write once it is 10 minutes old; a user's dated copy stays", async () => {
    home = await makeHome();
    await record('A');
    await writeFile(`${sessionsPath()}.20261201`, 'my own copy\n');
    // Killed at the rename that would put its new sessions.json in place: its temp file is written whole by then.
    let killed = '';
    for (let at = 1; !/ rename .*sessions\.json\.log-session-[0-9a-f]{8}\.tmp$/m.test(killed) && at < 10; at++) {
      killed = (await runCliWithFault(home, ['record', '--session', `K${at}`, '--summary', 'K'], '', { ops: 'rename', at, kill: true })).stderr;
    }
    const leftBehind = async () => (await readdir(memoryDir())).filter((name) => name.startsWith('sessions.json.log-session-'));
    const [temp] = await leftBehind();
    expect(temp).toMatch(/^sessions\.json\.log-session-[0-9a-f]{8}\.tmp$/);

    // Minutes old at most, it may be a live writer's: it stays.
    expect((await record('B')).code).toBe(0);
    expect(await leftBehind()).toEqual([temp]);
    const elevenMinutesAgo = new Date(Date.now() - 11 * 60_000);
    await utimes(join(memoryDir(), temp!), elevenMinutesAgo, elevenMinutesAgo);
    expect((await record('C')).code).toBe(0);

    expect(await leftBehind()).toEqual([]);
    expect(await readFile(`${sessionsPath()}.20261201`, 'utf8')).toBe('my own copy\n');
    expect(await summariesIn(sessionsPath())).toEqual(['A', 'B', 'C']);
  });

  it('a file damaged from outside is rebuilt from the backup with our last write in it', async () => {
    home = await makeHome();
    await record('A');
    await record('B');
    await writeFile(sessionsPath(), '{"sessions": [');
    expect((await record('C')).code).toBe(0);
    expect(await summariesIn(sessionsPath())).toEqual(['A', 'B', 'C']);
  });

  it('a hand edit saved with a byte order mark is read as it is, not taken for damage', async () => {
    home = await makeHome();
    await record('A');
    const text = (await readFile(sessionsPath(), 'utf8')).replace('"A"', '"A, edited by hand"');
    await writeFile(sessionsPath(), `\uFEFF${text}`);
    const result = await record('B');
    expect(result.stderr).toBe('');
    expect(await keptAside()).toEqual([]);
    expect(await summariesIn(sessionsPath())).toEqual(['A, edited by hand', 'B']);
  });

  it('an item that is not an object is kept as it is, and the rest of the file with it', async () => {
    home = await makeHome();
    await record('A');
    const file = JSON.parse(await readFile(sessionsPath(), 'utf8')) as { sessions: unknown[] };
    file.sessions.push('a note someone left', 42);
    await writeFile(sessionsPath(), JSON.stringify(file));
    const result = await record('B');
    expect(result.stderr).toBe('');
    expect(await keptAside()).toEqual([]);
    const after = JSON.parse(await readFile(sessionsPath(), 'utf8')) as { sessions: unknown[] };
    expect(after.sessions.slice(1)).toEqual(['a note someone left', 42, expect.objectContaining({ summary: 'B' })]);
  });

  it('bytes that are not UTF-8 are kept aside byte for byte instead of being rewritten as U+FFFD', async () => {
    home = await makeHome();
    await record('A');
    await record('B');
    // "café" saved as Latin-1 by some editor: valid JSON, invalid UTF-8.
    const latin1 = Buffer.from((await readFile(sessionsPath(), 'utf8')).replace('"B"', '"caf\u00e9"'), 'latin1');
    await writeFile(sessionsPath(), latin1);
    const result = await record('C');
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/sessions\.json was not valid; kept as/);
    const [kept] = await keptAside();
    expect(await readFile(join(memoryDir(), kept!))).toEqual(latin1);
    expect(await readFile(sessionsPath(), 'utf8')).not.toContain('\uFFFD');
    expect(await summariesIn(sessionsPath())).toEqual(['A', 'B', 'C']);
  });

  it('a symlinked sessions.json is refused, damaged or not: the link and the file it points to stay as they were', async () => {
    home = await makeHome();
    await record('A');
    const dotfiles = join(home.dir, 'dotfiles');
    await mkdir(dotfiles);
    const real = join(dotfiles, 'sessions.json');
    await rename(sessionsPath(), real);
    await symlink(real, sessionsPath());
    const refused = `log-session record: ${sessionsPath()} is a symbolic link; log-session does not read or write through links inside memory or its state folder: replace it with the file it points to\n`;
    const good = await readFile(real);
    expect(await record('B')).toMatchObject({ code: 1, stderr: refused });
    expect(await readFile(real)).toEqual(good);

    const garbage = Buffer.from('{"sessions": [{"summary": "B"');
    await writeFile(real, garbage);
    expect(await record('C')).toMatchObject({ code: 1, stderr: refused });
    expect(await readlink(sessionsPath())).toBe(real);
    expect(await readFile(real)).toEqual(garbage);
    expect(await keptAside(dotfiles)).toEqual([]);
    expect(await keptAside()).toEqual([]);
  });

  it('says what a write went on from: the backup, or nothing when the backup is missing or damaged too', async () => {
    home = await makeHome();
    await mkdir(memoryDir(), { recursive: true });
    const recoveries: string[] = [];
    let second = 0;
    const readDamaged = async (backup: string | undefined) => {
      await writeFile(sessionsPath(), '{"sessions": [');
      if (backup !== undefined) await writeFile(`${sessionsPath()}.bak`, backup);
      const now = new Date(Date.UTC(2026, 0, 1, 0, 0, ++second));
      return readJsonFile(sessionsPath(), 'sessions', (_problem, recovery) => recoveries.push(recovery), now);
    };
    expect(await readDamaged(undefined)).toBeUndefined();
    expect(await readDamaged('{"sessions": [')).toBeUndefined();
    expect(await readDamaged('{"sessions": []}')).toEqual({ sessions: [] });
    expect(recoveries).toEqual([
      'it had no backup, so it went on as if it were empty',
      'its backup (.bak) was damaged too, so it went on as if it were empty',
      'went on from its backup (.bak)',
    ]);
  });
});
