import { lstatSync } from 'node:fs';
import { orNothing } from '../disk.js';
import { cacheName } from '../text.js';
import { isRecord } from '../json.js';
import type { Paths } from '../paths.js';
import { readFileOrBackup, recoveryFrom, type MemoryFileKind } from './files.js';
import { listArchives } from './archive.js';
import { itemId, listDocument, projectFiles, type ProjectFiles } from './shape.js';
import { isStoreFolder } from './store-file.js';

/** One project's memory as read for people and the model: nothing is written. Items as stored (see shape.ts's views). */
export interface ProjectMemory {
  project: string;
  /** Oldest first, as stored. */
  sessions: Record<string, unknown>[];
  /** Oldest first, as stored. */
  decisions: Record<string, unknown>[];
  context: Record<string, unknown>;
  /** One line per file that could not be read as it is, saying what was read instead. */
  problems?: string[];
}

/**
 * Reads sessions.json (the live window: the newest sessions, see archive.ts), decisions.json and context.json of a
 * project; with `history`, archived sessions too, before the live ones: all of them, or the newest years' until
 * that many sessions are read. A file that does not parse is read from its
 * backup, as the next write will go on from it, but unlike the write side nothing is moved aside: each such file
 * is named in `problems`. A file with neither reads as empty, and so does any item that is not an object. A link
 * or special file where memory belongs (the project's folder or a file in it) is not read through: it is named in
 * `problems` and reads as empty.
 */
export function readProjectMemory(paths: Paths, project: string, options: { history?: 'all' | number } = {}): ProjectMemory {
  const files = projectFiles(paths, project);
  const problems: string[] = [];
  const folder = readOrReport(() => isStoreFolder(files.dir), problems);
  const [sessions, decisions, context] = folder
    ? (['sessions', 'decisions', 'context'] as const).map((kind) => readRecovering(files[kind], kind, problems))
    : [];
  const live = listDocument(sessions, 'sessions').items.filter(isRecord);
  return {
    project,
    sessions: folder && options.history !== undefined ? [...readArchived(files, live, options.history, problems), ...live] : live,
    decisions: listDocument(decisions, 'decisions').items.filter(isRecord),
    context: isRecord(context) ? context : {},
    problems,
  };
}

/**
 * The archived sessions, oldest first, each once: an entry the live file also holds (a move cut short) is read
 * from the live file. `wanted` a number: only the newest years' archives, until live and archived make that many.
 */
function readArchived(files: ProjectFiles, live: Record<string, unknown>[], wanted: 'all' | number, problems: string[]): Record<string, unknown>[] {
  const seen = new Set(live.flatMap((item) => itemId(item) ?? []));
  const years: Record<string, unknown>[][] = [];
  let count = live.length;
  for (const archive of listArchives(files).reverse()) {
    if (wanted !== 'all' && count >= wanted) break;
    const items = listDocument(readRecovering(archive.path, 'sessions', problems), 'sessions').items.filter(isRecord);
    const unseen = items.filter((item) => {
      const id = itemId(item);
      if (id === undefined) return true;
      if (seen.has(id)) return false;
      seen.add(id);
      return true;
    });
    years.unshift(unseen);
    count += unseen.length;
  }
  return years.flat();
}

function readRecovering(path: string, kind: MemoryFileKind, problems: string[]): unknown {
  const read = readOrReport(() => readFileOrBackup(path, kind), problems);
  if (read === undefined) return undefined;
  const { file, backup, value } = read;
  if (backup === undefined) return value;
  const what = file.state === 'missing' ? 'is missing but its backup is not' : `is not valid (${describeCause(file.cause)})`;
  problems.push(`${path} ${what}; ${recoveryFrom(backup)}`);
  return value;
}

/** What `read` gives, or `undefined` with the reason in `problems` (the store's messages name the path). */
function readOrReport<T>(read: () => T, problems: string[]): T | undefined {
  try {
    return read();
  } catch (error) {
    problems.push(`${describeCause(error)}; it was read as empty`);
    return undefined;
  }
}

function describeCause(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}

/** Every archived session, oldest first, as stored (an archived copy of a live entry included: readers leave it out). */
export function readArchivedSessions(paths: Paths, project: string): { sessions: Record<string, unknown>[]; problems: string[] } {
  const problems: string[] = [];
  const sessions = readArchived(projectFiles(paths, project), [], 'all', problems);
  return { sessions, problems };
}

/**
 * What the archives are now, as a short name: their years, sizes and modification times. Any write to one
 * changes it, so an index of the archives is rebuilt only when they changed. `undefined` when there are none.
 */
export function archivesFingerprint(paths: Paths, project: string): string | undefined {
  const archives = listArchives(projectFiles(paths, project));
  if (archives.length === 0) return undefined;
  const stats = archives.map(({ year, path }) => {
    const info = orNothing(() => lstatSync(path));
    return [year, info ? `${info.size}:${info.mtimeMs}` : 'none'];
  });
  return cacheName(JSON.stringify(stats));
}
