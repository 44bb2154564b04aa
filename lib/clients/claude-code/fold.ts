import { isAbsolute, resolve } from 'node:path';
import { KEPT_TEXT_CHARS, type ShellRun, type TranscriptFacts } from '../client.js';
import { isRecord } from '../../json.js';
import { parseJsonBytes, QUOTE, scanEnvelope, tailTimestamp, type Envelope } from './scan.js';
import { compactSummary, planTitle, sessionTitle, TaskList } from './tasks.js';

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
 * And the tools whose calls tell what the main thread set out to do (its task list, its plan): a sub-agent's own
 * task list is its business, not the session's.
 */
const TOOLS: Record<string, { kind: 'file'; pathKey: string } | { kind: 'shell' | TaskTool }> = {
  Write: { kind: 'file', pathKey: 'file_path' },
  Edit: { kind: 'file', pathKey: 'file_path' },
  /** Up to 1.0.x only; gone since 2.0.0. */
  MultiEdit: { kind: 'file', pathKey: 'file_path' },
  NotebookEdit: { kind: 'file', pathKey: 'notebook_path' },
  Bash: { kind: 'shell' },
  /** Up to 2.1.x; the task list whole, on every change. */
  TodoWrite: { kind: 'todos' },
  /** 2.1.x: one task each, its id in the result. */
  TaskCreate: { kind: 'taskCreate' },
  TaskUpdate: { kind: 'taskUpdate' },
  ExitPlanMode: { kind: 'plan' },
};
type TaskTool = 'todos' | 'taskCreate' | 'taskUpdate' | 'plan';
/** The tool names above whose calls matter in the main thread only, as they appear in a message's bytes. */
const TASK_TOOL_NAMES = ['"TodoWrite"', '"TaskCreate"', '"TaskUpdate"', '"ExitPlanMode"'].map((name) => Buffer.from(name));
/** Line types that carry Claude Code's own title of the session (`summary` up to 2.1.x, `ai-title`, `custom-title` by /rename). */
const TITLE_TYPES = new Set(['summary', 'ai-title', 'custom-title']);

const NOT_A_PROMPT = ['<command-', '<local-command-', '<bash-', 'Caveat: The messages below were generated', '[Request interrupted'];

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

const TOOL_USE = Buffer.from('"tool_use"');
const TOOL_RESULT = Buffer.from('"tool_result"');
const TOOL_USE_ID = Buffer.from('"tool_use_id":"');
const TEXT_BLOCK = Buffer.from('"text"');
/** `Edit"` ends Edit, MultiEdit and NotebookEdit. */
const EDIT_NAME = Buffer.from('Edit"');
const WRITE_NAME = Buffer.from('"Write"');
const SHELL_NAME = Buffer.from('"Bash"');

/**
 * A pause between two lines longer than this is idle time, not work: the usual cutoff for an inactive session (web
 * analytics end a visit after 30 idle minutes). Claude Code writes lines as it works (messages, tool calls and
 * results, progress), so only a tool call that runs longer than this without a line (a very long build) is cut.
 */
const IDLE_GAP_MS = 30 * 60_000;

/** Facts being folded, line by line. */
export class Fold {
  private firstTimestamp?: string;
  private firstTime = Infinity;
  private lastTimestamp?: string;
  private lastTime = -Infinity;
  private firstPrompt?: string;
  private runPrompt?: string;
  /** A new run began (the first line after an idle gap): its first prompt is the run's. */
  private runStarted = false;
  private activeMs = 0;
  private lastAssistantText?: string;
  private cwd?: string;
  private gitBranch?: string;
  private readonly taskList: TaskList;
  private planTitle?: string;
  private sessionTitle?: string;
  private compactSummary?: string;
  /** Changed files earlier reads found (see TranscriptFacts.changedFileCount). */
  private readonly heldBefore: number;
  /** Changed files found by this fold's lines. */
  private readonly changed = new Set<string>();
  private readonly pending: Map<string, string>;
  /** tool_use_id -> start (ms) of shell calls whose result has not been seen yet. */
  private readonly pendingShell: Map<string, number>;
  /** Shell calls (main thread and sub-agents) whose results are among the lines added to this fold. */
  readonly shellRuns: ShellRun[] = [];
  /** Earliest main-file line time among the lines added to this fold, not the facts it started from. */
  firstNewTimestamp?: string;
  /** This fold's edits took the session to MAX_SESSION_FILES changed files, or edits were left out past them. */
  filesCapped = false;
  private firstNewTime = Infinity;

