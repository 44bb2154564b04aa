import { lstatSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { sameProcess, type ProcessId } from '../ancestry.js';
import { requireBuiltin } from '../builtin.js';
import type { TranscriptScan } from '../clients/client.js';
import type { ClientName } from '../clients/names.js';
import type { WorkTreeSnapshot } from '../project/git.js';
import { orAbsentSync } from '../disk.js';
import { StoreError } from '../errors.js';
import { parseJson, isRecord } from '../json.js';
import type { Paths } from '../paths.js';
import { LOCK_TIMEOUT_MS, withLock } from './lock.js';
import { createStoreFile, isStoreFolder, makeStoreFolder, readStoreFile, renameStoreFile, replaceStoreFile } from './store-file.js';

/** Machine bookkeeping for one agent session, kept outside memory (aiconfig's schema rejects extra keys). */
export interface SessionState {
  /** Whose state this is: a file named by a hash (see `stateFileStem`) says it only here. */
  sessionKey?: string;
  /** The agent that runs the session (saved at its start): `record --session ID` and catch-up read it with that agent's client. */
  client?: ClientName;
  project?: string;
  entryId?: string;
  /** The model recorded this session: automatic summaries no longer touch it. */
  authored?: boolean;
  /** The automatic summary last written to the entry: a different one there was edited by hand and is kept. */
  autoSummary?: string;
  transcriptPath?: string;
  cwd?: string;
  startedAt?: string;
  scan?: TranscriptScan;
  /** The work tree as the session last saw it: a change git shows later is the session's only if it is new since. */
  git?: WorkTreeSnapshot;
  /** Subjects of the commits the session made, all turns and runs, redacted (the newest 50): its automatic summary's. */
  commits?: string[];
  /**
   * The agent process that ran the session's newest SessionStart, and when: `record` run in an agent's shell finds
   * its session by it where the shell names none (Gemini CLI), or names two agents (one inside the other's shell).
   */
  agentProcess?: ProcessId & { since: string };
}

/** Where the sessions' states live; one `<key>.json` each. */
export function sessionStateDir(paths: Paths): string {
  return join(paths.stateDir, 'sessions');
}

export function sessionStatePath(paths: Paths, sessionKey: string): string {
  return join(sessionStateDir(paths), `${stateFileStem(sessionKey)}.json`);
}

/**
 * Where states of sessions quiet for longer than catch-up looks back are moved (`retireStateFile`), so that the
 * folder SessionStart lists holds the recent ones only. A retired state is still read: a session resumed after
 * months goes on from it, and its next write puts it back among the recent.
 */
function retiredStateDir(paths: Paths): string {
  return join(paths.stateDir, 'sessions-retired');
}

/** Moves a state file found in `sessionStateDir` out of it, to the retired states. */
export function retireStateFile(paths: Paths, path: string): void {
  makeStoreFolder(retiredStateDir(paths));
  renameStoreFile(path, join(retiredStateDir(paths), basename(path)));
}

/**
 * A state file found in `sessionStateDir` (catch-up and `findSessionOfEntry` list them): its session and state.
 * `undefined` when the store refuses it (a link, a FIFO: that session's own hooks say so), so that one planted
 * file does not cost another session its start, or when nothing says whose it is.
 */
export function readStateFile(path: string): { sessionKey: string; state: SessionState } | undefined {
  const stem = basename(path, '.json');
  let state: SessionState;
  try {
    state = readStateAt(path);
  } catch (error) {
    if (error instanceof StoreError) return undefined;
    throw error;
  }
  const sessionKey = HASHED_STEM.test(stem) ? state.sessionKey : stem;
  // A hash names nobody by itself: the key stored inside must be the one that hashes to it.
  return sessionKey !== undefined && stateFileStem(sessionKey) === stem ? { sessionKey, state } : undefined;
}

/**
 * Runs `update` holding the session's own lock: the Stop worker, SessionEnd, catch-up and `record` of one session
 * read its state once and write it back without losing each other's changes. Taken before any project lock.
 */
export async function withSessionLock<T>(paths: Paths, sessionKey: string, update: () => Promise<T>): Promise<T> {
  const locks = join(paths.stateDir, 'locks');
  makeStoreFolder(locks);
  return withLock(join(locks, `${stateFileStem(sessionKey)}.lock`), { timeoutMs: LOCK_TIMEOUT_MS }, update);
}

/**
 * Missing or unparsable state reads as empty: it only saves work, memory itself is the record. A link or special
 * file there (or at `sessions/`) is refused, as everywhere in the store.
 */
export function readSessionState(paths: Paths, sessionKey: string): SessionState {
  const recent = sessionStatePath(paths, sessionKey);
  const state = readStateAt(recent);
  return Object.keys(state).length > 0 ? state : readStateAt(join(retiredStateDir(paths), basename(recent)));
}

function readStateAt(path: string): SessionState {
  if (!isStoreFolder(dirname(path))) return {};
  const bytes = readStoreFile(path);
  const parsed = bytes === undefined ? undefined : parseJson(bytes.toString('utf8'));
  return parsed?.ok && isRecord(parsed.value) ? (parsed.value as SessionState) : {};
}

export function hasSessionState(paths: Paths, sessionKey: string): boolean {
  const recent = sessionStatePath(paths, sessionKey);
  return exists(recent) || exists(join(retiredStateDir(paths), basename(recent)));
}

function exists(path: string): boolean {
  return orAbsentSync(() => lstatSync(path)) !== undefined;
}

/** The session whose state names `entryId` in `project`, newest state first; `undefined` when none does. */
export function findSessionOfEntry(paths: Paths, project: string, entryId: string): string | undefined {
  for (const dir of [sessionStateDir(paths), retiredStateDir(paths)]) {
    const names = (orAbsentSync(() => readdirSync(dir)) ?? []).filter((name) => name.endsWith('.json'));
    const dated = names.map((name) => ({ name, mtimeMs: orAbsentSync(() => statSync(join(dir, name)))?.mtimeMs ?? 0 }));
    for (const { name } of dated.sort((a, b) => b.mtimeMs - a.mtimeMs)) {
      const saved = readStateFile(join(dir, name));
      if (saved?.state.project === project && saved.state.entryId === entryId) return saved.sessionKey;
    }
  }
  return undefined;
}

/**
 * The session run by the nearest of `ancestors` (a process's, parent first) that a session's start saved as its
 * agent process, with its agent; of the sessions one process ran (a /clear starts another), the one that started
 * there last. `undefined` when none is. Reads every recent state: `record` asks this once, no hook does.
 */
export function findSessionOfAncestor(paths: Paths, ancestors: ProcessId[]): { sessionKey: string; client?: ClientName } | undefined {
  const dir = sessionStateDir(paths);
  let best: { sessionKey: string; client?: ClientName; depth: number; since: string } | undefined;
  for (const name of (orAbsentSync(() => readdirSync(dir)) ?? []).filter((each) => each.endsWith('.json'))) {
    const saved = readStateFile(join(dir, name));
    const agent = saved?.state.agentProcess;
    const depth = agent ? ancestors.findIndex((ancestor) => sameProcess(ancestor, agent)) : -1;
    if (!saved || !agent || depth === -1) continue;
    if (!best || depth < best.depth || (depth === best.depth && agent.since > best.since)) {
      best = { sessionKey: saved.sessionKey, ...(saved.state.client ? { client: saved.state.client } : {}), depth, since: agent.since };
    }
  }
  return best && { sessionKey: best.sessionKey, ...(best.client ? { client: best.client } : {}) };
}

export function writeSessionState(paths: Paths, sessionKey: string, state: SessionState): void {
  makeStoreFolder(sessionStateDir(paths));
  replaceStoreFile(sessionStatePath(paths, sessionKey), stateBytes(sessionKey, state));
}

/** Saves the state of a session that has none, without its lock: false, and nothing written, where it has one. */
export function createSessionState(paths: Paths, sessionKey: string, state: SessionState): boolean {
  makeStoreFolder(sessionStateDir(paths));
  return createStoreFile(sessionStatePath(paths, sessionKey), stateBytes(sessionKey, state));
}

function stateBytes(sessionKey: string, state: SessionState): Buffer {
  return Buffer.from(JSON.stringify({ ...state, sessionKey }));
}

/** A session key that is a readable, safe file name already: its own stem, as in state files from before hashing. */
const SAFE_STEM = /^[A-Za-z0-9._-]{1,200}$/;
const HASHED_STEM = /^sha256-[0-9a-f]{64}$/;

/**
 * The name of a session's state file and lock, one per key: a safe key as it is; any other (`x/y`, `x:y`, a key
 * that itself looks like a hash's stem) as the sha256 of it, a stem no safe key can take.
 */
function stateFileStem(sessionKey: string): string {
  if (SAFE_STEM.test(sessionKey) && !HASHED_STEM.test(sessionKey)) return sessionKey;
  // node:crypto only for such a key: it adds ~7% to every hook's start (`node -e 0` ratio), and agents' keys are safe.
  return `sha256-${requireBuiltin<typeof import('node:crypto')>('node:crypto').createHash('sha256').update(sessionKey).digest('hex')}`;
}
