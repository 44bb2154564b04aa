import MiniSearch, { type AsPlainObject } from 'minisearch';
import type { ProjectMemory } from '../memory/read.js';
import { describeFollowUp, viewAdr, viewContext, viewSession } from '../memory/shape.js';

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

/** A session or an ADR as recall indexes it: one line of text per item of each field. */
export interface RecallDocument {
  /** Unique in an index: `live:`, `archived:` or `adr:` and the record's id (or its place). */
  key: string;
  kind: RecallHit['kind'];
  id: string;
  date: string | null;
  /** Position in time, higher is newer: archived sessions, then live ones, in file order; ADRs in file order. */
  order: number;
  fields: Partial<Record<FieldName, string[]>>;
}

type FieldName = 'decision' | 'summary' | 'tags' | 'context' | 'follow_up' | 'files' | 'title' | 'rationale' | 'consequences';

/** How much a match in each field counts: an ADR's title and decisions over summaries over follow-ups over files. */
const FIELD_BOOST: Record<FieldName, number> = {
  title: 4,
  decision: 3,
  summary: 2,
  tags: 2,
  context: 1.5,
  follow_up: 1.5,
  rationale: 1.5,
  files: 1,
  consequences: 1,
};
/** The indexed fields, in the order of their ids in the index. */
export const FIELDS = Object.keys(FIELD_BOOST) as FieldName[];

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

/** minisearch's own defaults, given to it explicitly so that the archives' scorer (recall-postings.ts) uses the same. */
export const BM25 = { k: 1.2, b: 0.7, d: 0.5 };
export const MATCH_WEIGHTS = { fuzzy: 0.45, prefix: 0.375 };
export const MAX_FUZZY = 6;

/** The index's options: the same when it is built, cached and loaded. Words are split at anything not a letter or digit, so a path's parts are words. */
export const INDEX_OPTIONS = {
  idField: 'key',
  fields: FIELDS,
  /** Kept in the index so hits are ranked before any document is read. */
  storeFields: ['kind', 'date', 'order'],
  extractField: (document: RecallDocument, field: string): unknown =>
    field in FIELD_BOOST ? (document.fields[field as FieldName] ?? []).join('\n') : document[field as keyof RecallDocument],
  tokenize: (text: string) => words(text),
  processTerm: (term: string) => (STOP_WORDS.has(term) ? null : stem(term)),
};

/**
 * The shard of the cached index a term is kept in: its first three letters (the whole of a shorter one). A prefix
 * search (three letters or more) and a typo past the third letter stay within it, so a query reads only its
 * terms' shards.
 */
export function termShard(term: string): string {
  return term.slice(0, 3);
}

/** The documents of a project's sessions (`archived` or live) and ADRs, for the index. */
export function sessionDocuments(memory: Pick<ProjectMemory, 'sessions' | 'context'>, where: 'archived' | 'live', firstOrder = 0): RecallDocument[] {
  const { done } = viewContext(memory.context);
  const keys = new Set<string>();
  return memory.sessions.map(viewSession).map((session, index) => {
    const id = session.id ?? `#${firstOrder + index + 1}`;
    // Two entries with one id (a hand edit) are two records still.
    const key = keys.has(`${where}:${id}`) ? `${where}:${id}#${firstOrder + index + 1}` : `${where}:${id}`;
    keys.add(key);
    return {
      key,
      kind: 'session',
      id,
      date: session.date ?? null,
      order: firstOrder + index,
      fields: {
        decision: session.decisions,
        summary: listOf(session.summary),
        tags: session.tags,
        context: listOf(session.nextHint),
        follow_up: session.followUps.map((item) => describeFollowUp(item, session.date, done)),
        files: session.files,
      },
    };
  });
}

export function adrDocuments(memory: Pick<ProjectMemory, 'decisions'>): RecallDocument[] {
  return memory.decisions.map(viewAdr).map((adr, order) => {
    const id = adr.id ?? `ADR #${order + 1}`;
    return {
      key: `adr:${id}`,
      kind: 'adr',
      id,
      date: adr.date ?? null,
      order,
      fields: {
        title: listOf(adr.title && (adr.supersededBy ? `${adr.title} (superseded by ${adr.supersededBy})` : adr.title)),
        decision: listOf(adr.decision),
        tags: adr.tags,
        rationale: [...listOf(adr.rationale), ...listOf(adr.context)],
        consequences: [...adr.consequences, ...adr.alternatives],
      },
    };
  });
}

