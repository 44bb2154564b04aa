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
 * The agents whose shell runs us, as the variables each sets in its shell commands say, each with its session when
 * its variable names one (see Client.shellMark). More than one when an agent runs inside another's shell: the
 * inner one's variables are set, the outer one's inherited, and only their processes tell which is which.
 */
export function agentsInEnv(env: Env): { client: ClientName; sessionKey?: string }[] {
  return CLIENT_NAMES.flatMap((name) => {
    const { sessionIdEnv, shellMark } = CLIENTS[name];
    const sessionKey = sessionIdEnv && env[sessionIdEnv];
    if (sessionKey) return [{ client: name, sessionKey }];
    return shellMark && env[shellMark.env] ? [{ client: name }] : [];
  });
}
