import { isRecord } from '../json.js';
import { clip, comparableText, uniqueStrings } from '../text.js';
import { PLACEHOLDER_SUMMARY } from './summary.js';
import {
  documentValue,
  knownIssueText,
  listDocument,
  openFollowUps,
  sameIssue,
  viewContext,
  viewSession,
  type Adr,
  type Decision,
  type DoneFollowUp,
  type KnownIssue,
  type ListDocument,
  type ProjectContext,
  type ResolvedIssue,
  type SessionEntry,
  type SessionRun,
  type SessionView,
} from './shape.js';

/**
 * The pure core of a memory write: given the files as read, a session's update and what earlier writes left in
 * its state, the files to write. No disk, no clock (the time is passed in), so every rule is a table test.
 */

/** What the machine found out about a session (transcript, git); never the model's words. */
export interface CapturedFacts {
  startedAt: Date;
  endedAt: Date;
  /** Time the session was active, idle gaps left out: its duration. */
  activeMs: number;
  files: string[];
  autoSummary?: string;
  /** The session's tasks still to do (its task list, when it has one): its automatic follow-ups. */
  followUps?: string[];
  /** The tasks the session completed: each marks done an open follow-up of the same text (see ContextChanges). */
  completedTasks?: string[];
}

/** The model's own account of the session, as given to `record`. */
export interface AuthoredFields {
  summary: string;
  client?: string;
  files_modified?: string[];
  decisions_made?: (string | { decision: string; rationale?: string | undefined })[];
  follow_up?: string[];
  tags?: string[];
  context_for_next_session?: string;
}

/** An ADR as the model gives it; id, date and the session it came from are added here. */
export interface AdrInput {
  title: string;
  decision: string;
  context?: string | undefined;
  rationale?: string | undefined;
  alternatives_considered?: string[] | undefined;
  consequences?: string[] | undefined;
  status?: Adr['status'] | undefined;
  superseded_by?: string | undefined;
  tags?: string[] | undefined;
  /** The id of an ADR this one replaces: that one becomes `superseded`, pointing here. Not stored on this ADR. */
  supersedes?: string | undefined;
}

export interface ContextChanges {
  currentFocus?: string;
  knownIssues?: (string | Omit<KnownIssue, 'added'>)[];
  /** Known issues the model says this session resolved, by their text. */
  resolvedIssues?: string[];
  /** Follow-ups the model says this session completed, by their text. */
  doneFollowUps?: string[];
  /** Tasks the session completed (its task list): each marks done an open follow-up of the same text, if any. */
  completedTasks?: string[];
  /** SessionEnd runs this update: the session exits normally (see SessionRun). */
  sessionEnd?: boolean;
  branch?: string;
  originUrl?: string;
}

/** Which agent ran the session: the entry's `client` (aiconfig's enum) and, for an agent outside it, its name. */
export interface AgentMark {
  client: string;
  /** The agent's name, kept as a tag when `client` does not say it (`other`). */
  name: string;
}

export interface SessionUpdate {
  /** A safe slug (see project/name.ts). */
  project: string;
  /** The agent that ran the session; Claude Code when not given. */
  agent?: AgentMark;
  /** What the machine knows of the session; none when it knows nothing (no transcript, no saved start). */
  captured?: CapturedFacts;
  /** The session worked since its entry was last written: the entry moves to the end, where the newest stands. */
  active?: boolean;
  authored?: AuthoredFields;
  adrs?: AdrInput[];
  context?: ContextChanges;
}

/** What earlier writes left about the session's entry, kept in local state (not in memory). */
export interface EarlierWrites {
  /** The entry's id, once given out: a retry of a write cut short takes it again. */
  entryId?: string;
  /** The model already recorded this session. */
  authored: boolean;
  /** The automatic summary last written: a different summary in the file is somebody's edit. */
  autoSummary?: string;
}

/** The project's files as read for a write: `undefined` where a file was not needed or does not exist. */
export interface MemorySnapshot {
  /** sessions.json: the live window. */
  sessions: unknown;
  /** The archive holding the session's entry when the live window does not (a late record, a catch-up). */
  archived?: { year: string; sessions: unknown };
  /** Every archived session, read only when the update names a follow-up the live window does not list. */
  archivedSessions?: unknown[];
  /** Archived ids a new entry's id must not take (archive.ts's archivedIdsSince). */
  archivedIds?: ReadonlySet<string>;
  decisions?: unknown;
  context?: unknown;
}