  constructor(facts: TranscriptFacts) {
    this.noteTimestamp(facts.firstTimestamp, false);
    this.noteTimestamp(facts.lastTimestamp, false);
    this.firstPrompt = facts.firstPrompt;
    this.runPrompt = facts.runPrompt;
    this.activeMs = facts.activeMs ?? 0;
    this.lastAssistantText = facts.lastAssistantText;
    this.cwd = facts.cwd;
    this.gitBranch = facts.gitBranch;
    this.taskList = new TaskList(facts.tasks, facts.completedTasks);
    this.planTitle = facts.planTitle;
    this.sessionTitle = facts.sessionTitle;
    this.compactSummary = facts.compactSummary;
    this.heldBefore = facts.changedFileCount ?? 0;
    this.pending = new Map(Object.entries(facts.pendingEdits));
    this.pendingShell = new Map(Object.entries(facts.pendingShell ?? {}));
  }

  facts(): TranscriptFacts {
    const facts: TranscriptFacts = { pendingEdits: Object.fromEntries(this.pending) };
    if (this.held() > 0) facts.changedFileCount = this.held();
    if (this.pendingShell.size) facts.pendingShell = Object.fromEntries(this.pendingShell);
    if (this.firstTimestamp !== undefined) facts.firstTimestamp = this.firstTimestamp;
    if (this.lastTimestamp !== undefined) facts.lastTimestamp = this.lastTimestamp;
    if (this.firstPrompt !== undefined) facts.firstPrompt = this.firstPrompt;
    if (this.runPrompt !== undefined) facts.runPrompt = this.runPrompt;
    if (this.activeMs > 0) facts.activeMs = this.activeMs;
    if (this.lastAssistantText !== undefined) facts.lastAssistantText = this.lastAssistantText;
    if (this.cwd !== undefined) facts.cwd = this.cwd;
    if (this.gitBranch !== undefined) facts.gitBranch = this.gitBranch;
    Object.assign(facts, this.taskList.facts());
    if (this.planTitle !== undefined) facts.planTitle = this.planTitle;
    if (this.sessionTitle !== undefined) facts.sessionTitle = this.sessionTitle;
    if (this.compactSummary !== undefined) facts.compactSummary = this.compactSummary;
    return facts;
  }

  /** The files this fold's lines changed, sorted. */
  changedFiles(): string[] {
    return [...this.changed].sort();
  }

  private held(): number {
    return this.heldBefore + this.changed.size;
  }

  /** This fold took in MAX_READ_FILES changed files: its read stops here. */
  get full(): boolean {
    return this.changed.size >= MAX_READ_FILES;
  }

  /** Folds one line; `inSubagentFile` lines only count for their file edits. Returns whether the read should stop (`full`). */
  addLine(line: Buffer, inSubagentFile: boolean): boolean {
    this.foldLine(line, inSubagentFile);
    return this.full;
  }

  private foldLine(line: Buffer, inSubagentFile: boolean): void {
    const env = scanEnvelope(line);
    if (env === undefined) return;
    if (!inSubagentFile) {
      this.noteTimestamp(env.timestamp ?? (env.complete ? undefined : tailTimestamp(line)), true);
      if (env.cwd) this.cwd = env.cwd;
      if (env.gitBranch) this.gitBranch = env.gitBranch;
      if (env.title !== undefined && TITLE_TYPES.has(env.type ?? '')) this.sessionTitle = sessionTitle(env.title) ?? this.sessionTitle;
    }
    if (env.message === undefined) return;
    const mainThread = !inSubagentFile && !env.isSidechain;
    const time = env.timestamp === undefined ? NaN : Date.parse(env.timestamp);
    if (env.type === 'assistant') this.assistantMessage(env.message, env.cwd, time, mainThread, mainThread && !env.isApiErrorMessage);
    else if (env.type === 'user') this.userMessage(env, env.message, time, mainThread);
  }

