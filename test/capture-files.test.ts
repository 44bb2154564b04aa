import { execFile } from 'node:child_process';
import { readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { git, makeHome, repoRoot, runCli, type TempHome } from './helpers/temp-home.js';
import { transcript } from './helpers/transcript-builder.js';

let home: TempHome;
afterEach(async () => home?.remove());

function runStopWorker(input: object): Promise<{ code: number; stderr: string }> {
  return new Promise((done) => {
    const child = execFile(
      process.execPath,
      [join(repoRoot, 'dist', 'hooks', 'stop-worker.js')],
      { cwd: home.project, env: home.env, encoding: 'utf8' },
      (error, _stdout, stderr) => done({ code: error ? Number(error.code) : 0, stderr }),
    );
    child.stdin?.end(JSON.stringify(input));
  });
}

const filesOf = async (project: string) =>
  (JSON.parse(await readFile(join(home.paths.projectsDir, project, 'sessions.json'), 'utf8')) as { sessions: { files_modified: string[] }[] })
    .sessions.map((entry) => entry.files_modified);

/** A session that started a minute ago, in a clock that the git window can see. */
const recentSession = (cwd = home.project) => transcript({ cwd, sessionId: 'sess-1', start: new Date(Date.now() - 60_000).toISOString(), stepMs: 100 });

describe('files an earlier capture recorded', () => {
  it('are not looked up on disk again: the folder link they were reached through may be gone', async () => {
    home = await makeHome();
    const link = join(home.dir, 'link');
    await symlink(home.project, link);
    await writeFile(join(home.project, 'via-link.txt'), 'x\n');
    const t = recentSession(link).prompt('write it').write('via-link.txt');
    const input = { session_id: 'sess-1', transcript_path: await t.saveUnder(home.paths), cwd: home.project };
    await runStopWorker(input);

    await rm(link);
    await writeFile(join(home.project, 'second.txt'), 'x\n');
    await t.write(join(home.project, 'second.txt')).append();
    await runStopWorker(input);

    expect(await filesOf('widget')).toEqual([['second.txt', 'via-link.txt']]);
  });

  it('are all listed by the facts command', async () => {
    home = await makeHome();
    const t = recentSession().prompt('two files').write('src/a.ts');
    await runStopWorker({ session_id: 'sess-1', transcript_path: await t.saveUnder(home.paths), cwd: home.project });
    await t.write('src/b.ts').append();

    const facts = await runCli(home, ['facts', '--session', 'sess-1', '--json']);

    expect(JSON.parse(facts.stdout).files_modified).toEqual(['src/a.ts', 'src/b.ts']);
  });

  it('all go into the entry of the project the session moved to', async () => {
    home = await makeHome();
    const t = recentSession().prompt('two files').write('src/a.ts');
    const input = { session_id: 'sess-1', transcript_path: await t.saveUnder(home.paths), cwd: home.project };
    await runStopWorker(input);

    await git(home.project, 'remote', 'add', 'origin', 'git@github.com:acme/gadget.git');
    await t.write('src/b.ts').append();
    await runStopWorker(input);

    expect(await filesOf('gadget')).toEqual([['src/a.ts', 'src/b.ts']]);
  });
});
