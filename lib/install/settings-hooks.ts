/**
 * Our three hooks in a Claude Code settings object: add, find, remove. Pure: the caller reads and writes the
 * file, and says which package folders are log-session (`isOurRoot`), since that may need the disk.
 */

import { HOOKS, hookScript, type HookEvent } from '../hook/table.js';
import { isRecord } from '../json.js';

export interface CommandHook {
  type: 'command';
  command: string;
  timeout: number;
}

export interface DesiredHook {
  event: HookEvent;
  hook: CommandHook;
}

export type Settings = Record<string, unknown>;
export type IsOurRoot = (packageRoot: string) => boolean;

/**
 * The command that runs our built hook `file` (never tsx: startup time) of the package at `packageRoot`, with
 * `--client NAME` for an agent other than Claude Code. Node by the absolute path of the one that runs the
 * installer: an agent's PATH (Codex runs hooks through a login shell, which may reset it; an IDE's) must not
 * decide which Node runs them, or find none. Both paths double-quoted; install refuses paths the shell would
 * still expand there.
 */
export function hookCommand(packageRoot: string, file: string, client?: string, node: string = process.execPath): string {
  return `"${node}" "${packageRoot}/dist/hooks/${file}"${client ? ` --client ${client}` : ''}`;
}

/** Claude Code's hooks that run the built bundles of the package at `packageRoot`. */
export function desiredHooks(packageRoot: string): DesiredHook[] {
  return HOOKS.map(({ event, file, timeout }) => ({ event, hook: { type: 'command', command: hookCommand(packageRoot, file), timeout } }));
}

/**
 * Exactly the command we register (see hookCommand), or as earlier installs registered it: `node` by name, a
 * `.js` bundle. A command that does more, e.g. `... && notify-send done`, is the user's and is never touched.
 */
const hookScriptPattern = new RegExp(String.raw`^(?:node|"(/[^"]+)") ["']?(([^"']*?)/dist/hooks/(${HOOKS.map(({ file }) => hookScript(file)).join('|')})\.c?js)["']?(?: --client ([\w-]+))?$`);

/**
 * The file a hook command runs, its package folder, script and agent (none: Claude Code), and the Node it names
 * (none: `node` found on PATH), when it runs one of our hook bundles.
 */
export function parseHookCommand(command: string): { file: string; packageRoot: string; script: string; client?: string; node?: string } | undefined {
  const match = hookScriptPattern.exec(command.trim());
  if (!match?.[2] || !match[3] || !match[4]) return undefined;
  return { file: match[2], packageRoot: match[3], script: match[4], ...(match[5] ? { client: match[5] } : {}), ...(match[1] ? { node: match[1] } : {}) };
}

/** Settings keys we read; a malformed shape is the user's to fix, so it is reported, never rewritten. */
export function checkSettingsShape(settings: unknown): string | undefined {
  if (!isRecord(settings)) return 'the top level is not a JSON object';
  if (settings.hooks === undefined) return undefined;
  if (!isRecord(settings.hooks)) return '"hooks" is not an object';
  for (const [event, groups] of Object.entries(settings.hooks)) {
    if (!Array.isArray(groups)) return `"hooks.${event}" is not a list`;
    for (const group of groups) {
      if (!isRecord(group) || (group.hooks !== undefined && !Array.isArray(group.hooks))) {
        return `"hooks.${event}" has a group whose "hooks" is not a list`;
      }
    }
  }
  return undefined;
}

export interface FoundHook {
  event: string;
  command: string;
  file: string;
  packageRoot: string;
  script: string;
  node?: string;
}

export function findOurHooks(settings: Settings, isOurRoot: IsOurRoot): FoundHook[] {
  const found: FoundHook[] = [];
  for (const [event, groups] of Object.entries(hookEvents(settings))) {
    for (const group of groups) {
      for (const hook of groupHooks(group)) {
        const ours = ourHook(hook, isOurRoot);
        if (ours) found.push({ ...ours, event });
      }
    }
  }
  return found;
}

/**
 * Settings with exactly `wanted` as our hooks. An earlier hook of ours in the same event is replaced where it
 * stands (so a re-run changes nothing); other hooks of ours are removed; everything else is kept as it is.
 */
