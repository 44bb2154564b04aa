import type { AdrView } from '../memory/shape.js';
import { adrHeading, describeJournal, type Journal, type JournalFollowUp, type JournalSession } from './journal.js';

/**
 * The journal as one self-contained HTML page: inline CSS, no script, nothing fetched (the Content-Security-Policy
 * forbids any fetch or script, should anything slip in), readable on screen and on paper. Memory text can come
 * from files or web pages a session read: every piece of it goes through `html`, which escapes it.
 */
export function renderJournalHtml(journal: Journal): string {
  const title = `Journal of ${journal.project}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="log-session">
<title>${html(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>${html(title)}</h1>
<p class="meta">${html(describeJournal(journal))}</p>
</header>
<section class="overview">
<div><h2>Current focus</h2>
${journal.focus ? `<p>${html(journal.focus)}${journal.focusUpdated ? ` <span class="date">recorded ${html(journal.focusUpdated)}</span>` : ''}</p>` : '<p class="none">Not recorded.</p>'}</div>
<div><h2>Open follow-ups</h2>
${list(journal.openFollowUps.map((item) => `${html(item.text)}${item.since ? ` <span class="date">open since ${html(item.since)}</span>` : ''}`), 'None.')}</div>
<div><h2>Known issues</h2>
${list(journal.knownIssues.map(html), 'None.')}</div>
</section>
<section>
<h2>Sessions, newest first</h2>
${journal.sessions.length ? `<ol class="timeline">\n${journal.sessions.map(sessionItem).join('\n')}\n</ol>` : '<p class="none">No sessions recorded yet.</p>'}
</section>
<section>
<h2>Decision records, newest first</h2>
${journal.adrs.length ? journal.adrs.map(adrArticle).join('\n') : '<p class="none">No decision records yet.</p>'}
</section>
</body>
</html>
`;
}

function sessionItem(session: JournalSession): string {
  const details: [label: string, body: string][] = [
    ['Files', session.files.length ? list(session.files.map((file) => `<code>${html(file)}</code>`), '') : ''],
    ['Decisions', session.decisions.length ? list(session.decisions.map(html), '') : ''],
    ['Follow-ups', session.followUps.length ? `<ul>${session.followUps.map(followUpItem).join('')}</ul>` : ''],
    ['Next session', session.nextHint ? `<p>${html(session.nextHint)}</p>` : ''],
    ['Decision records', session.adrs.length ? list(session.adrs.map((adr) => `${html(adrHeading(adr))}${statusMark(adr)}`), '') : ''],
  ];
  return `<li class="session"><article>
<h3>${html(session.date ?? 'Undated')}${session.duration ? ` <span class="duration">${html(session.duration)}</span>` : ''}</h3>
${session.id ? `<p class="id"><code>${html(session.id)}</code></p>` : ''}
${session.summary ? `<p class="summary">${html(session.summary)}</p>` : '<p class="summary none">No summary.</p>'}
${definitions(details)}
</article></li>`;
}

function followUpItem({ text, done }: JournalFollowUp): string {
  if (!done) return `<li>${html(text)}</li>`;
  return `<li class="done"><s>${html(text)}</s> <span class="mark">done ${html([done.date, done.session].filter(Boolean).join(', '))}</span></li>`;
}

function adrArticle(adr: AdrView): string {
  const details: [label: string, body: string][] = [
    ['Decision', adr.title && adr.decision ? `<p>${html(adr.decision)}</p>` : ''],
    ['Context', adr.context ? `<p>${html(adr.context)}</p>` : ''],
    ['Why', adr.rationale ? `<p>${html(adr.rationale)}</p>` : ''],
    ['Alternatives considered', adr.alternatives.length ? list(adr.alternatives.map(html), '') : ''],
    ['Consequences', adr.consequences.length ? list(adr.consequences.map(html), '') : ''],
    ['Tags', adr.tags.length ? `<p>${adr.tags.map((tag) => `<code>${html(tag)}</code>`).join(' ')}</p>` : ''],
  ];
  const superseded = adr.status !== 'accepted';
  return `<article class="adr${superseded ? ' inactive' : ''}">
<h3>${html(adrHeading(adr))}${statusMark(adr, true)}</h3>
<p class="date">${adr.date ? html(adr.date) : 'Undated'}</p>
${definitions(details)}
</article>`;
}

