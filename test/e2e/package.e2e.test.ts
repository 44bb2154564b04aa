/**
 * The npm package as a user gets it: `npm pack` of a copy of this clone, `npm install -g` of the tarball into a
 * temp prefix, `log-session install` from that prefix with an empty HOME, then the clone and the tarball are moved
 * away and real `claude -p` sessions are recorded by the installed package. `uninstall` then gives settings.json
 * back byte for byte, for five starting files.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, readFile, realpath, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeMessagesApi, type FakeMessagesApi } from './fake-messages-api.js';
import { makeTempProject, REPO_ROOT, runClaude, waitForProcessesOfHome, type TempProject } from './claude-session.js';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }): Promise<Run> {
  return new Promise((done, fail) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

/** What a clone holds of the sources (node_modules linked, not copied): enough to build and pack. */
const CLONE_FILES = ['package.json', 'package-lock.json', 'README.md', 'LICENSE', 'install.ts', 'scripts', 'lib', 'hooks', 'skills', '.claude-plugin', 'types', 'tsconfig.json'];

let api: FakeMessagesApi;
let root: string;
/** The global prefix the tarball is installed into: `<prefix>/bin/log-session`. */
let prefix: string;

beforeAll(async () => {
  api = await startFakeMessagesApi();
  root = await realpath(await mkdtemp(join(tmpdir(), 'log-session-package-')));
  const clone = join(root, 'clone');
  await mkdir(clone);
  for (const path of CLONE_FILES) await cp(join(REPO_ROOT, path), join(clone, path), { recursive: true });
  await symlink(join(REPO_ROOT, 'node_modules'), join(clone, 'node_modules'));
  // npm's own environment (its cache, the registry), not the test HOME: the empty HOME is the user's, for Claude Code.
  const packed = await run('npm', ['pack', '--silent', '--pack-destination', root], { cwd: clone, env: process.env });
  expect(packed, packed.stderr).toMatchObject({ code: 0 });
  const tarball = join(root, packed.stdout.trim().split('\n').at(-1)!);
  prefix = join(root, 'prefix');
  const installed = await run('npm', ['install', '--global', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', tarball], { cwd: root, env: process.env });
  expect(installed, installed.stderr).toMatchObject({ code: 0 });
  // What the user has from here on is the installed package: the clone and the tarball go somewhere else.
  await rename(clone, join(root, 'clone-moved-away'));
  await rm(tarball);
  await rm(join(root, 'clone-moved-away'), { recursive: true });
});
afterAll(async () => {
  await api?.close();
  if (root) await rm(root, { recursive: true, force: true });
});

/** The `log-session` command from the prefix's bin, as a shell finds it on PATH. */
function logSession(home: string, cwd: string, ...args: string[]): Promise<Run> {
  const env = { PATH: `${join(prefix, 'bin')}:${process.env.PATH ?? '/usr/bin:/bin'}`, HOME: home, TZ: 'UTC', NO_COLOR: '1' };
  return run('log-session', args, { cwd, env });
}

describe('the packed package', () => {
  it('is small and holds only what runs: built files, skills, plugin manifest, README, license', async () => {
    const installedRoot = join(prefix, 'lib', 'node_modules', 'log-session');
    expect((await readdir(installedRoot)).sort()).toEqual(['.claude-plugin', 'LICENSE', 'README.md', 'dist', 'hooks', 'node_modules', 'package.json', 'skills']);
    expect((await readdir(join(installedRoot, 'node_modules'))).sort()).toEqual(
      ['bare-addon-resolve', 'bare-module-resolve', 'bare-semver', 'fs-native-extensions', 'require-addon', 'which-runtime'],
    );
  });
});

const usersStop = { type: 'command', command: 'true # users-own-stop' };
const startingFiles: [string, string | undefined][] = [
  ['no settings file', undefined],
  ['{}', '{}'],
  ['a compact file', '{"model":"claude-opus-5-5","env":{"MY_FLAG":"1"}}'],
  [
    '4 spaces, CRLF and a one-line user hook',
    ['{', '    "env": { "MY_FLAG": "1" },', '    "hooks": {', '        "PostToolUse": [{ "matcher": "Write", "hooks": [{ "type": "command", "command": "true # users-own-post" }] }]', '    }', '}', ''].join('\r\n'),
  ],
  ['a user Stop hook of their own', `${JSON.stringify({ hooks: { Stop: [{ hooks: [usersStop] }] } }, null, 2)}\n`],
];

describe.each(startingFiles)('installed from the tarball, %s', (_, original) => {
  let project: TempProject;
  const settingsPath = () => join(project.home, '.claude', 'settings.json');

  beforeAll(async () => {
    project = await makeTempProject();
    if (original !== undefined) {
      await mkdir(join(project.home, '.claude'));
      await writeFile(settingsPath(), original);
    }
  });
  afterAll(async () => {
    await project?.cleanup();
  });

  it('registers hooks that run the installed package, and a real session is recorded', async () => {
    const installed = await logSession(project.home, project.cwd, 'install');
    expect(installed, installed.stderr).toMatchObject({ code: 0, stderr: '' });
    expect(installed.stdout).toContain('skill recall:');
    const settings = await readFile(settingsPath(), 'utf8');
    // The Node that ran the installed CLI, by absolute path, runs the installed package's hook.
    const stop = (JSON.parse(settings) as { hooks: { Stop: { hooks: { command: string }[] }[] } }).hooks.Stop.at(-1)!.hooks[0]!.command;
    const hookFile = `${prefix}/lib/node_modules/log-session/dist/hooks/stop.cjs`.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    expect(stop).toMatch(new RegExp(`^"/[^"]+" "${hookFile}"$`));
    expect(settings).not.toContain(REPO_ROOT);

    api.script([{ tools: [{ name: 'Write', input: { file_path: join(project.cwd, 'shipped.txt'), content: 's\n' } }] }, { text: 'Shipped.' }]);
    const session = await runClaude({ home: project.home, cwd: project.cwd, apiUrl: api.url, prompt: 'Packaged session.' });
    expect(session, `${session.stdout}\n${session.stderr}`).toMatchObject({ exitCode: 0, timedOut: false, stdout: 'Shipped.\n' });
    expect(session.stderr).not.toContain('log-session');
    // The hand-offs' detached workers are done once no process of this HOME is left.
    await waitForProcessesOfHome(project.home);
    if (original?.includes('users-own-stop')) expect(await readFile(session.transcriptPath, 'utf8')).toContain('users-own-stop');

    // From any folder: the command on PATH reads the memory the hooks wrote.
    const shown = await logSession(project.home, project.home, 'show', '--project', 'project', '--json');
    expect(shown, shown.stderr).toMatchObject({ code: 0 });
    expect(JSON.parse(shown.stdout).sessions.map((entry: { files_modified: string[] }) => entry.files_modified)).toEqual([['shipped.txt']]);
  });

  it('uninstall gives settings.json back byte for byte, and leaves no skill folder behind', async () => {
    const uninstalled = await logSession(project.home, project.cwd, 'uninstall');
    expect(uninstalled, uninstalled.stderr).toMatchObject({ code: 0, stderr: '' });
    if (original === undefined) expect(existsSync(settingsPath())).toBe(false);
    else expect(await readFile(settingsPath(), 'utf8')).toBe(original);
    expect(existsSync(join(project.home, '.claude', 'skills', 'log-session'))).toBe(false);
    expect(existsSync(join(project.home, '.claude', 'skills', 'log-session-recall'))).toBe(false);
  });
});
