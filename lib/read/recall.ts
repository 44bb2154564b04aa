import type { ProjectMemory } from '../memory/read.js';
import { describeFollowUp, viewAdr, viewContext, viewSession } from '../memory/shape.js';
import { uniqueStrings } from '../text.js';

/** One search result. Stable: this is the `--json` shape of `log-session recall`. */
export interface RecallHit {
  kind: 'session' | 'adr';
  /** `session-YYYYMMDD-HHMMSS` or `ADR-001`. */
  id: string;
  date: string | null;
  score: number;
  /** The field that matched best: summary, decision, follow_up, context, files, tags, title, rationale. */
  field: string;
  text: string;
}

export interface RecallQuery {
  query: string;
  /** Only sessions that changed a file whose path starts with or contains this. */
  file?: string;
  limit?: number;
}

interface Field {
  field: string;
  weight: number;
  texts: string[];
}

interface Candidate {
  kind: RecallHit['kind'];
  id: string;
  date: string | null;
  /** Position in time, higher is newer: sessions and ADRs in file order. */
  order: number;
  fields: Field[];
}

const STOP_WORDS = new Set(
  ('a an and any are about as at be by can did do does done for from had has have how i in into is it its me my of on or ' +
    'our so that the their them then there these this those to us was we were what when where which who why will with ' +
    'you your session sessions work worked').split(' '),
);
/** Words that ask about decisions: they weight decision fields up instead of matching text. */
const DECISION_WORDS = /^(decide|decided|decides|deciding|decision|decisions|choose|chose|chosen|choice|agreed|adr)$/;
/** Words that ask about the newest sessions: those rank first. */
const RECENT_WORDS = /^(last|previous|latest|recent|recently|yesterday|prior)$/;
/** Words that ask which files changed: they weight the files field up. */
const FILE_WORDS = /^(touch|touched|touching|change|changed|changes|modify|modified|edit|edited|file|files)$/;

export const DEFAULT_RECALL_LIMIT = 10;

/**
 * Ranks a project's sessions and ADRs against a question, best first. Query words are matched after dropping
 * stop words, by stem or prefix; a word found in a heavier field counts more (ADR title and decisions over
 * summaries over follow-ups over files); ties go to the newer record. Asking about the last or previous
 * session ranks the newest sessions first.
 */
export function recall(memory: ProjectMemory, request: RecallQuery): RecallHit[] {
  const words = comparable(request.query).match(/[\p{L}\p{N}][\p{L}\p{N}._/-]*/gu) ?? [];
  const asksDecisions = words.some((word) => DECISION_WORDS.test(word));
  const asksRecent = words.some((word) => RECENT_WORDS.test(word));
  const asksFiles = words.some((word) => FILE_WORDS.test(word)) || words.some(isPathLike);
  const paths = words.filter(isPathLike);
  const terms = uniqueStrings(
    words
      .flatMap((word) => (isPathLike(word) ? word.split(/[./_-]+/) : [word]))
      .filter((word) => word && !STOP_WORDS.has(word) && !DECISION_WORDS.test(word) && !RECENT_WORDS.test(word) && !FILE_WORDS.test(word))
      .map(stem),
  );
  const fileFilter = request.file ? normalizePath(request.file) : undefined;

  const candidates = [...sessionCandidates(memory), ...(fileFilter ? [] : adrCandidates(memory))].filter(
    (candidate) => !fileFilter || filesOf(candidate).some((file) => matchesPath(file, fileFilter)),
  );
  const hits: (RecallHit & { order: number })[] = [];
  for (const candidate of candidates) {
    const scores: number[] = [];
    let best: { field: string; text: string; score: number } | undefined;
    for (const field of candidate.fields) {
      const weight = field.weight * (asksDecisions && /decision|title|rationale/.test(field.field) ? 2 : 1) *
        (asksFiles && field.field === 'files' ? 3 : 1);
      let fieldBest = 0;
      for (const text of field.texts) {
        const found = termsFound(text, terms) + (field.field === 'files' ? paths.filter((path) => matchesPath(text, normalizePath(path))).length * 2 : 0);
        if (found * weight <= fieldBest) continue;
        fieldBest = found * weight;
        if (!best || fieldBest > best.score) best = { field: field.field, text, score: fieldBest };
      }
      if (fieldBest > 0) scores.push(fieldBest);
    }
    // The best field decides; matches elsewhere in the record only add a little.
    scores.sort((a, b) => b - a);
    let score = scores.reduce((sum, value, index) => sum + (index === 0 ? value : value / 4), 0);
    if (fileFilter && !best) {
      const files = filesOf(candidate).filter((file) => matchesPath(file, fileFilter));
      best = { field: 'files', text: files.join(', '), score: 0 };
      score += 1;
    }
    if (!best && asksRecent && candidate.kind === 'session' && terms.length === 0 && paths.length === 0) {
      best = firstText(candidate);
      score += 1;
    }
    if (!best) continue;
    hits.push({ kind: candidate.kind, id: candidate.id, date: candidate.date, score: round(score), field: best.field, text: best.text, order: candidate.order });
  }
  hits.sort((a, b) => {
    if (asksRecent && a.kind !== b.kind) return a.kind === 'session' ? -1 : 1;
    if (asksRecent && a.kind === 'session') return b.order - a.order;
    return b.score - a.score || (b.date ?? '').localeCompare(a.date ?? '') || b.order - a.order;
  });
  return hits.slice(0, request.limit ?? DEFAULT_RECALL_LIMIT).map(({ order: _order, ...hit }) => hit);
}

