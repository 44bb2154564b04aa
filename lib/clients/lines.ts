import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { parseJson } from '../json.js';

/**
 * JSONL files read as agents write them: from a byte offset, a line at a time, never blocking on what is not a
 * regular file, within a budget of bytes and a cap on one line. Every client's transcript reader goes through here.
 */

export const MiB = 1 << 20;
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

export interface OpenFile {
  fd: number;
  size: number;
}

/**
 * Opens a file for reading without ever waiting on it: O_NONBLOCK, so the open of a FIFO nobody writes to returns
 * at once, then what could block a read or never end it (a FIFO, /dev/zero, a socket) is refused before a byte is
 * read. A folder fails its first read with EISDIR.
 */
export function openWithoutBlocking(path: string): OpenFile {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const info = fstatSync(fd);
    if (!info.isFile() && !info.isDirectory()) throw new NotRegularFileError(path, fileKind(info));
    return { fd, size: info.size };
  } catch (error) {
    closeSync(fd);
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
export interface ReadBudget {
  left: number;
}

export interface LinesRead {
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
export function readLines(fd: number, from: number, budget: ReadBudget, onLine: (line: Buffer) => boolean | void, finalLine = false): LinesRead {
  const chunk = Buffer.allocUnsafe(CHUNK_SIZE);
  // A line longer than what is left of a chunk is read again whole into one buffer, reused from line to line:
  // a new one each time left tens of MB for the garbage collector to catch up with (a 151 MB peak, 124 MB before).
  let long = Buffer.allocUnsafe(0);
  const lineAt = (start: number, end: number) => {
    if (long.length < end - start) long = Buffer.allocUnsafe(Math.min(Math.max(end - start, 2 * long.length), MAX_LINE_BYTES));
    return readAt(fd, start, end, long);
  };
  let position = from;
  let lineStart = from;
  let skipping = from > 0 && !isNewlineAt(fd, from - 1);
  let skipped = 0;
  const done = (): LinesRead => {
    const offset = skipping ? position : lineStart;
    budget.left -= offset - from;
    return { offset, skipped };
  };
  for (;;) {
    const bytesRead = readSync(fd, chunk, 0, CHUNK_SIZE, position);
    if (bytesRead === 0) {
      if (finalLine && !skipping && position > lineStart) readFinalLine(fd, lineStart, position, onLine);
      return done();
    }
    const view = chunk.subarray(0, bytesRead);
    for (let nl = view.indexOf(NEWLINE); nl !== -1; nl = view.indexOf(NEWLINE, nl + 1)) {
      const lineEnd = position + nl;
      let stop;
      if (skipping) skipping = false;
      else if (lineEnd - lineStart > MAX_LINE_BYTES) skipped++;
      else stop = onLine(lineStart >= position ? view.subarray(lineStart - position, nl) : lineAt(lineStart, lineEnd));
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
function readFinalLine(fd: number, start: number, end: number, onLine: (line: Buffer) => boolean | void): void {
  if (end - start > MAX_LINE_BYTES) return;
  const line = readAt(fd, start, end);
  if (parseJson(line.toString('utf8')).ok) onLine(line);
}

function isNewlineAt(fd: number, at: number): boolean {
  const byte = Buffer.alloc(1);
  return readSync(fd, byte, 0, 1, at) === 1 && byte[0] === NEWLINE;
}

/**
 * Bytes `start` to `end` of the file, read whole (they were there a moment ago: the file only grows), into the start
 * of `into` when given (at least that long).
 */
export function readAt(fd: number, start: number, end: number, into = Buffer.allocUnsafe(end - start)): Buffer {
  const length = end - start;
  for (let filled = 0; filled < length; ) {
    const bytesRead = readSync(fd, into, filled, length - filled, start + filled);
    if (bytesRead === 0) return into.subarray(0, filled);
    filled += bytesRead;
  }
  return into.subarray(0, length);
}

/** What a read of `file` skipped, as a line for the log. */
export function noteSkippedLines(file: string, lines: LinesRead, notes: string[]): void {
  if (lines.skipped === 0) return;
  const what = lines.skipped === 1 ? '1 line' : `${lines.skipped} lines`;
  notes.push(`${file}: skipped ${what} over ${MAX_LINE_BYTES / MiB} MiB (never read whole: what ${lines.skipped === 1 ? 'it' : 'they'} held is not recorded)`);
}

/**
 * Reads what was appended to one more file of a session (a sub-agent's) from `from`, within `budget`; a shorter
 * file is read from 0. Returns the new offset; undefined when the file cannot be opened (it vanished; one that is
 * not a regular file is noted).
 */
export function readAppendedLines(file: string, from: number, budget: ReadBudget, onLine: (line: Buffer) => boolean | void, notes: string[]): number | undefined {
  let opened: OpenFile;
  try {
    opened = openWithoutBlocking(file);
  } catch (error) {
    if (error instanceof NotRegularFileError) notes.push(`${error.message}: not read`);
    return undefined;
  }
  try {
    const lines = readLines(opened.fd, opened.size < from ? 0 : from, budget, onLine);
    noteSkippedLines(file, lines, notes);
    return lines.offset;
  } finally {
    closeSync(opened.fd);
  }
}
