import { problemsError } from '../errors.js';
import type { Paths } from '../paths.js';
import { redactDeep } from '../redact.js';
import { readJsonFile, writeJsonFile, type CorruptionReporter } from './files.js';
import { withProjectLock } from './lock.js';
import { planSessionWrite, type MemorySnapshot, type SessionUpdate } from './merge.js';
import { projectFiles, type SessionEntry } from './shape.js';
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
    const snapshot: MemorySnapshot = {
      sessions: await read('sessions'),
      ...(update.adrs?.length ? { decisions: await read('decisions') } : {}),
      ...(update.context ? { context: await read('context') } : {}),
    };
    // An id the state names but sessions.json lacks was given out by a write that stopped part-way: taking it
    // again keeps the session to one entry.
    const earlier = {
      entryId: state.project === update.project ? state.entryId : undefined,
      authored: Boolean(state.authored),
      autoSummary: state.autoSummary,
    };
    const plan = planSessionWrite(snapshot, update, earlier, now);
    // What the update names and memory lacks (an ADR id, a follow-up, an issue) is the caller's to fix: nothing is written.
    if (plan.problems.length) throw problemsError(plan.problems);
    const nextState: SessionState = { ...state, ...withoutSecrets(session.saved), project: update.project, ...plan.earlier };
    if (sessionKey && plan.newId) await writeSessionState(paths, sessionKey, { ...state, project: update.project, entryId: plan.earlier.entryId });
    await writeJsonFile(files.sessions, plan.sessions);
    if (sessionKey) await writeSessionState(paths, sessionKey, nextState);
    // Written only once the entry is: both are idempotent, so a retry adds nothing twice.
    if (plan.decisions !== undefined) await writeJsonFile(files.decisions, plan.decisions);
    if (plan.context !== undefined) await writeJsonFile(files.context, plan.context);
    return { entry: plan.entry, sessionsPath: files.sessions, adrIds: plan.adrIds };
  });
}

/** The state as saved: it is on disk like memory, so what its scan quotes (texts, paths) is redacted too. */
function withoutSecrets(saved: SessionBookkeeping['saved']): SessionBookkeeping['saved'] {
  if (!saved?.scan) return saved;
  return { ...saved, scan: { ...saved.scan, facts: redactDeep(saved.scan.facts) } };
}
