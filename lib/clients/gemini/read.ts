import { closeSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { orNothing } from '../../disk.js';
import { emptyScan, MAX_SESSION_FILES, type TranscriptRead, type TranscriptScan } from '../client.js';
import {
  MAX_LINE_BYTES,
  MiB,
  noteSkippedLines,
  openWithoutBlocking,
  readAppendedLines,
  readAt,
  readLines,
  READ_BUDGET_BYTES,
  type ReadBudget,
} from '../lines.js';
import { isRecord, parseJson } from '../../json.js';
import { GeminiFold } from './fold.js';

/**
 * Reads a Gemini CLI chat recording, with its sub-agents' recordings, into the facts (fold.ts). A JSONL recording
 * (newer builds) is read from the offset of the previous read, within READ_BUDGET_BYTES and lines of at most
 * MAX_LINE_BYTES, as Claude Code's transcripts are. A `.json` recording (older builds: one JSON document, rewritten
 * whole on every change) cannot be read in parts: it is read whole each time, and only up to MAX_LINE_BYTES; a
 * larger one is not read (noted). A main file shorter than the saved offset was rewritten: it is read from 0.
 */
export function readTranscript(path: string, previous?: TranscriptScan, { ended = false } = {}): TranscriptRead {
  if (path.endsWith('.json')) return readDocument(path, previous);
  const notes: string[] = [];
  const budget: ReadBudget = { left: READ_BUDGET_BYTES };
  const root = projectRoot(path);
  const main = openWithoutBlocking(path);
  let base: TranscriptScan;
  let fold: GeminiFold;
  let offset: number;
  try {
    base = previous === undefined || main.size < previous.offset ? emptyScan() : previous;
    fold = new GeminiFold(base.facts, root);
    const lines = readLines(main.fd, base.offset, budget, (line) => fold.addLine(line, false), ended);
    noteSkippedLines(path, lines, notes);
    offset = lines.offset;
  } finally {
    closeSync(main.fd);
  }

  const subagents: Record<string, number> = {};
  for (const file of subagentFiles(path)) {
    const from = base.subagents[file] ?? 0;
    subagents[file] = (budget.left > 0 && !fold.full ? readAppendedLines(file, from, budget, (line) => fold.addLine(line, true), notes) : undefined) ?? from;
  }
  return finish(path, { offset, subagents, facts: fold.facts() }, fold, notes);
}

/**
 * Whether the recording or a sub-agent recording of its session grew (or shrank: rewritten) since `previous`, or
 * a sub-agent recording appeared: stats, a folder listing and the recording's first line (its session id names
 * the sub-agents' folder). A `.json` recording has no sub-agents read and is rewritten whole on every change: its
 * size tells.
 */
export function hasNewLines(path: string, previous: TranscriptScan): boolean {
  const sizeNow = (file: string) => orNothing(() => statSync(file))?.size;
  if (sizeNow(path) !== previous.offset) return true;
  if (path.endsWith('.json')) return false;
  const files = subagentFiles(path);
  if (files.some((file) => !(file in previous.subagents))) return true;
  for (const file of files) if (sizeNow(file) !== previous.subagents[file]) return true;
  return false;
}

/** The folder the session was started in: its project root, kept beside its chats (`<project tmp>/.project_root`). */
export function transcriptCwd(path: string): string | undefined {
  return projectRoot(path);
}

/** The session id in a recording's first record (its metadata), or in the document; undefined when none. */
export function recordingSessionId(path: string): string | undefined {
  let id: string | undefined;
  const { fd, size } = openWithoutBlocking(path);
  try {
    if (path.endsWith('.json')) {
      if (size > MAX_LINE_BYTES) return undefined;
      const value = parseRecording(readAt(fd, 0, size));
      return isRecord(value) && typeof value.sessionId === 'string' ? value.sessionId : undefined;
    }
    readLines(fd, 0, { left: MAX_LINE_BYTES }, (line) => {
      const value = parseRecording(line);
      if (isRecord(value) && typeof value.sessionId === 'string') id = value.sessionId;
      return true;
    });
  } finally {
    closeSync(fd);
  }
  return id;
}

function readDocument(path: string, previous: TranscriptScan | undefined): TranscriptRead {
  const notes: string[] = [];
  const root = projectRoot(path);
  const { fd, size } = openWithoutBlocking(path);
  let document: unknown;
  try {
    if (size > MAX_LINE_BYTES) {
      notes.push(`${path}: a one-document recording of ${Math.ceil(size / MiB)} MiB, over the ${MAX_LINE_BYTES / MiB} MiB read whole: not read (what it holds is not recorded)`);
      return { scan: { ...(previous ?? emptyScan()), offset: size }, changedFiles: [], shellRuns: [], notes };
    }
    document = parseRecording(readAt(fd, 0, size));
  } finally {
    closeSync(fd);
  }
  const seen = previous?.facts ?? emptyScan().facts;
  const fold = new GeminiFold(emptyScan().facts, root, seen);
  fold.addRecord(document, false);
  return finish(path, { offset: size, subagents: {}, facts: fold.facts() }, fold, notes);
}

function finish(path: string, scan: TranscriptScan, fold: GeminiFold, notes: string[]): TranscriptRead {
  if (fold.filesCapped) {
    notes.push(`${path}: the session reached ${MAX_SESSION_FILES.toLocaleString('en')} changed files, the most kept: edits of others are not recorded`);
  }
  const read: TranscriptRead = { scan, changedFiles: fold.changedFiles(), shellRuns: fold.shellRuns, notes };
  return fold.firstNewTimestamp === undefined ? read : { ...read, firstNewTimestamp: fold.firstNewTimestamp };
}


/**
 * A sub-agent's recording: `chats/<parent session id, as a file name>/<its own id>.jsonl`
 * (chatRecordingService.ts, `kind: "subagent"`).
 */
function subagentFiles(path: string): string[] {
  const sessionId = orNothing(() => recordingSessionId(path));
  if (sessionId === undefined) return [];
  const dir = join(dirname(path), sessionId.replace(/[^a-zA-Z0-9_-]/g, '_'));
  const names = orNothing(() => readdirSync(dir)) ?? [];
  return names.filter((name) => name.endsWith('.jsonl')).sort().map((name) => join(dir, name));
}

/** The longest `.project_root` read: a path. */
const MAX_ROOT_BYTES = 64 * 1024;

function projectRoot(path: string): string | undefined {
  const chats = dirname(path);
  if (basename(chats) !== 'chats') return undefined;
  const file = join(dirname(chats), '.project_root');
  try {
    const { fd, size } = openWithoutBlocking(file);
    try {
      if (size > MAX_ROOT_BYTES) return undefined;
      const root = readAt(fd, 0, size).toString('utf8').trim();
      return isAbsolute(root) ? root : undefined;
    } finally {
      closeSync(fd);
    }
  } catch {
    return undefined;
  }
}

function parseRecording(bytes: Buffer): unknown {
  const parsed = parseJson(bytes.toString('utf8'));
  return parsed.ok ? parsed.value : undefined;
}
