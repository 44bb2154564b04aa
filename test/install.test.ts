import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import matter from 'gray-matter';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../lib/errors.js';
import { cliCommand, PLUGIN_CLI_COMMAND, renderSkill, SKILLS } from '../lib/install/skills.js';
import { builtCli, makeHome, repoRoot, type TempHome } from './helpers/temp-home.js';
import { eachTestInstallerHome, makePackageFolder, runInstaller } from './helpers/package-folder.js';

let home: TempHome;
let pkg: string;
/** How our hooks name Node: the one that runs the installer, by absolute path. */
const NODE = `"${process.execPath}"`;

eachTestInstallerHome((madeHome, madePackage) => {
  home = madeHome;
  pkg = madePackage;
});

function run(name: 'install' | 'uninstall' | 'status', ...args: string[]) {
  return runInstaller(pkg, home, name, args);
}

const userSettings = () => join(home.dir, '.claude', 'settings.json');
const skillPath = () => join(home.dir, '.claude', 'skills', 'log-session', 'SKILL.md');
const readJson = async (path: string) => JSON.parse(await readFile(path, 'utf8')) as Record<string, any>;

const usersOwn = {
  model: 'opus',
  permissions: { allow: ['Bash(ls:*)'] },
  hooks: {
    SessionStart: [{ matcher: 'startup', hooks: [{ type: 'command', command: 'echo hello' }] }],
    Stop: [{ hooks: [{ type: 'command', command: 'notify-send done', timeout: 5 }] }],
    PreToolUse: [{ matcher: 'Bash', hooks: [{ type: 'command', command: 'check-bash' }] }],
  },
};

