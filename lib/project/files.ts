import { lstatSync, realpathSync } from 'node:fs';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { displayPath } from '../paths.js';

export interface FileRoots {
  projectRoot: string;
  home: string;
  /** Folders of tools' own bookkeeping (Claude Code's config: plans, todos; our memory and state): never the session's work. */
  bookkeeping: string[];
}

/**
 * `toProjectFiles` on real paths: every symlink resolved first, in the files and the roots, so a file reached
 * through a symlinked folder and the same file as git names it are one file. A session can list 100,000 files,
 * so each takes one pass of string operations and one lstat: a folder's real path is looked up once, and only a
 * file that is itself a link is resolved whole (a realpath per file, all at once, held gigabytes for a million).
 */
export function realProjectFiles(paths: string[], roots: FileRoots): string[] {
  const projectRoot = realPath(roots.projectRoot);
  const [home, ...bookkeeping] = [roots.home, ...roots.bookkeeping].map(realPath);
  const realRoots = { projectRoot, home: home!, bookkeeping };
  const realFolders = new Map<string, string>();
  const files = new Set<string>();
  for (const path of paths) {
    if (path === '') continue;
    const absolute = resolve(projectRoot, path);
    const cut = absolute.lastIndexOf(sep);
    const folder = absolute.slice(0, cut) || sep;
    let realFolder = realFolders.get(folder);
    if (realFolder === undefined) realFolders.set(folder, (realFolder = realPath(folder)));
    const real = `${realFolder.endsWith(sep) ? realFolder : realFolder + sep}${absolute.slice(cut + 1)}`;
    addProjectFile(files, isSymlink(real) ? realPath(real) : real, realRoots);
  }
  return [...files].sort();
}

/** Whether `path` is a symlink; what cannot be looked at (missing, below a file) is not. */
function isSymlink(path: string): boolean {
  try {
    return lstatSync(path, { throwIfNoEntry: false })?.isSymbolicLink() ?? false;
  } catch {
    return false;
  }
}

/**
 * Absolute paths -> `files_modified`: relative to projectRoot with forward slashes when inside it, else absolute
 * with the home folder written as '~'; files under a bookkeeping folder left out; sorted, unique.
 * Strings that are already relative are taken as relative to projectRoot.
 */
export function toProjectFiles(paths: Iterable<string>, roots: FileRoots): string[] {
  const projectRoot = resolve(roots.projectRoot);
  const normalRoots = { projectRoot, home: resolve(roots.home), bookkeeping: roots.bookkeeping.map((dir) => resolve(dir)) };
  const files = new Set<string>();
  for (const path of paths) if (path !== '') addProjectFile(files, resolve(projectRoot, path), normalRoots);
  return [...files].sort();
}

/** Adds an absolute, normalised path (roots too) to `files` as toProjectFiles names it, unless it is bookkeeping. */
function addProjectFile(files: Set<string>, path: string, roots: FileRoots): void {
  if (roots.bookkeeping.some((dir) => isInside(path, dir))) return;
  if (isInside(path, roots.projectRoot)) {
    const relative = below(path, roots.projectRoot);
    // Forward slashes everywhere; on POSIX they already are (a replaceAll would copy every name for nothing).
    files.add(sep === '/' ? relative : relative.replaceAll(sep, '/'));
  } else {
    files.add(displayPath(path, roots.home));
  }
}

/** The path with every symlink resolved; for a path that does not exist (a deleted file), its nearest existing folder's. */
function realPath(path: string): string {
  try {
    return realpathSync.native(path);
  } catch {
    const parent = dirname(path);
    return parent === path ? path : join(realPath(parent), basename(path));
  }
}

/**
 * Whether `path` is strictly below `dir`, both absolute and normalised (as `resolve` leaves them): a comparison of
 * strings, where `relative` took microseconds a path, too slow for a session's hundreds of thousands of files.
 */
function isInside(path: string, dir: string): boolean {
  return path.length > dir.length && path.startsWith(dir) && (dir.endsWith(sep) || path[dir.length] === sep);
}

/** `path` relative to `dir`, a folder it is inside (see isInside). */
function below(path: string, dir: string): string {
  return path.slice(dir.endsWith(sep) ? dir.length : dir.length + 1);
}
