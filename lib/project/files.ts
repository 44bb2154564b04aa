import { realpath } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { displayPath } from '../paths.js';

export interface FileRoots {
  projectRoot: string;
  home: string;
  /** Folders of tools' own bookkeeping (Claude Code's config: plans, todos; our memory and state): never the session's work. */
  bookkeeping: string[];
}

/**
 * `toProjectFiles` on real paths: every symlink resolved first, in the files and the roots, so a file reached
 * through a symlinked folder and the same file as git names it are one file.
 */
export async function realProjectFiles(paths: string[], roots: FileRoots): Promise<string[]> {
  const projectRoot = await realPath(roots.projectRoot);
  const [home, ...bookkeeping] = await Promise.all([roots.home, ...roots.bookkeeping].map(realPath));
  const real = await Promise.all(paths.map((path) => realPath(resolve(projectRoot, path))));
  return toProjectFiles(real, { projectRoot, home: home!, bookkeeping });
}

/**
 * Absolute paths -> `files_modified`: relative to projectRoot with forward slashes when inside it, else absolute
 * with the home folder written as '~'; files under a bookkeeping folder left out; sorted, unique.
 * Strings that are already relative are taken as relative to projectRoot.
 */
export function toProjectFiles(paths: Iterable<string>, roots: FileRoots): string[] {
  const projectRoot = resolve(roots.projectRoot);
  const home = resolve(roots.home);
  const bookkeeping = roots.bookkeeping.map((dir) => resolve(dir));
  const files = new Set<string>();
  for (const path of paths) {
    if (path === '') continue;
    const absolute = resolve(projectRoot, path);
    if (bookkeeping.some((dir) => isInside(absolute, dir))) continue;
    files.add(isInside(absolute, projectRoot) ? relative(projectRoot, absolute).split(sep).join('/') : displayPath(absolute, home));
  }
  return [...files].sort();
}

/** The path with every symlink resolved; for a path that does not exist (a deleted file), its nearest existing folder's. */
async function realPath(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch {
    const parent = dirname(path);
    return parent === path ? path : join(await realPath(parent), basename(path));
  }
}

/** Whether `path` is strictly below `dir`. */
function isInside(path: string, dir: string): boolean {
  const rel = relative(dir, path);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}
