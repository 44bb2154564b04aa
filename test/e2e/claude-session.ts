/**
 * Helpers to run the real Claude Code CLI (e2e/agents/node_modules/.bin/claude, 2.1.331 native binary: the
 * test-only npm project of agent CLIs, installed by `npm --prefix e2e/agents ci`) against the fake
 * Messages API (./fake-messages-api.ts). Product e2e tests should use them as test/e2e/harness.test.ts does.
 *
 * What worked here (Linux, Node 20, 2 cores; every `-p` session in 0.3-0.8 s):
 * - Env built from scratch, only PATH inherited: `HOME=<temp>/home`, `ANTHROPIC_BASE_URL=http://127.0.0.1:<port>`,
 *   `ANTHROPIC_API_KEY=test-key`, `CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1` (+ `extraEnv`). stdin closed
 *   (`stdio: ['ignore', 'pipe', 'pipe']`); with an open stdin pipe the CLI waits 3 s first.
 * - New session: `claude -p <prompt> --session-id <uuid> --allowedTools Write,Edit,Bash,Skill,Read`, cwd = the
 *   project (a git repo). stdout = the last assistant text + '\n'; exit 0. We pass `--session-id` so the id is
 *   known before the run (scripts can be matched by it; concurrent runs in one HOME and cwd work).
 * - Resume: `claude -p <prompt> --resume <id> --allowedTools …`: same id (header and hook input), lines appended
 *   to the same file (the old content stays a byte-exact prefix), SessionStart `source: "resume"`.
 * - Transcript: `$HOME/.claude/projects/<cwd, every char outside [a-zA-Z0-9] as '-'>/<id>.jsonl` (mode 0600),
 *   complete as soon as the process has exited.
 * - Hooks in user settings `$HOME/.claude/settings.json` (`{"hooks":{"SessionStart":[{"hooks":[{"type":"command",
 *   "command":"sh '<script>'"}]}],…}}`) fire in `-p` without any trust step, in the order SessionStart, Stop,
 *   SessionEnd, with `CLAUDE_PROJECT_DIR` and `CLAUDE_CODE_SESSION_ID` in their env.
 * - Skills: `$HOME/.claude/skills/<name>/SKILL.md`, called by a scripted `Skill` tool_use `{"skill":"<name>"}`.
 * - Plugin, offline, same env, cwd = the project: `claude plugin marketplace add <dir>` then
 *   `claude plugin install <plugin>@<marketplace>` (each ~0.2 s, exit 0, no API request). `<dir>` holds
 *   `.claude-plugin/plugin.json` (`name`, `version`), `.claude-plugin/marketplace.json` (`name`, `owner.name`,
 *   `plugins: [{name, source: "./"}]`) and `hooks/hooks.json` with `"command": "sh \"${CLAUDE_PLUGIN_ROOT}/hooks/x.sh\""`.
 *   Result: settings.json gets `extraKnownMarketplaces.<m>.source = {source:"directory", path:<dir>}` and
 *   `enabledPlugins["<p>@<m>"] = true`; a copy lands in `~/.claude/plugins/cache/<m>/<p>/<version>/`, but the hooks
 *   run with `CLAUDE_PLUGIN_ROOT=<dir>` (the source folder) and `CLAUDE_PLUGIN_DATA=~/.claude/plugins/data/<p>-<m>`.
 *
 * Surprises (not in, or beyond, the reference notes):
 * - On a 400 the CLI does not give up at once: it re-sent the request 5 more times, each time with fewer
 *   `anthropic-beta` flags, then printed `API Error: 400 <message>` on stdout (not stderr) and exited 1 (~0.35 s).
 * - The SessionStart `role:"system"` message has content as text blocks in the first request but as a plain
 *   string in the later requests of the same run.
 * - A failed Edit's tool_result content is `<tool_use_error>String to replace not found in file.\nString: …
 *   </tool_use_error>` (is_error true) while the transcript's `toolUseResult` is `"Error: String to replace …"`.
 * - A fresh HOME already lists a built-in skill (`dataviz`) and built-in plugins (`…@builtin` in ~/.claude.json),
 *   and the default model in requests is `claude-opus-5-5`: do not assert exact skill or plugin lists.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** Our built CLI, as the installer and the skill run it. */
