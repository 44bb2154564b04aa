import { isAbsolute, resolve } from 'node:path';
import type { TranscriptFacts } from '../client.js';
import { isRecord } from '../../json.js';
import { parseJsonBytes, QUOTE, scanEnvelope, tailTimestamp, type Envelope } from './scan.js';

/**
 * The pure fold of a Claude Code transcript's lines into the facts a session record needs. The format is internal
 * to Claude Code and changes between releases, so everything is read defensively: unknown line types and fields
 * are ignored, lines that do not parse are skipped. Only a user/assistant `message` that can matter is decoded and
 * JSON.parse'd, never a `toolUseResult` or an attachment.
 */

// ---------------------------------------------------------------------------------------------------------------
// Line reducer

const FILE_TOOL_PATH_KEY: Record<string, string> = {
  Edit: 'file_path',
  MultiEdit: 'file_path',
  Write: 'file_path',
  NotebookEdit: 'notebook_path',
};

const NOT_A_PROMPT = ['<command-', '<local-command-', '<bash-', 'Caveat: The messages below were generated', '[Request interrupted'];

/**
 * Paths a session's facts hold at most, both the files changed and the edits awaiting their result: twice the
 * 50,000 changed files a real session must keep whole, so a transcript that lists millions still folds, and its
 * state and entry are written, within a hook's memory (each file held costs about 0.7 KB across a capture). Once
 * the session holds this many, edits are no longer read: each would repeat a held file or be left out.
 */
export const MAX_SESSION_FILES = 100_000;

const TOOL_USE = Buffer.from('"tool_use"');
const TOOL_RESULT = Buffer.from('"tool_result"');
const TOOL_USE_ID = Buffer.from('"tool_use_id":"');
const TEXT_BLOCK = Buffer.from('"text"');
/** `Edit"` ends Edit, MultiEdit and NotebookEdit. */
const EDIT_NAME = Buffer.from('Edit"');
const WRITE_NAME = Buffer.from('"Write"');

/** Facts being folded, line by line. */
export class Fold {
  private firstTimestamp?: string;
  private firstTime = Infinity;
  private lastTimestamp?: string;
  private lastTime = -Infinity;
  private firstPrompt?: string;
  private lastAssistantText?: string;
  private cwd?: string;
  private gitBranch?: string;
  private readonly changed: Set<string>;
  private readonly pending: Map<string, string>;
  /** Earliest main-file line time among the lines added to this fold, not the facts it started from. */
  firstNewTimestamp?: string;
  /** This fold's edits took the session to MAX_SESSION_FILES changed files, or edits were left out past them. */
  filesCapped = false;
  private firstNewTime = Infinity;

  constructor(facts: TranscriptFacts) {
    this.noteTimestamp(facts.firstTimestamp, false);
    this.noteTimestamp(facts.lastTimestamp, false);
    this.firstPrompt = facts.firstPrompt;
    this.lastAssistantText = facts.lastAssistantText;
    this.cwd = facts.cwd;
    this.gitBranch = facts.gitBranch;
    this.changed = new Set(facts.changedFiles);
    this.pending = new Map(Object.entries(facts.pendingEdits));
  }

  facts(): TranscriptFacts {
    const facts: TranscriptFacts = { changedFiles: [...this.changed].sort(), pendingEdits: Object.fromEntries(this.pending) };
    if (this.firstTimestamp !== undefined) facts.firstTimestamp = this.firstTimestamp;
    if (this.lastTimestamp !== undefined) facts.lastTimestamp = this.lastTimestamp;
    if (this.firstPrompt !== undefined) facts.firstPrompt = this.firstPrompt;
    if (this.lastAssistantText !== undefined) facts.lastAssistantText = this.lastAssistantText;
    if (this.cwd !== undefined) facts.cwd = this.cwd;
    if (this.gitBranch !== undefined) facts.gitBranch = this.gitBranch;
    return facts;
  }

  /** Folds one line; `inSubagentFile` lines only count for their file edits. */
  addLine(line: Buffer, inSubagentFile: boolean): void {
    const env = scanEnvelope(line);
    if (env === undefined) return;
    if (!inSubagentFile) {
      this.noteTimestamp(env.timestamp ?? (env.complete ? undefined : tailTimestamp(line)), true);
      if (env.cwd) this.cwd = env.cwd;
      if (env.gitBranch) this.gitBranch = env.gitBranch;
    }
    if (env.message === undefined) return;
    const mainThread = !inSubagentFile && !env.isSidechain;
    if (env.type === 'assistant') this.assistantMessage(env.message, env.cwd, mainThread && !env.isApiErrorMessage);
    else if (env.type === 'user') this.userMessage(env, env.message, mainThread);
  }

