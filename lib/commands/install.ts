import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCommandArgs, type Command, type CommandContext } from './command.js';
import { replaceFile } from '../disk.js';
import { UsageError } from '../errors.js';
import { isRecord, parseJson } from '../json.js';
import { readRepo } from '../project/git.js';
import type { HookEvent } from '../hook/table.js';
import { displayPath } from '../paths.js';
import { removeOurSettings, writeSettingsWithReceipt } from '../install/receipt.js';
import { editSettingsText, hookFilesExist, readOptional, readSettingsFile } from '../install/settings-file.js';
import {
  addOurHooks,
  desiredHooks,
  findOurHooks,
  parseHookCommand,
  type IsOurRoot,
  type Settings,
} from '../install/settings-hooks.js';
import { cliCommand, renderSkill, SKILL_NAME, SKILLS } from '../install/skills.js';
import { describeSyncStatus, readSyncStatus } from '../sync/setup.js';
import { CLIENT_CHOICES, runForClients } from '../install/clients.js';

const PACKAGE_NAME = 'log-session';
type Scope = 'user' | 'project';
/** The file each scope writes: the project's hooks name this machine's paths, so they go where git does not share them. */
const scopeFile = { user: 'user', project: 'projectLocal' } as const;

const installUsage = `Usage: log-session install [--client ${CLIENT_CHOICES}] [--scope user|project] [--dry-run] [--json]

Installs log-session into Claude Code: the skills log-session and recall into <claude config>/skills/, and
SessionStart, Stop and SessionEnd hooks that run this package's built files (dist/hooks/). Running it
again changes nothing; other settings and hooks are kept, byte for byte. What it changed in the settings
file is noted in log-session's state folder, so that uninstall gives the file back as it was.

Options:
  --client NAME    the agent to install into (default claude-code; all: every agent, one after the other)
  --scope user     hooks in <claude config>/settings.json (default; $CLAUDE_CONFIG_DIR, else ~/.claude)
  --scope project  hooks in <repository root or current folder>/.claude/settings.local.json (this machine's
                   paths: never in the shared .claude/settings.json)
  --dry-run        print what would change; write nothing
  --json           print JSON
`;

const uninstallUsage = `Usage: log-session uninstall [--client ${CLIENT_CHOICES}] [--scope user|project] [--dry-run] [--json]

Removes what install added: log-session's hooks from the settings file of the scope (nothing else in it; a
file install has not changed since is given back byte for byte, or removed if install created it) and the
skill folders <claude config>/skills/log-session*/, unless another settings file (user, project, project
local) still runs log-session's hooks. Project memory is kept.

Options:
  --client NAME         the agent to remove it from (default claude-code; all: every agent)
  --scope user|project  the settings file to clean (default: user)
  --dry-run             print what would change; write nothing
  --json                print JSON
`;

const statusUsage = `Usage: log-session status [--client ${CLIENT_CHOICES}] [--json]

Says what is installed where: the skill, each hook and the settings file that registers it (user, project,
project local), whether each hook's file exists, where project memory lives, and whether it syncs (log-session sync).

Options:
  --json  print JSON
`;

export interface InstallOptions {
  /** The folder holding our package.json (default: found from this module's location). */
  packageRoot: () => string;
}

/** Claude Code's install, uninstall and status; `--client` sends the other agents' to lib/install/clients.ts. */
const claudeCode = { install, uninstall, status };

/** The three commands for a package folder; tests pass a temp folder. */
export function createInstallCommands({ packageRoot }: InstallOptions): Record<'install' | 'uninstall' | 'status', Command> {
  return {
    install: { usage: installUsage, run: (context) => runForClients('install', context, packageRoot(), ourRootCheck, claudeCode) },
    uninstall: { usage: uninstallUsage, run: (context) => runForClients('uninstall', context, packageRoot(), ourRootCheck, claudeCode) },
    status: { usage: statusUsage, run: (context) => runForClients('status', context, packageRoot(), ourRootCheck, claudeCode) },
  };
}

const commands = createInstallCommands({ packageRoot: () => findPackageRoot(dirname(fileURLToPath(import.meta.url))) });
export const installCommand = commands.install;
export const uninstallCommand = commands.uninstall;
export const statusCommand = commands.status;

