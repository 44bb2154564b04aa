import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import { isRecord } from '../json.js';
import { comparableText } from '../text.js';
import { allocateSessionId } from './merge.js';
import { isAutomaticSummary } from './summary.js';
import { documentValue, knownIssueText, listDocument, type ListDocument, type ListKey } from './shape.js';
import type { MemoryFileKind } from './files.js';

/**
 * The three-way merge of one memory file as two machines changed it since their common version (git's merge
 * driver): by identity, never by line. Pure: the three parsed documents in, the merged document and what the merge
 * had to decide out. The rules, field by field:
 * - a value changed on one side only takes that side's change (a removal too);
 * - lists of texts or records (files, tags, follow-ups, known issues, branches...) merge as sets: what either side
 *   added is in, what either side removed from the common version is out;
 * - a text both sides changed differently: a model-written summary beats an automatic one; otherwise the later
 *   write wins (sessions: the longer duration, a later capture of the same session; context: the later
 *   `focus_updated`; then a fixed order of the contents, so both machines agree) and the other text is kept after it,
 *   marked `[also written on another machine: …]`, where every reader (show, recall, the brief) finds it;
 * - two different sessions that got the same id on two machines both stay: ours (this machine's, the one merging)
 *   moves on by a second, as allocation moves on a later writer; sync moves it, with its references in the other
 *   files and this machine's bookkeeping, before it merges (renameSession), so the driver only meets this after a
 *   plain `git pull`;
 * - two different ADRs that got the same number: the one that sorts second (by date, then by a hash of its
 *   content: the same on both machines whichever merges first) takes the next number free on both sides, and the
 *   references of its side (`superseded_by`) follow.
 */

export interface MergeResult {
  value: unknown;
  /** One line per decision a person may want to know about (an id moved on, a text kept from the other side). */
  notes: string[];
  /** Ids given out anew: the references in the other files of the same side follow (sync applies them). */
  renames: IdRename[];
}

export interface IdRename {
  kind: 'session' | 'adr';
  from: string;
  to: string;
  /** The side whose item moved: its references, and this machine's bookkeeping when `ours`, follow. */
  side: Side;
}

export type Side = 'ours' | 'theirs';

/** Which memory file a path is by its name (sessions.json, its yearly archives sessions-YYYY.json, ...), if any. */
export function memoryFileKindOf(path: string): MemoryFileKind | undefined {
  const name = basename(path);
  if (name === 'sessions.json' || /^sessions-\d{4}\.json$/.test(name)) return 'sessions';
  if (name === 'decisions.json') return 'decisions';
  if (name === 'context.json') return 'context';
  return undefined;
}

/** Merges one memory file; `base` is `undefined` when the file is new on both sides. */
export function mergeMemoryFile(kind: MemoryFileKind, base: unknown, ours: unknown, theirs: unknown): MergeResult {
  if (kind === 'context') return mergeContextFile(base, ours, theirs);
  return mergeListFile(kind, base, ours, theirs);
}

const ALSO_WRITTEN = 'also written on another machine:';

// ---------------------------------------------------------------------------------------------------------------
// sessions.json (and its archives), decisions.json

function mergeListFile(listKey: ListKey, base: unknown, ours: unknown, theirs: unknown): MergeResult {
  const docs = { base: listDocument(base, listKey), ours: listDocument(ours, listKey), theirs: listDocument(theirs, listKey) };
  const notes: string[] = [];
  const renames = resolveIdClashes(listKey, docs.base.items, docs.ours.items, docs.theirs.items);
  const sides = { ours: docs.ours.items, theirs: docs.theirs.items };
  for (const rename of renames) {
    sides[rename.side] = renameInItems(sides[rename.side], listKey, rename);
    notes.push(`${rename.kind === 'session' ? 'session' : 'ADR'} ${rename.from} of ${rename.side === 'ours' ? 'this machine' : 'the other machine'} is now ${rename.to}: the other machine gave the same id to another ${rename.kind === 'session' ? 'session' : 'decision'}`);
  }
  const preferLater = listKey === 'sessions' ? laterSession : laterByContent;
  const items = mergeById(docs.base.items, sides.ours, sides.theirs, (b, o, t) => mergeRecord(b, o, t, (key, bv, ov, tv) => {
    const later = preferLater(o, t);
    // An automatic summary is only a stand-in: the model's words replace it, and a later one replaces it.
    if (key === 'summary' && typeof ov === 'string' && typeof tv === 'string' && (isAutomaticSummary(ov) || isAutomaticSummary(tv))) {
      if (isAutomaticSummary(ov) !== isAutomaticSummary(tv)) return isAutomaticSummary(ov) ? tv : ov;
      return later === 'ours' ? ov : tv;
    }
    if (listKey === 'sessions' && key === 'duration_estimate') return later === 'ours' ? ov : tv;
    return mergeConflictingValues(bv, ov, tv, later, () => notes.push(`${String(o.id)}.${key}: kept the other machine's text too`));
  }));
  // The keys beside the list ($schema, other tools' fields); the list itself is merged above.
  const beside = (document: ListDocument) => Object.fromEntries(Object.entries(document.doc).filter(([key]) => key !== listKey));
  const doc = mergeRecord(beside(docs.base), beside(docs.ours), beside(docs.theirs), (_key, bv, ov, tv) => mergeConflictingValues(bv, ov, tv, laterByContent(ov, tv), () => undefined));
  const project = typeof doc.project === 'string' ? doc.project : '';
  const form = docs.ours.form === 'array' && (theirs === undefined || docs.theirs.form === 'array') ? 'array' : 'object';
  return { value: documentValue({ form, doc, items }, listKey, project), notes, renames };
}

