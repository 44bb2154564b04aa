import { existsSync } from 'node:fs';
import { mkdir, readdir, realpath, rm } from 'node:fs/promises';
import { basename, dirname, join, sep } from 'node:path';
import { orNothing } from '../disk.js';
import { UsageError } from '../errors.js';
import { parseJson } from '../json.js';
import { LOCK_TIMEOUT_MS, withLock, withProjectLock } from '../memory/lock.js';
import { isValidFile } from '../memory/shape.js';
import { readStoreFile, replaceStoreFile } from '../memory/store-file.js';
import { writeJsonFile } from '../memory/files.js';
import { findSessionOfEntry, readSessionState, withSessionLock, writeSessionState } from '../memory/state.js';
import { memoryFileKindOf, renameSession, sessionMoves, type IdRename } from '../memory/sync-merge.js';
import type { Paths } from '../paths.js';
import { runGit, type GitResult } from './git.js';
import { readSyncJournal, writeSyncJournal } from './journal.js';
import { checkDriverSetUp, isMachineLocal } from './setup.js';

export interface SyncOptions {
  dryRun: boolean;
  /** `--repo DIR`: the repository holding the memory, remembered for the next syncs. */
  repo?: string;
  /** How git runs our CLI from anywhere (`node /abs/dist/cli.js`). */
  driverCommand: string;
  now: () => Date;
}

export interface SyncReport {
  repo: string;
  /** What was set up (or, on a dry run, would be). */
  setUp: string[];
  /** What an interrupted sync had left, and how it was finished. */
  recovered: string[];
  /** On a dry run: the memory files with changes to commit. */
  changes: string[];
  committed: boolean;
  /** `none`: the remote has nothing new; `fast-forward`; `merged`; `first push`: the remote had no such branch. */
  merge: 'none' | 'fast-forward' | 'merged' | 'first push' | 'skipped';
  pushed: boolean;
  /** What the merge driver had to decide (ids moved on, texts kept from both sides). */
  notes: string[];
}

/** A sync that could not finish: the repository is as it was before it, or a state the next sync completes. */
export class SyncError extends Error {
  override name = 'SyncError';
}

/**
 * Syncs the memory through its git repository: finish what a killed sync left, set up the driver, commit the
 * memory's changes, fetch, merge (the driver merges memory files by identity), push. The commit and the merge run
 * holding every project's lock, so no hook writes a memory file while git does; the network runs outside them.
 */
export async function syncMemory(paths: Paths, options: SyncOptions): Promise<SyncReport> {
  const journal = readSyncJournal(paths);
  const { repo, memoryDir } = await findMemoryRepo(paths, options.repo ?? journal.repo);
  const report: SyncReport = { repo, setUp: [], recovered: [], changes: [], committed: false, merge: 'skipped', pushed: false, notes: [] };
  await mkdir(join(paths.stateDir, 'locks'), { recursive: true, mode: 0o700 });
  return withLock(join(paths.stateDir, 'locks', 'sync.lock'), { timeoutMs: LOCK_TIMEOUT_MS }, async () => {
    const current = readSyncJournal(paths);
    const setUp = await checkDriverSetUp(repo, memoryDir, options.driverCommand);
    report.setUp = setUp.missing;
    if (options.dryRun) {
      report.changes = (await gitOrFail(repo, ['status', '--porcelain=v1', '--untracked-files=all', '--', memoryDir], 'reading the memory\'s changes')).split('\n').filter(Boolean).map((line) => line.slice(3)).filter((path) => !isMachineLocal(path));
      return report;
    }
    const remembered = options.repo ? { repo: options.repo } : {};
    writeSyncJournal(paths, { ...current, ...remembered, running: { pid: process.pid, since: options.now().toISOString() } });
    try {
      report.recovered = await finishInterrupted(repo, current.running !== undefined);
      await setUp.apply();
      await exchange(paths, repo, memoryDir, report);
      writeSyncJournal(paths, { ...current, ...remembered, running: undefined, lastRun: { at: options.now().toISOString(), outcome: 'synced', message: describeOutcome(report) } });
      return report;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      writeSyncJournal(paths, { ...current, ...remembered, running: undefined, lastRun: { at: options.now().toISOString(), outcome: 'failed', message } });
      throw error;
    }
  });
}

/** The one-line outcome the journal keeps and `status` shows. */
export function describeOutcome(report: SyncReport): string {
  return [report.committed ? 'committed' : 'nothing to commit', report.merge === 'none' ? 'nothing new' : report.merge, report.pushed ? 'pushed' : 'nothing to push'].join(', ');
}

