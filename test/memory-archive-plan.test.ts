import { describe, expect, it } from 'vitest';
import { addToArchive, LIVE_KEEP, LIVE_MAX, splitLiveWindow } from '../lib/memory/archive.js';
import { sessionEntries } from './helpers/memory-builder.js';

describe('the live window (pure)', () => {
  it('leaves a file within LIVE_MAX as it is', () => {
    expect(splitLiveWindow({ sessions: sessionEntries(LIVE_MAX) }, 'widget')).toBeUndefined();
    expect(splitLiveWindow(undefined, 'widget')).toBeUndefined();
  });

  it('past LIVE_MAX, keeps the newest LIVE_KEEP and an undated item, moves the rest by the year of their date', () => {
    const entries = sessionEntries(LIVE_MAX + 1, new Date('2026-03-01T12:00:00Z'));
    const undated = { summary: 'a hand-written note' };
    const split = splitLiveWindow({ $schema: 'x', project: 'widget', sessions: [undated, ...entries] }, 'widget')!;
    const kept = split.kept as { $schema: string; sessions: unknown[] };
    expect(kept.$schema).toBe('x');
    expect(kept.sessions).toEqual([undated, ...entries.slice(-LIVE_KEEP)]);
    const moved = entries.slice(0, -LIVE_KEEP);
    expect([...split.moved.keys()]).toEqual(['2024', '2025']);
    expect([...split.moved.values()].flat()).toEqual(moved);
    for (const [year, items] of split.moved) for (const item of items) expect(String((item as { date: string }).date).startsWith(year)).toBe(true);
  });

  it('a bare-array file stays a bare array', () => {
    const entries = sessionEntries(LIVE_MAX + 10);
    expect(splitLiveWindow(entries, 'widget')!.kept).toEqual(entries.slice(-LIVE_KEEP));
  });

  it('an archive takes entries as they are; one it holds already (a move done again) is replaced, never added twice', () => {
    const [a, b, c] = sessionEntries(3);
    const archive = { project: 'widget', note: 'kept', sessions: [a, b] };
    expect(addToArchive(archive, [{ ...b, summary: 'again' }, c], 'widget')).toEqual({ project: 'widget', note: 'kept', sessions: [a, { ...b, summary: 'again' }, c] });
    expect(addToArchive(undefined, [a], 'widget')).toEqual({ project: 'widget', sessions: [a] });
    expect(addToArchive([a], [b], 'widget')).toEqual([a, b]);
  });
});
