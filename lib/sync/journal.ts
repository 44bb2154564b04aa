import { join } from 'node:path';
import { isRecord } from '../json.js';
import { makeStoreFolder, readBookkeeping, replaceStoreFile } from '../memory/store-file.js';
import type { Paths } from '../paths.js';

/**
 * This machine's note of its syncs, in the state folder (never synced): the repository the user named, the last
 * run, and a mark that a sync is under way. A mark found by the next sync means the last one was killed: what it
 * left in the repository (git's index lock, a merge) is its own to clean up.
 */
export interface SyncJournal {
  /** The repository named once with `--repo`. */
  repo?: string;
  lastRun?: { at: string; outcome: 'synced' | 'failed'; message: string };
  running?: { pid: number; since: string };
}

export function syncJournalPath(paths: Paths): string {
  return join(paths.stateDir, 'sync.json');
}

export function readSyncJournal(paths: Paths): SyncJournal {
  const read = readBookkeeping(syncJournalPath(paths));
  return isRecord(read) ? (read as SyncJournal) : {};
}

export function writeSyncJournal(paths: Paths, journal: SyncJournal): void {
  makeStoreFolder(paths.stateDir);
  replaceStoreFile(syncJournalPath(paths), Buffer.from(`${JSON.stringify(journal, null, 2)}\n`));
}
