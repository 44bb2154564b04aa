import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { realTranscripts } from './fixtures/claude-code/expected.js';
import { repoRoot } from './helpers/temp-home.js';

const fixtures = join(repoRoot, 'test', 'fixtures', 'claude-code');
let dir: string;
afterEach(async () => rm(dir, { recursive: true, force: true }));

describe('the Stop hook\'s capture on real transcripts', () => {
  it.each(realTranscripts)('$file records exactly the files it changed, and what its task list, plan or compaction says', async ({ file, home, files, summary, followUps }) => {
    dir = await mkdtemp(join(tmpdir(), 'log-session-fixture-'));
    const transcriptPath = join(dir, 'projects', 'p', file);
    await mkdir(join(dir, 'projects', 'p'), { recursive: true });
    await copyFile(join(fixtures, file), transcriptPath);
    // HOME is the fixture's own, so its ~/.claude plan files are recognised; memory and state go to the temp folder.
    const env = { PATH: process.env.PATH ?? '', HOME: home, AICONFIG_HOME: join(dir, 'aiconfig'), XDG_STATE_HOME: join(dir, 'state'), TZ: 'UTC' };
    const input = JSON.stringify({ session_id: 'fixture', transcript_path: transcriptPath, cwd: '/no/longer/there', hook_event_name: 'Stop' });
    const result = await new Promise<{ stdout: string; stderr: string }>((done, fail) => {
      const child = execFile(process.execPath, [join(repoRoot, 'dist', 'hooks', 'stop-worker.js')], { env, cwd: dir }, (error, stdout, stderr) =>
        error ? fail(error) : done({ stdout, stderr }),
      );
      child.stdin?.end(input);
    });
    expect(result).toEqual({ stdout: '', stderr: '' });
    const projects = await readdir(join(dir, 'aiconfig', 'memory', 'projects'));
    expect(projects).toHaveLength(1);
    const { sessions } = JSON.parse(await readFile(join(dir, 'aiconfig', 'memory', 'projects', projects[0]!, 'sessions.json'), 'utf8'));
    expect(sessions).toHaveLength(1);
    expect(sessions[0].files_modified).toEqual(files);
    if (summary !== undefined) expect(sessions[0].summary.startsWith(summary), sessions[0].summary).toBe(true);
    if (followUps !== undefined) expect(sessions[0].follow_up).toEqual(followUps);
  });
});
