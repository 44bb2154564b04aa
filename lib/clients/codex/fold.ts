import { isAbsolute, resolve } from 'node:path';
import { isRecord, parseJson } from '../../json.js';
import { SessionFold } from '../session-fold.js';

/**
 * The pure fold of a Codex rollout's lines into a session's facts. Each line is `{"timestamp", "type", "payload"}`
 * (`codex-rs/protocol/src/protocol.rs`, RolloutLine); what is persisted is `codex-rs/rollout/src/policy.rs`'s. The
 * format is internal and changes between releases: unknown line and payload types are ignored, lines that do not
 * parse are skipped.
 *
 * Files changed: the paths of every apply_patch that succeeded, from the event that ends it: `patch_apply_end`
 * (`success: true`) in earlier builds, `item_completed` with a `FileChange` item (`status: "completed"`) in 0.171.
 * A patch that fails its verification ends in neither, so it never counts. Shell commands (exec_command and the
 * older shell tools) are timed from their call to their output: git tells what they changed (attribution.ts).
 */

/** Function tools that run a shell command; `write_stdin` feeds one still running. */
const SHELL_TOOLS = new Set(['exec_command', 'write_stdin', 'shell', 'shell_command', 'container.exec', 'local_shell']);

/**
 * Only lines holding one of these are parsed; the rest (token counts, world state, reasoning, patch inputs) only
 * lend a time. A tool call's output, often the largest line, is parsed only when it ends a pending shell call.
 */
const WANTED = ['"session_meta"', '"turn_context"', '"function_call"', '"local_shell_call"', '"patch_apply_end"', '"FileChange"', '"user_message"', '"UserMessage"', '"assistant"', '"agent_message"'].map((text) => Buffer.from(text));
const CALL_OUTPUT = Buffer.from('_call_output"');
const CALL_ID = Buffer.from('"call_id":"');

/** Prompts Codex itself adds to a user message: context, not what the user typed. */
const NOT_A_PROMPT = ['<environment_context>', '<user_instructions>', '<turn_aborted>', '# AGENTS.md instructions'];

const TIMESTAMP_PREFIX = Buffer.from('{"timestamp":"');

export class CodexFold extends SessionFold {
  /** Folds one line; returns whether the read should stop (`full`). */
  addLine(line: Buffer): boolean {
    this.foldLine(line);
    return this.full;
  }

  private foldLine(line: Buffer): void {
    const wanted = line.includes(CALL_OUTPUT) ? this.endsPendingShell(line) : WANTED.some((marker) => line.includes(marker));
    if (!wanted) {
      this.timeline.note(leadingTimestamp(line), true);
      return;
    }
    const parsed = parseJson(line.toString('utf8'));
    if (!parsed.ok || !isRecord(parsed.value)) return;
    const { timestamp, type, payload } = parsed.value;
    if (typeof timestamp !== 'string' || !isRecord(payload)) return;
    this.timeline.note(timestamp, true);
    const time = Date.parse(timestamp);
    if (type === 'session_meta') this.sessionMeta(payload);
    else if (type === 'turn_context' && typeof payload.cwd === 'string') this.cwd = payload.cwd;
    else if (type === 'response_item') this.responseItem(payload, time);
    else if (type === 'event_msg') this.event(payload);
  }

  /** Whether an output line's `call_id` is a shell call still waiting for its output; cheap, so other outputs are never parsed. */
  private endsPendingShell(line: Buffer): boolean {
    if (this.pendingShell.size === 0) return false;
    const at = line.indexOf(CALL_ID);
    const end = at === -1 ? -1 : line.indexOf(0x22, at + CALL_ID.length);
    return end !== -1 && this.pendingShell.has(line.toString('utf8', at + CALL_ID.length, end));
  }

  private sessionMeta(meta: Record<string, unknown>): void {
    // The first session_meta is the session's own; a forked session's file goes on with its parent's.
    if (this.cwd === undefined && typeof meta.cwd === 'string') this.cwd = meta.cwd;
    if (isRecord(meta.git) && typeof meta.git.branch === 'string' && meta.git.branch) this.gitBranch = meta.git.branch;
  }

  private responseItem(item: Record<string, unknown>, time: number): void {
    const callId = typeof item.call_id === 'string' ? item.call_id : undefined;
    if (item.type === 'message' && item.role === 'assistant') {
      const text = contentText(item.content, 'output_text');
      if (text) this.takeAnswer(text);
    } else if ((item.type === 'function_call' && SHELL_TOOLS.has(String(item.name))) || item.type === 'local_shell_call') {
      if (callId && !Number.isNaN(time)) this.pendingShell.set(callId, time);
    } else if ((item.type === 'function_call_output' || item.type === 'custom_tool_call_output') && callId) {
      this.endShell(callId, time);
    }
  }

  private event(event: Record<string, unknown>): void {
    if (event.type === 'patch_apply_end') {
      if (event.success === true && (event.status === undefined || event.status === 'completed')) this.takeChanges(event.changes);
    } else if (event.type === 'item_completed' && isRecord(event.item)) {
      const { item } = event;
      if (item.type === 'FileChange' && item.status === 'completed') this.takeChanges(item.changes);
      else if (item.type === 'UserMessage') this.prompt(contentText(item.content, 'text'));
    } else if (event.type === 'user_message' && typeof event.message === 'string') {
      this.prompt(event.message);
    } else if (event.type === 'agent_message' && typeof event.message === 'string' && event.message.trim()) {
      this.takeAnswer(event.message);
    }
  }

  /** A prompt the user typed, unless it is context Codex added. */
  private prompt(raw: string | undefined): void {
    const text = raw?.trim();
    if (text && !NOT_A_PROMPT.some((prefix) => text.startsWith(prefix))) this.takePrompt(text);
  }

  /** The paths of a patch's changes (keyed by path; a move names its new path too), resolved against the session's folder. */
  private takeChanges(changes: unknown): void {
    if (!isRecord(changes)) return;
    for (const [path, change] of Object.entries(changes)) {
      this.hold(path);
      if (isRecord(change) && typeof change.move_path === 'string' && change.move_path) this.hold(change.move_path);
    }
  }

  private hold(path: string): void {
    this.holdChanged(this.cwd !== undefined && !isAbsolute(path) ? resolve(this.cwd, path) : path);
  }

}

/** The text parts of a message's content of the given type, joined; `undefined` when there is none. */
function contentText(content: unknown, partType: string): string | undefined {
  if (!Array.isArray(content)) return undefined;
  const text = content
    .flatMap((part) => (isRecord(part) && part.type === partType && typeof part.text === 'string' ? [part.text] : []))
    .join('\n')
    .trim();
  return text === '' ? undefined : text;
}

/** The `timestamp` a rollout line starts with, read without parsing the line. */
function leadingTimestamp(line: Buffer): string | undefined {
  if (!line.subarray(0, TIMESTAMP_PREFIX.length).equals(TIMESTAMP_PREFIX)) return undefined;
  const end = line.indexOf(0x22, TIMESTAMP_PREFIX.length);
  return end === -1 ? undefined : line.toString('utf8', TIMESTAMP_PREFIX.length, end);
}
