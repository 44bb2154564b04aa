import { execFile, spawnSync } from 'node:child_process';
import { appendFile, open, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { emptyScan, KEPT_TEXT_CHARS, MAX_READ_FILES, MAX_SESSION_FILES, type TranscriptScan } from '../lib/clients/client.js';
import { Fold } from '../lib/clients/claude-code/fold.js';
import { readTranscript, transcriptCwd } from '../lib/clients/claude-code/read.js';
import { MAX_LINE_BYTES, READ_BUDGET_BYTES } from '../lib/clients/lines.js';
import { readSessionState } from '../lib/memory/state.js';
import { makeHome, repoRoot, type TempHome } from './helpers/temp-home.js';
import { transcript } from './helpers/transcript-builder.js';

let home: TempHome;
afterEach(async () => home?.remove());

const MiB = 1024 * 1024;
/** Far above the 150 MB a hook may use, far below what reading a whole giant file takes: a runaway read fails here. */
const ADDRESS_SPACE_KB = 4 * 1024 * 1024;

/** The SessionEnd hook as Claude Code runs it, in a process whose address space is bounded. */
function runSessionEnd(input: object): Promise<{ code: number; stdout: string; stderr: string }> {
  const hook = join(repoRoot, 'dist', 'hooks', 'session-end-worker.js');
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
const readEntries = async () =>
  (JSON.parse(await readFile(join(home.paths.projectsDir, 'widget', 'sessions.json'), 'utf8')) as { sessions: { files_modified: string[] }[] }).sessions;

/** A session that started a minute ago, in a clock that the git window can see. */
const recentSession = (sessionId = 'sess-1') =>
  transcript({ cwd: home.project, sessionId, start: new Date(Date.now() - 60_000).toISOString(), stepMs: 100 });

/** `bytes` of zeros, no newline, taking no disk (sparse), then `after` from there on. */
async function writeZeros(path: string, bytes: number, after = ''): Promise<void> {
  const handle = await open(path, 'w');
  await handle.truncate(bytes);
  await handle.write(after, bytes);
  await handle.close();
}

const PROMPT_HEAD = '{"type":"user","message":{"role":"user","content":"';
const PROMPT_TAIL = '"},"timestamp":"2026-01-05T09:00:00.000Z"}';
/** Bytes of a prompt line that are not the prompt. */
const PROMPT_LINE_OVERHEAD = PROMPT_HEAD.length + PROMPT_TAIL.length;

/** A user line whose prompt of x's makes the line `bytes` long. */
function promptLineOf(bytes: number): string {
  return PROMPT_HEAD + 'x'.repeat(bytes - PROMPT_LINE_OVERHEAD) + PROMPT_TAIL;
}

const roundTrip = (scan: TranscriptScan): TranscriptScan => JSON.parse(JSON.stringify(scan)) as TranscriptScan;

describe('files that are not transcripts', () => {
  it('a FIFO as transcript, with no cwd in the input, is refused: the hook exits 0 and says so', async () => {
    home = await makeHome();
    const fifo = join(home.dir, 'sess-1.jsonl');
    spawnSync('mkfifo', [fifo]);

    const result = await runSessionEnd({ session_id: 'sess-1', transcript_path: fifo, hook_event_name: 'SessionEnd' });

    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/^log-session SessionEnd hook: .*sess-1\.jsonl is a FIFO, not a regular file/);
    expect(await readLog()).toContain('is a FIFO, not a regular file');
    expect(transcriptCwd(fifo)).toBeUndefined();
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

    const read = readTranscript(path);

    expect(read.changedFiles).toEqual([join(home.project, 'src/a.ts')]);
    expect(read.notes).toEqual([`${join(dirname(path), 'agent-a1.jsonl')} is a FIFO, not a regular file: not read`]);
  });
});

describe('lines over the size cap', () => {
  it('a line over the cap is skipped and counted once; the lines after it are read', async () => {
    home = await makeHome();
    const t = recentSession().say('ready');
    const path = await t.saveUnder(home.paths);
    await appendFile(path, `${promptLineOf(MAX_LINE_BYTES + 1)}\n${promptLineOf(MAX_LINE_BYTES)}\n`);
    await t.prompt('the real question').write('src/a.ts').append();

    const { scan, changedFiles, notes } = readTranscript(path);

    // The line of exactly the cap was read (its prompt's start is kept), not the question after it.
    expect(scan.facts.firstPrompt).toHaveLength(KEPT_TEXT_CHARS);
    expect(changedFiles).toEqual([join(home.project, 'src/a.ts')]);
    expect(scan.offset).toBe((await readFile(path)).length);
    expect(notes).toEqual([`${path}: skipped 1 line over 16 MiB (never read whole: what it held is not recorded)`]);
  });

  it('a line over the cap still being written: the offset moves past what was read, and the next read goes on skipping it', async () => {
    home = await makeHome();
    const t = recentSession().prompt('first');
    const path = await t.saveUnder(home.paths);
    const long = promptLineOf(MAX_LINE_BYTES + 2 * MiB);
    await appendFile(path, long.slice(0, MAX_LINE_BYTES + MiB));
    const sizeThen = (await stat(path)).size;

    const first = readTranscript(path);
    await appendFile(path, `${long.slice(MAX_LINE_BYTES + MiB)}\n`);
    await t.write('src/a.ts').append();
    const second = readTranscript(path, roundTrip(first.scan));

    expect(first.scan.offset).toBe(sizeThen);
    expect(first.notes).toHaveLength(1);
    expect(second.notes).toEqual([]);
    expect(second.scan.facts).toMatchObject({ firstPrompt: 'first' });
    expect(second.changedFiles).toEqual([join(home.project, 'src/a.ts')]);
    expect(second.scan.offset).toBe((await readFile(path)).length);
  });

  it('a file of zeros without a newline is read a budget at a time, never held whole, and its offset saved', async () => {
    home = await makeHome();
    const path = join(home.dir, 'sess-1.jsonl');
    const size = READ_BUDGET_BYTES + 32 * MiB;
    const tail = recentSession().prompt('after the zeros').write('src/a.ts').toJsonl();
    await writeZeros(path, size, `\n${tail}`);

    const first = readTranscript(path);
    const second = readTranscript(path, roundTrip(first.scan));

    expect(first.scan.offset).toBe(READ_BUDGET_BYTES);
    expect(first.notes).toEqual([`${path}: skipped 1 line over 16 MiB (never read whole: what it held is not recorded)`]);
    expect(first.changedFiles).toEqual([]);
    expect(second.notes).toEqual([]);
    expect(second.scan.facts).toMatchObject({ firstPrompt: 'after the zeros' });
    expect(second.changedFiles).toEqual([join(home.project, 'src/a.ts')]);
    expect(second.scan.offset).toBe(size + 1 + Buffer.byteLength(tail));
  });

  it('the hook on a file of zeros exits 0, writes the entry, logs the skipped line and saves the offset for the next turn', async () => {
    home = await makeHome();
    const path = join(home.dir, 'sess-1.jsonl');
    await writeZeros(path, 2 * MAX_LINE_BYTES);
    const input = { session_id: 'sess-1', transcript_path: path, cwd: home.project, hook_event_name: 'SessionEnd' };
    await writeFile(join(home.project, 'by-bash.txt'), 'x\n');

    const first = await runSessionEnd(input);
    const second = await runSessionEnd(input);

    expect(first.code).toBe(0);
    expect(first.stderr).toMatch(/^log-session SessionEnd hook: .*skipped 1 line over 16 MiB/);
    // No line of the session was read: nothing is known of it, so no dirty file of the repository is guessed.
    expect(await readEntries()).toEqual([expect.objectContaining({ files_modified: [] })]);
    expect(readSessionState(home.paths, 'sess-1').scan?.offset).toBe(2 * MAX_LINE_BYTES);
    expect(second).toEqual({ code: 0, stdout: '', stderr: '' });
  });
});

describe('sessions with more files than the cap', () => {
  /** The fold after `held` files, then a successful Write of each of `more`. */
  function foldFiles(held: number, more: string[]): Fold {
    const fold = new Fold({ ...emptyScan().facts, changedFileCount: held });
    const lines = more.reduce((t, path) => t.write(path), transcript({ cwd: '/work/repo' })).toJsonl().trim().split('\n');
    for (const line of lines) fold.addLine(Buffer.from(line), false);
    return fold;
  }

  it('files past the cap are left out, and the fold says it reached the cap', () => {
    const fold = foldFiles(MAX_SESSION_FILES - 1, ['new-1.ts', 'new-2.ts']);

    expect(fold.changedFiles()).toEqual(['/work/repo/new-1.ts']);
    expect(fold.facts().changedFileCount).toBe(MAX_SESSION_FILES);
    expect(fold.filesCapped).toBe(true);
  });

  it('below the cap nothing is left out', () => {
    const fold = foldFiles(3, ['a.ts', 'b.ts']);

    expect(fold.changedFiles()).toEqual(['/work/repo/a.ts', '/work/repo/b.ts']);
    expect(fold.facts().changedFileCount).toBe(5);
    expect(fold.filesCapped).toBe(false);
  });
});

describe('reads packed with edits', () => {
  /** One assistant line with a Write of each path, and one user line with all their results. */
  function packedWrites(paths: string[], first: number): Record<string, unknown>[] {
    const id = (n: number) => `toolu_packed_${first + n}`;
    const at = { cwd: home.project, sessionId: 'sess-1', timestamp: new Date().toISOString() };
    const uses = paths.map((path, n) => ({ type: 'tool_use', id: id(n), name: 'Write', input: { file_path: path, content: '' } }));
    const results = paths.map((_, n) => ({ type: 'tool_result', tool_use_id: id(n), content: 'ok' }));
    return [
      { type: 'assistant', ...at, message: { role: 'assistant', content: uses } },
      { type: 'user', ...at, message: { role: 'user', content: results } },
    ];
  }

  it('a read stops after the line that takes it to MAX_READ_FILES files; the next read goes on from there', async () => {
    home = await makeHome();
    const batch = 30_000;
    const files = (from: number) => Array.from({ length: batch }, (_, n) => join(home.project, `src/f${from + n}.ts`));
    const t = recentSession().prompt('many files');
    for (const line of [...packedWrites(files(0), 0), ...packedWrites(files(batch), batch)]) t.raw(line);
    const path = await t.write('src/last.ts').saveUnder(home.paths);

    const first = readTranscript(path);
    const second = readTranscript(path, roundTrip(first.scan));

    expect(MAX_READ_FILES).toBeLessThan(2 * batch);
    expect(first.changedFiles).toHaveLength(2 * batch);
    expect(first.scan.offset).toBeLessThan((await stat(path)).size);
    expect(second.changedFiles).toEqual([join(home.project, 'src/last.ts')]);
    expect(second.scan.offset).toBe((await stat(path)).size);
    expect(second.scan.facts.changedFileCount).toBe(2 * batch + 1);
  });
});
