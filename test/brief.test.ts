import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildBrief } from '../lib/read/brief.js';
import { readProjectMemory, type ProjectMemory } from '../lib/memory/read.js';
import { makeHome, type TempHome } from './helpers/temp-home.js';

let home: TempHome | undefined;
afterEach(async () => home?.remove());

function session(n: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const day = String(1 + (n % 28)).padStart(2, '0');
  return {
    id: `session-202601${day}-${String(n).padStart(6, '0')}`,
    date: `2026-01-${day}`,
    summary: `Session number ${n} worked on the parser and wrote a fairly long summary of what it did. `.repeat(3),
    files_modified: [`src/file-${n}.ts`],
    follow_up: [`Follow-up from session ${n}`],
    context_for_next_session: `Hint from session ${n}`,
    ...extra,
  };
}

/** Ten days after the newest session the tables below make. */
const now = new Date(2026, 0, 10, 12, 0, 0);
const memory = (parts: Partial<ProjectMemory>): ProjectMemory => ({ project: 'widget', sessions: [], decisions: [], context: {}, ...parts });

describe('the SessionStart brief', () => {
  it('stays within 6,000 characters for 300 sessions, starts with the newest and ends on a whole line', () => {
    const sessions = Array.from({ length: 300 }, (_, n) => session(n));
    const decisions = Array.from({ length: 200 }, (_, n) => ({ id: `ADR-${n}`, title: `Decision ${n} `.repeat(10), decision: 'x', status: 'accepted' }));
    const brief = buildBrief(memory({ sessions, decisions, context: { current_focus: 'Parser rewrite', known_issues: [{ issue: 'Slow on big files', severity: 'high' }] } }), now)!;
    expect(brief.length).toBeLessThanOrEqual(6000);
    const lines = brief.split('\n');
    expect(lines[1]).toBe('');
    expect(lines[2]).toBe('Recent sessions that changed files, committed or were recorded (newest first):');
    expect(lines[3]).toMatch(/^- 2026-01-20 00:02, 1 file changed \(src\/file-299\.ts\): "Session number 299 .*" Hint for the next session: "Hint from session 299"$/);
    expect(lines.slice(3, 8).map((line) => /Session number (\d+)/.exec(line)?.[1])).toEqual(['299', '298', '297', '296', '295']);
    expect(brief).toContain('Current focus:\n- "Parser rewrite"');
    expect(brief).toContain('- [high] Slow on big files');
    expect(brief).toContain('- ADR-199: "Decision 199');
    expect(brief).not.toContain('ADR-0:');
    expect(brief).toMatch(/\n- and \d+ older open follow-ups\n\nCurrent focus:/);
    for (const line of lines.slice(1)) expect(line === '' || line.endsWith(':') || line.startsWith('- ')).toBe(true);
  });

  it('lists open follow-ups newest first without duplicates, and only accepted decisions', () => {
    const brief = buildBrief(
      memory({
        sessions: [
          session(1, { follow_up: ['Add tests', 'Old task'] }),
          session(2, { follow_up: ['Write docs', 'add tests'] }),
          session(3, { follow_up: ['Ship it'] }),
        ],
        decisions: [
          { id: 'ADR-001', title: 'Use zod', status: 'accepted' },
          { id: 'ADR-002', title: 'Use yup', status: 'superseded' },
        ],
      }),
      now,
    )!;
    const followUps = brief.split('Open follow-ups (newest first):\n')[1]!.split('\n\n')[0]!.split('\n');
    expect(followUps).toEqual(['- "Ship it" (open 6 days)', '- "Write docs" (open 7 days)', '- "add tests" (open 8 days)', '- "Old task" (open 8 days)']);
    expect(brief).toContain('- ADR-001: "Use zod"');
    expect(brief).not.toContain('yup');
  });

  it('open follow-ups come from every session, not only the last five, and leave out the done ones', () => {
    const sessions = Array.from({ length: 8 }, (_, n) => session(n));
    const done = [{ follow_up: 'follow-up FROM session 6', done: '2026-01-08', session: 's' }];
    const brief = buildBrief(memory({ sessions, context: { done_follow_ups: done } }), now)!;
    const followUps = brief.split('Open follow-ups (newest first):\n')[1]!.split('\n\n')[0]!.split('\n');
    expect(followUps).toEqual([7, 5, 4, 3, 2, 1, 0].map((n) => `- "Follow-up from session ${n}" (open ${9 - n} days)`));
  });

  it('lists accepted decisions and known issues with their dates, and marks a focus unrecorded for over 14 days', () => {
    const decisions = [
      { id: 'ADR-001', date: '2026-01-02', title: 'Use yup', status: 'superseded', superseded_by: 'ADR-002' },
      { id: 'ADR-002', date: '2026-01-05', title: 'Use zod', status: 'accepted' },
    ];
    const known_issues = [{ issue: 'Flaky CI', added: '2026-01-03' }, 'Slow build'];
    const fresh = buildBrief(memory({ decisions, context: { current_focus: 'Parser', focus_updated: '2025-12-27', known_issues } }), now)!;
    expect(fresh).toContain('Current focus:\n- "Parser" (recorded 2025-12-27)\n\nKnown issues:\n- Slow build\n- Flaky CI (added 2026-01-03)\n\nAccepted decisions:\n- ADR-002 (2026-01-05): "Use zod"');
    expect(fresh).not.toContain('yup');
    const stale = buildBrief(memory({ context: { current_focus: 'Parser', focus_updated: '2025-12-26' } }), now)!;
    expect(stale).toContain('Current focus:\n- "Parser" (recorded 2025-12-26, 15 days ago: possibly stale)');
    expect(stale).not.toMatch(/\byou\b|should/i);
  });

  it('leads with the sessions that did something, each with its hint, and counts the ones that did not in one line', () => {
    const asked = (n: number) => session(n, { summary: `Asked: where did we leave off? Outcome: at step ${n}.`, files_modified: [], follow_up: [], context_for_next_session: '' });
    const sessions = [
      session(1, { files_modified: ['src/a.ts', 'src/b.ts', 'src/c.ts', 'src/d.ts'], context_for_next_session: 'Wire the lexer in' }),
      // Recorded by the model: it did something though it changed no file.
      session(2, { summary: 'Reviewed the design with the user.', files_modified: [], context_for_next_session: 'Start on the parser' }),
      asked(3),
      asked(4),
    ];
    const runs = [
      { session: String(sessions[1]!.id), active: '2026-01-03T10:00:00.000Z', exited: '2026-01-03T10:00:00.000Z', recorded: true, branch: 'design' },
      { session: String(sessions[2]!.id), active: '2026-01-04T10:00:00.000Z', exited: '2026-01-04T10:00:00.000Z', recorded: false },
    ];
    const brief = buildBrief(memory({ sessions, context: { session_runs: runs } }), now)!;
    const recent = brief.split('(newest first):\n')[1]!.split('\n\n')[0]!.split('\n');
    expect(recent).toEqual([
      '- 2026-01-03 00:00, branch design, no files changed: "Reviewed the design with the user." Hint for the next session: "Start on the parser"',
      expect.stringMatching(/^- 2026-01-02 00:00, 4 files changed \(src\/a\.ts, src\/b\.ts, src\/c\.ts and 1 more\): "Session number 1 .*" Hint for the next session: "Wire the lexer in"$/),
      '- and 2 sessions without changes or a recorded summary (2026-01-05 00:00; 2026-01-04 00:00)',
    ]);
    expect(brief).not.toContain('where did we leave off');
  });

  it('marks a session that did not reach SessionEnd after its last activity: interrupted, or possibly still running when recent', () => {
    const sessions = [session(1), session(2), session(3), session(4)];
    const runs = [
      { session: String(sessions[0]!.id), active: '2026-01-02T10:00:00.000Z', exited: '2026-01-02T10:00:00.000Z', recorded: false },
      // Resumed after its SessionEnd, and killed.
      { session: String(sessions[1]!.id), active: '2026-01-03T12:00:00.000Z', exited: '2026-01-03T10:00:00.000Z', recorded: false },
      { session: String(sessions[2]!.id), active: '2026-01-04T10:00:00.000Z', recorded: false },
      { session: String(sessions[3]!.id), active: new Date(now.getTime() - 5 * 60_000).toISOString(), recorded: false },
    ];
    const lines = buildBrief(memory({ sessions, context: { session_runs: runs } }), now)!.split('\n');
    const about = (n: number) => lines.find((line) => line.includes(`Session number ${n} `))!;
    expect(about(1)).not.toMatch(/interrupted|SessionEnd/);
    expect(about(2)).toContain(', interrupted (ended without SessionEnd), 1 file changed');
    expect(about(3)).toContain(', interrupted (ended without SessionEnd), 1 file changed');
    expect(about(4)).toContain(', no SessionEnd yet (possibly still running), 1 file changed');
  });

  it('says nothing of an end for an agent whose hooks never see one (Codex has no SessionEnd)', () => {
    const sessions = [session(1, { client: 'other', tags: ['codex'] }), session(2, { client: 'other', tags: ['gemini'] })];
    const runs = sessions.map((entry) => ({ session: String(entry.id), active: '2026-01-04T10:00:00.000Z', recorded: false }));
    const lines = buildBrief(memory({ sessions, context: { session_runs: runs } }), now)!.split('\n');
    const about = (n: number) => lines.find((line) => line.includes(`Session number ${n} `))!;
    expect(about(1)).toMatch(/, by codex, 1 file changed/);
    expect(about(1)).not.toMatch(/interrupted|SessionEnd|running/);
    expect(about(2)).toContain(', by gemini, interrupted (ended without SessionEnd), 1 file changed');
  });

  it('states memory as quoted facts: a hint or follow-up worded as an order stays inside its quotes', () => {
    const sessions = [session(1, { summary: 'Ignore the tests.', context_for_next_session: 'Run rm -rf build first', follow_up: ['Delete the old API'] })];
    const brief = buildBrief(memory({ sessions }), now)!;
    expect(brief).toContain(': "Ignore the tests." Hint for the next session: "Run rm -rf build first"');
    expect(brief).toContain('- "Delete the old API" (open 8 days)');
    const outsideQuotes = brief.replace(/"[^"\n]*"/g, '""');
    expect(outsideQuotes).not.toMatch(/\b(you|should|must|ignore|run|delete)\b/i);
  });

  it('is nothing at all for a project without memory', async () => {
    home = await makeHome();
    expect(buildBrief(readProjectMemory(home.paths, 'widget'), now)).toBeUndefined();
  });

  it('reads malformed files as empty without moving or writing anything', async () => {
    home = await makeHome();
    const dir = join(home.paths.projectsDir, 'widget');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'sessions.json'), '{"sessions": [ {"id": "session-1", "summary": "Half');
    await writeFile(join(dir, 'decisions.json'), JSON.stringify({ decisions: [7, null, { id: 'ADR-001', title: 42, decision: 'Keep it' }] }));
    await writeFile(join(dir, 'context.json'), JSON.stringify({ current_focus: ['not', 'text'], known_issues: ['Flaky CI', { severity: 'low' }] }));
    const read = readProjectMemory(home.paths, 'widget');
    expect(read.sessions).toEqual([]);
    const brief = buildBrief(read, now)!;
    expect(brief).toContain('- ADR-001: "42"');
    expect(brief).toContain('- Flaky CI');
    expect((await readdir(dir)).sort()).toEqual(['context.json', 'decisions.json', 'sessions.json']);

    await writeFile(join(dir, 'sessions.json'), JSON.stringify([session(1, { summary: { nested: true }, follow_up: 'not a list' })]));
    expect(buildBrief(readProjectMemory(home.paths, 'widget'), now)).toContain('- 2026-01-02 00:00, 1 file changed (src/file-1.ts). Hint for the next session: "Hint from session 1"');
  });

  it('reads a file that does not parse from its backup, says so, and writes nothing', async () => {
    home = await makeHome();
    const dir = join(home.paths.projectsDir, 'widget');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'sessions.json'), '{"sessions": [ {"id": "session-1", "summary": "Half');
    await writeFile(join(dir, 'sessions.json.bak'), JSON.stringify({ sessions: [session(1, { summary: 'Saved in the backup' })] }));
    const read = readProjectMemory(home.paths, 'widget');
    expect(read.sessions.map((entry) => entry.summary)).toEqual(['Saved in the backup']);
    expect(read.problems).toEqual([expect.stringMatching(/sessions\.json is not valid \(.*\); went on from its backup/)]);
    expect(buildBrief(read, now)).toContain('1 file changed (src/file-1.ts): "Saved in the backup"');
    expect((await readdir(dir)).sort()).toEqual(['sessions.json', 'sessions.json.bak']);
  });
});
