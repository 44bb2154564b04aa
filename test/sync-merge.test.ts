import { describe, expect, it } from 'vitest';
import { memoryFileKindOf, mergeMemoryFile, renameSession, sessionMoves } from '../lib/memory/sync-merge.js';

const entry = (id: string, fields: Record<string, unknown> = {}) => ({
  id,
  date: '2026-11-30',
  client: 'claude-code',
  duration_estimate: '~5min',
  summary: 'Asked: fix the parser Outcome: done',
  files_modified: ['a.ts'],
  decisions_made: [],
  follow_up: [],
  tags: [],
  context_for_next_session: '',
  ...fields,
});
const sessions = (...items: unknown[]) => ({ project: 'widget', sessions: items });
const ids = (value: unknown) => (value as { sessions: { id: string }[] }).sessions.map((item) => item.id);

describe('merging sessions.json', () => {
  const s1 = entry('session-20261130-100000');
  const cases: { name: string; base: unknown; ours: unknown; theirs: unknown; ids: string[] }[] = [
    { name: 'each side added a session: both are in, each once', base: sessions(s1), ours: sessions(s1, entry('session-20261130-110000')), theirs: sessions(s1, entry('session-20261130-120000')), ids: [s1.id, 'session-20261130-110000', 'session-20261130-120000'] },
    { name: 'both added the same session alike: once', base: sessions(), ours: sessions(s1), theirs: sessions(s1), ids: [s1.id] },
    { name: 'one side removed an entry the other left alone: gone', base: sessions(s1), ours: sessions(), theirs: sessions(s1), ids: [] },
    { name: 'one side removed an entry the other changed: kept', base: sessions(s1), ours: sessions(), theirs: sessions({ ...s1, tags: ['x'] }), ids: [s1.id] },
    { name: 'no common version (the file is new on both sides)', base: undefined, ours: sessions(s1), theirs: sessions(entry('session-20261130-120000')), ids: [s1.id, 'session-20261130-120000'] },
  ];
  it.each(cases)('$name', ({ base, ours, theirs, ids: expected }) => {
    expect(ids(mergeMemoryFile('sessions', base, ours, theirs).value)).toEqual(expected);
    expect([...ids(mergeMemoryFile('sessions', base, theirs, ours).value)].sort()).toEqual([...expected].sort());
  });

  it('an entry changed on both sides merges field by field', () => {
    const base = entry('session-20261130-100000', { files_modified: ['a.ts', 'b.ts'], tags: ['parser'] });
    const ours = { ...base, files_modified: ['a.ts', 'b.ts', 'c.ts'], duration_estimate: '~20min', summary: 'Rewrote the tokenizer.' };
    const theirs = { ...base, files_modified: ['a.ts', 'd.ts'], tags: ['parser', 'lexer'], follow_up: ['Add tests'] };
    const merged = (mergeMemoryFile('sessions', sessions(base), sessions(ours), sessions(theirs)).value as { sessions: Record<string, unknown>[] }).sessions;
    // b.ts was removed on one side: out; c.ts and d.ts each added on one side: in.
    expect(merged).toEqual([{ ...base, files_modified: ['a.ts', 'c.ts', 'd.ts'], duration_estimate: '~20min', summary: 'Rewrote the tokenizer.', tags: ['parser', 'lexer'], follow_up: ['Add tests'] }]);
  });

  const summaryCases = [
    { name: 'the model\'s summary beats an automatic one', ours: { summary: 'Asked: x Outcome: y', duration_estimate: '~50min' }, theirs: { summary: 'Fixed the lexer.' }, summary: 'Fixed the lexer.' },
    { name: 'the model\'s summary beats the placeholder', ours: { summary: 'Session in progress.' }, theirs: { summary: 'Fixed the lexer.' }, summary: 'Fixed the lexer.' },
    { name: 'of two automatic summaries the later capture (longer) wins', ours: { summary: 'Asked: x Outcome: later', duration_estimate: '~1h 5min' }, theirs: { summary: 'Asked: x Outcome: earlier', duration_estimate: '~50min' }, summary: 'Asked: x Outcome: later' },
    {
      name: 'two written summaries: the later wins, the other is kept after it',
      ours: { summary: 'Fixed the lexer.', duration_estimate: '~10min' },
      theirs: { summary: 'Fixed the lexer and the parser.', duration_estimate: '~30min' },
      summary: 'Fixed the lexer and the parser. [also written on another machine: Fixed the lexer.]',
    },
  ];
  it.each(summaryCases)('$name, whichever side merges', ({ ours, theirs, summary }) => {
    const base = entry('session-20261130-100000');
    for (const [a, b] of [[ours, theirs], [theirs, ours]]) {
      const merged = mergeMemoryFile('sessions', sessions(base), sessions({ ...base, ...a }), sessions({ ...base, ...b })).value as { sessions: { summary: string }[] };
      expect(merged.sessions[0]!.summary).toBe(summary);
    }
  });

  it('two different sessions with the same id both survive: this machine\'s moves on past every taken id', () => {
    const mine = entry('session-20261130-100000', { summary: 'Worked on the lexer.' });
    const yours = entry('session-20261130-100000', { summary: 'Worked on the docs.' });
    const taken = entry('session-20261130-100001');
    const { value, renames } = mergeMemoryFile('sessions', sessions(), sessions(mine), sessions(yours, taken));
    const summaries = Object.fromEntries((value as { sessions: { id: string; summary: string }[] }).sessions.map((item) => [item.id, item.summary]));
    expect(summaries).toEqual({ 'session-20261130-100000': 'Worked on the docs.', 'session-20261130-100001': taken.summary, 'session-20261130-100002': 'Worked on the lexer.' });
    expect(renames).toEqual([{ kind: 'session', from: 'session-20261130-100000', to: 'session-20261130-100002', side: 'ours' }]);
    expect(sessionMoves(sessions(), sessions(mine), sessions(yours, taken))).toEqual(renames);
    expect(sessionMoves(sessions(), sessions(mine), sessions(mine, taken))).toEqual([]);
  });

  it('keys beside the list survive from both sides, and a bare array stays a bare array', () => {
    const merged = mergeMemoryFile('sessions', { sessions: [] }, { $schema: 's', sessions: [] }, { _version: 2, sessions: [] }).value;
    expect(merged).toEqual({ project: '', $schema: 's', _version: 2, sessions: [] });
    expect(mergeMemoryFile('sessions', [], [entry('session-20261130-100000')], []).value).toEqual([entry('session-20261130-100000')]);
  });
});