export const LOG_SESSION_CLI = join(REPO_ROOT, 'dist', 'cli.js');

export const CLAUDE_BIN = join(REPO_ROOT, 'e2e', 'agents', 'node_modules', '.bin', 'claude');

/** The claude binary, or an error that says how to install it. */
function claudeBin(): string {
  if (!existsSync(CLAUDE_BIN)) throw new Error(`${CLAUDE_BIN} is missing: run 'npm --prefix e2e/agents ci' (the agent CLIs the e2e suite drives)`);
  return CLAUDE_BIN;
}

export const DEFAULT_ALLOWED_TOOLS = ['Write', 'Edit', 'Bash', 'Skill', 'Read'];

export interface TempProject {
  /** The temp folder holding both `home` and `cwd`. */
  root: string;
  /** Use as `HOME`. */
  home: string;
  /** A git repo (user set, one commit with `README.md`): the folder claude runs in. */
  cwd: string;
  cleanup(): Promise<void>;
}

/** A temp HOME and a git project folder beside it (real paths, no symlinks). */
export async function makeTempProject(files: Record<string, string> = { 'README.md': '# demo\n' }): Promise<TempProject> {
  const root = await realpath(await mkdtemp(join(tmpdir(), 'log-session-e2e-')));
  const home = join(root, 'home');
  const cwd = join(root, 'project');
  await mkdir(home);
  await mkdir(cwd);
  for (const [path, content] of Object.entries(files)) await writeText(join(cwd, path), content);
  await git(cwd, 'init', '-q', '-b', 'main');
  await git(cwd, 'config', 'user.name', 'E2E Test');
  await git(cwd, 'config', 'user.email', 'e2e@example.invalid');
  await git(cwd, 'add', '-A');
  // Dated an hour back, as a project's last commit usually is: one stamped in the second a session starts could be
  // the session's own (commit times are whole seconds).
  const anHourAgo = `@${Math.floor(Date.now() / 1000) - 3600} +0000`;
  const env = { ...gitEnv(cwd), GIT_AUTHOR_DATE: anHourAgo, GIT_COMMITTER_DATE: anHourAgo };
  check(await run('git', ['commit', '-q', '-m', 'initial'], { cwd, env, timeoutMs: 10_000 }));
  // A Stop hook's detached worker can still be writing when claude has exited: retry what it adds meanwhile.
  return { root, home, cwd, cleanup: () => rm(root, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 }) };
}

/** Runs git in `cwd` without the machine's global/system config; returns stdout, throws unless exit 0. */
export async function git(cwd: string, ...args: string[]): Promise<string> {
  return check(await run('git', args, { cwd, env: gitEnv(cwd), timeoutMs: 10_000 })).stdout;
}

function gitEnv(cwd: string): Record<string, string> {
  return { PATH: inheritedPath(), HOME: cwd, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' };
}

export interface ClaudeEnvOptions {
  home: string;
  /** The fake API's URL (`http://127.0.0.1:<port>`). */
  apiUrl: string;
  extraEnv?: Record<string, string>;
}

/** The whole environment of a claude run: built from scratch, only PATH is inherited. API on loopback only. */
export function claudeEnv({ home, apiUrl, extraEnv }: ClaudeEnvOptions): Record<string, string> {
  const env = {
    PATH: inheritedPath(),
    HOME: home,
    ANTHROPIC_BASE_URL: apiUrl,
    ANTHROPIC_API_KEY: 'test-key',
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    ...extraEnv,
  };
  if (!/^http:\/\/127\.0\.0\.1:\d+\/?$/.test(env.ANTHROPIC_BASE_URL)) {
    throw new Error(`ANTHROPIC_BASE_URL must be http://127.0.0.1:<port>, got ${env.ANTHROPIC_BASE_URL}`);
  }
  return env;
}

export interface RunClaudeOptions extends ClaudeEnvOptions {
  cwd: string;
  prompt: string;
  /** Default: Write, Edit, Bash, Skill, Read. */
  allowedTools?: string[];
  /** Resume this session id (`--resume`); else a new session with a fresh `--session-id`. */
  resume?: string;
  /** For a new session: the id to pass as `--session-id` (default: a random UUID). */
  sessionId?: string;
  extraArgs?: string[];
  /** Default 60 s. The process group is killed when it runs out. */
  timeoutMs?: number;
}

export interface ProcessResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  durationMs: number;
}

