import { describe, expect, it } from 'vitest';
import { mergeAdrs, mergeContext, mergeEntry, planSessionWrite, type CapturedFacts } from '../lib/memory/merge.js';
import { listDocument } from '../lib/memory/shape.js';

// The merges are pure: every rule is a row here, no disk involved.
const start = new Date(2026, 10, 30, 9, 15, 0);
const captured = (over: Partial<CapturedFacts> = {}): CapturedFacts => ({
  startedAt: start,
  endedAt: new Date(start.getTime() + 25 * 60_000),
  activeMs: 25 * 60_000,
  files: ['src/a.ts'],
  autoSummary: 'Asked: fix a Outcome: fixed',
  ...over,
});
const none = { authored: false };

describe('mergeEntry', () => {
  it.each([
    ['a new entry takes the automatic summary', undefined, undefined, none, 'Asked: fix a Outcome: fixed'],
    ['the previous automatic summary is replaced', { summary: 'old auto' }, undefined, { authored: false, autoSummary: 'old auto' }, 'Asked: fix a Outcome: fixed'],
    ['a summary edited by hand is kept', { summary: 'my words' }, undefined, { authored: false, autoSummary: 'old auto' }, 'my words'],
    ["the model's summary is never replaced by an automatic one", { summary: 'model words' }, undefined, { authored: true }, 'model words'],
    ["the model's new summary replaces its old one", { summary: 'model words' }, { summary: 'newer words' }, { authored: true }, 'newer words'],
    ['a placeholder is replaced', { summary: 'Session in progress.' }, undefined, none, 'Asked: fix a Outcome: fixed'],
  ] as const)('%s', (_name, existing, authored, earlier, summary) => {
    expect(mergeEntry(existing && { id: 'x', ...existing }, 'x', captured(), authored, earlier, start).summary).toBe(summary);
  });

  it.each([
    ['facts join the files already listed, sorted, once', ['src/z.ts', 'src/a.ts'], undefined, ['src/a.ts', 'src/z.ts']],
    ['files the model names are joined too', [], ['docs/x.md'], ['docs/x.md', 'src/a.ts']],
    ['a hand-edited files list that is not a list is replaced by the facts', 'oops', undefined, ['src/a.ts']],
  ] as const)('%s', (_name, files, authoredFiles, expected) => {
    const authored = authoredFiles && { summary: 's', files_modified: [...authoredFiles] };
    expect(mergeEntry({ id: 'x', files_modified: files }, 'x', captured(), authored, none, start).files_modified).toEqual(expected);
  });

  it.each([
    [30_000, '~1min'],
    [25 * 60_000, '~25min'],
    [2 * 3_600_000, '~2h'],
    [65 * 60_000, '~1h 5min'],
  ])('an active time of %i ms reads %s', (activeMs, duration) => {
    expect(mergeEntry(undefined, 'x', captured({ activeMs }), undefined, none, start).duration_estimate).toBe(duration);
  });

  it('keeps keys it does not know and refreshes the duration from the facts', () => {
    const entry = mergeEntry({ id: 'x', mood: 'good', duration_estimate: '~1min' }, 'x', captured(), undefined, none, start);
    expect(entry).toMatchObject({ mood: 'good', duration_estimate: '~25min' });
  });

  it('writes decisions as objects, a rationale only when given', () => {
    const entry = mergeEntry(undefined, 'x', captured(), { summary: 's', decisions_made: ['plain', { decision: 'd', rationale: 'r' }, { decision: 'e', rationale: '' }] }, none, start);
    expect(entry.decisions_made).toEqual([{ decision: 'plain' }, { decision: 'd', rationale: 'r' }, { decision: 'e' }]);
  });
});