describe('install', () => {
  it("into an empty home: skill written, three hooks with their timeouts, built files run by the installer's Node by absolute path", async () => {
    const result = await run('install');
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const settings = await readJson(userSettings());
    expect(settings.hooks).toEqual({
      SessionStart: [{ hooks: [{ type: 'command', command: `${NODE} "${pkg}/dist/hooks/session-start.js"`, timeout: 10 }] }],
      Stop: [{ hooks: [{ type: 'command', command: `${NODE} "${pkg}/dist/hooks/stop.cjs"`, timeout: 30 }] }],
      SessionEnd: [{ hooks: [{ type: 'command', command: `${NODE} "${pkg}/dist/hooks/session-end.cjs"`, timeout: 10 }] }],
    });
    expect(await readFile(userSettings(), 'utf8')).toBe(`${JSON.stringify(settings, null, 2)}\n`);
    expect(existsSync(skillPath())).toBe(true);
    expect(existsSync(`${userSettings()}.log-session.bak`)).toBe(false);
  });

  it("keeps the user's keys and hooks, in the same event too; a second run changes no byte; no backup beside them", async () => {
    const original = JSON.stringify(usersOwn, null, 2);
    await mkdir(join(home.dir, '.claude'));
    await writeFile(userSettings(), original);
    await run('install');
    const once = await readFile(userSettings(), 'utf8');
    const settings = JSON.parse(once);
    expect(settings).toMatchObject({ model: 'opus', permissions: usersOwn.permissions });
    expect(settings.hooks.PreToolUse).toEqual(usersOwn.hooks.PreToolUse);
    expect(settings.hooks.SessionStart[0]).toEqual(usersOwn.hooks.SessionStart[0]);
    expect(settings.hooks.Stop[0]).toEqual(usersOwn.hooks.Stop[0]);
    expect(settings.hooks.Stop).toHaveLength(2);

    const second = await run('install');
    expect(second.stdout).toContain('up to date');
    expect(await readFile(userSettings(), 'utf8')).toBe(once);
    expect(await readdir(join(home.dir, '.claude'))).toEqual(['settings.json', 'skills']);
  });

  it('replaces an earlier hook of ours (another install folder, the older stop.js) instead of adding a second one', async () => {
    const old = { type: 'command', command: 'node "/old/place/log-session/dist/hooks/stop.js"', timeout: 99 };
    await mkdir(join(home.dir, '.claude'));
    await writeFile(userSettings(), JSON.stringify({ hooks: { Stop: [{ hooks: [{ type: 'command', command: 'mine' }, old] }] } }));
    await run('install');
    const { hooks } = await readJson(userSettings());
    expect(hooks.Stop).toEqual([
      { hooks: [{ type: 'command', command: 'mine' }, { type: 'command', command: `${NODE} "${pkg}/dist/hooks/stop.cjs"`, timeout: 30 }] },
    ]);
  });

  it('an older install calling node by name: install puts the absolute Node in its place, uninstall removes exactly our hooks', async () => {
    const byName = (file: string) => ({ type: 'command', command: `node "${pkg}/dist/hooks/${file}"`, timeout: 30 });
    const original = JSON.stringify({ hooks: { Stop: [{ hooks: [{ type: 'command', command: 'mine' }, byName('stop.cjs')] }], SessionEnd: [{ hooks: [byName('session-end.cjs')] }] } });
    await mkdir(join(home.dir, '.claude'));
    await writeFile(userSettings(), original);
    expect(JSON.parse((await run('uninstall', '--dry-run', '--json')).stdout).removedHooks.map((hook: any) => hook.command)).toEqual([
      `node "${pkg}/dist/hooks/stop.cjs"`,
      `node "${pkg}/dist/hooks/session-end.cjs"`,
    ]);
    await run('install');
    const { hooks } = await readJson(userSettings());
    expect(hooks.Stop).toEqual([{ hooks: [{ type: 'command', command: 'mine' }, { type: 'command', command: `${NODE} "${pkg}/dist/hooks/stop.cjs"`, timeout: 30 }] }]);
    await run('uninstall');
    expect(await readJson(userSettings())).toEqual({ hooks: { Stop: [{ hooks: [{ type: 'command', command: 'mine' }] }] } });
  });

  it("leaves alone another package's look-alike hook and a command of ours that does more", async () => {
    const otherRoot = join(home.dir, 'opt', 'other-tool');
    await mkdir(join(otherRoot, 'dist', 'hooks'), { recursive: true });
    await writeFile(join(otherRoot, 'package.json'), '{"name":"other-tool"}');
    const other = { type: 'command', command: `node "${otherRoot}/dist/hooks/stop.js"` };
    const chained = { type: 'command', command: `node "${pkg}/dist/hooks/stop.cjs" && notify-send done` };
    await mkdir(join(home.dir, '.claude'));
    await writeFile(userSettings(), JSON.stringify({ hooks: { Stop: [{ hooks: [other, chained] }] } }));
    await run('install');
    const stop = (await readJson(userSettings())).hooks.Stop;
    expect(stop[0]).toEqual({ hooks: [other, chained] });
    expect(stop).toHaveLength(2);
  });

  it('replaces the hooks of a clone that was moved or deleted, and status shows them until then', async () => {
    const gone = join(home.dir, 'gone', 'ls-v1');
    const stale = { type: 'command', command: `node "${gone}/dist/hooks/stop.cjs"`, timeout: 30 };
    await mkdir(join(home.dir, '.claude'));
    await writeFile(userSettings(), JSON.stringify({ hooks: { Stop: [{ hooks: [stale] }] } }));
    const before = JSON.parse((await run('status', '--json')).stdout);
    expect(before.hooks.find((hook: any) => hook.event === 'Stop').registrations).toEqual([
      { settingsFile: userSettings(), command: stale.command, fileExists: false },
    ]);
    await run('install');
    expect((await readJson(userSettings())).hooks.Stop).toEqual([
      { hooks: [{ type: 'command', command: `${NODE} "${pkg}/dist/hooks/stop.cjs"`, timeout: 30 }] },
    ]);
  });

  it('refuses a package folder whose path the shell would expand, before writing anything', async () => {
    pkg = await makePackageFolder(join(home.dir, 'a$HOME', 'pkg'));
    await expect(run('install')).rejects.toThrow(/holds "\$", which the shell would expand/);
    expect(existsSync(userSettings())).toBe(false);
    expect(existsSync(skillPath())).toBe(false);
  });

  it('status from the home folder lists each hook once, and checks both skills', async () => {
    await run('install');
    await rm(join(home.dir, '.claude', 'skills', 'log-session-recall'), { recursive: true });
    const json = JSON.parse((await runInstaller(pkg, home, 'status', ['--json'], home.dir)).stdout);
    for (const hook of json.hooks) expect(hook.registrations).toHaveLength(1);
    expect(json.skill.installed).toBe(false);
    expect(json.skills.map((skill: any) => skill.installed)).toEqual([true, false]);
    expect((await runInstaller(pkg, home, 'status', [], home.dir)).stdout).toContain('skills/log-session-recall/SKILL.md (not installed)');

    await runInstaller(pkg, home, 'uninstall', [], home.dir);
    expect(existsSync(join(home.dir, '.claude', 'skills', 'log-session'))).toBe(false);
  });

  it('uninstall after install gives back deep-equal settings and removes the skill', async () => {
    await mkdir(join(home.dir, '.claude'));
    await writeFile(userSettings(), JSON.stringify(usersOwn, null, 2));
    await run('install');
    await run('install');
    const result = await run('uninstall');
    expect(result.code).toBe(0);
    expect(await readJson(userSettings())).toEqual(usersOwn);
    expect(existsSync(join(home.dir, '.claude', 'skills', 'log-session'))).toBe(false);
  });

  it('uninstall of one scope keeps the skills while the other scope still runs our hooks', async () => {
    const skillDir = join(home.dir, '.claude', 'skills', 'log-session');
    await run('install');
    await run('install', '--scope', 'project');
    const projectOnly = await run('uninstall', '--scope', 'project');
    expect(projectOnly.stdout).toContain('skill: kept, hooks of log-session remain in ~/.claude/settings.json');
    expect(existsSync(skillDir)).toBe(true);
    // Install created the project's .claude/ and its settings.local.json: both are gone again.
    expect(existsSync(join(home.project, '.claude'))).toBe(false);

    const user = JSON.parse((await run('uninstall', '--json')).stdout);
    expect(user.skill).toEqual({ path: skillDir, removed: true });
    expect(existsSync(skillDir)).toBe(false);
  });

  it("changes only our hooks: the user's indentation, line endings and values stay byte for byte", async () => {
    const original = [
      '{',
      '    "model": "opus",',
      '    "big": 12345678901234567890,',
      '    "name": "caf\\u00e9",',
      '    "permissions": { "allow": ["Bash(ls:*)"] },',
      '    "hooks": {',
      '        "PreToolUse": [',
      '            {',
      '                "hooks": [{ "type": "command", "command": "mine" }]',
      '            }',
      '        ]',
      '    }',
      '}',
      '',
    ].join('\r\n');
    await mkdir(join(home.dir, '.claude'));
    await writeFile(userSettings(), original);
    await run('install');
    const installed = await readFile(userSettings(), 'utf8');
    expect(installed.startsWith(original.slice(0, original.indexOf('        ]')))).toBe(true);
    expect(installed.replaceAll('\r\n', '')).not.toContain('\n');
    expect(JSON.parse(installed).hooks.Stop[0].hooks[0].command).toBe(`${NODE} "${pkg}/dist/hooks/stop.cjs"`);
    await run('uninstall');
    expect(await readFile(userSettings(), 'utf8')).toBe(original);
    expect(await readdir(join(home.dir, '.claude'))).toEqual(['settings.json']);
  });

  it('a blank settings.json reads as empty settings, as Claude Code reads it', async () => {
    await mkdir(join(home.dir, '.claude'));
    await writeFile(userSettings(), '\n');
    expect((await run('install')).code).toBe(0);
    expect(Object.keys((await readJson(userSettings())).hooks)).toEqual(['SessionStart', 'Stop', 'SessionEnd']);
  });

  it('settings.json that is not JSON: nothing changes, exit 1 naming the file', async () => {
    await mkdir(join(home.dir, '.claude'));
    const broken = '{ "model": "opus", }';
    await writeFile(userSettings(), broken);
    const failure = run('install');
    await expect(failure).rejects.toBeInstanceOf(UsageError);
    await expect(failure).rejects.toThrow(`${userSettings()} is not valid JSON`);
    await expect(failure).rejects.toThrow(/fix it/);
    expect(await readFile(userSettings(), 'utf8')).toBe(broken);
    expect(existsSync(skillPath())).toBe(false);
    expect(existsSync(`${userSettings()}.log-session.bak`)).toBe(false);
  });

  it('--dry-run prints the hooks and the skill path and writes nothing', async () => {
    const result = await run('install', '--dry-run');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('~/.claude/skills/log-session/SKILL.md');
    expect(result.stdout).toContain(`${NODE} "${pkg}/dist/hooks/session-end.cjs"`);
    expect(existsSync(join(home.dir, '.claude'))).toBe(false);
  });

  it('--scope project writes <repo root>/.claude/settings.local.json (machine paths, not shared), also from a sub-folder', async () => {
    const sub = join(home.project, 'src');
    await mkdir(sub);
    const { code } = await runInstaller(pkg, home, 'install', ['--scope', 'project'], sub);
    expect(code).toBe(0);
    expect(Object.keys((await readJson(join(home.project, '.claude', 'settings.local.json'))).hooks)).toEqual(['SessionStart', 'Stop', 'SessionEnd']);
    expect(existsSync(join(home.project, '.claude', 'settings.json'))).toBe(false);
    expect(existsSync(userSettings())).toBe(false);
  });

  it('unknown flags and scopes are usage errors naming them', async () => {
    await expect(run('install', '--jsn')).rejects.toThrow(/--jsn/);
    await expect(run('install', '--scope', 'global')).rejects.toThrow(/global/);
    await expect(run('status', '--dry-run')).rejects.toThrow(/--dry-run/);
  });

  it('refuses to register hooks whose built files are missing', async () => {
    pkg = await makePackageFolder(join(home.dir, 'unbuilt'));
    await rm(join(pkg, 'dist', 'hooks', 'stop.cjs'));
    await expect(run('install')).rejects.toThrow(/stop\.cjs not found: run 'npm run build'/);
    expect(existsSync(userSettings())).toBe(false);
  });
});

