import { rename, rm, writeFile, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startSession } from '../lib/session/start.js';
import { captureSession } from '../lib/session/turn.js';
import type { SessionServices } from '../lib/session/update.js';
import { commitFiles, git, makeHome, pastStartSnapshot, runCli, type TempHome } from './helpers/temp-home.js';
import { transcript, type TranscriptBuilder } from './helpers/transcript-builder.js';

let home: TempHome;
afterEach(async () => home?.remove());

const services = (): SessionServices => ({ paths: home.paths, now: () => new Date(), warn: () => {} });
const nowIso = () => new Date().toISOString();
const entries = async () =>
  (JSON.parse(await readFile(join(home.paths.projectsDir, 'widget', 'sessions.json'), 'utf8')) as { sessions: Record<string, any>[] }).sessions;
const stateOf = async (sessionKey: string) =>
  JSON.parse(await readFile(join(home.paths.stateDir, 'sessions', `${sessionKey}.json`), 'utf8')) as { entryId: string };
const filesOf = async (sessionKey: string) => {
  const { entryId } = await stateOf(sessionKey);
  return (await entries()).find((entry) => entry.id === entryId)!.files_modified;
};

/**
 * A session that starts now, as Claude Code starts one: SessionStart first (it notes the work tree as it is), its
 * first command a file-clock tick later at least.
 */
async function startedSession(sessionKey: string): Promise<{ t: TranscriptBuilder; source: { sessionKey: string; transcriptPath: string; cwd: string } }> {
  const t = transcript({ cwd: home.project, sessionId: sessionKey, start: nowIso(), stepMs: 10 }).prompt(`work of ${sessionKey}`);
  const transcriptPath = await t.saveUnder(home.paths);
  const source = { sessionKey, transcriptPath, cwd: home.project };
  await startSession(source, services());
  await pastStartSnapshot(home, sessionKey);
  return { t, source };
}

/** A shell command as Claude Code runs one: its call, what it does to the work tree, then its result. */
async function shell(t: TranscriptBuilder, command: string, effect: () => Promise<unknown>): Promise<void> {
  const id = `bash-${command.length}-${Math.random().toString(36).slice(2)}`;
  t.at(nowIso()).tool('Bash', { command }, { id, noResult: true });
  await effect();
  t.at(nowIso()).resultOf(id);
}

/** A Write call and the file it writes. */
async function writeTool(t: TranscriptBuilder, path: string): Promise<void> {
  await mkdir(join(home.project, path, '..'), { recursive: true });
  await writeFile(join(home.project, path), `${path}\n`);
  t.at(nowIso()).write(path);
}

describe("which changes git shows are a session's", () => {
  it('a delete and renames made in the shell are recorded, a rename as both paths', async () => {
    home = await makeHome();
    await commitFiles(home.project, 'src/util.js', 'src/b.js', 'src/a.js');
    const { t, source } = await startedSession('S1');
    await shell(t, 'rm src/b.js && mv src/util.js src/money.js && git mv src/a.js src/c.js', async () => {
      await rm(join(home.project, 'src/b.js'));
      await rename(join(home.project, 'src/util.js'), join(home.project, 'src/money.js'));
      await git(home.project, 'mv', 'src/a.js', 'src/c.js');
    });
    await t.say('Done.').append();
    await captureSession(source, services());
    expect(await filesOf('S1')).toEqual(['src/a.js', 'src/b.js', 'src/c.js', 'src/money.js', 'src/util.js']);
  });

  // The start reads git's index where it can, and asks git status where it cannot (a split index): the same facts.
  for (const index of ['an index read without git', 'a split index']) {
    it(`a file deleted, staged for deletion or edited before the session started is not its work, though its shell follows at once in the same folders (${index})`, async () => {
      home = await makeHome();
      await commitFiles(home.project, 'gone-before.txt', 'src/staged-gone.txt', 'src/edited-before.txt', 'src/kept.txt');
      if (index === 'a split index') await git(home.project, 'update-index', '--split-index');
      await rm(join(home.project, 'gone-before.txt'));
      await git(home.project, 'rm', '-q', 'src/staged-gone.txt');
      await writeFile(join(home.project, 'src/edited-before.txt'), 'edited\n');
      const { t, source } = await startedSession('S1');
      await shell(t, 'touch made.txt src/made.txt', async () => {
        await writeFile(join(home.project, 'made.txt'), 'x\n');
        await writeFile(join(home.project, 'src/made.txt'), 'x\n');
      });
      await t.say('Done.').append();
      await captureSession(source, services());
      expect(await filesOf('S1')).toEqual(['made.txt', 'src/made.txt']);
    });
  }

  it('sessions side by side that use only file tools each get exactly their own files', async () => {
    home = await makeHome();
    const sessions = await Promise.all(['S1', 'S2', 'S3'].map(startedSession));
    for (const [index, { t }] of sessions.entries()) await writeTool(t, `file-${index + 1}.txt`);
    for (const { t, source } of sessions) {
      await t.say('Wrote it.').append();
      await captureSession(source, services());
    }
    expect([await filesOf('S1'), await filesOf('S2'), await filesOf('S3')]).toEqual([['file-1.txt'], ['file-2.txt'], ['file-3.txt']]);
  });

  it("a session's shell command does not take a file another session wrote outside the command's run", async () => {
    home = await makeHome();
    const a = await startedSession('S1');
    const b = await startedSession('S2');
    await shell(a.t, 'echo x > by-shell.txt', () => writeFile(join(home.project, 'by-shell.txt'), 'x\n'));
    // Well after S1's command returned.
    await new Promise((done) => setTimeout(done, 2_500));
    await writeTool(b.t, 'by-tool.txt');
    for (const { t, source } of [a, b]) {
      await t.say('Done.').append();
      await captureSession(source, services());
    }
    expect([await filesOf('S1'), await filesOf('S2')]).toEqual([['by-shell.txt'], ['by-tool.txt']]);
  });
});

