import { execFile } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';

export interface RepoFacts {
  root: string;
  branch?: string;
  originUrl?: string;
}

/**
 * The repository holding `cwd`: its root and origin, without its branch (SessionStart needs none, and each git
 * process costs Node a fork). Git outside a repo (or without git) is an expected absence: `undefined`, never an error.
 */
export async function readRepo(cwd: string): Promise<RepoFacts | undefined> {
  // Both answer the same from any folder of the work tree: one round, not two.
  const [root, originUrl] = await Promise.all([git(cwd, ['rev-parse', '--show-toplevel']), git(cwd, ['remote', 'get-url', 'origin'])]);
  if (!root) return undefined;
  return { root, ...(originUrl ? { originUrl } : {}) };
}

/** `readRepo` with the branch checked out (none when detached). */
export async function readRepoWithBranch(cwd: string): Promise<RepoFacts | undefined> {
  const [repo, branch] = await Promise.all([readRepo(cwd), git(cwd, ['symbolic-ref', '--quiet', '--short', 'HEAD'])]);
  return repo && { ...repo, ...(branch ? { branch } : {}) };
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
export async function readWorkTree(root: string): Promise<WorkTreeStatus> {
  const status: WorkTreeStatus = new Map();
  const records = ((await git(root, ['status', '--porcelain=v1', '-z', '--untracked-files=all'])) ?? '').split('\0');
  for (let index = 0; index < records.length; index++) {
    const record = records[index] ?? '';
    if (record.length < 4) continue;
    const code = record.slice(0, 2);
    status.set(record.slice(3), { code });
    // A rename or copy carries its source next: the rename's source is gone from the work tree.
    if (code[0] === 'R' || code[0] === 'C') status.set(records[++index] ?? '', { code: code[0] === 'R' ? 'D ' : code });
  }
  status.delete('');
  await Promise.all(
    [...status].map(async ([path, entry]) => {
      const info = await stat(join(root, path)).catch(() => undefined);
      if (info) Object.assign(entry, { mtime: info.mtimeMs, ctime: info.ctimeMs });
    }),
  );
  return status;
}

/** The work tree as a session last saw it: each changed path with a fingerprint of its state then. */
export interface WorkTreeSnapshot {
  /** ISO. */
  at: string;
  files: Record<string, string>;
}

/** The snapshot to keep for the next observation. */
export function snapshotOf(current: WorkTreeStatus, at: Date): WorkTreeSnapshot {
  return { at: at.toISOString(), files: Object.fromEntries([...current].map(([path, entry]) => [path, fingerprint(entry)])) };
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
export async function readCommits(root: string, since: number, until: number): Promise<Commit[]> {
  // Commit times are whole seconds: round the start up, so a commit made just before the window is not taken.
  const log = await git(root, ['log', '--reverse', `--since=@${Math.ceil(since / 1000)}`, `--until=@${Math.floor(until / 1000)}`, '--no-renames', '--name-only', '-z', '--format=%x1e%ct %s']);
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
 * Git's output without its final newline, or `undefined` when it fails. Node's own execFile: execa made every hook
 * that reads git load and compile 250 KB more, for this one call.
 */
function git(cwd: string, args: string[]): Promise<string | undefined> {
  return new Promise((done) => {
    execFile('git', args, { cwd, encoding: 'utf8', timeout: 5000, maxBuffer: MAX_OUTPUT_BYTES }, (error, stdout) =>
      done(error ? undefined : stdout.replace(/\r?\n$/, '')),
    );
  });
}
