/**
 * Runs the real Gemini CLI (e2e/agents: @google/gemini-cli 0.61.0, JavaScript) against the stand-in Gemini API
 * (./fake-gemini-api.ts), offline. What worked here (Linux, Node 20, 2 shared cores; a `-p` session in 5-25 s,
 * most of it the CLI's own start-up):
 * - Env from scratch, only PATH inherited: `HOME=<temp>/home`, `GEMINI_API_KEY` (any value),
 *   `GOOGLE_GEMINI_BASE_URL=http://127.0.0.1:<port>` (the base URL override), `GEMINI_CLI_TRUST_WORKSPACE=true`
 *   (else an untrusted folder stops a headless run, exit 55); `~/.gemini/settings.json` with
 *   `security.auth.selectedType: "gemini-api-key"`. stdin closed.
 * - `gemini -p <prompt> --approval-mode yolo` runs every tool call unasked; `--resume latest` goes on with the
 *   project's newest session (same id, same recording, SessionStart `source: "resume"`).
 * - Requests: `POST /v1beta/models/<model>:generateContent` for the model router's JSON choice (no tools),
 *   then `:streamGenerateContent?alt=sse` for each agent turn; the brief rides in the first agent request.
 * - Recording: `~/.gemini/tmp/<project folder name>/chats/session-<time>-<id[0:8]>.jsonl`, `.project_root` beside.
 * - Hooks in `~/.gemini/settings.json` fire in `-p` in the order SessionStart, AfterAgent, SessionEnd, with
 *   `session_id`, `transcript_path` and `cwd` in their input.
 */
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { REPO_ROOT, writeText } from './claude-session.js';

export const GEMINI_BIN = resolve(REPO_ROOT, 'e2e/agents/node_modules/.bin/gemini');

export interface GeminiRun {
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

/** Gemini CLI's user settings with the API key route to the stand-in (merged with `settings`). */
export async function writeGeminiSettings(home: string, settings: Record<string, unknown> = {}): Promise<void> {
  await writeText(join(home, '.gemini', 'settings.json'), JSON.stringify({ security: { auth: { selectedType: 'gemini-api-key' } }, ...settings }, null, 2));
}

export function geminiEnv(home: string, apiUrl: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: home,
    TZ: 'UTC',
    GEMINI_API_KEY: 'test-key',
    GOOGLE_GEMINI_BASE_URL: apiUrl,
    GEMINI_CLI_TRUST_WORKSPACE: 'true',
  };
}

/** `gemini -p <prompt> --approval-mode yolo [--resume latest]` in `cwd`; killed after `timeoutMs`. */
export function runGemini(options: { home: string; cwd: string; apiUrl: string; prompt: string; resume?: boolean; timeoutMs?: number }): Promise<GeminiRun> {
  const args = [...(options.resume ? ['--resume', 'latest'] : []), '-p', options.prompt, '--approval-mode', 'yolo'];
  return new Promise((done, fail) => {
    const child = spawn(GEMINI_BIN, args, { cwd: options.cwd, env: geminiEnv(options.home, options.apiUrl), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 150_000);
    child.on('error', fail);
    child.on('close', (exitCode) => {
      clearTimeout(timer);
      done({ exitCode, stdout, stderr });
    });
  });
}
