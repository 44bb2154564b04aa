import { lstatSync, realpathSync, statSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { orAbsentSync, orNothing, readRegularFile } from '../disk.js';
import type { RepoFacts } from './git.js';

/**
 * The repository holding `cwd` as git's own files tell it, without running git: `{ repo }` (`repo` undefined
 * outside any repository), or `undefined` where the files alone may not say what git would, and git is to be asked:
 * - GIT_* variables that move the repository or its config (`gitConfigFiles` is then undefined: see Paths);
 * - a .git that is not a folder (a linked work tree, a submodule), a folder inside .git, a repository another user
 *   owns (git's safe.directory), a .git folder git would not take (no objects, refs or valid HEAD);
 * - a filesystem boundary crossed on the way up (git stops there);
 * - config beyond configFacts below.
 */
export function readRepoFiles(cwd: string, gitConfigFiles: string[] | undefined): { repo: RepoFacts | undefined } | undefined {
  if (!gitConfigFiles) return undefined;
  // Git names the root with symbolic links resolved.
  const start = orNothing(() => realpathSync.native(cwd));
  if (!start || start.split(sep).includes('.git')) return undefined;
  const device = orNothing(() => statSync(start))?.dev;
  for (let folder = start; ; ) {
    const dotGit = orNothing(() => lstatSync(join(folder, '.git')));
    if (dotGit) return dotGit.isDirectory() ? readRepoAt(folder, join(folder, '.git'), gitConfigFiles) : undefined;
    const parent = dirname(folder);
    if (parent === folder) return { repo: undefined };
    if (orNothing(() => statSync(parent))?.dev !== device) return undefined;
    folder = parent;
  }
}

function readRepoAt(root: string, gitDir: string, gitConfigFiles: string[]): { repo: RepoFacts } | undefined {
  const read = orNothing(() => {
    const head = readSmallFile(join(gitDir, 'HEAD'));
    const config = readSmallFile(join(gitDir, 'config'));
    statSync(join(gitDir, 'objects'));
    statSync(join(gitDir, 'refs'));
    // A config file that is not there reads as empty; one that cannot be read small makes git be asked.
    const otherConfigs = gitConfigFiles.map((file) => orAbsentSync(() => readSmallFile(file)) ?? '');
    return { head, config, rootInfo: statSync(root), gitDirInfo: statSync(gitDir), otherConfigs };
  });
  if (!read) return undefined;
  const { head, config, rootInfo, gitDirInfo, otherConfigs } = read;
  const uid = process.getuid?.();
  if (uid === undefined || rootInfo.uid !== uid || gitDirInfo.uid !== uid) return undefined;
  const checkedOut = headFacts(head);
  const configured = configFacts(config, otherConfigs);
  if (!checkedOut || !configured) return undefined;
  return { repo: { root, ...checkedOut, ...configured, gitDir } };
}

/** What git's files may weigh to be read here: config files are a few KB; anything else makes git be asked. */
const MAX_FILE_BYTES = 1 << 20;

function readSmallFile(path: string): string {
  return readRegularFile(path, MAX_FILE_BYTES);
}

/** The branch HEAD names (none when it holds a commit: detached), or `undefined` for anything else. */
export function headFacts(head: string): { branch?: string } | undefined {
  const line = head.replace(/\r?\n$/, '');
  if (/^[0-9a-f]{40}(?:[0-9a-f]{24})?$/.test(line)) return {};
  const branch = /^ref: refs\/heads\/([^\s]+)$/.exec(line)?.[1];
  return branch === undefined ? undefined : { branch };
}

interface ConfigEntry {
  /** Lower case, as git compares them. */
  section: string;
  /** As written: git compares it exactly (the old `[remote.origin]` form is lower-cased, as git does). */
  subsection?: string;
  key: string;
  /** As written after `=`, comments not yet taken off; undefined for a key without `=` (a boolean true). */
  value?: string;
}

/**
 * What a repository's config says of its origin (`remote.origin.url`, the first), with git's other config files
 * (`others`) taken into account, or `undefined` where git might read it otherwise: a file this reader does not follow
 * whole (a line continued with `\`, a key on a section's line), an include, a URL rewrite (`insteadOf`), a remote set
 * outside the repository, a work tree or bareness set in config, an extension (reftable, per-worktree config), an
 * origin URL written with quotes or escapes. Those are rare, and git itself answers them. A library was not used:
 * `ini` (the common one) reads keys case-sensitively and lets the last duplicate win, where git does neither.
 */
export function configFacts(repoConfig: string, others: string[]): { originUrl?: string } | undefined {
  const repo = configEntries(repoConfig);
  const rest = others.map(configEntries);
  if (!repo || rest.some((entries) => !entries)) return undefined;
  const beyond = (entry: ConfigEntry) =>
    entry.section === 'include' || entry.section === 'includeif' || (entry.section === 'url' && entry.key === 'insteadof') || entry.section === 'extensions';
  if ([repo, ...rest].some((entries) => entries!.some(beyond))) return undefined;
  if (rest.some((entries) => entries!.some((entry) => entry.section === 'remote'))) return undefined;
  if (repo.some((entry) => entry.section === 'core' && (entry.key === 'worktree' || (entry.key === 'bare' && isTrue(entry.value))))) return undefined;
  const origin = repo.find((entry) => entry.section === 'remote' && entry.subsection === 'origin' && entry.key === 'url');
  if (!origin) return {};
  // Git ends a value at a `#` or `;` outside quotes: a URL holding one is left to git.
  const url = origin.value?.trim();
  if (url === undefined || url === '' || /["\\#;]/.test(url)) return undefined;
  return { originUrl: url };
}

const SECTION = /^\[\s*([A-Za-z0-9.-]+)(?:\s+"((?:[^"\\]|\\.)*)")?\s*\]\s*(?:[#;].*)?$/;
const ENTRY = /^([A-Za-z][A-Za-z0-9-]*)\s*(?:=\s*(.*))?$/;

/** A config file's entries, or `undefined` when a line is beyond this reader. */
function configEntries(text: string): ConfigEntry[] | undefined {
  const entries: ConfigEntry[] = [];
  let section = '';
  let subsection: string | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    if (line.startsWith('[')) {
      const header = SECTION.exec(line);
      if (!header) return undefined;
      const name = header[1]!.toLowerCase();
      const dot = name.indexOf('.');
      [section, subsection] = header[2] !== undefined ? [name, header[2].replace(/\\(.)/g, '$1')] : dot === -1 ? [name, undefined] : [name.slice(0, dot), name.slice(dot + 1)];
      continue;
    }
    const entry = ENTRY.exec(line);
    if (!entry || entry[2]?.endsWith('\\')) return undefined;
    entries.push({ section, ...(subsection === undefined ? {} : { subsection }), key: entry[1]!.toLowerCase(), ...(entry[2] === undefined ? {} : { value: entry[2] }) });
  }
  return entries;
}

function isTrue(value: string | undefined): boolean {
  return value === undefined || /^(true|yes|on|1)$/i.test(value.replace(/[#;].*$/, '').trim());
}