function sessionCandidates(memory: ProjectMemory): Candidate[] {
  const { done } = viewContext(memory.context);
  return memory.sessions.map(viewSession).map((session, order) => ({
    kind: 'session',
    id: session.id ?? `#${order + 1}`,
    date: session.date ?? null,
    order,
    fields: [
      { field: 'decision', weight: 3, texts: session.decisions },
      { field: 'summary', weight: 2, texts: listOf(session.summary) },
      { field: 'tags', weight: 2, texts: session.tags },
      { field: 'context', weight: 1.5, texts: listOf(session.nextHint) },
      { field: 'follow_up', weight: 1.5, texts: session.followUps.map((item) => describeFollowUp(item, session.date, done)) },
      { field: 'files', weight: 1, texts: session.files },
    ],
  }));
}

function adrCandidates(memory: ProjectMemory): Candidate[] {
  return memory.decisions.map(viewAdr).map((adr, order) => ({
    kind: 'adr',
    id: adr.id ?? `ADR #${order + 1}`,
    date: adr.date ?? null,
    order,
    fields: [
      { field: 'title', weight: 4, texts: listOf(adr.title && (adr.supersededBy ? `${adr.title} (superseded by ${adr.supersededBy})` : adr.title)) },
      { field: 'decision', weight: 3, texts: listOf(adr.decision) },
      { field: 'tags', weight: 2, texts: adr.tags },
      { field: 'rationale', weight: 1.5, texts: [...listOf(adr.rationale), ...listOf(adr.context)] },
      { field: 'consequences', weight: 1, texts: [...adr.consequences, ...adr.alternatives] },
    ],
  }));
}

function filesOf(candidate: Candidate): string[] {
  return candidate.fields.find((field) => field.field === 'files')?.texts ?? [];
}

function firstText(candidate: Candidate): { field: string; text: string; score: number } {
  const field = candidate.fields.find((item) => item.field === 'summary' && item.texts.length) ??
    candidate.fields.find((item) => item.texts.length);
  return { field: field?.field ?? 'summary', text: field?.texts[0] ?? '', score: 0 };
}

/** How many of the query's stems occur in `text`, each as a word's stem or a prefix of it. */
function termsFound(text: string, terms: string[]): number {
  if (terms.length === 0) return 0;
  const stems = (comparable(text).match(/[\p{L}\p{N}]+/gu) ?? []).map(stem);
  return terms.filter((term) => stems.some((word) => word === term || (term.length >= 3 && word.startsWith(term)) || (word.length >= 4 && term.startsWith(word)))).length;
}

/** Lower case in one Unicode form: a macOS keyboard's decomposed é meets the é stored in memory. */
function comparable(text: string): string {
  return text.normalize('NFC').toLowerCase();
}

/** A light English stemmer: enough that auth/authentication, parser/parsing, test/tests/tested meet. */
export function stem(word: string): string {
  const lower = word.toLowerCase();
  for (const suffix of ['ations', 'ation', 'ings', 'ing', 'ers', 'er', 'ies', 'ied', 'es', 'ed', 's']) {
    if (lower.endsWith(suffix) && lower.length - suffix.length >= 3) {
      const base = lower.slice(0, -suffix.length);
      return suffix === 'ies' || suffix === 'ied' ? `${base}y` : base;
    }
  }
  return lower;
}

function isPathLike(word: string): boolean {
  return word.includes('/') || /\.[a-z0-9]{1,5}$/i.test(word);
}

function normalizePath(path: string): string {
  return comparable(path.trim().replace(/^\.\//, '').replace(/\/+$/, ''));
}

function matchesPath(file: string, wanted: string): boolean {
  const normal = normalizePath(file);
  return wanted !== '' && (normal.startsWith(wanted) || normal.includes(wanted));
}

function listOf(text: string | undefined): string[] {
  return text === undefined ? [] : [text];
}


function round(score: number): number {
  return Math.round(score * 100) / 100;
}
