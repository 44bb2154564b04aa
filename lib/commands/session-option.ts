import { join } from 'node:path';
import { readAncestors } from '../ancestry.js';
import { agentFromEnv, clientNamed } from '../clients/index.js';
import type { ClientName } from '../clients/names.js';
import { UsageError } from '../errors.js';
import { findSessionOfAncestor } from '../memory/state.js';
import type { Paths } from '../paths.js';
import type { CommandContext } from './command.js';

/**
 * Which session, and whose: `--session ID`, else the session of the agent whose shell runs us, named by the
 * variable it sets there (`CLAUDE_CODE_SESSION_ID`, `CODEX_THREAD_ID`, …) or, for Gemini CLI, which names none, found
 * by its process. The agent is known when its variable says so; otherwise the session's saved state tells.
 */
export async function callingSession(option: string | undefined, context: CommandContext): Promise<{ sessionKey?: string; client?: ClientName }> {
  const calling = agentFromEnv(context.env);
  if (option) return calling?.sessionKey === option ? calling : { sessionKey: option };
  if (!calling || calling.sessionKey) return calling ?? {};
  return { client: calling.client, sessionKey: await sessionOfAgentProcess(context.paths, calling.client) };
}

/**
 * The session of the agent process `client` that runs us (its SessionStart saved that process), or a UsageError
 * that says what to pass instead: a session is never guessed.
 */
async function sessionOfAgentProcess(paths: Paths, client: ClientName): Promise<string> {
  const ancestors = await readAncestors(paths.procDir, process.pid);
  const sessionKey = ancestors.length ? await findSessionOfAncestor(paths, ancestors) : undefined;
  if (sessionKey) return sessionKey;
  const why = ancestors.length
    ? `no ${client} session's start saved a process this one runs under (are log-session's hooks installed for it? see 'log-session status --client ${client}')`
    : `${join(paths.procDir, String(process.pid))} cannot be read to find the ${client} process that runs it`;
  const hint = clientNamed(client).shellMark?.sessionIdHint;
  throw new UsageError(`cannot tell which ${client} session runs this command: ${client} gives its shell commands no session id, and ${why}. Pass --session ID${hint ? ` (${hint})` : ''}.`);
}
