import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { SKILLS } from '../../lib/install/skills.js';
import type { CommandContext } from '../../lib/commands/command.js';
import { createInstallCommands } from '../../lib/commands/install.js';
import { afterEach, beforeEach } from 'vitest';
import { makeHome, repoRoot, type TempHome } from './temp-home.js';

/** A stand-in package folder for the installers: our package.json, the real skill sources, empty built hook files. */
export async function makePackageFolder(dir: string): Promise<string> {
  await mkdir(join(dir, 'dist', 'hooks'), { recursive: true });
  await mkdir(join(dir, 'skill'), { recursive: true });
  await writeFile(join(dir, 'package.json'), '{"name":"log-session"}\n');
  for (const { source } of SKILLS) {
    await mkdir(dirname(join(dir, source)), { recursive: true });
    await writeFile(join(dir, source), await readFile(join(repoRoot, source)));
  }
  await writeFile(join(dir, 'dist', 'cli.js'), '');
  for (const name of ['session-start.js', 'stop.cjs', 'session-end.cjs']) await writeFile(join(dir, 'dist', 'hooks', name), '');
  return dir;
}

export interface InstallerRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * `log-session <name> <args>` for the package at `packageRoot`, run in process against `home` from `cwd`, as the
 * CLI runs it (a UsageError is thrown, not printed): its exit code and what it printed.
 */
export async function runInstaller(
  packageRoot: string,
  home: TempHome,
  name: 'install' | 'uninstall' | 'status',
  args: string[],
  cwd = home.project,
): Promise<InstallerRun> {
  const run: InstallerRun = { code: 0, stdout: '', stderr: '' };
  const context: CommandContext = {
    args,
    env: home.env,
    paths: home.paths,
    cwd,
    now: () => new Date('2026-01-02T03:04:05Z'),
    readStdin: async () => '',
    stdout: (text) => void (run.stdout += text),
    stderr: (text) => void (run.stderr += text),
  };
  run.code = await createInstallCommands({ packageRoot: () => packageRoot })[name].run(context);
  return run;
}

/** For an installer test file: before each test a temp home with a stand-in package folder in it, removed after. */
export function eachTestInstallerHome(use: (home: TempHome, packageRoot: string) => void): void {
  let home: TempHome | undefined;
  beforeEach(async () => {
    home = await makeHome();
    use(home, await makePackageFolder(join(home.dir, 'opt', 'my pkg')));
  });
  afterEach(async () => {
    await home?.remove();
  });
}
