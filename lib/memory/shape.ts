import { join } from 'node:path';
import { isClientName } from '../clients/names.js';
import { isRecord } from '../json.js';
import { comparableText } from '../text.js';
import type { Paths } from '../paths.js';

/**
 * The three memory files of a project, in the shapes aiconfig users already have. This module is the only one
 * that knows their names and fields: the rest of log-session reads them through the views below and changes
 * them through `merge.ts`. Shapes are loose: keys we do not know (`$schema`, other tools' fields) are kept.
 */

/** A project's memory folder and its files. */
export interface ProjectFiles {
  dir: string;
  sessions: string;
  decisions: string;
  context: string;
}

export function projectFiles(paths: Paths, project: string): ProjectFiles {
  const dir = join(paths.projectsDir, project);
  return { dir, sessions: join(dir, 'sessions.json'), decisions: join(dir, 'decisions.json'), context: join(dir, 'context.json') };
}

/**
 * sessions.json holds the live window (archive.ts); the entries moved out of it are kept beside it, whole and
 * unchanged, in `sessions-<YYYY>.json`, one file per year of the entry's `date`, of the same shape.
 */
export function sessionsArchive(files: ProjectFiles, year: string): string {
  return join(files.dir, `sessions-${year}.json`);
}

/** The year of an archive's file name, `undefined` for any other file. */
export function archiveYear(name: string): string | undefined {
  return /^sessions-(\d{4})\.json$/.exec(name)?.[1];
}

/**
 * The year an entry is archived under: its `date`'s, else its id's (`session-YYYY…`). `undefined` for an item
 * with neither (a hand edit): it stays in the live file.
 */
export function entryYear(item: unknown): string | undefined {
  if (!isRecord(item)) return undefined;
  if (typeof item.date === 'string') {
    const year = /^(\d{4})-\d{2}-\d{2}/.exec(item.date)?.[1];
    if (year) return year;
  }
  return typeof item.id === 'string' ? /^session-(\d{4})\d{4}-\d{6}$/.exec(item.id)?.[1] : undefined;
}

/** The id of a stored item, when it has one. */
export function itemId(item: unknown): string | undefined {
  return isRecord(item) && typeof item.id === 'string' ? item.id : undefined;
}

export type { Adr, Decision, DoneFollowUp, KnownIssue, ProjectContext, ResolvedIssue, SessionEntry, SessionRun } from './schemas.js';

/**
 * A list file as the user has it: `{"sessions": [...], ...other keys}` or a bare array. Its items are kept as
 * stored: one that is not an object, or not of the shape above (a hand edit), does not make the file damaged.
 */
export type ListKey = 'sessions' | 'decisions';
export interface ListDocument {
  form: 'object' | 'array';
  /** Every key of the file but the list, kept for the rewrite. */
  doc: Record<string, unknown>;
  items: unknown[];
}

/** Whether a parsed file has the shape of its kind; anything else is damage to keep aside. */
export const isValidFile = {
  sessions: isListFile('sessions'),
  decisions: isListFile('decisions'),
  context: isRecord,
} satisfies Record<keyof Omit<ProjectFiles, 'dir'>, (value: unknown) => boolean>;

function isListFile(listKey: ListKey) {
  return (value: unknown): boolean => Array.isArray(value) || (isRecord(value) && (value[listKey] === undefined || Array.isArray(value[listKey])));
}

export function listDocument(value: unknown, listKey: ListKey): ListDocument {
  if (value === undefined) return { form: 'object', doc: {}, items: [] };
  if (Array.isArray(value)) return { form: 'array', doc: {}, items: value };
  const doc = value as Record<string, unknown>;
  return { form: 'object', doc, items: (doc[listKey] as unknown[] | undefined) ?? [] };
}

/** The document in the form the user keeps: a bare array stays a bare array. */
export function documentValue(document: ListDocument, listKey: ListKey, project: string): unknown {
  if (document.form === 'array') return document.items;
  return { project, ...document.doc, [listKey]: document.items };
}

// ---------------------------------------------------------------------------------------------------------------
// Views: what readers (the brief, show, recall) see of a stored item, whatever a hand edit left in it. A field of
// the wrong type reads as absent; text is one line.