/** The ADR's status as a badge; an accepted one has none, except where `always`. */
function statusMark(adr: AdrView, always = false): string {
  if (adr.status === 'accepted' && !always) return '';
  const by = adr.supersededBy ? ` by ${html(adr.supersededBy)}` : '';
  return ` <span class="status status-${adr.status === 'accepted' ? 'accepted' : 'inactive'}">${html(adr.status)}${by}</span>`;
}

/** A definition list of the details that have a body. */
function definitions(details: [label: string, body: string][]): string {
  const shown = details.filter(([, body]) => body);
  return shown.length ? `<dl>${shown.map(([label, body]) => `<dt>${label}</dt><dd>${body}</dd>`).join('')}</dl>` : '';
}

/** A list of already escaped items, or `empty` (in a paragraph) for none. */
function list(items: string[], empty: string): string {
  if (items.length === 0) return empty ? `<p class="none">${empty}</p>` : '';
  return `<ul>${items.map((item) => `<li>${item}</li>`).join('')}</ul>`;
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text as HTML text or attribute value: nothing in it can open a tag, an entity or end an attribute. */
export function html(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ESCAPES[char]!);
}

/** System fonts only (nothing to fetch); a timeline down the left; on paper, black on white and no split entries. */
const STYLE = `
:root { --ink: #1f2328; --muted: #59636e; --line: #d1d9e0; --accent: #0969da; --soft: #f6f8fa; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 58rem; padding: 2rem 1.5rem 4rem; color: var(--ink); background: #fff;
  font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans", sans-serif; }
h1 { font-size: 1.9rem; margin: 0 0 .25rem; }
h2 { font-size: 1.3rem; margin: 2rem 0 .75rem; padding-bottom: .3rem; border-bottom: 1px solid var(--line); }
h3 { font-size: 1.05rem; margin: 0 0 .25rem; }
p { margin: .25rem 0; }
ul { margin: .25rem 0; padding-left: 1.25rem; }
code { font: .85em/1.4 ui-monospace, "SFMono-Regular", "DejaVu Sans Mono", Menlo, Consolas, monospace;
  background: var(--soft); padding: .05em .3em; border-radius: 4px; overflow-wrap: anywhere; }
.meta, .date, .id, .duration, .none { color: var(--muted); }
.date, .duration { font-size: .9em; font-weight: normal; }
.overview { display: grid; grid-template-columns: repeat(auto-fit, minmax(16rem, 1fr)); gap: 0 1.5rem; }
.timeline { list-style: none; margin: 0; padding: 0 0 0 1.25rem; border-left: 3px solid var(--line); }
.session { position: relative; margin: 0 0 1.5rem; }
.session::before { content: ""; position: absolute; left: -1.25rem; top: .45rem; width: .8rem; height: .8rem;
  margin-left: -.55rem; border-radius: 50%; background: var(--accent); border: 2px solid #fff; }
.summary { font-size: 1.05rem; }
dl { display: grid; grid-template-columns: 10rem 1fr; gap: .2rem 1rem; margin: .5rem 0 0; }
dt { color: var(--muted); font-size: .9em; }
dd { margin: 0; min-width: 0; }
dd ul { padding-left: 1.1rem; list-style: disc; }
.done s { color: var(--muted); }
.mark { font-size: .85em; color: #1a7f37; }
.adr { border: 1px solid var(--line); border-radius: 6px; padding: .75rem 1rem; margin: 0 0 1rem; }
.adr.inactive { background: var(--soft); }
.adr.inactive h3 { color: var(--muted); }
.status { display: inline-block; font-size: .75rem; font-weight: 600; padding: .05rem .5rem; border-radius: 1rem; vertical-align: middle; }
.status-accepted { background: #dafbe1; color: #1a7f37; }
.status-inactive { background: #fff1e5; color: #bc4c00; }
@media (max-width: 40rem) { dl { grid-template-columns: 1fr; } dd { margin-bottom: .3rem; } }
@media print {
  @page { margin: 1.5cm; }
  body { max-width: none; padding: 0; font-size: 10.5pt; }
  :root { --muted: #444; --line: #999; --soft: #fff; }
  h2 { break-after: avoid; }
  .session, .adr { break-inside: avoid; }
  .session::before { background: #000; }
  .status { border: 1px solid #000; background: none; color: #000; }
}
`;
