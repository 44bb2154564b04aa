import type { TranscriptFacts } from './client.js';

/**
 * A pause between two lines longer than this is idle time, not work: the usual cutoff for an inactive session (web
 * analytics end a visit after 30 idle minutes). Agents write lines as they work (messages, tool calls and
 * results), so only a tool call that runs longer than this without a line (a very long build) is cut.
 */
const IDLE_GAP_MS = 30 * 60_000;

/**
 * The times of a transcript's lines, folded: first and last, the time active (idle gaps left out), whether a new
 * run began (the first line after an idle gap), and the earliest of the lines a read added. Pure.
 */
export class Timeline {
  firstTimestamp?: string;
  lastTimestamp?: string;
  activeMs: number;
  /** A new run began (a line after an idle gap): the next prompt is the run's. */
  runStarted = false;
  /** Earliest line time among the lines added to this fold, not the facts it started from. */
  firstNewTimestamp?: string;
  private firstTime = Infinity;
  private lastTime = -Infinity;
  private firstNewTime = Infinity;

  constructor(facts: Pick<TranscriptFacts, 'firstTimestamp' | 'lastTimestamp' | 'activeMs'>) {
    this.note(facts.firstTimestamp, false);
    this.note(facts.lastTimestamp, false);
    this.activeMs = facts.activeMs ?? 0;
  }

  /** The latest time noted, in ms; -Infinity before any. */
  get last(): number {
    return this.lastTime;
  }

  /** Notes a line's time; `isNew` when the line is one this read added (not known from earlier facts). */
  note(timestamp: string | undefined, isNew: boolean): void {
    if (timestamp === undefined) return;
    const time = Date.parse(timestamp);
    if (Number.isNaN(time)) return;
    if (isNew && time < this.firstNewTime) {
      this.firstNewTime = time;
      this.firstNewTimestamp = timestamp;
    }
    if (time < this.firstTime) {
      this.firstTime = time;
      this.firstTimestamp = timestamp;
    }
    if (time > this.lastTime) {
      // Active time: the gaps between lines, but an idle one (a break, a resume days later) counts for nothing
      // and starts a new run.
      if (isNew && this.lastTime !== -Infinity) {
        if (time - this.lastTime <= IDLE_GAP_MS) this.activeMs += time - this.lastTime;
        else this.runStarted = true;
      }
      this.lastTime = time;
      this.lastTimestamp = timestamp;
    }
  }

  /** The time facts, for a fold's `facts()`. */
  facts(): Pick<TranscriptFacts, 'firstTimestamp' | 'lastTimestamp' | 'activeMs'> {
    return {
      ...(this.firstTimestamp !== undefined ? { firstTimestamp: this.firstTimestamp } : {}),
      ...(this.lastTimestamp !== undefined ? { lastTimestamp: this.lastTimestamp } : {}),
      ...(this.activeMs > 0 ? { activeMs: this.activeMs } : {}),
    };
  }
}
