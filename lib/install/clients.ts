import type { CommandContext } from '../commands/command.js';
import { CLIENT_NAMES, isClientName, type ClientName } from '../clients/names.js';
import { UsageError } from '../errors.js';
import type { IsOurRoot } from './settings-hooks.js';

/**
 * One of install, uninstall, status for one agent: parses its own options from `context.args`, prints, returns the
 * exit code. `isOurRoot` tells which package folders are log-session's (see lib/commands/install.ts).
 */
export type InstallAction = (context: CommandContext, packageRoot: string, isOurRoot: IsOurRoot) => Promise<number>;

export interface ClientInstaller {
  install: InstallAction;
  uninstall: InstallAction;
  status: InstallAction;
}

/**
 * The installer of every agent but Claude Code (whose is lib/commands/install.ts), each in its own module under
 * lib/install/, loaded only when asked for.
 */
const OTHER_INSTALLERS: Record<Exclude<ClientName, 'claude-code'>, () => Promise<ClientInstaller>> = {
  codex: async () => (await import('./codex.js')).codexInstaller,
  gemini: async () => (await import('./gemini.js')).geminiInstaller,
};

/** What `--client` takes, for the usage texts. */
export const CLIENT_CHOICES = [...CLIENT_NAMES, 'all'].join('|');

/**
 * Runs `action` of install, uninstall or status for the agents `--client` names (default claude-code; `all` is
 * every agent, one after the other): Claude Code's through `claudeCode`, the others' through their installer.
 * Several agents' outputs are printed one after the other, or with `--json` as one object keyed by agent.
 */
export async function runForClients(
  action: keyof ClientInstaller,
  context: CommandContext,
  packageRoot: string,
  ourRootCheck: (packageRoot: string) => IsOurRoot,
  claudeCode: ClientInstaller,
): Promise<number> {
  const isOurRoot = ourRootCheck(packageRoot);
  const { names, args } = takeClientOption(context.args);
  const installers: Record<ClientName, () => Promise<ClientInstaller>> = { ...OTHER_INSTALLERS, 'claude-code': async () => claudeCode };
  const run = async (name: ClientName, each: CommandContext) => (await installers[name]())[action](each, packageRoot, isOurRoot);
  if (names.length === 1) return run(names[0]!, { ...context, args });
  const outputs: Record<string, string> = {};
  let code = 0;
  for (const name of names) {
    let output = '';
    code = Math.max(code, await run(name, { ...context, args, stdout: (text) => void (output += text) }));
    outputs[name] = output;
  }
  if (args.includes('--json')) {
    context.stdout(`${JSON.stringify(Object.fromEntries(Object.entries(outputs).map(([name, text]) => [name, JSON.parse(text) as unknown])), null, 2)}\n`);
  } else {
    context.stdout(Object.entries(outputs).map(([name, text]) => `${name}:\n${text}`).join('\n'));
  }
  return code;
}

/** `--client NAME` (or `--client=NAME`) taken out of `args`: the agents it names, and the rest for the agent's own parser. */
function takeClientOption(args: string[]): { names: ClientName[]; args: string[] } {
  const rest: string[] = [];
  let value: string | undefined;
  for (let index = 0; index < args.length; index++) {
    const arg = args[index]!;
    if (arg === '--client') value = args[++index] ?? '';
    else if (arg.startsWith('--client=')) value = arg.slice('--client='.length);
    else rest.push(arg);
  }
  if (value === undefined) return { names: ['claude-code'], args: rest };
  if (value === 'all') return { names: [...CLIENT_NAMES], args: rest };
  if (!isClientName(value)) throw new UsageError(`--client must be one of ${CLIENT_CHOICES}, got '${value}'`);
  return { names: [value], args: rest };
}