/**
 * The index's options; with `shards`, terms of other shards are not indexed (see termShard): a query's index holds
 * only what it can match. Field lengths count every word still, so BM25 scores are the same.
 */
function indexOptions(shards?: ReadonlySet<string>): typeof INDEX_OPTIONS {
  if (!shards) return INDEX_OPTIONS;
  return {
    ...INDEX_OPTIONS,
    // Stemming keeps a word's first three letters, so the shard is known before it.
    processTerm: (term) => (shards.has(termShard(term)) ? INDEX_OPTIONS.processTerm(term) : null),
  };
}

/** A new index of `documents` (only the terms of `shards`, when given). */
export function buildIndex(documents: RecallDocument[], shards?: ReadonlySet<string>): MiniSearch<RecallDocument> {
  const index = new MiniSearch<RecallDocument>(indexOptions(shards));
  index.addAll(documents);
  return index;
}

/** An index loaded from its cached form (see recall-cache.ts); documents added to it take only the terms of `shards`. */
export function loadIndex(plain: AsPlainObject, shards?: ReadonlySet<string>): MiniSearch<RecallDocument> {
  return MiniSearch.loadJS<RecallDocument>(plain, indexOptions(shards));
}

/** The query as recall reads it: the terms to search, and what the question asks for besides. */
export interface ParsedQuery {
  /** Words to search (stop words and question words left out), a path's parts included. */
  terms: string[];
  /** Paths named in the question: a file matching one counts more. */
  paths: string[];
  asksDecisions: boolean;
  asksRecent: boolean;
  asksFiles: boolean;
}

export function parseQuery(query: string): ParsedQuery {
  const all = comparable(query).match(/[\p{L}\p{N}][\p{L}\p{N}._/-]*/gu) ?? [];
  const paths = all.filter(isPathLike);
  return {
    terms: all
      .flatMap(words)
      .filter((word) => !STOP_WORDS.has(word) && !DECISION_WORDS.test(word) && !RECENT_WORDS.test(word) && !FILE_WORDS.test(word)),
    paths,
    asksDecisions: all.some((word) => DECISION_WORDS.test(word)),
    asksRecent: all.some((word) => RECENT_WORDS.test(word)),
    asksFiles: all.some((word) => FILE_WORDS.test(word)) || paths.length > 0,
  };
}

/** The shards an index must have loaded to answer `query`. */
export function shardsFor(query: ParsedQuery): string[] {
  return [...new Set(query.terms.flatMap((term) => (STOP_WORDS.has(term) ? [] : [termShard(stem(term))])))];
}

/** A query word matches longer words it starts from three letters on, and from five letters a word one typo away (two from ten). */
const searchesPrefix = (term: string): boolean => term.length >= 3;
const fuzziness = (term: string): number | false => (term.length >= 5 ? 0.2 : false);

/** A query word as minisearch searches it. */
export interface QueryTerm {
  term: string;
  prefix: boolean;
  fuzzy: number | false;
}

/** The words minisearch searches for `query`: its terms processed as the index's terms are (only those of `shards`). */
export function queryTerms(query: ParsedQuery, shards: ReadonlySet<string>): QueryTerm[] {
  const { tokenize, processTerm } = indexOptions(shards);
  return tokenize(query.terms.join(' ')).flatMap((word) => processTerm(word) || []).map((term) => ({ term, prefix: searchesPrefix(term), fuzzy: fuzziness(term) }));
}

/** A question's field boosts: decision fields twice when it asks about decisions, files three times when about files. */
function fieldBoosts(query: ParsedQuery): Record<string, number> {
  return Object.fromEntries(
    FIELDS.map((field) => [
      field,
      FIELD_BOOST[field] * (query.asksDecisions && /decision|title|rationale/.test(field) ? 2 : 1) * (query.asksFiles && field === 'files' ? 3 : 1),
    ]),
  );
}

