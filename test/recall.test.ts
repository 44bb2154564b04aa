import { describe, expect, it } from 'vitest';
import type { ProjectMemory } from '../lib/memory/read.js';
import { recall, stem } from '../lib/read/recall.js';

const memory: ProjectMemory = {
  project: 'widget',
  context: {},
  sessions: [
    {
      id: 'session-20260101-090000',
      date: '2026-01-01',
      summary: 'Moved login to token-based authentication.',
      decisions_made: [{ decision: 'Use JWT for auth', rationale: 'stateless servers' }],
      files_modified: ['src/auth/token.ts', 'src/auth/login.ts'],
      follow_up: ['Rotate signing keys'],
    },
    {
      id: 'session-20260102-090000',
      date: '2026-01-02',
      summary: 'Fixed the parser; also glanced at auth logs while debugging.',
      files_modified: ['src/parser.ts'],
      follow_up: ['Add parser fuzz tests'],
    },
    {
      id: 'session-20260103-090000',
      date: '2026-01-03',
      summary: 'Wrote the README.',
      files_modified: ['README.md', 'lib/src/auth-notes.md'],
      context_for_next_session: 'Start on the CLI help text.',
    },
  ],
  decisions: [
    { id: 'ADR-001', date: '2026-01-01', title: 'Authentication with JWT', decision: 'Tokens, not sessions', status: 'accepted' },
    { id: 'ADR-002', date: '2026-01-02', title: 'Parser generator', decision: 'Hand-written parser', status: 'accepted' },
  ],
};

describe('recall', () => {
  it('ranks the auth decision above a passing mention', async () => {
    const hits = recall(memory, { query: 'what did we decide about auth' });
    // BM25: the session whose decision holds the very word comes before the ADR whose title holds it only as a prefix
    // (ADRs count twice for a question about decisions, a prefix match a little over a third).
    expect(hits.map((hit) => hit.id).slice(0, 2)).toEqual(['session-20260101-090000', 'ADR-001']);
    expect(hits[0]).toMatchObject({ kind: 'session', field: 'decision', text: 'Use JWT for auth (why: stateless servers)' });
    expect(hits[1]).toMatchObject({ kind: 'adr', field: 'title', text: 'Authentication with JWT' });
    const passing = hits.findIndex((hit) => hit.id === 'session-20260102-090000');
    expect(passing).toBeGreaterThan(1);
    expect(hits.every((hit, i) => i === 0 || hits[i - 1]!.score >= hit.score)).toBe(true);
  });

  it('answers "what did we do last session" with the newest session first', async () => {
    const hits = recall(memory, { query: 'what did we do last session?' });
    expect(hits[0]).toMatchObject({ kind: 'session', id: 'session-20260103-090000', date: '2026-01-03', field: 'summary', text: 'Wrote the README.' });
    expect(hits.map((hit) => hit.id)).toEqual(['session-20260103-090000', 'session-20260102-090000', 'session-20260101-090000']);
  });

  it('finds sessions by file: --file matches a prefix or part of a path, and so does a path in the question', async () => {
    expect(recall(memory, { query: '', file: 'src/auth' }).map((hit) => hit.id)).toEqual([
      'session-20260103-090000',
      'session-20260101-090000',
    ]);
    expect(recall(memory, { query: '', file: './src/auth/' })[1]).toMatchObject({ field: 'files', text: 'src/auth/token.ts, src/auth/login.ts' });
    expect(recall(memory, { query: 'jwt', file: 'src/auth' }).map((hit) => hit.id)).toEqual(['session-20260101-090000', 'session-20260103-090000']);
    const touched = recall(memory, { query: 'which sessions touched src/auth' });
    expect(touched[0]).toMatchObject({ id: 'session-20260101-090000', field: 'files' });
  });

  it('a done follow-up and a superseded ADR say so in their hit', async () => {
    const closed: ProjectMemory = {
      ...memory,
      context: { done_follow_ups: [{ follow_up: 'rotate  SIGNING keys', done: '2026-01-04', session: 'session-20260104-090000' }] },
      decisions: [{ ...memory.decisions[0]!, status: 'superseded', superseded_by: 'ADR-003' }],
    };
    expect(recall(closed, { query: 'signing keys' })[0]).toMatchObject({ field: 'follow_up', text: 'Rotate signing keys (done 2026-01-04, session-20260104-090000)' });
    expect(recall(closed, { query: 'JWT authentication' })[0]).toMatchObject({ id: 'ADR-001', text: 'Authentication with JWT (superseded by ADR-003)' });
  });

  it('meets text typed in the other Unicode form (decomposed on macOS)', async () => {
    const cafe: ProjectMemory = { ...memory, decisions: [], sessions: [{ id: 'session-20260104-090000', date: '2026-01-04', summary: 'Renamed the caf\u00e9 module.' }] };
    expect(recall(cafe, { query: 'cafe\u0301' }).map((hit) => hit.id)).toEqual(['session-20260104-090000']);
  });

  it('meets words by stem and prefix, and ties go to the newer record', async () => {
    expect(stem('parsing')).toBe(stem('parser'));
    expect(recall(memory, { query: 'authenticating' })[0]!.id).toBe('ADR-001');
    const fuzz = recall(memory, { query: 'fuzz' });
    expect(fuzz).toEqual([
      { kind: 'session', id: 'session-20260102-090000', date: '2026-01-02', score: fuzz[0]!.score, field: 'follow_up', text: 'Add parser fuzz tests' },
    ]);
    expect(fuzz[0]!.score).toBeGreaterThan(0);
    const tie = recall({ ...memory, decisions: [] , sessions: [{ id: 'a', summary: 'cache' }, { id: 'b', summary: 'cache' }] }, { query: 'cache' });
    expect(tie.map((hit) => hit.id)).toEqual(['b', 'a']);
    expect(recall(memory, { query: 'nothing matches zebra' })).toEqual([]);
    expect(recall(memory, { query: 'parser', limit: 1 })).toHaveLength(1);
  });
});
