import { appendFile, copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { emptyScan, type ShellRun, type TranscriptScan } from '../lib/clients/client.js';
import { gemini } from '../lib/clients/gemini/index.js';
import { MAX_LINE_BYTES } from '../lib/clients/lines.js';
import { resolvePaths } from '../lib/paths.js';

/**
 * Gemini CLI's chat recordings, as the real CLI wrote them (test/fixtures/gemini/README.md says how), read by
 * lib/clients/gemini/. The recordings' machine paths were replaced by /home/dev (home) and /home/dev/demo (project).
 */

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'gemini');
/** 0.61.0, JSONL: write_file, replace, a replace that failed, a shell command; then resumed: a relative write_file. */
const JSONL = 'session-2026-12-01T18-20-af809c90.jsonl';
const SESSION_ID = 'af809c90-2017-4f5c-b48f-fa8948f696b1';
/** 0.20.0, one JSON document: the same two prompts. */
const OLD_JSON = 'session-2026-12-01T18-22-3c7e1563.json';
const PROJECT = '/home/dev/demo';

let home: string;
let chats: string;

beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'log-session-gemini-'));
  chats = join(home, '.gemini', 'tmp', 'demo', 'chats');
  await mkdir(chats, { recursive: true });
  await writeFile(join(home, '.gemini', 'tmp', 'demo', '.project_root'), PROJECT);
});

afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

async function placed(fixture: string, name = fixture): Promise<string> {
  const path = join(chats, name);
  await copyFile(join(FIXTURES, fixture), path);
  return path;
}

function roundTrip(scan: TranscriptScan): TranscriptScan {
  return JSON.parse(JSON.stringify(scan)) as TranscriptScan;
}

describe('a real 0.61.0 recording (JSONL)', () => {
  it('changes exactly the files written and replaced with success, absolute, the failed replace left out', async () => {
    const { changedFiles } = await gemini.readTranscript(await placed(JSONL));

    expect(changedFiles).toEqual([`${PROJECT}/docs/relative.md`, `${PROJECT}/edit.txt`, `${PROJECT}/src/notes.txt`]);
    expect(changedFiles).not.toContain(`${PROJECT}/kept.txt`);
  });

  it('has the typed prompt (not the session context), the last answer, the times, and the shell run once', async () => {
    const read = await gemini.readTranscript(await placed(JSONL));

    expect(read.scan.facts).toMatchObject({
      firstPrompt: 'Capture test.',
      lastAssistantText: 'Wrote docs/relative.md.',
      firstTimestamp: '2026-12-01T18:20:00.879Z',
      lastTimestamp: '2026-12-01T18:20:45.980Z',
    });
    // The shell call: from the model's message to the call's completion.
    expect(read.shellRuns).toEqual<ShellRun[]>([{ start: Date.parse('2026-12-01T18:20:05.602Z'), end: Date.parse('2026-12-01T18:20:06.316Z') }]);
    expect(read.firstNewTimestamp).toBe('2026-12-01T18:20:00.879Z');
    expect(read.notes).toEqual([]);
  });

  it('read in small pieces gives the same facts as read at once, and each shell run once', async () => {
    const bytes = await readFile(join(FIXTURES, JSONL));
    const path = join(chats, JSONL);
    await writeFile(path, '');
    let scan = emptyScan();
    const runs: ShellRun[] = [];
    for (let at = 0; at < bytes.length; at += 997) {
      await appendFile(path, bytes.subarray(at, at + 997));
      const read = await gemini.readTranscript(path, scan);
      scan = roundTrip(read.scan);
      runs.push(...read.shellRuns);
    }
    const whole = await gemini.readTranscript(path);

    expect(scan).toEqual(whole.scan);
    expect(runs).toEqual(whole.shellRuns);
  });

  it('a second read with nothing appended adds nothing', async () => {
    const path = await placed(JSONL);
    const first = await gemini.readTranscript(path);
    const again = await gemini.readTranscript(path, roundTrip(first.scan));

    expect(again.scan).toEqual(first.scan);
    expect(again.shellRuns).toEqual([]);
    expect(again.firstNewTimestamp).toBeUndefined();
  });

  it('a relative file_path with no resolved path beside it is resolved against the project root', async () => {
    const lines = (await readFile(join(FIXTURES, JSONL), 'utf8')).split('\n').map((line) => {
      if (!line.includes('"resultDisplay"')) return line;
      const record = JSON.parse(line) as { toolCalls?: Record<string, unknown>[] };
      for (const call of record.toolCalls ?? []) delete call.resultDisplay;
      return JSON.stringify(record);
    });
    const path = join(chats, JSONL);
    await writeFile(path, lines.join('\n'));

    const { changedFiles } = await gemini.readTranscript(path);
    expect(changedFiles).toEqual([`${PROJECT}/docs/relative.md`, `${PROJECT}/edit.txt`, `${PROJECT}/src/notes.txt`]);
  });

  it('is found by session id, names its session, and says its folder', async () => {
    const path = await placed(JSONL);
    await writeFile(join(chats, 'session-2026-12-01T18-20-af809c90-other.txt'), 'not a recording');
    const paths = resolvePaths({ HOME: home });

    expect(await gemini.findTranscript(paths, SESSION_ID)).toBe(path);
    expect(await gemini.findTranscript(paths, 'af809c90-0000-0000-0000-000000000000')).toBeUndefined();
    expect(await gemini.transcriptSessionKey(path)).toBe(SESSION_ID);
    expect(await gemini.transcriptSessionKey(join(chats, 'notes.jsonl'))).toBeUndefined();
    expect(await gemini.transcriptCwd(path)).toBe(PROJECT);
  });

  it('finds the recording under $GEMINI_CLI_HOME/.gemini when it is set', async () => {
    const path = await placed(JSONL);
    expect(await gemini.findTranscript(resolvePaths({ HOME: '/nowhere', GEMINI_CLI_HOME: home }), SESSION_ID)).toBe(path);
  });
});

