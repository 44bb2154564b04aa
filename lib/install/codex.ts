import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, rmdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { parseCommandArgs, type CommandContext } from '../commands/command.js';
import { checkInstallable } from '../commands/install.js';
import { replaceFile } from '../disk.js';
import { UsageError } from '../errors.js';
import { agentHasHook } from '../clients/names.js';
import { HOOKS } from '../hook/table.js';
import { isRecord } from '../json.js';
import { displayPath } from '../paths.js';
import type { ClientInstaller } from './clients.js';
import { hookStateKey, trustBlockKeys, trustedHash, withoutTrustBlock, withTrustBlock, type TrustEntry } from './codex-trust.js';
import { editSettingsText, hookFilesExist, readOptional, readSettingsFile, writeSettingsFile } from './settings-file.js';
import { addOurHooks, findOurHooks, hookCommand, removeOurHooks, type DesiredHook, type IsOurRoot, type Settings } from './settings-hooks.js';
import { cliCommand, renderShellSkill, SKILLS } from './skills.js';

/**
 * log-session in Codex: SessionStart and Stop hooks in `<codex home>/hooks.json` (Codex has no SessionEnd: a
 * session that ended is caught up at the next start), the trust Codex asks for them in `config.toml`, and the
 * skills in `<codex home>/skills/`. Each run changes only what is ours; uninstall gives the files back as they were.
 */

export const codexInstaller: ClientInstaller = { install, uninstall, status };

interface CodexFiles {
  hooks: string;
  config: string;
  skills: { path: string; source: string; name: string }[];
}

function codexFiles(context: CommandContext): CodexFiles {
  const home = context.paths.codexHome;
  return {
    hooks: join(home, 'hooks.json'),
    config: join(home, 'config.toml'),
    skills: SKILLS.map(({ source, folder, name }) => ({ path: join(home, 'skills', folder, 'SKILL.md'), source, name })),
  };
}

/** Our hooks as Codex runs them: the built bundles with `--client codex`, through `$SHELL -lc`, so by absolute paths. */
export function desiredCodexHooks(packageRoot: string): DesiredHook[] {
  return HOOKS.filter(({ event }) => agentHasHook('codex', event)).map(({ event, file, timeout }) => ({
    event,
    hook: { type: 'command', command: hookCommand(packageRoot, file, 'codex'), timeout },
  }));
}

async function install(context: CommandContext, root: string, isOurRoot: IsOurRoot): Promise<number> {
  const options = parseOptions(context, 'install');
  checkInstallable(root, context.paths.home);
  const wanted = desiredCodexHooks(root);
  const files = codexFiles(context);

  const hooksFile = await readSettingsFile(files.hooks);
  const nextHooks = addOurHooks(hooksFile.settings, wanted, isOurRoot);
  const hooksText = editSettingsText(hooksFile, nextHooks).text;

  const configText = (await readOptional(files.config)) ?? '';
  const configBase = withoutTrustBlock(configText);
  const states = hookStates(readToml(files.config, configBase));
  const entries = trustEntries(files.hooks, nextHooks, wanted);
  const ownState = entries.filter(({ key }) => states[key] !== undefined);
  const nextConfig = withTrustBlock(configBase, entries.filter(({ key }) => states[key] === undefined));
  readToml(files.config, nextConfig, 'with the trust entries added');
  // Keys Codex holds its own state for (the user reviewed, changed or disabled the hook there): left to the user.
  const toReview = ownState.filter(({ key, hash }) => states[key]?.trusted_hash !== hash || states[key]?.enabled === false);

  const command = cliCommand(join(root, 'dist', 'cli.js'));
  const skills = await Promise.all(
    files.skills.map(async (skill) => {
      const text = renderShellSkill(await readFile(join(root, skill.source), 'utf8'), command, skill.name);
      return { path: skill.path, text, changed: (await readOptional(skill.path)) !== text };
    }),
  );

  const changes = { hooks: hooksText !== hooksFile.text, trust: nextConfig !== configText, skills: skills.some((skill) => skill.changed) };
  if (!options.dryRun) {
    if (changes.hooks) await writeSettingsFile(hooksFile, hooksText);
    if (changes.trust) await writeConfig(files.config, nextConfig, configText);
    for (const skill of skills.filter((each) => each.changed)) {
      await mkdir(dirname(skill.path), { recursive: true, mode: 0o755 });
      await replaceFile(skill.path, skill.text, { mode: 0o644 });
    }
  }
  const review = toReview.map(({ key }) => key);
  if (options.json) {
    const report = { dryRun: options.dryRun, hooks: { path: files.hooks, changed: changes.hooks, registered: wanted.map(({ event, hook }) => ({ event, ...hook })) }, trust: { path: files.config, changed: changes.trust, toReview: review }, skills: skills.map(({ path, changed }) => ({ path, changed })) };
    context.stdout(`${JSON.stringify(report, null, 2)}\n`);
    return 0;
  }
  const shown = (path: string) => displayPath(path, context.paths.home);
  const done = (changed: boolean, verb: string) => (changed ? (options.dryRun ? `would be ${verb}` : verb) : 'up to date');
  context.stdout(
    [
      options.dryRun ? 'log-session install --client codex --dry-run: nothing written' : 'log-session installed into Codex',
      `  hooks: ${shown(files.hooks)} (${done(changes.hooks, 'registered')})`,
      ...wanted.map(({ event, hook }) => `    ${event.padEnd(12)} ${hook.command}  (timeout ${hook.timeout} s)`),
      `  trust: ${shown(files.config)} (${done(changes.trust, 'trusted')})`,
      ...(review.length ? [`  one step left: Codex keeps its own review of ${review.join(', ')}; start codex and approve log-session's hooks under /hooks`] : []),
      ...skills.map((skill) => `  skill: ${shown(skill.path)} (${done(skill.changed, 'written')})`),
      '',
    ].join('\n'),
  );
  return 0;
}

