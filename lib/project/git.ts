import { existsSync, lstatSync } from 'node:fs';
import { join } from 'node:path';
import { requireBuiltin } from '../builtin.js';
import { orNothing, readRegularBytes } from '../disk.js';
import { errorCode } from '../errors.js';
import { readRepoFiles } from './git-files.js';
import { gitIndexDigest, parseGitIndex } from './git-index.js';

export interface RepoFacts {
  root: string;
  branch?: string;
  originUrl?: string;
  /** Its .git folder, where git's own files settled the repository (git-files.ts); git was asked otherwise. */
  gitDir?: string;
}

/**
 * The repository holding `cwd`: its root and origin (and its branch, where the files tell it). Outside a repo (or
 * without git) that is an expected absence: `undefined`, never an error. Read from the files git keeps where those
 * settle it (git-files.ts), else asked of git: each git process costs a hook about a sixth of `node -e 0`
 * (`farm-bench`). `gitConfigFiles`: Paths.gitConfigFiles.
 */
export function readRepo(cwd: string, gitConfigFiles: string[] | undefined): RepoFacts | undefined {
  const read = readRepoFiles(cwd, gitConfigFiles);
  return read ? read.repo : askGit(cwd, false);
}

/** `readRepo` with the branch checked out (none when detached). */
export function readRepoWithBranch(cwd: string, gitConfigFiles: string[] | undefined): RepoFacts | undefined {
  const read = readRepoFiles(cwd, gitConfigFiles);
  return read ? read.repo : askGit(cwd, true);
}

function askGit(cwd: string, withBranch: boolean): RepoFacts | undefined {
  const root = git(cwd, ['rev-parse', '--show-toplevel']);
  if (!root) return undefined;
  const originUrl = git(cwd, ['remote', 'get-url', 'origin']);
  const branch = withBranch ? git(cwd, ['symbolic-ref', '--quiet', '--short', 'HEAD']) : undefined;
  return { root, ...(originUrl ? { originUrl } : {}), ...(branch ? { branch } : {}) };
}

/** What `git status` names in a work tree, each path with its times (none: it is gone). */
export type WorkTreeStatus = Map<string, WorkTreeChange>;

export interface WorkTreeChange {
  code: string;
  /** Last change of the content. */
  mtime?: number;
  /** Last change of the file itself: a rename (`mv` keeps the mtime) or a change of mode moves it too. */
  ctime?: number;
}

/** The work tree's changes as git names them: paths relative to `root`; a rename's record gives both, the old one gone. */
export function readWorkTree(root: string): WorkTreeStatus {
  const status: WorkTreeStatus = new Map();
  const records = (git(root, ['status', '--porcelain=v1', '-z', '--untracked-files=all']) ?? '').split('\0');
  for (let index = 0; index < records.length; index++) {
    const record = records[index] ?? '';
    if (record.length < 4) continue;
    const code = record.slice(0, 2);
    status.set(record.slice(3), { code });
    // A rename or copy carries its source next: the rename's source is gone from the work tree.
    if (code[0] === 'R' || code[0] === 'C') status.set(records[++index] ?? '', { code: code[0] === 'R' ? 'D ' : code });
  }
  status.delete('');
  for (const [path, entry] of status) {
    const info = orNothing(() => lstatSync(join(root, path)));
    if (info) Object.assign(entry, { mtime: info.mtimeMs, ctime: info.ctimeMs });
  }
  return status;
}

/**
 * The work tree as a session last saw it. Where the index can be read here, only what the index tracks and the work
 * tree lacks, with a digest of the index's paths (a file staged for deletion is told by it): what else changed
 * before is older than `at`, which its times tell. Else every path git status named, with a fingerprint of its
 * state then.
 */
export interface WorkTreeSnapshot {
  /** ISO. */
  at: string;
  files: Record<string, string>;
  /** The digest of the paths the index held (git-index.ts); only on a snapshot of the index's kind. */
  indexDigest?: string;
}

/** A tracked file the work tree lacks, in a snapshot of the index's kind. */
const GONE = fingerprint({ code: ' D' });

/** The snapshot to keep for the next observation; `indexDigest` where the index could be read. */
export function snapshotOf(current: WorkTreeStatus, at: Date, indexDigest?: string): WorkTreeSnapshot {
  const entries = [...current];
  if (indexDigest === undefined) return { at: at.toISOString(), files: Object.fromEntries(entries.map(([path, entry]) => [path, fingerprint(entry)])) };
  // Gone from the work tree but not from the index: a path staged for deletion ('D ', a rename's source) is not tracked.
  const gone = entries.filter(([, entry]) => entry.mtime === undefined && entry.code[0] !== 'D').map(([path]) => path);
  return indexSnapshot(gone, at, indexDigest);
}

function indexSnapshot(gone: string[], at: Date, indexDigest: string): WorkTreeSnapshot {
  return { at: at.toISOString(), files: Object.fromEntries(gone.map((path) => [path, GONE])), indexDigest };
}