async function install(context: CommandContext, root: string): Promise<number> {
  const options = parseOptions(context.args, 'install', true);
  checkInstallable(root, context.paths.home);
  const settingsPath = settingsFiles(context)[scopeFile[options.scope]];
  const current = await readSettingsFile(settingsPath);
  const wanted = desiredHooks(root);
  const isOurs = ourRootCheck(root);
  const next = editSettingsText(current, addOurHooks(current.settings, wanted, isOurs));
  const settingsChange = next.text !== current.text;

  const skillPath = skillFile(context);
  const command = cliCommand(join(root, 'dist', 'cli.js'));
  const skills = await Promise.all(
    SKILLS.map(async ({ source, folder, name }) => {
      const path = join(context.paths.claudeConfigDir, 'skills', folder, 'SKILL.md');
      const text = renderSkill(await readFile(join(root, source), 'utf8'), command, name);
      return { name, path, text, changed: (await readOptional(path)) !== text };
    }),
  );
  const skillChange = skills.some((skill) => skill.changed);

  const shown = (path: string) => displayPath(path, context.paths.home);
  const report = {
    dryRun: options.dryRun,
    skill: { path: skillPath, changed: skillChange },
    skills: skills.map(({ name, path, changed }) => ({ name, path, changed })),
    settings: { path: settingsPath, changed: settingsChange },
    hooks: wanted.map(({ event, hook }) => ({ event, ...hook })),
    memoryRoot: context.paths.projectsDir,
  };
  if (!options.dryRun) {
    // Folders that do not exist yet, noted before anything creates them: uninstall removes them again when empty.
    const createdFolders = [dirname(settingsPath), join(context.paths.claudeConfigDir, 'skills')].filter((folder) => !existsSync(folder));
    // Settings first: the write most likely to be refused (permissions), before anything else is changed.
    if (settingsChange) await writeSettingsWithReceipt(context.paths, current, next, isOurs, createdFolders);
    for (const skill of skills.filter((each) => each.changed)) {
      // Modes spelled out: under a permissive umask nobody else may edit what Claude Code runs as this user.
      await mkdir(dirname(skill.path), { recursive: true, mode: 0o755 });
      await replaceFile(skill.path, skill.text, { mode: 0o644 });
    }
  }
  if (options.json) {
    context.stdout(`${JSON.stringify(report, null, 2)}\n`);
    return 0;
  }
  context.stdout(
    [
      options.dryRun ? 'log-session install --dry-run: nothing written' : 'log-session installed',
      ...skills.map(({ name, path, changed }) => `  skill ${name}: ${shown(path)} (${changed ? (options.dryRun ? 'would write' : 'written') : 'up to date'})`),
      `  hooks: ${shown(settingsPath)} (${settingsChange ? (options.dryRun ? 'would register' : 'registered') : 'up to date'})`,
      ...wanted.map(({ event, hook }) => `    ${event.padEnd(12)} ${hook.command}  (timeout ${hook.timeout} s)`),
      `  memory: ${shown(context.paths.projectsDir)}`,
      // An installed package lives under node_modules; anything else is a clone that must stay where it is.
      ...(root.split(sep).includes('node_modules')
        ? []
        : [`  note: the hooks run the files of ${shown(root)}: moving or deleting it breaks them (README: npm install -g installs a copy that does not)`]),
      '',
    ].join('\n'),
  );
  return 0;
}

