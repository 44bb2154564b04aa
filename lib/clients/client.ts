import type { Paths } from '../paths.js';
import type { ClientName, EntryClient } from './names.js';

/**
 * What log-session needs from a coding agent (a "client"): how its hooks and shell name the session, where a
 * session's transcript is, and the facts in it. One implementation per agent (claude-code/, codex/, gemini/), found by
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
  /**
   * For an agent that sets no session id in its shell commands: the variable it sets there instead (Gemini CLI:
   * `GEMINI_CLI`), and where a user finds a session's id. Its SessionStart saves the agent's process, by which
   * `record` run in that shell finds the session (lib/ancestry.ts).
   */
  shellMark?: { env: string; sessionIdHint: string };
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
  /**
   * Whether anything was appended to the transcript, or to its sub-agents' files, since `scan`: a stat or a folder
   * listing each, nothing read. A turn with nothing new costs no more than this.
   */
  hasNewLines(path: string, scan: TranscriptScan): Promise<boolean>;
  /** The folder the session was started in, as its transcript says; `undefined` when it does not. */
  transcriptCwd(path: string): Promise<string | undefined>;
  /**
   * The folders that hold the transcripts of sessions that may have run beside the one at `transcriptPath` since
   * `since` (catch-up looks there for sessions no hook ever reached).
   */
  transcriptFolders(transcriptPath: string, since: Date): Promise<string[]>;
}

/**
 * Changed files a session takes in at most, and edits awaiting their result one read holds at most: half as many
 * again as the 50,000 changed files a real session must keep whole, so a transcript that lists millions still
 * folds, and its entry is written, within a hook's 150 MB (a million edits packed 50,000 to a line peak at 139 MB
 * with 75,000; at 100,000 the turn that reached them took 163 MB, each file costing about 0.6 KB across a write).
 * Once the session holds this many, edits are no longer read: each would repeat a held file or be left out.
 */
export const MAX_SESSION_FILES = 75_000;

/**
 * Changed files one read takes in at most: it stops after the line that reaches them and the next read goes on
 * from there, as it does once the byte budget is spent. Real transcripts reach about 47,000 files in a 64 MiB read
 * (see READ_BUDGET_BYTES); lines packed with thousands of edits each reach far more, and each file held costs
 * memory until the read's write is done.
 */
export const MAX_READ_FILES = 50_000;

/**
 * Texts the facts keep (prompts, the last answer) are cut to this many characters: a summary uses only their
 * start, and the state that carries the facts is rewritten, and redacted, on every turn.
 */
export const KEPT_TEXT_CHARS = 16_384;

export interface TranscriptFacts {
  /** ISO, earliest line timestamp seen (main file). */
  firstTimestamp?: string;
  /** ISO, latest line timestamp seen (main file). */
  lastTimestamp?: string;
  /** First prompt the user typed in the main thread (no meta, command, caveat, interrupt or compact-summary text); its start (KEPT_TEXT_CHARS). */
  firstPrompt?: string;
  /** First prompt of the newest run, when the session ran more than once (resumed after an idle gap). */
  runPrompt?: string;
  /** Time the session was active, in ms: the gaps between main-file lines, idle ones left out. */
  activeMs?: number;
  /** Text of the newest main-thread assistant text block; its start (KEPT_TEXT_CHARS). */
  lastAssistantText?: string;
  /** cwd of the newest main-file line that carries one where it is cheap to read. */
  cwd?: string;
  /** Newest non-empty gitBranch. */
  gitBranch?: string;
  /**
   * Changed files the reads so far found (one changed again in a later read counts again): a bound on what a
   * session holds, not a count to show. The files themselves went into the entry with each read's write, so the
   * state that carries these facts does not grow with every file a session ever changed.
   */
  changedFileCount?: number;
  /** tool_use_id -> start (ms) of shell calls whose result has not been seen yet (carried across increments). */
  pendingShell?: Record<string, number>;
  /** tool_use_id -> path of file-tool calls whose result has not been seen yet (carried across increments). */
  pendingEdits: Record<string, string>;
  /**
   * The main thread's newest task list, as Claude Code rebuilds it: TodoWrite's todos (each call replaces the list),
   * or the tasks of TaskCreate/TaskUpdate calls. At most MAX_TASKS, each text at most TASK_TEXT characters.
   */
  tasks?: SessionTask[];
  /** The text of every task the main thread marked completed, first completion first (at most MAX_TASKS): all runs'. */
  completedTasks?: string[];
  /** The title (first heading) of the newest plan the model presented (ExitPlanMode's `plan`). */
  planTitle?: string;
  /** Claude Code's own title of the session: the newest `summary`, `ai-title` or `custom-title` line. */
  sessionTitle?: string;
  /** The opening of the newest compaction summary (`isCompactSummary`), its preamble left out. */
  compactSummary?: string;
}

/** One task of a session's task list. */
export interface SessionTask {
  content: string;
  status: 'pending' | 'in_progress' | 'completed';
  /** TaskCreate's task id (from its result), by which TaskUpdate names the task. */
  id?: string;
  /** The TaskCreate call whose result (which holds the task's id) has not been seen yet. */
  call?: string;
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
  /**
   * Paths, sorted, unique, changed in the lines this read added: Edit/MultiEdit/Write/NotebookEdit calls whose result
   * was not an error, sub-agents included. A relative path is resolved against its line's cwd (the shell's folder,
   * after any `cd`); only a line without a cwd leaves it relative.
   */
  changedFiles: string[];
  /** Shell commands (the session's own and its sub-agents') that finished in the lines this read added. */
  shellRuns: ShellRun[];
  /** What the read left out and why, one line each for the log (lines over the size cap, files that are not files). */
  notes: string[];
  /** ISO, the earliest main-file line among the lines this read added; undefined when it added none. */
  firstNewTimestamp?: string;
}

export function emptyScan(): TranscriptScan {
  return { offset: 0, subagents: {}, foreignAgentFiles: [], facts: { pendingEdits: {} } };
}
