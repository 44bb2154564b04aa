/**
 * Codex runs a hook from hooks.json only once it is trusted: `config.toml` must hold, for each hook,
 * `[hooks.state."<hooks.json path>:<event>:<group>:<handler>"]` with `trusted_hash` the hash of the hook's
 * normalized definition (`codex-rs/hooks/src/engine/discovery.rs`; checked against Codex 0.171.0). Pure: the
 * trust entries for our hooks, and config.toml's text with or without the block that holds them.
 */
import { createHash } from 'node:crypto';
import type { CommandHook } from './settings-hooks.js';

export interface TrustEntry {
  key: string;
  hash: string;
}

const OPENING = "# log-session: trust for its Codex hooks in hooks.json ('log-session uninstall --client codex' removes this block)";
const CLOSING = '# log-session: end of block';

/** Codex's state key for the `handler`-th hook of the `group`-th group of `event` in the hooks file at `hooksFile`. */
export function hookStateKey(hooksFile: string, event: string, group: number, handler: number): string {
  return `${hooksFile}:${snakeCase(event)}:${group}:${handler}`;
}

/**
 * The hash Codex trusts a command hook by: sha256 of the compact JSON, keys sorted, of `{event_name, hooks: [hook]}`
 * with the hook as Codex normalizes it (`async` false, its timeout in seconds; no matcher, no status message).
 */
export function trustedHash(event: string, hook: CommandHook): string {
  const identity = { event_name: snakeCase(event), hooks: [{ async: false, command: hook.command, timeout: hook.timeout, type: hook.type }] };
  return `sha256:${createHash('sha256').update(JSON.stringify(identity)).digest('hex')}`;
}

/** `text` (config.toml) with our block at its end, after one blank line; a file without a final newline gains one. */
export function withTrustBlock(text: string, entries: TrustEntry[]): string {
  if (entries.length === 0) return text;
  const tables = entries.map(({ key, hash }) => `[hooks.state.${JSON.stringify(key)}]\ntrusted_hash = ${JSON.stringify(hash)}\n`);
  const block = [OPENING, ...tables, CLOSING].join('\n') + '\n';
  if (text === '') return block;
  return `${text.endsWith('\n') ? text : `${text}\n`}\n${block}`;
}

/** `text` without our block and the blank line install put before it: the file as it was before install. */
export function withoutTrustBlock(text: string): string {
  const start = text.indexOf(`${OPENING}\n`);
  if (start === -1) return text;
  const closing = text.indexOf(`${CLOSING}\n`, start);
  if (closing === -1) return text;
  const from = start > 0 && text.slice(start - 2, start) === '\n\n' ? start - 1 : start;
  return text.slice(0, from) + text.slice(closing + CLOSING.length + 1);
}

/** The trust entries in our block of `text`. */
export function trustBlockKeys(text: string): string[] {
  const start = text.indexOf(`${OPENING}\n`);
  const closing = text.indexOf(`${CLOSING}\n`, start);
  if (start === -1 || closing === -1) return [];
  return [...text.slice(start, closing).matchAll(/^\[hooks\.state\.("(?:[^"\\]|\\.)*")\]$/gm)].map((match) => JSON.parse(match[1]!) as string);
}

function snakeCase(event: string): string {
  return event.replace(/(?<!^)([A-Z])/g, '_$1').toLowerCase();
}