/** The work tree holding the memory folder: the one named once, else the one `$AICONFIG_HOME` is in. */
async function findMemoryRepo(paths: Paths, named: string | undefined): Promise<{ repo: string; memoryDir: string }> {
  const start = named ?? paths.aiconfigHome;
  const top = existsSync(start) ? await runGit(start, ['rev-parse', '--show-toplevel']) : undefined;
  if (!top?.ok) {
    throw new UsageError(
      `${start} is not in a git work tree. Make it one (git init; git remote add origin URL), or name the repository that holds ${paths.projectsDir} once: log-session sync --repo DIR`,
    );
  }
  await mkdir(paths.projectsDir, { recursive: true, mode: 0o700 });
  const [repo, memoryDir] = [await realpath(top.stdout), await realpath(paths.projectsDir)];
  if (!memoryDir.startsWith(repo + sep)) throw new UsageError(`the memory folder ${paths.projectsDir} is not inside the repository ${repo}; point AICONFIG_HOME or --repo at the repository that holds it`);
  return { repo, memoryDir };
}

/**
 * What a sync killed part-way leaves, made whole: git's index lock and temp files (its git was killed with it), a merge that
 * was concluded but not committed (committed now), or one with conflicts (aborted: everything was committed before
 * it began). A rebase, or a merge that is not ours, is the user's: the sync stops and says how to finish it.
 */
async function finishInterrupted(repo: string, interrupted: boolean): Promise<string[]> {
  const gitDir = await gitOrFail(repo, ['rev-parse', '--absolute-git-dir'], 'finding the git folder');
  const recovered: string[] = [];
  if (existsSync(join(gitDir, 'rebase-merge')) || existsSync(join(gitDir, 'rebase-apply'))) {
    throw new UsageError(`a rebase is under way in ${repo}: finish it (git rebase --continue) or end it (git rebase --abort), then sync again`);
  }
  const indexLock = join(gitDir, 'index.lock');
  if (existsSync(indexLock)) {
    if (!interrupted) throw new UsageError(`git is busy in ${repo} (${indexLock} exists); if no git runs there, remove that file and sync again`);
    await rm(indexLock, { force: true });
    recovered.push('removed the index lock the killed sync\'s git left');
  }
  if (interrupted) {
    // Git writes the three versions it hands the driver beside the work tree's top; killed, it leaves them there.
    const leftovers = (await readdir(repo)).filter((name) => name.startsWith('.merge_file_'));
    await Promise.all(leftovers.map((name) => rm(join(repo, name), { force: true })));
    if (leftovers.length) recovered.push(`removed ${leftovers.length} temp file${leftovers.length > 1 ? 's' : ''} of the killed merge`);
  }
  if (existsSync(join(gitDir, 'MERGE_HEAD'))) {
    const unmerged = await gitOrFail(repo, ['diff', '--name-only', '--diff-filter=U'], 'reading the merge under way');
    if (unmerged === '') {
      await gitOrFail(repo, ['commit', '--no-edit', '--quiet'], 'committing the merge the killed sync left');
      recovered.push('committed the merge the killed sync had finished');
    } else if (interrupted) {
      await gitOrFail(repo, ['merge', '--abort'], 'ending the merge the killed sync left');
      recovered.push('ended the merge the killed sync left (it had conflicts)');
    } else {
      throw new UsageError(`a merge is under way in ${repo} with conflicts in ${unmerged.split('\n').join(', ')}: resolve them and commit, or end it (git merge --abort), then sync again`);
    }
  }
  return recovered;
}

/** Commit, fetch, merge, push; a push the remote refuses (someone pushed meanwhile) is fetched and merged once more. */
async function exchange(paths: Paths, repo: string, memoryDir: string, report: SyncReport): Promise<void> {
  const branch = await gitOrFail(repo, ['symbolic-ref', '--quiet', '--short', 'HEAD'], 'finding the branch (sync needs one checked out, not a detached HEAD)');
  const remote = await remoteOf(repo, branch);
  await withEveryProjectLock(paths, () => commitMemory(repo, memoryDir, report));
  for (let attempt = 1; ; attempt++) {
    const fetched = await runGit(repo, ['fetch', '--quiet', remote]);
    if (!fetched.ok) throw new SyncError(`could not reach ${remote} (${fetched.problem}); memory changes are committed here and go with the next sync`);
    const upstream = `refs/remotes/${remote}/${branch}`;
    const exists = (await runGit(repo, ['rev-parse', '--verify', '--quiet', upstream])).ok;
    if (exists) await moveClashingSessions(paths, repo, memoryDir, upstream, report);
    report.merge = exists ? await withEveryProjectLock(paths, () => mergeUpstream(repo, memoryDir, upstream, report)) : 'first push';
    const pushed = await runGit(repo, ['push', '--porcelain', ...(exists ? [] : ['--set-upstream']), remote, `HEAD:refs/heads/${branch}`]);
    if (pushed.ok) {
      report.pushed = !/^=/m.test(pushed.stdout);
      return;
    }
    const rejected = /^!/m.test(pushed.stdout);
    if (!rejected) throw new SyncError(`could not push to ${remote} (${pushed.problem}); memory is merged and committed here and goes with the next sync`);
    if (attempt === 2) throw new SyncError(`${remote} refused the push twice: another machine is pushing now; memory is merged and committed here, sync again`);
  }
}

