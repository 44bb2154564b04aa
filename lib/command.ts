import type { Env, Paths } from './paths.js';

/** What every subcommand gets: the outside world, passed in so tests can run on temp folders. */
export interface CommandContext {
  args: string[];
  env: Env;
  paths: Paths;
  cwd: string;
  now: () => Date;
  readStdin: () => Promise<string>;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

export interface Command {
  summary: string;
  /** Full help text, printed for `--help`. */
  usage: string;
  /** Resolves to the exit code. Throws UsageError for problems the caller can fix. */
  run(context: CommandContext): Promise<number>;
}
