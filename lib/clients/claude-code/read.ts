import { open, readdir, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { isRecord } from '../../is-record.js';

/**
 * Reads a Claude Code transcript (JSONL) from a byte offset and folds it into the facts a session record needs.
 * The format is internal to Claude Code and changes between releases, so everything is parsed defensively:
 * unknown line types and fields are ignored, lines that do not parse are skipped.
 *
 * Speed: a Stop hook runs this after every turn, and 2.1.x transcripts carry multi-MB lines (prompt snapshots,
 * api-request, progress). Each line is first walked at the byte level for its top-level scalars (type, cwd,
 * timestamp, ...) and the byte range of its `message`; only a user/assistant `message` that can matter is
 * decoded and JSON.parse'd, never a `toolUseResult` or an attachment.
 */

export interface TranscriptFacts {
  /** ISO, earliest line timestamp seen (main file). */
  firstTimestamp?: string;
  /** ISO, latest line timestamp seen (main file). */
  lastTimestamp?: string;
  /** First prompt the user typed in the main thread (no meta, command, caveat, interrupt or compact-summary text). */
  firstPrompt?: string;
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
  /** tool_use_id -> path of file-tool calls whose result has not been seen yet (carried across increments). */
  pendingEdits: Record<string, string>;
}

export interface TranscriptScan {
  /** Bytes of the main file consumed: always the end of the last complete line. */
  offset: number;
  /** Absolute path of each sub-agent file of this session -> its consumed offset. */
  subagents: Record<string, number>;
  /** Names of `agent-*.jsonl` files beside the transcript that belong to other sessions, so they are not opened again. */
  foreignAgentFiles?: string[];
  facts: TranscriptFacts;
}

export function emptyScan(): TranscriptScan {
  return { offset: 0, subagents: {}, foreignAgentFiles: [], facts: { changedFiles: [], pendingEdits: {} } };
}

export interface TranscriptRead {
  scan: TranscriptScan;
  /** ISO, the earliest main-file line among the lines this read added; undefined when it added none. */
  firstNewTimestamp?: string;
}

/**
 * Reads only the bytes appended since `previous` (main file and sub-agent files) and folds them into its facts,
 * telling when the lines it added began: the start of what happened since `previous`. Pure apart from reading
 * files; never holds a whole file in memory. Throws the fs error (e.g. ENOENT) when the main transcript cannot be
 * read. A main file shorter than the saved offset was rewritten: it is read again from 0.
 */
export async function readTranscript(transcriptPath: string, previous?: TranscriptScan): Promise<TranscriptRead> {
  const { size } = await stat(transcriptPath);
  const base = previous === undefined || size < previous.offset ? emptyScan() : previous;
  const fold = new Fold(base.facts);
  const offset =
    size === base.offset ? base.offset : await readLines(transcriptPath, base.offset, (line) => fold.addLine(line, false));

  const sessionId = basename(transcriptPath, '.jsonl');
  const found = await findSubagentFiles(transcriptPath, sessionId, base);
  const subagents: Record<string, number> = {};
  for (const file of found.files) {
    subagents[file] = await readSubagent(file, base.subagents[file] ?? 0, fold);
  }
  const scan = { offset, subagents, foreignAgentFiles: found.foreign, facts: fold.facts() };
  return fold.firstNewTimestamp === undefined ? { scan } : { scan, firstNewTimestamp: fold.firstNewTimestamp };
}

/** The cwd of the transcript's first line that has one: the folder the session was started in. */
export function transcriptCwd(transcriptPath: string): Promise<string | undefined> {
  return firstEnvelopeValue(transcriptPath, (env) => env.cwd);
}

/** Reads what was appended to one sub-agent file; a vanished file keeps its offset, a shorter one is read from 0. */
async function readSubagent(file: string, from: number, fold: Fold): Promise<number> {
  let size: number;
  try {
    size = (await stat(file)).size;
  } catch {
    return from;
  }
  const start = size < from ? 0 : from;
  if (size === start) return start;
  return readLines(file, start, (line) => fold.addLine(line, true));
}

// ---------------------------------------------------------------------------------------------------------------
// Sub-agent files

const AGENT_FILE = /^agent-.*\.jsonl$/;

/**
 * Sub-agent transcripts of this session: `<dir>/<session>/subagents/**\/agent-*.jsonl` (2.1.2 on) and
 * `<dir>/agent-*.jsonl` beside the transcript (2.0.28-2.1.1) whose lines carry this session's id. Inline
 * `isSidechain` lines (up to 2.0.27) need nothing here.
 */
async function findSubagentFiles(
  transcriptPath: string,
  sessionId: string,
  previous: TranscriptScan,
): Promise<{ files: string[]; foreign: string[] }> {
  const dir = dirname(transcriptPath);
  const files = await listAgentFiles(join(dir, sessionId, 'subagents'));
  const foreign = new Set(previous.foreignAgentFiles ?? []);
  for (const name of await readdirNames(dir)) {
    if (!AGENT_FILE.test(name) || foreign.has(name)) continue;
    const file = join(dir, name);
    if (file === transcriptPath) continue;
    if (file in previous.subagents) {
      files.push(file);
      continue;
    }
    const owner = await firstEnvelopeValue(file, (env) => env.sessionId);
    if (owner === sessionId) files.push(file);
    else if (owner !== undefined) foreign.add(name);
    // undefined: no complete line yet; decided on a later turn
  }
  return { files: files.sort(), foreign: [...foreign].sort() };
}

async function listAgentFiles(dir: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  const files: string[] = [];
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await listAgentFiles(path)));
    else if (entry.isFile() && AGENT_FILE.test(entry.name)) files.push(path);
  }
  return files;
}

