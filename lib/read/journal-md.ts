import type { AdrView } from '../memory/shape.js';
import { adrHeading, describeJournal, type Journal, type JournalFollowUp, type JournalSession } from './journal.js';

/**
 * The journal as markdown. Memory text can come from files or web pages a session read, so none of it is trusted
 * to be markdown: it is escaped (`markdownText`) or put in code spans (`markdownCode`), and cannot open a heading,
 * a list, a link, an HTML tag or a table cell of its own.
 */
export function renderJournalMarkdown(journal: Journal): string {
  const blocks = [
    `# Journal of ${markdownText(journal.project)}`,
    markdownText(describeJournal(journal)),
    '## Current focus',
    journal.focus ? `${markdownText(journal.focus)}${journal.focusUpdated ? ` (recorded ${markdownText(journal.focusUpdated)})` : ''}` : 'Not recorded.',
    '## Open follow-ups',
    list(journal.openFollowUps.map((item) => `[ ] ${markdownText(item.text)}${item.since ? ` (open since ${markdownText(item.since)})` : ''}`)) || 'None.',
    '## Known issues',
    list(journal.knownIssues.map(markdownText)) || 'None.',
    '## Sessions, newest first',
    ...(journal.sessions.length ? journal.sessions.flatMap(sessionBlocks) : ['No sessions recorded yet.']),
    '## Decision records, newest first',
    ...(journal.adrs.length ? journal.adrs.flatMap(adrBlocks) : ['No decision records yet.']),
  ];
  return `${blocks.join('\n\n')}\n`;
}

function sessionBlocks(session: JournalSession): string[] {
  const heading = [session.date ?? 'Undated', session.duration].filter(Boolean).map((part) => markdownText(part ?? ''));
  const details = list([
    ...(session.files.length ? [`Files: ${session.files.map(markdownCode).join(', ')}`] : []),
    ...(session.decisions.length ? [`Decisions:\n${list(session.decisions.map(markdownText), 1)}`] : []),
    ...(session.followUps.length ? [`Follow-ups:\n${list(session.followUps.map(followUpLine), 1)}`] : []),
    ...(session.nextHint ? [`Next session: ${markdownText(session.nextHint)}`] : []),
    ...(session.adrs.length ? [`Decision records: ${session.adrs.map((adr) => `${markdownText(adrHeading(adr))}${adrStatus(adr)}`).join('; ')}`] : []),
  ]);
  return [
    `### ${heading.join(' · ')}`,
    ...(session.id ? [markdownCode(session.id)] : []),
    session.summary ? markdownText(session.summary) : '*No summary.*',
    ...(details ? [details] : []),
  ];
}

function followUpLine({ text, done }: JournalFollowUp): string {
  if (!done) return `[ ] ${markdownText(text)}`;
  return `[x] ${markdownText(text)} (done ${markdownText([done.date, done.session].filter(Boolean).join(', '))})`;
}

function adrBlocks(adr: AdrView): string[] {
  const fields: [label: string, text: string | undefined][] = [
    ['Decision', adr.title ? adr.decision : undefined],
    ['Context', adr.context],
    ['Why', adr.rationale],
  ];
  const lists: [label: string, items: string[]][] = [
    ['Alternatives considered', adr.alternatives],
    ['Consequences', adr.consequences],
  ];
  return [
    `### ${markdownText(adrHeading(adr))}`,
    [adr.date ? markdownText(adr.date) : 'Undated', `**${markdownText(adr.status)}**${adr.supersededBy ? ` by ${markdownText(adr.supersededBy)}` : ''}`].join(' · '),
    ...fields.flatMap(([label, text]) => (text ? [`${label}: ${markdownText(text)}`] : [])),
    ...lists.flatMap(([label, items]) => (items.length ? [`${label}:\n\n${list(items.map(markdownText))}`] : [])),
    ...(adr.tags.length ? [`Tags: ${adr.tags.map(markdownCode).join(', ')}`] : []),
  ];
}

/** ` (superseded by ADR-004)`, or nothing for an accepted ADR. */
function adrStatus(adr: AdrView): string {
  if (adr.status === 'accepted') return '';
  return ` (${markdownText(adr.status)}${adr.supersededBy ? ` by ${markdownText(adr.supersededBy)}` : ''})`;
}

/** A bullet list, nested `depth` levels; empty for no items. */
function list(items: string[], depth = 0): string {
  const indent = '  '.repeat(depth);
  return items.map((item) => `${indent}- ${item}`).join('\n');
}

/**
 * Text shown as written: the characters that start inline markup (emphasis, code, links, HTML, entities, table
 * cells, strikethrough, a heading's closing `#`) are backslash-escaped everywhere, and a list, heading, quote or
 * numbered-list marker at its start too.
 */
export function markdownText(text: string): string {
  return text
    .replace(/[\\`*_[\]<>&|~#]/g, '\\$&')
    .replace(/^[+=-]/, '\\$&')
    .replace(/^(\d+)([.)])/, '$1\\$2');
}

/** Text as a code span: its fence is longer than any run of backticks inside, so the span cannot end early. */
export function markdownCode(text: string): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  const pad = text.startsWith('`') || text.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${text}${pad}${fence}`;
}
