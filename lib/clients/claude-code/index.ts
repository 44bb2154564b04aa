import { dirname } from 'node:path';
import type { Client } from '../client.js';
import { findTranscript, transcriptSessionKey } from './find.js';
import { readTranscript, transcriptCwd } from './read.js';

/** Claude Code: transcripts under `<config>/projects/`, file edits from Edit/MultiEdit/Write/NotebookEdit results. */
export const claudeCode: Client = {
  name: 'claude-code',
  entryClient: 'claude-code',
  sessionIdEnv: 'CLAUDE_CODE_SESSION_ID',
  // Stays put when the shell `cd`s into a sub-package, which must not move the session.
  projectDirEnv: 'CLAUDE_PROJECT_DIR',
  findTranscript,
  transcriptSessionKey,
  readTranscript,
  transcriptCwd,
  // One folder per launch folder: the project's other sessions sit beside this one.
  transcriptFolders: (transcriptPath) => [dirname(transcriptPath)],
};
