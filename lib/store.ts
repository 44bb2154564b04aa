import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { CorruptFileError, errorCode } from './errors.js';
import { withLock } from './lock.js';

/**
 * A memory file as the user has it: `{"<listKey>": [...], ...other keys}` or a bare array.
 * `doc` keeps every other key (`$schema`, `_version`, other tools' fields) so a rewrite loses none of them.
 */
export interface MemoryDocument {
  form: 'object' | 'array';
  doc: Record<string, unknown>;
  items: Record<string, unknown>[];
}

/** Called for each damaged file that was moved aside, so the caller can warn the user in one line. */
export type CorruptionReporter = (error: CorruptFileError) => void;

export const LOCK_TIMEOUT_MS = 30_000;

/** Runs a read-modify-write of one project's memory under its cross-process lock. */
export async function withProjectLock<T>(projectDir: string, critical: () => Promise<T>): Promise<T> {
  await mkdir(projectDir, { recursive: true, mode: 0o700 });
  return withLock(join(projectDir, '.lock'), { timeoutMs: LOCK_TIMEOUT_MS }, critical);
}

/**
 * Reads a JSON memory file. Missing reads as `undefined`. A file that does not parse (or has the wrong shape)
 * is moved aside byte for byte and the newest good backup is used instead; it is never overwritten.
 */
export async function readJsonFile(
  path: string,
  isValid: (value: unknown) => boolean,
  reportCorruption: CorruptionReporter,
  now: Date,
): Promise<unknown> {
  const current = await readParsed(path, isValid);
  if (current.state !== 'corrupt') return current.value;
  const keptAs = `${path}.corrupt-${timestampForFile(now)}`;
  await rename(path, keptAs);
  reportCorruption(new CorruptFileError(path, keptAs, { cause: current.cause }));
  const backup = await readParsed(`${path}.bak`, isValid);
  return backup.state === 'ok' ? backup.value : undefined;
}

/** Writes `value` atomically (temp file, fsync, rename, folder fsync), 0600, keeping the previous version as `.bak`. */
export async function writeJsonFile(path: string, value: unknown): Promise<void> {
  const text = `${JSON.stringify(value, null, 2)}\n`;
  const previous = await readFile(path).catch((error: unknown) => {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw error;
  });
  if (previous?.equals(Buffer.from(text))) return;
  if (previous && isParsable(previous)) await writeFileAtomic(`${path}.bak`, previous, { mode: 0o600 });
  await writeFileAtomic(path, text, { mode: 0o600 });
  await syncFolder(dirname(path));
}

export function listDocument(value: unknown, listKey: string): MemoryDocument {
  if (value === undefined) return { form: 'object', doc: {}, items: [] };
  if (Array.isArray(value)) return { form: 'array', doc: {}, items: value as Record<string, unknown>[] };
  const doc = value as Record<string, unknown>;
  return { form: 'object', doc, items: (doc[listKey] as Record<string, unknown>[] | undefined) ?? [] };
}

/** The document in the form the user keeps: a bare array stays a bare array. */
export function documentValue(document: MemoryDocument, listKey: string, project: string): unknown {
  if (document.form === 'array') return document.items;
  return { project, ...document.doc, [listKey]: document.items };
}

export function isListFile(listKey: string) {
  return (value: unknown): boolean => {
    if (Array.isArray(value)) return value.every(isRecord);
    if (!isRecord(value)) return false;
    const list = value[listKey];
    return list === undefined || (Array.isArray(list) && list.every(isRecord));
  };
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

type ParsedFile = { state: 'ok'; value: unknown } | { state: 'missing'; value: undefined } | { state: 'corrupt'; cause: unknown };

async function readParsed(path: string, isValid: (value: unknown) => boolean): Promise<ParsedFile> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return { state: 'missing', value: undefined };
    throw error;
  }
  try {
    const value: unknown = JSON.parse(bytes.toString('utf8'));
    if (!isValid(value)) return { state: 'corrupt', cause: new Error('unexpected shape') };
    return { state: 'ok', value };
  } catch (cause) {
    return { state: 'corrupt', cause };
  }
}

function isParsable(bytes: Buffer): boolean {
  try {
    JSON.parse(bytes.toString('utf8'));
    return true;
  } catch {
    return false;
  }
}

/** Without this a power loss can undo the rename and lose the newest entry. */
async function syncFolder(folder: string): Promise<void> {
  const handle = await open(folder, 'r');
  try {
    await handle.sync();
  } catch (error) {
    if (!['EISDIR', 'EPERM', 'EINVAL'].includes(errorCode(error) ?? '')) throw error;
  } finally {
    await handle.close();
  }
}

function timestampForFile(now: Date): string {
  return now.toISOString().replace(/[:.]/g, '-');
}
