import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { captureSession } from '../lib/capture.js';
import type { HookContext } from '../lib/hook-run.js';
import { makeHome, type TempHome } from './helpers/temp-home.js';
import { transcript } from './helpers/transcript-builder.js';

const run = promisify(execFile);
const MINUTE = 60_000;

let home: TempHome;
afterEach(async () => home?.remove());

const contextAt = (now: number): HookContext => ({ paths: home.paths, now: () => new Date(now), warn: () => {} });
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
  it('committed file names keep their spaces and newlines', async () => {
    home = await makeHome();
    const t = transcript({ cwd: home.project, sessionId: 'sess-1', start: new Date(Date.now() - MINUTE).toISOString(), stepMs: 100 })
      .prompt('commit the notes')
      .tool('Bash', { command: 'git add -A && git commit -m notes' });
    const names = ['notes 2024.md ', ' lead.txt', 'line\nbreak.txt', 'ünï cödé.txt'];
    await commitAt(Date.now(), ...names);
    const transcriptPath = await t.say('Committed.').saveUnder(home.paths);

    await captureSession({ session_id: 'sess-1', transcript_path: transcriptPath, cwd: home.project }, contextAt(Date.now()));

    expect((await entries())[0]!.files_modified).toEqual([...names].sort());
  });
});
