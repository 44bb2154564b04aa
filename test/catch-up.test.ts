import { mkdir, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { captureSession } from '../lib/session/turn.js';
import { catchUpSessions as catchUpWith, type CurrentSession } from '../lib/session/catch-up.js';
import { startSession } from '../lib/session/start.js';
import { claudeCode } from '../lib/clients/claude-code/index.js';
import type { SessionServices } from '../lib/session/update.js';
import { makeHome, pastStartSnapshot, type TempHome } from './helpers/temp-home.js';
import { transcript } from './helpers/transcript-builder.js';

let home: TempHome;
afterEach(async () => home?.remove());

/** catch-up as SessionStart runs it, for Claude Code's transcripts. */
const catchUpSessions = (project: string, current: CurrentSession, services: SessionServices, budgetMs?: number) =>
  catchUpWith(claudeCode, project, current, services, budgetMs);
const context = (): SessionServices => ({ paths: home.paths, now: () => new Date(), warn: () => {} });
const newSession = () => ({ sessionKey: 'new-session', cwd: home.project });
const entries = async () =>
  (JSON.parse(await readFile(join(home.paths.projectsDir, 'widget', 'sessions.json'), 'utf8')) as { sessions: Record<string, unknown>[] }).sessions;

/** An earlier session of the project, a minute old, captured once: 'Start the parser' / 'Parser started.'. */
async function capturedEarlierSession() {
  const t = transcript({ cwd: home.project, sessionId: 'old-session', start: new Date(Date.now() - 60_000).toISOString(), stepMs: 100 })
    .prompt('Start the parser')
    .say('Parser started.');
  const transcriptPath = await t.saveUnder(home.paths.claudeConfigDir);
  await captureSession({ sessionKey: 'old-session', transcriptPath: transcriptPath, cwd: home.project }, context());
  return { t, transcriptPath };
}

describe('catch-up at SessionStart', () => {
  it('brings a session whose transcript grew since its last capture up to date, before the brief', async () => {
    home = await makeHome();
    const t = transcript({ cwd: home.project, sessionId: 'old-session', start: new Date(Date.now() - 60_000).toISOString(), stepMs: 100 })
      .prompt('Start the parser')
      .write('src/parser.ts')
      .say('Parser started.');
    const transcriptPath = await t.saveUnder(home.paths.claudeConfigDir);
    await captureSession({ sessionKey: 'old-session', transcriptPath: transcriptPath, cwd: home.project }, context());
    expect((await entries())[0]!.files_modified).toContain('src/parser.ts');

    // The session went on, but its last Stop never ran.
    await t.prompt('and the lexer').write('src/lexer.ts').say('Lexer added.').append();
    const brief = await startSession({ sessionKey: 'new-session', cwd: home.project }, context());

    const [entry] = await entries();
    expect(entry!.files_modified).toEqual(expect.arrayContaining(['src/lexer.ts', 'src/parser.ts']));
    expect(brief).toContain('Lexer added.');
    expect(await entries()).toHaveLength(1);
    // Up to date now: nothing to do next time, and the current session is never touched.
    expect(await catchUpSessions('widget', newSession(), context())).toEqual([]);
    await t.write('src/more.ts').append();
    expect(await catchUpSessions('widget', { ...newSession(), sessionKey: 'old-session' }, context())).toEqual([]);
    expect(await catchUpSessions('other-project', newSession(), context())).toEqual([]);
    expect(await catchUpSessions('widget', newSession(), context(), 0)).toEqual([]);
    expect(await catchUpSessions('widget', newSession(), context())).toEqual(['old-session']);
  });

  it('a session that cannot be caught up is reported once, and the brief still comes', async () => {
    home = await makeHome();
    const warnings: string[] = [];
    const warned: SessionServices = { ...context(), warn: (message) => warnings.push(message) };
    const { transcriptPath } = await capturedEarlierSession();
    // Its transcript is now something that cannot be read as one.
    await rm(transcriptPath);
    await mkdir(transcriptPath);

    const brief = await startSession({ sessionKey: 'new-session', cwd: home.project }, warned);
    expect(brief).toContain('- and 1 session without changes or a recorded summary (');
    expect(warnings).toEqual([expect.stringMatching(/^could not catch up 1 earlier session\(s\): old-session \(.*EISDIR/)]);
  });

  it('a session that never reached a capture (Esc skips Stop, a closed terminal SessionEnd) is recorded at the next start', async () => {
    home = await makeHome();
    const yesterday = new Date(Date.now() - 86_400_000).toISOString();
    const interruptedPath = await transcript({ cwd: home.project, sessionId: 'interrupted', start: yesterday })
      .prompt('refactor the parser')
      .write('src/parser.ts')
      .agent((agent) => agent.write('src/lexer.ts'), { layout: 'sibling' })
      .edit('README.md', { interrupted: true })
      .saveUnder(home.paths);
    const tenDaysAgo = new Date(Date.now() - 10 * 86_400_000);
    const oldPath = await transcript({ cwd: home.project, sessionId: 'long-ago', start: tenDaysAgo.toISOString() })
      .prompt('ancient work')
      .write('src/ancient.ts')
      .saveUnder(home.paths);
    await utimes(oldPath, tenDaysAgo, tenDaysAgo);

    const current = { sessionKey: 'new-session', transcriptPath: join(dirname(interruptedPath), 'new-session.jsonl'), cwd: home.project };
    const brief = await startSession(current, context());

    const all = await entries();
    expect(all.map((entry) => entry.files_modified)).toEqual([['src/lexer.ts', 'src/parser.ts']]);
    expect(brief).toContain('refactor the parser');
    // Once recorded it has state, and is caught up like any other session from then on.
    expect(await catchUpSessions('widget', { sessionKey: 'new-session', transcriptPath: current.transcriptPath, cwd: home.project }, context())).toEqual([]);
  });

  it('a transcript folder scanned whole is looked at again only for what was added or changed since', async () => {
    home = await makeHome();
    const yesterday = new Date(Date.now() - 86_400_000);
    const first = transcript({ cwd: home.project, sessionId: 'first', start: yesterday.toISOString() }).prompt('one').write('src/one.ts');
    const folder = dirname(await first.saveUnder(home.paths));
    const current = (sessionKey: string) => ({ sessionKey, transcriptPath: join(folder, `${sessionKey}.jsonl`), cwd: home.project });
    expect(await catchUpSessions('widget', current('start-1'), context())).toEqual(['first']);

    // A transcript copied back from a backup with its old times is new all the same (its ctime says so); once
    // caught up it has a state, and what it gains later is taken from there.
    const restored = transcript({ cwd: home.project, sessionId: 'restored', start: yesterday.toISOString() }).prompt('two').write('src/two.ts');
    const restoredPath = await restored.saveUnder(home.paths);
    await utimes(restoredPath, yesterday, yesterday);
    const fresh = await transcript({ cwd: home.project, sessionId: 'fresh', start: new Date().toISOString() }).prompt('three').write('src/three.ts').saveUnder(home.paths);
    expect(dirname(fresh)).toBe(folder);
    expect(await catchUpSessions('widget', current('start-2'), context())).toEqual(['fresh', 'restored']);
    await restored.say('Done.').append();
    expect(await catchUpSessions('widget', current('start-3'), context())).toEqual(['restored']);

    // A mark edited by hand into something that is not a time hides nothing.
    const another = await transcript({ cwd: home.project, sessionId: 'another', start: new Date().toISOString() }).prompt('four').write('src/four.ts').saveUnder(home.paths);
    await writeFile(join(home.paths.stateDir, 'catch-up-scans.json'), JSON.stringify({ [folder]: 'soon' }));
    expect(dirname(another)).toBe(folder);
    expect(await catchUpSessions('widget', current('start-4'), context())).toEqual(['another']);
  });

  it('a session with no transcript (--no-session-persistence) claims only what changed after its SessionStart', async () => {
    home = await makeHome();
    const hourAgo = new Date(Date.now() - 3_600_000);
    await writeFile(join(home.project, 'dirty-before.txt'), 'left over\n');
    await utimes(join(home.project, 'dirty-before.txt'), hourAgo, hourAgo);
    const input = { sessionKey: 'unsaved', transcriptPath: join(home.dir, 'never-written.jsonl'), cwd: home.project };
    await startSession(input, context());
    await pastStartSnapshot(home, 'unsaved');
    await writeFile(join(home.project, 'made-now.txt'), 'new\n');
    await captureSession(input, context());
    expect((await entries())[0]!.files_modified).toEqual(['made-now.txt']);
  });

  it('a state folder that cannot be written costs the brief nothing; the problem is reported', async () => {
    home = await makeHome();
    await capturedEarlierSession();
    const notAFolder = join(home.dir, 'state-is-a-file');
    await writeFile(notAFolder, '');
    const warnings: string[] = [];
    const broken: SessionServices = { ...context(), paths: { ...home.paths, stateDir: join(notAFolder, 'log-session') }, warn: (message) => warnings.push(message) };
    const brief = await startSession({ sessionKey: 'new-session', cwd: home.project }, broken);
    expect(brief).toContain('- and 1 session without changes or a recorded summary (');
    expect(warnings).toEqual([expect.stringMatching(/^could not save this session's start: .*ENOTDIR/)]);
  });

  it('leaves alone a session whose state was last written more than 7 days ago, and moves that state out of the folder it lists', async () => {
    home = await makeHome();
    const { t, transcriptPath } = await capturedEarlierSession();
    await t.prompt('and the lexer').write('src/lexer.ts').say('Lexer added.').append();
    const longAgo = new Date(Date.now() - 8 * 86_400_000);
    const statePath = join(home.paths.stateDir, 'sessions', 'old-session.json');
    await utimes(statePath, longAgo, longAgo);

    expect(await catchUpSessions('widget', newSession(), context())).toEqual([]);
    expect(await readdir(join(home.paths.stateDir, 'sessions'))).not.toContain('old-session.json');

    // Resumed months later, the session goes on from its moved state, in its one entry.
    await captureSession({ sessionKey: 'old-session', transcriptPath, cwd: home.project }, context());
    expect((await entries()).map((entry) => entry.files_modified)).toEqual([['src/lexer.ts']]);
    expect(await readdir(join(home.paths.stateDir, 'sessions'))).toContain('old-session.json');
    expect(await catchUpSessions('widget', newSession(), context())).toEqual([]);
  });
});

describe('catch-up leaves over sessions behind', () => {
  const statesNow = async (folder: 'sessions' | 'sessions-retired') => (await readdir(join(home.paths.stateDir, folder)).catch(() => [] as string[])).sort();
  /** This test's own process as /proc names it: a running agent; the same pid with another start time: one that exited. */
  const ownProcess = async () => ({ pid: process.pid, start: Number((await readFile('/proc/self/stat', 'utf8')).split(') ')[1]!.split(' ')[19]) });
  /** A session captured to its end, with the agent process its SessionStart saved. */
  async function capturedWithAgent(sessionKey: string, agentProcess: { pid: number; start: number }) {
    const t = transcript({ cwd: home.project, sessionId: sessionKey, start: new Date(Date.now() - 60_000).toISOString(), stepMs: 100 }).prompt('Go').say('Done.');
    const input = { sessionKey, transcriptPath: await t.saveUnder(home.paths.claudeConfigDir), cwd: home.project };
    await captureSession(input, context());
    const statePath = join(home.paths.stateDir, 'sessions', `${sessionKey}.json`);
    await writeFile(statePath, JSON.stringify({ ...JSON.parse(await readFile(statePath, 'utf8')), agentProcess: { ...agentProcess, since: new Date().toISOString() } }));
    return { t, input };
  }

  it.runIf(process.platform === 'linux')('a session read to its end whose agent exited is no longer read at each start; one whose agent runs still is', async () => {
    home = await makeHome();
    const running = await ownProcess();
    await capturedWithAgent('still-open', running);
    const exited = await capturedWithAgent('exited', { ...running, start: running.start - 1 });

    expect(await catchUpSessions('widget', newSession(), context())).toEqual([]);
    expect(await statesNow('sessions')).toEqual(['still-open.json']);
    expect(await statesNow('sessions-retired')).toEqual(['exited.json']);
    // Still the session's own: a resume goes on in its one entry, and its state is among the recent again.
    await exited.t.prompt('More').write('src/more.ts').say('More done.').append();
    await captureSession(exited.input, context());
    expect((await entries()).map((entry) => entry.files_modified)).toEqual([[], ['src/more.ts']]);
    expect(await statesNow('sessions')).toEqual(['exited.json', 'still-open.json']);
  });

  it('where /proc cannot tell, a session read to its end is left behind after an hour without a write', async () => {
    home = await makeHome();
    const noProc = join(home.dir, 'no-proc');
    await capturedWithAgent('quiet', { pid: 4242, start: 1 });
    const at = (ms: number): SessionServices => ({ paths: { ...home.paths, procDir: noProc }, now: () => new Date(Date.now() + ms), warn: () => {} });

    expect(await catchUpSessions('widget', newSession(), at(30 * 60_000))).toEqual([]);
    expect(await statesNow('sessions')).toEqual(['quiet.json']);
    expect(await catchUpSessions('widget', newSession(), at(2 * 3_600_000))).toEqual([]);
    expect(await statesNow('sessions')).toEqual([]);
    expect(await statesNow('sessions-retired')).toEqual(['quiet.json']);
  });
});

