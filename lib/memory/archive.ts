import { lstatSync, readdirSync } from 'node:fs';
import { orNothing } from '../disk.js';
import { readJsonFile, type CorruptionReporter } from './files.js';
import { archiveYear, documentValue, entryYear, itemId, listDocument, sessionsArchive, type ProjectFiles } from './shape.js';

/**
 * sessions.json is the live window: what every turn rewrites and every session start reads, so its size, not the
 * project's age, sets their cost. When a write leaves it with more than LIVE_MAX entries, the oldest (by place in
 * the file, which is by last activity: an active session's entry moves to the end) move into the archives until
 * LIVE_KEEP are left.
 *
 * 500 × ~1.3 KB is ~650 KB, so a turn writes at most ~1.3 MB (the file and its .bak); 250 kept is two weeks of a
 * heavy user (twenty sessions a day) and months of anyone else, more than the brief shows. Moving 250 at once
 * means an archive is rewritten once in 250 sessions, never per turn.
 */
export const LIVE_MAX = 500;
export const LIVE_KEEP = 250;

/** An archive's new contents: `sessions-<year>.json`. */
export interface ArchiveWrite {
  year: string;
  path: string;
  value: unknown;
}

/**
 * The entries to move out of the live file `value`, by year, and what it keeps; `undefined` while it is within
 * LIVE_MAX. An item with no year (a hand edit with no date) stays live.
 */
export function splitLiveWindow(value: unknown, project: string): { kept: unknown; moved: Map<string, unknown[]> } | undefined {
  const live = listDocument(value, 'sessions');
  if (live.items.length <= LIVE_MAX) return undefined;
  const oldest = live.items.length - LIVE_KEEP;
  const moved = new Map<string, unknown[]>();
  const kept: unknown[] = [];
  live.items.forEach((item, index) => {
    const year = index < oldest ? entryYear(item) : undefined;
    if (year === undefined) kept.push(item);
    else moved.set(year, [...(moved.get(year) ?? []), item]);
  });
  return { kept: documentValue({ ...live, items: kept }, 'sessions', project), moved };
}

/**
 * The archive `value` with `entries` added as they are; one whose id it already holds (a move cut short by a kill,
 * then done again) replaces that one, so no entry is ever in an archive twice.
 */
export function addToArchive(value: unknown, entries: unknown[], project: string): unknown {
  const archive = listDocument(value, 'sessions');
  const items = [...archive.items];
  const at = new Map(items.flatMap((item, index) => (itemId(item) === undefined ? [] : [[itemId(item)!, index] as const])));
  for (const entry of entries) {
    const id = itemId(entry);
    const index = id === undefined ? undefined : at.get(id);
    if (index === undefined) items.push(entry);
    else items[index] = entry;
  }
  return documentValue({ ...archive, items }, 'sessions', project);
}

export interface ArchiveFile {
  year: string;
  path: string;
}

/** The project's archives, oldest year first; one with only its backup left (a repair cut short) too. */
export function listArchives(files: ProjectFiles): ArchiveFile[] {
  const names = orNothing(() => readdirSync(files.dir)) ?? [];
  const years = new Set(names.flatMap((name) => archiveYear(name.replace(/\.bak$/, '')) ?? []));
  return [...years].sort().map((year) => ({ year, path: sessionsArchive(files, year) }));
}

/**
 * The archive holding the entry `id`, read for a write (a damaged archive is kept aside and its backup used),
 * or `undefined` when none does. The year of the id is looked at first; the others only when it is not there.
 */
export function findArchivedEntry(
  files: ProjectFiles,
  id: string,
  reportCorruption: CorruptionReporter,
  now: Date,
): ArchiveWrite | undefined {
  const first = entryYear({ id });
  const archives = listArchives(files).sort((a, b) => Number(b.year === first) - Number(a.year === first) || b.year.localeCompare(a.year));
  for (const archive of archives) {
    const value = readJsonFile(archive.path, 'sessions', reportCorruption, now);
    if (listDocument(value, 'sessions').items.some((item) => itemId(item) === id)) return { ...archive, value };
  }
  return undefined;
}

/**
 * The ids in archives that may hold an entry started at or after `since`: those last written since then. An
 * archive last written before can hold none (an entry is archived after it starts), so a new session's first
 * write reads no archive.
 */
export function archivedIdsSince(files: ProjectFiles, since: Date, reportCorruption: CorruptionReporter, now: Date): Set<string> {
  const ids = new Set<string>();
  const second = Math.floor(since.getTime() / 1000) * 1000;
  for (const archive of listArchives(files)) {
    const info = orNothing(() => lstatSync(archive.path));
    if (info && info.mtimeMs < second) continue;
    const value = readJsonFile(archive.path, 'sessions', reportCorruption, now);
    for (const item of listDocument(value, 'sessions').items) if (itemId(item)) ids.add(itemId(item)!);
  }
  return ids;
}
