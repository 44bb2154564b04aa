import type { Env } from '../paths.js';
import type { Client } from './client.js';
import { claudeCode } from './claude-code/index.js';
import { codex } from './codex/index.js';
import { gemini } from './gemini/index.js';
import { CLIENT_NAMES, type ClientName } from './names.js';

/** Every agent log-session records, by name. A new agent: its name in names.ts, its Client here. */
export const CLIENTS: Record<ClientName, Client> = { 'claude-code': claudeCode, codex, gemini };

/** The agent named (a hook's `--client`, a session's saved state); Claude Code when none is. */
export function clientNamed(name: ClientName | undefined): Client {
  return CLIENTS[name ?? 'claude-code'];
}

/**
 * The agent whose shell runs us, and its session, from the variables each agent sets in its shell commands. An
 * agent started inside another's shell inherits the outer one's variables too, so the agents other than Claude
 * Code are asked first: their variables are set only by them, while Claude Code's is inherited by whatever runs in
 * its Bash. No `sessionKey` for an agent that names no session there (see Client.shellMark).
 */
export function agentFromEnv(env: Env): { client: ClientName; sessionKey?: string } | undefined {
  for (const name of [...CLIENT_NAMES.filter((name) => name !== 'claude-code'), 'claude-code' as const]) {
    const { sessionIdEnv, shellMark } = CLIENTS[name];
    const sessionKey = sessionIdEnv && env[sessionIdEnv];
    if (sessionKey) return { client: name, sessionKey };
    if (shellMark && env[shellMark.env]) return { client: name };
  }
  return undefined;
}