export interface SessionView {
  id?: string;
  date?: string;
  /** The agent that ran it: `client`, or for `other` the agent's name among its tags. */
  agent?: string;
  /** `id, date, agent` (those it has), or `undated`. */
  label: string;
  duration?: string;
  summary?: string;
  files: string[];
  /** `decision (why: rationale)` lines. */
  decisions: string[];
  followUps: string[];
  tags: string[];
  nextHint?: string;
}

export function viewSession(entry: Record<string, unknown>): SessionView {
  const id = textOf(entry, 'id');
  const date = textOf(entry, 'date');
  const tags = textsOf(entry, 'tags');
  const agent = agentOf(entry, tags);
  return {
    id,
    date,
    ...(agent ? { agent } : {}),
    label: [id, date, agent].filter(Boolean).join(', ') || 'undated',
    duration: textOf(entry, 'duration_estimate'),
    summary: textOf(entry, 'summary'),
    files: textsOf(entry, 'files_modified'),
    decisions: decisionsOf(entry),
    followUps: textsOf(entry, 'follow_up'),
    tags,
    nextHint: textOf(entry, 'context_for_next_session'),
  };
}

/** The agent that ran a session: SessionView's `agent`, read alone. */
export function agentOf(entry: Record<string, unknown>, tags = textsOf(entry, 'tags')): string | undefined {
  const client = textOf(entry, 'client');
  return client === 'other' ? tags.find(isClientName) : client;
}

/** What openFollowUps takes of a session, read alone: a reader that shows few sessions still weighs every one's. */
export type FollowUpSource = Pick<SessionView, 'date' | 'followUps'>;

export function viewFollowUps(entry: Record<string, unknown>): FollowUpSource {
  return { date: textOf(entry, 'date'), followUps: textsOf(entry, 'follow_up') };
}

export interface AdrView {
  id?: string;
  date?: string;
  title?: string;
  decision?: string;
  /** As stored; `accepted` when missing. */
  status: string;
  supersededBy?: string;
  tags: string[];
  rationale?: string;
  context?: string;
  consequences: string[];
  alternatives: string[];
  /** The entry ids of the sessions that recorded it. */
  sessions: string[];
}

export function viewAdr(adr: Record<string, unknown>): AdrView {
  return {
    id: textOf(adr, 'id'),
    date: textOf(adr, 'date'),
    title: textOf(adr, 'title'),
    decision: textOf(adr, 'decision'),
    status: textOf(adr, 'status') ?? 'accepted',
    supersededBy: textOf(adr, 'superseded_by'),
    tags: textsOf(adr, 'tags'),
    rationale: textOf(adr, 'rationale'),
    context: textOf(adr, 'context'),
    consequences: textsOf(adr, 'consequences'),
    alternatives: textsOf(adr, 'alternatives_considered'),
    sessions: textsOf(adr, 'related_sessions'),
  };
}

export interface ContextView {
  focus?: string;
  /** `YYYY-MM-DD` the focus was last recorded; none for a focus set before log-session dated it, or by hand. */
  focusUpdated?: string;
  /** Newest first, `[severity] issue (added date)`. */
  knownIssues: string[];
  done: DoneView[];
  /** By entry id. */
  runs: Map<string, RunView>;
}

export interface RunView {
  branch?: string;
  /** ISO, the session's last activity. */
  active?: string;
  /** The session's last activity ended without SessionEnd after it: killed, or its terminal closed (or still running). */
  unfinished: boolean;
  recorded: boolean;
}

export interface DoneView {
  followUp: string;
  date: string;
  session?: string;
}