/** Every file and folder under `dir`, relative, sorted: what a user would find there. */
async function treeOf(dir: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  return (await readdir(dir, { recursive: true })).sort();
}

const startingFiles: [string, string | undefined][] = [
  ['no settings file', undefined],
  ['{}', '{}'],
  ['{} and a line break', '{}\n'],
  ['a compact file', '{"model":"opus","hooks":{"PreToolUse":[{"matcher":"Bash","hooks":[{"type":"command","command":"check-bash"}]}]}}'],
  [
    '4 spaces, CRLF and a one-line user Stop hook',
    ['{', '    "model": "opus",', '    "hooks": {', '        "Stop": [{ "hooks": [{ "type": "command", "command": "notify-send done" }] }]', '    }', '}', ''].join('\r\n'),
  ],
  ['a user Stop and SessionStart hook of their own', `${JSON.stringify(usersOwn, null, 2)}\n`],
  ['an empty "hooks": {}', '{\n  "model": "opus",\n  "hooks": {}\n}\n'],
  ['tabs and an empty Stop list', '{\n\t"model": "opus",\n\t"hooks": {\n\t\t"Stop": []\n\t}\n}'],
];

describe('uninstall gives back every byte', () => {
  it.each(startingFiles)('%s: install then uninstall leaves the file and the Claude folder as they were', async (_, original) => {
    if (original !== undefined) {
      await mkdir(join(home.dir, '.claude'));
      await writeFile(userSettings(), original);
    }
    const before = await treeOf(join(home.dir, '.claude'));
    await run('install');
    await run('install');
    expect(JSON.parse(await readFile(userSettings(), 'utf8')).hooks.Stop.at(-1).hooks[0].command).toBe(`${NODE} "${pkg}/dist/hooks/stop.cjs"`);
    expect((await run('uninstall')).code).toBe(0);
    expect(original === undefined ? existsSync(userSettings()) : await readFile(userSettings(), 'utf8')).toBe(original ?? false);
    expect(await treeOf(join(home.dir, '.claude'))).toEqual(before);
    expect(existsSync(home.paths.installReceiptsDir)).toBe(false);
  });

  it.each(startingFiles.filter(([, text]) => text?.includes('"opus"')))(
    '%s: changed by the user in between, only our hooks go and their change stays as written',
    async (_, original) => {
      await mkdir(join(home.dir, '.claude'));
      await writeFile(userSettings(), original!);
      await run('install');
      const installed = await readFile(userSettings(), 'utf8');
      await writeFile(userSettings(), installed.replace('"opus"', '"sonnet"'));
      await run('uninstall');
      expect(await readFile(userSettings(), 'utf8')).toBe(original!.replace('"opus"', '"sonnet"'));
    },
  );

  it("install adds to the user's lines without re-laying them out: a one-line hook and a compact file stay one line", async () => {
    const [, crlf] = startingFiles[4]!;
    await mkdir(join(home.dir, '.claude'));
    await writeFile(userSettings(), crlf!);
    await run('install');
    const installed = await readFile(userSettings(), 'utf8');
    expect(installed).toContain('        "Stop": [{ "hooks": [{ "type": "command", "command": "notify-send done" }] }, { "hooks": [');
    expect(installed.replaceAll('\r\n', '')).not.toContain('\n');

    const [, compact] = startingFiles[3]!;
    await writeFile(userSettings(), compact!);
    await run('install');
    expect(await readFile(userSettings(), 'utf8')).not.toContain('\n');
  });

  it('a file holding our hooks from before receipts (an older install): uninstall takes out only them', async () => {
    const original = '{\n  "model": "opus"\n}\n';
    const old = { type: 'command', command: `node "${pkg}/dist/hooks/stop.js"`, timeout: 30 };
    await mkdir(join(home.dir, '.claude'));
    await writeFile(userSettings(), '{\n  "model": "opus",\n  "hooks": {\n    "Stop": [\n      {\n        "hooks": [' + JSON.stringify(old) + ']\n      }\n    ]\n  }\n}\n');
    await run('install');
    await run('uninstall');
    expect(await readFile(userSettings(), 'utf8')).toBe(original);
  });
});

