import { closeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { orNothing } from '../../disk.js';
import { emptyScan, MAX_SESSION_FILES, type TranscriptRead, type TranscriptScan } from '../client.js';
import { MAX_LINE_BYTES, noteSkippedLines, NotRegularFileError, openWithoutBlocking, readAppendedLines, READ_BUDGET_BYTES, readLines, type LinesRead } from '../lines.js';
import { AGENT_FILE, listAgentFiles, readdirNames } from './agent-files.js';
import { Fold } from './fold.js';
import { scanEnvelope, type Envelope } from './scan.js';

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
export function readTranscript(transcriptPath: string, previous?: TranscriptScan, { ended = false } = {}): TranscriptRead {
  const notes: string[] = [];
  const budget = { left: READ_BUDGET_BYTES };
  const main = openWithoutBlocking(transcriptPath);
  let base: TranscriptScan;
  let fold: Fold;
  let lines: LinesRead;
  try {
    base = previous === undefined || main.size < previous.offset ? emptyScan() : previous;
    fold = new Fold(base.facts);
    lines = readLines(main.fd, base.offset, budget, (line) => fold.addLine(line, false), ended);
  } finally {
    closeSync(main.fd);
  }
  noteSkippedLines(transcriptPath, lines, notes);

  const sessionId = basename(transcriptPath, '.jsonl');
  const found = findSubagentFiles(transcriptPath, sessionId, base, notes);
  const subagents: Record<string, number> = {};
  for (const file of found.files) {
    const from = base.subagents[file] ?? 0;
    subagents[file] = (budget.left > 0 && !fold.full ? readAppendedLines(file, from, budget, (line) => fold.addLine(line, true), notes) : undefined) ?? from;
  }
  if (fold.filesCapped) {
    notes.push(`${transcriptPath}: the session reached ${MAX_SESSION_FILES.toLocaleString('en')} changed files, the most kept: edits of others are not recorded`);
  }
  const scan = { offset: lines.offset, subagents, foreignAgentFiles: found.foreign, facts: fold.facts() };
  const read = { scan, changedFiles: fold.changedFiles(), shellRuns: fold.shellRuns, notes };
  return fold.firstNewTimestamp === undefined ? read : { ...read, firstNewTimestamp: fold.firstNewTimestamp };
}

/** The cwd of the transcript's first line that has one: the folder the session was started in. */
export function transcriptCwd(transcriptPath: string): string | undefined {
  return orNothing(() => firstEnvelopeValue(transcriptPath, (env) => env.cwd));
}

// ---------------------------------------------------------------------------------------------------------------
// Sub-agent files

/**
 * Sub-agent transcripts of this session: `<dir>/<session>/subagents/**\/agent-*.jsonl` (2.1.2 on) and
 * `<dir>/agent-*.jsonl` beside the transcript (2.0.28-2.1.1) whose lines carry this session's id. Inline
 * `isSidechain` lines (up to 2.0.27) need nothing here.
 */
function findSubagentFiles(
  transcriptPath: string,
  sessionId: string,
  previous: TranscriptScan,
  notes: string[],
): { files: string[]; foreign: string[] } {
  const dir = dirname(transcriptPath);
  const files = listAgentFiles(join(dir, sessionId, 'subagents'));
  const foreign = new Set(previous.foreignAgentFiles ?? []);
  for (const name of readdirNames(dir)) {
    if (!AGENT_FILE.test(name) || foreign.has(name)) continue;
    const file = join(dir, name);
    if (file === transcriptPath) continue;
    if (file in previous.subagents) {
      files.push(file);
      continue;
    }
    let owner;
    try {
      owner = firstEnvelopeValue(file, (env) => env.sessionId);
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


/**
 * A value from the first complete line that has one, looked for in the file's first MAX_LINE_BYTES (a line or
 * more); undefined when there is none there. Throws when the file cannot be read.
 */
function firstEnvelopeValue(file: string, pick: (env: Envelope) => string | undefined): string | undefined {
  let value: string | undefined;
  const { fd } = openWithoutBlocking(file);
  try {
    readLines(fd, 0, { left: MAX_LINE_BYTES }, (line) => {
      const env = scanEnvelope(line);
      value = env && pick(env);
      return value !== undefined;
    });
  } finally {
    closeSync(fd);
  }
  return value;
}