async function uninstall(context: CommandContext, root: string): Promise<number> {
  const options = parseOptions(context.args, 'uninstall', true);
  const files = settingsFiles(context);
  const settingsPath = files[scopeFile[options.scope]];
  const current = await readSettingsFile(settingsPath);
  const isOurs = ourRootCheck(root);
  const removed = findOurHooks(current.settings, isOurs);
  const skillDir = dirname(skillFile(context));
  const skillDirs = SKILLS.map(({ folder }) => join(context.paths.claudeConfigDir, 'skills', folder));
  const skillPresent = skillDirs.some((dir) => existsSync(dir));
  // The skills are shared by both scopes: they stay while another settings file still runs our hooks.
  const keptFor = await filesWithOurHooks(distinctFiles(files), isOurs, settingsPath);
  const removeSkills = skillPresent && keptFor.length === 0;
  if (!options.dryRun) {
    if (removeSkills) for (const dir of skillDirs) await rm(dir, { recursive: true, force: true });
    await removeOurSettings(context.paths, current, isOurs);
  }
  if (options.json) {
    const skill = { path: skillDir, removed: removeSkills, ...(skillPresent && keptFor.length ? { keptFor } : {}) };
    const report = { dryRun: options.dryRun, settings: settingsPath, removedHooks: removed, skill };
    context.stdout(`${JSON.stringify(report, null, 2)}\n`);
    return 0;
  }
  const shown = (path: string) => displayPath(path, context.paths.home);
  const verb = options.dryRun ? 'would remove' : 'removed';
  context.stdout(
    [
      options.dryRun ? 'log-session uninstall --dry-run: nothing written' : 'log-session uninstalled',
      removed.length
        ? `  hooks: ${verb} from ${shown(settingsPath)}: ${removed.map((hook) => hook.event).join(', ')}`
        : `  hooks: none of ours in ${shown(settingsPath)}`,
      !skillPresent
        ? `  skill: not installed (${shown(skillDir)})`
        : removeSkills
          ? `  skill: ${verb} ${shown(skillDir)}`
          : `  skill: kept, hooks of log-session remain in ${keptFor.map(shown).join(', ')}`,
      `  memory kept: ${shown(context.paths.projectsDir)}`,
      '',
    ].join('\n'),
  );
  return 0;
}

interface HookStatus {
  event: HookEvent;
  registrations: { settingsFile: string; command: string; fileExists: boolean }[];
}

async function status(context: CommandContext, root: string): Promise<number> {
  const options = parseOptions(context.args, 'status', false);
  const skillPath = skillFile(context);
  const files = distinctFiles(settingsFiles(context));
  const isOurs = ourRootCheck(root);
  const problems: string[] = [];
  const hooks: HookStatus[] = desiredHooks(root).map(({ event }) => ({ event, registrations: [] }));
  let plugins: string[] = [];
  for (const file of files) {
    let settings: Settings;
    try {
      settings = (await readSettingsFile(file)).settings;
    } catch (error) {
      if (!(error instanceof UsageError)) throw error;
      problems.push(error.message);
      continue;
    }
    if (file === files[0] && typeof settings.enabledPlugins === 'object' && settings.enabledPlugins !== null) {
      plugins = Object.entries(settings.enabledPlugins).filter(([key, on]) => key.startsWith(`${PACKAGE_NAME}@`) && on === true).map(([key]) => key);
    }
    for (const found of findOurHooks(settings, isOurs)) {
      hooks.find((hook) => hook.event === found.event)?.registrations.push({ settingsFile: file, command: found.command, fileExists: hookFilesExist(found) });
    }
  }
  const skills = SKILLS.map(({ folder }) => {
    const path = join(context.paths.claudeConfigDir, 'skills', folder, 'SKILL.md');
    return { path, installed: existsSync(path) };
  });
  const skillInstalled = skills.every((skill) => skill.installed);
  const sync = await readSyncStatus(context.paths);
  if (options.json) {
    const report = { skill: { path: skillPath, installed: skillInstalled }, skills, hooks, plugins, problems, memoryRoot: context.paths.projectsDir, sync };
    context.stdout(`${JSON.stringify(report, null, 2)}\n`);
    return 0;
  }
  const shown = (path: string) => displayPath(path, context.paths.home);
  const lines = [...skills.map((skill) => `skill:  ${shown(skill.path)} (${skill.installed ? 'installed' : 'not installed'})`), 'hooks:'];
  for (const hook of hooks) {
    if (!hook.registrations.length) lines.push(`  ${hook.event.padEnd(12)} not registered`);
    for (const entry of hook.registrations) {
      lines.push(`  ${hook.event.padEnd(12)} ${shown(entry.settingsFile)}: ${entry.command}${entry.fileExists ? '' : '  (file missing: rebuild or reinstall)'}`);
    }
  }
  if (plugins.length) lines.push(`plugin: ${plugins.join(', ')} enabled in ${shown(files[0] ?? '')}`);
  for (const problem of problems) lines.push(`problem: ${problem}`);
  lines.push(`memory: ${shown(context.paths.projectsDir)}`, describeSyncStatus(sync, shown), '');
  context.stdout(lines.join('\n'));
  return 0;
}

