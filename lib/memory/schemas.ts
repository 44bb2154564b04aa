import * as z from 'zod/mini';

/**
 * The stored shapes as zod schemas. Their types are used everywhere; the schemas themselves only where input is
 * checked (authored.ts). Apart from shape.ts so that what only reads memory (SessionStart, the readers) never
 * loads zod: 45 KB of the SessionStart hook's 211 KB.
 */

const decisionSchema = z.object({ decision: z.string(), rationale: z.optional(z.string()) });
export type Decision = z.infer<typeof decisionSchema>;

/** One session as sessions.json stores it (what log-session writes; other keys are kept). */
const sessionEntrySchema = z.looseObject({
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
const adrSchema = z.looseObject({
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

/**
 * What the brief tells of a session that aiconfig's entry has no key for, by the entry's id: its branch, when it
 * was last active (its last transcript line), when SessionEnd saw it exit (the last activity then: a later one is
 * a resume), and whether the model recorded it. Kept in context.json for the reason done follow-ups are.
 */
const sessionRunSchema = z.looseObject({
  session: z.string(),
  branch: z.optional(z.string()),
  active: z.string(),
  exited: z.optional(z.string()),
  recorded: z.optional(z.boolean()),
});
export type SessionRun = z.infer<typeof sessionRunSchema>;

/** context.json. Besides aiconfig's keys: the focus's date, what sessions closed (done follow-ups, resolved issues), and their runs. */
const projectContextSchema = z.looseObject({
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
  session_runs: z.optional(z.array(sessionRunSchema)),
});
export type ProjectContext = z.infer<typeof projectContextSchema>;
