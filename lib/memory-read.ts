import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { readRepo } from './git.js';
import type { Paths } from './paths.js';
import { projectName } from './project-name.js';
import { isRecord } from './store.js';

/** One project's memory as read for people and the model: damaged parts read as empty, nothing is written. */
export interface ProjectMemory {
  project: string;
  /** Oldest first, as stored. */
  sessions: Record<string, unknown>[];
  /** Oldest first, as stored. */
  decisions: Record<string, unknown>[];
  context: Record<string, unknown>;
}

/**
 * Reads sessions.json, decisions.json and context.json of a project. Unlike the store's reader this never moves
 * a bad file aside: a missing, unreadable or misshapen file reads as empty, and so does any item that is not an object.
 */
export async function readProjectMemory(paths: Paths, project: string): Promise<ProjectMemory> {
  const dir = join(paths.projectsDir, project);
  const [sessions, decisions, context] = await Promise.all([
    readListFile(join(dir, 'sessions.json'), 'sessions'),
    readListFile(join(dir, 'decisions.json'), 'decisions'),
    readJsonOrUndefined(join(dir, 'context.json')),
  ]);
  return { project, sessions, decisions, context: isRecord(context) ? context : {} };
}

async function readListFile(path: string, listKey: string): Promise<Record<string, unknown>[]> {
  const value = await readJsonOrUndefined(path);
  const list = Array.isArray(value) ? value : isRecord(value) ? value[listKey] : undefined;
  return Array.isArray(list) ? list.filter(isRecord) : [];
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
