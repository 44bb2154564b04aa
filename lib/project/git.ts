import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';

export interface RepoFacts {
  root: string;
  branch?: string;
  originUrl?: string;
}

/** Git outside a repo (or without git) is an expected absence: `undefined`, never an error. */
export async function readRepo(cwd: string): Promise<RepoFacts | undefined> {
  const root = await git(cwd, ['rev-parse', '--show-toplevel']);
  if (!root) return undefined;
  const [branch, originUrl] = await Promise.all([
    git(root, ['symbolic-ref', '--quiet', '--short', 'HEAD']),
    git(root, ['remote', 'get-url', 'origin']),
  ]);
  return { root, ...(branch ? { branch } : {}), ...(originUrl ? { originUrl } : {}) };
}

/** mtime resolution and clock skew: the window gets a little slack on both ends. */
const SLACK_MS = 2000;

/**
 * Absolute paths of files the session changed as git sees them: files in commits made between `since` and `until`,
 * and work-tree changes whose mtime falls between them (a file dirty before the session, or changed by someone
 * after it ended, is not claimed). This is how edits made through Bash are found. With no known start, every
 * uncommitted change counts and no commit does.
 */
export async function changedFilesSince(root: string, since: Date | undefined, until: Date): Promise<string[]> {
  const from = since ? since.getTime() - SLACK_MS : -Infinity;
  const to = until.getTime() + SLACK_MS;
  const [status, committed] = await Promise.all([
    git(root, ['status', '--porcelain=v1', '-z', '--untracked-files=all']),
    // Commit times are whole seconds: round the start up, so a commit made just before the session is not claimed.
    since
      ? git(root, ['log', `--since=@${Math.ceil(since.getTime() / 1000)}`, `--until=@${Math.floor(to / 1000)}`, '--name-only', '--pretty=format:', '-z'])
      : undefined,
  ]);
  const files = new Set<string>();
  // NUL-separated names, an empty record between commits; a name may hold spaces or newlines anywhere, so no trimming.
  for (const path of (committed ?? '').split('\0')) if (path !== '') files.add(join(root, path));
  await Promise.all(
    parsePorcelain(status ?? '').map(async (path) => {
      const absolute = join(root, path);
      const info = await stat(absolute).catch(() => undefined);
      if (info && info.mtimeMs >= from && info.mtimeMs <= to) files.add(absolute);
    }),
  );
  return [...files];
}

/** `git status -z` entries; a rename's record carries the old path next, which we skip. */
function parsePorcelain(output: string): string[] {
  const records = output.split('\0');
  const paths: string[] = [];
  for (let index = 0; index < records.length; index++) {
    const record = records[index] ?? '';
    if (record.length < 4) continue;
    paths.push(record.slice(3));
    if (record[0] === 'R' || record[0] === 'C') index++;
  }
  return paths;
}

async function git(cwd: string, args: string[]): Promise<string | undefined> {
  const result = await execa('git', args, { cwd, reject: false, stripFinalNewline: true, timeout: 5000 });
  return result.exitCode === 0 ? String(result.stdout) : undefined;
}
