import { basename, join } from 'node:path';
import { orNothing, readRegularFile } from '../disk.js';
import { isRecord, parseJson } from '../json.js';
import { readRepo } from './git.js';

/** Where a project's name comes from, strongest first. */
export interface ProjectNameSources {
  /** `--project`. */
  explicit?: string;
  /** `git remote get-url origin`. */
  originUrl?: string;
  /** package.json's `name`. */
  packageName?: string;
  folderName: string;
}

const FALLBACK = 'project';
const MAX_LENGTH = 100;

/**
 * --project wins; else origin repo name; else package.json name; else the folder name. Always a safe slug.
 * A source that slugs to nothing (only punctuation, say) gives way to the next one; if none is left, `project`.
 */
export function projectName(sources: ProjectNameSources): string {
  const candidates = [
    sources.explicit,
    sources.originUrl === undefined ? undefined : repoNameFromRemote(sources.originUrl),
    sources.packageName === undefined ? undefined : unscoped(sources.packageName),
    sources.folderName,
  ];
  for (const candidate of candidates) {
    const slug = candidate === undefined ? '' : slugOrEmpty(candidate);
    if (slug) return slug;
  }
  return FALLBACK;
}

/**
 * The repository's name from a remote URL: `git@github.com:acme/widget-core.git`, `https://host/a/b.git/`,
 * `ssh://git@host:22/a/b`, `file:///srv/b.git`, `/srv/b`, `C:\repos\b`. Undefined when there is no name in it.
 */
export function repoNameFromRemote(url: string): string | undefined {
  let path = url.trim();
  const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.exec(path);
  if (scheme) {
    // Drop scheme, credentials and host: a bare host (`https://github.com/`) has no repository name.
    const rest = path.slice(scheme[0].length);
    const slash = rest.search(/[/\\]/);
    path = slash === -1 ? '' : rest.slice(slash);
    path = path.replace(/[?#].*$/, '');
  } else {
    // scp-like `user@host:path`; a Windows drive letter (`C:\`) is not a host.
    const scp = /^[^/\\:]+:(?![/\\])/.exec(path);
    if (scp && !/^[A-Za-z]:$/.test(scp[0])) path = path.slice(scp[0].length);
  }
  const segments = path.split(/[/\\]+/).filter((segment) => segment !== '');
  const last = segments.at(-1)?.replace(/\.git$/i, '');
  if (!last || last === '.' || last === '..') return undefined;
  return last;
}

/** An npm package name as a slug: `@acme/widget` → `acme-widget`. */
export function packageSlug(name: string): string {
  return toSafeSlug(unscoped(name));
}

function unscoped(name: string): string {
  return name.trim().replace(/^@/, '').replace(/\//g, '-');
}

/**
 * A name that is safe as one folder name directly below `memory/projects/`: only `[A-Za-z0-9._-]`, no leading dot
 * (so never `.` or `..`), no `-` at either end, at most 100 characters, never empty (`project`).
 * Accents are dropped first (`café` → `cafe`); any other character becomes `-`.
 */
export function toSafeSlug(raw: string): string {
  return slugOrEmpty(raw) || FALLBACK;
}

function slugOrEmpty(raw: string): string {
  const slug = raw
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .replace(/[^A-Za-z0-9._-]/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^[.-]+/, '')
    .slice(0, MAX_LENGTH)
    .replace(/-+$/, '');
  return slug;
}

/**
 * The project a folder belongs to, named as `record` and the hooks name it: `explicit` first, else git origin's
 * repository name, else package.json's name, else the folder's name.
 */
export function projectForFolder(cwd: string, gitConfigFiles: string[] | undefined, explicit?: string): string {
  if (explicit) return projectName({ explicit, folderName: basename(cwd) });
  const repo = readRepo(cwd, gitConfigFiles);
  return projectNameAt(repo?.root ?? cwd, repo?.originUrl);
}

/** A package.json past this is not read for its name (real ones are a few KB): a planted huge one is never held. */
const MAX_MANIFEST_BYTES = 1 << 20;

/** The derived name of the project rooted at `root` (origin, else package.json's name, else the folder). */
export function projectNameAt(root: string, originUrl?: string, explicit?: string): string {
  const text = orNothing(() => readRegularFile(join(root, 'package.json'), MAX_MANIFEST_BYTES));
  const manifest = text === undefined ? undefined : parseJson(text);
  const name = manifest?.ok && isRecord(manifest.value) ? manifest.value.name : undefined;
  return projectName({ explicit, originUrl, packageName: typeof name === 'string' && name ? name : undefined, folderName: basename(root) });
}
