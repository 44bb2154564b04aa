import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** Every folder log-session reads or writes. The only place that reads the environment for paths. */
export interface Paths {
  home: string;
  /** Claude Code's config folder: `$CLAUDE_CONFIG_DIR`, else `~/.claude`. */
  claudeConfigDir: string;
  /** Codex's home (config, hooks, skills, rollouts): `$CODEX_HOME`, else `~/.codex`. */
  codexHome: string;
  /** Gemini CLI's folder: `$GEMINI_CLI_HOME/.gemini`, else `~/.gemini`. */
  geminiDir: string;
  /** `$AICONFIG_HOME`, else `~/aiconfig`. */
  aiconfigHome: string;
  /** `<aiconfig>/memory/projects`: every project's memory folder lives directly below it. */
  projectsDir: string;
  /** Machine bookkeeping outside memory: `$XDG_STATE_HOME/log-session`, else `~/.local/state/log-session`. */
  stateDir: string;
  logFile: string;
  /** What each install changed in a settings file, so that uninstall can give back its bytes (lib/install/receipt.ts). */
  installReceiptsDir: string;
  /** Linux's process table, where `record` finds the agent process that runs it (lib/ancestry.ts). */
  procDir: string;
  /**
   * Git's config files besides a repository's own (system, XDG, global), read to know a repository without running
   * git (lib/project/git-files.ts); undefined where GIT_* variables move the repository or its config: git is asked.
   */
  gitConfigFiles: string[] | undefined;
}

/**
 * Where git builds keep their system config: Linux distributions, Homebrew (Apple silicon, Intel), Apple's command
 * line tools. A file that is not there reads as empty; one that another git build reads only makes git be asked.
 */
const SYSTEM_GIT_CONFIGS = ['/etc/gitconfig', '/opt/homebrew/etc/gitconfig', '/usr/local/etc/gitconfig', '/Library/Developer/CommandLineTools/usr/share/git-core/gitconfig'];

/** The variables that make git look for a repository, or read its config, elsewhere than its files say. */
const GIT_STEERING = /^GIT_(DIR|WORK_TREE|COMMON_DIR|INDEX_FILE|OBJECT_DIRECTORY|CEILING_DIRECTORIES|DISCOVERY_ACROSS_FILESYSTEM|CONFIG\w*)$/;

export type Env = Readonly<Record<string, string | undefined>>;

export function resolvePaths(env: Env): Paths {
  const home = nonEmpty(env.HOME) ?? homedir();
  const claudeConfigDir = resolve(nonEmpty(env.CLAUDE_CONFIG_DIR) ?? join(home, '.claude'));
  const codexHome = resolve(nonEmpty(env.CODEX_HOME) ?? join(home, '.codex'));
  const aiconfigHome = resolve(nonEmpty(env.AICONFIG_HOME) ?? join(home, 'aiconfig'));
  const stateHome = resolve(nonEmpty(env.XDG_STATE_HOME) ?? join(home, '.local', 'state'));
  const stateDir = join(stateHome, 'log-session');
  return {
    home: resolve(home),
    claudeConfigDir,
    codexHome,
    geminiDir: resolve(nonEmpty(env.GEMINI_CLI_HOME) ?? home, '.gemini'),
    aiconfigHome,
    projectsDir: join(aiconfigHome, 'memory', 'projects'),
    stateDir,
    logFile: join(stateDir, 'log-session.log'),
    installReceiptsDir: join(stateDir, 'installs'),
    procDir: '/proc',
    gitConfigFiles: Object.keys(env).some((name) => GIT_STEERING.test(name) && env[name] !== undefined)
      ? undefined
      : [...SYSTEM_GIT_CONFIGS, join(resolve(nonEmpty(env.XDG_CONFIG_HOME) ?? join(home, '.config')), 'git', 'config'), join(resolve(home), '.gitconfig')],
  };
}

/** Writes a path for people: the home folder as `~`. */
export function displayPath(path: string, home: string): string {
  if (path === home) return '~';
  return path.startsWith(home + '/') ? '~' + path.slice(home.length) : path;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
