import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { errorCode } from '../errors.js';
import type { Paths } from '../paths.js';
import type { TranscriptScan } from '../clients/claude-code/read.js';

/** Machine bookkeeping for one Claude Code session, kept outside memory (aiconfig's schema rejects extra keys). */
export interface SessionState {
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
}

export function sessionStatePath(paths: Paths, sessionKey: string): string {
  return join(paths.stateDir, 'sessions', `${sessionKey.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 200)}.json`);
}

/** Missing or unreadable state reads as empty: it only saves work, memory itself is the record. */
export async function readSessionState(paths: Paths, sessionKey: string): Promise<SessionState> {
  try {
    const value: unknown = JSON.parse(await readFile(sessionStatePath(paths, sessionKey), 'utf8'));
    return typeof value === 'object' && value !== null ? (value as SessionState) : {};
  } catch (error) {
    if (errorCode(error) === 'ENOENT' || error instanceof SyntaxError) return {};
    throw error;
  }
}

export async function writeSessionState(paths: Paths, sessionKey: string, state: SessionState): Promise<void> {
  await mkdir(join(paths.stateDir, 'sessions'), { recursive: true, mode: 0o700 });
  await writeFileAtomic(sessionStatePath(paths, sessionKey), JSON.stringify(state), { mode: 0o600 });
}
