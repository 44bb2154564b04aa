import { dirname } from 'node:path';
import { CorruptFileError } from '../errors.js';
import { parseJson } from '../json.js';
import { isValidFile } from './shape.js';
import { readStoreFile, renameStoreFile, replaceStoreFile, syncStoreFolder } from './store-file.js';

/** Which memory file: each has its own valid shape (shape.ts). */
export type MemoryFileKind = keyof typeof isValidFile;

/**
 * Called when a write does not go on from the file as it was (a damaged file moved aside, a repair cut short),
 * so the caller can warn the user in one line. `recovery` says what the write went on from.
 */
export type CorruptionReporter = (problem: Error, recovery: string) => void;

/**
 * Reads a JSON memory file for a write: `undefined` when neither it nor its backup exists. A file that is not
 * UTF-8 JSON of the right shape is moved aside byte for byte, never overwritten, and its backup is used instead.
 * A missing file with a backup beside it (a repair cut short after the move) also goes on from the backup.
 */
export function readJsonFile(
  path: string,
  kind: MemoryFileKind,
  reportCorruption: CorruptionReporter,
  now: Date,
): unknown {
  const { file, backup, value } = readFileOrBackup(path, kind);
  if (backup === undefined) return value;
  if (file.state === 'missing') {
    reportCorruption(new Error(`${path} was missing but its backup was not, so an earlier repair was cut short`), recoveryFrom(backup));
    return value;
  }
  const keptAs = `${path}.corrupt-${timestampForFile(now)}`;
  renameStoreFile(path, keptAs);
  reportCorruption(new CorruptFileError(path, keptAs, { cause: file.cause }), recoveryFrom(backup));
  return value;
}

/**
 * Writes `value` atomically and verified (store-file.ts: temp file, fsync, read back, rename; then a folder fsync),
 * 0600, then the same bytes to `.bak`. The backup is the version we last wrote, so a file damaged from outside is
 * rebuilt with nothing of ours lost; a write the disk stopped leaves both as they were.
 */
export function writeJsonFile(path: string, value: unknown): void {
  const bytes = Buffer.from(`${JSON.stringify(value, null, 2)}\n`);
  const backup = `${path}.bak`;
  // Both are read before either is written, so a link or special file at the backup refuses the write before any change.
  const [current, backedUp] = [readStoreFile(path), readStoreFile(backup)];
  const changed = [!current?.equals(bytes), !backedUp?.equals(bytes)];
  if (changed[0]) replaceStoreFile(path, bytes);
  if (changed[1]) replaceStoreFile(backup, bytes);
  // One folder fsync makes both renames durable.
  if (changed.some(Boolean)) syncStoreFolder(dirname(path));
}

export type ParsedFile = { state: 'ok'; value: unknown } | { state: 'missing' } | { state: 'damaged'; cause: unknown };

/**
 * A memory file, and its backup when the file is damaged, or missing while the backup is not (a repair cut short).
 * `value` is what to go on from. Reads only.
 */
export type FileOrBackup =
  | { file: { state: 'ok' | 'missing' }; backup?: undefined; value: unknown }
  | { file: { state: 'missing' } | { state: 'damaged'; cause: unknown }; backup: ParsedFile; value: unknown };

export function readFileOrBackup(path: string, kind: MemoryFileKind): FileOrBackup {
  const file = readParsed(path, isValidFile[kind]);
  if (file.state === 'ok') return { file, value: file.value };
  const backup = readParsed(`${path}.bak`, isValidFile[kind]);
  if (file.state === 'missing' && backup.state === 'missing') return { file, value: undefined };
  return { file, backup, value: backup.state === 'ok' ? backup.value : undefined };
}

/** What a reader of a damaged or missing file went on from, said as it happened. */
export function recoveryFrom(backup: ParsedFile): string {
  if (backup.state === 'ok') return 'went on from its backup (.bak)';
  if (backup.state === 'missing') return 'it had no backup, so it went on as if it were empty';
  return 'its backup (.bak) was damaged too, so it went on as if it were empty';
}

// fatal: bytes that are not UTF-8 are damage to keep aside, not text to re-encode as U+FFFD on the next write.
// A leading BOM (some editors save one) is dropped, not taken for damage.
const utf8 = new TextDecoder('utf-8', { fatal: true });

function readParsed(path: string, isValid: (value: unknown) => boolean): ParsedFile {
  const bytes = readStoreFile(path);
  if (bytes === undefined) return { state: 'missing' };
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch (cause) {
    return { state: 'damaged', cause };
  }
  const parsed = parseJson(text);
  if (!parsed.ok) return { state: 'damaged', cause: parsed.error };
  if (!isValid(parsed.value)) return { state: 'damaged', cause: new Error('unexpected shape') };
  return { state: 'ok', value: parsed.value };
}

function timestampForFile(now: Date): string {
  return now.toISOString().replace(/[:.]/g, '-');
}
