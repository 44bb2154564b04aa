import { problemsError } from '../errors.js';
import type { Paths } from '../paths.js';
import { redactDeep } from '../redact.js';
import { readJsonFile, writeJsonFile, type CorruptionReporter } from './files.js';
import { withProjectLock } from './lock.js';
import { addToArchive, archivedIdsSince, findArchivedEntry, splitLiveWindow } from './archive.js';
import { listsFollowUp, planSessionWrite, type MemoryPlan, type MemorySnapshot, type SessionUpdate } from './merge.js';
import { readArchivedSessions } from './read.js';
import { isRecord } from '../json.js';
import { itemId, listDocument, projectFiles, sessionsArchive, viewSession, type ProjectFiles, type SessionEntry } from './shape.js';
import { writeSessionState, type SessionState } from './state.js';

export interface SessionWrite {
  entry: SessionEntry;
  sessionsPath: string;
  adrIds: string[];
}

/** The session whose entry is written, and its state as read (once) by the caller; without a key, a new entry. */
export interface SessionBookkeeping {
  sessionKey?: string;
  state: SessionState;
  /** What to save in the state besides the entry's bookkeeping (transcript offsets, folder, start). */
  saved?: Omit<SessionState, 'project' | 'entryId' | 'authored' | 'autoSummary'>;
}

/**
 * The one read-modify-write of a project's memory: under the project lock, read the files the update needs, plan
 * the new files (merge.ts, pure), and write them. Every string is redacted first: nothing secret reaches disk.
 * The writes are ordered so that a retry after a failure or a kill at any point gives the same memory as one
 * clean run: the entry's id (in the state), then the entry, then the files that point at it.
 */
export async function writeSessionMemory(
  paths: Paths,
  rawUpdate: SessionUpdate,
  session: SessionBookkeeping,
  now: Date,
  reportCorruption: CorruptionReporter,
): Promise<SessionWrite> {
  const update = redactDeep(rawUpdate);
  const files = projectFiles(paths, update.project);
  const { sessionKey, state } = session;
  return withProjectLock(files.dir, async () => {
    const read = (kind: 'sessions' | 'decisions' | 'context') => readJsonFile(files[kind], kind, reportCorruption, now);
    const sessions = await read('sessions');
    // An id the state names but sessions.json lacks was given out by a write that stopped part-way (taking it
    // again keeps the session to one entry), or is of an entry since archived (it is updated there).
    const earlier = {
      entryId: state.project === update.project ? state.entryId : undefined,
      authored: Boolean(state.authored),
      autoSummary: state.autoSummary,
    };
    const { entryId } = earlier;
    const archived = entryId !== undefined && !holdsEntry(sessions, entryId) ? findArchivedEntry(files, entryId, reportCorruption, now) : undefined;
    const named = update.context?.doneFollowUps ?? [];
    const liveViews = named.length ? listDocument(sessions, 'sessions').items.filter(isRecord).map(viewSession) : [];
    const olderFollowUp = named.some((task) => !listsFollowUp(liveViews, task));
    const snapshot: MemorySnapshot = {
      sessions,
      ...(olderFollowUp ? { archivedSessions: readArchivedSessions(paths, update.project).sessions } : {}),
      ...(archived ? { archived: { year: archived.year, sessions: archived.value } } : {}),
      ...(entryId === undefined ? { archivedIds: archivedIdsSince(files, update.captured?.startedAt ?? now, reportCorruption, now) } : {}),
      ...(update.adrs?.length ? { decisions: await read('decisions') } : {}),
      ...(update.context ? { context: await read('context') } : {}),
    };
    const plan = planSessionWrite(snapshot, update, earlier, now);
    // What the update names and memory lacks (an ADR id, a follow-up, an issue) is the caller's to fix: nothing is written.
    if (plan.problems.length) throw problemsError(plan.problems);
    const nextState: SessionState = { ...state, ...withoutSecrets(session.saved), project: update.project, ...plan.earlier };
    if (sessionKey && plan.newId) writeSessionState(paths, sessionKey, { ...state, project: update.project, entryId: plan.earlier.entryId });
    const written = writeSessions(files, plan, update.project, reportCorruption, now);
    if (sessionKey) writeSessionState(paths, sessionKey, nextState);
    // Written only once the entry is: both are idempotent, so a retry adds nothing twice.
    if (plan.decisions !== undefined) writeJsonFile(files.decisions, plan.decisions);
    if (plan.context !== undefined) writeJsonFile(files.context, plan.context);
    return { entry: plan.entry, sessionsPath: written, adrIds: plan.adrIds };
  });
}

/**
 * Writes the entry where it lives: its archive, or the live file. A live file past LIVE_MAX entries first moves
 * its oldest into their archives (the migration of a large file is the same move). Each archive is written before
 * the live file: a kill in between leaves the moved entries in both, which readers see once (the live copy wins)
 * and the next write moves again, replacing each by id, so nothing is lost and nothing is kept twice for good.
 * Returns the path of the file that holds the entry.
 */
function writeSessions(files: ProjectFiles, plan: MemoryPlan, project: string, reportCorruption: CorruptionReporter, now: Date): string {
  if (plan.archive) {
    const path = sessionsArchive(files, plan.archive.year);
    writeJsonFile(path, plan.archive.sessions);
    return path;
  }
  const split = splitLiveWindow(plan.sessions, project);
  for (const [year, entries] of split?.moved ?? []) {
    const path = sessionsArchive(files, year);
    writeJsonFile(path, addToArchive(readJsonFile(path, 'sessions', reportCorruption, now), entries, project));
  }
  writeJsonFile(files.sessions, split ? split.kept : plan.sessions);
  const movedEntry = [...(split?.moved ?? [])].find(([, entries]) => entries.some((item) => itemId(item) === plan.entry.id));
  return movedEntry ? sessionsArchive(files, movedEntry[0]) : files.sessions;
}

function holdsEntry(sessions: unknown, id: string): boolean {
  return listDocument(sessions, 'sessions').items.some((item) => itemId(item) === id);
}

/** The state as saved: it is on disk like memory, so what its scan quotes (texts, paths) is redacted too. */
function withoutSecrets(saved: SessionBookkeeping['saved']): SessionBookkeeping['saved'] {
  if (!saved?.scan) return saved;
  return { ...saved, scan: { ...saved.scan, facts: redactDeep(saved.scan.facts) } };
}
