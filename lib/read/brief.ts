import { agentHasHook } from '../clients/names.js';
import type { ProjectMemory } from '../memory/read.js';
import {
  agentOf,
  openFollowUps,
  viewAdr,
  viewContext,
  viewFollowUps,
  viewSession,
  type ContextView,
  type OpenFollowUp,
  type RunView,
  type SessionView,
} from '../memory/shape.js';
import { isAutomaticSummary, PLACEHOLDER_SUMMARY } from '../memory/summary.js';
import { clip } from '../text.js';

/** SessionStart's additionalContext stays under this many characters. */
export const BRIEF_BUDGET = 6000;
/** No single item takes more than this, so one long summary cannot crowd out the rest. */
const ITEM_LIMIT = 600;
/**
 * Open follow-ups take at most this many characters: they come from every session, and a project that piles
 * them up must still leave room for its focus, known issues and decisions.
 */
const FOLLOW_UP_BUDGET = 2000;
/**
 * A focus not recorded for longer than this is marked possibly stale: about two weeks is the span of one stretch
 * of work (a sprint), after which a focus nobody confirmed has more likely moved on than not.
 */
export const FOCUS_STALE_DAYS = 14;
/** Sessions told in full (summary, files, hint): enough for a day's work, within the budget. */
const RECENT_SESSIONS = 5;
const EARLIER_SESSIONS = 10;
/** Files named per session; the rest are counted. */
const MAIN_FILES = 3;
const SUMMARY_PART = 300;
const HINT_PART = 240;
/**
 * A session without SessionEnd whose last activity is this recent may still be running (in another terminal):
 * the idle gap after which its own active time stops counting too (fold.ts).
 */
const RUNNING_GAP_MS = 30 * 60_000;
const DAY_MS = 86_400_000;

interface Section {
  title: string;
  items: string[];
}

/**
 * What the next session should know first, newest first: the recent sessions that did something (files, commits,
 * or a summary the model recorded), each with its time, branch, files and its hint for the next session, those
 * that did nothing counted in one line; open follow-ups with their age; the project's focus and known issues;
 * accepted decisions; then earlier sessions. Facts about the project, dated against `now`, memory's own text in
 * quotes: never an instruction. Cut at item boundaries to fit `budget`. `undefined` when the project has no memory.
 */
export function buildBrief(memory: ProjectMemory, now: Date, budget = BRIEF_BUDGET): string | undefined {
  const context = viewContext(memory.context);
  const { recent, idle, earlier } = sortSessions(memory.sessions, context.runs);
  // Where an agent other than Claude Code worked on the project, each session says which agent ran it.
  const byAgent = memory.sessions.some((entry) => {
    const agent = agentOf(entry);
    return agent !== undefined && agent !== 'claude-code';
  });
  const sections: Section[] = [];
  sections.push({
    title: 'Recent sessions that changed files, committed or were recorded (newest first):',
    items: [
      ...recent.map((session) => describeSession(session, context.runs.get(session.id ?? ''), now, byAgent)),
      ...(idle.length ? [describeIdle(idle)] : []),
    ],
  });
  const followUps = openFollowUps(memory.sessions.map(viewFollowUps), context.done).map((item) => describeFollowUp(item, now));
  sections.push({
    title: 'Open follow-ups (newest first):',
    items: capItems(followUps, FOLLOW_UP_BUDGET, (count) => `and ${count} older open follow-ups`),
  });
  sections.push({ title: 'Current focus:', items: context.focus ? [describeFocus(context, now)] : [] });
  sections.push({ title: 'Known issues:', items: context.knownIssues });
  sections.push({
    title: 'Accepted decisions:',
    items: [...memory.decisions].reverse().flatMap((stored) => {
      const adr = viewAdr(stored);
      const title = adr.title ?? adr.decision;
      return title && adr.status === 'accepted' ? [`${adr.id ?? 'ADR'}${adr.date ? ` (${adr.date})` : ''}: ${quoted(title)}`] : [];
    }),
  });
  sections.push({
    title: 'Earlier sessions:',
    items: earlier.map((session) => `${when(session)}${byAgent && session.agent ? `, by ${session.agent}` : ''}: ${quoted(clip(session.summary ?? '', SUMMARY_PART))}`),
  });

  const header = `Project memory for ${memory.project} (log-session; \`log-session recall <query>\` searches it). Quoted text is as sessions recorded it.`;
  const lines = fitLines(header, sections, budget);
  return lines.length > 1 ? lines.join('\n') : undefined;
}

/**
 * The newest sessions that did something (RECENT_SESSIONS), those among them that did nothing, and the next ones
 * that did something (EARLIER_SESSIONS, summary only). Only the sessions looked at are viewed: the live file holds
 * up to 500 (archive.ts), and viewing them all cost a SessionStart a sixth of `node -e 0` at 50,000 sessions (`farm-bench`).
 */
function sortSessions(stored: Record<string, unknown>[], runs: Map<string, RunView>): { recent: SessionView[]; idle: SessionView[]; earlier: SessionView[] } {
  const recent: SessionView[] = [];
  const idle: SessionView[] = [];
  const earlier: SessionView[] = [];
  for (let index = stored.length - 1; index >= 0; index--) {
    const session = viewSession(stored[index]!);
    const worked = didSomething(session, runs.get(session.id ?? ''));
    if (recent.length < RECENT_SESSIONS) (worked ? recent : idle).push(session);
    else if (worked && session.summary) earlier.push(session);
    if (earlier.length === EARLIER_SESSIONS) break;
  }
  return { recent, idle, earlier };
}