async function remoteOf(repo: string, branch: string): Promise<string> {
  const configured = await runGit(repo, ['config', '--get', `branch.${branch}.remote`]);
  if (configured.ok && configured.stdout) return configured.stdout;
  const remotes = (await gitOrFail(repo, ['remote'], 'listing the remotes')).split('\n').filter(Boolean);
  if (remotes.includes('origin')) return 'origin';
  if (remotes.length === 1) return remotes[0]!;
  throw new UsageError(
    remotes.length ? `${repo} has several remotes and branch ${branch} tracks none: git branch --set-upstream-to REMOTE/${branch}` : `${repo} has no remote to sync with: git remote add origin URL`,
  );
}

/** Commits the memory folder as it is, if anything changed; a memory file that does not parse stops the sync first. */
async function commitMemory(repo: string, memoryDir: string, report: SyncReport): Promise<void> {
  const changed = (await gitOrFail(repo, ['status', '--porcelain=v1', '-z', '--untracked-files=all', '--', memoryDir], 'reading the memory\'s changes')).split('\0').filter(Boolean).map((line) => line.slice(3));
  for (const path of changed) {
    const kind = memoryFileKindOf(path);
    if (kind === undefined) continue;
    const bytes = orNothing(() => readStoreFile(join(repo, path)));
    if (bytes === undefined) continue;
    const parsed = parseJson(bytes.toString('utf8'));
    if (!parsed.ok || !isValidFile[kind](parsed.value)) {
      throw new UsageError(`${join(repo, path)} does not parse, so it is not synced; the next log-session write keeps it aside and goes on from its backup, or fix it by hand`);
    }
  }
  if (changed.length === 0) return;
  await gitOrFail(repo, ['add', '--all', '--', memoryDir], 'adding the memory\'s changes');
  const staged = await runGit(repo, ['diff', '--cached', '--quiet', '--', memoryDir]);
  if (staged.ok) return;
  await gitOrFail(repo, ['commit', '--quiet', '--no-verify', '-m', 'log-session: memory', '--', memoryDir], 'committing the memory');
  report.committed = true;
}

/**
 * Sessions of this machine whose id the other machine gave to another session since they last met move on by a
 * second before the merge: in sessions.json, in the references of decisions.json and context.json, and in this
 * machine's bookkeeping (so its next capture of that session finds its entry). Session locks first, then the
 * project locks, as every writer takes them.
 */
async function moveClashingSessions(paths: Paths, repo: string, memoryDir: string, upstream: string, report: SyncReport): Promise<void> {
  const base = await runGit(repo, ['merge-base', 'HEAD', upstream]);
  if (!base.ok) return;
  const changedSince = async (rev: string) => (await gitOrFail(repo, ['diff', '--name-only', base.stdout, rev, '--', memoryDir], 'listing changes')).split('\n');
  const theirs = new Set(await changedSince(upstream));
  const files = (await changedSince('HEAD')).filter((path) => theirs.has(path) && memoryFileKindOf(path) === 'sessions');
  const moves: (IdRename & { projectDir: string; project: string })[] = [];
  for (const path of files) {
    const [b, o, t] = await Promise.all([base.stdout, 'HEAD', upstream].map((rev) => committedJson(repo, rev, path)));
    const projectDir = join(repo, dirname(path));
    moves.push(...sessionMoves(b, o, t).map((move) => ({ ...move, projectDir, project: basename(projectDir) })));
  }
  if (moves.length === 0) return;
  const keys = moves.map((move) => findSessionOfEntry(paths, move.project, move.from)).filter((key): key is string => key !== undefined);
  await withSessionLocks(paths, [...new Set(keys)].sort(), () =>
    withEveryProjectLock(paths, async () => {
      for (const move of moves) {
        for (const name of (await readdir(move.projectDir)).filter((file) => memoryFileKindOf(file))) {
          const path = join(move.projectDir, name);
          const bytes = readStoreFile(path);
          const parsed = bytes && parseJson(bytes.toString('utf8'));
          if (parsed && parsed.ok) writeJsonFile(path, renameSession(memoryFileKindOf(name)!, parsed.value, move.from, move.to));
        }
        const key = findSessionOfEntry(paths, move.project, move.from);
        if (key) writeSessionState(paths, key, { ...readSessionState(paths, key), entryId: move.to });
        report.notes.push(`session ${move.from} of this machine is now ${move.to}: the other machine gave its id to another session`);
      }
      await gitOrFail(repo, ['add', '--all', '--', memoryDir], 'adding the moved sessions');
      await gitOrFail(repo, ['commit', '--quiet', '--no-verify', '-m', 'log-session: sessions moved on past the other machine\'s ids', '--', memoryDir], 'committing the moved sessions');
    }),
  );
}