describe('a session in a git worktree', () => {
  it("sees only its worktree's changes, relative to the worktree's root, in the repository's project", async () => {
    home = await makeHome({ originUrl: 'git@example.com:acme/widget.git' });
    const worktree = join(home.dir, 'work', 'widget-feature');
    await git(home.project, 'worktree', 'add', '-q', '-b', 'feature', worktree);
    const t = transcript({ cwd: worktree, sessionId: 'S1', start: nowIso(), stepMs: 10 }).prompt('work on the feature');
    const source = { sessionKey: 'S1', transcriptPath: await t.saveUnder(home.paths), cwd: worktree };
    await startSession(source, services());
    await shell(t, 'echo f > feature.txt', async () => {
      await writeFile(join(worktree, 'feature.txt'), 'f\n');
      // Meanwhile, in the main work tree.
      await writeFile(join(home.project, 'main-only.txt'), 'm\n');
    });
    await t.say('Done.').append();
    await captureSession(source, services());
    expect(await filesOf('S1')).toEqual(['feature.txt']);
  });
});

describe('what record takes', () => {
  it('recording a finished session again takes nothing that came after its last line', async () => {
    home = await makeHome();
    const start = new Date(Date.now() - 20 * 60_000);
    const t = transcript({ cwd: home.project, sessionId: 'S1', start: start.toISOString(), stepMs: 60_000 }).prompt('write a').write('a.txt').say('Wrote a.');
    await writeFile(join(home.project, 'a.txt'), 'a\n');
    const source = { sessionKey: 'S1', transcriptPath: await t.saveUnder(home.paths), cwd: home.project };
    await captureSession(source, services());
    const before = (await entries())[0]!;
    // Later work by someone else.
    await commitFiles(home.project, 'later.txt');
    await writeFile(join(home.project, 'later-dirty.txt'), 'x\n');

    const result = await runCli(home, ['record', '--session', 'S1', '--summary', 'Wrote a.']);
    expect(result.code).toBe(0);
    const [after] = await entries();
    expect(after!.files_modified).toEqual(['a.txt']);
    expect(after!.duration_estimate).toBe(before.duration_estimate);
  });

  it('--session takes the entry id that show prints, and updates that entry', async () => {
    home = await makeHome();
    const t = transcript({ cwd: home.project, sessionId: 'S1', start: new Date(Date.now() - 60_000).toISOString(), stepMs: 100 }).prompt('write a').write('a.txt');
    await captureSession({ sessionKey: 'S1', transcriptPath: await t.saveUnder(home.paths), cwd: home.project }, services());
    const [{ id }] = (await entries()) as [{ id: string }];

    const result = await runCli(home, ['record', '--session', id, '--summary', 'Wrote a.']);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const all = await entries();
    expect(all).toHaveLength(1);
    expect(all[0]).toMatchObject({ id, summary: 'Wrote a.', files_modified: ['a.txt'] });
  });

  it('an id that names no session records only what was given and says so, guessing no files', async () => {
    home = await makeHome();
    await writeFile(join(home.project, 'dirty.txt'), 'left over\n');
    const result = await runCli(home, ['record', '--session', 'session-20990101-000000', '--summary', 'By hand.', '--file', 'docs/x.md']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('- Facts: none found for session session-20990101-000000 (no transcript or saved start): only what was given is recorded');
    expect((await entries())[0]).toMatchObject({ summary: 'By hand.', files_modified: ['docs/x.md'] });
  });
});

describe('a resumed session', () => {
  it('moves to the newest place, keeping its id', async () => {
    home = await makeHome();
    const first = await startedSession('S1');
    await first.t.say('one').append();
    await captureSession(first.source, services());
    const second = await startedSession('S2');
    await second.t.say('two').append();
    await captureSession(second.source, services());
    const ids = (await entries()).map((entry) => entry.id);

    await first.t.at(nowIso()).prompt('again').say('three').append();
    await captureSession(first.source, services());
    expect((await entries()).map((entry) => entry.id)).toEqual([ids[1], ids[0]]);
  });
});
