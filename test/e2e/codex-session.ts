/**
 * Helpers to run the real Codex CLI (e2e/agents: `@openai/codex` 0.171.0, its native binary shipped in the npm
 * package) against the fake Responses API (./fake-responses-api.ts), offline.
 *
 * What worked here (Linux, Node 20):
 * - `$HOME/.codex/config.toml` with `model = "gpt-5.5"` (a model Codex knows: with an unknown name it offers no
 *   apply_patch tool), `model_provider = "mock"` and `[model_providers.mock]` `base_url = "http://127.0.0.1:<port>/v1"`,
 *   `wire_api = "responses"`, `env_key = "MOCK_API_KEY"`; env from scratch: PATH, HOME, MOCK_API_KEY, SHELL.
 * - `codex exec --dangerously-bypass-approvals-and-sandbox "<prompt>"`, stdin closed, cwd = the project. Exit 0;
 *   stdout = the last answer. The session id is printed on stderr (`session id: <uuid>`) and is `$CODEX_THREAD_ID`
 *   in the commands it runs.
 * - Hooks from `$CODEX_HOME/hooks.json` run only once trusted in config.toml (`[hooks.state."<file>:<event>:<group>:
 *   <handler>"] trusted_hash`): untrusted ones are skipped without a word in `exec`. They run through `$SHELL -lc`.
 * - The rollout is `$CODEX_HOME/sessions/YYYY/MM/DD/rollout-<local time>-<uuid>.jsonl`, complete at exit. 0.171
 *   writes `item_completed` events (FileChange, CommandExecution, UserMessage, AgentMessage) where earlier builds
 *   wrote `patch_apply_end`, `exec_command_end`, `user_message`; a patch that fails verification leaves only its
 *   `custom_tool_call_output` (the error text), no FileChange.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mkdir, writeFile } from 'node:fs/promises';
import { inheritedPath, run, type ProcessResult } from './claude-session.js';

export const CODEX_BIN = resolve(dirname(fileURLToPath(import.meta.url)), '../../e2e/agents/node_modules/.bin/codex');

/** Codex's config for a temp HOME: the stand-in API as its model provider. */
export async function writeCodexConfig(home: string, apiUrl: string): Promise<string> {
  if (!/^http:\/\/127\.0\.0\.1:\d+\/v1$/.test(apiUrl)) throw new Error(`the provider must be on loopback, got ${apiUrl}`);
  const path = join(home, '.codex', 'config.toml');
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `model = "gpt-5.5"\nmodel_provider = "mock"\n\n[model_providers.mock]\nname = "mock"\nbase_url = "${apiUrl}"\nwire_api = "responses"\nenv_key = "MOCK_API_KEY"\n`);
  return path;
}

export interface CodexRun extends ProcessResult {
  /** From Codex's banner on stderr. */
  sessionId: string | undefined;
}

/** One `codex exec` session in `cwd`. Never throws on a non-zero exit: assert on `exitCode`. */
export async function runCodex(options: { home: string; cwd: string; prompt: string; timeoutMs?: number }): Promise<CodexRun> {
  if (!existsSync(CODEX_BIN)) throw new Error(`${CODEX_BIN} is missing: run 'npm ci --prefix e2e/agents' first`);
  const env = { PATH: inheritedPath(), HOME: options.home, MOCK_API_KEY: 'test-key', SHELL: '/bin/sh' };
  const result = await run(CODEX_BIN, ['exec', '--dangerously-bypass-approvals-and-sandbox', options.prompt], {
    cwd: options.cwd,
    env,
    timeoutMs: options.timeoutMs ?? 90_000,
  });
  return { ...result, sessionId: /session id: ([0-9a-f-]{36})/.exec(result.stderr)?.[1] };
}