export interface ClaudeRun extends ProcessResult {
  sessionId: string;
  transcriptPath: string;
}

/** One `claude -p` session. Never throws on a non-zero exit: assert on `exitCode`. */
export async function runClaude(options: RunClaudeOptions): Promise<ClaudeRun> {
  const sessionId = options.resume ?? options.sessionId ?? randomUUID();
  const args = [
    '-p',
    options.prompt,
    ...(options.resume ? ['--resume', options.resume] : ['--session-id', sessionId]),
    '--allowedTools',
    (options.allowedTools ?? DEFAULT_ALLOWED_TOOLS).join(','),
    ...(options.extraArgs ?? []),
  ];
  const result = await run(claudeBin(), args, {
    cwd: options.cwd,
    env: claudeEnv(options),
    timeoutMs: options.timeoutMs ?? 60_000,
  });
  return { ...result, sessionId, transcriptPath: transcriptPathFor(options.home, options.cwd, sessionId) };
}

/**
 * Any other claude command (e.g. `plugin …`), same env. Throws unless it exits 0. 120 s: `plugin install` of a
 * local marketplace copies the plugin's folder whole (a whole clone with node_modules took 32 s on a loaded 2-core machine).
 */
export async function claudeCommand(args: string[], options: ClaudeEnvOptions & { cwd: string }): Promise<ProcessResult> {
  return check(await run(claudeBin(), args, { cwd: options.cwd, env: claudeEnv(options), timeoutMs: 120_000 }));
}

export interface InstallPluginOptions extends ClaudeEnvOptions {
  cwd: string;
  /** A local folder with `.claude-plugin/marketplace.json`. */
  marketplaceDir: string;
  marketplace: string;
  plugin: string;
}

/** `claude plugin marketplace add <dir>` then `claude plugin install <plugin>@<marketplace>` (scope user). */
export async function installLocalPlugin(options: InstallPluginOptions): Promise<ProcessResult[]> {
  return [
    await claudeCommand(['plugin', 'marketplace', 'add', options.marketplaceDir], options),
    await claudeCommand(['plugin', 'install', `${options.plugin}@${options.marketplace}`], options),
  ];
}

/** Claude Code's project folder name: every character outside [a-zA-Z0-9] becomes `-` (paths up to 200 chars). */
export function encodeProjectDir(cwd: string): string {
  const encoded = cwd.replace(/[^a-zA-Z0-9]/g, '-');
  if (encoded.length > 200) throw new Error(`project path too long for this helper: ${cwd}`);
  return encoded;
}

export function transcriptPathFor(home: string, cwd: string, sessionId: string): string {
  return join(home, '.claude', 'projects', encodeProjectDir(cwd), `${sessionId}.jsonl`);
}

/** Parsed lines of a JSONL file (blank lines skipped); `[]` when the file is missing. */
export async function readJsonl(path: string): Promise<Record<string, unknown>[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

export interface HookCall {
  /** The hook's stdin, parsed. */
  input: Record<string, unknown> & { hook_event_name: string; session_id: string; transcript_path: string; cwd: string };
  /** The recorded environment variables (`''` when unset). */
  env: Record<string, string>;
}

export const RECORDED_HOOK_ENV = ['CLAUDE_PROJECT_DIR', 'CLAUDE_CODE_SESSION_ID', 'CLAUDE_PLUGIN_ROOT', 'CLAUDE_PLUGIN_DATA'];

/**
 * Writes a `sh` script that appends one JSON line per call to `logFile`: `{"env":{…},"input":<stdin>}`.
 * Run it from a hook as `sh '<scriptPath>'` (or `sh "${CLAUDE_PLUGIN_ROOT}/…"` in a plugin).
 */
export async function writeHookRecorder(scriptPath: string, logFile: string): Promise<void> {
  const format = `{"env":{${RECORDED_HOOK_ENV.map((name) => `"${name}":"%s"`).join(',')}},"input":%s}\\n`;
  const args = RECORDED_HOOK_ENV.map((name) => `"$${name}"`).join(' ');
  const script = [
    '#!/bin/sh',
    `input=$(tr -d '\\n')`,
    `printf ${shellQuote(format)} ${args} "\${input:-null}" >> ${shellQuote(logFile)}`,
  ];
  await writeText(scriptPath, script.join('\n') + '\n');
}

export async function readHookCalls(logFile: string): Promise<HookCall[]> {
  return (await readJsonl(logFile)) as unknown as HookCall[];
}

/** A command hook that prints SessionStart `additionalContext` (for settings.json or hooks.json). */
export function sessionStartContextHook(text: string): { type: 'command'; command: string } {
  const output = { hookSpecificOutput: { hookEventName: 'SessionStart', additionalContext: text } };
  return { type: 'command', command: `printf '%s' ${shellQuote(JSON.stringify(output))}` };
}

export function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** Writes `$HOME/.claude/settings.json` (user scope). */
export async function writeUserSettings(home: string, settings: object): Promise<void> {
  await writeText(join(home, '.claude', 'settings.json'), JSON.stringify(settings, null, 2));
}

export async function writeText(path: string, content: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, content);
}