const adr = (id: string, title: string, fields: Record<string, unknown> = {}) => ({
  id,
  date: '2026-11-30',
  title,
  decision: title,
  status: 'accepted',
  related_sessions: ['session-20261130-100000'],
  ...fields,
});
const decisions = (...items: unknown[]) => ({ project: 'widget', decisions: items });

describe('merging decisions.json', () => {
  it('the same number given to different ADRs on two machines: renumbered alike whichever merges, references follow', () => {
    const base = decisions(adr('ADR-001', 'Use ESM'));
    const ours = decisions(adr('ADR-001', 'Use ESM', { status: 'superseded', superseded_by: 'ADR-002' }), adr('ADR-002', 'Use ESM and CJS', { date: '2026-12-01' }));
    const theirs = decisions(adr('ADR-001', 'Use ESM'), adr('ADR-002', 'Use zod'), adr('ADR-003', 'Use vitest', { status: 'superseded', superseded_by: 'ADR-004' }), adr('ADR-004', 'Use node:test', { date: '2026-12-01' }));
    const one = mergeMemoryFile('decisions', base, ours, theirs).value as { decisions: Record<string, unknown>[] };
    const other = mergeMemoryFile('decisions', base, theirs, ours).value as { decisions: Record<string, unknown>[] };
    const byId = (value: { decisions: Record<string, unknown>[] }) => Object.fromEntries(value.decisions.map((item) => [item.id, item]));
    expect(byId(one)).toEqual(byId(other));
    // ADR-002 of the 30th keeps its number; the one of the 1st moves to the next free number, and so does its reference.
    expect(byId(one)).toEqual({
      'ADR-001': adr('ADR-001', 'Use ESM', { status: 'superseded', superseded_by: 'ADR-005' }),
      'ADR-002': adr('ADR-002', 'Use zod'),
      'ADR-003': adr('ADR-003', 'Use vitest', { status: 'superseded', superseded_by: 'ADR-004' }),
      'ADR-004': adr('ADR-004', 'Use node:test', { date: '2026-12-01' }),
      'ADR-005': adr('ADR-005', 'Use ESM and CJS', { date: '2026-12-01' }),
    });
  });

  it('an ADR changed on both sides joins its related sessions', () => {
    const base = decisions(adr('ADR-001', 'Use ESM'));
    const ours = decisions(adr('ADR-001', 'Use ESM', { related_sessions: ['session-20261130-100000', 'session-20261201-090000'] }));
    const theirs = decisions(adr('ADR-001', 'Use ESM', { related_sessions: ['session-20261130-100000', 'session-20261201-100000'], tags: ['build'] }));
    expect((mergeMemoryFile('decisions', base, ours, theirs).value as { decisions: unknown[] }).decisions).toEqual([
      adr('ADR-001', 'Use ESM', { related_sessions: ['session-20261130-100000', 'session-20261201-090000', 'session-20261201-100000'], tags: ['build'] }),
    ]);
  });
});

