import { open, readdir, stat } from 'node:fs/promises';
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
  const read = { scan, shellRuns: fold.shellRuns };
  return fold.firstNewTimestamp === undefined ? read : { ...read, firstNewTimestamp: fold.firstNewTimestamp };
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
