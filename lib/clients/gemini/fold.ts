import { isAbsolute, resolve } from 'node:path';
import type { TranscriptFacts } from '../client.js';
import { isRecord, parseJson } from '../../json.js';
import { SessionFold } from '../session-fold.js';

/**
 * The pure fold of a Gemini CLI chat recording into the facts a session record needs. The format is internal to
 * Gemini CLI (packages/core/src/services/chatRecordingService.ts, chatRecordingTypes.ts) and changes between
 * releases, so it is read defensively: unknown records and fields are ignored, lines that do not parse are skipped.
 *
 * Newer builds write JSONL: a metadata record (`sessionId`, `projectHash`, `startTime`, …), message records
 * (`id`, `timestamp`, `type`: user | gemini | info | error | warning, `content`, `toolCalls`) appended again
 * whenever they change (the last one wins), `$set` records (metadata, or `messages`: the whole history again) and
 * `$rewindTo` records. Older builds wrote the metadata and a `messages` array as one JSON document.
 */

/**
 * The tools that write a file they name, by `file_path` (tools/definitions/base-declarations.ts). A call is
 * recorded once it completed, with its `status`: success, error or cancelled (scheduler/types.ts).
 */
const FILE_TOOLS = new Set(['write_file', 'replace']);
/** A shell command may change any file: git tells which (lib/session/attribution.ts). */
const SHELL_TOOL = 'run_shell_command';

/**
 * User text that is not a prompt someone typed: what Gemini CLI itself leaves out when it names a session
 * (chatRecordingService.ts, isIgnoredUserContent): commands, help, and the context it adds.
 */
const NOT_A_PROMPT = ['/', '?', '<session_context>', '<hook_context>'];
/** A hook's context (our brief, at SessionStart) is put before the prompt it came with, in the same message. */
const HOOK_CONTEXT = /^<hook_context>[\s\S]*?<\/hook_context>/;

export class GeminiFold extends SessionFold {
  /** Shell calls that completed at or before this time were counted by an earlier read (records are re-appended). */
  private readonly countedUntil: number;
  private readonly countedShell = new Set<string>();

  /**
   * `projectRoot` resolves a relative `file_path` as Gemini CLI does (against its workspace's root). `seen` are
   * the facts of the reads before this one, when this fold does not start from them (a whole document read again).
   */
  constructor(
    facts: TranscriptFacts,
    private readonly projectRoot: string | undefined,
    seen: TranscriptFacts = facts,
  ) {
    super(facts);
    this.countedUntil = seen.lastTimestamp === undefined ? -Infinity : Date.parse(seen.lastTimestamp);
  }

  /**
   * Folds one JSONL line; a sub-agent's (`inSubagentFile`) only counts for its edits and shell runs. Returns whether
   * the read should stop (`full`).
   */
  addLine(line: Buffer, inSubagentFile: boolean): boolean {
    const parsed = parseJson(line.toString('utf8'));
    if (parsed.ok) this.addRecord(parsed.value, inSubagentFile);
    return this.full;
  }

  /** Folds one record, or a whole document of the older format (metadata with its `messages`). */
  addRecord(record: unknown, inSubagentFile: boolean): void {
    if (!isRecord(record)) return;
    const main = !inSubagentFile;
    if (typeof record.id === 'string') {
      this.addMessage(record, main, true);
    } else if (isRecord(record.$set)) {
      if (main && typeof record.$set.lastUpdated === 'string') this.timeline.note(record.$set.lastUpdated, true);
      // The history written again (after a compression, a resume): what it holds was seen, or is older than the
      // reads so far; its edits still count, its times are not new.
      if (Array.isArray(record.$set.messages)) for (const message of record.$set.messages) this.addMessage(message, main, false);
    } else if (typeof record.sessionId === 'string') {
      if (main) {
        if (typeof record.startTime === 'string') this.timeline.note(record.startTime, true);
        if (typeof record.lastUpdated === 'string') this.timeline.note(record.lastUpdated, true);
      }
      if (Array.isArray(record.messages)) for (const message of record.messages) this.addMessage(message, main, true);
    }
    // `$rewindTo` takes messages out of the conversation, not the files its tools wrote: those edits stand.
  }

  private addMessage(message: unknown, main: boolean, isNew: boolean): void {
    if (!isRecord(message)) return;
    const timestamp = typeof message.timestamp === 'string' ? message.timestamp : undefined;
    if (main) this.timeline.note(timestamp, isNew);
    if (message.type === 'user' && main) {
      const text = contentText(message.content).trim().replace(HOOK_CONTEXT, '').trim();
      if (text !== '' && !NOT_A_PROMPT.some((prefix) => text.startsWith(prefix))) this.takePrompt(text);
    } else if (message.type === 'gemini') {
      const text = contentText(message.content);
      if (main && text.trim() !== '') this.takeAnswer(text);
      if (Array.isArray(message.toolCalls)) {
        for (const call of message.toolCalls) if (isRecord(call)) this.addToolCall(call, timestamp, main, isNew);
      }
    }
  }

  private addToolCall(call: Record<string, unknown>, messageTimestamp: string | undefined, main: boolean, isNew: boolean): void {
    const timestamp = typeof call.timestamp === 'string' ? call.timestamp : undefined;
    if (main) this.timeline.note(timestamp, isNew);
    if (typeof call.name !== 'string' || typeof call.status !== 'string') return;
    if (FILE_TOOLS.has(call.name)) {
      if (call.status !== 'success') return;
      const path = this.callPath(call);
      if (path !== undefined) this.holdChanged(path);
    } else if (call.name === SHELL_TOOL) {
      // A failed or cancelled command may still have changed files: its run counts either way.
      const end = timestamp === undefined ? NaN : Date.parse(timestamp);
      if (Number.isNaN(end) || end <= this.countedUntil) return;
      const id = typeof call.id === 'string' ? call.id : `${call.name}@${timestamp}`;
      if (this.countedShell.has(id)) return;
      this.countedShell.add(id);
      const start = messageTimestamp === undefined ? NaN : Date.parse(messageTimestamp);
      this.shellRuns.push({ start: Number.isNaN(start) ? end : Math.min(start, end), end });
    }
  }

  /**
   * The file a write_file or replace call wrote: its result's `filePath` (absolute, as the tool resolved it), else
   * its `file_path` argument, a relative one resolved against the project root.
   */
  private callPath(call: Record<string, unknown>): string | undefined {
    const shown = isRecord(call.resultDisplay) ? call.resultDisplay.filePath : undefined;
    if (typeof shown === 'string' && isAbsolute(shown)) return shown;
    const path = isRecord(call.args) ? call.args.file_path : undefined;
    if (typeof path !== 'string' || path === '') return undefined;
    if (isAbsolute(path)) return resolve(path);
    return this.projectRoot === undefined ? path : resolve(this.projectRoot, path);
  }
}

/** A message's text: a string, or the `text` of its parts (a part list or one part). */
function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  const parts = Array.isArray(content) ? content : [content];
  return parts.flatMap((part) => (isRecord(part) && typeof part.text === 'string' && part.thought !== true ? [part.text] : [])).join('');
}
