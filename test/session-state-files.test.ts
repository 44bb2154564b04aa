import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createSessionState } from '../lib/memory/state.js';
import { git, makeHome, runCli, runHookProcess, type TempHome } from './helpers/temp-home.js';
import { transcript } from './helpers/transcript-builder.js';

let home: TempHome;
afterEach(async () => home?.remove());

const record = (session: string, summary: string) => runCli(home, ['record', '--session', session, '--summary', summary]);
const summaries = async () =>
  (JSON.parse(await readFile(join(home.paths.projectsDir, 'widget', 'sessions.json'), 'utf8')) as { sessions: { summary: string; files_modified: string[] }[] })
    .sessions;
const stateFiles = async () => (await readdir(join(home.paths.stateDir, 'sessions'))).sort();

describe('each session id has its own state file and lock', () => {
  it("ids that differ only in characters a file name cannot hold ('x/y', 'x_y', 'x:y') keep one entry each", async () => {
    home = await makeHome();
    for (const [session, summary] of [['x/y', 'slash'], ['x_y', 'underscore'], ['x:y', 'colon'], ['x/y', 'slash, again']]) {
      expect((await record(session!, summary!)).code).toBe(0);
    }
    expect((await summaries()).map((entry) => entry.summary)).toEqual(['slash, again', 'underscore', 'colon']);
    const files = await stateFiles();
    expect(files).toHaveLength(3);
    expect(files).toContain('x_y.json');
  });

  it('a readable id keeps its own name, and a state file written before this change is still used', async () => {
    home = await makeHome();
    expect((await record('sess-1', 'first')).code).toBe(0);
    expect(await stateFiles()).toEqual(['sess-1.json']);
    // An older log-session's state: the name alone says whose it is.
    const [entry] = JSON.parse(await readFile(join(home.paths.projectsDir, 'widget', 'sessions.json'), 'utf8')).sessions as { id: string }[];
    await writeFile(join(home.paths.stateDir, 'sessions', 'sess-1.json'), JSON.stringify({ project: 'widget', entryId: entry!.id }));
    expect((await record('sess-1', 'first, updated')).code).toBe(0);
    expect((await summaries()).map((item) => item.summary)).toEqual(['first, updated']);
  });

  it('a session whose id is hashed into its file name is still caught up by a later SessionStart, under its own id', async () => {
    home = await makeHome();
    const t = transcript({ cwd: home.project, sessionId: 'team:alpha', start: new Date(Date.now() - 60_000).toISOString(), stepMs: 100 })
      .prompt('Start the parser')
      .write('src/parser.ts')
      .say('Parser started.');
    const transcriptPath = await t.saveUnder(home.paths.claudeConfigDir);
    const stop = await runHookProcess(home, 'stop-worker.js', { session_id: 'team:alpha', transcript_path: transcriptPath, cwd: home.project });
    expect(stop).toMatchObject({ code: 0, stderr: '' });
    expect(await stateFiles()).toEqual([expect.stringMatching(/^sha256-[0-9a-f]{64}\.json$/)]);

    // The session went on, but its last Stop never ran; the next session's start catches it up.
    await t.prompt('and the lexer').write('src/lexer.ts').say('Lexer added.').append();
    const start = await runHookProcess(home, 'session-start.js', { session_id: 'new-session', cwd: home.project, hook_event_name: 'SessionStart', source: 'startup' });
    expect(start).toMatchObject({ code: 0, stderr: '' });
    const entries = await summaries();
    expect(entries).toHaveLength(1);
    expect(entries[0]!.files_modified).toEqual(['src/lexer.ts', 'src/parser.ts']);
    expect(await stateFiles()).toEqual(['new-session.json', expect.stringMatching(/^sha256-[0-9a-f]{64}\.json$/)]);
  });

  it("a new session's start is saved whole without its lock, and a state already there is never replaced by it", async () => {
    home = await makeHome();
    await writeFile(join(home.project, 'gone.txt'), 'deleted before the session\n');
    await git(home.project, 'add', 'gone.txt');
    await git(home.project, 'commit', '-qm', 'gone.txt');
    await rm(join(home.project, 'gone.txt'));
    const start = await runHookProcess(home, 'session-start.js', { session_id: 'fresh', cwd: home.project, hook_event_name: 'SessionStart', source: 'startup' });
    expect(start).toMatchObject({ code: 0, stderr: '' });
    const saved = JSON.parse(await readFile(join(home.paths.stateDir, 'sessions', 'fresh.json'), 'utf8'));
    expect(saved).toMatchObject({ sessionKey: 'fresh', project: 'widget', cwd: home.project, git: { files: { 'gone.txt': ' D|gone' } } });
    expect(await readdir(join(home.paths.stateDir, 'locks')).catch(() => [])).toEqual([]);

    expect(createSessionState(home.paths, 'fresh', { project: 'another' })).toBe(false);
    expect(JSON.parse(await readFile(join(home.paths.stateDir, 'sessions', 'fresh.json'), 'utf8'))).toEqual(saved);
    expect(await stateFiles()).toEqual(['fresh.json']);
  });
});
