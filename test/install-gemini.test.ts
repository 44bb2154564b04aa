import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import matter from 'gray-matter';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../lib/errors.js';
import { SKILLS } from '../lib/install/skills.js';
import type { TempHome } from './helpers/temp-home.js';
import { eachTestInstallerHome, runInstaller } from './helpers/package-folder.js';

let home: TempHome;
let pkg: string;
eachTestInstallerHome((madeHome, madePackage) => {
  home = madeHome;
  pkg = madePackage;
});

/** `log-session <name> --client gemini <args>`, as the CLI runs it. */
function run(name: 'install' | 'uninstall' | 'status', ...args: string[]) {
  return runInstaller(pkg, home, name, ['--client', 'gemini', ...args]);
}

const settingsPath = () => join(home.dir, '.gemini', 'settings.json');
const skillPath = (folder: string) => join(home.dir, '.gemini', 'skills', folder, 'SKILL.md');

/** A Gemini CLI settings file as a user keeps it: their own settings and hook, two-space JSON. */
const usersOwn = `{
  "security": {
    "auth": {
      "selectedType": "gemini-api-key"
    }
  },
  "hooks": {
    "BeforeTool": [
      {
        "matcher": "run_shell_command",
        "hooks": [
          {
            "type": "command",
            "command": "check-shell",
            "timeout": 2000
          }
        ]
      }
    ]
  }
}
`;

describe('install --client gemini', () => {
  it('registers SessionStart, AfterAgent and SessionEnd in <gemini>/settings.json, timeouts in ms, and both skills', async () => {
    const result = await run('install');
    expect(result.code).toBe(0);
    const settings = JSON.parse(await readFile(settingsPath(), 'utf8')) as { hooks: Record<string, unknown> };
    const hook = (file: string, timeout: number) => [{ hooks: [{ type: 'command', command: `"${process.execPath}" "${pkg}/dist/hooks/${file}" --client gemini`, timeout }] }];
    expect(settings.hooks).toEqual({
      SessionStart: hook('session-start.js', 10_000),
      AfterAgent: hook('stop.cjs', 30_000),
      SessionEnd: hook('session-end.cjs', 10_000),
    });
    const skill = matter(await readFile(skillPath('log-session-recall'), 'utf8'));
    // What Gemini CLI reads of a skill: its name and description.
    expect(skill.data).toMatchObject({ name: 'recall', description: expect.any(String) });
    expect(skill.content).toContain(`node "${pkg}/dist/cli.js" recall`);
    // The record skill tells the model the commands to run: record finds the session by the gemini process itself.
    const record = await readFile(skillPath('log-session'), 'utf8');
    expect(matter(record).data).toEqual({ name: 'log-session', description: expect.any(String) });
    expect(record).toContain(`Run this first and read what it prints:\n\n\`\`\`bash\nnode "${pkg}/dist/cli.js" facts\n\`\`\``);
    expect(record).toContain(`\`\`\`bash\nnode "${pkg}/dist/cli.js" record --summary "..."`);
    expect(record).not.toContain('CLAUDE');
  });

  it('keeps the user settings and hooks, changes nothing when run again, and uninstall gives back the file byte for byte', async () => {
    await mkdir(dirname(settingsPath()), { recursive: true });
    await writeFile(settingsPath(), usersOwn);

    await run('install');
    const installed = await readFile(settingsPath(), 'utf8');
    expect(JSON.parse(installed)).toMatchObject({ security: { auth: { selectedType: 'gemini-api-key' } }, hooks: { BeforeTool: JSON.parse(usersOwn).hooks.BeforeTool } });
    // What uninstall needs to give the bytes back is kept in log-session's state, never as a copy beside them.
    expect(existsSync(`${settingsPath()}.log-session.bak`)).toBe(false);

    const again = await run('install');
    expect(again.stdout).toContain('up to date');
    expect(await readFile(settingsPath(), 'utf8')).toBe(installed);

    await run('uninstall');
    expect(await readFile(settingsPath(), 'utf8')).toBe(usersOwn);
    for (const { folder } of SKILLS) expect(existsSync(dirname(skillPath(folder)))).toBe(false);

    const twice = await run('uninstall');
    expect(twice.stdout).toContain('none of ours');
    expect(await readFile(settingsPath(), 'utf8')).toBe(usersOwn);
  });

  it('into a home without Gemini CLI settings, uninstall leaves no trace: no settings file, no folders', async () => {
    await run('install');
    expect(existsSync(settingsPath())).toBe(true);
    await run('uninstall');
    expect(existsSync(join(home.dir, '.gemini'))).toBe(false);
  });

  it('uninstall from a home with no settings file writes none', async () => {
    await run('uninstall');
    expect(existsSync(settingsPath())).toBe(false);
  });

  it('--dry-run writes nothing; status says what is installed', async () => {
    const dry = await run('install', '--dry-run');
    expect(dry.stdout).toContain('would register');
    expect(existsSync(settingsPath())).toBe(false);
    expect((await run('status')).stdout).toContain('SessionStart not registered');

    await run('install');
    const status = JSON.parse((await run('status', '--json')).stdout) as { hooks: { event: string; registrations: unknown[] }[] };
    expect(status.hooks.map((hook) => [hook.event, hook.registrations.length])).toEqual([
      ['SessionStart', 1],
      ['AfterAgent', 1],
      ['SessionEnd', 1],
    ]);
  });

  it('an older install that called node by name: uninstall removes exactly those hooks, install puts the absolute Node in their place', async () => {
    const byName = { type: 'command', command: `node "${pkg}/dist/hooks/stop.cjs" --client gemini`, timeout: 30_000 };
    const older = JSON.parse(usersOwn) as { hooks: Record<string, unknown> };
    older.hooks.AfterAgent = [{ hooks: [byName] }];
    await mkdir(dirname(settingsPath()), { recursive: true });
    await writeFile(settingsPath(), JSON.stringify(older));
    expect(JSON.parse((await run('uninstall', '--dry-run', '--json')).stdout).removedHooks.map((hook: { command: string }) => hook.command)).toEqual([byName.command]);
    await run('install');
    const installed = JSON.parse(await readFile(settingsPath(), 'utf8')) as { hooks: Record<string, { hooks: { command: string }[] }[]> };
    expect(installed.hooks.AfterAgent!.map((group) => group.hooks[0]!.command)).toEqual([`"${process.execPath}" "${pkg}/dist/hooks/stop.cjs" --client gemini`]);
    await run('uninstall');
    expect(JSON.parse(await readFile(settingsPath(), 'utf8'))).toEqual(JSON.parse(usersOwn));
  });

  it('refuses a settings file that is not JSON, and changes nothing', async () => {
    await mkdir(dirname(settingsPath()), { recursive: true });
    await writeFile(settingsPath(), '{ "hooks": ');
    await expect(run('install')).rejects.toThrow(UsageError);
    expect(await readFile(settingsPath(), 'utf8')).toBe('{ "hooks": ');
  });
});
