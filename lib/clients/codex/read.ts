import { closeSync, statSync } from 'node:fs';
import { orNothing } from '../../disk.js';
import { emptyScan, MAX_SESSION_FILES, type TranscriptRead, type TranscriptScan } from '../client.js';
import { isRecord, parseJson } from '../../json.js';
import { MAX_LINE_BYTES, noteSkippedLines, openWithoutBlocking, READ_BUDGET_BYTES, readLines, type LinesRead } from '../lines.js';
import { CodexFold } from './fold.js';

/**
 * Reads a Codex rollout from the offset `previous` saved and folds the new lines (fold.ts). A rollout Codex has
 * since compressed (`<path>.zst`, or a path that names one) is decompressed as it is read; offsets count
 * decompressed bytes, so a session read before and after its compression goes on where it was.
 */
export async function readTranscript(transcriptPath: string, previous?: TranscriptScan, { ended = false } = {}): Promise<TranscriptRead> {
  const notes: string[] = [];
  const file = existingRollout(transcriptPath);
  const fold = (base: TranscriptScan) => new CodexFold(base.facts);
  let folded: CodexFold;
  let lines: LinesRead;
  if (file.endsWith('.zst')) {
    const { readCompressedLines } = await import('./zstd.js');
    let base = previous ?? emptyScan();
    folded = fold(base);
    lines = readCompressedLines(file, base.offset, (line) => folded.addLine(line), ended);
    if (lines.offset < base.offset) {
      // Shorter than what was read before: another file now, read from its start.
      base = emptyScan();
      folded = fold(base);
      lines = readCompressedLines(file, 0, (line) => folded.addLine(line), ended);
    }
  } else {
    const opened = openWithoutBlocking(file);
    try {
      const base = previous === undefined || opened.size < previous.offset ? emptyScan() : previous;
      folded = fold(base);
      lines = readLines(opened.fd, base.offset, { left: READ_BUDGET_BYTES }, (line) => folded.addLine(line), ended);
    } finally {
      closeSync(opened.fd);
    }
  }
  noteSkippedLines(file, lines, notes);
  if (folded.filesCapped) notes.push(`${file}: the session reached ${MAX_SESSION_FILES.toLocaleString('en')} changed files, the most kept: edits of others are not recorded`);
  const read = { scan: { offset: lines.offset, subagents: {}, facts: folded.facts() }, changedFiles: folded.changedFiles(), shellRuns: folded.shellRuns, notes };
  return folded.firstNewTimestamp === undefined ? read : { ...read, firstNewTimestamp: folded.firstNewTimestamp };
}

/** Whether the rollout grew (or shrank, or was compressed) since `previous`: a stat, nothing read. */
export function hasNewLines(transcriptPath: string, previous: TranscriptScan): boolean {
  const file = existingRollout(transcriptPath);
  if (file.endsWith('.zst')) return true;
  return orNothing(() => statSync(file))?.size !== previous.offset;
}

/** The folder the session was started in: its `session_meta` line's cwd (the rollout's first line). */
export async function transcriptCwd(transcriptPath: string): Promise<string | undefined> {
  try {
    const file = existingRollout(transcriptPath);
    let cwd: string | undefined;
    const take = (line: Buffer) => {
      const parsed = parseJson(line.toString('utf8'));
      const payload = parsed.ok && isRecord(parsed.value) && parsed.value.type === 'session_meta' ? parsed.value.payload : undefined;
      cwd = isRecord(payload) && typeof payload.cwd === 'string' ? payload.cwd : undefined;
      return true;
    };
    if (file.endsWith('.zst')) {
      (await import('./zstd.js')).readCompressedLines(file, 0, take, false);
    } else {
      const opened = openWithoutBlocking(file);
      try {
        readLines(opened.fd, 0, { left: MAX_LINE_BYTES }, take);
      } finally {
        closeSync(opened.fd);
      }
    }
    return cwd;
  } catch {
    return undefined;
  }
}

/** The rollout as it is on disk now: the plain file while it is there (Codex prefers it), else its compressed copy. */
function existingRollout(path: string): string {
  const plain = path.endsWith('.zst') ? path.slice(0, -'.zst'.length) : path;
  if (orNothing(() => statSync(plain))) return plain;
  const compressed = `${plain}.zst`;
  return orNothing(() => statSync(compressed)) ? compressed : path;
}