export function addOurHooks(settings: Settings, wanted: { event: string; hook: CommandHook }[], isOurRoot: IsOurRoot): Settings {
  const result = structuredClone(settings);
  const events = isRecord(result.hooks) ? (result.hooks as Record<string, unknown[]>) : {};
  const pending = new Map(wanted.map((entry) => [entry.event as string, entry.hook]));
  for (const [event, groups] of Object.entries(events)) {
    for (const group of groups) {
      if (!isRecord(group) || !Array.isArray(group.hooks)) continue;
      group.hooks = group.hooks.flatMap((hook: unknown) => {
        if (!ourHook(hook, isOurRoot)) return [hook];
        const replacement = pending.get(event);
        pending.delete(event);
        return replacement ? [{ ...replacement }] : [];
      });
    }
  }
  for (const [event, hook] of pending) {
    events[event] = [...(events[event] ?? []), { hooks: [{ ...hook }] }];
  }
  result.hooks = events;
  return pruneEmptied(settings, result);
}

/** The hook containers a user keeps empty (`"hooks": {}`, `"Stop": []`): uninstall leaves them, whatever install put in them. */
export interface EmptyHooks {
  hooks: boolean;
  events: string[];
}

export function emptyHooksOf(settings: Settings): EmptyHooks {
  const events = Object.entries(hookEvents(settings)).filter(([, groups]) => groups.length === 0);
  return { hooks: isRecord(settings.hooks) && Object.keys(settings.hooks).length === 0, events: events.map(([event]) => event) };
}

/** Settings without our hooks; groups, events and `hooks` that we emptied go too, unless the user kept them empty. */
export function removeOurHooks(settings: Settings, isOurRoot: IsOurRoot, keptEmpty: EmptyHooks = { hooks: false, events: [] }): Settings {
  const result = structuredClone(settings);
  for (const groups of Object.values(hookEvents(result))) {
    for (const group of groups) {
      if (isRecord(group) && Array.isArray(group.hooks)) {
        group.hooks = group.hooks.filter((hook: unknown) => !ourHook(hook, isOurRoot));
      }
    }
  }
  return pruneEmptied(settings, result, keptEmpty);
}

/** Drops groups, events and `hooks` that are empty in `after` but were not empty in `before`. */
function pruneEmptied(before: Settings, after: Settings, keptEmpty: EmptyHooks = { hooks: false, events: [] }): Settings {
  if (!isRecord(after.hooks)) return after;
  const beforeEvents = hookEvents(before);
  const afterEvents = after.hooks as Record<string, unknown[]>;
  for (const [event, groups] of Object.entries(afterEvents)) {
    const beforeGroups = beforeEvents[event] ?? [];
    const kept = groups.filter((group, index) => {
      const wasEmpty = groupHooks(beforeGroups[index]).length === 0 && beforeGroups[index] !== undefined;
      return wasEmpty || groupHooks(group).length > 0 || !isRecord(group) || !Array.isArray(group.hooks);
    });
    afterEvents[event] = kept;
    if (kept.length === 0 && (beforeEvents[event]?.length ?? 1) > 0 && !keptEmpty.events.includes(event)) delete afterEvents[event];
  }
  if (Object.keys(afterEvents).length === 0 && !keptEmpty.hooks && (!isRecord(before.hooks) || Object.keys(before.hooks).length > 0)) {
    delete after.hooks;
  }
  return after;
}

function ourHook(hook: unknown, isOurRoot: IsOurRoot): Omit<FoundHook, 'event'> | undefined {
  if (!isRecord(hook) || hook.type !== 'command' || typeof hook.command !== 'string') return undefined;
  const parsed = parseHookCommand(hook.command);
  if (!parsed || !isOurRoot(parsed.packageRoot)) return undefined;
  return { command: hook.command, ...parsed };
}

function hookEvents(settings: Settings): Record<string, unknown[]> {
  if (!isRecord(settings.hooks)) return {};
  return Object.fromEntries(Object.entries(settings.hooks).filter((entry): entry is [string, unknown[]] => Array.isArray(entry[1])));
}

function groupHooks(group: unknown): unknown[] {
  return isRecord(group) && Array.isArray(group.hooks) ? group.hooks : [];
}
