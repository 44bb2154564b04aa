import { readFile, readlink, realpath, rename } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { orAbsent } from '../disk.js';
import { CorruptFileError, errorCode } from '../errors.js';
import { parseJson } from '../json.js';
import { isValidFile } from './shape.js';
import { replaceStoreFile, syncStoreFolder } from './store-file.js';

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
export async function readJsonFile(
  path: string,
  kind: MemoryFileKind,
  reportCorruption: CorruptionReporter,
  now: Date,
): Promise<unknown> {
  const { file, backup, value } = await readFileOrBackup(path, kind);
  if (backup === undefined) return value;
  if (file.state === 'missing') {
    reportCorruption(new Error(`${path} was missing but its backup was not, so an earlier repair was cut short`), recoveryFrom(backup));
    return value;
  }
  // Through a symlink, the real file is moved aside: the link stays, and the write goes through it again.
  const target = await linkTarget(path);
  const keptAs = `${target}.corrupt-${timestampForFile(now)}`;
  await rename(target, keptAs);
  reportCorruption(new CorruptFileError(path, keptAs, { cause: file.cause }), recoveryFrom(backup));
  return value;
}

/**
 * Writes `value` atomically and verified (store-file.ts: temp file, fsync, read back, rename; then a folder fsync),
 * 0600, through a symlink to the real file, then the same bytes to `.bak`. The backup is the version we last wrote,
 * so a file damaged from outside is rebuilt with nothing of ours lost; a write the disk stopped leaves both as they
 * were.
 */
export async function writeJsonFile(path: string, value: unknown): Promise<void> {
  const bytes = Buffer.from(`${JSON.stringify(value, null, 2)}\n`);
  const target = await linkTarget(path);
  const wrote = [await replaceIfChanged(target, bytes), await replaceIfChanged(`${path}.bak`, bytes)];
  // One folder fsync makes both renames durable; through a symlink the real file's folder needs its own.
  if (wrote.some(Boolean)) await syncStoreFolder(dirname(path));
  if (wrote[0] && dirname(target) !== dirname(path)) await syncStoreFolder(dirname(target));
}

export type ParsedFile = { state: 'ok'; value: unknown } | { state: 'missing' } | { state: 'damaged'; cause: unknown };

/**
 * A memory file, and its backup when the file is damaged, or missing while the backup is not (a repair cut short).
 * `value` is what to go on from. Reads only.
 */
export type FileOrBackup =
  | { file: { state: 'ok' | 'missing' }; backup?: undefined; value: unknown }
  | { file: { state: 'missing' } | { state: 'damaged'; cause: unknown }; backup: ParsedFile; value: unknown };

export async function readFileOrBackup(path: string, kind: MemoryFileKind): Promise<FileOrBackup> {
  const file = await readParsed(path, isValidFile[kind]);
  if (file.state === 'ok') return { file, value: file.value };
  const backup = await readParsed(`${path}.bak`, isValidFile[kind]);
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

async function readParsed(path: string, isValid: (value: unknown) => boolean): Promise<ParsedFile> {
  const bytes = await orAbsent(readFile(path));
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

/** Where `path` really is, through symlinks, also when the link's target is missing (moved aside, not yet written). */
async function linkTarget(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch (error) {
    if (errorCode(error) !== 'ENOENT') throw error;
  }
  const link = await readlink(path).catch((error: unknown) => {
    if (['EINVAL', 'ENOENT'].includes(errorCode(error) ?? '')) return undefined;
    throw error;
  });
  return link === undefined ? path : linkTarget(resolve(dirname(path), link));
}

/** An atomic replace of `path`, skipped when it already holds `bytes`; whether it wrote. */
async function replaceIfChanged(path: string, bytes: Buffer): Promise<boolean> {
  const current = await orAbsent(readFile(path));
  if (current?.equals(bytes)) return false;
  await replaceStoreFile(path, bytes);
  return true;
}

function timestampForFile(now: Date): string {
  return now.toISOString().replace(/[:.]/g, '-');
}
