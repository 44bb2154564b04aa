import { clientNamed } from '../clients/index.js';
import { isSessionEntryId } from '../memory/merge.js';
import { findSessionOfEntry, hasSessionState, readSessionState, withSessionLock } from '../memory/state.js';
import { projectForFolder } from '../project/name.js';
import { writeSessionMemory, type SessionWrite } from '../memory/write.js';
import type { Paths } from '../paths.js';
import type { RecordInput } from './authored.js';
import { gatherSessionFacts, type SessionFacts, type SessionSource } from './facts.js';

/** The outside world a session update works in, handed in by the hook runner or the CLI. */
export interface SessionServices {
  paths: Paths;
  now: () => Date;
  /** Something went wrong but the work went on (a damaged file kept aside): the caller reports it. */
  warn: (message: string) => void;
}

/**
 * The one "update this session's entry": what the Stop worker, SessionEnd, catch-up and `record` all run. Under
 * the session's lock: read its state once, gather the facts (transcript since the last read, git), and write
 * memory with the model's own account when there is one (`authored`).
 */
export async function updateSessionEntry(
  services: SessionServices,
  given: SessionSource,
  authored?: RecordInput,
): Promise<SessionWrite & { factsFound: boolean }> {
  const { paths } = services;
  const { source, entryId } = resolveSession(paths, given);
  const key = source.sessionKey;
  const update = async () => {
    const now = services.now();
    const state = key ? readSessionState(paths, key) : {};
    const client = clientNamed(source.client ?? state.client);
    const facts = await gatherSessionFacts(paths, client, source, state, now);
    for (const note of facts.notes) services.warn(note);
    const written = await writeSessionMemory(
      paths,
      {
        project: facts.project,
        agent: { client: client.entryClient, name: client.name },
        captured: facts.captured,
        active: facts.active,
        authored,
        adrs: authored?.adrs,
        context: {
          currentFocus: authored?.current_focus,
          knownIssues: authored?.known_issues,
          resolvedIssues: authored?.resolved_issues,
          doneFollowUps: authored?.done,
          completedTasks: facts.captured?.completedTasks,
          sessionEnd: source.sessionEnd,
          branch: facts.repo?.branch,
          originUrl: facts.repo?.originUrl,
        },
      },
      { sessionKey: key, state: entryId ? { project: facts.project, entryId } : state, saved: facts.saved },
      now,
      (error, recovery) => services.warn(`${error.message}; ${recovery}`),
    );
    return { ...written, factsFound: facts.captured !== undefined };
  };
  return key ? withSessionLock(paths, key, update) : update();
}

/**
 * `--session` takes Claude Code's session id or the entry id `show` prints. An entry id is traced back to the
 * session whose state names it (so its transcript is read as for any record); one no state names is recorded as
 * it is, from what the caller gives.
 */
function resolveSession(paths: Paths, source: SessionSource): { source: SessionSource; entryId?: string } {
  const key = source.sessionKey;
  if (!key || !isSessionEntryId(key) || hasSessionState(paths, key)) return { source };
  const project = projectForFolder(source.cwd ?? process.cwd(), paths.gitConfigFiles, source.explicitProject);
  const sessionKey = findSessionOfEntry(paths, project, key);
  return sessionKey ? { source: { ...source, sessionKey } } : { source: { ...source, sessionKey: undefined }, entryId: key };
}

/**
 * What the machine knows about a session now, every file it changed included: its transcript is read from the
 * start (the state keeps no list of the files earlier reads found). Writes nothing.
 */
export async function currentSessionFacts(paths: Paths, source: SessionSource, now: Date): Promise<SessionFacts> {
  const { scan: _fromTheStart, ...state } = source.sessionKey ? readSessionState(paths, source.sessionKey) : {};
  return gatherSessionFacts(paths, clientNamed(source.client ?? state.client), source, state, now);
}