/** A question is first about the ADRs, the project's record of decisions, when it asks about decisions. */
export function documentBoost(query: ParsedQuery, kind: RecallHit['kind']): number {
  return query.asksDecisions && kind === 'adr' ? 2 : 1;
}

/** A document that matched, with minisearch's score and `match` (each index term it holds, with the fields it is in). */
export interface Ranked {
  document: RecallDocument;
  score: number;
  match: Record<string, string[]>;
}

/** What a ranker is asked: the question, its field boosts, and the only documents it may return (with --file). */
export interface RankRequest {
  query: ParsedQuery;
  boost: Record<string, number>;
  allowed?: RecallDocument[];
}

/**
 * Ranks an index's documents against a question: the `count` best, in sortHits order, and whether a document matched
 * at all. minisearch over documents in memory (rankInMemory), or the archives' cached index (recall-cache.ts).
 */
export type Ranker = (request: RankRequest, count: number) => { best: Ranked[]; matched: (document: RecallDocument) => boolean };

/** What a search needs besides its ranker. */
export interface SearchScope {
  /** With --file: every session whose files match it (the filter is not on words, so it is not in the index). */
  fileMatches?: RecallDocument[];
  /** The newest sessions, newest first: the answer to "what did we do last session". */
  newest: () => RecallDocument[];
}

/** How many of the best-scored hits are read to weigh the paths a question names, beyond the hits asked for. */
const PATH_CANDIDATES = 5;

/**
 * Ranks sessions and ADRs against a question with BM25 (minisearch): words matched after dropping stop words, by
 * stem, prefix (three letters or more) and, from five letters, one typo (two from ten); a word found in a heavier field
 * counts more, decision fields and ADRs twice when the question is about decisions, files three times when it is about
 * files (and a path the question names once more, among the best hits); ties go to the newer record. Asking about
 * the last or previous session ranks the newest sessions first.
 */
export function searchIndex(rank: Ranker, request: RecallQuery, scope: SearchScope): RecallHit[] {
  const query = parseQuery(request.query);
  const limit = request.limit ?? DEFAULT_RECALL_LIMIT;
  const fileFilter = request.file ? normalizePath(request.file) : undefined;
  const boost = fieldBoosts(query);
  const { best, matched } = query.terms.length
    ? rank({ query, boost, ...(scope.fileMatches ? { allowed: scope.fileMatches } : {}) }, query.paths.length ? limit * PATH_CANDIDATES : limit)
    : { best: [], matched: () => false };
  const hits = new Map<string, RecallHit & { order: number }>();
  for (const { document, score, match } of best) {
    // A path the question names counts in files beyond its words: a session that changed it is worth a file match more.
    const file = query.paths.map(normalizePath).flatMap((path) => document.fields.files?.filter((item) => matchesPath(item, path)) ?? [])[0];
    hits.set(document.key, file ? { ...hitOf(document, { field: 'files', text: file }), score: score + boost.files! } : { ...hitOf(document, bestField(document, match, boost)), score });
  }
  // With --file, a session that changed a matching file is a hit even where no word matches, after those that do.
  for (const document of scope.fileMatches ?? []) {
    if (hits.has(document.key) || matched(document)) continue;
    const files = (document.fields.files ?? []).filter((file) => matchesPath(file, fileFilter!));
    hits.set(document.key, { ...hitOf(document, { field: 'files', text: files.join(', ') }), score: 0 });
  }
  if (query.asksRecent && query.terms.length === 0 && query.paths.length === 0) {
    for (const document of scope.newest().slice(0, limit)) if (!hits.has(document.key)) hits.set(document.key, { ...hitOf(document, firstText(document)), score: 1 });
  }
  return sortHits([...hits.values()], query.asksRecent)
    .slice(0, limit)
    .map(({ order: _order, score, ...hit }) => ({ ...hit, score: round(score) }));
}

