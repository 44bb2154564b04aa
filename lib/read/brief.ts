import type { ProjectMemory } from '../memory/read.js';
import { isRecord } from '../is-record.js';

/** SessionStart's additionalContext stays under this many characters. */
export const BRIEF_BUDGET = 6000;
/** No single item takes more than this, so one long summary cannot crowd out the rest. */
const ITEM_LIMIT = 600;
/** Follow-ups are gathered from this many of the newest sessions. */
const FOLLOW_UP_SESSIONS = 5;
const EARLIER_SESSIONS = 10;

interface Section {
  title: string;
  items: string[];
}

/**
 * What the next session should know first, newest first: the last session, open follow-ups, the project's focus
 * and known issues, accepted decisions, then earlier sessions. Cut at item boundaries to fit `budget`.
 * `undefined` when the project has no memory.
 */
export function buildBrief(memory: ProjectMemory, budget = BRIEF_BUDGET): string | undefined {
  const newestFirst = [...memory.sessions].reverse();
  const last = newestFirst[0];
  const sections: Section[] = [];
  if (last) {
    const hint = textOf(last, 'context_for_next_session');
    sections.push({
      title: `Last session (${sessionLabel(last)}):`,
      items: [textOf(last, 'summary') ?? '(no summary)', ...(hint ? [`Next: ${hint}`] : [])],
    });
  }
  const followUps = unique(newestFirst.slice(0, FOLLOW_UP_SESSIONS).flatMap((session) => textsOf(session, 'follow_up')));
  sections.push({ title: 'Open follow-ups:', items: followUps });
  const focus = textOf(memory.context, 'current_focus');
  sections.push({ title: 'Current focus:', items: focus ? [focus] : [] });
  sections.push({ title: 'Known issues:', items: knownIssues(memory.context) });
  sections.push({
    title: 'Accepted decisions:',
    items: [...memory.decisions].reverse().flatMap((adr) => {
      const title = textOf(adr, 'title') ?? textOf(adr, 'decision');
      const status = textOf(adr, 'status') ?? 'accepted';
      return title && status === 'accepted' ? [`${textOf(adr, 'id') ?? 'ADR'}: ${title}`] : [];
    }),
  });
  sections.push({
    title: 'Earlier sessions:',
    items: newestFirst.slice(1, 1 + EARLIER_SESSIONS).flatMap((session) => {
      const summary = textOf(session, 'summary');
      return summary ? [`${sessionLabel(session)}: ${summary}`] : [];
    }),
  });

  const header = `Project memory for ${memory.project} (log-session; \`log-session recall <query>\` searches it):`;
  const lines = fitLines(header, sections, budget);
  return lines.length > 1 ? lines.join('\n') : undefined;
}

/** Adds sections in order, each item as one line, until the next one would overflow `budget`. */
function fitLines(header: string, sections: Section[], budget: number): string[] {
  const lines = [header];
  let size = header.length;
  for (const section of sections) {
    if (section.items.length === 0) continue;
    const [first, ...rest] = section.items.map((item) => `- ${clip(item)}`);
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

function knownIssues(context: Record<string, unknown>): string[] {
  const issues = context.known_issues;
  if (!Array.isArray(issues)) return [];
  return [...issues].reverse().flatMap((item) => {
    if (!isRecord(item)) return textsOf({ issues: [item] }, 'issues');
    const issue = textOf(item, 'issue');
    const severity = textOf(item, 'severity');
    return issue ? [severity ? `[${severity}] ${issue}` : issue] : [];
  });
}

export function sessionLabel(session: Record<string, unknown>): string {
  return [textOf(session, 'id'), textOf(session, 'date')].filter(Boolean).join(', ') || 'undated';
}

function unique(items: string[]): string[] {
  const seen = new Set<string>();
  return items.filter((item) => {
    const key = item.toLowerCase();
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function clip(text: string): string {
  return text.length > ITEM_LIMIT ? `${text.slice(0, ITEM_LIMIT - 1)}…` : text;
}

/** A field as one line of text, or `undefined` when it is missing, empty or not text. */
export function textOf(record: Record<string, unknown>, key: string): string | undefined {
  const value = record[key];
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  const line = String(value).replace(/\s+/g, ' ').trim();
  return line || undefined;
}

/** A list field's text items (objects give their `itemKey`), blanks dropped. */
export function textsOf(record: Record<string, unknown>, key: string, itemKey?: string): string[] {
  const value = record[key];
  if (!Array.isArray(value)) return [];
  return value.flatMap((item) => {
    const text = isRecord(item) ? (itemKey ? textOf(item, itemKey) : undefined) : textOf({ item }, 'item');
    return text ? [text] : [];
  });
}

/** `decisions_made` items, written as strings or `{decision, rationale}`, as `decision (why: rationale)` lines. */
export function decisionsOf(session: Record<string, unknown>): string[] {
  const value = session.decisions_made;
  if (!Array.isArray(value)) return [];
  return value.flatMap((item) => {
    if (!isRecord(item)) return textsOf({ item: [item] }, 'item');
    const decision = textOf(item, 'decision');
    const rationale = textOf(item, 'rationale');
    return decision ? [rationale ? `${decision} (why: ${rationale})` : decision] : [];
  });
}
