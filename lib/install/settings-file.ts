import { existsSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { orAbsent, replaceFile } from '../disk.js';
import { errorCode, UsageError } from '../errors.js';
import { checkSettingsShape, type Settings } from './settings-hooks.js';
import { parseJson } from '../json.js';
import { editJsonText, type Edit } from './json-edit.js';

export interface SettingsFile {
  path: string;
  /** The file's text; `undefined` when there is no file. */
  text: string | undefined;
  settings: Settings;
}

/** A Claude Code settings file. Missing or blank reads as `{}`, as Claude Code reads it; anything but a JSON object is refused. */
export async function readSettingsFile(path: string): Promise<SettingsFile> {
  const text = await readOptional(path);
  if (text === undefined || text.trim() === '') return { path, text, settings: {} };
  const parsed = parseJson(text);
  if (!parsed.ok) throw new UsageError(`${path} is not valid JSON (${parsed.error.message}); fix it and run again. Nothing was changed.`);
  const problem = checkSettingsShape(parsed.value);
  if (problem) throw new UsageError(`${path}: ${problem}; fix it and run again. Nothing was changed.`);
  return { path, text, settings: parsed.value as Settings };
}

/**
 * The file's text with `next` in place of its settings, edited only where they differ (lib/install/json-edit.ts):
 * the user's indentation, line endings, key order and untouched values stay byte for byte. A missing or blank
 * file is written whole. Also the edits made, in order, for the install receipt.
 */
export function editSettingsText(file: SettingsFile, next: Settings): { text: string; edits: Edit[] } {
  if (file.text === undefined || file.text.trim() === '') {
    const text = `${JSON.stringify(next, null, 2)}\n`;
    return { text, edits: [{ offset: 0, length: file.text?.length ?? 0, content: text }] };
  }
  return editJsonText(file.text, next);
}

/** Whether the files a hook of ours runs exist: its bundle, and the Node it names (a bare `node` is PATH's). */
export function hookFilesExist(hook: { file: string; node?: string }): boolean {
  return existsSync(hook.file) && (hook.node === undefined || existsSync(hook.node));
}

/** Writes `text` atomically, through a symlink to its target, keeping the file's mode. */
export async function writeSettingsFile(file: SettingsFile, text: string): Promise<void> {
  try {
    // A new file and folder are this user's alone whatever the umask (settings run commands); an existing file keeps its mode.
    await mkdir(dirname(file.path), { recursive: true, mode: 0o700 });
    await replaceFile(file.path, text, file.text === undefined ? { mode: 0o600 } : {});
  } catch (error) {
    throw settingsWriteError(file.path, error);
  }
}

/** Removes a settings file that install created. */
export async function removeSettingsFile(path: string): Promise<void> {
  try {
    await rm(path, { force: true });
  } catch (error) {
    throw settingsWriteError(path, error);
  }
}

function settingsWriteError(path: string, error: unknown): unknown {
  const code = errorCode(error);
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    return new UsageError(`cannot write ${path} or its folder (${code}); make them writable and run again`);
  }
  return error;
}

export function readOptional(path: string): Promise<string | undefined> {
  return orAbsent(readFile(path, 'utf8'));
}
