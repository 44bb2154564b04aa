import { constants, type Stats } from 'node:fs';
import { open, readdir, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { emptyScan, type TranscriptRead, type TranscriptScan } from '../client.js';
import { Fold } from './fold.js';
import { scanEnvelope, type Envelope } from './scan.js';

/**
 * Reads a Claude Code transcript (JSONL) from a byte offset, with its sub-agents' files, and hands each complete
 * line to the fold (fold.ts). The I/O side: what a line means is fold.ts's, how a line is walked is scan.ts's.
 */

/**
 * Reads only the bytes appended since `previous` (main file and sub-agent files) and folds them into its facts,
 * telling when the lines it added began: the start of what happened since `previous`. Pure apart from reading
 * files; never holds a whole file in memory. Throws the fs error (e.g. ENOENT) when the main transcript cannot be
 * read, and NotRegularFileError when it is a FIFO, a device or a socket. A main file shorter than the saved offset
 * was rewritten: it is read again from 0.
 */
export async function readTranscript(transcriptPath: string, previous?: TranscriptScan): Promise<TranscriptRead> {
  const notes: string[] = [];
  const main = await openWithoutBlocking(transcriptPath);
  let base: TranscriptScan;
  let fold: Fold;
  let offset: number;
  try {
    base = previous === undefined || main.size < previous.offset ? emptyScan() : previous;
    fold = new Fold(base.facts);
    offset = main.size === base.offset ? base.offset : await readLines(main.handle, base.offset, (line) => fold.addLine(line, false));
  } finally {
    await main.handle.close();
  }

  const sessionId = basename(transcriptPath, '.jsonl');
  const found = await findSubagentFiles(transcriptPath, sessionId, base, notes);
  const subagents: Record<string, number> = {};
  for (const file of found.files) {
    const from = base.subagents[file] ?? 0;
    subagents[file] = (await readSubagent(file, from, fold, notes)) ?? from;
  }
  const scan = { offset, subagents, foreignAgentFiles: found.foreign, facts: fold.facts() };
  return fold.firstNewTimestamp === undefined ? { scan, notes } : { scan, notes, firstNewTimestamp: fold.firstNewTimestamp };
}

/** The cwd of the transcript's first line that has one: the folder the session was started in. */
export function transcriptCwd(transcriptPath: string): Promise<string | undefined> {
  return firstEnvelopeValue(transcriptPath, (env) => env.cwd).catch(() => undefined);
}

/**
 * Reads what was appended to one sub-agent file; a shorter file is read from 0. Returns the new offset; undefined
 * when the file cannot be opened (it vanished; one that is not a regular file is noted).
 */
async function readSubagent(file: string, from: number, fold: Fold, notes: string[]): Promise<number | undefined> {
  let opened: OpenFile;
  try {
    opened = await openWithoutBlocking(file);
  } catch (error) {
    if (error instanceof NotRegularFileError) notes.push(`${error.message}: not read`);
    return undefined;
  }
  try {
    const start = opened.size < from ? 0 : from;
    return opened.size === start ? start : await readLines(opened.handle, start, (line) => fold.addLine(line, true));
  } finally {
    await opened.handle.close();
  }
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

/** A value from the first complete line that has one, without reading further. Throws when the file cannot be read. */
async function firstEnvelopeValue(file: string, pick: (env: Envelope) => string | undefined): Promise<string | undefined> {
  let value: string | undefined;
  const { handle } = await openWithoutBlocking(file);
  try {
    await readLines(handle, 0, (line) => {
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

const CHUNK_SIZE = 1 << 20;
const NEWLINE = 0x0a;

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

/**
 * Calls `onLine` with each complete line (a view without its '\n') from byte `from` on, reading 1 MiB at a time; a
 * line that spans chunks is joined first. Stops early when `onLine` returns true. Returns the offset just
 * past the last complete line handled: a partial last line is left for the next call.
 */
async function readLines(
  handle: FileHandle,
  from: number,
  onLine: (line: Buffer) => boolean | void,
): Promise<number> {
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
}