/** What to write, in this order (see write.ts), and what the session's state should say afterwards. */
export interface MemoryPlan {
  entry: SessionEntry;
  /** True when the entry's id was given out by this write: it is saved in the state before sessions.json. */
  newId: boolean;
  /** sessions.json, or `undefined` when the entry is archived and the live file stays as it is. */
  sessions?: unknown;
  /** The archive the entry is in, when it is archived: the entry is updated there. */
  archive?: { year: string; sessions: unknown };
  decisions?: unknown;
  adrIds: string[];
  context?: ProjectContext;
  /** One line per thing the update names that memory lacks (an ADR id, a follow-up, an issue): nothing is written. */
  problems: string[];
  earlier: Required<Pick<EarlierWrites, 'entryId' | 'authored'>> & Pick<EarlierWrites, 'autoSummary'>;
}

export function planSessionWrite(snapshot: MemorySnapshot, update: SessionUpdate, earlier: EarlierWrites, now: Date): MemoryPlan {
  const live = listDocument(snapshot.sessions, 'sessions');
  const id = earlier.entryId ?? allocateSessionId(update.captured?.startedAt ?? now, new Set([...idsOf(live), ...(snapshot.archivedIds ?? [])]));
  const archive = snapshot.archived && listDocument(snapshot.archived.sessions, 'sessions');
  // An archived entry is updated where it is: it stays in its archive, in its place.
  const inArchive = !live.items.some((item) => isRecord(item) && item.id === id) && archive?.items.some((item) => isRecord(item) && item.id === id);
  const sessions = inArchive ? archive! : live;
  const index = sessions.items.findIndex((item) => isRecord(item) && item.id === id);
  const existing = index >= 0 ? (sessions.items[index] as Record<string, unknown>) : undefined;
  const entry = mergeEntry(existing, id, update.captured, update.authored, earlier, now, update.agent);
  if (index >= 0 && (inArchive || !update.active)) sessions.items[index] = entry;
  else {
    if (index >= 0) sessions.items.splice(index, 1);
    sessions.items.push(entry);
  }

  const adrs = update.adrs?.length ? mergeAdrs(listDocument(snapshot.decisions, 'decisions'), update.adrs, id, now) : undefined;
  // Follow-ups are looked for in every session read: an archived one's too, when the update names one (see write.ts).
  const older = (snapshot.archivedSessions ?? []).filter((item) => !(isRecord(item) && item.id === id));
  const listed = [...older, ...(inArchive ? archive!.items : []), ...live.items];
  const { captured } = update;
  const authored = earlier.authored || update.authored !== undefined;
  const closed = update.context && closeInContext(snapshot.context, update.context, listed, update.project, id, now);
  if (closed && captured) {
    closed.context = noteSessionRun(closed.context, { session: id, branch: update.context?.branch, active: captured.endedAt.toISOString(), recorded: authored }, update.context?.sessionEnd === true);
  }
  return {
    entry,
    newId: earlier.entryId === undefined,
    ...(inArchive
      ? { archive: { year: snapshot.archived!.year, sessions: documentValue(archive!, 'sessions', update.project) } }
      : { sessions: documentValue(live, 'sessions', update.project) }),
    ...(adrs ? { decisions: documentValue(adrs.document, 'decisions', update.project) } : {}),
    adrIds: adrs?.ids ?? [],
    ...(closed ? { context: closed.context } : {}),
    problems: [...(adrs?.problems ?? []), ...(closed?.problems ?? [])],
    earlier: {
      entryId: id,
      authored,
      autoSummary: captured?.autoSummary !== undefined && entry.summary === captured.autoSummary ? captured.autoSummary : earlier.autoSummary,
    },
  };
}

/**
 * Brings a session's entry up to date. Facts, when the machine knows any, refresh the duration and join files (a
 * new entry without them is dated `now`); the model's fields replace
 * the previous ones; an automatic summary and follow-ups only fill a gap or replace the previous automatic ones,
 * never the model's words or a person's edit. The agent's name stays among the tags whatever the model's tags are.
 */
