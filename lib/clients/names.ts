/**
 * The agents log-session records, by the name a user gives `--client` and that an entry's tag carries. A leaf:
 * memory views read an entry's agent from these names without loading any transcript reader.
 */
export const CLIENT_NAMES = ['claude-code', 'codex', 'gemini'] as const;

export type ClientName = (typeof CLIENT_NAMES)[number];

/** aiconfig's enum for an entry's `client` field; an agent outside it is `other`, its name kept as a tag. */
export const ENTRY_CLIENTS = ['claude-code', 'cursor', 'other'] as const;

export type EntryClient = (typeof ENTRY_CLIENTS)[number];

/**
 * The agents with no hook at a session's end (Codex: SessionStart and Stop only): their sessions are caught up at
 * the next start and never seen to exit, so no entry of theirs can say whether one ended or was cut short.
 */
const AGENTS_WITHOUT_SESSION_END: ReadonlySet<string> = new Set<ClientName>(['codex']);

/** Whether `agent` (an entry's agent name) has the hook `event` (as hooks.json names it). */
export function agentHasHook(agent: string, event: string): boolean {
  return event !== 'SessionEnd' || !AGENTS_WITHOUT_SESSION_END.has(agent);
}

export function isClientName(name: unknown): name is ClientName {
  return (CLIENT_NAMES as readonly unknown[]).includes(name);
}
