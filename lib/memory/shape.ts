import { join } from 'node:path';
import * as z from 'zod/mini';
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

const decisionSchema = z.object({ decision: z.string(), rationale: z.optional(z.string()) });
export type Decision = z.infer<typeof decisionSchema>;

/** One session as sessions.json stores it (what log-session writes; other keys are kept). */
export const sessionEntrySchema = z.looseObject({
  id: z.string(),
  date: z.string(),
  client: z.string(),
  duration_estimate: z.string(),
  summary: z.string(),
  files_modified: z.array(z.string()),
  decisions_made: z.array(z.union([z.string(), decisionSchema])),
  follow_up: z.array(z.string()),
  tags: z.array(z.string()),
  context_for_next_session: z.string(),
});
export type SessionEntry = z.infer<typeof sessionEntrySchema>;

export const adrStatusSchema = z.enum(['proposed', 'accepted', 'deprecated', 'superseded']);

/** One ADR as decisions.json stores it. */
export const adrSchema = z.looseObject({
  id: z.string(),
  date: z.string(),
  title: z.string(),
  decision: z.string(),
  context: z.optional(z.string()),
  rationale: z.optional(z.string()),
  alternatives_considered: z.optional(z.array(z.string())),
  consequences: z.optional(z.array(z.string())),
  status: adrStatusSchema,
  superseded_by: z.optional(z.string()),
  tags: z.optional(z.array(z.string())),
  related_sessions: z.array(z.string()),
});
export type Adr = z.infer<typeof adrSchema>;

export const severitySchema = z.enum(['low', 'medium', 'high', 'critical']);
const knownIssueSchema = z.object({ issue: z.string(), severity: z.optional(severitySchema), added: z.optional(z.string()) });
export type KnownIssue = z.infer<typeof knownIssueSchema>;

/** A known issue a session resolved: it left `known_issues` and is kept here, dated, with the session that said so. */
const resolvedIssueSchema = z.looseObject({ ...knownIssueSchema.shape, resolved: z.string(), resolved_in: z.string() });
export type ResolvedIssue = z.infer<typeof resolvedIssueSchema>;

/**
 * A follow-up a later session completed. Kept in context.json, not in the entry that listed it: sessions.json
 * entries keep aiconfig's known keys (its schema may reject others), and one record here serves every session
 * that listed the same task. It covers the listings dated on or before `done`: a session that lists the task
 * again later opens it again.
 */
const doneFollowUpSchema = z.looseObject({ follow_up: z.string(), done: z.string(), session: z.string() });
export type DoneFollowUp = z.infer<typeof doneFollowUpSchema>;

/** context.json. Besides aiconfig's keys: the focus's date and what sessions closed (done follow-ups, resolved issues). */
export const projectContextSchema = z.looseObject({
  project: z.optional(z.string()),
  created: z.optional(z.string()),
  current_focus: z.optional(z.string()),
  /** The date a session last recorded the focus (set or confirmed): how fresh it is. */
  focus_updated: z.optional(z.string()),
  repository: z.optional(z.string()),
  active_branches: z.optional(z.array(z.string())),
  known_issues: z.optional(z.array(z.union([z.string(), knownIssueSchema]))),
  resolved_issues: z.optional(z.array(resolvedIssueSchema)),
  done_follow_ups: z.optional(z.array(doneFollowUpSchema)),
});
export type ProjectContext = z.infer<typeof projectContextSchema>;

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
  const client = textOf(entry, 'client');
  const agent = client === 'other' ? tags.find(isClientName) : client;
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
  };
}

export interface ContextView {
  focus?: string;
  /** `YYYY-MM-DD` the focus was last recorded; none for a focus set before log-session dated it, or by hand. */
  focusUpdated?: string;
  /** Newest first, `[severity] issue (added date)`. */
  knownIssues: string[];
  done: DoneView[];
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
  };
}

/** The record that marks a follow-up listed on `listedOn` done: same text (case and spacing aside), done that day or later. */
function doneRecordFor(followUp: string, listedOn: string | undefined, done: DoneView[]): DoneView | undefined {
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
export function openFollowUps(sessions: SessionView[], done: DoneView[]): OpenFollowUp[] {
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
