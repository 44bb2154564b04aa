import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { toProjectFiles } from '../lib/project/files.js';
import { emptyScan, KEPT_TEXT_CHARS, type TranscriptScan } from '../lib/clients/client.js';
import { readTranscript } from '../lib/clients/claude-code/read.js';
import { transcript } from './helpers/transcript-builder.js';
import { realTranscripts } from './fixtures/claude-code/expected.js';

/** What a read folds from `previous` on: the scan to save, and `changed`, the files its own lines changed. */
const scanTranscript = async (path: string, previous?: TranscriptScan) => {
  const { scan, changedFiles } = readTranscript(path, previous);
  return { ...scan, changed: changedFiles };
};

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'claude-code');

let dir: string;
let claudeConfigDir: string;
const cwd = '/work/repo';

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'log-session-transcript-'));
  claudeConfigDir = join(dir, '.claude');
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** What a state saved between hook runs looks like when read back. */
function roundTrip<T extends TranscriptScan>(scan: T): T {
  return JSON.parse(JSON.stringify(scan)) as T;
}

describe('real transcripts', () => {

  it.each(realTranscripts)('$file changes exactly the expected files', async ({ file, home, changed, files }) => {
    const scan = await scanTranscript(join(FIXTURES, file));

    expect(scan.changed).toEqual(changed);
    const roots = { projectRoot: scan.facts.cwd!, home, bookkeeping: [join(home, '.claude')] };
    expect(toProjectFiles(scan.changed, roots)).toEqual(files);
  });

  it.each(realTranscripts)('$file read in small pieces gives the same facts as read at once', async ({ file }) => {
    const bytes = await readFile(join(FIXTURES, file));
    const path = join(dir, file);
    await writeFile(path, '');
    let scan = emptyScan();
    const changed = new Set<string>();
    // 7919 bytes at a time: pieces end mid-line and, in the Japanese text of ccviewer_*, mid-character
    for (let at = 0; at < bytes.length; at += 7919) {
      await appendFile(path, bytes.subarray(at, at + 7919));
      const { changed: pieceChanged, ...piece } = await scanTranscript(path, scan);
      for (const file of pieceChanged) changed.add(file);
      scan = roundTrip(piece);
    }
    const whole = await scanTranscript(join(FIXTURES, file));

    // Each piece reports its own files; a file changed in two pieces is counted by each.
    const { changed: _, ...wholeScan } = roundTrip(whole);
    expect(scan).toEqual({ ...wholeScan, facts: { ...wholeScan.facts, changedFileCount: scan.facts.changedFileCount } });
    expect([...changed].sort()).toEqual(whole.changed);
  });

  it('2.1.330: prompt, last answer, times, cwd and branch', async () => {
    const { facts } = await scanTranscript(join(FIXTURES, 'cc_v2.1.330_edit-write-failed.jsonl'));

    expect(facts).toMatchObject({
      firstPrompt: 'create hello.txt',
      lastAssistantText: 'Done.',
      firstTimestamp: '2026-11-24T01:38:42.265Z',
      lastTimestamp: '2026-11-24T01:38:42.698Z',
      cwd: '/home/dev/work',
      gitBranch: 'master',
      pendingEdits: {},
    });
  });

  it('the first prompt comes after the caveat, /exit and its output, and survives compaction', async () => {
    const { facts } = await scanTranscript(join(FIXTURES, 'entire_v2.0.76_a6e4c2a0fbd1-0_compact.jsonl'));

    expect(facts.firstPrompt).toMatch(/^for the change in cmd\/entire\/cli\/hooks_claudecode_handlers.go I think/);
  });

  it('a session that only ran a slash command has no first prompt', async () => {
    const { facts } = await scanTranscript(join(FIXTURES, 'ccviewer_v1.0.98_1af7fc5e.jsonl'));

    expect(facts.firstPrompt).toBeUndefined();
    expect(facts.lastAssistantText).toMatch(/^I've created a basic CLAUDE.md/);
  });

  it('a last line without a newline is not consumed', async () => {
    const path = join(FIXTURES, 'entire_v2.1.12_7ed4051c8a85-0.jsonl');
    const bytes = await readFile(path);

    const scan = await scanTranscript(path);

    expect(scan.offset).toBe(bytes.lastIndexOf(0x0a) + 1);
  });
});

describe('file tools', () => {
  it('successful Write, Edit, MultiEdit and NotebookEdit calls are recorded', async () => {
    const path = await transcript({ cwd })
      .prompt('change things')
      .write('src/a.ts')
      .edit('src/b.ts')
      .multiEdit('src/c.ts')
      .notebookEdit('notes/d.ipynb')
      .tool('Read', { file_path: '/work/repo/src/e.ts' })
      .tool('Bash', { command: 'touch src/f.ts' })
      .saveUnder(claudeConfigDir);

    const { facts, changed } = await scanTranscript(path);

    expect(changed).toEqual(['/work/repo/notes/d.ipynb', '/work/repo/src/a.ts', '/work/repo/src/b.ts', '/work/repo/src/c.ts']);
    expect(facts.pendingEdits).toEqual({});
  });

  it('failed, refused and interrupted edits are not recorded', async () => {
    const path = await transcript({ cwd })
      .edit('src/failed.ts', { fails: 'File has not been read yet. Read it first before writing to it.' })
      .write('src/refused.ts', { refused: true })
      .edit('src/interrupted.ts', { interrupted: true })
      .tool('Edit', { file_path: '/work/repo/src/invalid.ts' }, { fails: 'InputValidationError: old_string is missing' })
      .edit('src/kept.ts')
      .saveUnder(claudeConfigDir);

    const { facts, changed } = await scanTranscript(path);

    expect(changed).toEqual(['/work/repo/src/kept.ts']);
    expect(facts.pendingEdits).toEqual({});
  });

  it('an edit without a result is not recorded but kept pending', async () => {
    const path = await transcript({ cwd }).edit('src/a.ts', { id: 'toolu_open', noResult: true }).saveUnder(claudeConfigDir);

    const { facts, changed } = await scanTranscript(path);

    expect(changed).toEqual([]);
    expect(facts.pendingEdits).toEqual({ toolu_open: '/work/repo/src/a.ts' });
  });

  it('a result that arrives in a later increment still counts', async () => {
    const t = transcript({ cwd }).edit('src/a.ts', { id: 'toolu_late', noResult: true });
    const path = await t.saveUnder(claudeConfigDir);
    const first = roundTrip(await scanTranscript(path));

    await t.resultOf('toolu_late').append();
    const second = await scanTranscript(path, first);

    expect(first.changed).toEqual([]);
    expect(second.changed).toEqual(['/work/repo/src/a.ts']);
    expect(second.facts.pendingEdits).toEqual({});
  });

  it('edits quoted inside 2.1.x bookkeeping lines (api-request-blob, progress) are not counted', async () => {
    const toolUse = { type: 'tool_use', id: 'toolu_quoted', name: 'Write', input: { file_path: '/work/repo/quoted.ts', content: '' } };
    const toolResult = { type: 'tool_result', tool_use_id: 'toolu_quoted', content: 'ok' };
    const path = await transcript({ cwd })
      .raw({ type: 'api-request-blob', sessionId: 's', message: { role: 'assistant', content: [toolUse] } })
      .raw({ type: 'api-request-blob', sessionId: 's', message: { role: 'user', content: [toolResult] } })
      .raw({
        parentUuid: null,
        isSidechain: false,
        type: 'progress',
        data: { type: 'agent_progress', message: { type: 'assistant', message: { role: 'assistant', content: [toolUse] } } },
        timestamp: '2026-01-05T09:00:00.000Z',
      })
      .saveUnder(claudeConfigDir);

    const { facts, changed } = await scanTranscript(path);

    expect(changed).toEqual([]);
    expect(facts.pendingEdits).toEqual({});
  });
});

describe('sub-agents', () => {
  it('inline sidechain edits count; their prompts and text do not', async () => {
    const path = await transcript({ cwd })
      .prompt('document it')
      .sidechain((agent) => agent.write('docs/notes.md').say('sub-agent text'), 'sub-agent prompt')
      .say('main text')
      .sidechain((agent) => agent.say('later sub-agent text'))
      .saveUnder(claudeConfigDir);

    const { facts, changed } = await scanTranscript(path);

    expect(changed).toEqual(['/work/repo/docs/notes.md']);
    expect(facts.firstPrompt).toBe('document it');
    expect(facts.lastAssistantText).toBe('main text');
  });

  it('agent files beside the transcript count only when they carry this session id', async () => {
    const other = transcript({ cwd }).prompt('other work').agent((agent) => agent.write('src/other.ts'), { layout: 'sibling', agentId: 'b2' });
    await other.saveUnder(claudeConfigDir);
    const t = transcript({ cwd })
      .prompt('mine')
      .agent((agent) => agent.edit('src/mine.ts').say('sub-agent text'), { layout: 'sibling', agentId: 'a1' });
    const path = await t.saveUnder(claudeConfigDir);

    const first = roundTrip(await scanTranscript(path));

    expect(first.changed).toEqual(['/work/repo/src/mine.ts']);
    expect(first.facts.lastAssistantText).toBeUndefined();
    expect(Object.keys(first.subagents)).toEqual([join(dirname(path), 'agent-a1.jsonl')]);
    expect(first.foreignAgentFiles).toEqual(['agent-b2.jsonl']);

    // the other session's agent file grows; this session's does too
    await other.agent((agent) => agent.write('src/other2.ts'), { layout: 'sibling', agentId: 'b2' }).append();
    await t.agent((agent) => agent.write('src/mine2.ts'), { layout: 'sibling', agentId: 'a1' }).append();
    const second = await scanTranscript(path, first);

    expect(second.changed).toEqual(['/work/repo/src/mine2.ts']);
  });

  it('agent files under <session>/subagents count, nested folders included', async () => {
    const t = transcript({ cwd })
      .prompt('fan out')
      .agent((agent) => agent.write('src/a.ts'), { layout: 'subagents' })
      .agent((agent) => agent.edit('src/b.ts', { fails: 'String to replace not found in file.' }).edit('src/c.ts'), {
        layout: 'subagents',
        folder: 'workflows/run-1',
      })
      .say('all done');
    const path = await t.saveUnder(claudeConfigDir);

    const first = roundTrip(await scanTranscript(path));
    await t.agent((agent) => agent.notebookEdit('nb/d.ipynb'), { layout: 'subagents', tool: 'Task' }).append();
    const second = await scanTranscript(path, first);

    expect(first.changed).toEqual(['/work/repo/src/a.ts', '/work/repo/src/c.ts']);
    expect(first.facts.lastAssistantText).toBe('all done');
    expect(Object.keys(first.subagents)).toHaveLength(2);
    expect(second.changed).toEqual(['/work/repo/nb/d.ipynb']);
    expect(Object.keys(second.subagents)).toHaveLength(3);
  });
});

describe('increments', () => {
  it('a resumed session appends to the same file: the next scan reads only the new bytes, its facts accumulate and its files are the new ones', async () => {
    const t = transcript({ cwd, start: '2026-02-01T10:00:00.000Z' }).prompt('first').write('src/a.ts').say('first answer');
    const path = await t.saveUnder(claudeConfigDir);
    const savedSize = (await readFile(path)).length;
    const first = roundTrip(await scanTranscript(path));

    await t.at('2026-02-03T08:00:00.000Z').prompt('second').edit('src/b.ts').say('second answer').append();
    const second = await scanTranscript(path, first);
    const onlyNew = await scanTranscript(path, { ...first, facts: emptyScan().facts });

    expect(first.offset).toBe(savedSize);
    expect(second.offset).toBe((await readFile(path)).length);
    expect(second.facts).toMatchObject({
      changedFileCount: 2,
      firstPrompt: 'first',
      lastAssistantText: 'second answer',
      firstTimestamp: '2026-02-01T10:00:00.000Z',
      lastTimestamp: '2026-02-03T08:00:03.000Z',
    });
    expect(first.changed).toEqual(['/work/repo/src/a.ts']);
    expect(second.changed).toEqual(['/work/repo/src/b.ts']);
    expect(onlyNew.facts.firstPrompt).toBe('second');
  });

  it('a partial last line is not consumed; once completed it counts', async () => {
    const t = transcript({ cwd }).prompt('go');
    const path = await t.saveUnder(claudeConfigDir);
    const text = t.write('src/a.ts').takeUnwritten();
    const cut = text.length - 40;
    await appendFile(path, text.slice(0, cut));
    const sizeWithPartialLine = (await readFile(path)).length;

    const first = roundTrip(await scanTranscript(path));
    await appendFile(path, text.slice(cut));
    const second = await scanTranscript(path, first);

    const partialLine = text.slice(text.lastIndexOf('\n', cut) + 1, cut);
    expect(first.offset).toBe(sizeWithPartialLine - Buffer.byteLength(partialLine));
    expect(first.changed).toEqual([]);
    expect(second.changed).toEqual(['/work/repo/src/a.ts']);
  });

  it('a transcript rewritten shorter than the saved offset is read again from the start', async () => {
    const long = transcript({ cwd }).prompt('old prompt').write('src/old.ts').say('old answer');
    const path = await long.saveUnder(claudeConfigDir);
    const first = roundTrip(await scanTranscript(path));

    await writeFile(path, transcript({ cwd }).prompt('new').edit('src/new.ts').toJsonl());
    const second = await scanTranscript(path, first);

    expect(second.changed).toEqual(['/work/repo/src/new.ts']);
    expect(second.facts.firstPrompt).toBe('new');
    expect(second.offset).toBe((await readFile(path)).length);
  });

  it('lines longer than a read chunk, with multi-byte text across chunk boundaries, are read whole', async () => {
    const long = `x${'é日本🙂'.repeat(200_000)}`;
    const path = await transcript({ cwd })
      .attachment(3_000_000)
      .prompt(long)
      .write(`src/${long}.ts`)
      .write('src/a.ts')
      .saveUnder(claudeConfigDir);

    const { facts, changed } = await scanTranscript(path);

    // Texts keep only their start; a path is kept whole.
    expect(facts.firstPrompt).toBe(long.slice(0, KEPT_TEXT_CHARS));
    expect(changed).toEqual(['/work/repo/src/a.ts', `/work/repo/src/${long}.ts`]);
  });
});

describe('odd content', () => {
  it('garbage and unknown lines are skipped', async () => {
    const path = await transcript({ cwd })
      .garbage()
      .garbage('not json at all')
      .raw({ type: 'some-future-line', payload: { nested: [1, 2, 3] } })
      .raw('[1, 2, 3]')
      .raw('')
      .prompt('still read')
      .write('src/a.ts')
      .saveUnder(claudeConfigDir);

    const { facts, changed } = await scanTranscript(path);

    expect(facts.firstPrompt).toBe('still read');
    expect(changed).toEqual(['/work/repo/src/a.ts']);
  });

  it('one file holding two session ids is one session', async () => {
    const path = await transcript({ cwd })
      .prompt('plan it')
      .write('/home/u/.claude/plans/plan.md')
      .continueAs('5d0d1f52-0000-4000-8000-000000000000')
      .prompt('Implement the following plan: ...')
      .edit('src/a.ts')
      .saveUnder(claudeConfigDir);

    const { facts, changed } = await scanTranscript(path);

    expect(facts.firstPrompt).toBe('plan it');
    expect(changed).toEqual(['/home/u/.claude/plans/plan.md', '/work/repo/src/a.ts']);
  });

  it('compaction resets nothing', async () => {
    const t = transcript({ cwd }).prompt('fix the parser').write('src/a.ts').say('before');
    const path = await t.saveUnder(claudeConfigDir);
    const first = roundTrip(await scanTranscript(path));

    await t.compact().edit('src/b.ts').say('after').append();
    const second = await scanTranscript(path, first);

    expect(second.facts).toMatchObject({
      firstPrompt: 'fix the parser',
      lastAssistantText: 'after',
      changedFileCount: 2,
      firstTimestamp: first.facts.firstTimestamp,
    });
    expect(second.changed).toEqual(['/work/repo/src/b.ts']);
  });

  it('the first prompt skips meta, command, caveat, interrupt, tool-result and compact-summary lines', async () => {
    const path = await transcript({ cwd })
      .meta('Caveat: The messages below were generated by the user while running local commands.')
      .command('/init', 'Please analyze this codebase')
      .prompt('<local-command-stdout>Goodbye!</local-command-stdout>')
      .prompt('Caveat: The messages below were generated by the user while running local commands.')
      .interrupt()
      .compact()
      .write('src/a.ts')
      .prompt('  the real question  ')
      .prompt('a later prompt')
      .saveUnder(claudeConfigDir);

    const { facts } = await scanTranscript(path);

    expect(facts.firstPrompt).toBe('the real question');
  });

  it('the last assistant text is the newest main-thread text block', async () => {
    const path = await transcript({ cwd })
      .prompt('hi')
      .say('one')
      .say('two')
      .write('src/a.ts')
      .agent((agent) => agent.say('from a sub-agent'), { layout: 'subagents' })
      .saveUnder(claudeConfigDir);

    const { facts } = await scanTranscript(path);

    expect(facts.lastAssistantText).toBe('two');
  });

  it('times, cwd and branch come from the newest lines', async () => {
    const path = await transcript({ cwd, start: '2026-03-01T12:00:00.000Z', stepMs: 60_000, gitBranch: '' })
      .prompt('a')
      .raw({ type: 'queue-operation', operation: 'enqueue', timestamp: '2026-03-01T11:59:00.000Z', sessionId: 's' })
      .raw({ parentUuid: null, isSidechain: false, cwd: '/work/repo/sub', gitBranch: 'feature', type: 'system', subtype: 'informational', timestamp: '2026-03-01T12:30:00.000Z' })
      .say('b')
      .saveUnder(claudeConfigDir);

    const { facts } = await scanTranscript(path);

    expect(facts).toMatchObject({
      firstTimestamp: '2026-03-01T11:59:00.000Z',
      lastTimestamp: '2026-03-01T12:30:00.000Z',
      cwd: '/work/repo',
      gitBranch: 'feature',
    });
  });

  it('a missing transcript throws the fs error', async () => {
    await expect(scanTranscript(join(dir, 'nope.jsonl'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