/**
 * Ids both sides added for different items: ours' session moves on by a second (as allocation does); of two ADRs, the
 * one that sorts second (date, then content hash) takes the next number free on both sides.
 */
function resolveIdClashes(listKey: ListKey, base: unknown[], ours: unknown[], theirs: unknown[]): IdRename[] {
  const baseIds = new Set(base.flatMap(idOf));
  const theirsById = new Map(theirs.filter(isRecord).map((item) => [String(item.id), item]));
  const taken = new Set([...baseIds, ...ours.flatMap(idOf), ...theirs.flatMap(idOf)]);
  let nextAdr = 1 + Math.max(0, ...[...taken].map(adrNumber));
  const clashes = ours
    .filter(isRecord)
    .filter((item) => typeof item.id === 'string' && !baseIds.has(item.id) && theirsById.has(item.id) && contentKey(item) !== contentKey(theirsById.get(item.id)))
    .map((item) => String(item.id))
    .sort();
  return clashes.map((id): IdRename => {
    if (listKey === 'sessions') {
      // A session of this machine moves (as allocation moves a later writer on): its bookkeeping names the new id.
      const to = allocateSessionId(sessionIdTime(id), taken);
      taken.add(to);
      return { kind: 'session', from: id, to, side: 'ours' };
    }
    const [mine, yours] = [ours.find((item) => isRecord(item) && item.id === id) as Record<string, unknown>, theirsById.get(id)!];
    const order = compareText(String(mine.date), String(yours.date)) || compareText(contentHash(mine), contentHash(yours));
    return { kind: 'adr', from: id, to: `ADR-${String(nextAdr++).padStart(3, '0')}`, side: order > 0 ? 'ours' : 'theirs' };
  });
}

/** A side's items with one id renamed, and its references inside the same file (an ADR's `superseded_by`). */
function renameInItems(items: unknown[], listKey: ListKey, rename: IdRename): unknown[] {
  return items.map((item) => {
    if (!isRecord(item)) return item;
    let renamed = item.id === rename.from ? { ...item, id: rename.to } : item;
    if (listKey === 'decisions' && renamed.superseded_by === rename.from) renamed = { ...renamed, superseded_by: rename.to };
    return renamed;
  });
}

/**
 * The sessions of ours (this machine) to move on before a merge: ids both sides added since `base` for different
 * sessions, each with the id it moves to. Sync renames them (renameSession) in every file and in this machine's
 * bookkeeping, so the merge meets no clash.
 */
export function sessionMoves(base: unknown, ours: unknown, theirs: unknown): IdRename[] {
  return resolveIdClashes('sessions', ...([base, ours, theirs].map((value) => listDocument(value, 'sessions').items) as [unknown[], unknown[], unknown[]]));
}

/**
 * A session's id renamed in one memory file: its entry (sessions), an ADR's `related_sessions`, context's
 * `done_follow_ups[].session` and `resolved_issues[].resolved_in`. Pure.
 */
export function renameSession(kind: MemoryFileKind, value: unknown, from: string, to: string): unknown {
  if (kind === 'sessions') {
    const document = listDocument(value, 'sessions');
    const items = document.items.map((entry) => (isRecord(entry) && entry.id === from ? { ...entry, id: to } : entry));
    return document.form === 'array' ? items : { ...document.doc, sessions: items };
  }
  return renameSessionReferences(kind, value, from, to);
}