/** A memory file as committed at `rev`; `undefined` when it is not there or does not parse (the merge then says so). */
async function committedJson(repo: string, rev: string, path: string): Promise<unknown> {
  const shown = await runGit(repo, ['show', `${rev}:${path}`]);
  const parsed = shown.ok ? parseJson(shown.stdout) : undefined;
  return parsed?.ok ? parsed.value : undefined;
}

async function withSessionLocks<T>(paths: Paths, keys: string[], critical: () => Promise<T>): Promise<T> {
  const holding = (index: number): Promise<T> => (index === keys.length ? critical() : withSessionLock(paths, keys[index]!, () => holding(index + 1)));
  return holding(0);
}

/**
 * Merges the fetched branch; a merge with conflicts (a memory file that does not parse on one side, or another
 * file of the repository) is ended at once, leaving the repository as it was. Memory files the merge changed get
 * their `.bak` refreshed: a later repair from it must not lose the other machine's entries.
 */
async function mergeUpstream(repo: string, memoryDir: string, upstream: string, report: SyncReport): Promise<SyncReport['merge']> {
  const before = await gitOrFail(repo, ['rev-parse', 'HEAD'], 'reading HEAD');
  const merged: GitResult = await runGit(repo, ['merge', '--no-edit', '-m', 'log-session: merge memory', upstream]);
  report.notes.push(...merged.stderr.split('\n').filter((line) => line.startsWith('log-session merge ')).map((line) => line.slice('log-session merge '.length)));
  if (!merged.ok) {
    const unmerged = (await runGit(repo, ['diff', '--name-only', '--diff-filter=U'])).stdout;
    await runGit(repo, ['merge', '--abort']);
    const reasons = merged.stderr.split('\n').filter((line) => line.startsWith('log-session merge-driver')).join('; ');
    throw new UsageError(`the merge with ${upstream} left conflicts in ${unmerged.split('\n').join(', ') || 'the work tree'}${reasons ? ` (${reasons})` : ''}; nothing changed here: fix that, then sync again`);
  }
  const after = await gitOrFail(repo, ['rev-parse', 'HEAD'], 'reading HEAD');
  if (after === before) return 'none';
  for (const path of (await gitOrFail(repo, ['diff', '--name-only', before, after, '--', memoryDir], 'listing what the merge changed')).split('\n')) {
    const bytes = path && memoryFileKindOf(path) ? readStoreFile(join(repo, path)) : undefined;
    if (bytes) replaceStoreFile(`${join(repo, path)}.bak`, bytes);
  }
  const parents = await gitOrFail(repo, ['rev-list', '--parents', '-n', '1', 'HEAD'], 'reading the merge');
  const [, firstParent, ...others] = parents.split(' ');
  return firstParent === before && others.length > 0 ? 'merged' : 'fast-forward';
}

/** Runs `critical` holding every project's lock, taken in name order (two syncs never wait on each other's). */
async function withEveryProjectLock<T>(paths: Paths, critical: () => Promise<T>): Promise<T> {
  const entries = await readdir(paths.projectsDir, { withFileTypes: true });
  const projects = entries.filter((entry) => entry.isDirectory()).map((entry) => join(paths.projectsDir, entry.name)).sort();
  const holding = (index: number): Promise<T> => (index === projects.length ? critical() : withProjectLock(projects[index]!, () => holding(index + 1)));
  return holding(0);
}

async function gitOrFail(repo: string, args: string[], step: string): Promise<string> {
  const result = await runGit(repo, args);
  if (!result.ok) throw new SyncError(`${step} in ${repo}: ${result.problem}`);
  return result.stdout;
}