describe('planSessionWrite', () => {
  const update = { project: 'widget', captured: captured() };
  it.each([
    ['a new session gets an id from its start', [], undefined, 'session-20261130-091500', true],
    ['an id taken by another entry moves on by a second', [{ id: 'session-20261130-091500' }], undefined, 'session-20261130-091501', true],
    ['an id the state names is taken again, even when sessions.json lacks it', [], 'session-20261130-091500', 'session-20261130-091500', false],
  ] as const)('%s', (_name, sessions, entryId, id, newId) => {
    const plan = planSessionWrite({ sessions: { sessions: [...sessions] } }, update, { entryId, authored: false }, start);
    expect([plan.entry.id, plan.newId]).toEqual([id, newId]);
  });

  it('a bare-array sessions.json stays a bare array, and other keys of an object survive', () => {
    expect(planSessionWrite({ sessions: [] }, update, none, start).sessions).toEqual([expect.objectContaining({ id: 'session-20261130-091500' })]);
    expect(planSessionWrite({ sessions: { $schema: 's', sessions: [] } }, update, none, start).sessions).toMatchObject({ project: 'widget', $schema: 's' });
  });

  it('writes decisions and context only when the update has them, and says what the state should remember', () => {
    const plan = planSessionWrite({ sessions: undefined }, update, none, start);
    expect(plan.decisions).toBeUndefined();
    expect(plan.context).toBeUndefined();
    expect(plan.earlier).toEqual({ entryId: 'session-20261130-091500', authored: false, autoSummary: 'Asked: fix a Outcome: fixed' });
  });
});

describe('mergeAdrs', () => {
  const adr = (title: string) => ({ title, decision: `use ${title}` });
  it.each([
    ['numbers follow the highest id', [{ id: 'ADR-007' }], [adr('zod')], ['ADR-008']],
    ['the first ADR is ADR-001', [], [adr('zod'), adr('vitest')], ['ADR-001', 'ADR-002']],
    ["a session's ADR of the same title is updated in place", [{ id: 'ADR-003', title: 'zod', related_sessions: ['s1'] }], [adr('zod')], ['ADR-003']],
    ["another session's ADR of the same title is a new ADR", [{ id: 'ADR-003', title: 'zod', related_sessions: ['s0'] }], [adr('zod')], ['ADR-004']],
  ] as const)('%s', (_name, items, adrs, ids) => {
    expect(mergeAdrs(listDocument([...items], 'decisions'), [...adrs], 's1', start).ids).toEqual(ids);
  });

  it('a new ADR is accepted, dated and linked to its session', () => {
    const { document } = mergeAdrs(listDocument(undefined, 'decisions'), [adr('zod')], 's1', start);
    expect(document.items).toEqual([{ id: 'ADR-001', date: '2026-11-30', title: 'zod', decision: 'use zod', status: 'accepted', related_sessions: ['s1'] }]);
  });
});

describe('mergeContext', () => {
  it.each([
    ['a new context names the project', undefined, {}, { project: 'widget', created: start.toISOString() }],
    ['focus and repository are replaced', { current_focus: 'a' }, { currentFocus: 'b', originUrl: 'git@x:y/widget.git' }, { current_focus: 'b', repository: 'git@x:y/widget.git' }],
    ['a branch is added once', { active_branches: ['main'] }, { branch: 'main' }, { active_branches: ['main'] }],
    ['a new branch is added', { active_branches: ['main'] }, { branch: 'feat' }, { active_branches: ['main', 'feat'] }],
    ['a known issue is added once, whatever its case', { known_issues: ['Flaky CI'] }, { knownIssues: ['flaky ci', 'Slow build'] }, { known_issues: ['Flaky CI', { issue: 'Slow build', added: '2026-11-30' }] }],
    ['keys it does not know are kept', { team: 'core' }, { currentFocus: 'b' }, { team: 'core', current_focus: 'b' }],
  ] as const)('%s', (_name, current, changes, expected) => {
    expect(mergeContext(current && structuredClone(current), changes as never, 'widget', start)).toEqual(expected);
  });
});
