import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { readProjectMemory } from '../lib/memory/read.js';
import { buildBrief } from '../lib/read/brief.js';
import { startSession } from '../lib/session/start.js';
import { captureSession, endSession } from '../lib/session/turn.js';
import { updateSessionEntry, type SessionServices } from '../lib/session/update.js';
import { makeHome, type TempHome } from './helpers/temp-home.js';
import { transcript, type TranscriptBuilder } from './helpers/transcript-builder.js';

/**
 * What a session's entry says when nobody recorded it: built from its task list, its commits, Claude Code's own
 * title and compaction summary, and its plan, before the asked/answered text (README, "Automatic entries").
 */

let home: TempHome;
afterEach(async () => home?.remove());

const services = (): SessionServices => ({ paths: home.paths, now: () => new Date(), warn: () => {} });
const nowIso = () => new Date().toISOString();
const memoryFile = async (file: string) => JSON.parse(await readFile(join(home.paths.projectsDir, 'widget', file), 'utf8')) as Record<string, any>;
const entryOf = async (sessionKey: string) => {
  const { entryId } = JSON.parse(await readFile(join(home.paths.stateDir, 'sessions', `${sessionKey}.json`), 'utf8')) as { entryId: string };
  return ((await memoryFile('sessions.json')).sessions as Record<string, any>[]).find((entry) => entry.id === entryId)!;
};

/** A session started now, as Claude Code starts one (SessionStart first), on the clock git's window sees. */
async function startedSession(sessionKey: string, prompt: string) {
  const t = transcript({ cwd: home.project, sessionId: sessionKey, start: nowIso(), stepMs: 10 }).prompt(prompt);
  const source = { sessionKey, transcriptPath: await t.saveUnder(home.paths), cwd: home.project };
  await startSession(source, services());
  return { t, source };
}

/** One turn: the lines added since the last one, then the Stop hook's capture. */
async function turn(t: TranscriptBuilder, source: { sessionKey: string; transcriptPath: string; cwd: string }): Promise<void> {
  await t.append();
  await captureSession(source, services());
}

/** `git commit` run through the session's Bash tool at `time`: the commit is dated between the call and its result. */
async function commitThroughBash(t: TranscriptBuilder, subject: string, time: number): Promise<void> {
  const id = `bash-${Math.random().toString(36).slice(2)}`;
  t.at(new Date(time).toISOString()).tool('Bash', { command: `git commit -am "${subject}"` }, { id, noResult: true });
  await writeFile(join(home.project, 'README.md'), `# widget\n${subject}\n`);
  const date = new Date(time + 500).toISOString();
  await promisify(execFile)('git', ['commit', '-qam', subject], { cwd: home.project, env: { ...process.env, GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date } });
  t.at(new Date(time + 1000).toISOString()).resultOf(id);
}

