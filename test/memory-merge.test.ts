import { describe, expect, it } from 'vitest';
import { markFollowUpsDone, mergeAdrs, mergeContext, mergeEntry, planSessionWrite, resolveIssues, type CapturedFacts } from '../lib/memory/merge.js';
import { listDocument, openFollowUps, viewSession } from '../lib/memory/shape.js';

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

  it("an agent outside aiconfig's client enum is 'other' with its name as a tag, which the model's tags never drop", () => {
    const codex = { client: 'other', name: 'codex' };
    const first = mergeEntry(undefined, 'x', captured(), undefined, none, start, codex);
    expect(first).toMatchObject({ client: 'other', tags: ['codex'] });
    const recorded = mergeEntry(first, 'x', captured(), { summary: 's', tags: ['parser', 'codex', 'ci'] }, none, start, codex);
    expect(recorded.tags).toEqual(['codex', 'parser', 'ci']);
    expect(mergeEntry(undefined, 'x', captured(), { summary: 's', tags: ['parser'] }, none, start)).toMatchObject({ client: 'claude-code', tags: ['parser'] });
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
    ['focus and repository are replaced, the focus dated', { current_focus: 'a', focus_updated: '2026-01-01' }, { currentFocus: 'b', originUrl: 'git@x:y/widget.git' }, { current_focus: 'b', focus_updated: '2026-11-30', repository: 'git@x:y/widget.git' }],
    ['the same focus recorded again is dated again', { current_focus: 'b', focus_updated: '2026-01-01' }, { currentFocus: 'b' }, { current_focus: 'b', focus_updated: '2026-11-30' }],
    ['a context without a new focus keeps its date', { current_focus: 'b', focus_updated: '2026-01-01' }, { branch: 'main' }, { current_focus: 'b', focus_updated: '2026-01-01', active_branches: ['main'] }],
    ['a branch is added once', { active_branches: ['main'] }, { branch: 'main' }, { active_branches: ['main'] }],
    ['a new branch is added', { active_branches: ['main'] }, { branch: 'feat' }, { active_branches: ['main', 'feat'] }],
    ['a known issue is added once, whatever its case', { known_issues: ['Flaky CI'] }, { knownIssues: ['flaky ci', 'Slow build'] }, { known_issues: ['Flaky CI', { issue: 'Slow build', added: '2026-11-30' }] }],
    ['keys it does not know are kept', { team: 'core' }, { currentFocus: 'b' }, { team: 'core', current_focus: 'b', focus_updated: '2026-11-30' }],
  ] as const)('%s', (_name, current, changes, expected) => {
    expect(mergeContext(current && structuredClone(current), changes as never, 'widget', start)).toEqual(expected);
  });
});

describe('mergeAdrs: superseding', () => {
  const old = { id: 'ADR-003', title: 'yup', decision: 'use yup', status: 'accepted', related_sessions: ['s0'] };
  const zod = { title: 'zod', decision: 'use zod', supersedes: 'ADR-003' };
  it.each([
    ['the superseded ADR points at the new one, which does not store the link', [old], zod, [{ ...old, status: 'superseded', superseded_by: 'ADR-004' }, expect.not.objectContaining({ supersedes: expect.anything() })], []],
    ['the id is compared without case', [old], { ...zod, supersedes: 'adr-003' }, [expect.objectContaining({ status: 'superseded', superseded_by: 'ADR-004' }), expect.anything()], []],
    ['a retry finds it already superseded by the same ADR', [{ ...old, status: 'superseded', superseded_by: 'ADR-004' }, { id: 'ADR-004', title: 'zod', related_sessions: ['s1'] }], zod, [expect.objectContaining({ superseded_by: 'ADR-004' }), expect.anything()], []],
    ['an unknown id is a problem naming the ids there', [old], { ...zod, supersedes: 'ADR-009' }, expect.anything(), ['adrs[0].supersedes: "ADR-009" is no ADR in decisions.json; its ids: ADR-003']],
    ['an id in an empty decisions.json is a problem', [], zod, expect.anything(), ['adrs[0].supersedes: "ADR-003" is no ADR in decisions.json; it has none yet']],
    ['an ADR another one superseded is a problem naming that one', [{ ...old, status: 'superseded', superseded_by: 'ADR-005' }], zod, expect.anything(), ['adrs[0].supersedes: ADR-003 is already superseded by ADR-005; supersede that one instead']],
  ] as const)('%s', (_name, items, adr, expected, problems) => {
    const merged = mergeAdrs(listDocument(structuredClone([...items]), 'decisions'), [adr], 's1', start);
    expect(merged.problems).toEqual(problems);
    expect(merged.document.items).toEqual(expected);
  });
});

