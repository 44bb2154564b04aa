import type { Client } from '../client.js';
import { findTranscript, transcriptSessionKey } from './find.js';
import { readTranscript, transcriptCwd } from './read.js';

/** Gemini CLI: chat recordings under `<gemini>/tmp/<project>/chats/`, file edits from write_file and replace calls that succeeded. */
export const gemini: Client = { name: 'gemini', findTranscript, transcriptSessionKey, readTranscript, transcriptCwd };
