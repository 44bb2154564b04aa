import { basename } from 'node:path';
import type { Client } from '../client.js';
import { findTranscript, transcriptFolders, transcriptSessionKey } from './find.js';

/** The reader, compiled only when a transcript is read: never by a SessionStart with nothing to catch up. */
const reader = () => import('./read.js');

/** Codex CLI: rollouts under `<codex home>/sessions/`, file edits from apply_patch calls that succeeded. */
export const codex: Client = {
  name: 'codex',
  // Not in aiconfig's enum: the entry says `other` and carries the tag `codex`.
  entryClient: 'other',
  sessionIdEnv: 'CODEX_THREAD_ID',
  findTranscript,
  transcriptSessionKey: async (path) => transcriptSessionKey(basename(path)),
  readTranscript: async (...args) => (await reader()).readTranscript(...args),
  hasNewLines: async (...args) => (await reader()).hasNewLines(...args),
  transcriptCwd: async (path) => (await reader()).transcriptCwd(path),
  transcriptFolders,
};
