import { isAbsolute, resolve } from 'node:path';
import { MAX_SESSION_FILES, type ShellRun, type TranscriptFacts } from '../client.js';
import { isRecord } from '../../json.js';
import { Timeline } from '../timeline.js';
import { parseJsonBytes, QUOTE, scanEnvelope, tailTimestamp, type Envelope } from './scan.js';

/**
 * The pure fold of a Claude Code transcript's lines into the facts a session record needs. The format is internal
 * to Claude Code and changes between releases, so everything is read defensively: unknown line types and fields
 * are ignored, lines that do not parse are skipped. Only a user/assistant `message` that can matter is decoded and
 * JSON.parse'd, never a `toolUseResult` or an attachment.
 */

// ---------------------------------------------------------------------------------------------------------------
// Line reducer

/**
 * The tools whose calls tell what a session changed, by name, across Claude Code's releases (field guide §4.6; the
 * newest CLI seen, 2.1.332, confirms): a file tool names its file, a shell call may change any file (git tells which).
 * Sub-agents (`Task` until 2.1.62, `Agent` from 2.1.63) need no entry: their own calls are read from their lines.
 */
const TOOLS: Record<string, { kind: 'file'; pathKey: string } | { kind: 'shell' }> = {
  Write: { kind: 'file', pathKey: 'file_path' },
  Edit: { kind: 'file', pathKey: 'file_path' },
  /** Up to 1.0.x only; gone since 2.0.0. */
  MultiEdit: { kind: 'file', pathKey: 'file_path' },
  NotebookEdit: { kind: 'file', pathKey: 'notebook_path' },
  Bash: { kind: 'shell' },
};

const NOT_A_PROMPT = ['<command-', '<local-command-', '<bash-', 'Caveat: The messages below were generated', '[Request interrupted'];

const TOOL_USE = Buffer.from('"tool_use"');
const TOOL_RESULT = Buffer.from('"tool_result"');
const TOOL_USE_ID = Buffer.from('"tool_use_id":"');
const TEXT_BLOCK = Buffer.from('"text"');
/** `Edit"` ends Edit, MultiEdit and NotebookEdit. */
const EDIT_NAME = Buffer.from('Edit"');
const WRITE_NAME = Buffer.from('"Write"');
const SHELL_NAME = Buffer.from('"Bash"');

/** Facts being folded, line by line. */
export class Fold {
  private readonly timeline: Timeline;
  private firstPrompt?: string;
  private runPrompt?: string;
  private lastAssistantText?: string;
  private cwd?: string;
  private gitBranch?: string;
  private readonly changed: Set<string>;
  private readonly pending: Map<string, string>;
  /** tool_use_id -> start (ms) of shell calls whose result has not been seen yet. */
  private readonly pendingShell: Map<string, number>;
  /** Shell calls (main thread and sub-agents) whose results are among the lines added to this fold. */
  readonly shellRuns: ShellRun[] = [];
  /** This fold's edits took the session to MAX_SESSION_FILES changed files, or edits were left out past them. */
  filesCapped = false;

  constructor(facts: TranscriptFacts) {
    this.timeline = new Timeline(facts);
    this.firstPrompt = facts.firstPrompt;
    this.runPrompt = facts.runPrompt;
    this.lastAssistantText = facts.lastAssistantText;
    this.cwd = facts.cwd;
    this.gitBranch = facts.gitBranch;
    this.changed = new Set(facts.changedFiles);
    this.pending = new Map(Object.entries(facts.pendingEdits));
    this.pendingShell = new Map(Object.entries(facts.pendingShell ?? {}));
  }

  /** Earliest main-file line time among the lines added to this fold, not the facts it started from. */
  get firstNewTimestamp(): string | undefined {
    return this.timeline.firstNewTimestamp;
  }