export function viewContext(context: Record<string, unknown>): ContextView {
  const issues = Array.isArray(context.known_issues) ? [...context.known_issues].reverse() : [];
  return {
    focus: textOf(context, 'current_focus'),
    focusUpdated: textOf(context, 'focus_updated'),
    knownIssues: issues.flatMap((item) => {
      if (!isRecord(item)) return lineOf(item) ?? [];
      const issue = textOf(item, 'issue');
      const severity = textOf(item, 'severity');
      const added = textOf(item, 'added');
      return issue ? [`${severity ? `[${severity}] ` : ''}${issue}${added ? ` (added ${added})` : ''}`] : [];
    }),
    done: recordsOf(context, 'done_follow_ups').flatMap((item) => {
      const followUp = textOf(item, 'follow_up');
      const date = textOf(item, 'done');
      return followUp && date ? [{ followUp, date, session: textOf(item, 'session') }] : [];
    }),
    runs: new Map(
      recordsOf(context, 'session_runs').flatMap((item) => {
        const session = textOf(item, 'session');
        const active = textOf(item, 'active');
        const exited = textOf(item, 'exited');
        const run = { branch: textOf(item, 'branch'), active, unfinished: active !== undefined && (exited === undefined || exited < active), recorded: item.recorded === true };
        return session ? [[session, run] as const] : [];
      }),
    ),
  };
}

/** The record that marks a follow-up listed on `listedOn` done: same text (case and spacing aside), done that day or later. */
export function doneRecordFor(followUp: string, listedOn: string | undefined, done: DoneView[]): DoneView | undefined {
  const key = comparableText(followUp);
  return done.find((record) => comparableText(record.followUp) === key && (listedOn === undefined || record.date >= listedOn));
}

/** A follow-up as readers show it: its text, and when it is done, `(done date, session)`. */
export function describeFollowUp(followUp: string, listedOn: string | undefined, done: DoneView[]): string {
  const record = doneRecordFor(followUp, listedOn, done);
  return record ? `${followUp} (done ${[record.date, record.session].filter(Boolean).join(', ')})` : followUp;
}

export interface OpenFollowUp {
  text: string;
  /** The date of its oldest listing still open. */
  since?: string;
}

/**
 * The follow-ups no later session completed, newest listing first, each once (case and spacing aside, the newest
 * spelling), dated by the oldest listing still open: how long it has been waiting.
 */
export function openFollowUps(sessions: FollowUpSource[], done: DoneView[]): OpenFollowUp[] {
  const open = new Map<string, OpenFollowUp>();
  for (const session of [...sessions].reverse()) {
    for (const followUp of session.followUps) {
      if (doneRecordFor(followUp, session.date, done)) continue;
      const key = comparableText(followUp);
      const known = open.get(key);
      if (known) known.since = session.date ?? known.since;
      else open.set(key, { text: followUp, since: session.date });
    }
  }
  return [...open.values()];
}

/** Whether a stored known or resolved issue (a string or `{issue}`) is `issue`, case and spacing aside. */
export function sameIssue(item: unknown, issue: string): boolean {
  return comparableText(knownIssueText(item)) === comparableText(issue);
}

/** The issue text of a stored known issue (a string or `{issue}`), for telling two apart. */
export function knownIssueText(item: unknown): string {
  return isRecord(item) ? String(item.issue) : String(item);
}

function textOf(record: Record<string, unknown>, key: string): string | undefined {
  return lineOf(record[key]);
}

/** A value as one line of text, or `undefined` when it is missing, empty or not text. */
function lineOf(value: unknown): string | undefined {
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  const line = String(value).replace(/\s+/g, ' ').trim();
  return line || undefined;
}

function recordsOf(record: Record<string, unknown>, key: string): Record<string, unknown>[] {
  const value = record[key];
  return Array.isArray(value) ? value.filter(isRecord) : [];
}

function textsOf(record: Record<string, unknown>, key: string): string[] {
  const value = record[key];
  return Array.isArray(value) ? value.flatMap((item) => (isRecord(item) ? [] : (lineOf(item) ?? []))) : [];
}

function decisionsOf(session: Record<string, unknown>): string[] {
  const value = session.decisions_made;
  if (!Array.isArray(value)) return [];
  return value.flatMap((item) => {
    if (!isRecord(item)) return lineOf(item) ?? [];
    const decision = textOf(item, 'decision');
    const rationale = textOf(item, 'rationale');
    return decision ? [rationale ? `${decision} (why: ${rationale})` : decision] : [];
  });
}
