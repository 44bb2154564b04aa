import { existsSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { parseCommandArgs, type CommandContext } from '../commands/command.js';
import { checkInstallable } from '../commands/install.js';
import { replaceFile } from '../disk.js';
import { HOOKS, type HookEvent } from '../hook/table.js';
import { displayPath, type Paths } from '../paths.js';
import type { ClientInstaller } from './clients.js';
import { removeOurSettings, writeSettingsWithReceipt } from './receipt.js';
import { editSettingsText, hookFilesExist, readOptional, readSettingsFile } from './settings-file.js';
import { addOurHooks, findOurHooks, hookCommand, type CommandHook, type IsOurRoot } from './settings-hooks.js';
import { cliCommand, renderShellSkill, SKILLS } from './skills.js';

/**
 * log-session in Gemini CLI: our three hooks in its user settings (`<gemini>/settings.json`, `hooks` shaped as
 * Claude Code's: `{Event: [{hooks: [{type, command, timeout}]}]}`, docs/hooks/reference.md) and both skills in
 * `<gemini>/skills/<folder>/SKILL.md`, which Gemini CLI loads by their `name` and `description` frontmatter.
 */

/** Gemini CLI's event for each of ours: it has no Stop; AfterAgent fires once the agent has answered a prompt. */
const GEMINI_EVENTS: Record<HookEvent, string> = { SessionStart: 'SessionStart', Stop: 'AfterAgent', SessionEnd: 'SessionEnd' };

export interface GeminiHook {
  event: string;
  hook: CommandHook;
}

/**
 * The hooks that run the built bundles of the package at `packageRoot` for Gemini CLI: `--client gemini` tells
 * the hook whose session it is; timeouts are in milliseconds there (seconds in Claude Code).
 */
export function geminiHooks(packageRoot: string): GeminiHook[] {
  return HOOKS.map(({ event, file, timeout }) => ({
    event: GEMINI_EVENTS[event],
    hook: { type: 'command', command: hookCommand(packageRoot, file, 'gemini'), timeout: timeout * 1000 },
  }));
}

export function geminiSettingsPath(paths: Paths): string {
  return join(paths.geminiDir, 'settings.json');
}

function skillFolders(paths: Paths): { source: string; name: string; dir: string }[] {
  return SKILLS.map(({ source, folder, name }) => ({ source, name, dir: join(paths.geminiDir, 'skills', folder) }));
}

function options(context: CommandContext, name: string, dryRun: boolean): { dryRun: boolean; json: boolean } {
  const { values } = parseCommandArgs(`${name} --client gemini`, {
    args: context.args,
    options: { json: { type: 'boolean' }, ...(dryRun ? { 'dry-run': { type: 'boolean' as const } } : {}) },
  });
  const parsed = values as { json?: boolean; 'dry-run'?: boolean };
  return { dryRun: parsed['dry-run'] ?? false, json: parsed.json ?? false };
}

async function install(context: CommandContext, root: string, isOurRoot: IsOurRoot): Promise<number> {
  const { dryRun, json } = options(context, 'install', true);
  checkInstallable(root, context.paths.home);
  const settingsPath = geminiSettingsPath(context.paths);
  const current = await readSettingsFile(settingsPath);
  const wanted = geminiHooks(root);
  const next = editSettingsText(current, addOurHooks(current.settings, wanted, isOurRoot));
  const settingsChanged = next.text !== current.text;
  const command = cliCommand(join(root, 'dist', 'cli.js'));
  const skills = await Promise.all(
    skillFolders(context.paths).map(async ({ source, name, dir }) => {
      const path = join(dir, 'SKILL.md');
      const text = renderShellSkill(await readFile(join(root, source), 'utf8'), command, name);
      return { path, text, changed: (await readOptional(path)) !== text };
    }),
  );
  if (!dryRun) {
    // Folders that do not exist yet, noted before anything creates them: uninstall removes them again when empty.
    const createdFolders = [context.paths.geminiDir, join(context.paths.geminiDir, 'skills')].filter((folder) => !existsSync(folder));
    if (settingsChanged) await writeSettingsWithReceipt(context.paths, current, next, isOurRoot, createdFolders);
    for (const skill of skills.filter((each) => each.changed)) {
      await mkdir(dirname(skill.path), { recursive: true, mode: 0o755 });
      await replaceFile(skill.path, skill.text, { mode: 0o644 });
    }
  }
  const shown = (path: string) => displayPath(path, context.paths.home);
  if (json) {
    const report = {
      dryRun,
      settings: { path: settingsPath, changed: settingsChanged },
      hooks: wanted.map(({ event, hook }) => ({ event, ...hook })),
      skills: skills.map(({ path, changed }) => ({ path, changed })),
      memoryRoot: context.paths.projectsDir,
    };
    context.stdout(`${JSON.stringify(report, null, 2)}\n`);
    return 0;
  }
  const done = (changed: boolean, did: string, would: string) => (!changed ? 'up to date' : dryRun ? would : did);
  context.stdout(
    [
      dryRun ? 'log-session install --client gemini --dry-run: nothing written' : 'log-session installed into Gemini CLI',
      ...skills.map((skill) => `  skill: ${shown(skill.path)} (${done(skill.changed, 'written', 'would write')})`),
      `  hooks: ${shown(settingsPath)} (${done(settingsChanged, 'registered', 'would register')})`,
      ...wanted.map(({ event, hook }) => `    ${event.padEnd(12)} ${hook.command}  (timeout ${hook.timeout} ms)`),
      `  memory: ${shown(context.paths.projectsDir)}`,
      '',
    ].join('\n'),
  );
  return 0;
}

async function uninstall(context: CommandContext, _root: string, isOurRoot: IsOurRoot): Promise<number> {
  const { dryRun, json } = options(context, 'uninstall', true);
  const settingsPath = geminiSettingsPath(context.paths);
  const current = await readSettingsFile(settingsPath);
  const removed = findOurHooks(current.settings, isOurRoot);
  const skills = skillFolders(context.paths).filter(({ dir }) => existsSync(dir));
  if (!dryRun) {
    for (const { dir } of skills) await rm(dir, { recursive: true, force: true });
    await removeOurSettings(context.paths, current, isOurRoot);
  }
  if (json) {
    context.stdout(`${JSON.stringify({ dryRun, settings: settingsPath, removedHooks: removed, removedSkills: skills.map(({ dir }) => dir) }, null, 2)}\n`);
    return 0;
  }
  const shown = (path: string) => displayPath(path, context.paths.home);
  const verb = dryRun ? 'would remove' : 'removed';
  context.stdout(
    [
      dryRun ? 'log-session uninstall --client gemini --dry-run: nothing written' : 'log-session uninstalled from Gemini CLI',
      removed.length ? `  hooks: ${verb} from ${shown(settingsPath)}: ${removed.map((hook) => hook.event).join(', ')}` : `  hooks: none of ours in ${shown(settingsPath)}`,
      skills.length ? `  skills: ${verb} ${skills.map(({ dir }) => shown(dir)).join(', ')}` : '  skills: not installed',
      `  memory kept: ${shown(context.paths.projectsDir)}`,
      '',
    ].join('\n'),
  );
  return 0;
}

async function status(context: CommandContext, root: string, isOurRoot: IsOurRoot): Promise<number> {
  const { json } = options(context, 'status', false);
  const settingsPath = geminiSettingsPath(context.paths);
  const found = findOurHooks((await readSettingsFile(settingsPath)).settings, isOurRoot);
  const hooks = geminiHooks(root).map(({ event }) => ({
    event,
    registrations: found.filter((hook) => hook.event === event).map((hook) => ({ command: hook.command, fileExists: hookFilesExist(hook) })),
  }));
  const skills = skillFolders(context.paths).map(({ dir }) => ({ path: join(dir, 'SKILL.md'), installed: existsSync(join(dir, 'SKILL.md')) }));
  if (json) {
    context.stdout(`${JSON.stringify({ settings: settingsPath, hooks, skills, memoryRoot: context.paths.projectsDir }, null, 2)}\n`);
    return 0;
  }
  const shown = (path: string) => displayPath(path, context.paths.home);
  const lines = [...skills.map((skill) => `skill:  ${shown(skill.path)} (${skill.installed ? 'installed' : 'not installed'})`), `hooks:  ${shown(settingsPath)}`];
  for (const hook of hooks) {
    if (!hook.registrations.length) lines.push(`  ${hook.event.padEnd(12)} not registered`);
    for (const entry of hook.registrations) lines.push(`  ${hook.event.padEnd(12)} ${entry.command}${entry.fileExists ? '' : '  (file missing: rebuild or reinstall)'}`);
  }
  lines.push(`memory: ${shown(context.paths.projectsDir)}`, '');
  context.stdout(lines.join('\n'));
  return 0;
}

/** Gemini CLI's install, uninstall and status, as `--client gemini` runs them. */
export const geminiInstaller: ClientInstaller = { install, uninstall, status };
