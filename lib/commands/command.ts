import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from '../errors.js';
import type { Env, Paths } from '../paths.js';

/** What every subcommand gets: the outside world, passed in so tests can run on temp folders. */
export interface CommandContext {
  args: string[];
  env: Env;
  paths: Paths;
  cwd: string;
  now: () => Date;
  /** Standard input, or `undefined` when it holds more than `maxBytes`. */
  readStdin: (maxBytes?: number) => Promise<string | undefined>;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

export interface Command {
  /** Full help text, printed for `--help`. */
  usage: string;
  /** Resolves to the exit code. Throws UsageError for problems the caller can fix. */
  run(context: CommandContext): Promise<number>;
}

/** parseArgs (strict by default): an unknown or malformed option is a UsageError that names it and points at --help. */
export function parseCommandArgs<T extends ParseArgsConfig>(command: string, config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (error) {
    throw new UsageError(`${(error as Error).message}. See 'log-session ${command} --help'.`, { cause: error });
  }
}