/** minisearch over `documents` held in memory. */
export function rankInMemory(documents: RecallDocument[], shards: ReadonlySet<string>): Ranker {
  const index = buildIndex(documents, shards);
  const byKey = new Map(documents.map((document) => [document.key, document]));
  return ({ query, boost, allowed }, count) => {
    const allowedKeys = allowed && new Set(allowed.map((document) => document.key));
    const results = index.search(query.terms.join(' '), {
      boost,
      prefix: searchesPrefix,
      fuzzy: fuzziness,
      maxFuzzy: MAX_FUZZY,
      weights: MATCH_WEIGHTS,
      bm25: BM25,
      boostDocument: (_key, _term, stored) => documentBoost(query, stored?.kind as RecallHit['kind']),
      filter: (result) => !allowedKeys || allowedKeys.has(result.id as string),
    });
    const ranked = sortHits(
      results.map((result) => ({ kind: result.kind as RecallHit['kind'], date: result.date as string | null, order: result.order as number, score: result.score, result })),
      query.asksRecent,
    );
    const keys = new Set(results.map((result) => result.id as string));
    return {
      best: ranked.slice(0, count).map(({ result }) => ({ document: byKey.get(result.id as string)!, score: result.score, match: result.match })),
      matched: (document) => keys.has(document.key),
    };
  };
}

/** Best first; ties to the newer record. Asked about the last sessions: sessions first, newest first. */
function sortHits<T extends { kind: RecallHit['kind']; date: string | null; order: number; score: number }>(hits: T[], asksRecent: boolean): T[] {
  return hits.sort((a, b) => {
    if (asksRecent && a.kind !== b.kind) return a.kind === 'session' ? -1 : 1;
    if (asksRecent && a.kind === 'session') return b.order - a.order;
    return b.score - a.score || compareText(b.date ?? '', a.date ?? '') || b.order - a.order;
  });
}

/** Code-unit order: enough for ISO dates, and much cheaper than localeCompare over thousands of hits. */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Recall over memory held whole (the live window, or a test): indexes it and searches. */
export function recall(memory: ProjectMemory, request: RecallQuery): RecallHit[] {
  const sessions = sessionDocuments(memory, 'live');
  const documents = [...sessions, ...adrDocuments(memory)];
  return searchIndex(rankInMemory(documents, new Set(shardsFor(parseQuery(request.query)))), request, {
    ...(request.file ? { fileMatches: filesMatching(sessions, request.file) } : {}),
    newest: () => [...sessions].reverse(),
  });
}

/** The sessions among `documents` that changed a file whose path starts with or contains `file`. */
export function filesMatching(documents: RecallDocument[], file: string): RecallDocument[] {
  const wanted = normalizePath(file);
  return documents.filter((document) => document.kind === 'session' && (document.fields.files ?? []).some((item) => matchesPath(item, wanted)));
}

/** The field that matched best (its boost times the query words it holds), and its first text holding one. */
function bestField(document: RecallDocument, match: Record<string, string[]>, boost: Record<string, number>): { field: string; text: string } {
  const found = new Map<string, number>();
  for (const fields of Object.values(match)) for (const field of fields) found.set(field, (found.get(field) ?? 0) + 1);
  const [field] = [...found].sort((a, b) => b[1] * boost[b[0]]! - a[1] * boost[a[0]]!)[0] ?? ['summary'];
  const texts = document.fields[field as FieldName] ?? [];
  const matched = new Set(Object.keys(match));
  const text = texts.find((item) => words(item).some((word) => matched.has(stem(word)))) ?? texts[0] ?? '';
  return { field, text };
}

function hitOf(document: RecallDocument, best: { field: string; text: string }): RecallHit & { order: number } {
  return { kind: document.kind, id: document.id, date: document.date, score: 0, field: best.field, text: best.text, order: document.order };
}

function firstText(document: RecallDocument): { field: string; text: string } {
  const field = document.fields.summary?.length ? 'summary' : (FIELDS.find((name) => document.fields[name]?.length) ?? 'summary');
  return { field, text: document.fields[field]?.[0] ?? '' };
}

/** The words of a text, lower case in one Unicode form (a macOS keyboard's decomposed é meets the é stored). */
function words(text: string): string[] {
  return comparable(text).match(/[\p{L}\p{N}]+/gu) ?? [];
}

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