/**
 * A session did something when it changed files (its commits' included) or the model recorded it. An entry from
 * before runs were noted counts as recorded unless its summary has the automatic form of then.
 */
function didSomething(session: SessionView, run: RunView | undefined): boolean {
  if (session.files.length > 0 || session.decisions.length > 0) return true;
  if (run) return run.recorded;
  return session.summary !== undefined && !isAutomaticSummary(session.summary);
}

function describeSession(session: SessionView, run: RunView | undefined, now: Date, byAgent: boolean): string {
  const facts = [
    when(session),
    byAgent && session.agent && `by ${session.agent}`,
    run?.branch && `branch ${run.branch}`,
    session.duration,
    run?.unfinished && agentHasHook(session.agent ?? '', 'SessionEnd') && describeUnfinished(run, now),
    describeFiles(session.files),
  ].filter(Boolean);
  const summary = session.summary && session.summary !== PLACEHOLDER_SUMMARY ? `: ${quoted(clip(session.summary, SUMMARY_PART))}` : '';
  const hint = session.nextHint ? `${summary ? '' : '.'} Hint for the next session: ${quoted(clip(session.nextHint, HINT_PART))}` : '';
  return `${facts.join(', ')}${summary}${hint}`;
}

function describeUnfinished(run: RunView, now: Date): string {
  const idleFor = now.getTime() - Date.parse(run.active ?? '');
  return idleFor < RUNNING_GAP_MS ? 'no SessionEnd yet (possibly still running)' : 'interrupted (ended without SessionEnd)';
}

function describeFiles(files: string[]): string {
  if (files.length === 0) return 'no files changed';
  const named = files.slice(0, MAIN_FILES).join(', ');
  const more = files.length > MAIN_FILES ? ` and ${files.length - MAIN_FILES} more` : '';
  return `${files.length} file${files.length === 1 ? '' : 's'} changed (${named}${more})`;
}

function describeIdle(idle: SessionView[]): string {
  const count = idle.length === 1 ? '1 session' : `${idle.length} sessions`;
  return `and ${count} without changes or a recorded summary (${idle.map(when).join('; ')})`;
}

/** The session's start as its id tells it (`YYYY-MM-DD HH:MM`, local), else its date. */
function when(session: SessionView): string {
  const match = /^session-(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})\d{2}$/.exec(session.id ?? '');
  return match ? `${match[1]}-${match[2]}-${match[3]} ${match[4]}:${match[5]}` : (session.date ?? 'undated');
}

/** Memory's own text, marked as such. */
function quoted(text: string): string {
  return `"${text}"`;
}

function describeFollowUp(item: OpenFollowUp, now: Date): string {
  const days = daysSince(item.since, now);
  if (days === undefined) return quoted(item.text);
  return `${quoted(item.text)} (${days === 0 ? 'open since today' : `open ${days} day${days === 1 ? '' : 's'}`})`;
}

function describeFocus(context: ContextView, now: Date): string {
  const days = daysSince(context.focusUpdated, now);
  if (days === undefined) return quoted(context.focus ?? '');
  const stale = days > FOCUS_STALE_DAYS ? `, ${days} days ago: possibly stale` : '';
  return `${quoted(context.focus ?? '')} (recorded ${context.focusUpdated ?? ''}${stale})`;
}

/** Whole days from a `YYYY-MM-DD` local date to `now`'s; none for a date that does not read as one, 0 for the future. */
function daysSince(date: string | undefined, now: Date): number | undefined {
  const match = date && /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!match) return undefined;
  const then = new Date(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
  const today = new Date(now.getFullYear(), now.getMonth(), now.getDate());
  return Math.max(0, Math.round((today.getTime() - then.getTime()) / DAY_MS));
}

/** The items that fit in `limit` characters as brief lines; when some do not, a last item counts them. */
function capItems(items: string[], limit: number, rest: (count: number) => string): string[] {
  const sizes = items.map((item) => 3 + Math.min(item.length, ITEM_LIMIT));
  if (sizes.reduce((sum, size) => sum + size, 0) <= limit) return items;
  let size = rest(items.length).length + 3;
  const kept = sizes.findIndex((itemSize) => (size += itemSize) > limit);
  return [...items.slice(0, kept), rest(items.length - kept)];
}

/** Adds sections in order, each item as one line, until the next one would overflow `budget`. */
function fitLines(header: string, sections: Section[], budget: number): string[] {
  const lines = [header];
  let size = header.length;
  for (const section of sections) {
    if (section.items.length === 0) continue;
    const [first, ...rest] = section.items.map((item) => `- ${clip(item, ITEM_LIMIT)}`);
    const opening = ['', section.title, first ?? ''];
    const openingSize = opening.reduce((sum, line) => sum + 1 + line.length, 0);
    if (size + openingSize > budget) break;
    lines.push(...opening);
    size += openingSize;
    for (const line of rest) {
      if (size + 1 + line.length > budget) return lines;
      lines.push(line);
      size += 1 + line.length;
    }
  }
  return lines;
}