export function mergeEntry(
  existing: Record<string, unknown> | undefined,
  id: string,
  captured: CapturedFacts | undefined,
  authored: AuthoredFields | undefined,
  earlier: Pick<EarlierWrites, 'authored' | 'autoSummary'>,
  now: Date,
  agent: AgentMark = CLAUDE_CODE,
): SessionEntry {
  const base = (existing ?? {
    id,
    date: localDate(captured?.startedAt ?? now),
    client: agent.client,
    duration_estimate: '',
    summary: '',
    files_modified: [],
    decisions_made: [],
    follow_up: [],
    tags: [],
    context_for_next_session: '',
  }) as SessionEntry;
  const files = uniqueStrings([...asStrings(base.files_modified), ...(captured?.files ?? []), ...(authored?.files_modified ?? [])]).sort();
  const merged: SessionEntry = { ...base, files_modified: files };
  if (captured) merged.duration_estimate = durationEstimate(captured.activeMs);
  if (authored) {
    merged.summary = authored.summary;
    if (authored.client) merged.client = authored.client;
    if (authored.decisions_made) merged.decisions_made = authored.decisions_made.map(toDecision);
    if (authored.follow_up) merged.follow_up = uniqueStrings(authored.follow_up);
    if (authored.tags) merged.tags = uniqueStrings(authored.tags);
    if (authored.context_for_next_session !== undefined) merged.context_for_next_session = authored.context_for_next_session;
  } else if (!earlier.authored && isAutomatic(base.summary, earlier.autoSummary)) {
    // The automatic follow-ups go with the automatic summary: an entry whose summary a person edited is theirs.
    if (captured?.autoSummary) merged.summary = captured.autoSummary;
    if (captured?.followUps) merged.follow_up = captured.followUps;
  }
  if (typeof merged.summary !== 'string' || merged.summary === '') merged.summary = PLACEHOLDER_SUMMARY;
  if (agent.name !== agent.client) merged.tags = uniqueStrings([agent.name, ...asStrings(merged.tags)]);
  return merged;
}

const CLAUDE_CODE: AgentMark = { client: 'claude-code', name: 'claude-code' };

function isAutomatic(summary: unknown, autoSummary: string | undefined): boolean {
  return summary === undefined || summary === '' || summary === PLACEHOLDER_SUMMARY || summary === autoSummary;
}

/**
 * Adds the session's ADRs; one it already has under the same title (recorded again, or a retry) is updated in
 * place. An ADR that supersedes another marks it `superseded` by its own id; naming an ADR that is not there, or
 * one another ADR already superseded, is a problem.
 */
export function mergeAdrs(
  document: ListDocument,
  adrs: AdrInput[],
  sessionId: string,
  now: Date,
): { document: ListDocument; ids: string[]; problems: string[] } {
  const items = [...document.items];
  let next = 1 + Math.max(0, ...items.map((adr) => (isRecord(adr) ? adrNumber(adr.id) : 0)));
  const ids: string[] = [];
  for (const { supersedes: _supersedes, ...adr } of adrs) {
    const index = items.findIndex((item) => isRecord(item) && isSessionAdr(item, sessionId, adr.title));
    const existing = index >= 0 ? (items[index] as Record<string, unknown>) : undefined;
    if (existing) {
      ids.push(String(existing.id));
      items[index] = { ...existing, ...adr, status: adr.status ?? existing.status ?? 'accepted' };
      continue;
    }
    const id = `ADR-${String(next++).padStart(3, '0')}`;
    ids.push(id);
    items.push({ id, date: localDate(now), ...adr, status: adr.status ?? 'accepted', related_sessions: [sessionId] });
  }
  const stored = document.items.flatMap((item) => (isRecord(item) && typeof item.id === 'string' ? [item.id] : []));
  const problems = adrs.flatMap((adr, index) => (adr.supersedes ? supersede(items, stored, adr.supersedes, ids[index]!, `adrs[${index}].supersedes`) : []));
  return { document: { ...document, items }, ids, problems };
}

/** Marks the ADR `oldId` superseded by `newId` in `items`; a problem line, naming the `stored` ids, when it cannot be. */
function supersede(items: unknown[], stored: string[], oldId: string, newId: string, field: string): string[] {
  const index = items.findIndex((item) => isRecord(item) && comparableText(String(item.id)) === comparableText(oldId));
  const old = items[index];
  if (!isRecord(old)) {
    return [`${field}: ${JSON.stringify(oldId)} is no ADR in decisions.json; ${stored.length ? `its ids: ${stored.join(', ')}` : 'it has none yet'}`];
  }
  if (old.id === newId) return [`${field}: an ADR cannot supersede itself (${newId})`];
  if (typeof old.superseded_by === 'string' && old.superseded_by !== newId) {
    return [`${field}: ${String(old.id)} is already superseded by ${old.superseded_by}; supersede that one instead`];
  }
  items[index] = { ...old, status: 'superseded', superseded_by: newId };
  return [];
}

