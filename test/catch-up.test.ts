import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { captureSession } from '../lib/capture.js';
import { catchUpSessions, startSession } from '../lib/catch-up.js';
import type { HookContext } from '../lib/hook-run.js';
import { makeHome, type TempHome } from './helpers/temp-home.js';
import { transcript } from './helpers/transcript-builder.js';

let home: TempHome;
afterEach(async () => home?.remove());

const context = (): HookContext => ({ paths: home.paths, now: () => new Date(), warn: () => {} });
const entries = async () =>
  (JSON.parse(await readFile(join(home.paths.projectsDir, 'widget', 'sessions.json'), 'utf8')) as { sessions: Record<string, unknown>[] }).sessions;

describe('catch-up at SessionStart', () => {
  it('brings a session whose transcript grew since its last capture up to date, before the brief', async () => {
    home = await makeHome();
    const t = transcript({ cwd: home.project, sessionId: 'old-session', start: new Date(Date.now() - 60_000).toISOString(), stepMs: 100 })
      .prompt('Start the parser')
      .write('src/parser.ts')
      .say('Parser started.');
    const transcriptPath = await t.saveUnder(home.paths.claudeConfigDir);
    await captureSession({ session_id: 'old-session', transcript_path: transcriptPath, cwd: home.project }, context());
    expect((await entries())[0]!.files_modified).toContain('src/parser.ts');

    // The session went on, but its last Stop never ran.
    await t.prompt('and the lexer').write('src/lexer.ts').say('Lexer added.').append();
    const brief = await startSession({ session_id: 'new-session', cwd: home.project, source: 'startup' }, context());

    const [entry] = await entries();
    expect(entry!.files_modified).toEqual(expect.arrayContaining(['src/lexer.ts', 'src/parser.ts']));
    expect(brief).toContain('Lexer added.');
    expect(await entries()).toHaveLength(1);
    // Up to date now: nothing to do next time, and the current session is never touched.
    expect(await catchUpSessions('widget', 'new-session', context())).toEqual([]);
    await t.write('src/more.ts').append();
    expect(await catchUpSessions('widget', 'old-session', context())).toEqual([]);
    expect(await catchUpSessions('other-project', 'new-session', context())).toEqual([]);
    expect(await catchUpSessions('widget', 'new-session', context(), 0)).toEqual([]);
    expect(await catchUpSessions('widget', 'new-session', context())).toEqual(['old-session']);
  });

  it('a session that cannot be caught up is reported once, and the brief still comes', async () => {
    home = await makeHome();
    const warnings: string[] = [];
    const warned: HookContext = { ...context(), warn: (message) => warnings.push(message) };
    const t = transcript({ cwd: home.project, sessionId: 'old-session', start: new Date(Date.now() - 60_000).toISOString(), stepMs: 100 })
      .prompt('Start the parser')
      .say('Parser started.');
    const transcriptPath = await t.saveUnder(home.paths.claudeConfigDir);
    await captureSession({ session_id: 'old-session', transcript_path: transcriptPath, cwd: home.project }, context());
    // Its transcript is now something that cannot be read as one.
    await rm(transcriptPath);
    await mkdir(transcriptPath);

    const brief = await startSession({ session_id: 'new-session', cwd: home.project, source: 'startup' }, warned);
    expect(brief).toContain('Parser started.');
    expect(warnings).toEqual([expect.stringMatching(/^could not catch up 1 earlier session\(s\): old-session \(.*EISDIR/)]);
  });
});
