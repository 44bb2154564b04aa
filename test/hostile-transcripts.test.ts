import { execFile, spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readTranscript, transcriptCwd } from '../lib/clients/claude-code/read.js';
import { makeHome, repoRoot, type TempHome } from './helpers/temp-home.js';
import { transcript } from './helpers/transcript-builder.js';

let home: TempHome;
afterEach(async () => home?.remove());

/** Far above the 150 MB a hook may use, far below what reading a whole giant file takes: a runaway read fails here. */
const ADDRESS_SPACE_KB = 4 * 1024 * 1024;

/** The SessionEnd hook as Claude Code runs it, in a process whose address space is bounded. */
function runSessionEnd(input: object): Promise<{ code: number; stdout: string; stderr: string }> {
  const hook = join(repoRoot, 'dist', 'hooks', 'session-end.js');
  return new Promise((done) => {
    const child = execFile(
      'bash',
      ['-c', `ulimit -v ${ADDRESS_SPACE_KB}; exec "$0" "$1"`, process.execPath, hook],
      { cwd: home.project, env: home.env, encoding: 'utf8' },
      (error, stdout, stderr) => done({ code: error ? Number(error.code) : 0, stdout, stderr }),
    );
    child.stdin?.end(JSON.stringify(input));
  });
}

const readLog = () => readFile(home.paths.logFile, 'utf8');

/** A session that started a minute ago, in a clock that the git window can see. */
const recentSession = (sessionId = 'sess-1') =>
  transcript({ cwd: home.project, sessionId, start: new Date(Date.now() - 60_000).toISOString(), stepMs: 100 });

describe('files that are not transcripts', () => {
  it('a FIFO as transcript, with no cwd in the input, is refused: the hook exits 0 and says so', async () => {
    home = await makeHome();
    const fifo = join(home.dir, 'sess-1.jsonl');
    spawnSync('mkfifo', [fifo]);

    const result = await runSessionEnd({ session_id: 'sess-1', transcript_path: fifo, hook_event_name: 'SessionEnd' });

    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/^log-session SessionEnd hook: .*sess-1\.jsonl is a FIFO, not a regular file/);
    expect(await readLog()).toContain('is a FIFO, not a regular file');
    await expect(transcriptCwd(fifo)).resolves.toBeUndefined();
  });

  it('/dev/zero as transcript, with no cwd in the input, is refused without reading it', async () => {
    home = await makeHome();

    const result = await runSessionEnd({ session_id: 'sess-1', transcript_path: '/dev/zero', hook_event_name: 'SessionEnd' });

    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/^log-session SessionEnd hook: .*\/dev\/zero is a character device, not a regular file/);
  });

  it('a FIFO named like a sub-agent file beside the transcript is left out with a note; the rest is read', async () => {
    home = await makeHome();
    const path = await recentSession().prompt('go').write('src/a.ts').saveUnder(home.paths);
    spawnSync('mkfifo', [join(dirname(path), 'agent-a1.jsonl')]);

    const read = await readTranscript(path);

    expect(read.scan.facts.changedFiles).toEqual([join(home.project, 'src/a.ts')]);
    expect(read.notes).toEqual([`${join(dirname(path), 'agent-a1.jsonl')} is a FIFO, not a regular file: not read`]);
  });
});
