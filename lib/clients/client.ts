import type { Paths } from '../paths.js';
import type { ClientName, EntryClient } from './names.js';

/**
 * What log-session needs from a coding agent (a "client"): how its hooks and shell name the session, where a
 * session's transcript is, and the facts in it. One implementation per agent (claude-code/, codex/), found by
 * name in index.ts; the facts are the same whatever the agent.
 */
export interface Client {
  /** The agent's name (`--client`, the state's `client`, and the entry's tag when `entryClient` is `other`). */
  name: ClientName;
  /** The entry's `client` field, within aiconfig's enum. */
  entryClient: EntryClient;
  /**
   * The variable the agent sets to its session id in the shell commands it runs (how `record` finds its session);
   * none for an agent that sets none (Gemini CLI sets only `GEMINI_CLI=1`).
   */
  sessionIdEnv?: string;
  /** The variable that holds the folder the agent was launched in, for its hooks, when it sets one. */
  projectDirEnv?: string;
  /** A session's transcript when the hook did not say where it is; `undefined` when there is none. */
  findTranscript(paths: Paths, sessionKey: string): Promise<string | undefined>;
  /**
   * The session key of a file in a transcripts folder, or `undefined` when it is not a session's main transcript.
   * Given the path, not the name: Gemini CLI's names hold only part of the session id, its first line the rest.
   */
  transcriptSessionKey(path: string): Promise<string | undefined>;
  /**
   * Reads only what was appended since `previous` (at most a budget of bytes: the rest next time), folded into its
   * facts. Throws the fs error when it cannot be read, or an error when the path names what could block a read or
   * never end it (a FIFO, a device).
   */
  readTranscript(path: string, previous?: TranscriptScan, options?: { ended?: boolean }): Promise<TranscriptRead>;
  /** The folder the session was started in, as its transcript says; `undefined` when it does not. */
  transcriptCwd(path: string): Promise<string | undefined>;
  /**
   * The folders that hold the transcripts of sessions that may have run beside the one at `transcriptPath` since
   * `since` (catch-up looks there for sessions no hook ever reached).
   */
  transcriptFolders(transcriptPath: string, since: Date): string[];
}

/**
 * Paths a session's facts hold at most, both the files changed and the edits awaiting their result: twice the
 * 50,000 changed files a real session must keep whole, so a transcript that lists millions still folds, and its
 * state and entry are written, within a hook's memory (each file held costs about 0.7 KB across a capture). Once
 * the session holds this many, edits are no longer read: each would repeat a held file or be left out.
 */
export const MAX_SESSION_FILES = 100_000;

export interface TranscriptFacts {
  /** ISO, earliest line timestamp seen (main file). */
  firstTimestamp?: string;
  /** ISO, latest line timestamp seen (main file). */
  lastTimestamp?: string;
  /** First prompt the user typed in the main thread (no meta, command, caveat, interrupt or compact-summary text). */
  firstPrompt?: string;
  /** First prompt of the newest run, when the session ran more than once (resumed after an idle gap). */
  runPrompt?: string;
  /** Time the session was active, in ms: the gaps between main-file lines, idle ones left out. */
  activeMs?: number;
  /** Text of the newest main-thread assistant text block. */
  lastAssistantText?: string;
  /** cwd of the newest main-file line that carries one where it is cheap to read. */
  cwd?: string;
  /** Newest non-empty gitBranch. */
  gitBranch?: string;
  /**
   * Paths, sorted, unique: Edit/MultiEdit/Write/NotebookEdit calls whose result was not an error, sub-agents included.
   * A relative path is resolved against its line's cwd (the shell's folder, after any `cd`); only a line without
   * a cwd leaves it relative.
   */
  changedFiles: string[];
  /** tool_use_id -> start (ms) of shell calls whose result has not been seen yet (carried across increments). */
  pendingShell?: Record<string, number>;
  /** tool_use_id -> path of file-tool calls whose result has not been seen yet (carried across increments). */
  pendingEdits: Record<string, string>;
}

export interface TranscriptScan {
  /** Bytes of the main file consumed: the end of the last complete line, or inside a line too long to read. */
  offset: number;
  /** Absolute path of each sub-agent file of this session -> its consumed offset. */
  subagents: Record<string, number>;
  /** Names of `agent-*.jsonl` files beside the transcript that belong to other sessions (or are not files), so they are not opened again. */
  foreignAgentFiles?: string[];
  facts: TranscriptFacts;
}

/** A shell command's run: from its call to its result, in ms. */
export interface ShellRun {
  start: number;
  end: number;
}

export interface TranscriptRead {
  scan: TranscriptScan;
  /** Shell commands (the session's own and its sub-agents') that finished in the lines this read added. */
  shellRuns: ShellRun[];
  /** What the read left out and why, one line each for the log (lines over the size cap, files that are not files). */
  notes: string[];
  /** ISO, the earliest main-file line among the lines this read added; undefined when it added none. */
  firstNewTimestamp?: string;
}

export function emptyScan(): TranscriptScan {
  return { offset: 0, subagents: {}, foreignAgentFiles: [], facts: { changedFiles: [], pendingEdits: {} } };
}