describe('resolveIssues', () => {
  const known = { known_issues: ['Flaky CI', { issue: 'Slow build', severity: 'high' as const, added: '2026-11-01' }] };
  it.each([
    ['a resolved issue leaves known_issues and is kept dated, with its session', known, ['slow  BUILD'], { known_issues: ['Flaky CI'], resolved_issues: [{ issue: 'Slow build', severity: 'high', added: '2026-11-01', resolved: '2026-11-30', resolved_in: 's1' }] }, []],
    ['a plain-text issue is kept as an object', known, ['Flaky CI'], { known_issues: [known.known_issues[1]], resolved_issues: [{ issue: 'Flaky CI', resolved: '2026-11-30', resolved_in: 's1' }] }, []],
    ['resolving it again changes nothing', { known_issues: [], resolved_issues: [{ issue: 'Flaky CI', resolved: '2026-11-02', resolved_in: 's0' }] }, ['flaky ci'], { known_issues: [], resolved_issues: [{ issue: 'Flaky CI', resolved: '2026-11-02', resolved_in: 's0' }] }, []],
    ['an issue not known is a problem naming the known ones', known, ['Memory leak'], known, ['resolved_issues[0]: "Memory leak" is no known issue (compared without case and spacing); known: "Flaky CI", "Slow build"']],
  ] as const)('%s', (_name, context, resolved, expected, problems) => {
    const result = resolveIssues(structuredClone(context) as never, [...resolved], 's1', start);
    expect(result.problems).toEqual(problems);
    expect(problems.length ? context : result.context).toEqual(expected);
  });
});

describe('follow-ups done', () => {
  const listing = (date: string, ...follow_up: string[]) => ({ id: `session-${date}`, date, follow_up });
  const record = (follow_up: string, done: string) => ({ follow_up, done, session: 's0' });
  it.each([
    ['a follow-up the model names is done, spelt as listed', [listing('2026-11-01', 'Add  Tests')], [], { doneFollowUps: ['add tests'] }, ['Add Tests@2026-11-30'], []],
    ['a follow-up already done is left as it is', [listing('2026-11-01', 'Add tests')], [record('Add tests', '2026-11-02')], { doneFollowUps: ['Add tests'] }, ['Add tests@2026-11-02'], []],
    ['a follow-up listed again after it was done is open again, and done anew', [listing('2026-11-01', 'Add tests'), listing('2026-11-20', 'Add tests')], [record('Add tests', '2026-11-10')], { doneFollowUps: ['Add tests'] }, ['Add tests@2026-11-10', 'Add tests@2026-11-30'], []],
    ['a text no session listed is a problem naming the open ones', [listing('2026-11-01', 'Add tests', 'Ship it')], [], { doneFollowUps: ['Write docs'] }, [], ['done[0]: "Write docs" is no follow-up of this project (compared without case and spacing); open: "Add tests", "Ship it"']],
    ['a completed task marks done the open follow-up of the same text', [listing('2026-11-01', 'Add tests')], [], { completedTasks: [' ADD TESTS '] }, ['Add tests@2026-11-30'], []],
    ['a completed task that is no follow-up changes nothing and is no problem', [listing('2026-11-01', 'Add tests')], [], { completedTasks: ['Run the build'] }, [], []],
  ] as const)('%s', (_name, sessions, done, changes, records, problems) => {
    const result = markFollowUpsDone({ done_follow_ups: [...done] }, structuredClone([...sessions]), changes as never, 's1', start);
    expect(result.problems).toEqual(problems);
    expect((result.context.done_follow_ups ?? []).map((item) => `${item.follow_up}@${item.done}`)).toEqual(records);
  });

  it.each([
    ['each once, newest listing first and spelt so, dated by its oldest listing', [listing('2026-11-01', 'Add tests', 'Old task'), listing('2026-11-05', 'Write docs', 'add tests')], [], ['Write docs@2026-11-05', 'add tests@2026-11-01', 'Old task@2026-11-01']],
    ['a done follow-up is left out', [listing('2026-11-01', 'Add tests', 'Old task')], [record('old  TASK', '2026-11-02')], ['Add tests@2026-11-01']],
    ['listed again after it was done, it is open since the new listing', [listing('2026-11-01', 'Add tests'), listing('2026-11-09', 'Add tests')], [record('Add tests', '2026-11-02')], ['Add tests@2026-11-09']],
  ] as const)('open follow-ups: %s', (_name, sessions, done, open) => {
    const views = sessions.map((session) => viewSession(structuredClone(session)));
    const doneViews = done.map((item) => ({ followUp: item.follow_up, date: item.done, session: item.session }));
    expect(openFollowUps(views, doneViews).map((item) => `${item.text}@${item.since}`)).toEqual(open);
  });
});

describe('planSessionWrite: what the session closed', () => {
  it('names every problem in one plan: an unknown ADR id, follow-up and issue', () => {
    const plan = planSessionWrite(
      { sessions: [], decisions: [], context: {} },
      { project: 'widget', adrs: [{ title: 't', decision: 'd', supersedes: 'ADR-001' }], context: { doneFollowUps: ['x'], resolvedIssues: ['y'] } },
      none,
      start,
    );
    expect(plan.problems.map((line) => line.split(':')[0])).toEqual(['adrs[0].supersedes', 'resolved_issues[0]', 'done[0]']);
  });

  it("marks done a follow-up of an earlier session, and the session's own entry keeps aiconfig's keys", () => {
    const earlierEntry = { id: 'session-20261101-090000', date: '2026-11-01', follow_up: ['Add tests'] };
    const plan = planSessionWrite({ sessions: [earlierEntry], context: {} }, { project: 'widget', captured: captured(), context: { completedTasks: ['Add tests'] } }, none, start);
    expect(plan.problems).toEqual([]);
    expect(plan.context?.done_follow_ups).toEqual([{ follow_up: 'Add tests', done: '2026-11-30', session: 'session-20261130-091500' }]);
    expect(Object.keys(plan.entry).sort()).toEqual(['client', 'context_for_next_session', 'date', 'decisions_made', 'duration_estimate', 'files_modified', 'follow_up', 'id', 'summary', 'tags']);
  });
});
