import { readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { orNothing } from '../../disk.js';
import type { Paths } from '../../paths.js';

/**
 * A main session's recording: `<gemini>/tmp/<project>/chats/session-<start time>-<first 8 characters of its id>.jsonl`
 * (`.json` in older builds; a resumed one is rewritten as `.jsonl`). The name holds only part of the id: the
 * recording's metadata says whose it is.
 */
const RECORDING = /^session-.*\.jsonl?$/;

export async function findTranscript(paths: Paths, sessionKey: string): Promise<string | undefined> {
  const tmp = join(paths.geminiDir, 'tmp');
  const suffix = `-${sessionKey.replace(/[^a-zA-Z0-9_-]/g, '_').slice(0, 8)}.json`;
  const found: string[] = [];
  for (const project of orNothing(() => readdirSync(tmp)) ?? []) {
    const chats = join(tmp, project, 'chats');
    for (const name of orNothing(() => readdirSync(chats)) ?? []) {
      if (!RECORDING.test(name) || !(name.endsWith(suffix) || name.endsWith(`${suffix}l`))) continue;
      const path = join(chats, name);
      if ((await recordingSessionId(path)) === sessionKey) found.push(path);
    }
  }
  // A `.json` recording resumed by a newer build lives on as `.jsonl`: the newer one is the session's.
  return found.sort((a, b) => Number(b.endsWith('.jsonl')) - Number(a.endsWith('.jsonl')))[0];
}

/** The session id of a main session's recording (from its metadata); undefined for any other file. */
export async function transcriptSessionKey(path: string): Promise<string | undefined> {
  if (!RECORDING.test(basename(path))) return undefined;
  return recordingSessionId(path);
}

/** The reader's, loaded only when a recording is looked into; undefined when it cannot be read. */
async function recordingSessionId(path: string): Promise<string | undefined> {
  const { recordingSessionId: read } = await import('./read.js');
  return orNothing(() => read(path));
}