  /** `cwd` is the line's own: a relative path is the shell's, wherever it had `cd`ed to. */
  private assistantMessage(message: Buffer, cwd: string | undefined, wantsText: boolean): void {
    const mayEdit =
      this.changed.size < MAX_SESSION_FILES && message.includes(TOOL_USE) && (message.includes(EDIT_NAME) || message.includes(WRITE_NAME));
    if (!mayEdit && !(wantsText && message.includes(TEXT_BLOCK))) return;
    for (const block of contentBlocks(parseJsonBytes(message))) {
      if (block.type === 'tool_use') {
        const path = editedPath(block);
        if (path === undefined || typeof block.id !== 'string') continue;
        if (this.pending.size < MAX_SESSION_FILES) this.pending.set(block.id, cwd !== undefined && !isAbsolute(path) ? resolve(cwd, path) : path);
        else this.filesCapped = true;
      } else if (wantsText && block.type === 'text' && typeof block.text === 'string' && block.text.trim() !== '') {
        this.lastAssistantText = block.text;
      }
    }
  }

  private userMessage(env: Envelope, message: Buffer, mainThread: boolean): void {
    if (message.includes(TOOL_RESULT)) {
      if (this.mentionsPending(message)) this.settle(parseJsonBytes(message));
      return;
    }
    if (!mainThread || this.firstPrompt !== undefined || env.isMeta || env.isCompactSummary) return;
    const text = promptText(parseJsonBytes(message));
    if (text !== undefined && !NOT_A_PROMPT.some((prefix) => text.startsWith(prefix))) this.firstPrompt = text;
  }

  /** Whether any `"tool_use_id":"…"` in the message is a pending edit; cheap, so other tools' results are never parsed. */
  private mentionsPending(message: Buffer): boolean {
    if (this.pending.size === 0) return false;
    for (let at = message.indexOf(TOOL_USE_ID); at !== -1; at = message.indexOf(TOOL_USE_ID, at + 1)) {
      const idStart = at + TOOL_USE_ID.length;
      const idEnd = message.indexOf(QUOTE, idStart);
      if (idEnd !== -1 && this.pending.has(message.toString('utf8', idStart, idEnd))) return true;
    }
    return false;
  }

  private settle(message: unknown): void {
    for (const block of contentBlocks(message)) {
      if (block.type !== 'tool_result' || typeof block.tool_use_id !== 'string') continue;
      const path = this.pending.get(block.tool_use_id);
      if (path === undefined) continue;
      this.pending.delete(block.tool_use_id);
      if (block.is_error !== true) this.holdChanged(path);
    }
  }

  /** Adds a changed file while the session holds fewer than MAX_SESSION_FILES; notes when it reaches them. */
  private holdChanged(path: string): void {
    if (this.changed.has(path)) return;
    if (this.changed.size < MAX_SESSION_FILES) this.changed.add(path);
    if (this.changed.size >= MAX_SESSION_FILES) this.filesCapped = true;
  }

  private noteTimestamp(timestamp: string | undefined, isNew: boolean): void {
    if (timestamp === undefined) return;
    const time = Date.parse(timestamp);
    if (Number.isNaN(time)) return;
    if (isNew && time < this.firstNewTime) {
      this.firstNewTime = time;
      this.firstNewTimestamp = timestamp;
    }
    if (time < this.firstTime) {
      this.firstTime = time;
      this.firstTimestamp = timestamp;
    }
    if (time > this.lastTime) {
      this.lastTime = time;
      this.lastTimestamp = timestamp;
    }
  }
}

type Block = Record<string, unknown>;

function contentBlocks(message: unknown): Block[] {
  if (!isRecord(message) || !Array.isArray(message.content)) return [];
  return message.content.filter(isRecord);
}

function editedPath(block: Block): string | undefined {
  const key = typeof block.name === 'string' ? FILE_TOOL_PATH_KEY[block.name] : undefined;
  if (key === undefined || !isRecord(block.input)) return undefined;
  const path = block.input[key];
  return typeof path === 'string' && path !== '' ? path : undefined;
}

/** The typed text of a user message (a string, or its text blocks), trimmed; undefined when there is none. */
function promptText(message: unknown): string | undefined {
  if (!isRecord(message)) return undefined;
  const { content } = message;
  const text =
    typeof content === 'string'
      ? content
      : contentBlocks(message)
          .flatMap((block) => (block.type === 'text' && typeof block.text === 'string' ? [block.text] : []))
          .join('\n');
  const trimmed = text.trim();
  return trimmed === '' ? undefined : trimmed;
}