/** The settings files Claude Code reads for this folder, by scope (the project's two sit at the repository root). */
function settingsFiles(context: CommandContext): Record<Scope | 'projectLocal', string> {
  const projectRoot = readRepo(context.cwd, context.paths.gitConfigFiles)?.root ?? context.cwd;
  return {
    user: join(context.paths.claudeConfigDir, 'settings.json'),
    project: join(projectRoot, '.claude', 'settings.json'),
    projectLocal: join(projectRoot, '.claude', 'settings.local.json'),
  };
}

/** Each settings file once: in the home folder, the user's and the project's are one file. */
function distinctFiles(files: Record<string, string>): string[] {
  const seen = new Set<string>();
  return Object.values(files).filter((file) => {
    const real = existsSync(file) ? realpathSync(file) : resolve(file);
    return !seen.has(real) && seen.add(real);
  });
}

/** Settings files in view, other than `except`, that register a hook of ours (unreadable ones count as none). */
async function filesWithOurHooks(inView: string[], isOurs: IsOurRoot, except: string): Promise<string[]> {
  const files: string[] = [];
  for (const file of inView) {
    if (file === except) continue;
    const settings = await readSettingsFile(file).then(({ settings }) => settings, () => undefined);
    if (settings && findOurHooks(settings, isOurs).length) files.push(file);
  }
  return files;
}

function parseOptions(args: string[], name: string, scoped: boolean): { scope: Scope; dryRun: boolean; json: boolean } {
  const values = parseCommandArgs(name, {
    args,
    options: {
      json: { type: 'boolean' },
      ...(scoped ? { scope: { type: 'string' as const }, 'dry-run': { type: 'boolean' as const } } : {}),
    },
  }).values as { json?: boolean; scope?: string; 'dry-run'?: boolean };
  const scope = values.scope ?? 'user';
  if (scope !== 'user' && scope !== 'project') throw new UsageError(`--scope must be 'user' or 'project', got '${scope}'`);
  return { scope, dryRun: values['dry-run'] ?? false, json: values.json ?? false };
}

/** Walks up from `start` to the folder whose package.json is ours (lib/commands/ in source, dist/chunks/ built). */
export function findPackageRoot(start: string): string {
  for (let dir = resolve(start); ; dir = dirname(dir)) {
    if (packageName(dir) === PACKAGE_NAME) return dir;
    if (dirname(dir) === dir) throw new Error(`no ${PACKAGE_NAME} package.json above ${start}`);
  }
}

/**
 * A hook (of exactly our command form) is ours when it runs this package, a folder named log-session, one whose
 * package.json is ours, or a folder that no longer exists: a moved or deleted clone's hooks fail on every turn.
 */
export function ourRootCheck(root: string): IsOurRoot {
  return (candidate) =>
    resolve(candidate) === root ||
    candidate.split(sep).includes(PACKAGE_NAME) ||
    packageName(candidate) === PACKAGE_NAME ||
    !existsSync(candidate);
}

function packageName(dir: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(join(dir, 'package.json'), 'utf8');
  } catch {
    return undefined;
  }
  const manifest = parseJson(text);
  return manifest.ok && isRecord(manifest.value) && 'name' in manifest.value ? String(manifest.value.name) : undefined;
}

/** Refuses a package folder the hook commands cannot name safely, or one not built yet. */
export function checkInstallable(root: string, home: string): void {
  // Hook commands run through a shell, and skills through Bash: inside double quotes these still expand.
  const unsafe = (path: string) => /["$`\\\n]/.exec(path)?.[0];
  for (const [path, fix] of [
    [root, 'move log-session to a folder without it and install from there'],
    [process.execPath, 'install with a Node installed in a folder without it'],
  ] as const) {
    const found = unsafe(path);
    if (found) throw new UsageError(`${path} holds ${JSON.stringify(found)}, which the shell would expand in the hook commands: ${fix}`);
  }
  const missing = hookFiles(root).filter((file) => !existsSync(file));
  if (missing.length) {
    throw new UsageError(`${missing.map((file) => displayPath(file, home)).join(', ')} not found: run 'npm run build' in ${root} first`);
  }
}

function hookFiles(root: string): string[] {
  return desiredHooks(root).flatMap(({ hook }) => parseHookCommand(hook.command)?.file ?? []);
}

function skillFile(context: CommandContext): string {
  return join(context.paths.claudeConfigDir, 'skills', SKILL_NAME, 'SKILL.md');
}

