import type { ProjectMemory } from '../memory/read.js';
import { viewAdr, viewContext, viewSession } from '../memory/shape.js';
import { clip, uniqueIgnoringCase } from '../text.js';

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
  const newestFirst = [...memory.sessions].reverse().map(viewSession);
  const last = newestFirst[0];
  const context = viewContext(memory.context);
  const sections: Section[] = [];
  if (last) {
    sections.push({
      title: `Last session (${last.label}):`,
      items: [last.summary ?? '(no summary)', ...(last.nextHint ? [`Next: ${last.nextHint}`] : [])],
    });
  }
  const followUps = uniqueIgnoringCase(newestFirst.slice(0, FOLLOW_UP_SESSIONS).flatMap((session) => session.followUps));
  sections.push({ title: 'Open follow-ups:', items: followUps });
  sections.push({ title: 'Current focus:', items: context.focus ? [context.focus] : [] });
  sections.push({ title: 'Known issues:', items: context.knownIssues });
  sections.push({
    title: 'Accepted decisions:',
    items: [...memory.decisions].reverse().flatMap((stored) => {
      const adr = viewAdr(stored);
      const title = adr.title ?? adr.decision;
      return title && adr.status === 'accepted' ? [`${adr.id ?? 'ADR'}: ${title}`] : [];
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
