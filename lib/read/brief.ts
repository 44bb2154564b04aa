import type { ProjectMemory } from '../memory/read.js';
import { openFollowUps, viewAdr, viewContext, viewSession, type ContextView, type OpenFollowUp } from '../memory/shape.js';
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
const EARLIER_SESSIONS = 10;
const DAY_MS = 86_400_000;

interface Section {
  title: string;
  items: string[];
}

/**
 * What the next session should know first, newest first: the last session, open follow-ups with their age, the
 * project's focus and known issues, accepted decisions, then earlier sessions. Facts about the project, dated
 * against `now`, never instructions. Cut at item boundaries to fit `budget`. `undefined` when the project has no
 * memory.
 */
export function buildBrief(memory: ProjectMemory, now: Date, budget = BRIEF_BUDGET): string | undefined {
  const sessions = memory.sessions.map(viewSession);
  const newestFirst = [...sessions].reverse();
  const last = newestFirst[0];
  const context = viewContext(memory.context);
  const sections: Section[] = [];
  if (last) {
    sections.push({
      title: `Last session (${last.label}):`,
      items: [last.summary ?? '(no summary)', ...(last.nextHint ? [`Next: ${last.nextHint}`] : [])],
    });
  }
  const followUps = openFollowUps(sessions, context.done).map((item) => describeFollowUp(item, now));
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
      return title && adr.status === 'accepted' ? [`${adr.id ?? 'ADR'}: ${title}${adr.date ? ` (${adr.date})` : ''}`] : [];
    }),
  });
  sections.push({
    title: 'Earlier sessions:',
    items: newestFirst.slice(1, 1 + EARLIER_SESSIONS).flatMap((session) => (session.summary ? [`${session.label}: ${session.summary}`] : [])),
  });

  const header = `Project memory for ${memory.project} (log-session; \`log-session recall <query>\` searches it):`;
  const lines = fitLines(header, sections, budget);
  return lines.length > 1 ? lines.join('\n') : undefined;
}

function describeFollowUp(item: OpenFollowUp, now: Date): string {
  const days = daysSince(item.since, now);
  if (days === undefined) return item.text;
  return `${item.text} (${days === 0 ? 'open since today' : `open ${days} day${days === 1 ? '' : 's'}`})`;
}

function describeFocus(context: ContextView, now: Date): string {
  const days = daysSince(context.focusUpdated, now);
  if (days === undefined) return context.focus ?? '';
  const stale = days > FOCUS_STALE_DAYS ? `, ${days} days ago: possibly stale` : '';
  return `${context.focus ?? ''} (recorded ${context.focusUpdated ?? ''}${stale})`;
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
