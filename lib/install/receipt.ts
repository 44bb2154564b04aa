/**
 * What `install` changed in one settings file, kept in log-session's state folder (never beside the user's
 * settings), so that `uninstall` gives back the exact bytes while the file is as install left it: the edits that
 * undo ours, whether the file existed, and the folders install created. The edits hold only what install took
 * out of the file (layout, our own earlier command strings): never a copy of the user's settings, which can hold
 * secrets.
 */

import { createHash } from 'node:crypto';
import { mkdir, readdir, rm, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { applyEdits } from 'jsonc-parser';
import * as z from 'zod/mini';
import { orAbsent, replaceFile } from '../disk.js';
import { errorCode } from '../errors.js';
import { parseJson } from '../json.js';
import type { Paths } from '../paths.js';
import { inverseEdit, type Edit } from './json-edit.js';
import { emptyHooksOf, findOurHooks, removeOurHooks, type EmptyHooks, type IsOurRoot } from './settings-hooks.js';
import { editSettingsText, readOptional, removeSettingsFile, writeSettingsFile, type SettingsFile } from './settings-file.js';

const editSchema = z.object({ offset: z.number(), length: z.number(), content: z.string() });

const receiptSchema = z.object({
  settingsFile: z.string(),
  /** sha256 of the text install wrote last. */
  written: z.string(),
  /** Whether the settings file existed before the first install. */
  existed: z.boolean(),
  /** Edits, applied in order, that turn the written text back into the user's; null when install took out more than layout and our own strings. */
  undo: z.nullable(z.array(editSchema)),
  /** Folders install created, deepest last: uninstall removes them again when it leaves them empty. */
  createdFolders: z.array(z.string()),
  /** The user's own empty hook containers, kept by an uninstall that cannot give the bytes back. */
  keptEmpty: z.object({ hooks: z.boolean(), events: z.array(z.string()) }),
});

export type InstallReceipt = z.infer<typeof receiptSchema>;

export function hashText(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * The receipt after an install turned `before` into `after` by `edits`. `earlier` counts only while the file is
 * still what it recorded; a file that holds hooks of ours it did not record cannot be given back exactly.
 */
export function nextReceipt(
  settingsFile: string,
  before: string | undefined,
  after: string,
  edits: Edit[],
  {
    earlier,
    holdsOurHooks,
    createdFolders,
    keptEmpty,
  }: { earlier: InstallReceipt | undefined; holdsOurHooks: boolean; createdFolders: string[]; keptEmpty: EmptyHooks },
): InstallReceipt {
  const current = earlier && before !== undefined && earlier.written === hashText(before) ? earlier : undefined;
  const undo = undoEdits(before ?? '', edits);
  const base = current ?? { existed: before !== undefined, undo: holdsOurHooks ? null : [], createdFolders: earlier?.createdFolders ?? [], keptEmpty };
  return {
    settingsFile,
    written: hashText(after),
    existed: base.existed,
    undo: undo && base.undo ? [...undo, ...base.undo] : null,
    createdFolders: [...new Set([...base.createdFolders, ...createdFolders])],
    keptEmpty: base.keptEmpty,
  };
}

/**
 * The inverses of `edits` (made in order to `before`), last first; undefined when one would put back more than
 * layout or a string or number literal (an object taken out may be the user's, and the receipt holds no copy of it).
 */
function undoEdits(before: string, edits: Edit[]): Edit[] | undefined {
  const inverses: Edit[] = [];
  let text = before;
  for (const edit of edits) {
    const inverse = inverseEdit(text, edit);
    if (!/^\s*$|^\s*("(?:[^"\\]|\\.)*"|-?\d[\d.eE+-]*)\s*$/.test(inverse.content)) return undefined;
    inverses.unshift(inverse);
    text = applyEdits(text, [edit]);
  }
  return inverses;
}

/** The user's text back (null: the file did not exist), when `current` is what install wrote and the undo is known. */
export function restoredText(current: string | undefined, receipt: InstallReceipt): string | null | undefined {
  if (current === undefined || receipt.undo === null || hashText(current) !== receipt.written) return undefined;
  if (!receipt.existed) return null;
  return receipt.undo.reduce((text, edit) => applyEdits(text, [edit]), current);
}

export function receiptPath(paths: Paths, settingsFile: string): string {
  return join(paths.installReceiptsDir, `${hashText(settingsFile).slice(0, 16)}.json`);
}

/** The receipt for a settings file; one that does not parse, or names another file, reads as none. */
export async function readReceipt(paths: Paths, settingsFile: string): Promise<InstallReceipt | undefined> {
  const text = await readOptional(receiptPath(paths, settingsFile));
  const parsed = text === undefined ? undefined : parseJson(text);
  const receipt = parsed?.ok ? receiptSchema.safeParse(parsed.value) : undefined;
  return receipt?.success && receipt.data.settingsFile === settingsFile ? receipt.data : undefined;
}

export async function writeReceipt(paths: Paths, receipt: InstallReceipt): Promise<void> {
  await mkdir(paths.installReceiptsDir, { recursive: true, mode: 0o700 });
  await replaceFile(receiptPath(paths, receipt.settingsFile), `${JSON.stringify(receipt, null, 2)}\n`, { mode: 0o600 });
}

/** Removes the receipt, and its folder when that is left empty. */
export async function removeReceipt(paths: Paths, settingsFile: string): Promise<void> {
  await rm(receiptPath(paths, settingsFile), { force: true });
  if ((await orAbsent(readdir(paths.installReceiptsDir)))?.length === 0) await removeEmptyFolder(paths.installReceiptsDir);
}

/** Removes the folders install created, deepest first, each only when empty. */
export async function removeCreatedFolders(folders: string[]): Promise<void> {
  for (const folder of [...folders].sort((a, b) => b.length - a.length)) await removeEmptyFolder(folder);
}

async function removeEmptyFolder(folder: string): Promise<void> {
  try {
    await rmdir(folder);
  } catch (error) {
    if (!['ENOENT', 'ENOTEMPTY', 'EEXIST'].includes(errorCode(error) ?? '')) throw error;
  }
}

/**
 * Writes install's `next` text of a settings file, and the receipt that lets uninstall give the user's bytes back.
 * `createdFolders`: the folders install is about to create, noted before anything creates them.
 */
export async function writeSettingsWithReceipt(
  paths: Paths,
  current: SettingsFile,
  next: { text: string; edits: Edit[] },
  isOurRoot: IsOurRoot,
  createdFolders: string[],
): Promise<void> {
  const earlier = await readReceipt(paths, current.path);
  const holdsOurHooks = findOurHooks(current.settings, isOurRoot).length > 0;
  await writeSettingsFile(current, next.text);
  const keptEmpty = emptyHooksOf(current.settings);
  await writeReceipt(paths, nextReceipt(current.path, current.text, next.text, next.edits, { earlier, holdsOurHooks, createdFolders, keptEmpty }));
}

/**
 * Takes install's changes out of a settings file: the user's bytes when it is as install left it (the receipt),
 * else only our hooks; then the folders install created, when empty (so whatever else install put in them goes
 * first), and the receipt.
 */
export async function removeOurSettings(paths: Paths, current: SettingsFile, isOurRoot: IsOurRoot): Promise<void> {
  const receipt = await readReceipt(paths, current.path);
  const restored = receipt && restoredText(current.text, receipt);
  if (restored === null) await removeSettingsFile(current.path);
  else if (restored !== undefined) await writeSettingsFile(current, restored);
  else if (findOurHooks(current.settings, isOurRoot).length) {
    await writeSettingsFile(current, editSettingsText(current, removeOurHooks(current.settings, isOurRoot, receipt?.keptEmpty)).text);
  }
  if (receipt) {
    await removeCreatedFolders(receipt.createdFolders);
    await removeReceipt(paths, current.path);
  }
}
