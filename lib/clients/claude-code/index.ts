import { dirname } from 'node:path';
import type { Client } from '../client.js';
import { hasNewLines } from './agent-files.js';
import { findTranscript, transcriptSessionKey } from './find.js';

/** The reader, compiled only when a transcript is read: never by a SessionStart with nothing to catch up, or a turn with nothing new. */
const reader = () => import('./read.js');

/** Claude Code: transcripts under `<config>/projects/`, file edits from Edit/MultiEdit/Write/NotebookEdit results. */
export const claudeCode: Client = {
  name: 'claude-code',
  entryClient: 'claude-code',
  sessionIdEnv: 'CLAUDE_CODE_SESSION_ID',
  // Stays put when the shell `cd`s into a sub-package, which must not move the session.
  projectDirEnv: 'CLAUDE_PROJECT_DIR',
  findTranscript,
  transcriptSessionKey,
  readTranscript: async (...args) => (await reader()).readTranscript(...args),
  hasNewLines: async (...args) => hasNewLines(...args),
  transcriptCwd: async (path) => (await reader()).transcriptCwd(path),
  // One folder per launch folder: the project's other sessions sit beside this one.
  transcriptFolders: async (transcriptPath) => [dirname(transcriptPath)],
};
