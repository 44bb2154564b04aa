import { describe, expect, it } from 'vitest';
import type { ProjectMemory } from '../lib/memory/read.js';
import { buildJournal } from '../lib/read/journal.js';
import { html, renderJournalHtml } from '../lib/read/journal-html.js';
import { markdownCode, markdownText, renderJournalMarkdown } from '../lib/read/journal-md.js';

const now = new Date(2026, 0, 10, 12);

function session(n: number, fields: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: `session-2026010${n}-090000`,
    date: `2026-01-0${n}`,
    client: 'claude-code',
    duration_estimate: `${n * 10}m`,
    summary: `Worked on step ${n}.`,
    files_modified: [`src/step${n}.ts`],
    decisions_made: [],
    follow_up: [],
    tags: [],
    context_for_next_session: '',
    ...fields,
  };
}

function adr(n: number, fields: Record<string, unknown> = {}): Record<string, unknown> {
  return { id: `ADR-00${n}`, date: `2026-01-0${n}`, title: `Decision ${n}`, decision: `Do ${n}`, status: 'accepted', related_sessions: [`session-2026010${n}-090000`], ...fields };
}

function memory(parts: Partial<ProjectMemory> = {}): ProjectMemory {
  return { project: 'widget', sessions: [], decisions: [], context: {}, ...parts };
}

/** A project with what a journal shows: sessions, follow-ups (one done), a superseded ADR, focus and an issue. */
const busy = memory({
  sessions: [
    session(1, {
      decisions_made: [{ decision: 'Use JWT', rationale: 'stateless' }],
      follow_up: ['Write tests', 'Add docs'],
      context_for_next_session: 'Start from the parser',
    }),
    session(2, { follow_up: ['Add docs'], summary: 'Wrote the tests.' }),
  ],
  decisions: [adr(1, { status: 'superseded', superseded_by: 'ADR-002', rationale: 'simple' }), adr(2, { alternatives_considered: ['sessions in Redis'] })],
  context: {
    current_focus: 'Auth',
    focus_updated: '2026-01-02',
    known_issues: [{ issue: 'Slow on big files', severity: 'high', added: '2026-01-01' }],
    done_follow_ups: [{ follow_up: 'Write tests', done: '2026-01-02', session: 'session-20260102-090000' }],
  },
});

const render = {
  md: (project: ProjectMemory) => renderJournalMarkdown(buildJournal(project, now)),
  html: (project: ProjectMemory) => renderJournalHtml(buildJournal(project, now)),
};

