import { execFile } from 'node:child_process';
import { chmod, cp, mkdir, readdir, readFile, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { git, makeHome, repoRoot, runCli, type TempHome } from './helpers/temp-home.js';
import { withProjectLock } from '../lib/memory/lock.js';
import { sessionStatePath } from '../lib/memory/state.js';
import { transcript } from './helpers/transcript-builder.js';

let home: TempHome;
afterEach(async () => home?.remove());

interface HookRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Where the hook process runs, and what Claude Code adds to its environment (CLAUDE_PROJECT_DIR). */
interface HookProcess {
  cwd?: string;
  env?: Record<string, string>;
}

function runHook(file: 'stop.cjs' | 'stop-worker.js' | 'session-end.cjs' | 'session-end-worker.js', input: unknown, where: HookProcess = {}): Promise<HookRun> {
  return runBuiltHook(join(repoRoot, 'dist', 'hooks', file), input, where);
}

function runBuiltHook(path: string, input: unknown, { cwd = home.project, env = {} }: HookProcess = {}): Promise<HookRun> {
  return new Promise((done) => {
    const child = execFile(
      process.execPath,
      [path],
      { cwd, env: { ...home.env, ...env }, encoding: 'utf8' },
      (error, stdout, stderr) => done({ code: error ? Number(error.code) : 0, stdout, stderr }),
    );
    child.stdin?.end(typeof input === 'string' ? input : JSON.stringify(input));
  });
}

const sessionsFile = () => join(home.paths.projectsDir, 'widget', 'sessions.json');
const readEntries = async () => (JSON.parse(await readFile(sessionsFile(), 'utf8')) as { sessions: Record<string, any>[] }).sessions;
const filesOfEntries = async () => (await readEntries()).map((entry) => entry.files_modified);

/** A session that started a minute ago, in a clock that the git window can see. */
function recentSession(sessionId = 'sess-1', cwd = home.project) {
  return transcript({ cwd, sessionId, start: new Date(Date.now() - 60_000).toISOString(), stepMs: 100 });
}

describe('Stop and SessionEnd hooks', () => {
  it.each([
    ['Stop', 'stop.cjs'],
    ['SessionEnd', 'session-end.cjs'],
  ] as const)('the %s hook returns at once and its detached worker brings the entry up to date', async (event, file) => {
    home = await makeHome();
    const transcriptPath = await recentSession().prompt('Add a module').write('src/a.ts').say('ok').saveUnder(home.paths.claudeConfigDir);
    const result = await runHook(file, { session_id: 'sess-1', transcript_path: transcriptPath, cwd: home.project, hook_event_name: event });
    expect(result).toEqual({ code: 0, stdout: '', stderr: '' });
    // The worker is detached, so its entry appearing is the event to wait for, however long a loaded machine takes
    // to start it: only the test's timeout bounds the wait.
    let entries: Record<string, any>[] = await readEntries().catch(() => []);
    while (entries.length === 0) {
      await new Promise((done) => setTimeout(done, 50));
      entries = await readEntries().catch(() => []);
    }
    expect(entries.map((e) => e.files_modified)).toEqual([['src/a.ts']]);
    const garbage = await runHook(file, 'not json');
    expect(garbage).toMatchObject({ code: 0, stdout: '' });
    expect(garbage.stderr).toMatch(new RegExp(`^log-session ${event} hook: .*JSON.*\\n$`));
    // The worker writes its state after sessions.json, under the lock: once we hold the lock it is done.
    await withProjectLock(join(home.paths.projectsDir, 'widget'), async () => {});
  });

  it('bring the session entry up to date from the transcript, once however often they fire', async () => {
    home = await makeHome();
    const t = recentSession()
      .prompt('Add a greeting module')
      .write('src/hello.ts')
      .edit('src/gone.ts', { fails: 'File has not been read yet' })
      .sidechain((s) => s.write('docs/notes.md'))
      .say('Added src/hello.ts and notes.');
    const transcriptPath = await t.saveUnder(home.paths.claudeConfigDir);
    const input = { session_id: 'sess-1', transcript_path: transcriptPath, cwd: home.project, hook_event_name: 'Stop', extra: 1 };

    const first = await runHook('stop-worker.js', input);
    expect(first).toEqual({ code: 0, stdout: '', stderr: '' });
    const entries = await readEntries();
    expect(entries).toHaveLength(1);
    expect(entries[0]!.files_modified).toEqual(['docs/notes.md', 'src/hello.ts']);
    expect(entries[0]!.summary).toContain('Add a greeting module');
    expect(entries[0]!.summary).toContain('Added src/hello.ts and notes.');
    const before = await readFile(sessionsFile(), 'utf8');

    expect(await runHook('stop-worker.js', input)).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(await readFile(sessionsFile(), 'utf8')).toBe(before);

    await t.edit('src/more.ts').say('And more.').append();
    await runHook('session-end-worker.js', { ...input, hook_event_name: 'SessionEnd', reason: 'other' });
    const updated = await readEntries();
    expect(updated).toHaveLength(1);
    expect(updated[0]!.files_modified).toEqual(['docs/notes.md', 'src/hello.ts', 'src/more.ts']);
  });

  it('never overwrites what the model recorded, and the model replaces the automatic summary', async () => {
    home = await makeHome();
    const t = recentSession().prompt('Fix the bug').write('src/fix.ts').say('Fixed.');
    const transcriptPath = await t.saveUnder(home.paths.claudeConfigDir);
    const input = { session_id: 'sess-1', transcript_path: transcriptPath, cwd: home.project };
    await runHook('stop-worker.js', input);
    const recorded = await runCli(home, ['record', '--session', 'sess-1'], JSON.stringify({ summary: 'Fixed the off-by-one in the lexer.', follow_up: ['Add a test'] }));
    expect(recorded.code).toBe(0);
    expect(recorded.stdout).toContain('- Files: 1 modified');

    await t.prompt('one more thing').write('src/extra.ts').say('Done too.').append();
    await runHook('stop-worker.js', input);
    const [entry] = await readEntries();
    expect(entry!.summary).toBe('Fixed the off-by-one in the lexer.');
    expect(entry!.follow_up).toEqual(['Add a test']);
    expect(entry!.files_modified).toEqual(['src/extra.ts', 'src/fix.ts']);
  });

  it("keeps a person's edit of the automatic summary, and goes on updating the entry's files", async () => {
    home = await makeHome();
    const t = recentSession().prompt('Tidy the config').write('src/config.ts').say('Tidied.');
    const transcriptPath = await t.saveUnder(home.paths.claudeConfigDir);
    const input = { session_id: 'sess-1', transcript_path: transcriptPath, cwd: home.project };
    await runHook('stop-worker.js', input);
    await t.prompt('and the docs').write('docs/config.md').say('Docs too.').append();
    await runHook('stop-worker.js', input);
    expect((await readEntries())[0]!.summary).toContain('Docs too.');

    const file = JSON.parse(await readFile(sessionsFile(), 'utf8'));
    file.sessions[0].summary = 'Config cleanup, written by hand.';
    await writeFile(sessionsFile(), JSON.stringify(file, null, 2));
    await t.prompt('one more').write('src/extra.ts').say('Extra done.').append();
    await runHook('stop-worker.js', input);
    const [entry] = await readEntries();
    expect(entry!.summary).toBe('Config cleanup, written by hand.');
    expect(entry!.files_modified).toEqual(['docs/config.md', 'src/config.ts', 'src/extra.ts']);
  });

  it('finds Bash edits through git and leaves out a file dirty before the session', async () => {
    home = await makeHome();
    await writeFile(join(home.project, 'tracked.txt'), 'v1\n');
    await writeFile(join(home.project, 'old-dirty.txt'), 'v1\n');
    await git(home.project, 'add', '.');
    await git(home.project, 'commit', '-qm', 'more');
    await writeFile(join(home.project, 'old-dirty.txt'), 'dirty before\n');
    const hourAgo = new Date(Date.now() - 3_600_000);
    await utimes(join(home.project, 'old-dirty.txt'), hourAgo, hourAgo);

    // The command's effect lands between its call and its result, as a real Bash call's does.
    const t = recentSession().prompt('bump').tool('Bash', { command: 'echo v2 > tracked.txt' }, { id: 'bash-1', noResult: true });
    await writeFile(join(home.project, 'tracked.txt'), 'v2\n');
    const transcriptPath = await t.at(new Date().toISOString()).resultOf('bash-1').say('bumped').saveUnder(home.paths.claudeConfigDir);
    await runHook('stop-worker.js', { session_id: 'sess-1', transcript_path: transcriptPath, cwd: home.project });
    expect((await readEntries())[0]!.files_modified).toEqual(['tracked.txt']);
  });

  it('exit 0 and stay silent on stdout on bad input, a missing transcript, a folder that is gone, a read-only memory', async () => {
    home = await makeHome();
    for (const input of ['not json', '{}', { session_id: 'x', transcript_path: '/nope.jsonl', cwd: '/no/such/folder' }]) {
      const result = await runHook('stop-worker.js', input);
      expect(result.code).toBe(0);
      expect(result.stdout).toBe('');
      expect(result.stderr.split('\n').filter(Boolean).length).toBeLessThanOrEqual(1);
    }
    const log = await readFile(home.paths.logFile, 'utf8');
    expect(log).toContain('Stop');

    await mkdir(home.paths.projectsDir, { recursive: true });
    await chmod(home.paths.projectsDir, 0o500);
    const readOnly = await runHook('stop-worker.js', { session_id: 'y', cwd: home.project });
    await chmod(home.paths.projectsDir, 0o700);
    expect(readOnly.code).toBe(0);
    expect(readOnly.stdout).toBe('');
    // Root ignores mode bits; the write then simply succeeds.
    if (process.getuid?.() !== 0) expect(readOnly.stderr).toMatch(/log-session Stop hook/);
    expect((await stat(home.paths.logFile)).mode & 0o777).toBe(0o600);
  });

  it('a broken install still exits 0 and says what is wrong: the Stop worker missing, the lock addon not loadable', async () => {
    home = await makeHome();
    const transcriptPath = await recentSession().prompt('Add a module').write('src/a.ts').say('ok').saveUnder(home.paths.claudeConfigDir);
    const input = { session_id: 'sess-1', transcript_path: transcriptPath, cwd: home.project };
    // A copy of the build with no node_modules above it: the native lock addon cannot be found.
    const copy = join(home.dir, 'copy');
    await cp(join(repoRoot, 'dist'), join(copy, 'dist'), { recursive: true });

    const sessionEnd = await runBuiltHook(join(copy, 'dist', 'hooks', 'session-end-worker.js'), input);
    expect(sessionEnd).toMatchObject({ code: 0, stdout: '' });
    expect(sessionEnd.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^log-session SessionEnd hook: .*fs-native-extensions/)]);

    await rm(join(copy, 'dist', 'hooks', 'stop-worker.js'));
    const stop = await runBuiltHook(join(copy, 'dist', 'hooks', 'stop.cjs'), input);
    expect(stop).toMatchObject({ code: 0, stdout: '' });
    expect(stop.stderr).toMatch(/^log-session Stop hook: .*stop-worker\.js is missing: run 'npm run build'/);

    const log = await readFile(home.paths.logFile, 'utf8');
    expect(log).toContain('fs-native-extensions');
    expect(log).toContain('stop-worker.js is missing');
  });

  it('a build missing the file that redacts problems still exits 0, and says a problem happened without quoting it', async () => {
    home = await makeHome();
    const transcriptPath = await recentSession().prompt('Add a module').write('src/a.ts').say('ok').saveUnder(home.paths.claudeConfigDir);
    const copy = join(home.dir, 'copy');
    await cp(join(repoRoot, 'dist'), join(copy, 'dist'), { recursive: true });
    await rm(join(copy, 'dist', 'hooks', 'lazy-lib-redact.js'));

    // Without node_modules above the copy the lock cannot load: a problem whose message quotes a path.
    const run = await runBuiltHook(join(copy, 'dist', 'hooks', 'session-end-worker.js'), { session_id: 'sess-1', transcript_path: transcriptPath, cwd: home.project });
    expect(run).toMatchObject({ code: 0, stdout: '' });
    expect(run.stderr).toBe("log-session SessionEnd hook: 1 problem(s) not shown, as their redaction could not be loaded: log-session's build is incomplete; reinstall it\n");
  });

  it('a last line without a newline is read at SessionEnd, when it is complete JSON, and not by Stop while it may be half written', async () => {
    home = await makeHome();
    const t = recentSession().prompt('Add two modules').write('src/a.ts').write('src/b.ts');
    const transcriptPath = await t.saveUnder(home.paths);
    // Copies made by other tools end without the last newline.
    await writeFile(transcriptPath, (await readFile(transcriptPath, 'utf8')).replace(/\n$/, ''));
    const input = { session_id: 'sess-1', transcript_path: transcriptPath, cwd: home.project };

    await runHook('stop-worker.js', input);
    expect(await filesOfEntries()).toEqual([['src/a.ts']]);
    await runHook('session-end-worker.js', { ...input, hook_event_name: 'SessionEnd' });
    expect(await filesOfEntries()).toEqual([['src/a.ts', 'src/b.ts']]);
  });

  it('a problem that quotes a secret (here a folder named with a token) is redacted on stderr and in the log', async () => {
    home = await makeHome();
    const token = `ghp_${'M4n5B6v7C8'.repeat(4)}`;
    const folder = join(home.dir, token);
    await mkdir(folder);
    await cp(join(repoRoot, 'dist', 'hooks', 'stop.cjs'), join(folder, 'stop.cjs'));

    const stop = await runBuiltHook(join(folder, 'stop.cjs'), { session_id: 'sess-1', cwd: home.project });
    expect(stop.stderr).toMatch(/^log-session Stop hook: .*\[REDACTED\].*stop-worker\.js is missing/);
    const log = await readFile(home.paths.logFile, 'utf8');
    expect(log).toContain('[REDACTED]');
    for (const text of [stop.stderr, log]) expect(text).not.toContain(token.slice(0, 12));
  });
});