async function uninstall(context: CommandContext, _root: string, isOurRoot: IsOurRoot): Promise<number> {
  const options = parseOptions(context, 'uninstall');
  const files = codexFiles(context);
  const hooksFile = await readSettingsFile(files.hooks);
  const removed = findOurHooks(hooksFile.settings, isOurRoot);
  const rest = removeOurHooks(hooksFile.settings, isOurRoot);
  const hooksText = editSettingsText(hooksFile, rest).text;
  const configText = await readOptional(files.config);
  const nextConfig = configText === undefined ? undefined : withoutTrustBlock(configText);
  const skillDirs = files.skills.map((skill) => dirname(skill.path)).filter((dir) => existsSync(dir));
  if (!options.dryRun) {
    // A hooks file or config that held only what install added goes with it: it configures nothing.
    if (removed.length) await (Object.keys(rest).length === 0 ? rm(files.hooks) : writeSettingsFile(hooksFile, hooksText));
    if (configText !== undefined && nextConfig !== configText) await (nextConfig === '' ? rm(files.config) : writeConfig(files.config, nextConfig!, configText));
    for (const dir of skillDirs) await rm(dir, { recursive: true, force: true });
    // The skills folder install made, when nothing else is in it.
    await rmdir(dirname(dirname(files.skills[0]!.path))).catch(() => undefined);
  }
  const untrusted = configText !== undefined && nextConfig !== configText;
  if (options.json) {
    context.stdout(`${JSON.stringify({ dryRun: options.dryRun, hooks: files.hooks, removedHooks: removed, trustRemoved: untrusted, skillsRemoved: skillDirs }, null, 2)}\n`);
    return 0;
  }
  const shown = (path: string) => displayPath(path, context.paths.home);
  const verb = options.dryRun ? 'would remove' : 'removed';
  context.stdout(
    [
      options.dryRun ? 'log-session uninstall --client codex --dry-run: nothing written' : 'log-session uninstalled from Codex',
      removed.length ? `  hooks: ${verb} from ${shown(files.hooks)}: ${removed.map((hook) => hook.event).join(', ')}` : `  hooks: none of ours in ${shown(files.hooks)}`,
      untrusted ? `  trust: ${verb} from ${shown(files.config)}` : `  trust: none of ours in ${shown(files.config)}`,
      ...(skillDirs.length ? skillDirs.map((dir) => `  skill: ${verb} ${shown(dir)}`) : ['  skills: not installed']),
      `  memory kept: ${shown(context.paths.projectsDir)}`,
      '',
    ].join('\n'),
  );
  return 0;
}