describe('an automatic entry', () => {
  it('a task list: its completed tasks lead the summary, the rest are the follow-ups, as the list stands at the last stop', async () => {
    home = await makeHome();
    const { t, source } = await startedSession('S1', 'Build the parser');
    t.todoWrite([
      { content: 'Write the lexer', status: 'completed' },
      { content: 'Write the parser', status: 'in_progress' },
      { content: 'Add parser tests', status: 'pending' },
    ]).say('Lexer done, parser under way.');
    await turn(t, source);
    expect(await entryOf('S1')).toMatchObject({
      summary: 'Done: Write the lexer. Asked: Build the parser. Outcome: Lexer done, parser under way.',
      follow_up: ['Write the parser', 'Add parser tests'],
    });

    t.todoWrite([
      { content: 'Write the lexer', status: 'completed' },
      { content: 'Write the parser', status: 'completed' },
      { content: 'Add parser tests', status: 'pending' },
    ]);
    await turn(t, source);
    expect(await entryOf('S1')).toMatchObject({ summary: expect.stringMatching(/^Done: Write the lexer; Write the parser\. Asked:/), follow_up: ['Add parser tests'] });
  });

  it('TaskCreate and TaskUpdate: tasks by their id, a failed create and a deleted task left out', async () => {
    home = await makeHome();
    const { t, source } = await startedSession('S1', 'Plan the release');
    t.taskCreate('1', 'Tag the release')
      .taskCreate('2', 'Write the changelog')
      .taskCreate('3', 'Bump the version')
      .taskCreate('4', 'Never made', { fails: 'blank subject' })
      .taskUpdate('1', 'completed')
      .taskUpdate('2', 'in_progress')
      .taskUpdate('3', 'deleted');
    await turn(t, source);
    expect(await entryOf('S1')).toMatchObject({ summary: expect.stringMatching(/^Done: Tag the release\. Asked: Plan the release\.$/), follow_up: ['Write the changelog'] });
  });

  it("a sub-agent's own task list is not the session's", async () => {
    home = await makeHome();
    const { t, source } = await startedSession('S1', 'Look into the bug');
    t.agent((agent) => agent.todoWrite([{ content: 'Read the logs', status: 'pending' }]), { layout: 'subagents' }).say('Found it.');
    await turn(t, source);
    expect(await entryOf('S1')).toMatchObject({ summary: 'Asked: Look into the bug. Outcome: Found it.', follow_up: [] });
  });

  it('a commit made through Bash: its subject is in the summary, and a resumed run adds its own', async () => {
    home = await makeHome();
    const start = Date.now() - 2 * 3_600_000;
    const t = transcript({ cwd: home.project, sessionId: 'S1', start: new Date(start).toISOString(), stepMs: 10 }).prompt('Fix the README');
    const source = { sessionKey: 'S1', transcriptPath: await t.saveUnder(home.paths), cwd: home.project };
    await commitThroughBash(t, 'Fix the README title', start + 10_000);
    await turn(t.say('Committed.'), source);
    expect((await entryOf('S1')).summary).toBe('Commits: Fix the README title. Asked: Fix the README. Outcome: Committed.');

    // Resumed an hour later: the first run's commit stays in the summary.
    t.at(new Date(start + 3_600_000).toISOString()).prompt('Now the intro');
    await commitThroughBash(t, 'Rewrite the intro', start + 3_610_000);
    await turn(t.say('Done.'), source);
    expect((await entryOf('S1')).summary).toBe('Commits: Fix the README title; Rewrite the intro. Asked: Now the intro. Outcome: Done. Earlier: Fix the README.');
  });

  it("Claude Code's title line, else its compaction summary, and the plan's title come before what was asked", async () => {
    home = await makeHome();
    const compacted = await startedSession('S1', 'Speed up the build');
    compacted.t
      .say('Looking.')
      .compact('Analysis:\nThe user wants speed.\n\nSummary:\n1. Primary Request and Intent:\n   - Cache the TypeScript build between runs\n   - Keep CI green')
      .exitPlanMode('# Plan: Cache tsc output\n\n## Steps\n1. Turn on incremental builds')
      .say('Planned.');
    await turn(compacted.t, compacted.source);
    expect((await entryOf('S1')).summary).toBe(
      'Compaction summary: - Cache the TypeScript build between runs - Keep CI green. Plan: Cache tsc output. Asked: Speed up the build. Outcome: Planned.',
    );

    // A title line wins over the compaction summary: it is Claude Code's own account of the whole session.
    compacted.t.title('Build caching with tsc incremental', 'ai-title');
    await turn(compacted.t, compacted.source);
    expect((await entryOf('S1')).summary).toBe('Title: Build caching with tsc incremental. Plan: Cache tsc output. Asked: Speed up the build. Outcome: Planned.');

    // 1.0.x wrote `summary` lines, often at the top of the file.
    const old = transcript({ cwd: home.project, sessionId: 'S2', start: nowIso(), version: '1.0.98' }).title('Parser error recovery').prompt('go on').say('ok');
    await captureSession({ sessionKey: 'S2', transcriptPath: await old.saveUnder(home.paths), cwd: home.project }, services());
    expect((await entryOf('S2')).summary).toBe('Title: Parser error recovery. Asked: go on. Outcome: ok.');
  });

  it('puts the sources in their order of trust, within 480 characters, a secret in a task redacted before the cut', async () => {
    home = await makeHome();
    const start = Date.now() - 3_600_000;
    const t = transcript({ cwd: home.project, sessionId: 'S1', start: new Date(start).toISOString(), stepMs: 10 }).prompt('Ship it '.repeat(40));
    const source = { sessionKey: 'S1', transcriptPath: await t.saveUnder(home.paths), cwd: home.project };
    const token = `ghp_${'a1B2c3D4e5'.repeat(4)}`;
    t.exitPlanMode('# The plan').title('Release 2.0').todoWrite([
      { content: `Rotate the token ${token}`, status: 'completed' },
      { content: 'Tag it', status: 'completed' },
    ]);
    await commitThroughBash(t, 'Release 2.0', start + 5_000);
    await turn(t.say('Shipped. '.repeat(40)), source);
    const { summary } = await entryOf('S1');
    expect(summary).toMatch(/^Done: Rotate the token \[REDACTED\]; Tag it\. Commits: Release 2\.0\. Title: Release 2\.0\. Plan: The plan\. Asked: (Ship it )+Ship it… Outcome: (Shipped\. )+Ship…$/);
    expect(summary).toHaveLength(480);
    for (const file of ['sessions.json', 'context.json']) expect(await readFile(join(home.paths.projectsDir, 'widget', file), 'utf8')).not.toContain(token);
    expect(await readFile(join(home.paths.stateDir, 'sessions', 'S1.json'), 'utf8')).not.toContain(token);
  });

  it('keeps what it carries from turn to turn bounded, whatever the task list holds', async () => {
    home = await makeHome();
    const { t, source } = await startedSession('S1', 'Do everything');
    const todos = Array.from({ length: 500 }, (_, n) => ({ content: `Task ${n} ${'x'.repeat(10_000)}`, status: n % 2 ? ('completed' as const) : ('pending' as const) }));
    t.todoWrite(todos).exitPlanMode(`# ${'y'.repeat(50_000)}`).compact('z'.repeat(100_000));
    await turn(t, source);
    const state = JSON.parse(await readFile(join(home.paths.stateDir, 'sessions', 'S1.json'), 'utf8')) as { scan: { facts: Record<string, any> } };
    const { tasks, completedTasks, planTitle, compactSummary } = state.scan.facts;
    expect([tasks.length, completedTasks.length]).toEqual([100, 50]);
    expect(Math.max(...[...tasks.map((task: { content: string }) => task.content), ...completedTasks, planTitle].map((text: string) => text.length))).toBe(200);
    expect(compactSummary.length).toBe(1000);
    expect((await entryOf('S1')).follow_up).toHaveLength(50);
  });

  it("a later session's completed task closes an earlier session's open follow-up of the same text", async () => {
    home = await makeHome();
    const first = await startedSession('S1', 'Start the parser');
    await turn(first.t.todoWrite([{ content: 'Add parser tests', status: 'pending' }]), first.source);
    await endSession(first.source, services());
    const second = await startedSession('S2', 'Tests please');
    await turn(second.t.todoWrite([{ content: 'add  parser tests', status: 'completed' }]), second.source);
    expect((await entryOf('S1')).follow_up).toEqual(['Add parser tests']);
    const context = await memoryFile('context.json');
    expect(context.done_follow_ups).toEqual([{ follow_up: 'Add parser tests', done: expect.any(String), session: (await entryOf('S2')).id }]);
    const brief = buildBrief(readProjectMemory(home.paths, 'widget'), new Date())!;
    expect(brief).not.toContain('Open follow-ups');
  });

  it("the model's record wins: later turns change neither its summary nor its follow-ups", async () => {
    home = await makeHome();
    const { t, source } = await startedSession('S1', 'Refactor');
    await turn(t.todoWrite([{ content: 'Split the module', status: 'pending' }]), source);
    await updateSessionEntry(services(), source, { summary: 'Split the parser module in two.', follow_up: ['Benchmark it'] });
    await turn(t.todoWrite([{ content: 'Split the module', status: 'completed' }, { content: 'Rename things', status: 'pending' }]), source);
    expect(await entryOf('S1')).toMatchObject({ summary: 'Split the parser module in two.', follow_up: ['Benchmark it'] });
  });

  it('notes whether the session reached SessionEnd after its last activity: the brief marks the one that did not', async () => {
    home = await makeHome();
    const clean = await startedSession('S1', 'Clean exit');
    await writeFile(join(home.project, 'a.txt'), 'a\n');
    await turn(clean.t.write('a.txt'), clean.source);
    await endSession(clean.source, services());
    // The last turn's detached Stop worker may run after SessionEnd: the session stays exited.
    await captureSession(clean.source, services());
    const killed = await startedSession('S2', 'Killed');
    await writeFile(join(home.project, 'b.txt'), 'b\n');
    await turn(killed.t.write('b.txt'), killed.source);

    const later = new Date(Date.now() + 3_600_000);
    const brief = buildBrief(readProjectMemory(home.paths, 'widget'), later)!;
    const lineOf = (file: string) => brief.split('\n').find((line) => line.includes(`(${file})`))!;
    expect(lineOf('b.txt')).toMatch(/^- \d{4}-\d\d-\d\d \d\d:\d\d, branch main, ~1min, interrupted \(ended without SessionEnd\), 1 file changed \(b\.txt\)/);
    expect(lineOf('a.txt')).toMatch(/^- \d{4}-\d\d-\d\d \d\d:\d\d, branch main, ~1min, 1 file changed \(a\.txt\)/);
  });
});