describe('which files and which project a session gets', () => {
  it('a relative path in an edit is taken from the folder the shell had moved to', async () => {
    home = await makeHome();
    await mkdir(join(home.project, 'pkg'));
    await writeFile(join(home.project, 'pkg', 'rel.txt'), 'x\n');
    const transcriptPath = await recentSession()
      .prompt('write rel.txt in pkg')
      .tool('Bash', { command: 'mkdir -p pkg && cd pkg' })
      .cd('pkg')
      .tool('Write', { file_path: 'rel.txt', content: 'x\n' })
      .say('Wrote it.')
      .saveUnder(home.paths);

    await runHook('stop-worker.js', { session_id: 'sess-1', transcript_path: transcriptPath, cwd: join(home.project, 'pkg') });

    expect(await filesOfEntries()).toEqual([['pkg/rel.txt']]);
  });

  it('input without a cwd (Claude Code before 1.0.54) is recorded: where the transcript started, else where the hook runs', async () => {
    home = await makeHome();
    const transcriptPath = await recentSession().prompt('Add a module').write('src/a.ts').say('ok').saveUnder(home.paths);

    const fromTranscript = await runHook('stop-worker.js', { session_id: 'sess-1', transcript_path: transcriptPath }, { cwd: home.dir });
    await runBuiltHook(join(repoRoot, 'dist', 'hooks', 'session-start.js'), { session_id: 'no-transcript', hook_event_name: 'SessionStart' });
    await writeFile(join(home.project, 'notes.txt'), 'by hand\n');
    const fromHookFolder = await runHook('session-end-worker.js', { session_id: 'no-transcript', hook_event_name: 'SessionEnd' });

    expect([fromTranscript, fromHookFolder]).toEqual([
      { code: 0, stdout: '', stderr: '' },
      { code: 0, stdout: '', stderr: '' },
    ]);
    expect(await filesOfEntries()).toEqual([['src/a.ts'], ['notes.txt']]);
  });

  it('a cd into a sub-package with its own name does not move the session to another project', async () => {
    home = await makeHome();
    // Not a git repository, so the sub-package's package.json would name the project.
    await rm(join(home.project, '.git'), { recursive: true });
    const ui = join(home.project, 'packages', 'ui');
    await mkdir(ui, { recursive: true });
    await writeFile(join(ui, 'package.json'), '{"name":"@acme/ui"}');

    const t = recentSession().prompt('top').write('top.txt').say('ok');
    const input = { session_id: 'sess-1', transcript_path: await t.saveUnder(home.paths) };
    await runHook('stop-worker.js', { ...input, cwd: home.project });
    await t.prompt('the button').tool('Bash', { command: 'cd packages/ui' }).cd('packages/ui').write('button.ts').say('ok').append();
    await runHook('stop-worker.js', { ...input, cwd: ui });
    // Captured for the first time after the cd: Claude Code's CLAUDE_PROJECT_DIR still names the launch folder.
    const late = recentSession('sess-2').prompt('a card').tool('Bash', { command: 'cd packages/ui' }).cd('packages/ui').write('card.ts');
    const lateInput = { session_id: 'sess-2', transcript_path: await late.saveUnder(home.paths), cwd: ui };
    await runHook('stop-worker.js', lateInput, { cwd: ui, env: { CLAUDE_PROJECT_DIR: home.project } });

    expect(await readdir(home.paths.projectsDir)).toEqual(['widget']);
    expect(await filesOfEntries()).toEqual([['packages/ui/button.ts', 'top.txt'], ['packages/ui/card.ts']]);
  });

  it('a file reached through a symlinked folder is listed once', async () => {
    home = await makeHome();
    const link = join(home.dir, 'link');
    await symlink(home.project, link);
    await writeFile(join(home.project, 'via-link.txt'), 'x\n');
    const transcriptPath = await recentSession('sess-1', link).prompt('write it').write('via-link.txt').say('ok').saveUnder(home.paths);

    await runHook('stop-worker.js', { session_id: 'sess-1', transcript_path: transcriptPath, cwd: link });

    expect(await filesOfEntries()).toEqual([['via-link.txt']]);
  });

  it('a secret in the prompt or the answer reaches neither memory nor the session state file', async () => {
    home = await makeHome();
    const token = `ghp_${'a1B2c3D4e5'.repeat(4)}`;
    const transcriptPath = await recentSession()
      .prompt(`push with ${token}`)
      .say(`Pushed using ${token}.`)
      .saveUnder(home.paths);

    await runHook('stop-worker.js', { session_id: 'sess-1', transcript_path: transcriptPath, cwd: home.project });

    const stateFolder = join(home.paths.stateDir, 'sessions');
    const written = [await readFile(sessionsFile(), 'utf8')];
    for (const name of await readdir(stateFolder)) written.push(await readFile(join(stateFolder, name), 'utf8'));
    expect(written).toHaveLength(2);
    for (const text of written) {
      expect(text).toContain('[REDACTED]');
      expect(text).not.toContain(token);
    }
  });

  it("a token in a written file's path, or cut by the summary's length, reaches neither memory, its backup nor the state file", async () => {
    home = await makeHome();
    const inPath = `ghp_${'Z9y8X7w6V5'.repeat(4)}`;
    const atTheCut = `ghp_${'q1W2e3R4t5'.repeat(4)}`;
    const transcriptPath = await recentSession()
      .prompt(`${'context '.repeat(26)}then push with ${atTheCut} please`)
      .write(`config/${inPath}.json`)
      .say('Done.')
      .saveUnder(home.paths);

    await runHook('stop-worker.js', { session_id: 'sess-1', transcript_path: transcriptPath, cwd: home.project });

    const stateFolder = join(home.paths.stateDir, 'sessions');
    const written = [await readFile(sessionsFile(), 'utf8'), await readFile(`${sessionsFile()}.bak`, 'utf8')];
    for (const name of await readdir(stateFolder)) written.push(await readFile(join(stateFolder, name), 'utf8'));
    for (const text of written) {
      for (const token of [inPath, atTheCut]) expect(text).not.toContain(token.slice(0, 12));
    }
    expect((await readEntries())[0]!.files_modified).toEqual(['config/[REDACTED].json']);
  });
});

