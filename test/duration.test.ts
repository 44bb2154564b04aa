import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { captureSession } from '../lib/session/turn.js';
import type { SessionServices } from '../lib/session/update.js';
import { makeHome, type TempHome } from './helpers/temp-home.js';
import { transcript } from './helpers/transcript-builder.js';

let home: TempHome;
afterEach(async () => home?.remove());

const MINUTE = 60_000;
const DAY = 86_400_000;
const at = (now: number): SessionServices => ({ paths: home.paths, now: () => new Date(now), warn: () => {} });
const entry = async () =>
  (JSON.parse(await readFile(join(home.paths.projectsDir, 'widget', 'sessions.json'), 'utf8')) as { sessions: Record<string, any>[] }).sessions[0]!;

describe("a session's duration is its active time", () => {
  it('a session worked 20 minutes, resumed two days later for 5 more, reads ~25min, whenever it is captured', async () => {
    home = await makeHome();
    const start = Date.now() - 3 * DAY;
    const t = transcript({ cwd: home.project, sessionId: 'S1', start: new Date(start).toISOString(), stepMs: 5 * MINUTE })
      .prompt('fix the parser')
      .say('Looking.')
      .write('src/parser.ts')
      .say('Fixed the parser.');
    const source = { sessionKey: 'S1', transcriptPath: await t.saveUnder(home.paths), cwd: home.project };
    await captureSession(source, at(start + 30 * MINUTE));
    // Five lines five minutes apart.
    expect((await entry()).duration_estimate).toBe('~20min');

    await t.at(new Date(start + 2 * DAY).toISOString()).prompt('now the lexer').say('Lexer done.').append();
    await captureSession(source, at(Date.now()));
    // 20 minutes, then 5 more in the resumed run: the two days between count for nothing.
    expect((await entry()).duration_estimate).toBe('~25min');
  });

  it('caught up long after it ended, a session still reads its own active time', async () => {
    home = await makeHome();
    const start = Date.now() - 40 * DAY;
    const t = transcript({ cwd: home.project, sessionId: 'S1', start: new Date(start).toISOString(), stepMs: 2 * MINUTE })
      .prompt('tidy')
      .say('Tidied.');
    await captureSession({ sessionKey: 'S1', transcriptPath: await t.saveUnder(home.paths), cwd: home.project }, at(Date.now()));
    expect((await entry()).duration_estimate).toBe('~2min');
  });

  it("a resumed session's automatic summary leads with its newest run's question, then the first", async () => {
    home = await makeHome();
    const start = Date.now() - 3 * DAY;
    const t = transcript({ cwd: home.project, sessionId: 'S1', start: new Date(start).toISOString(), stepMs: MINUTE })
      .prompt('fix the parser')
      .say('Fixed the parser.');
    const source = { sessionKey: 'S1', transcriptPath: await t.saveUnder(home.paths), cwd: home.project };
    await captureSession(source, at(start + 5 * MINUTE));
    await t.at(new Date(Date.now() - 10 * MINUTE).toISOString()).prompt('now the lexer').say('Lexer done.').append();
    await captureSession(source, at(Date.now()));
    expect((await entry()).summary).toBe('Asked: now the lexer. Outcome: Lexer done. Earlier: fix the parser.');
  });
});