describe('status', () => {
  it('reports the skill, each hook with its settings file, missing hook files and the memory root', async () => {
    await run('install');
    await rm(join(pkg, 'dist', 'hooks', 'session-end.cjs'));
    const text = await run('status');
    expect(text.stdout).toContain('~/.claude/skills/log-session/SKILL.md (installed)');
    expect(text.stdout).toMatch(/SessionEnd .*session-end\.cjs"  \(file missing/);
    expect(text.stdout).toContain('memory: ~/aiconfig/memory/projects');
    const json = JSON.parse((await run('status', '--json')).stdout);
    expect(json.skill).toEqual({ path: skillPath(), installed: true });
    expect(json.memoryRoot).toBe(home.paths.projectsDir);
    const byEvent = Object.fromEntries(json.hooks.map((hook: any) => [hook.event, hook.registrations]));
    expect(byEvent.Stop).toEqual([{ settingsFile: userSettings(), command: `${NODE} "${pkg}/dist/hooks/stop.cjs"`, fileExists: true }]);
    expect(byEvent.SessionEnd[0].fileExists).toBe(false);
  });

  it('reports a hook whose Node is gone (a Node version removed since install) as missing', async () => {
    const gone = { type: 'command', command: `"${home.dir}/gone/bin/node" "${pkg}/dist/hooks/stop.cjs"`, timeout: 30 };
    await mkdir(join(home.dir, '.claude'));
    await writeFile(userSettings(), JSON.stringify({ hooks: { Stop: [{ hooks: [gone] }] } }));
    const json = JSON.parse((await run('status', '--json')).stdout);
    expect(json.hooks.find((hook: any) => hook.event === 'Stop').registrations).toEqual([{ settingsFile: userSettings(), command: gone.command, fileExists: false }]);
    expect((await run('status')).stdout).toMatch(/Stop .*stop\.cjs"  \(file missing: rebuild or reinstall\)/);
  });

  it('says what is missing in an empty home', async () => {
    const { stdout } = await run('status');
    expect(stdout).toContain('(not installed)');
    expect(stdout.match(/not registered/g)).toHaveLength(3);
  });
});

describe('skill', () => {
  it('installed skill parses with gray-matter and runs the absolute CLI (quoted: the path has a space)', async () => {
    await run('install');
    const text = await readFile(skillPath(), 'utf8');
    const command = `node "${pkg}/dist/cli.js"`;
    const { data, content } = matter(text);
    expect(data.name).toBe('log-session');
    expect(data['allowed-tools']).toBe(`Bash(${command} record:*), Bash(${command} facts:*)`);
    expect(content).toContain(`${command} record --session \${CLAUDE_SESSION_ID}`);
    expect(text).not.toContain('{{');
  });

  it('a path without spaces is not quoted', () => {
    expect(cliCommand('/usr/lib/node_modules/log-session/dist/cli.js')).toBe('node /usr/lib/node_modules/log-session/dist/cli.js');
  });

  it.each(SKILLS)('the shipped skill $folder is valid as the plugin runs it and names the plugin command', async ({ source, name }) => {
    const text = await readFile(join(repoRoot, source), 'utf8');
    expect(text).toContain(PLUGIN_CLI_COMMAND);
    expect(renderSkill(text, PLUGIN_CLI_COMMAND, name)).toBe(text);
  });

  it('installs the recall skill beside log-session and uninstall removes both', async () => {
    await run('install');
    const recall = await readFile(join(home.dir, '.claude', 'skills', 'log-session-recall', 'SKILL.md'), 'utf8');
    expect(recall).toContain(`${cliCommand(join(pkg, 'dist', 'cli.js'))} recall`);
    await run('uninstall');
    expect(existsSync(join(home.dir, '.claude', 'skills', 'log-session-recall'))).toBe(false);
  });

  it('plugin manifests and hooks.json name log-session and run the built hooks', async () => {
    const plugin = await readJson(join(repoRoot, '.claude-plugin', 'plugin.json'));
    const market = await readJson(join(repoRoot, '.claude-plugin', 'marketplace.json'));
    const hooks = await readJson(join(repoRoot, 'hooks', 'hooks.json'));
    const pkgJson = await readJson(join(repoRoot, 'package.json'));
    expect(plugin).toMatchObject({ name: 'log-session', version: pkgJson.version });
    expect(market).toMatchObject({ name: 'log-session', plugins: [{ name: 'log-session', source: './plugin' }] });
    expect(hooks.hooks.SessionEnd[0].hooks[0].command).toBe('node "${CLAUDE_PLUGIN_ROOT}/dist/hooks/session-end.cjs"');
    expect(Object.keys(hooks.hooks)).toEqual(['SessionStart', 'Stop', 'SessionEnd']);
  });

  it('a rendered skill whose frontmatter breaks is refused', () => {
    expect(() => renderSkill(`---\nname: log-session\ndescription: x\nallowed-tools: Bash(${PLUGIN_CLI_COMMAND} record:*)\n---\n`, 'node /a: b')).toThrow(/not valid YAML/);
  });
});

describe('install under a permissive umask', () => {
  it.each(['000', '002'])('umask %s leaves nothing group- or world-writable, and an existing settings file keeps its mode', async (mask) => {
    const umaskHome = await makeHome();
    try {
      const run = () =>
        new Promise<number>((done, fail) => {
          const child = spawn('sh', ['-c', `umask ${mask} && exec "${process.execPath}" "${builtCli}" install`], { env: umaskHome.env, stdio: 'ignore' });
          child.on('error', fail);
          child.on('exit', (code) => done(code ?? -1));
        });
      expect(await run()).toBe(0);
      const claude = join(umaskHome.dir, '.claude');
      const created = [claude, join(claude, 'settings.json'), join(claude, 'skills'), ...SKILLS.flatMap(({ folder }) => [join(claude, 'skills', folder), join(claude, 'skills', folder, 'SKILL.md')])];
      for (const path of created) expect({ path, writableByOthers: ((await stat(path)).mode & 0o022) !== 0 }).toEqual({ path, writableByOthers: false });

      await chmod(join(claude, 'settings.json'), 0o640);
      await rm(join(claude, 'skills'), { recursive: true });
      expect(await run()).toBe(0);
      expect((await stat(join(claude, 'settings.json'))).mode & 0o777).toBe(0o640);
    } finally {
      await umaskHome.remove();
    }
  });
});