async function status(context: CommandContext, _root: string, isOurRoot: IsOurRoot): Promise<number> {
  const options = parseOptions(context, 'status');
  const files = codexFiles(context);
  const settings = (await readSettingsFile(files.hooks)).settings;
  const configText = (await readOptional(files.config)) ?? '';
  const states = hookStates(readToml(files.config, configText));
  const ours = new Set(trustBlockKeys(configText));
  const hooks = findOurHooks(settings, isOurRoot).map((found) => {
    const entry = trustEntries(files.hooks, settings, [{ event: found.event as DesiredHook['event'], hook: { type: 'command', command: found.command, timeout: 0 } }])[0];
    const state = entry && states[entry.key];
    const trusted = entry !== undefined && (ours.has(entry.key) || (state !== undefined && state.enabled !== false && typeof state.trusted_hash === 'string'));
    return { event: found.event, command: found.command, fileExists: hookFilesExist(found), trusted };
  });
  const skills = files.skills.map((skill) => ({ path: skill.path, installed: existsSync(skill.path) }));
  if (options.json) {
    context.stdout(`${JSON.stringify({ hooksFile: files.hooks, hooks, skills, memoryRoot: context.paths.projectsDir }, null, 2)}\n`);
    return 0;
  }
  const shown = (path: string) => displayPath(path, context.paths.home);
  context.stdout(
    [
      ...skills.map((skill) => `skill:  ${shown(skill.path)} (${skill.installed ? 'installed' : 'not installed'})`),
      `hooks:  ${shown(files.hooks)}`,
      ...(hooks.length ? hooks.map((hook) => `  ${hook.event.padEnd(12)} ${hook.command}${hook.fileExists ? '' : '  (file missing: rebuild or reinstall)'}${hook.trusted ? '' : '  (not trusted: reinstall, or approve it in codex under /hooks)'}`) : ['  none registered']),
      `memory: ${shown(context.paths.projectsDir)}`,
      '',
    ].join('\n'),
  );
  return 0;
}

/**
 * The trust entry of each wanted hook where `settings` holds it: its group's and its own place in the event's list
 * (Codex keys its state by them). The hash is of the hook as `settings` has it, whose timeout Codex reads.
 */
function trustEntries(hooksFile: string, settings: Settings, wanted: DesiredHook[]): TrustEntry[] {
  const events = isRecord(settings.hooks) ? settings.hooks : {};
  return wanted.flatMap(({ event, hook }) => {
    const groups = Array.isArray(events[event]) ? (events[event] as unknown[]) : [];
    for (const [group, value] of groups.entries()) {
      const handlers = isRecord(value) && Array.isArray(value.hooks) ? value.hooks : [];
      const handler = handlers.findIndex((each) => isRecord(each) && each.command === hook.command);
      const found = handlers[handler];
      if (handler === -1 || !isRecord(found)) continue;
      const timeout = typeof found.timeout === 'number' ? found.timeout : 600;
      return [{ key: hookStateKey(hooksFile, event, group, handler), hash: trustedHash(event, { ...hook, timeout }) }];
    }
    return [];
  });
}

type HookStates = Record<string, { trusted_hash?: unknown; enabled?: unknown } | undefined>;

/** config.toml's `[hooks.state."…"]` tables. */
function hookStates(config: Record<string, unknown>): HookStates {
  const hooks = config.hooks;
  return isRecord(hooks) && isRecord(hooks.state) ? (hooks.state as HookStates) : {};
}

/** `text` as TOML; a UsageError naming the file when it is not (`when` says which text was checked). */
function readToml(path: string, text: string, when = ''): Record<string, unknown> {
  try {
    return parseToml(text);
  } catch (error) {
    const what = when ? `${path}, ${when},` : path;
    throw new UsageError(`${what} is not valid TOML (${(error as Error).message.split('\n')[0]}); fix it and run again. Nothing was changed.`, { cause: error });
  }
}

/** config.toml replaced atomically, keeping the mode of the file it replaces (a new one is this user's alone). */
async function writeConfig(path: string, text: string, previous: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await replaceFile(path, text, previous === '' && !existsSync(path) ? { mode: 0o600 } : {});
}

function parseOptions(context: CommandContext, name: string): { dryRun: boolean; json: boolean } {
  const scoped = name !== 'status';
  const values = parseCommandArgs(`${name} --client codex`, {
    args: context.args,
    options: { json: { type: 'boolean' }, ...(scoped ? { 'dry-run': { type: 'boolean' as const } } : {}) },
  }).values as { json?: boolean; 'dry-run'?: boolean };
  return { dryRun: values['dry-run'] ?? false, json: values.json ?? false };
}
