import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterEach } from 'vitest';
import { resolvePaths, type Paths } from '../../lib/paths.js';

const run = promisify(execFile);

export const repoRoot = resolve(import.meta.dirname, '../..');
export const builtCli = join(repoRoot, 'dist', 'cli.js');

export interface TempHome {
  dir: string;
  /** A git repository with one commit, inside the home folder. */
  project: string;
  /** An environment made from scratch: nothing of the outer session leaks in. */
  env: Record<string, string>;
  paths: Paths;
  remove(): Promise<void>;
}

export async function makeHome(options: { originUrl?: string; projectName?: string } = {}): Promise<TempHome> {
  const dir = await realpath(await mkdtemp(join(tmpdir(), 'log-session-')));
  const project = join(dir, 'work', options.projectName ?? 'widget');
  await mkdir(project, { recursive: true });
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, TZ: 'UTC', NO_COLOR: '1' };
  await git(project, 'init', '-q', '-b', 'main');
  await git(project, 'config', 'user.email', 'dev@example.com');
  await git(project, 'config', 'user.name', 'Dev');
  await writeFile(join(project, 'README.md'), '# widget\n');
  await git(project, 'add', '.');
  await git(project, 'commit', '-qm', 'init');
  if (options.originUrl) await git(project, 'remote', 'add', 'origin', options.originUrl);
  return { dir, project, env, paths: resolvePaths(env), remove: () => rm(dir, { recursive: true, force: true }) };
}

/** For a test file that makes several homes: `makeHome`, each home removed after its test. */
export function makeHomesRemovedAfterEach(): (options?: Parameters<typeof makeHome>[0]) => Promise<TempHome> {
  const homes: TempHome[] = [];
  afterEach(async () => {
    await Promise.all(homes.splice(0).map((home) => home.remove()));
  });
  return async (options) => {
    const home = await makeHome(options);
    homes.push(home);
    return home;
  };
}

/** Commits made while setting up a test are dated two days back, outside any session the test then runs. */
const setupDate = new Date(Date.now() - 2 * 86_400_000).toISOString();

export async function git(cwd: string, ...args: string[]): Promise<string> {
  const env = { ...process.env, GIT_AUTHOR_DATE: setupDate, GIT_COMMITTER_DATE: setupDate };
  return (await run('git', args, { cwd, env })).stdout;
}

/**
 * Waits until the clock is a file-clock tick past the snapshot of the work tree that `sessionKey`'s start saved:
 * files are stamped from the kernel's coarse clock, up to a tick (4-10 ms) behind the clock the snapshot's time is
 * read by, and an agent's first command comes far later than that.
 */
export async function pastStartSnapshot(home: TempHome, sessionKey: string): Promise<void> {
  const state = JSON.parse(await readFile(join(home.paths.stateDir, 'sessions', `${sessionKey}.json`), 'utf8')) as { git: { at: string } };
  const past = Date.parse(state.git.at) + 20;
  while (Date.now() <= past) await new Promise((done) => setTimeout(done, 5));
}

/** Writes each path in the repository at `cwd` (its own name as its text) and commits them all. */
export async function commitFiles(cwd: string, ...paths: string[]): Promise<void> {
  for (const path of paths) {
    await mkdir(join(cwd, path, '..'), { recursive: true });
    await writeFile(join(cwd, path), `${path}\n`);
  }
  await git(cwd, 'add', '.');
  await git(cwd, 'commit', '-qm', 'files');
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI as a user would: a real process, input on stdin. */
export function runCli(home: TempHome, args: string[], input = '', cwd = home.project, env: Record<string, string> = {}): Promise<CliResult> {
  return runNode([builtCli, ...args], input, { cwd, env: { ...home.env, ...env } });
}

/** Runs a built hook (`dist/hooks/<file>`) as Claude Code does: a real process, the hook's input on stdin. */
export function runHookProcess(home: TempHome, file: string, input: unknown, env: Record<string, string> = {}): Promise<CliResult> {
  const text = typeof input === 'string' ? input : JSON.stringify(input);
  return runNode([join(repoRoot, 'dist', 'hooks', file)], text, { cwd: home.project, env: { ...home.env, ...env } });
}

/**
 * Runs the built CLI as a user whom file permissions bind: root ignores them, so as root the home is handed to
 * `nobody` and the CLI runs as nobody (setpriv); anyone else runs it as themselves.
 */
export async function runCliBoundByPermissions(home: TempHome, args: string[], input = ''): Promise<CliResult> {
  if (process.getuid?.() !== 0) return runCli(home, args, input);
  await run('chown', ['-R', '65534:65534', home.dir]);
  const asNobody = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', process.execPath];
  return runNode([builtCli, ...args], input, { cwd: home.project, env: home.env }, asNobody);
}

function runNode(args: string[], input: string, options: { cwd: string; env: Record<string, string> }, command = [process.execPath]): Promise<CliResult> {
  return new Promise((done, fail) => {
    const [file, ...before] = command;
    const child = execFile(file!, [...before, ...args], { ...options, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') return fail(error);
      done({ code: error ? Number(error.code) : 0, stdout, stderr });
    });
    // A command may stop reading early (record refuses oversized input): the broken pipe is its answer, not ours.
    child.stdin?.on('error', () => {});
    child.stdin?.end(input);
  });
}