describe('a turn with nothing new', () => {
  it('writes neither memory nor the state when the transcript and the work tree are as the last capture left them', async () => {
    home = await makeHome();
    const t = recentSession().prompt('Add a module').write('src/a.ts').say('ok');
    const input = { session_id: 'sess-1', transcript_path: await t.saveUnder(home.paths.claudeConfigDir), cwd: home.project };
    await runHook('stop-worker.js', input);
    const files = [sessionsFile(), sessionStatePath(home.paths, 'sess-1')];
    const before = await Promise.all(files.map((file) => stat(file)));

    expect(await runHook('stop-worker.js', input)).toEqual({ code: 0, stdout: '', stderr: '' });

    const after = await Promise.all(files.map((file) => stat(file)));
    expect(after.map((info) => [info.ino, info.mtimeMs])).toEqual(before.map((info) => [info.ino, info.mtimeMs]));
  });

  for (const deletion of ['deletes', 'stages for deletion (git rm)'] as const) {
    it(`keeps its snapshot of the work tree current: a file another session ${deletion} meanwhile is not this session's at its next shell run`, async () => {
      home = await makeHome();
      await writeFile(join(home.project, 'theirs.txt'), 'x\n');
      await git(home.project, 'add', '.');
      await git(home.project, 'commit', '-qm', 'theirs');
      const t = recentSession().prompt('work').write('src/a.ts').say('ok');
      const input = { session_id: 'sess-1', transcript_path: await t.saveUnder(home.paths.claudeConfigDir), cwd: home.project };
      await runHook('stop-worker.js', input);

      if (deletion === 'deletes') await rm(join(home.project, 'theirs.txt'));
      else await git(home.project, 'rm', '-q', 'theirs.txt');
      await runHook('stop-worker.js', input);
      const bash = t.at(new Date().toISOString()).tool('Bash', { command: 'echo hi > mine.txt' }, { id: 'bash-1', noResult: true });
      await writeFile(join(home.project, 'mine.txt'), 'hi\n');
      await bash.at(new Date().toISOString()).resultOf('bash-1').say('done').append();
      await runHook('stop-worker.js', input);

      expect(await filesOfEntries()).toEqual([['mine.txt', 'src/a.ts']]);
    });
  }

  it('a sub-agent file that grew is something new', async () => {
    home = await makeHome();
    const t = recentSession().prompt('fan out').agent((agent) => agent.write('src/a.ts'), { layout: 'subagents', agentId: 'a1' });
    const input = { session_id: 'sess-1', transcript_path: await t.saveUnder(home.paths.claudeConfigDir), cwd: home.project };
    await runHook('stop-worker.js', input);

    await t.agent((agent) => agent.write('src/b.ts'), { layout: 'subagents', agentId: 'a1' }).append();
    await runHook('stop-worker.js', input);

    expect(await filesOfEntries()).toEqual([['src/a.ts', 'src/b.ts']]);
  });
});