describe('a real recording with a SessionStart brief', () => {
  it('the prompt is what was typed, without the hook context Gemini CLI puts before it', async () => {
    const { scan, changedFiles } = await gemini.readTranscript(await placed('session-2026-12-01T18-36-f6c78278.jsonl'));
    expect(scan.facts.firstPrompt).toBe('Capture test.');
    expect(changedFiles).toEqual([`${PROJECT}/docs/relative.md`, `${PROJECT}/edit.txt`, `${PROJECT}/src/notes.txt`]);
  });
});

describe('sub-agents and rewinds', () => {
  it('a turn with nothing new is told by stats: new once the recording grows, or a sub-agent recording appears or grows', async () => {
    const path = await placed(JSONL);
    const record = (id: string) => `${JSON.stringify({ id, timestamp: '2026-12-01T18:30:00.000Z', type: 'info', content: 'x' })}\n`;
    let { scan } = await gemini.readTranscript(path);
    expect(await gemini.hasNewLines(path, scan)).toBe(false);

    await appendFile(path, record('i1'));
    expect(await gemini.hasNewLines(path, scan)).toBe(true);
    ({ scan } = await gemini.readTranscript(path, scan));
    expect(await gemini.hasNewLines(path, scan)).toBe(false);

    const subagent = join(chats, SESSION_ID, 'sub-1.jsonl');
    await mkdir(dirname(subagent));
    await writeFile(subagent, record('s1'));
    expect(await gemini.hasNewLines(path, scan)).toBe(true);
    ({ scan } = await gemini.readTranscript(path, scan));
    expect(await gemini.hasNewLines(path, scan)).toBe(false);
    await appendFile(subagent, record('s2'));
    expect(await gemini.hasNewLines(path, scan)).toBe(true);
  });

  it("a sub-agent's recording under chats/<session id>/ counts for its edits, not its prompt", async () => {
    const path = await placed(JSONL);
    const subagent = join(chats, SESSION_ID, 'sub-1.jsonl');
    await mkdir(dirname(subagent));
    await writeFile(
      subagent,
      [
        { sessionId: 'sub-1', projectHash: 'x', startTime: '2026-12-01T18:20:03.000Z', kind: 'subagent' },
        { id: 'u1', timestamp: '2026-12-01T18:20:03.100Z', type: 'user', content: [{ text: 'sub-agent task' }] },
        {
          id: 'g1',
          timestamp: '2026-12-01T18:20:03.200Z',
          type: 'gemini',
          content: 'sub-agent answer',
          toolCalls: [{ id: 'c1', name: 'write_file', args: { file_path: `${PROJECT}/by-subagent.txt` }, status: 'success', timestamp: '2026-12-01T18:20:03.300Z' }],
        },
      ]
        .map((record) => JSON.stringify(record))
        .join('\n') + '\n',
    );

    const { scan, changedFiles } = await gemini.readTranscript(path);
    expect(changedFiles).toContain(`${PROJECT}/by-subagent.txt`);
    expect(scan.facts.firstPrompt).toBe('Capture test.');
    expect(scan.facts.lastAssistantText).toBe('Wrote docs/relative.md.');
    expect(Object.keys(scan.subagents)).toEqual([subagent]);
  });

  it('a rewind takes messages out of the conversation, not the edits their tools made', async () => {
    const path = await placed(JSONL);
    await appendFile(path, `${JSON.stringify({ $rewindTo: 'anything' })}\n`);
    const { changedFiles } = await gemini.readTranscript(path);
    expect(changedFiles).toHaveLength(3);
  });
});