export function inheritedPath(): string {
  return process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin';
}

function check(result: ProcessResult): ProcessResult {
  if (result.exitCode !== 0) {
    throw new Error(`exit ${result.exitCode ?? result.signal}${result.timedOut ? ' (timed out)' : ''}\n${result.stdout}\n${result.stderr}`);
  }
  return result;
}

/** Spawns in its own process group, stdin closed; on timeout kills that group. */
export function run(command: string, args: string[], options: { cwd: string; env: Record<string, string>; timeoutMs: number }): Promise<ProcessResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid !== undefined) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }, options.timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (exitCode, signal) => {
      clearTimeout(timer);
      resolve({ exitCode, signal, stdout, stderr, timedOut, durationMs: Date.now() - started });
    });
  });
}

/** A process still running with `HOME=<home>` in its environment. */
export interface ProcessOfHome {
  pid: number;
  command: string;
}

/**
 * The processes (other than this one) whose environment holds `HOME=<home>`: on Linux, from `/proc/<pid>/environ`.
 * Every process of a test's temp HOME descends from a claude run or our CLI (hooks, their detached workers, the git
 * they start), since only those get that HOME. Processes of other users, and zombies, are unreadable and skipped.
 */
export async function processesOfHome(home: string): Promise<ProcessOfHome[]> {
  const entries = await readdir('/proc').catch((error: unknown) => {
    throw new Error(`processesOfHome needs Linux's /proc: ${String(error)}`, { cause: error });
  });
  const wanted = `\0HOME=${home}\0`;
  const found = await Promise.all(
    entries
      .filter((name) => /^\d+$/.test(name) && Number(name) !== process.pid)
      .map(async (name) => {
        const environ = await readFile(`/proc/${name}/environ`, 'utf8').catch(() => '');
        if (!`\0${environ}`.includes(wanted)) return undefined;
        const cmdline = await readFile(`/proc/${name}/cmdline`, 'utf8').catch(() => '');
        return { pid: Number(name), command: cmdline.split('\0').join(' ').trim() };
      }),
  );
  return found.filter((p): p is ProcessOfHome => p !== undefined);
}

/**
 * Waits until no process of `home` is left: after the claude runs have exited, that is the moment every hook and
 * every detached worker they started (log-session's Stop worker) has finished its work. An event, not a delay:
 * it holds however slow the machine is. A scan is not a snapshot (a child started by a parent that exits while
 * we read /proc can slip through), so it takes two empty scans in a row. Throws after `timeoutMs`, naming what
 * still runs.
 */
export async function waitForProcessesOfHome(home: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let emptyScans = 0;
  for (;;) {
    const left = await processesOfHome(home);
    emptyScans = left.length === 0 ? emptyScans + 1 : 0;
    if (emptyScans === 2) return;
    if (left.length > 0 && Date.now() > deadline) {
      throw new Error(`still running with HOME=${home} after ${timeoutMs} ms:\n${left.map((p) => `${p.pid} ${p.command}`).join('\n')}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** `node dist/cli.js <args>` in the project, with an env made from scratch (PATH, HOME). */
export async function runLogSession(project: TempProject, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: project.home, TZ: 'UTC', NO_COLOR: '1' };
  return new Promise((done) => {
    const child = spawn(process.execPath, [LOG_SESSION_CLI, ...args], { cwd: project.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (code) => done({ code: code ?? 1, stdout, stderr }));
  });
}
