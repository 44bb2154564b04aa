import { localDate } from '../memory/merge.js';
import type { ProjectMemory } from '../memory/read.js';
import {
  doneRecordFor,
  openFollowUps,
  viewAdr,
  viewContext,
  viewSession,
  type AdrView,
  type DoneView,
  type OpenFollowUp,
  type SessionView,
} from '../memory/shape.js';
import { redactDeep } from '../redact.js';

/**
 * A project's memory as a journal for people to read: what `export` renders as markdown or HTML. Every text is
 * memory text (redacted, one line); the renderers escape it for their format.
 */
export interface Journal {
  project: string;
  /** `YYYY-MM-DD`, the day of the export. */
  exported: string;
  /** Newest first. */
  sessions: JournalSession[];
  /** Newest listing first, each dated by its oldest open listing. */
  openFollowUps: OpenFollowUp[];
  focus?: string;
  focusUpdated?: string;
  /** Newest first, `[severity] issue (added date)`. */
  knownIssues: string[];
  /** Newest first. */
  adrs: AdrView[];
}

export interface JournalSession extends Omit<SessionView, 'followUps'> {
  followUps: JournalFollowUp[];
  /** The ADRs this session recorded, with their status today. */
  adrs: AdrView[];
}

export interface JournalFollowUp {
  text: string;
  /** When a later session completed it. */
  done?: DoneView;
}

/**
 * The journal of `memory` as of `now`. Memory is redacted when written; it is redacted again here, since a
 * journal is made to be shown and the pass costs little next to reading the files (see the export command).
 */
export function buildJournal(memory: ProjectMemory, now: Date): Journal {
  const { sessions: stored, decisions, context: storedContext } = redactDeep(memory);
  const sessions = stored.map(viewSession);
  const adrs = decisions.map(viewAdr);
  const context = viewContext(storedContext);
  return {
    project: memory.project,
    exported: localDate(now),
    sessions: [...sessions].reverse().map(({ followUps, ...session }) => ({
      ...session,
      followUps: followUps.map((text) => ({ text, done: doneRecordFor(text, session.date, context.done) })),
      adrs: adrs.filter((adr) => session.id !== undefined && adr.sessions.includes(session.id)),
    })),
    openFollowUps: openFollowUps(sessions, context.done),
    focus: context.focus,
    focusUpdated: context.focusUpdated,
    knownIssues: context.knownIssues,
    adrs: [...adrs].reverse(),
  };
}

/** `ADR-002: Use JWT`, or whichever of the two it has. */
export function adrHeading(adr: AdrView): string {
  const title = adr.title ?? adr.decision;
  return [adr.id, title].filter(Boolean).join(': ') || 'Untitled decision';
}

/** The line under the title: when, and how much. Plain text: the renderers escape it like memory text. */
export function describeJournal(journal: Journal): string {
  return `Exported ${journal.exported} by log-session: ${journalSize(journal)}.`;
}

/** `2 sessions, 1 decision record`. */
export function journalSize(journal: Journal): string {
  return `${count(journal.sessions.length, 'session')}, ${count(journal.adrs.length, 'decision record')}`;
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
