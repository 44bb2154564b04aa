import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { readRepo } from '../project/git.js';
import type { Paths } from '../paths.js';
import { projectName } from '../project/name.js';
import { errorCode } from '../errors.js';
import { isRecord } from '../is-record.js';
import { isListFile, listDocument, readFileOrBackup, recoveryFrom, type FileOrBackup } from './files.js';

/** One project's memory as read for people and the model: nothing is written. */
export interface ProjectMemory {
  project: string;
  /** Oldest first, as stored. */
  sessions: Record<string, unknown>[];
  /** Oldest first, as stored. */
  decisions: Record<string, unknown>[];
  context: Record<string, unknown>;
  /** From readProjectMemory: one line per file that could not be read as it is, saying what was read instead. */
  problems?: string[];
}

/**
 * Reads sessions.json, decisions.json and context.json of a project. A file that does not parse is read from its
 * backup, as the next write will go on from it, but unlike the store's reader nothing is moved aside: each such file
 * is named in `problems`. A file with neither reads as empty, and so does any item that is not an object.
 */
export async function readProjectMemory(paths: Paths, project: string): Promise<ProjectMemory> {
  const dir = join(paths.projectsDir, project);
  const problems: string[] = [];
  const [sessions, decisions, context] = await Promise.all([
    readRecovering(join(dir, 'sessions.json'), isListFile('sessions'), problems),
    readRecovering(join(dir, 'decisions.json'), isListFile('decisions'), problems),
    readRecovering(join(dir, 'context.json'), isRecord, problems),
  ]);
  return {
    project,
    sessions: listItems(sessions, 'sessions'),
    decisions: listItems(decisions, 'decisions'),
    context: isRecord(context) ? context : {},
    problems,
  };
}

function listItems(value: unknown, listKey: string): Record<string, unknown>[] {
  return listDocument(value, listKey).items.filter(isRecord);
}

async function readRecovering(path: string, isValid: (value: unknown) => boolean, problems: string[]): Promise<unknown> {
  let read: FileOrBackup;
  try {
    read = await readFileOrBackup(path, isValid);
  } catch (error) {
    problems.push(`${path} could not be read (${errorCode(error) ?? String(error)}), so it was read as empty`);
    return undefined;
  }
  const { file, backup, value } = read;
  if (backup === undefined) return value;
  const what = file.state === 'missing' ? 'is missing but its backup is not' : `is not valid (${describeCause(file.cause)})`;
  problems.push(`${path} ${what}; ${recoveryFrom(backup)}`);
  return value;
}

function describeCause(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}

async function readJsonOrUndefined(path: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * The project a folder belongs to, named as `record` and the hooks name it: `explicit` first, else git origin's
 * repository name, else package.json's name, else the folder's name (see project-name.ts).
 */
export async function projectForFolder(cwd: string, explicit?: string): Promise<string> {
  if (explicit) return projectName({ explicit, folderName: basename(cwd) });
  const repo = await readRepo(cwd);
  return projectNameAt(repo?.root ?? cwd, repo?.originUrl);
}

/** The derived name of the project rooted at `root` (origin, else package.json's name, else the folder). */
export async function projectNameAt(root: string, originUrl?: string, explicit?: string): Promise<string> {
  const manifest = await readJsonOrUndefined(join(root, 'package.json'));
  const name = isRecord(manifest) ? manifest.name : undefined;
  return projectName({ explicit, originUrl, packageName: typeof name === 'string' && name ? name : undefined, folderName: basename(root) });
}