describe('the older format: one JSON document', () => {
  it('a real 0.20.0 recording: the same session, its relative write left relative (the folder is a hash, no .project_root)', async () => {
    const path = join(home, '.gemini', 'tmp', 'c6604f1ed37b2f8d96e8e55765a4a09cbc48bd090f4d5eae9b7959006114510f', 'chats', OLD_JSON);
    await mkdir(dirname(path), { recursive: true });
    await copyFile(join(FIXTURES, OLD_JSON), path);

    const read = await gemini.readTranscript(path);
    expect(read.changedFiles).toEqual([`${PROJECT}/edit.txt`, `${PROJECT}/src/notes.txt`, 'docs/relative.md']);
    expect(read.scan.facts).toMatchObject({
      firstPrompt: 'Capture test.',
      lastAssistantText: 'Wrote docs/relative.md.',
      firstTimestamp: '2026-12-01T18:22:13.332Z',
    });
    expect(read.shellRuns).toEqual([{ start: Date.parse('2026-12-01T18:22:13.876Z'), end: Date.parse('2026-12-01T18:22:21.227Z') }]);
    expect(await gemini.findTranscript(resolvePaths({ HOME: home }), '3c7e1563-84e4-40e6-993e-e98b0179e131')).toBe(path);
  });

  const document = {
    sessionId: 'old-session',
    projectHash: 'x',
    startTime: '2025-06-01T10:00:00.000Z',
    lastUpdated: '2025-06-01T10:05:00.000Z',
    messages: [
      { id: 'u1', timestamp: '2025-06-01T10:00:01.000Z', type: 'user', content: 'Do the thing.' },
      {
        id: 'g1',
        timestamp: '2025-06-01T10:00:02.000Z',
        type: 'gemini',
        content: 'Done.',
        toolCalls: [
          { id: 'a', name: 'write_file', args: { file_path: 'a.txt' }, status: 'success', timestamp: '2025-06-01T10:00:03.000Z' },
          { id: 'b', name: 'replace', args: { file_path: '/abs/b.txt' }, status: 'error', timestamp: '2025-06-01T10:00:04.000Z' },
          { id: 'c', name: 'run_shell_command', args: { command: 'make' }, status: 'success', timestamp: '2025-06-01T10:00:05.000Z' },
        ],
      },
    ],
  };

  it('is read whole: files, prompt, answer; read again, its shell runs are not counted twice', async () => {
    const path = join(chats, 'session-2025-06-01T10-00-old-sess.json');
    await writeFile(path, JSON.stringify(document, null, 2));

    const first = await gemini.readTranscript(path);
    expect(first.changedFiles).toEqual([`${PROJECT}/a.txt`]);
    expect(first.scan.facts).toMatchObject({ firstPrompt: 'Do the thing.', lastAssistantText: 'Done.' });
    expect(first.shellRuns).toEqual([{ start: Date.parse('2025-06-01T10:00:02.000Z'), end: Date.parse('2025-06-01T10:00:05.000Z') }]);
    expect(await gemini.transcriptSessionKey(path)).toBe('old-session');

    const again = await gemini.readTranscript(path, roundTrip(first.scan));
    expect(again.scan.facts).toEqual(first.scan.facts);
    expect(again.shellRuns).toEqual([]);
  });

  it(`over ${MAX_LINE_BYTES / (1 << 20)} MiB it is not read, and the read says so`, async () => {
    const path = join(chats, 'session-2025-06-01T10-00-old-sess.json');
    await writeFile(path, JSON.stringify({ ...document, padding: 'x'.repeat(MAX_LINE_BYTES) }));

    const read = await gemini.readTranscript(path);
    expect(read.changedFiles).toEqual([]);
    expect(read.notes).toEqual([expect.stringContaining('not read')]);
  });
});