function isSessionAdr(adr: Record<string, unknown>, sessionId: string, title: string): boolean {
  return (
    String(adr.title).toLowerCase() === title.toLowerCase() &&
    Array.isArray(adr.related_sessions) &&
    adr.related_sessions.includes(sessionId)
  );
}

/** context.json with the session's changes: focus and repository replaced, branches and known issues added once. */
export function mergeContext(current: unknown, changes: ContextChanges, project: string, now: Date): ProjectContext {
  const context: ProjectContext = isRecord(current) ? { ...current } : { project, created: now.toISOString() };
  if (changes.currentFocus) {
    context.current_focus = changes.currentFocus;
    context.focus_updated = localDate(now);
  }
  if (changes.originUrl) context.repository = changes.originUrl;
  if (changes.branch) {
    const branches = Array.isArray(context.active_branches) ? context.active_branches : [];
    if (!branches.includes(changes.branch)) context.active_branches = [...branches, changes.branch];
  }
  if (changes.knownIssues?.length) {
    const issues = Array.isArray(context.known_issues) ? [...context.known_issues] : [];
    const seen = new Set(issues.map((item) => knownIssueText(item).toLowerCase()));
    for (const raw of changes.knownIssues) {
      const issue = typeof raw === 'string' ? { issue: raw } : raw;
      if (seen.has(issue.issue.toLowerCase())) continue;
      seen.add(issue.issue.toLowerCase());
      issues.push({ ...issue, added: localDate(now) });
    }
    context.known_issues = issues;
  }
  return context;
}

/**
 * context.json with the session's changes (mergeContext), then what the session closed: known issues it resolved
 * and follow-ups it completed. `sessions` are sessions.json's items with the session's entry already merged.
 */
function closeInContext(
  current: unknown,
  changes: ContextChanges,
  sessions: unknown[],
  project: string,
  sessionId: string,
  now: Date,
): { context: ProjectContext; problems: string[] } {
  const merged = mergeContext(current, changes, project, now);
  const resolved = resolveIssues(merged, changes.resolvedIssues ?? [], sessionId, now);
  const done = markFollowUpsDone(resolved.context, sessions, changes, sessionId, now);
  return { context: done.context, problems: [...resolved.problems, ...done.problems] };
}

/**
 * Moves each resolved issue from `known_issues` to `resolved_issues`, dated and with the session. One already
 * resolved is left as it is (a retry); one that is in neither list is a problem naming the known issues.
 */
export function resolveIssues(context: ProjectContext, resolved: string[], sessionId: string, now: Date): { context: ProjectContext; problems: string[] } {
  if (resolved.length === 0) return { context, problems: [] };
  let known = Array.isArray(context.known_issues) ? [...context.known_issues] : [];
  const done: ResolvedIssue[] = Array.isArray(context.resolved_issues) ? [...context.resolved_issues] : [];
  const problems: string[] = [];
  resolved.forEach((issue, index) => {
    const item = known.find((stored) => sameIssue(stored, issue));
    if (item === undefined) {
      if (done.some((stored) => sameIssue(stored, issue))) return;
      const listed = known.map((stored) => JSON.stringify(clip(knownIssueText(stored), 80)));
      problems.push(`resolved_issues[${index}]: ${JSON.stringify(issue)} is no known issue (compared without case and spacing); ${listed.length ? `known: ${listed.join(', ')}` : 'there are none'}`);
      return;
    }
    known = known.filter((stored) => stored !== item);
    done.push({ ...(isRecord(item) ? item : { issue: String(item) }), resolved: localDate(now), resolved_in: sessionId });
  });
  return { context: { ...context, known_issues: known, resolved_issues: done }, problems };
}

/**
 * Marks follow-ups done in `done_follow_ups`. A follow-up the model names must be one some session listed (case
 * and spacing aside), else it is a problem naming the open ones; one already done is left as it is. A completed
 * task marks done only an open follow-up of the same text and is never a problem: most tasks are no follow-up.
 */
