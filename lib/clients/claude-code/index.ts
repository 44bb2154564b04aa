import type { Client } from '../client.js';
import { findTranscript, transcriptSessionKey } from './find.js';
import { hasNewLines, readTranscript, transcriptCwd } from './read.js';

/** Claude Code: transcripts under `<config>/projects/`, file edits from Edit/MultiEdit/Write/NotebookEdit results. */
export const claudeCode: Client = {
  name: 'claude-code',
  findTranscript,
  transcriptSessionKey,
  readTranscript,
  hasNewLines,
  transcriptCwd,
};
