import { claudeCode } from '../clients/claude-code/index.js';
import { readSessionState, withSessionLock } from '../memory/state.js';
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
export async function updateSessionEntry(services: SessionServices, source: SessionSource, authored?: RecordInput): Promise<SessionWrite> {
  const { paths } = services;
  const key = source.sessionKey;
  const update = async () => {
    const now = services.now();
    const state = key ? await readSessionState(paths, key) : {};
    const facts = await gatherSessionFacts(paths, claudeCode, source, state, now);
    for (const note of facts.notes) services.warn(note);
    return writeSessionMemory(
      paths,
      {
        project: facts.project,
        captured: facts.captured,
        authored,
        adrs: authored?.adrs,
        context: {
          currentFocus: authored?.current_focus,
          knownIssues: authored?.known_issues,
          branch: facts.repo?.branch,
          originUrl: facts.repo?.originUrl,
        },
      },
      { sessionKey: key, state, saved: facts.saved },
      now,
      (error, recovery) => services.warn(`${error.message}; ${recovery}`),
    );
  };
  return key ? withSessionLock(paths, key, update) : update();
}

/** Stop and SessionEnd: fold the transcript's new bytes and git's view into the session's one entry. */
export async function captureSession(source: SessionSource, services: SessionServices): Promise<undefined> {
  await updateSessionEntry(services, source);
  return undefined;
}

/** What the machine knows about a session now, every file it changed included; writes nothing. */
export async function currentSessionFacts(paths: Paths, source: SessionSource, now: Date): Promise<SessionFacts> {
  const state = source.sessionKey ? await readSessionState(paths, source.sessionKey) : {};
  return gatherSessionFacts(paths, claudeCode, source, state, now, { everyFile: true });
}