export function markFollowUpsDone(
  context: ProjectContext,
  sessions: unknown[],
  changes: Pick<ContextChanges, 'doneFollowUps' | 'completedTasks'>,
  sessionId: string,
  now: Date,
): { context: ProjectContext; problems: string[] } {
  const named = changes.doneFollowUps ?? [];
  if (named.length === 0 && !changes.completedTasks?.length) return { context, problems: [] };
  const views = sessions.filter(isRecord).map(viewSession);
  const records: DoneFollowUp[] = Array.isArray(context.done_follow_ups) ? [...context.done_follow_ups] : [];
  const open = () => openFollowUps(views, viewContext({ done_follow_ups: records }).done);
  const markDone = (task: string): boolean => {
    const item = open().find((candidate) => comparableText(candidate.text) === comparableText(task));
    if (item) records.push({ follow_up: item.text, done: localDate(now), session: sessionId });
    return item !== undefined;
  };
  const listed = (task: string) => listsFollowUp(views, task);
  const problems = named.flatMap((task, index) => {
    if (markDone(task) || listed(task)) return [];
    const still = open().slice(0, 10).map((item) => JSON.stringify(clip(item.text, 80)));
    return [`done[${index}]: ${JSON.stringify(task)} is no follow-up of this project (compared without case and spacing); ${still.length ? `open: ${still.join(', ')}` : 'none is open'}`];
  });
  for (const task of changes.completedTasks ?? []) markDone(task);
  return { context: records.length ? { ...context, done_follow_ups: records } : context, problems };
}

/** Whether a session of `sessions` lists the follow-up `task`, case and spacing aside. */
export function listsFollowUp(sessions: SessionView[], task: string): boolean {
  const key = comparableText(task);
  return sessions.some((session) => session.followUps.some((item) => comparableText(item) === key));
}

/** Session runs context.json keeps, the newest: far more than a brief shows. */
const MAX_SESSION_RUNS = 100;

/**
 * context.json with the session's run noted (see SessionRun): its record moves to the end, the newest. `exited`
 * becomes its last activity when SessionEnd runs; a capture that comes after it (the last turn's Stop worker) keeps
 * it, and a later activity (a resume) leaves the session unfinished until its own SessionEnd.
 */
export function noteSessionRun(context: ProjectContext, run: { session: string; active: string; recorded: boolean; branch?: string | undefined }, sessionEnd: boolean): ProjectContext {
  // A hand edit may have left anything in the list: only records are kept.
  const runs = (Array.isArray(context.session_runs) ? context.session_runs.filter(isRecord) : []) as SessionRun[];
  const previous = runs.find((item) => item.session === run.session);
  const exited = sessionEnd ? run.active : previous?.exited;
  const branch = run.branch ?? previous?.branch;
  const noted: SessionRun = { ...previous, session: run.session, active: run.active, recorded: run.recorded, ...(branch ? { branch } : {}), ...(exited ? { exited } : {}) };
  return { ...context, session_runs: [...runs.filter((item) => item !== previous), noted].slice(-MAX_SESSION_RUNS) };
}

/** Whether `text` has the form of the ids allocateSessionId gives (`show` prints them). */
export function isSessionEntryId(text: string): boolean {
  return /^session-\d{8}-\d{6}$/.test(text);
}

/** `session-YYYYMMDD-HHMMSS` in local time; a clash with another entry moves it on by a second. */
export function allocateSessionId(startedAt: Date, taken: ReadonlySet<string>): string {
  for (let offset = 0; ; offset++) {
    const candidate = `session-${compactLocal(new Date(startedAt.getTime() + offset * 1000))}`;
    if (!taken.has(candidate)) return candidate;
  }
}

/** `~25min`, `~2h`, `~1h 5min`: at least a minute. */
export function durationEstimate(activeMs: number): string {
  const minutes = Math.max(1, Math.round(activeMs / 60_000));
  if (minutes < 60) return `~${minutes}min`;
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return rest === 0 ? `~${hours}h` : `~${hours}h ${rest}min`;
}

export function localDate(date: Date): string {
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

function idsOf(sessions: ListDocument): Set<string> {
  return new Set(sessions.items.flatMap((item) => (isRecord(item) ? [String(item.id)] : [])));
}

function adrNumber(id: unknown): number {
  const match = /^ADR-(\d+)$/.exec(String(id));
  return match ? Number(match[1]) : 0;
}

function compactLocal(date: Date): string {
  return (
    `${date.getFullYear()}${pad(date.getMonth() + 1)}${pad(date.getDate())}-` +
    `${pad(date.getHours())}${pad(date.getMinutes())}${pad(date.getSeconds())}`
  );
}

function toDecision(decision: string | { decision: string; rationale?: string | undefined }): Decision {
  if (typeof decision === 'string') return { decision };
  return decision.rationale ? { decision: decision.decision, rationale: decision.rationale } : { decision: decision.decision };
}

function asStrings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

function pad(value: number): string {
  return String(value).padStart(2, '0');
}
