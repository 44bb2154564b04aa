import { MAX_SESSION_FILES, type ShellRun, type TranscriptFacts } from './client.js';
import { Timeline } from './timeline.js';

/**
 * What every client's fold keeps as a transcript's lines come in: times, prompts, the last answer, the folder and
 * branch, the files changed and the shell commands run. Each client's fold (claude-code/fold.ts, codex/fold.ts)
 * reads its own line format into these.
 */
export class SessionFold {
  protected readonly timeline: Timeline;
  protected firstPrompt?: string;
  protected runPrompt?: string;
  protected lastAssistantText?: string;
  protected cwd?: string;
  protected gitBranch?: string;
  protected readonly changed: Set<string>;
  /** Call id -> start (ms) of shell calls whose result has not been seen yet. */
  protected readonly pendingShell: Map<string, number>;
  /** Shell calls whose results are among the lines added to this fold. */
  readonly shellRuns: ShellRun[] = [];
  /** This fold's edits took the session to MAX_SESSION_FILES changed files, or edits were left out past them. */
  filesCapped = false;

  constructor(facts: TranscriptFacts) {
    this.timeline = new Timeline(facts);
    this.firstPrompt = facts.firstPrompt;
    this.runPrompt = facts.runPrompt;
    this.lastAssistantText = facts.lastAssistantText;
    this.cwd = facts.cwd;
    this.gitBranch = facts.gitBranch;
    this.changed = new Set(facts.changedFiles);
    this.pendingShell = new Map(Object.entries(facts.pendingShell ?? {}));
  }

  /** Earliest main-file line time among the lines added to this fold, not the facts it started from. */
  get firstNewTimestamp(): string | undefined {
    return this.timeline.firstNewTimestamp;
  }

  facts(pendingEdits: Record<string, string> = {}): TranscriptFacts {
    const facts: TranscriptFacts = { changedFiles: [...this.changed].sort(), pendingEdits, ...this.timeline.facts() };
    if (this.pendingShell.size) facts.pendingShell = Object.fromEntries(this.pendingShell);
    if (this.firstPrompt !== undefined) facts.firstPrompt = this.firstPrompt;
    if (this.runPrompt !== undefined) facts.runPrompt = this.runPrompt;
    if (this.lastAssistantText !== undefined) facts.lastAssistantText = this.lastAssistantText;
    if (this.cwd !== undefined) facts.cwd = this.cwd;
    if (this.gitBranch !== undefined) facts.gitBranch = this.gitBranch;
    return facts;
  }

  /** Whether a prompt would be taken now: the session's first, or the first of a run that began after an idle gap. */
  protected wantsPrompt(): boolean {
    return this.firstPrompt === undefined || this.timeline.runStarted;
  }

  protected takePrompt(text: string): void {
    if (!this.wantsPrompt()) return;
    if (this.firstPrompt === undefined) this.firstPrompt = text;
    else this.runPrompt = text;
    this.timeline.runStarted = false;
  }

  /** A result for call `id` came at `time`: when it ends a pending shell call, that run is noted. Says whether it did. */
  protected endShell(id: string, time: number): boolean {
    const start = this.pendingShell.get(id);
    if (start === undefined) return false;
    this.pendingShell.delete(id);
    // A failed command may still have changed files: its run counts either way.
    this.shellRuns.push({ start, end: Number.isNaN(time) ? start : Math.max(start, time) });
    return true;
  }

  /** Adds a changed file while the session holds fewer than MAX_SESSION_FILES; notes when it reaches them. */
  protected holdChanged(path: string): void {
    if (this.changed.has(path)) return;
    if (this.changed.size < MAX_SESSION_FILES) this.changed.add(path);
    if (this.changed.size >= MAX_SESSION_FILES) this.filesCapped = true;
  }
}
