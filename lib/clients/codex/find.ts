import { readdirSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { orNothing } from '../../disk.js';
import type { Paths } from '../../paths.js';

/**
 * Codex keeps each session's rollout at `<codex home>/sessions/YYYY/MM/DD/rollout-<local time>-<session id>.jsonl`
 * (`codex-rs/rollout`); a maintenance pass may later compress a finished one to `.jsonl.zst` beside it.
 */
const ROLLOUT = /^rollout-.+-([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.jsonl(?:\.zst)?$/;

/** The session id in a rollout's file name; `undefined` for any other file. */
export function transcriptSessionKey(fileName: string): string | undefined {
  return ROLLOUT.exec(fileName)?.[1];
}

/** The session's rollout, looked for day by day from the newest; `undefined` when there is none. */
export async function findTranscript(paths: Paths, sessionKey: string): Promise<string | undefined> {
  const sessions = join(paths.codexHome, 'sessions');
  for (const year of namesNewestFirst(sessions)) {
    for (const month of namesNewestFirst(join(sessions, year))) {
      for (const day of namesNewestFirst(join(sessions, year, month))) {
        const folder = join(sessions, year, month, day);
        const name = (namesNewestFirst(folder)).find((file) => transcriptSessionKey(file) === sessionKey);
        if (name && orNothing(() => statSync(join(folder, name)))?.isFile()) return join(folder, name);
      }
    }
  }
  return undefined;
}

const DAY_MS = 86_400_000;

/**
 * The day folders beside the rollout's dated from the day before `since` on (Codex names them by local date, and
 * `since` is read as UTC: a day of slack covers every time zone).
 */
export async function transcriptFolders(transcriptPath: string, since: Date): Promise<string[]> {
  const dayFolder = dirname(transcriptPath);
  if (!/^\d{2}$/.test(basename(dayFolder))) return [dayFolder];
  const sessions = dirname(dirname(dirname(dayFolder)));
  const from = new Date(since.getTime() - DAY_MS).toISOString().slice(0, 10).replaceAll('-', '/');
  const folders: string[] = [];
  for (const year of namesNewestFirst(sessions)) {
    if (year < from.slice(0, 4)) break;
    for (const month of namesNewestFirst(join(sessions, year))) {
      for (const day of namesNewestFirst(join(sessions, year, month))) {
        if (`${year}/${month}/${day}` >= from) folders.push(join(sessions, year, month, day));
      }
    }
  }
  return folders;
}

function namesNewestFirst(folder: string): string[] {
  return (orNothing(() => readdirSync(folder)) ?? []).sort().reverse();
}