function renameSessionReferences(kind: MemoryFileKind, value: unknown, from: string, to: string): unknown {
  const swap = (id: unknown) => (id === from ? to : id);
  if (kind === 'decisions') {
    const document = listDocument(value, 'decisions');
    const items = document.items.map((adr) => (isRecord(adr) && Array.isArray(adr.related_sessions) ? { ...adr, related_sessions: adr.related_sessions.map(swap) } : adr));
    return document.form === 'array' ? items : { ...document.doc, decisions: items };
  }
  if (kind === 'context' && isRecord(value)) {
    const context = { ...value };
    if (Array.isArray(context.done_follow_ups)) context.done_follow_ups = context.done_follow_ups.map((item) => (isRecord(item) ? { ...item, session: swap(item.session) } : item));
    if (Array.isArray(context.resolved_issues)) context.resolved_issues = context.resolved_issues.map((item) => (isRecord(item) ? { ...item, resolved_in: swap(item.resolved_in) } : item));
    return context;
  }
  return value;
}

// ---------------------------------------------------------------------------------------------------------------
// context.json

function mergeContextFile(base: unknown, ours: unknown, theirs: unknown): MergeResult {
  const notes: string[] = [];
  const [b, o, t] = [base, ours, theirs].map((value) => (isRecord(value) ? value : {})) as [Record<string, unknown>, Record<string, unknown>, Record<string, unknown>];
  const later = compareText(String(o.focus_updated ?? ''), String(t.focus_updated ?? '')) || compareText(contentKey(o), contentKey(t));
  const value = mergeRecord(b, o, t, (key, bv, ov, tv) => {
    if (key === 'focus_updated' || key === 'created') return compareText(String(ov), String(tv)) * (key === 'created' ? -1 : 1) >= 0 ? ov : tv;
    return mergeConflictingValues(bv, ov, tv, later >= 0 ? 'ours' : 'theirs', () => notes.push(`context.${key}: kept the other machine's text too`), identityOf(key));
  });
  return { value, notes, renames: [] };
}

/** How two items of a context list are the same item: a known issue by its text, a done follow-up by text and day. */
function identityOf(key: string): (item: unknown) => string {
  if (key === 'known_issues' || key === 'resolved_issues') return (item) => comparableText(knownIssueText(item));
  if (key === 'done_follow_ups') return (item) => (isRecord(item) ? `${comparableText(String(item.follow_up))}\u0000${String(item.done)}` : contentKey(item));
  return contentKey;
}

// ---------------------------------------------------------------------------------------------------------------
// The three-way machinery

type ConflictRule = (key: string, base: unknown, ours: unknown, theirs: unknown) => unknown;

/** Key by key: a change on one side wins; a change on both goes to `onBothChanged`. Keys in ours' order, then theirs'. */
function mergeRecord(base: Record<string, unknown> | undefined, ours: Record<string, unknown>, theirs: Record<string, unknown>, onBothChanged: ConflictRule): Record<string, unknown> {
  const merged: Record<string, unknown> = {};
  for (const key of new Set([...Object.keys(ours), ...Object.keys(theirs)])) {
    const [bv, ov, tv] = [base?.[key], ours[key], theirs[key]];
    const value = same(ov, tv) || same(tv, bv) ? ov : same(ov, bv) ? tv : onBothChanged(key, bv, ov, tv);
    if (value !== undefined) merged[key] = value;
  }
  return merged;
}

/** Two different changes to one value: lists as sets, texts by `later` with the other kept, anything else `later`'s. */
function mergeConflictingValues(
  base: unknown,
  ours: unknown,
  theirs: unknown,
  later: Side,
  keptBoth: () => void,
  identity: (item: unknown) => string = contentKey,
): unknown {
  if (Array.isArray(ours) && Array.isArray(theirs)) return mergeSets(Array.isArray(base) ? base : [], ours, theirs, identity);
  const [winner, other] = later === 'ours' ? [ours, theirs] : [theirs, ours];
  if (typeof winner !== 'string' || typeof other !== 'string' || other.trim() === '' || winner.includes(other)) return winner ?? other;
  keptBoth();
  return `${winner} [${ALSO_WRITTEN} ${other}]`;
}

