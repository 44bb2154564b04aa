import { isAbsolute, resolve } from 'node:path';
import { MAX_SESSION_FILES, type TranscriptFacts } from '../client.js';
import { SessionFold } from '../session-fold.js';
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
const TASK_TOOL_NAMES = ['"TodoWrite"', '"TaskCreate"', '"TaskUpdate"', '"ExitPlanMode"'].map((name) => Buffer.from(name));
const TITLE_TYPES = new Set(['summary', 'ai-title', 'custom-title']);

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
export class Fold extends SessionFold {
  /** tool_use_id -> path of file-tool calls whose result has not been seen yet. */
  private readonly pending: Map<string, string>;
  private readonly taskList: TaskList;
  private planTitle?: string;
  private sessionTitle?: string;
  private compactSummary?: string;

  constructor(facts: TranscriptFacts) {
    super(facts);
    this.pending = new Map(Object.entries(facts.pendingEdits));
    this.taskList = new TaskList(facts.tasks, facts.completedTasks);
    this.planTitle = facts.planTitle;
    this.sessionTitle = facts.sessionTitle;
    this.compactSummary = facts.compactSummary;
  }

  override facts(): TranscriptFacts {
    const facts = { ...super.facts(Object.fromEntries(this.pending)), ...this.taskList.facts() };
    if (this.planTitle !== undefined) facts.planTitle = this.planTitle;
    if (this.sessionTitle !== undefined) facts.sessionTitle = this.sessionTitle;
    if (this.compactSummary !== undefined) facts.compactSummary = this.compactSummary;
    return facts;
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
      this.timeline.note(env.timestamp ?? (env.complete ? undefined : tailTimestamp(line)), true);
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
        this.takeAnswer(block.text);
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
    if (!mainThread || !this.wantsPrompt() || env.isMeta || env.isCompactSummary) return;
    const text = promptText(parseJsonBytes(message));
    if (text === undefined || NOT_A_PROMPT.some((prefix) => text.startsWith(prefix))) return;
    this.takePrompt(text);
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
      if (this.endShell(block.tool_use_id, time)) continue;
      const path = this.pending.get(block.tool_use_id);
      if (path === undefined) continue;
      this.pending.delete(block.tool_use_id);
      if (block.is_error !== true) this.holdChanged(path);
    }
  }
}

type Block = Record<string, unknown>;

function contentBlocks(message: unknown): Block[] {
  if (!isRecord(message) || !Array.isArray(message.content)) return [];
  return message.content.filter(isRecord);
}


/** A tool result's text: a string, or its text blocks. */
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