describe('the journal, in both formats', () => {
  it.each([
    ['md', 'an empty project says so', memory(), ['# Journal of widget', '0 sessions, 0 decision records', 'Not recorded.', 'No sessions recorded yet.', 'No decision records yet.']],
    ['html', 'an empty project says so', memory(), ['<h1>Journal of widget</h1>', '0 sessions, 0 decision records', 'Not recorded.', 'No sessions recorded yet.', 'No decision records yet.']],
    ['md', 'the focus and known issues carry their dates', busy, ['Auth (recorded 2026-01-02)', '- \\[high\\] Slow on big files (added 2026-01-01)']],
    ['html', 'the focus and known issues carry their dates', busy, ['Auth <span class="date">recorded 2026-01-02</span>', '<li>[high] Slow on big files (added 2026-01-01)</li>']],
    ['md', 'open follow-ups are listed once, dated by their oldest open listing', busy, ['## Open follow-ups\n\n- [ ] Add docs (open since 2026-01-01)\n\n']],
    ['html', 'open follow-ups are listed once, dated by their oldest open listing', busy, ['<h2>Open follow-ups</h2>\n<ul><li>Add docs <span class="date">open since 2026-01-01</span></li></ul>']],
    ['md', 'a session shows its date, duration, id, summary, files, decisions, follow-ups and hint', busy, [
      '### 2026-01-01 · 10m\n\n`session-20260101-090000`\n\nWorked on step 1.\n\n- Files: `src/step1.ts`\n- Decisions:\n  - Use JWT (why: stateless)\n- Follow-ups:\n',
      '- Next session: Start from the parser',
    ]],
    ['html', 'a session shows its date, duration, id, summary, files, decisions, follow-ups and hint', busy, [
      '<h3>2026-01-01 <span class="duration">10m</span></h3>\n<p class="id"><code>session-20260101-090000</code></p>\n<p class="summary">Worked on step 1.</p>',
      '<dt>Files</dt><dd><ul><li><code>src/step1.ts</code></li></ul></dd><dt>Decisions</dt><dd><ul><li>Use JWT (why: stateless)</li></ul></dd>',
      '<dt>Next session</dt><dd><p>Start from the parser</p></dd>',
    ]],
    ['md', 'a done follow-up is marked with when and where, an open one is not', busy, ['  - [x] Write tests (done 2026-01-02, session-20260102-090000)\n  - [ ] Add docs']],
    ['html', 'a done follow-up is marked with when and where, an open one is not', busy, ['<li class="done"><s>Write tests</s> <span class="mark">done 2026-01-02, session-20260102-090000</span></li><li>Add docs</li>']],
    ['md', 'a superseded ADR names its successor, in its session and in the list', busy, ['- Decision records: ADR-001: Decision 1 (superseded by ADR-002)', '### ADR-001: Decision 1\n\n2026-01-01 · **superseded** by ADR-002\n\nDecision: Do 1\n\nWhy: simple']],
    ['html', 'a superseded ADR names its successor, in its session and in the list', busy, [
      '<li>ADR-001: Decision 1 <span class="status status-inactive">superseded by ADR-002</span></li>',
      '<article class="adr inactive">\n<h3>ADR-001: Decision 1 <span class="status status-inactive">superseded by ADR-002</span></h3>',
    ]],
    ['md', 'an accepted ADR shows its alternatives', busy, ['### ADR-002: Decision 2\n\n2026-01-02 · **accepted**\n\nDecision: Do 2\n\nAlternatives considered:\n\n- sessions in Redis']],
    ['html', 'an accepted ADR shows its alternatives', busy, ['<h3>ADR-002: Decision 2 <span class="status status-accepted">accepted</span></h3>', '<dt>Alternatives considered</dt><dd><ul><li>sessions in Redis</li></ul></dd>']],
  ] as const)('%s: %s', (format, _behaviour, project, expected) => {
    const text = render[format](project);
    for (const part of expected) expect(text).toContain(part);
  });

  it.each(['md', 'html'] as const)('%s: sessions and ADRs come newest first', (format) => {
    const text = render[format](busy);
    expect(text.indexOf('Wrote the tests.')).toBeLessThan(text.indexOf('Worked on step 1.'));
    expect(text.indexOf('ADR-002: Decision 2')).toBeLessThan(text.indexOf('ADR-001: Decision 1'));
  });

  it.each(['md', 'html'] as const)('%s: a secret that reached memory by hand is redacted', (format) => {
    const token = `ghp_${'a1B2'.repeat(9)}`;
    const text = render[format](memory({ sessions: [session(1, { summary: `Pushed with ${token}` })] }));
    expect(text).toMatch(/Pushed with \\?\[REDACTED\\?\]/); // markdown escapes the brackets
    expect(text).not.toContain(token);
  });
});

const hostileTexts = ['<script>alert(1)</script>', '</style><b>bold</b>', '<img src=x onerror=alert(2)>', '"quoted" & \'single\''];

/** Every text field of the memory holds `text`, so nothing a renderer shows is left out of the check. */
function hostileMemory(text: string): ProjectMemory {
  return memory({
    project: 'widget',
    sessions: [
      session(1, {
        id: text,
        date: text,
        duration_estimate: text,
        summary: text,
        files_modified: [text],
        decisions_made: [text, { decision: text, rationale: text }],
        follow_up: [text],
        context_for_next_session: text,
      }),
    ],
    decisions: [adr(1, { id: text, date: text, title: text, decision: text, context: text, rationale: text, status: 'superseded', superseded_by: text, alternatives_considered: [text], consequences: [text], tags: [text], related_sessions: [text] })],
    context: { current_focus: text, focus_updated: text, known_issues: [text, { issue: text }], done_follow_ups: [] },
  });
}

