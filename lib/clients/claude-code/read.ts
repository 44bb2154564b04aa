import { constants, type Stats } from 'node:fs';
import { open, readdir, stat, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { emptyScan, type TranscriptRead, type TranscriptScan } from '../client.js';
import { Fold, MAX_SESSION_FILES } from './fold.js';
import { parseJsonBytes, scanEnvelope, type Envelope } from './scan.js';

/**
 * Reads a Claude Code transcript (JSONL) from a byte offset, with its sub-agents' files, and hands each complete
 * line to the fold (fold.ts). The I/O side: what a line means is fold.ts's, how a line is walked is scan.ts's.
 */

/**
 * Reads only the bytes appended since `previous` (main file and sub-agent files) and folds them into its facts,
 * telling when the lines it added began: the start of what happened since `previous`. Pure apart from reading
 * files; never holds a whole file, or a line over MAX_LINE_BYTES, in memory, and goes through at most
 * READ_BUDGET_BYTES: what is left is read next time, from the offsets returned. Throws the fs error (e.g. ENOENT)
 * when the main transcript cannot be read, and NotRegularFileError when it is a FIFO, a device or a socket. A
 * main file shorter than the saved offset was rewritten: it is read again from 0.
 */
export async function readTranscript(transcriptPath: string, previous?: TranscriptScan, { ended = false } = {}): Promise<TranscriptRead> {
  const notes: string[] = [];
  const budget = { left: READ_BUDGET_BYTES };
  const main = await openWithoutBlocking(transcriptPath);
  let base: TranscriptScan;
  let fold: Fold;
  let lines: LinesRead;
  try {
    base = previous === undefined || main.size < previous.offset ? emptyScan() : previous;
    fold = new Fold(base.facts);
    lines = await readLines(main.handle, base.offset, budget, (line) => fold.addLine(line, false), ended);
  } finally {
    await main.handle.close();
  }
  noteSkippedLines(transcriptPath, lines, notes);

  const sessionId = basename(transcriptPath, '.jsonl');
  const found = await findSubagentFiles(transcriptPath, sessionId, base, notes);
  const subagents: Record<string, number> = {};
  for (const file of found.files) {
    const from = base.subagents[file] ?? 0;
    subagents[file] = (budget.left > 0 && !fold.full ? await readSubagent(file, from, budget, fold, notes) : undefined) ?? from;
  }
  if (fold.filesCapped) {
    notes.push(`${transcriptPath}: the session reached ${MAX_SESSION_FILES.toLocaleString('en')} changed files, the most kept: edits of others are not recorded`);
  }
  const scan = { offset: lines.offset, subagents, foreignAgentFiles: found.foreign, facts: fold.facts() };
  const read = { scan, changedFiles: fold.changedFiles(), shellRuns: fold.shellRuns, notes };
  return fold.firstNewTimestamp === undefined ? read : { ...read, firstNewTimestamp: fold.firstNewTimestamp };
}

/**
 * Whether the transcript or a sub-agent file of its session grew (or shrank: rewritten) since `previous`, or a
 * sub-agent file appeared that it has not placed yet. Stats and folder listings only.
 */
export async function hasNewLines(transcriptPath: string, previous: TranscriptScan): Promise<boolean> {
  const sizeNow = async (file: string) => (await stat(file).catch(() => undefined))?.size;
  if ((await sizeNow(transcriptPath)) !== previous.offset) return true;
  const dir = dirname(transcriptPath);
  const known = new Set([...Object.keys(previous.subagents), ...(previous.foreignAgentFiles ?? []).map((name) => join(dir, name))]);
  const siblings = (await readdirNames(dir)).filter((name) => AGENT_FILE.test(name)).map((name) => join(dir, name));
  const nested = await listAgentFiles(join(dir, basename(transcriptPath, '.jsonl'), 'subagents'));
  if ([...siblings, ...nested].some((file) => !known.has(file))) return true;
  for (const [file, offset] of Object.entries(previous.subagents)) if ((await sizeNow(file)) !== offset) return true;
  return false;
}

/** The cwd of the transcript's first line that has one: the folder the session was started in. */
export function transcriptCwd(transcriptPath: string): Promise<string | undefined> {
  return firstEnvelopeValue(transcriptPath, (env) => env.cwd).catch(() => undefined);
}

/**
 * Reads what was appended to one sub-agent file, within `budget`; a shorter file is read from 0. Returns the new
 * offset; undefined when the file cannot be opened (it vanished; one that is not a regular file is noted).
 */
async function readSubagent(file: string, from: number, budget: ReadBudget, fold: Fold, notes: string[]): Promise<number | undefined> {
  let opened: OpenFile;
  try {
    opened = await openWithoutBlocking(file);
  } catch (error) {
    if (error instanceof NotRegularFileError) notes.push(`${error.message}: not read`);
    return undefined;
  }
  try {
    const lines = await readLines(opened.handle, opened.size < from ? 0 : from, budget, (line) => fold.addLine(line, true));
    noteSkippedLines(file, lines, notes);
    return lines.offset;
  } finally {
    await opened.handle.close();
  }
}

function noteSkippedLines(file: string, lines: LinesRead, notes: string[]): void {
  if (lines.skipped === 0) return;
  const what = lines.skipped === 1 ? '1 line' : `${lines.skipped} lines`;
  notes.push(`${file}: skipped ${what} over ${MAX_LINE_BYTES / MiB} MiB (never read whole: what ${lines.skipped === 1 ? 'it' : 'they'} held is not recorded)`);
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
  notes: string[],
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
    let owner;
    try {
      owner = await firstEnvelopeValue(file, (env) => env.sessionId);
    } catch (error) {
      // Not a regular file: never a sub-agent's, never opened again. Gone or unreadable: decided on a later turn.
      if (error instanceof NotRegularFileError) {
        notes.push(`${error.message}: not read`);
        foreign.add(name);
      }
      continue;
    }
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

/**
 * A value from the first complete line that has one, looked for in the file's first MAX_LINE_BYTES (a line or
 * more); undefined when there is none there. Throws when the file cannot be read.
 */
async function firstEnvelopeValue(file: string, pick: (env: Envelope) => string | undefined): Promise<string | undefined> {
  let value: string | undefined;
  const { handle } = await openWithoutBlocking(file);
  try {
    await readLines(handle, 0, { left: MAX_LINE_BYTES }, (line) => {
      const env = scanEnvelope(line);
      value = env && pick(env);
      return value !== undefined;
    });
  } finally {
    await handle.close();
  }
  return value;
}

// ---------------------------------------------------------------------------------------------------------------
// Files and lines

const MiB = 1 << 20;
const CHUNK_SIZE = MiB;
const NEWLINE = 0x0a;

/**
 * The longest line read: a longer one is skipped, its bytes only looked through for the newline that ends it.
 * The real transcripts here top out at 84 KB (a user line) and Claude Code's prompt snapshots at about 57 KB;
 * 2.1.x api-request lines carry a whole request (a full context: some MB) but only lend the fold a timestamp. A
 * line that matters can be large too: a prompt with pasted images (the API takes up to 5 MB each), an Edit's
 * result quoting the whole file. 16 MiB keeps all of those and bounds what one line costs: held once as bytes,
 * its message parsed (about three times its size at most).
 */
export const MAX_LINE_BYTES = 16 * MiB;

/**
 * Bytes one read goes through at most, main and sub-agent files together; the rest is read next time, from the
 * saved offsets (the Stop hook runs after every turn, SessionStart catches up a session that ended). Transcripts
 * of nothing but edits, every line parsed, go at 50-85 MiB/s here, so 64 MiB is about a second; real 2.1.x ones,
 * mostly attachment lines, go at 400-650 MiB/s. It also bounds the new files one read takes in (about 47,000 in
 * lines shaped like Claude Code's); MAX_READ_FILES bounds them in lines packed with edits.
 */
export const READ_BUDGET_BYTES = 64 * MiB;

/** A transcript path that names a FIFO, a device or a socket: reading it could block or never end. */
export class NotRegularFileError extends Error {
  override name = 'NotRegularFileError';
  constructor(path: string, kind: string) {
    super(`${path} is ${kind}, not a regular file`);
  }
}

interface OpenFile {
  handle: FileHandle;
  size: number;
}

/**
 * Opens a file for reading without ever waiting on it: O_NONBLOCK, so the open of a FIFO nobody writes to returns
 * at once, then what could block a read or never end it (a FIFO, /dev/zero, a socket) is refused before a byte is
 * read. A folder fails its first read with EISDIR.
 */
async function openWithoutBlocking(path: string): Promise<OpenFile> {
  const handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const info = await handle.stat();
    if (!info.isFile() && !info.isDirectory()) throw new NotRegularFileError(path, fileKind(info));
    return { handle, size: info.size };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

function fileKind(info: Stats): string {
  if (info.isFIFO()) return 'a FIFO';
  if (info.isCharacterDevice()) return 'a character device';
  if (info.isBlockDevice()) return 'a block device';
  return info.isSocket() ? 'a socket' : 'not a file';
}

/** Bytes a read may still go through; each file read takes what it went through. */
interface ReadBudget {
  left: number;
}

interface LinesRead {
  /** Just past the last line handled; inside a line over the cap, just past the part of it discarded so far. */
  offset: number;
  /** Lines over MAX_LINE_BYTES skipped; one already being skipped at `from` is not counted again. */
  skipped: number;
}

/**
 * Calls `onLine` with each complete line (without its '\n') from byte `from` on, reading 1 MiB at a time; a line
 * that spans chunks is read again whole once its end is found. A line over MAX_LINE_BYTES is skipped: its bytes
 * are only looked through for the newline that ends it. Stops early when `onLine` returns true, and once the
 * budget's bytes are behind it (at the end of a line, or anywhere in a line being skipped), taking them from it.
 * A partial last line is left for the next call; one over the cap is not: the offset moves past what was read of
 * it. So an offset inside a line (the byte before it is not a newline) is one inside a line over the cap, which
 * the next call goes on discarding.
 */
async function readLines(
  handle: FileHandle,
  from: number,
  budget: ReadBudget,
  onLine: (line: Buffer) => boolean | void,
  finalLine = false,
): Promise<LinesRead> {
  const chunk = Buffer.allocUnsafe(CHUNK_SIZE);
  let position = from;
  let lineStart = from;
  let skipping = from > 0 && !(await isNewlineAt(handle, from - 1));
  let skipped = 0;
  const done = (): LinesRead => {
    const offset = skipping ? position : lineStart;
    budget.left -= offset - from;
    return { offset, skipped };
  };
  for (;;) {
    const { bytesRead } = await handle.read(chunk, 0, CHUNK_SIZE, position);
    if (bytesRead === 0) {
      if (finalLine && !skipping && position > lineStart) await readFinalLine(handle, lineStart, position, onLine);
      return done();
    }
    const view = chunk.subarray(0, bytesRead);
    for (let nl = view.indexOf(NEWLINE); nl !== -1; nl = view.indexOf(NEWLINE, nl + 1)) {
      const lineEnd = position + nl;
      let stop;
      if (skipping) skipping = false;
      else if (lineEnd - lineStart > MAX_LINE_BYTES) skipped++;
      else stop = onLine(lineStart >= position ? view.subarray(lineStart - position, nl) : await readAt(handle, lineStart, lineEnd));
      lineStart = lineEnd + 1;
      if (stop === true || lineStart - from >= budget.left) return done();
    }
    position += bytesRead;
    if (!skipping && position - lineStart > MAX_LINE_BYTES) {
      skipping = true;
      skipped++;
    }
    if (skipping && position - from >= budget.left) return done();
  }
}

/**
 * A last line with no newline after it (copies made by other tools end so), read once the session is over when it
 * is complete JSON. The offset stays before it: should the line grow after all, it is read again whole, and the
 * fold takes a line twice without counting anything twice.
 */
async function readFinalLine(handle: FileHandle, start: number, end: number, onLine: (line: Buffer) => boolean | void): Promise<void> {
  if (end - start > MAX_LINE_BYTES) return;
  const line = await readAt(handle, start, end);
  if (parseJsonBytes(line) !== undefined) onLine(line);
}

async function isNewlineAt(handle: FileHandle, at: number): Promise<boolean> {
  const byte = Buffer.alloc(1);
  const { bytesRead } = await handle.read(byte, 0, 1, at);
  return bytesRead === 1 && byte[0] === NEWLINE;
}

/** Bytes `start` to `end` of the file, read whole (they were there a moment ago: the file only grows). */
async function readAt(handle: FileHandle, start: number, end: number): Promise<Buffer> {
  const bytes = Buffer.allocUnsafe(end - start);
  for (let filled = 0; filled < bytes.length; ) {
    const { bytesRead } = await handle.read(bytes, filled, bytes.length - filled, start + filled);
    if (bytesRead === 0) return bytes.subarray(0, filled);
    filled += bytesRead;
  }
  return bytes;
}