async function readdirNames(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch {
    return [];
  }
}

/** A value from the first complete line that has one, without reading further; undefined when the file cannot be read. */
async function firstEnvelopeValue(file: string, pick: (env: Envelope) => string | undefined): Promise<string | undefined> {
  let value: string | undefined;
  try {
    await readLines(file, 0, (line) => {
      const env = scanEnvelope(line);
      value = env && pick(env);
      return value !== undefined;
    });
  } catch {
    return undefined;
  }
  return value;
}

// ---------------------------------------------------------------------------------------------------------------
// Line reader

const CHUNK_SIZE = 1 << 20;
const NEWLINE = 0x0a;

/**
 * Calls `onLine` with each complete line (a view without its '\n') from byte `from` on, reading 1 MiB at a time; a
 * line that spans chunks is joined first. Stops early when `onLine` returns true. Returns the offset just
 * past the last complete line handled: a partial last line is left for the next call.
 */
async function readLines(
  path: string,
  from: number,
  onLine: (line: Buffer) => boolean | void,
): Promise<number> {
  const handle = await open(path, 'r');
  try {
    const chunk = Buffer.allocUnsafe(CHUNK_SIZE);
    let position = from;
    let consumed = from;
    let carry: Buffer[] = [];
    let carryLength = 0;
    for (;;) {
      const { bytesRead } = await handle.read(chunk, 0, CHUNK_SIZE, position);
      if (bytesRead === 0) return consumed;
      const view = chunk.subarray(0, bytesRead);
      let start = 0;
      for (let nl = view.indexOf(NEWLINE); nl !== -1; nl = view.indexOf(NEWLINE, start)) {
        let stop;
        if (carryLength > 0) {
          carry.push(view.subarray(start, nl));
          const line = Buffer.concat(carry, carryLength + nl - start);
          carry = [];
          carryLength = 0;
          stop = onLine(line);
        } else {
          stop = onLine(view.subarray(start, nl));
        }
        start = nl + 1;
        consumed = position + start;
        if (stop === true) return consumed;
      }
      if (start < bytesRead) {
        carry.push(Buffer.from(view.subarray(start)));
        carryLength += bytesRead - start;
      }
      position += bytesRead;
    }
  } finally {
    await handle.close();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Line reducer

const FILE_TOOL_PATH_KEY: Record<string, string> = {
  Edit: 'file_path',
  MultiEdit: 'file_path',
  Write: 'file_path',
  NotebookEdit: 'notebook_path',
};

const NOT_A_PROMPT = ['<command-', '<local-command-', '<bash-', 'Caveat: The messages below were generated', '[Request interrupted'];

const TOOL_USE = Buffer.from('"tool_use"');
const TOOL_RESULT = Buffer.from('"tool_result"');
const TOOL_USE_ID = Buffer.from('"tool_use_id":"');
const TEXT_BLOCK = Buffer.from('"text"');
/** `Edit"` ends Edit, MultiEdit and NotebookEdit. */
const EDIT_NAME = Buffer.from('Edit"');
const WRITE_NAME = Buffer.from('"Write"');

/** Facts being folded, line by line. */
class Fold {
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
    const mayEdit = message.includes(TOOL_USE) && (message.includes(EDIT_NAME) || message.includes(WRITE_NAME));
    if (!mayEdit && !(wantsText && message.includes(TEXT_BLOCK))) return;
    for (const block of contentBlocks(parseJson(message))) {
      if (block.type === 'tool_use') {
        const path = editedPath(block);
        if (path !== undefined && typeof block.id === 'string') {
          this.pending.set(block.id, cwd !== undefined && !isAbsolute(path) ? resolve(cwd, path) : path);
        }
      } else if (wantsText && block.type === 'text' && typeof block.text === 'string' && block.text.trim() !== '') {
        this.lastAssistantText = block.text;
      }
    }
  }

  private userMessage(env: Envelope, message: Buffer, mainThread: boolean): void {
    if (message.includes(TOOL_RESULT)) {
      if (this.mentionsPending(message)) this.settle(parseJson(message));
      return;
    }
    if (!mainThread || this.firstPrompt !== undefined || env.isMeta || env.isCompactSummary) return;
    const text = promptText(parseJson(message));
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
      if (block.is_error !== true) this.changed.add(path);
    }
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

function parseJson(bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Envelope scanner: top-level keys of one JSON line, at the byte level

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COLON = 0x3a;
const COMMA = 0x2c;

/** Line types read to their end: those whose `message` can matter, and the small `system` lines. */
const FULL_SCAN_TYPES = new Set(['user', 'assistant', 'system']);
/** Top-level keys that hold the bulk of lines that never matter (attachment, progress, file-history-snapshot, api-request*). */
const BULK_KEYS = new Set(['attachment', 'data', 'snapshot', 'params', 'shape']);

interface Envelope {
  type?: string;
  sessionId?: string;
  timestamp?: string;
  cwd?: string;
  gitBranch?: string;
  isSidechain: boolean;
  isMeta: boolean;
  isCompactSummary: boolean;
  isApiErrorMessage: boolean;
  /** The top-level `message` value, as a view of the line's bytes. */
  message?: Buffer;
  /** False when the scan stopped at a bulky value of a line that cannot matter. */
  complete: boolean;
}

/**
 * Walks the top-level keys of the JSON object on one line: keeps the scalars we use and the range of
 * `message`, skips other values. Stops early at the first object/array value of a line that cannot matter.
 * Undefined when the line is not a JSON object (garbage, truncated).
 */
function scanEnvelope(buf: Buffer): Envelope | undefined {
  const end = buf.length;
  let i = skipSpace(buf, 0, end);
  if (buf[i] !== OPEN_BRACE) return undefined;
  const env: Envelope = {
    isSidechain: false,
    isMeta: false,
    isCompactSummary: false,
    isApiErrorMessage: false,
    complete: false,
  };
  i = skipSpace(buf, i + 1, end);
  if (buf[i] === CLOSE_BRACE) return { ...env, complete: true };
  for (;;) {
    if (buf[i] !== QUOTE) return undefined;
    const keyEnd = stringEnd(buf, i, end);
    if (keyEnd === -1) return undefined;
    const key = buf.toString('latin1', i + 1, keyEnd);
    i = skipSpace(buf, keyEnd + 1, end);
    if (buf[i] !== COLON) return undefined;
    const valueStart = skipSpace(buf, i + 1, end);
    const first = buf[valueStart];
    const nested = first === OPEN_BRACE || first === OPEN_BRACKET;
    if (nested && key !== 'message' && (BULK_KEYS.has(key) || (env.type !== undefined && !FULL_SCAN_TYPES.has(env.type)))) {
      return env;
    }
    const valueEnd = skipValue(buf, valueStart, end);
    if (valueEnd === -1) return undefined;
    if (key === 'message' && nested) {
      env.message = buf.subarray(valueStart, valueEnd);
    } else if (!nested) {
      noteScalar(env, key, buf, valueStart, valueEnd);
    }
    i = skipSpace(buf, valueEnd, end);
    if (buf[i] === COMMA) i = skipSpace(buf, i + 1, end);
    else if (buf[i] === CLOSE_BRACE) return { ...env, complete: true };
    else return undefined;
  }
}

function noteScalar(env: Envelope, key: string, buf: Buffer, start: number, end: number): void {
  switch (key) {
    case 'type':
    case 'sessionId':
    case 'timestamp':
    case 'cwd':
    case 'gitBranch': {
      if (buf[start] !== QUOTE) return;
      const value = decodeString(buf.subarray(start, end));
      if (value !== undefined) env[key] = value;
      return;
    }
    case 'isSidechain':
    case 'isMeta':
    case 'isCompactSummary':
    case 'isApiErrorMessage':
      env[key] = buf[start] === 0x74; // 't' of true
  }
}

/** A JSON string literal (quotes included) as a string. */
function decodeString(literal: Buffer): string | undefined {
  if (!literal.includes(BACKSLASH)) return literal.toString('utf8', 1, literal.length - 1);
  const value = parseJson(literal);
  return typeof value === 'string' ? value : undefined;
}

const TIMESTAMP_KEY = Buffer.from('"timestamp":"');
const TAIL_BYTES = 4096;

/** A line's top-level `timestamp` usually comes last: look for it in the line's tail only. */
function tailTimestamp(line: Buffer): string | undefined {
  const tail = line.subarray(Math.max(0, line.length - TAIL_BYTES));
  const at = tail.lastIndexOf(TIMESTAMP_KEY);
  if (at === -1) return undefined;
  const valueStart = at + TIMESTAMP_KEY.length;
  const valueEnd = tail.indexOf(QUOTE, valueStart);
  return valueEnd === -1 ? undefined : tail.toString('latin1', valueStart, valueEnd);
}

function skipSpace(buf: Buffer, i: number, end: number): number {
  while (i < end) {
    const b = buf[i]!;
    if (b !== 0x20 && b !== 0x09 && b !== 0x0d && b !== 0x0a) break;
    i++;
  }
  return i;
}

/** Index of the quote that closes the string opened at `open`; -1 when it does not close before `end`. */
function stringEnd(buf: Buffer, open: number, end: number): number {
  for (let from = open + 1; ; ) {
    const quote = buf.indexOf(QUOTE, from);
    if (quote === -1 || quote >= end) return -1;
    let backslashes = 0;
    while (buf[quote - 1 - backslashes] === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return quote;
    from = quote + 1;
  }
}

/** Index just past the JSON value that starts at `i`; -1 when it does not end before `end`. */
function skipValue(buf: Buffer, i: number, end: number): number {
  const first = buf[i];
  if (first === QUOTE) {
    const close = stringEnd(buf, i, end);
    return close === -1 ? -1 : close + 1;
  }
  if (first === OPEN_BRACE || first === OPEN_BRACKET) {
    let depth = 0;
    for (let j = i; j < end; j++) {
      const b = buf[j];
      if (b === QUOTE) {
        j = stringEnd(buf, j, end);
        if (j === -1) return -1;
      } else if (b === OPEN_BRACE || b === OPEN_BRACKET) {
        depth++;
      } else if ((b === CLOSE_BRACE || b === CLOSE_BRACKET) && --depth === 0) {
        return j + 1;
      }
    }
    return -1;
  }
  let j = i;
  while (j < end) {
    const b = buf[j]!;
    if (b === COMMA || b === CLOSE_BRACE || b === CLOSE_BRACKET || b <= 0x20) break;
    j++;
  }
  return j === i ? -1 : j;
}
