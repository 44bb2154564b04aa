import { execFile } from 'node:child_process';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { captureSession } from '../lib/session/turn.js';
import { startSession } from '../lib/session/start.js';
import type { SessionServices } from '../lib/session/update.js';
import { makeHome, type TempHome } from './helpers/temp-home.js';
import { transcript } from './helpers/transcript-builder.js';

const run = promisify(execFile);
const MINUTE = 60_000;
const DAY = 86_400_000;

let home: TempHome;
afterEach(async () => home?.remove());

const contextAt = (now: number): SessionServices => ({ paths: home.paths, now: () => new Date(now), warn: () => {} });
const entries = async () =>
  (JSON.parse(await readFile(join(home.paths.projectsDir, 'widget', 'sessions.json'), 'utf8')) as { sessions: Record<string, unknown>[] })
    .sessions;

/** Someone commits `names` at `time`, as git would date it. */
async function commitAt(time: number, ...names: string[]): Promise<void> {
  for (const name of names) await writeFile(join(home.project, name), `${name}\n`);
  const date = new Date(time).toISOString();
  const env = { ...process.env, GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date };
  await run('git', ['add', '--', ...names], { cwd: home.project, env });
  await run('git', ['commit', '-qm', `add ${names.length} file(s)`], { cwd: home.project, env });
}

describe('what git adds to a session', () => {
  it('an old session caught up at the next start ends at its last line: its duration, and no later work of others', async () => {
    home = await makeHome();
    const start = Date.now() - 3 * DAY;
    const old = transcript({ cwd: home.project, sessionId: 'old-session', start: new Date(start).toISOString(), stepMs: MINUTE })
      .prompt('write a')
      .write('a.txt');
    const transcriptPath = await old.saveUnder(home.paths);
    await captureSession({ sessionKey: 'old-session', transcriptPath: transcriptPath, cwd: home.project }, contextAt(start + 3 * MINUTE));
    // Its last answer reached the transcript after that Stop; then others worked on.
    await old.at(new Date(start + 10 * MINUTE).toISOString()).say('Wrote a.txt.').append();
    await commitAt(Date.now() - DAY, 'other.txt');
    await writeFile(join(home.project, 'wip.txt'), 'uncommitted, today\n');

    await startSession({ sessionKey: 'new-session', cwd: home.project }, contextAt(Date.now()));

    const [entry] = await entries();
    expect(entry!.files_modified).toEqual(['a.txt']);
    expect(entry!.duration_estimate).toBe('~10min');
  });

  it('a session resumed days later does not claim what others committed in between', async () => {
    home = await makeHome();
    const start = Date.now() - 3 * DAY;
    const t = transcript({ cwd: home.project, sessionId: 'sess-1', start: new Date(start).toISOString(), stepMs: MINUTE })
      .prompt('write a')
      .write('a.txt')
      .say('Wrote a.txt.');
    const input = { sessionKey: 'sess-1', transcriptPath: await t.saveUnder(home.paths), cwd: home.project };
    await captureSession(input, contextAt(start + 4 * MINUTE));
    await commitAt(Date.now() - DAY, 'other.txt');

    // Today: `claude --resume`, and the session commits b.txt through Bash.
    t.at(new Date(Date.now() - 2 * MINUTE).toISOString()).prompt('commit b').tool('Bash', { command: 'git commit b.txt' }, { id: 'bash-1', noResult: true });
    await commitAt(Date.now() - 30_000, 'b.txt');
    await t.at(new Date(Date.now() - 20_000).toISOString()).resultOf('bash-1').say('Committed b.txt.').append();
    await captureSession(input, contextAt(Date.now()));

    expect((await entries())[0]!.files_modified).toEqual(['a.txt', 'b.txt']);
  });

  it("a commit made just before the session started is not the session's, though its first shell command follows within a second", async () => {
    home = await makeHome();
    await writeFile(join(home.project, 'b.txt'), 'b\n');
    // The session's clock is placed around b.txt's change (its shell run ends 0.3-1.3 s before it), half-way into a
    // second; the commit is stamped in the second before, 1.5 s before its first shell command.
    const start = Math.floor(((await stat(join(home.project, 'b.txt'))).mtimeMs - 1000) / 1000) * 1000 + 500;
    await commitAt(start - 1000, 'setup.txt');
    const t = transcript({ cwd: home.project, sessionId: 'sess-1', start: new Date(start).toISOString(), stepMs: 100 })
      .prompt('change b')
      .tool('Bash', { command: 'echo b > b.txt' }, { id: 'bash-1', noResult: true });
    const transcriptPath = await t.resultOf('bash-1').say('Changed b.txt.').saveUnder(home.paths);
    await captureSession({ sessionKey: 'sess-1', transcriptPath, cwd: home.project }, contextAt(Date.now()));

    expect((await entries())[0]!.files_modified).toEqual(['b.txt']);
  });

  it('committed file names keep their spaces and newlines', async () => {
    home = await makeHome();
    const t = transcript({ cwd: home.project, sessionId: 'sess-1', start: new Date(Date.now() - MINUTE).toISOString(), stepMs: 100 })
      .prompt('commit the notes')
      .tool('Bash', { command: 'git add -A && git commit -m notes' }, { id: 'bash-1', noResult: true });
    const names = ['notes 2024.md ', ' lead.txt', 'line\nbreak.txt', 'ünï cödé.txt'];
    await commitAt(Date.now(), ...names);
    const transcriptPath = await t.at(new Date().toISOString()).resultOf('bash-1').say('Committed.').saveUnder(home.paths);

    await captureSession({ sessionKey: 'sess-1', transcriptPath: transcriptPath, cwd: home.project }, contextAt(Date.now()));

    expect((await entries())[0]!.files_modified).toEqual([...names].sort());
  });
});
