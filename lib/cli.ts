import type { Command, CommandContext } from './commands/command.js';
import { UsageError } from './errors.js';
import { writeOutput } from './output.js';

/** The commands, each with its line in the overview; loaded only when it runs, so `record` never pays for the installer's imports. */
const commands: Record<string, { summary: string; load: () => Promise<Command> }> = {
  record: { summary: 'record this session into project memory (options, or JSON on stdin)', load: async () => (await import('./commands/record.js')).recordCommand },
  facts: { summary: 'show what log-session knows about a session (writes nothing)', load: async () => (await import('./commands/facts.js')).factsCommand },
  show: { summary: 'list recent sessions of a project', load: async () => (await import('./commands/show.js')).showCommand },
  context: { summary: 'print the brief that SessionStart gives the next session', load: async () => (await import('./commands/context.js')).contextCommand },
  recall: { summary: 'search sessions, decisions and files of a project', load: async () => (await import('./commands/recall.js')).recallCommand },
  export: { summary: 'write the journal of a project: markdown, or one HTML page', load: async () => (await import('./commands/export.js')).exportCommand },
  install: { summary: 'install the skills and hooks into Claude Code', load: async () => (await import('./commands/install.js')).installCommand },
  uninstall: { summary: 'remove what install added', load: async () => (await import('./commands/install.js')).uninstallCommand },
  sync: { summary: 'sync project memory between machines through its git repository', load: async () => (await import('./commands/sync.js')).syncCommand },
  'merge-driver': { summary: "git's merge driver for memory files (sync sets it up)", load: async () => (await import('./commands/merge-driver.js')).mergeDriverCommand },
  status: { summary: 'say what is installed where', load: async () => (await import('./commands/install.js')).statusCommand },
};

const overview = `log-session: durable project memory for Claude Code

Usage: log-session <command> [options]

Commands:
${Object.entries(commands)
  .map(([name, { summary }]) => `  ${name.padEnd(12)} ${summary}`)
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
  const entry = commands[name];
  if (!entry) {
    context.stderr(`log-session: unknown command '${name}'. Commands: ${Object.keys(commands).join(', ')}.\n`);
    return 1;
  }
  const command = await entry.load();
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
    stdout: (text) => writeOutput(1, text),
    stderr: (text) => writeOutput(2, text),
  });
}
