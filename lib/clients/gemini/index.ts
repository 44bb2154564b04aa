import { dirname } from 'node:path';
import type { Client } from '../client.js';
import { findTranscript, transcriptSessionKey } from './find.js';

/** The reader, compiled only when a transcript is read: never by a SessionStart with nothing to catch up. */
const reader = () => import('./read.js');

/** Gemini CLI: chat recordings under `<gemini>/tmp/<project>/chats/`, file edits from write_file and replace calls that succeeded. */
export const gemini: Client = {
  name: 'gemini',
  entryClient: 'other',
  // Its hooks get the launch folder (hookRunner.ts); its shell commands get no session id, only GEMINI_CLI=1.
  projectDirEnv: 'GEMINI_PROJECT_DIR',
  shellMark: { env: 'GEMINI_CLI', sessionIdHint: "'gemini --list-sessions' in the project's folder prints each of its sessions with its id in brackets" },
  findTranscript,
  transcriptSessionKey,
  readTranscript: async (...args) => (await reader()).readTranscript(...args),
  hasNewLines: async (...args) => (await reader()).hasNewLines(...args),
  transcriptCwd: async (path) => (await reader()).transcriptCwd(path),
  // One chats folder per project: the project's other sessions sit beside this one.
  transcriptFolders: async (transcriptPath) => [dirname(transcriptPath)],
};
