import { KEPT_TEXT_CHARS, MAX_READ_FILES, MAX_SESSION_FILES, type ShellRun, type TranscriptFacts } from './client.js';
import { Timeline } from './timeline.js';

/**
 * What every client's fold keeps as a transcript's lines come in: times, prompts, the last answer, the folder and
 * branch, the files changed and the shell commands run. Each client's fold (claude-code/, codex/, gemini/fold.ts)
 * reads its own line format into these.
 */
export class SessionFold {
  protected readonly timeline: Timeline;
  protected firstPrompt?: string;
  protected runPrompt?: string;
  /** The newest answer's start (KEPT_TEXT_CHARS): set through `takeAnswer`. */
  protected lastAssistantText?: string;
  protected cwd?: string;
  protected gitBranch?: string;
  /** Changed files earlier reads found (see TranscriptFacts.changedFileCount). */
  private readonly heldBefore: number;
  /** Changed files found by this fold's lines. */
  protected readonly changed = new Set<string>();
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
    this.heldBefore = facts.changedFileCount ?? 0;
    this.pendingShell = new Map(Object.entries(facts.pendingShell ?? {}));
  }

  /** Earliest main-file line time among the lines added to this fold, not the facts it started from. */
  get firstNewTimestamp(): string | undefined {
    return this.timeline.firstNewTimestamp;
  }

  facts(pendingEdits: Record<string, string> = {}): TranscriptFacts {
    const facts: TranscriptFacts = { pendingEdits, ...this.timeline.facts() };
    if (this.held() > 0) facts.changedFileCount = this.held();
    if (this.pendingShell.size) facts.pendingShell = Object.fromEntries(this.pendingShell);
    if (this.firstPrompt !== undefined) facts.firstPrompt = this.firstPrompt;
    if (this.runPrompt !== undefined) facts.runPrompt = this.runPrompt;
    if (this.lastAssistantText !== undefined) facts.lastAssistantText = this.lastAssistantText;
    if (this.cwd !== undefined) facts.cwd = this.cwd;
    if (this.gitBranch !== undefined) facts.gitBranch = this.gitBranch;
    return facts;
  }

  /** The files this fold's lines changed, sorted. */
  changedFiles(): string[] {
    return [...this.changed].sort();
  }

  /** This fold took in MAX_READ_FILES changed files: its read stops here. */
  get full(): boolean {
    return this.changed.size >= MAX_READ_FILES;
  }

  /** Changed files the session holds: earlier reads' and this fold's. */
  protected held(): number {
    return this.heldBefore + this.changed.size;
  }

  /** Whether a prompt would be taken now: the session's first, or the first of a run that began after an idle gap. */
  protected wantsPrompt(): boolean {
    return this.firstPrompt === undefined || this.timeline.runStarted;
  }

  protected takePrompt(text: string): void {
    if (!this.wantsPrompt()) return;
    if (this.firstPrompt === undefined) this.firstPrompt = text.slice(0, KEPT_TEXT_CHARS);
    else this.runPrompt = text.slice(0, KEPT_TEXT_CHARS);
    this.timeline.runStarted = false;
  }

  protected takeAnswer(text: string): void {
    this.lastAssistantText = text.slice(0, KEPT_TEXT_CHARS);
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
    if (this.held() < MAX_SESSION_FILES) this.changed.add(path);
    if (this.held() >= MAX_SESSION_FILES) this.filesCapped = true;
  }
}