  /** `cwd` is the line's own: a relative path is the shell's, wherever it had `cd`ed to. */
  private assistantMessage(message: Buffer, cwd: string | undefined, time: number, mainThread: boolean, wantsText: boolean): void {
    const mayEdit = this.held() < MAX_SESSION_FILES && (message.includes(EDIT_NAME) || message.includes(WRITE_NAME));
    const mayTrack = () => mainThread && TASK_TOOL_NAMES.some((name) => message.includes(name));
    const mayAct = message.includes(TOOL_USE) && (mayEdit || message.includes(SHELL_NAME) || mayTrack());
    if (!mayAct && !(wantsText && message.includes(TEXT_BLOCK))) return;
    for (const block of contentBlocks(parseJsonBytes(message))) {
      if (block.type === 'tool_use') {
        const tool = typeof block.name === 'string' ? TOOLS[block.name] : undefined;
        if (typeof block.id !== 'string' || tool === undefined) continue;
        if (tool.kind === 'shell') {
          if (!Number.isNaN(time)) this.pendingShell.set(block.id, time);
          continue;
        }
        if (tool.kind !== 'file') {
          if (mainThread) this.taskCall(tool.kind, block.id, block.input);
          continue;
        }
        const path = isRecord(block.input) ? block.input[tool.pathKey] : undefined;
        if (typeof path !== 'string' || path === '') continue;
        if (this.pending.size < MAX_SESSION_FILES) this.pending.set(block.id, cwd !== undefined && !isAbsolute(path) ? resolve(cwd, path) : path);
        else this.filesCapped = true;
      } else if (wantsText && block.type === 'text' && typeof block.text === 'string' && block.text.trim() !== '') {
        this.lastAssistantText = block.text.slice(0, KEPT_TEXT_CHARS);
      }
    }
  }

  /** A main-thread call that changes the task list or presents a plan. */
  private taskCall(kind: TaskTool, id: string, input: unknown): void {
    if (kind === 'todos') this.taskList.todoWrite(input);
    else if (kind === 'taskCreate') this.taskList.taskCreate(id, input);
    else if (kind === 'taskUpdate') this.taskList.taskUpdate(input);
    else this.planTitle = planTitle(isRecord(input) ? input.plan : undefined) ?? this.planTitle;
  }

  private userMessage(env: Envelope, message: Buffer, time: number, mainThread: boolean): void {
    if (message.includes(TOOL_RESULT)) {
      if (this.mentionsPending(message)) this.settle(parseJsonBytes(message), time);
      return;
    }
    if (mainThread && env.isCompactSummary) {
      const text = promptText(parseJsonBytes(message));
      this.compactSummary = (text && compactSummary(text)) ?? this.compactSummary;
      return;
    }
    const wanted = this.firstPrompt === undefined || this.runStarted;
    if (!mainThread || !wanted || env.isMeta || env.isCompactSummary) return;
    const text = promptText(parseJsonBytes(message));
    if (text === undefined || NOT_A_PROMPT.some((prefix) => text.startsWith(prefix))) return;
    if (this.firstPrompt === undefined) this.firstPrompt = text.slice(0, KEPT_TEXT_CHARS);
    else this.runPrompt = text.slice(0, KEPT_TEXT_CHARS);
    this.runStarted = false;
  }

  /** Whether any `"tool_use_id":"…"` in the message is a pending call; cheap, so other tools' results are never parsed. */
  private mentionsPending(message: Buffer): boolean {
    if (this.pending.size === 0 && this.pendingShell.size === 0 && !this.taskList.awaitsAny()) return false;
    for (let at = message.indexOf(TOOL_USE_ID); at !== -1; at = message.indexOf(TOOL_USE_ID, at + 1)) {
      const idStart = at + TOOL_USE_ID.length;
      const idEnd = message.indexOf(QUOTE, idStart);
      const id = idEnd === -1 ? undefined : message.toString('utf8', idStart, idEnd);
      if (id !== undefined && (this.pending.has(id) || this.pendingShell.has(id) || this.taskList.awaits(id))) return true;
    }
    return false;
  }

  private settle(message: unknown, time: number): void {
    for (const block of contentBlocks(message)) {
      if (block.type !== 'tool_result' || typeof block.tool_use_id !== 'string') continue;
      if (this.taskList.awaits(block.tool_use_id)) {
        this.taskList.taskCreated(block.tool_use_id, block.is_error === true, resultText(block.content));
        continue;
      }
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
    if (this.held() < MAX_SESSION_FILES) this.changed.add(path);
    if (this.held() >= MAX_SESSION_FILES) this.filesCapped = true;
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
      // Active time: the gaps between lines, but an idle one (a break, a resume days later) counts for nothing
      // and starts a new run.
      if (isNew && this.lastTime !== -Infinity) {
        if (time - this.lastTime <= IDLE_GAP_MS) this.activeMs += time - this.lastTime;
        else this.runStarted = true;
      }
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


/** A tool_result's content as text: a string, or its text blocks joined. */
function resultText(content: unknown): string {
  if (typeof content === 'string') return content;
  return promptText({ content }) ?? '';
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