describe('merging context.json', () => {
  const base = { project: 'widget', current_focus: 'parser', focus_updated: '2026-11-28', known_issues: ['slow start', { issue: 'flaky test', severity: 'low' }], active_branches: ['main'], editor: 'vim' };
  it('key by key, lists as sets, unknown keys from both sides', () => {
    const ours = { ...base, current_focus: 'lexer', focus_updated: '2026-11-30', known_issues: [{ issue: 'flaky test', severity: 'low' }], resolved_issues: [{ issue: 'slow start', resolved: '2026-11-30', resolved_in: 'session-20261130-100000' }], active_branches: ['main', 'lexer'], theme: 'dark' };
    const theirs = { ...base, current_focus: 'docs', focus_updated: '2026-11-29', known_issues: [...base.known_issues, 'no Windows support'], active_branches: ['main', 'docs'], done_follow_ups: [{ follow_up: 'Add tests', done: '2026-11-29', session: 'session-20261129-080000' }] };
    for (const [a, b] of [[ours, theirs], [theirs, ours]]) {
      const { value, notes } = mergeMemoryFile('context', base, a, b);
      expect(value).toMatchObject({
        project: 'widget',
        current_focus: 'lexer [also written on another machine: docs]',
        focus_updated: '2026-11-30',
        editor: 'vim',
        theme: 'dark',
        resolved_issues: ours.resolved_issues,
        done_follow_ups: theirs.done_follow_ups,
      });
      const merged = value as { known_issues: unknown[]; active_branches: string[] };
      expect(merged.known_issues).toHaveLength(2);
      expect(merged.known_issues).toContainEqual('no Windows support');
      expect(merged.known_issues).not.toContain('slow start');
      expect([...merged.active_branches].sort()).toEqual(['docs', 'lexer', 'main']);
      expect(notes).toEqual(['context.current_focus: kept the other machine\'s text too']);
    }
  });
});

describe('following a renamed session into the other files', () => {
  it('the entry, related sessions, done follow-ups and resolved issues name the new id', () => {
    const [from, to] = ['session-20261130-100000', 'session-20261130-100001'];
    expect(renameSession('sessions', sessions(entry(from), entry('other')), from, to)).toEqual(sessions(entry(to), entry('other')));
    expect(renameSession('decisions', decisions(adr('ADR-001', 'x', { related_sessions: [from, 'other'] })), from, to)).toEqual(decisions(adr('ADR-001', 'x', { related_sessions: [to, 'other'] })));
    expect(renameSession('context', { done_follow_ups: [{ follow_up: 'a', done: 'd', session: from }], resolved_issues: [{ issue: 'b', resolved: 'd', resolved_in: from }] }, from, to)).toEqual({
      done_follow_ups: [{ follow_up: 'a', done: 'd', session: to }],
      resolved_issues: [{ issue: 'b', resolved: 'd', resolved_in: to }],
    });
  });
});

describe('which files merge by identity', () => {
  it.each([
    ['memory/projects/widget/sessions.json', 'sessions'],
    ['memory/projects/widget/sessions-2025.json', 'sessions'],
    ['memory/projects/widget/decisions.json', 'decisions'],
    ['memory/projects/widget/context.json', 'context'],
    ['memory/projects/widget/sessions-old.json', undefined],
    ['notes.json', undefined],
  ])('%s', (path, kind) => {
    expect(memoryFileKindOf(path)).toBe(kind);
  });
});