/** What either side added, less what either side removed from `base`; ours' order, then theirs' additions. */
function mergeSets(base: unknown[], ours: unknown[], theirs: unknown[], identity: (item: unknown) => string): unknown[] {
  const keys = (items: unknown[]) => new Set(items.map(identity));
  const [inOurs, inTheirs] = [keys(ours), keys(theirs)];
  const removed = new Set([...keys(base)].filter((key) => !inOurs.has(key) || !inTheirs.has(key)));
  const merged = new Map<string, unknown>();
  for (const item of [...ours, ...theirs]) {
    const key = identity(item);
    if (!removed.has(key) && !merged.has(key)) merged.set(key, item);
  }
  return [...merged.values()];
}

/**
 * The union of three lists of records by `id`: an item one side removed and the other left as it was goes; one
 * changed on a side is kept; one changed on both merges through `mergeItems`. Ours' order, then theirs' new items
 * (a list is read newest last). Items without an id (hand edits) are told apart by their whole content.
 */
function mergeById(
  base: unknown[],
  ours: unknown[],
  theirs: unknown[],
  mergeItems: (base: Record<string, unknown> | undefined, ours: Record<string, unknown>, theirs: Record<string, unknown>) => unknown,
): unknown[] {
  const byKey = (items: unknown[]) => new Map(items.map((item) => [itemKey(item), item]));
  const [b, o, t] = [byKey(base), byKey(ours), byKey(theirs)];
  const order = [...o.keys(), ...[...t.keys()].filter((key) => !o.has(key))];
  return order.flatMap((key) => {
    const [bv, ov, tv] = [b.get(key), o.get(key), t.get(key)];
    if (ov !== undefined && tv !== undefined) {
      if (same(ov, tv) || same(tv, bv)) return [ov];
      if (same(ov, bv)) return [tv];
      return isRecord(ov) && isRecord(tv) ? [mergeItems(isRecord(bv) ? bv : undefined, ov, tv)] : [ov];
    }
    const only = ov ?? tv;
    // Removed on one side: gone, unless the other side changed it since (then nothing of that change is lost).
    return bv !== undefined && same(only, bv) ? [] : [only];
  });
}

/** Of two versions of one session, the later write: a later capture of a session has the longer duration. */
function laterSession(ours: Record<string, unknown>, theirs: Record<string, unknown>): Side {
  const longer = minutesOf(ours.duration_estimate) - minutesOf(theirs.duration_estimate);
  return longer > 0 ? 'ours' : longer < 0 ? 'theirs' : laterByContent(ours, theirs);
}

/** No time tells two versions apart: a fixed order of their contents, the same on every machine. */
function laterByContent(ours: unknown, theirs: unknown): Side {
  return compareText(contentKey(ours), contentKey(theirs)) >= 0 ? 'ours' : 'theirs';
}

/** `~1h 5min` as minutes; 0 when it is no duration. */
function minutesOf(duration: unknown): number {
  const match = /^~(?:(\d+)h)?\s*(?:(\d+)min)?$/.exec(String(duration));
  return match ? Number(match[1] ?? 0) * 60 + Number(match[2] ?? 0) : 0;
}

/** The start a session id stands for (local time, as allocateSessionId writes it). */
function sessionIdTime(id: string): Date {
  const match = /^session-(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})(\d{2})$/.exec(id);
  if (!match) return new Date(0);
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number) as [number, number, number, number, number, number];
  return new Date(year, month - 1, day, hour, minute, second);
}

function idOf(item: unknown): string[] {
  return isRecord(item) && typeof item.id === 'string' ? [item.id] : [];
}

function itemKey(item: unknown): string {
  return isRecord(item) && typeof item.id === 'string' ? `id:${item.id}` : `content:${contentKey(item)}`;
}

function adrNumber(id: string): number {
  const match = /^ADR-(\d+)$/.exec(id);
  return match ? Number(match[1]) : 0;
}

/** Equal content, key order aside. Most items are the same on both sides, written alike: plain JSON says so at once. */
function same(a: unknown, b: unknown): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b) || contentKey(a) === contentKey(b);
}

/** A value's content as one string, keys sorted: equal for equal content whatever the key order. */
function contentKey(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    isRecord(inner) ? Object.fromEntries(Object.keys(inner).sort().map((key) => [key, inner[key]])) : inner,
  ) ?? 'undefined';
}

/** A hash of a value's content, for orders that must not depend on which machine merges. */
function contentHash(value: unknown): string {
  return createHash('sha256').update(contentKey(value)).digest('hex').slice(0, 16);
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