/**
 * The snapshot to keep where nothing is taken for the session now (its start, a turn with nothing new), read from
 * the index without running git where git's own files settled the repository and the index is one parseGitIndex
 * reads, else from git status.
 */
export function snapshotForLater(repo: RepoFacts, at: Date): WorkTreeSnapshot {
  const gone = repo.gitDir ? readGoneFromIndex(repo.root, repo.gitDir) : undefined;
  return gone ? indexSnapshot(gone.paths, at, gone.indexDigest) : snapshotOf(readWorkTree(repo.root), at);
}

/** The digest of the paths the index holds now, or `undefined` where it cannot be read here. */
export function readIndexDigest(gitDir: string): string | undefined {
  const bytes = readIndexBytes(gitDir);
  return bytes && gitIndexDigest(bytes);
}

/**
 * Past this many bytes (some 10,000 tracked files) git's own status compares the work tree: checking that many
 * files costs Node as much as starting git does (`farm-bench`, 20 pairs: 2.20x `node -e 0` against 2.29x at 10,000
 * files, 1.85x against 2.32x at 5,000), and git's refresh runs on several threads and can ask a file-system monitor.
 */
const MAX_INDEX_BYTES = 1 << 20;

function readIndexBytes(gitDir: string): Buffer | undefined {
  return orNothing(() => readRegularBytes(join(gitDir, 'index'), MAX_INDEX_BYTES));
}

/** The tracked paths that are not there: those readWorkTree finds gone. */
function readGoneFromIndex(root: string, gitDir: string): { paths: string[]; indexDigest: string } | undefined {
  const bytes = readIndexBytes(gitDir);
  const index = bytes && parseGitIndex(bytes);
  if (!index) return undefined;
  const paths: string[] = [];
  for (const path of index.checkedOut) {
    // existsSync builds no Stats: a third of lstatSync's cost per file. It follows a link, which lstat does not.
    if (existsSync(join(root, path))) continue;
    try {
      lstatSync(join(root, path));
    } catch (error) {
      const code = errorCode(error);
      if (code !== 'ENOENT' && code !== 'ENOTDIR') return undefined;
      paths.push(path);
    }
  }
  return { paths, indexDigest: index.pathsDigest };
}

/** A changed path's state as a string: two observations that differ changed in between. */
export function fingerprint(entry: WorkTreeChange): string {
  return entry.mtime === undefined ? `${entry.code}|gone` : `${entry.code}|${entry.mtime}|${entry.ctime}`;
}

export interface Commit {
  /** Commit time, ms. */
  at: number;
  /** Its subject line. */
  subject: string;
  /** Every path it touched (a rename as both paths). */
  files: string[];
}

/** Commits made between `since` and `until` (ms), oldest first. */
export function readCommits(root: string, since: number, until: number): Commit[] {
  // Commit times are whole seconds: round the start up, so a commit made just before the window is not taken.
  const log = git(root, ['log', '--reverse', `--since=@${Math.ceil(since / 1000)}`, `--until=@${Math.floor(until / 1000)}`, '--no-renames', '--name-only', '-z', '--format=%x1e%ct %s']);
  return (log ?? '').split('\x1e').flatMap((record) => {
    // `<time> <subject>`, then NUL and newline before the names; a commit without files ends at the NUL.
    const [head = '', names = ''] = record.split('\0\n');
    const time = /^\d+/.exec(head)?.[0];
    if (!time) return [];
    const subject = head.slice(time.length + 1).replace(/\0$/, '');
    // NUL-separated names; a name may hold spaces or newlines anywhere, so no trimming.
    return [{ at: Number(time) * 1000, subject, files: names.split('\0').filter((name) => name !== '') }];
  });
}

/** What git prints at most: the status of a work tree with a million changed paths. */
const MAX_OUTPUT_BYTES = 256 * 1024 * 1024;

/**
 * Git's output without its final newline, or `undefined` when it fails. Node's spawnSync: execa made every hook
 * that reads git load and compile 250 KB more, and execFile's streams and pipes cost a hook about 9 ms more CPU
 * than spawnSync's (`farm-bench`, 20 pairs); every caller waits for git's answer before going on anyway.
 */
function git(cwd: string, args: string[]): string | undefined {
  // Without optional locks: a status run after every turn must never hold index.lock while the user's own `git add`
  // or `commit` wants it (theirs would fail). Same CPU either way (farm-bench, 20 pairs).
  const { spawnSync } = requireBuiltin<typeof import('node:child_process')>('node:child_process');
  const result = spawnSync('git', ['--no-optional-locks', ...args], { cwd, encoding: 'utf8', timeout: 5000, maxBuffer: MAX_OUTPUT_BYTES });
  return result.status === 0 ? result.stdout.replace(/\r?\n$/, '') : undefined;
}