  facts(): TranscriptFacts {
    const facts: TranscriptFacts = { changedFiles: [...this.changed].sort(), pendingEdits: Object.fromEntries(this.pending) };
    if (this.pendingShell.size) facts.pendingShell = Object.fromEntries(this.pendingShell);
    Object.assign(facts, this.timeline.facts());
    if (this.firstPrompt !== undefined) facts.firstPrompt = this.firstPrompt;
    if (this.runPrompt !== undefined) facts.runPrompt = this.runPrompt;
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
      this.timeline.note(env.timestamp ?? (env.complete ? undefined : tailTimestamp(line)), true);
      if (env.cwd) this.cwd = env.cwd;
      if (env.gitBranch) this.gitBranch = env.gitBranch;
    }
    if (env.message === undefined) return;
    const mainThread = !inSubagentFile && !env.isSidechain;
    const time = env.timestamp === undefined ? NaN : Date.parse(env.timestamp);
    if (env.type === 'assistant') this.assistantMessage(env.message, env.cwd, time, mainThread && !env.isApiErrorMessage);
    else if (env.type === 'user') this.userMessage(env, env.message, time, mainThread);
  }

  /** `cwd` is the line's own: a relative path is the shell's, wherever it had `cd`ed to. */
  private assistantMessage(message: Buffer, cwd: string | undefined, time: number, wantsText: boolean): void {
    const mayEdit = this.changed.size < MAX_SESSION_FILES && (message.includes(EDIT_NAME) || message.includes(WRITE_NAME));
    const mayAct = message.includes(TOOL_USE) && (mayEdit || message.includes(SHELL_NAME));
    if (!mayAct && !(wantsText && message.includes(TEXT_BLOCK))) return;
    for (const block of contentBlocks(parseJsonBytes(message))) {
      if (block.type === 'tool_use') {
        const tool = typeof block.name === 'string' ? TOOLS[block.name] : undefined;
        if (typeof block.id !== 'string' || tool === undefined) continue;
        if (tool.kind === 'shell') {
          if (!Number.isNaN(time)) this.pendingShell.set(block.id, time);
          continue;
        }
        const path = isRecord(block.input) ? block.input[tool.pathKey] : undefined;
        if (typeof path !== 'string' || path === '') continue;
        if (this.pending.size < MAX_SESSION_FILES) this.pending.set(block.id, cwd !== undefined && !isAbsolute(path) ? resolve(cwd, path) : path);
        else this.filesCapped = true;
      } else if (wantsText && block.type === 'text' && typeof block.text === 'string' && block.text.trim() !== '') {
        this.lastAssistantText = block.text;
      }
    }
  }

  private userMessage(env: Envelope, message: Buffer, time: number, mainThread: boolean): void {
    if (message.includes(TOOL_RESULT)) {
      if (this.mentionsPending(message)) this.settle(parseJsonBytes(message), time);
      return;
    }
    const wanted = this.firstPrompt === undefined || this.timeline.runStarted;
    if (!mainThread || !wanted || env.isMeta || env.isCompactSummary) return;
    const text = promptText(parseJsonBytes(message));
    if (text === undefined || NOT_A_PROMPT.some((prefix) => text.startsWith(prefix))) return;
    if (this.firstPrompt === undefined) this.firstPrompt = text;
    else this.runPrompt = text;
    this.timeline.runStarted = false;
  }

  /** Whether any `"tool_use_id":"…"` in the message is a pending call; cheap, so other tools' results are never parsed. */
  private mentionsPending(message: Buffer): boolean {
    if (this.pending.size === 0 && this.pendingShell.size === 0) return false;
    for (let at = message.indexOf(TOOL_USE_ID); at !== -1; at = message.indexOf(TOOL_USE_ID, at + 1)) {
      const idStart = at + TOOL_USE_ID.length;
      const idEnd = message.indexOf(QUOTE, idStart);
      const id = idEnd === -1 ? undefined : message.toString('utf8', idStart, idEnd);
      if (id !== undefined && (this.pending.has(id) || this.pendingShell.has(id))) return true;
    }
    return false;
  }

  private settle(message: unknown, time: number): void {
    for (const block of contentBlocks(message)) {
      if (block.type !== 'tool_result' || typeof block.tool_use_id !== 'string') continue;
      const shellStart = this.pendingShell.get(block.tool_use_id);
      if (shellStart !== undefined) {
        this.pendingShell.delete(block.tool_use_id);
        // A failed command may still have changed files: its run counts either way.
        this.shellRuns.push({ start: shellStart, end: Number.isNaN(time) ? shellStart : Math.max(shellStart, time) });
        continue;
      }
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
}

type Block = Record<string, unknown>;

function contentBlocks(message: unknown): Block[] {
  if (!isRecord(message) || !Array.isArray(message.content)) return [];
  return message.content.filter(isRecord);
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