/** The tags the HTML journal is made of: any other tag in an output came from memory text. */
const OUR_TAGS = new Set(['!doctype', 'html', 'head', 'meta', 'title', 'style', 'body', 'header', 'h1', 'h2', 'h3', 'p', 'section', 'div', 'ul', 'ol', 'li', 'article', 'span', 'code', 'dl', 'dt', 'dd', 's']);

describe('memory text cannot change the page', () => {
  it.each(hostileTexts)('html: %s shows as text wherever it is', (text) => {
    const page = render.html(hostileMemory(text));
    const tags = [...page.matchAll(/<\/?([a-z!][a-z0-9]*)/gi)].map((match) => match[1]!.toLowerCase());
    expect(tags.filter((tag) => !OUR_TAGS.has(tag))).toEqual([]);
    expect(page.match(/<\/style>/g)).toHaveLength(1);
    expect(page).not.toContain(text);
    // The summary, the focus, a file: each escaped, none lost.
    expect(page).toContain(`<p class="summary">${html(text)}</p>`);
    expect(page).toContain(`<code>${html(text)}</code>`);
    expect(page.split(html(text)).length - 1).toBeGreaterThanOrEqual(15);
  });

  it('html: a page holds nothing that fetches or runs', () => {
    const page = render.html(busy);
    expect(page).not.toMatch(/<script|<link|<img|<iframe|src=|href=|url\(|@import|https?:/i);
    expect(page).toContain(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`);
  });

  it.each([
    ['# Heading', '\\# Heading'],
    ['## Injected', '\\#\\# Injected'],
    ['a | b | c', 'a \\| b \\| c'],
    ['<script>alert(1)</script>', '\\<script\\>alert(1)\\</script\\>'],
    ['[link](https://example.com)', '\\[link\\](https://example.com)'],
    ['*bold* _em_ `code` ~~gone~~', '\\*bold\\* \\_em\\_ \\`code\\` \\~\\~gone\\~\\~'],
    ['&amp; and \\', '\\&amp; and \\\\'],
    ['- not a list', '\\- not a list'],
    ['+ not a list', '\\+ not a list'],
    ['1. not numbered', '1\\. not numbered'],
    ['12) not numbered', '12\\) not numbered'],
    ['> not a quote', '\\> not a quote'],
    ['=== not a heading line', '\\=== not a heading line'],
    ['plain text stays plain: 3.5 - 2 = 1.5', 'plain text stays plain: 3.5 - 2 = 1.5'],
  ])('markdown text %j is written %j', (text, escaped) => {
    expect(markdownText(text)).toBe(escaped);
  });

  it.each([
    ['src/a.ts', '`src/a.ts`'],
    ['a`b', '``a`b``'],
    ['``x', '``` ``x ```'],
    ['<b>|x|</b>', '`<b>|x|</b>`'],
  ])('markdown code %j is written %j', (text, span) => {
    expect(markdownCode(text)).toBe(span);
  });

  it.each(['# Injected heading', '<script>alert(1)</script>', 'a | b\n|---|---|', '- [x] fake done'])('md: %j in every field opens no heading, list, tag or table', (text) => {
    const page = render.md(hostileMemory(text));
    const headings = page.split('\n').filter((line) => line.startsWith('#'));
    expect(headings.map((line) => line.replace(/ .*/, ''))).toEqual(['#', '##', '##', '##', '##', '###', '##', '###']);
    // Code spans (files, ids, tags) show their text literally; outside them every `<` and `|` is escaped.
    expect(page.replace(/(`+).*?\1/g, '')).not.toMatch(/(?<!\\)[<|]/);
    expect(page).not.toMatch(/^\s*- (?:- |\[x\] fake)/m);
  });
});
