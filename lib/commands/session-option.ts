import { join } from 'node:path';
import { readAncestors } from '../ancestry.js';
import { agentsInEnv, clientNamed } from '../clients/index.js';
import type { ClientName } from '../clients/names.js';
import { UsageError } from '../errors.js';
import { findSessionOfAncestor } from '../memory/state.js';
import type { Paths } from '../paths.js';
import type { CommandContext } from './command.js';

type CallingAgent = ReturnType<typeof agentsInEnv>[number];

/**
 * Which session, and whose: `--session ID`, else the session of the agent whose shell runs us, named by the
 * variable it sets there (`CLAUDE_CODE_SESSION_ID`, `CODEX_THREAD_ID`, …) or, for Gemini CLI, which names none, found
 * by its process. When the variables name more than one agent (one runs inside another's shell), the nearest agent
 * process whose session started is the caller. The agent is known when its variable says so; otherwise the
 * session's saved state tells.
 */
export function callingSession(option: string | undefined, context: CommandContext): { sessionKey?: string; client?: ClientName } {
  const agents = agentsInEnv(context.env);
  if (option) return agents.find((agent) => agent.sessionKey === option) ?? { sessionKey: option };
  const [only] = agents;
  if (only === undefined) return {};
  if (agents.length === 1 && only.sessionKey) return only;
  return sessionOfAgentProcess(context.paths, agents);
}

/**
 * The session of the nearest agent process above us among `agents` (every SessionStart saves the process that ran
 * it). Where none is found (no /proc, or no start saved), an agent other than Claude Code is taken first, as it
 * is more often the inner one, by the session its variable names; one that names none is a UsageError that says
 * what to pass instead: a session is never guessed.
 */
function sessionOfAgentProcess(paths: Paths, agents: CallingAgent[]): { sessionKey: string; client: ClientName } {
  const ancestors = readAncestors(paths.procDir, process.pid);
  const found = ancestors.length ? findSessionOfAncestor(paths, ancestors) : undefined;
  if (found?.client && agents.some((agent) => agent.client === found.client)) return { sessionKey: found.sessionKey, client: found.client };
  const agent = agents.find((each) => each.client !== 'claude-code') ?? agents[0]!;
  if (agent.sessionKey) return { sessionKey: agent.sessionKey, client: agent.client };
  const { client } = agent;
  const why = ancestors.length
    ? `no ${client} session's start saved a process this one runs under (are log-session's hooks installed for it? see 'log-session status --client ${client}')`
    : `${join(paths.procDir, String(process.pid))} cannot be read to find the ${client} process that runs it`;
  const hint = clientNamed(client).shellMark?.sessionIdHint;
  throw new UsageError(`cannot tell which ${client} session runs this command: ${client} gives its shell commands no session id, and ${why}. Pass --session ID${hint ? ` (${hint})` : ''}.`);
}
