import type { Command, CommandContext } from './commands/command.js';
import { UsageError } from './errors.js';

/** Each command is loaded only when it runs, so `record` never pays for the installer's imports. */
const commands: Record<string, () => Promise<Command>> = {
  record: async () => (await import('./commands/record.js')).recordCommand,
  facts: async () => (await import('./commands/facts.js')).factsCommand,
  show: async () => (await import('./commands/show.js')).showCommand,
  context: async () => (await import('./commands/context.js')).contextCommand,
  recall: async () => (await import('./commands/recall.js')).recallCommand,
  install: async () => (await import('./commands/install.js')).installCommand,
  uninstall: async () => (await import('./commands/install.js')).uninstallCommand,
  status: async () => (await import('./commands/install.js')).statusCommand,
};

const summaries: Record<string, string> = {
  record: 'record this session (JSON on stdin) into project memory',
  facts: 'show what log-session knows about a session (writes nothing)',
  show: 'list recent sessions of a project',
  context: 'print the brief that SessionStart gives the next session',
  recall: 'search sessions, decisions and files of a project',
  install: 'install the skill and hooks into Claude Code',
  uninstall: 'remove what install added',
  status: 'say what is installed where',
};

const overview = `log-session: durable project memory for Claude Code

Usage: log-session <command> [options]

Commands:
${Object.entries(summaries)
  .map(([name, summary]) => `  ${name.padEnd(10)} ${summary}`)
  .join('\n')}

Run 'log-session <command> --help' for a command's options. --debug prints stack traces.
`;

export async function runCli(argv: string[], context: Omit<CommandContext, 'args'>): Promise<number> {
  const debug = argv.includes('--debug');
  const args = argv.filter((arg) => arg !== '--debug');
  const [name, ...rest] = args;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    context.stdout(overview);
    return name === undefined ? 1 : 0;
  }
  const load = commands[name];
  if (!load) {
    context.stderr(`log-session: unknown command '${name}'. Commands: ${Object.keys(commands).join(', ')}.\n`);
    return 1;
  }
  const command = await load();
  if (rest.includes('--help') || rest.includes('-h')) {
    context.stdout(command.usage);
    return 0;
  }
  try {
    return await command.run({ ...context, args: rest });
  } catch (error) {
    if (error instanceof UsageError) {
      context.stderr(`log-session ${name}: ${error.message}\n`);
      return 1;
    }
    const message = error instanceof Error ? error.message : String(error);
    context.stderr(`log-session ${name} failed: ${message}\n`);
    if (debug && error instanceof Error) context.stderr(`${error.stack}\n`);
    return 2;
  }
}

/** Runs the CLI against this process: its arguments, environment, folder and streams. */
export async function runCliInProcess(argv: string[]): Promise<void> {
  const [{ resolvePaths }, { readStdin }] = await Promise.all([import('./paths.js'), import('./hook/stdin.js')]);
  process.exitCode = await runCli(argv, {
    env: process.env,
    paths: resolvePaths(process.env),
    cwd: process.cwd(),
    now: () => new Date(),
    readStdin,
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
  });
}
