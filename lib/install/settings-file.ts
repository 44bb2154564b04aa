import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { applyEdits, findNodeAtLocation, modify, parseTree, type FormattingOptions } from 'jsonc-parser';
import { orAbsent, replaceFile } from '../disk.js';
import { errorCode, UsageError } from '../errors.js';
import { checkSettingsShape, type Settings } from './settings-hooks.js';
import { isRecord, parseJson } from '../json.js';

export const BACKUP_SUFFIX = '.log-session.bak';

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
 * The file's text with `next` in place of its settings, edited only where they differ (hook events one by
 * one): the user's indentation, line endings, key order and untouched values stay byte for byte. (jsonc-parser
 * re-indents the line an insertion starts on: a one-line value just before it gets the file's indentation.)
 */
export function editSettingsText(file: SettingsFile, next: Settings): string {
  if (file.text === undefined || file.text.trim() === '') return `${JSON.stringify(next, null, 2)}\n`;
  const formattingOptions = detectFormatting(file.text);
  let text = file.text;
  const set = (path: string[], value: unknown) => {
    text = value === undefined ? removeProperty(text, path) : applyEdits(text, modify(text, path, value, { formattingOptions }));
  };
  const before = file.settings;
  for (const key of new Set([...Object.keys(before), ...Object.keys(next)])) {
    if (sameJson(before[key], next[key])) continue;
    if (key === 'hooks' && isRecord(before.hooks) && isRecord(next.hooks)) {
      for (const event of new Set([...Object.keys(before.hooks), ...Object.keys(next.hooks)])) {
        if (!sameJson(before.hooks[event], next.hooks[event])) set(['hooks', event], next.hooks[event]);
      }
    } else {
      set([key], next[key]);
    }
  }
  return text;
}

/**
 * Writes `text` atomically, through a symlink to its target, keeping the file's mode. With `backUp`, the
 * previous file is first copied to `<file>.log-session.bak`, once: that copy is the user's own version.
 */
export async function writeSettingsFile(file: SettingsFile, text: string, { backUp }: { backUp: boolean }): Promise<void> {
  try {
    // A new file and folder are this user's alone whatever the umask (settings run commands); an existing file keeps its mode.
    await mkdir(dirname(file.path), { recursive: true, mode: 0o700 });
    if (backUp && file.text !== undefined && !existsSync(file.path + BACKUP_SUFFIX)) await copyFile(file.path, file.path + BACKUP_SUFFIX);
    await replaceFile(file.path, text, file.text === undefined ? { mode: 0o600 } : {});
  } catch (error) {
    const code = errorCode(error);
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
      throw new UsageError(`cannot write ${file.path} or its folder (${code}); make them writable and run again`);
    }
    throw error;
  }
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export function readOptional(path: string): Promise<string | undefined> {
  return orAbsent(readFile(path, 'utf8'));
}

/**
 * `text` without the property at `path`, its comma and the line break that led to it, so the lines around it
 * stay as they were (jsonc-parser's own removal of a first property also takes the indentation of the next).
 */
function removeProperty(text: string, path: string[]): string {
  const property = findNodeAtLocation(parseTree(text)!, path)?.parent;
  const siblings = property?.parent?.children;
  if (!property || !siblings) return text;
  const index = siblings.indexOf(property);
  const previous = siblings[index - 1];
  const following = siblings[index + 1];
  const [from, to] = previous
    ? [previous.offset + previous.length, property.offset + property.length]
    : following
      ? [property.offset, following.offset]
      : [property.parent!.offset + 1, property.parent!.offset + property.parent!.length - 1];
  return text.slice(0, from) + text.slice(to);
}

/** The file's own style: its line ending, and tabs or the width of its first indented line. */
function detectFormatting(text: string): FormattingOptions {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const indent = /\n([ \t]+)\S/.exec(text)?.[1];
  if (indent?.startsWith('\t')) return { eol, insertSpaces: false, tabSize: 1 };
  return { eol, insertSpaces: true, tabSize: indent?.length ?? 2 };
}
