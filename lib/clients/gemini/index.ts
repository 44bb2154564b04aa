import { dirname } from 'node:path';
import type { Client } from '../client.js';
import { findTranscript, transcriptSessionKey } from './find.js';
import { hasNewLines, readTranscript, transcriptCwd } from './read.js';

/** Gemini CLI: chat recordings under `<gemini>/tmp/<project>/chats/`, file edits from write_file and replace calls that succeeded. */
export const gemini: Client = {
  name: 'gemini',
  entryClient: 'other',
  // Its hooks get the launch folder (hookRunner.ts); its shell commands get no session id.
  projectDirEnv: 'GEMINI_PROJECT_DIR',
  findTranscript,
  transcriptSessionKey,
  readTranscript,
  hasNewLines,
  transcriptCwd,
  // One chats folder per project: the project's other sessions sit beside this one.
  transcriptFolders: async (transcriptPath) => [dirname(transcriptPath)],
};
