import { closeSync, constants, fstatSync, readdirSync, readSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { AsPlainObject } from 'minisearch';
import SearchableMap from 'minisearch/SearchableMap';
import { orNothing } from '../disk.js';
import { parseJson } from '../json.js';
import { cacheName } from '../text.js';
import { archivesFingerprint, readArchivedSessions, type ProjectMemory } from '../memory/read.js';
import { describeFollowUp, viewContext } from '../memory/shape.js';
import { withLock } from '../memory/lock.js';
import { makeStoreFolder, openStoreFile, readBookkeeping, replaceStoreFile } from '../memory/store-file.js';
import type { Paths } from '../paths.js';
import {
  adrDocuments,
  buildIndex,
  documentBoost,
  FIELDS,
  filesMatching,
  loadIndex,
  queryTerms,
  recall,
  searchIndex,
  sessionDocuments,
  shardsFor,
  termShard,
  type Ranked,
  type Ranker,
  type RecallDocument,
  type RecallHit,
  type RecallQuery,
} from './recall.js';
import { matchedFields, matchTerms, scorePostings, type FieldPostings, type TermMatch } from './recall-postings.js';

/**
 * `recall` over a project's whole history without reading it whole each time. The archived sessions change once
 * in hundreds of sessions, so their index is built once and kept in the state folder (machine-local: never in
 * memory, which users sync through git), in a folder named by the archives' fingerprint; the live window's index
 * is kept inside it, named by the live window's content (it changes once a session, and is read by every query):
 *
 *   <state>/recall/<project>/<fingerprint>/                the archives' part
 *   <state>/recall/<project>/<fingerprint>/live-<hash>/    the live window's part, its documents numbered after them
 *
 * Each part holds:
 *   index.json      the index's totals (up to this part), its documents' dates, where each shard's terms and each
 *                   section of data.bin are, and data.bin's size; written last (a part without it, or with a
 *                   data.bin of another size, is built again)
 *   data.bin        terms: each shard's terms (their first three letters), JSON: [term, where its postings start,
 *                          then field id and count of each field it is in]
 *                   postings: each term's postings, field after field: the documents' numbers, then their term
 *                          frequencies
 *                   documents: by document, each field's length (field after field), its date's rank among the
 *                          part's dates, then where each document's text is (64-bit)
 *                   texts: the indexed documents, one JSON text after another
 *
 * The binary sections are 32-bit words in this machine's byte order (the folder is machine-local). A query reads the
 * terms of its words' shards, the postings of the terms they reach, the field lengths (what BM25 needs) and the
 * texts of the hits it shows; it indexes the ADRs (read fresh: they are few) after both parts, and scores all of
 * them as one collection as minisearch does (recall-postings.ts). A changed archive changes the fingerprint: the
 * next recall builds the new folder and removes the old. A typo in a word's first three letters is not matched
 * (its shard is not read).
 */
/** data.bin's sections, in order. */
const SECTIONS = ['terms', 'postings', 'documents', 'texts'] as const;
type Section = (typeof SECTIONS)[number];

type Segment = [offset: number, length: number];

interface Head {
  /** minisearch's totals after this part's documents (the archives', then the live window's). */
  totals: Omit<AsPlainObject, 'index' | 'documentIds' | 'fieldLength' | 'storedFields'>;
  shards: Record<string, Segment>;
  /** The part's dates (a missing one as ''), distinct, in code-unit order. */
  dates: string[];
  /** Where each section of data.bin is; a data.bin of another size is not this part's. */
  sections: Record<Section, Segment>;
  bytes: number;
  /** The live window's part: its sessions' ids (an archived copy of one is left out of the results). */
  ids?: string[];
}

/** A term of terms.json: where its postings start in postings.bin (in words), then field id and count, per field. */
type TermEntry = [term: string, start: number, ...fields: number[]];

/** A term of the query's index: where its postings are in each part, and its postings in the ADRs. */
interface TermSources {
  parts: (TermEntry | undefined)[];
  memory?: Record<string, Record<string, number>>;
}

/** A part's files are not its own whole (torn, or written by something else): the cache is built again. */
class DamagedCache extends Error {}

export async function recallProject(paths: Paths, memory: ProjectMemory, request: RecallQuery, warn: (message: string) => void): Promise<RecallHit[]> {
  const fingerprint = archivesFingerprint(paths, memory.project);
  if (fingerprint === undefined) return recall(memory, request);
  const projectFolder = join(paths.stateDir, 'recall', memory.project);
  const folder = join(projectFolder, fingerprint);
  const { done } = viewContext(memory.context);
  // Live documents say whether a follow-up is done: the window and what context.json says is done name the part.
  const liveFolder = join(folder, `live-${cacheName(JSON.stringify([memory.sessions, done]))}`);
  /** The answer from the cached parts; `undefined` when one is missing or damaged (and `mayBuild` is not given). */
  const search = (mayBuild: boolean) => {
    const archives = openPart(folder, 0);
    const live =
      archives &&
      (openPart(liveFolder, archives.count) ??
        (mayBuild ? (buildLivePart(archives, memory, folder, liveFolder), openPart(liveFolder, archives.count)) : undefined));
    try {
      return archives && live ? searchParts(archives, live, memory, request) : undefined;
    } catch (error) {
      if (error instanceof DamagedCache) return undefined;
      throw error;
    } finally {
      archives?.close();
      live?.close();
    }
  };
  const found = search(false);
  if (found) return found;
  // Parts are built under the project's recall lock: two recalls starting at once would remove each other's files.
  makeStoreFolder(join(paths.stateDir, 'recall'));
  return withLock(`${projectFolder}.lock`, { timeoutMs: BUILD_LOCK_TIMEOUT_MS }, async () => {
    // Another recall may have built what was missing while this one waited.
    const built = search(true);
    if (built) return built;
    buildArchivesPart(paths, memory.project, projectFolder, fingerprint, warn);
    const again = search(true);
    if (!again) throw new Error(`the recall index in ${folder} could not be read back after it was built`);
    return again;
  });
}

/** A recall waits this long for another building the index: the archives' part takes ~20 s at 50,000 sessions. */
const BUILD_LOCK_TIMEOUT_MS = 300_000;

type Part = ReturnType<typeof openPart> & {};

/** A part's files opened, its documents numbered from `base`; `undefined` when it is not there whole. */
function openPart(folder: string, base: number) {
  const head = readBookkeeping(join(folder, 'index.json')) as Head | undefined;
  if (!head?.sections || head.totals.documentCount < base || (head.ids && head.ids.length !== head.totals.documentCount - base)) return undefined;
  const data = orNothing(() => openStoreFile(join(folder, 'data.bin'), constants.O_RDONLY, 'read'));
  if (data === undefined) return undefined;
  if (fstatSync(data).size !== head.bytes) {
    closeSync(data);
    return undefined;
  }
  /** `into` filled from `section` at `offset` (bytes). */
  const read = <T extends NodeJS.TypedArray>(section: Section, offset: number, into: T): T => {
    const [start, length] = head.sections[section];
    if (offset + into.byteLength > length) throw new DamagedCache();
    const bytesRead = readSync(data, into, 0, into.byteLength, start + offset);
    if (bytesRead !== into.byteLength) throw new DamagedCache();
    return into;
  };
  const json = <T>(section: Section, [offset, length]: Segment): T => {
    const parsed = parseJson(read(section, offset, Buffer.alloc(length)).toString('utf8'));
    if (!parsed.ok) throw new DamagedCache();
    return parsed.value as T;
  };
  const close = () => closeSync(data);
  const count = head.totals.documentCount - base;
  /** Where documents.bin says where each text is: after the field lengths and the date ranks. */
  const textsOffset = (FIELDS.length + 1) * count * 4;
  return {
    head,
    base,
    count,
    read,
    json,
    close,
    /** The field's lengths, into `lengths` from this part's first document on. */
    fieldLengths: (fieldId: number, lengths: Uint32Array) => read('documents', fieldId * count * 4, lengths.subarray(base, base + count)),
    dateRanks: () => read('documents', FIELDS.length * count * 4, new Uint32Array(count)),
    document: (doc: number): RecallDocument => {
      const [start, end] = read('documents', textsOffset + (doc - base) * 8, new Float64Array(2));
      return json<RecallDocument>('texts', [start!, end! - start!]);
    },
    every: (): RecallDocument[] => {
      const offsets = read('documents', textsOffset, new Float64Array(count + 1));
      const all = read('texts', 0, Buffer.alloc(head.sections.texts[1]));
      return Array.from({ length: count }, (_, doc) => {
        const parsed = parseJson(all.toString('utf8', offsets[doc], offsets[doc + 1]));
        if (!parsed.ok) throw new DamagedCache();
        return parsed.value as RecallDocument;
      });
    },
  };
}

/** Searches the archives' part, the live window's and the ADRs (indexed here) as one collection. */
function searchParts(archives: Part, live: Part, memory: ProjectMemory, request: RecallQuery): RecallHit[] {
  const parts = [archives, live];
  const adrs = adrDocuments(memory);
  const adrBase = live.head.totals.documentCount;
  const liveIds = new Set(live.head.ids);
  const { done } = viewContext(memory.context);
  const texts = new Map<number, RecallDocument>();
  const documentOf = (doc: number): RecallDocument => {
    if (doc >= adrBase) return adrs[doc - adrBase]!;
    if (!texts.has(doc)) {
      const document = (doc < live.base ? archives : live).document(doc);
      // The archives are indexed without what context.json says is done (it changes without them): said as it is now.
      texts.set(doc, doc < live.base ? withFollowUpsNow(document, done) : document);
    }
    return texts.get(doc)!;
  };
  const liveDocuments = () => sessionDocuments(memory, 'live', live.base);
  const rank: Ranker = ({ query, boost, allowed }, count) => {
    const shards = shardsFor(query);
    const shardSet = new Set(shards);
    // The ADRs, indexed by minisearch as the next documents after both parts (so with their totals).
    const adrIndex = loadIndex({ ...live.head.totals, index: [], documentIds: {}, fieldLength: {}, storedFields: {} }, shardSet);
    adrIndex.addAll(adrs);
    const adrPlain = adrIndex.toJSON();
    const total = adrPlain.documentCount;
    // The terms the query's words can reach, the archives' first (as minisearch's index would hold them).
    const dictionary = new SearchableMap<TermSources>();
    for (const [at, part] of parts.entries()) {
      for (const shard of shards) {
        if (!part.head.shards[shard]) continue;
        for (const entry of part.json<TermEntry[]>('terms', part.head.shards[shard])) {
          dictionary.update(entry[0], (sources = { parts: [] }) => ((sources.parts[at] = entry), sources));
        }
      }
    }
    for (const [term, adrPostings] of adrPlain.index) dictionary.update(term, (sources = { parts: [] }) => ({ ...sources, memory: adrPostings }));
    const matches = matchTerms(dictionary, queryTerms(query, shardSet));

    const postings = new Map<TermSources, (FieldPostings[] | undefined)[]>();
    for (const sources of new Set(matches.map((match) => match.value))) {
      const byField: (FieldPostings[] | undefined)[] = [];
      for (const [at, entry] of sources.parts.entries()) {
        if (!entry) continue;
        const [, start, ...fields] = entry;
        let words = 0;
        for (let i = 1; i < fields.length; i += 2) words += 2 * fields[i]!;
        const all = parts[at]!.read('postings', start * 4, new Uint32Array(words));
        let offset = 0;
        for (let i = 0; i < fields.length; i += 2) {
          const n = fields[i + 1]!;
          (byField[fields[i]!] ??= []).push({ docs: all.subarray(offset, offset + n), freqs: all.subarray(offset + n, offset + 2 * n) });
          offset += 2 * n;
        }
      }
      for (const [fieldId, freqs] of Object.entries(sources.memory ?? {})) {
        (byField[Number(fieldId)] ??= []).push({ docs: Uint32Array.from(Object.keys(freqs), Number), freqs: Uint32Array.from(Object.values(freqs)) });
      }
      postings.set(sources, byField);
    }
    const postingsOf = (match: TermMatch<TermSources>) => postings.get(match.value)!;
    const fieldLengths = FIELDS.map((_, fieldId) => {
      // A field no term is in: its lengths are never asked.
      if (![...postings.values()].some((byField) => byField[fieldId])) return new Uint32Array(0);
      const lengths = new Uint32Array(total);
      for (const part of parts) part.fieldLengths(fieldId, lengths);
      for (const [shortId, ofDocument] of Object.entries(adrPlain.fieldLength)) lengths[Number(shortId)] = ofDocument[fieldId]!;
      return lengths;
    });
    const boosts = new Float64Array(total).fill(documentBoost(query, 'session'));
    adrs.forEach((adr, i) => (boosts[adrBase + i] = documentBoost(query, adr.kind)));
    const { score, matched } = scorePostings(
      matches,
      postingsOf,
      { documentCount: total, averageFieldLength: adrPlain.averageFieldLength, fieldLengths, documentBoost: boosts },
      boost,
    );

    const numberOf = (document: RecallDocument) => (document.kind === 'session' ? document.order : adrBase + adrs.indexOf(document));
    const allowedDocs = allowed && new Set(allowed.map(numberOf));
    // Dates compared by their place among the archives' dates (odd: one of them; even: between two).
    const dateKey = (date: string) => {
      let low = 0;
      let high = archives.head.dates.length;
      while (low < high) {
        const middle = (low + high) >> 1;
        if (archives.head.dates[middle]! < date) low = middle + 1;
        else high = middle;
      }
      return archives.head.dates[low] === date ? 2 * low + 1 : 2 * low;
    };
    // Read for every document, mapped for the candidates compared.
    const ranks = matched.length ? parts.map((part) => part.dateRanks()) : [];
    const keys = parts.map((part) => part.head.dates.map(dateKey));
    const dateOf = (doc: number) => (doc >= adrBase ? dateKey(adrs[doc - adrBase]!.date ?? '') : doc < live.base ? keys[0]![ranks[0]![doc]!]! : keys[1]![ranks[1]![doc - live.base]!]!);
    const orders = (doc: number) => (doc < adrBase ? doc : adrs[doc - adrBase]!.order);
    const ranked = (docs: Int32Array) => ({ docs, score, date: dateOf, order: orders, isAdr: (doc: number) => doc >= adrBase });
    const candidates = allowedDocs ? matched.filter((doc) => allowedDocs.has(doc)) : matched;
    // An archived copy of a live entry is left out of the results, as minisearch's filter leaves it: known once read.
    const excluded = new Set<number>();
    let best: number[] = [];
    for (;;) {
      best = bestOf(ranked(excluded.size ? candidates.filter((doc) => !excluded.has(doc)) : candidates), count, query.asksRecent);
      const copies = best.filter((doc) => doc < live.base && liveIds.has(documentOf(doc).id));
      if (copies.length === 0) break;
      for (const doc of copies) excluded.add(doc);
    }
    const matchOf = matchedFields(matches, postingsOf, best);
    return {
      best: best.map((doc): Ranked => ({ document: documentOf(doc), score: score[doc]!, match: matchOf.get(doc)! })),
      matched: (document) => score[numberOf(document)]! > 0 && !excluded.has(numberOf(document)),
    };
  };
  const fileMatches = (file: string) => {
    const archived = archives.every().map((document) => withFollowUpsNow(document, done)).filter((document) => !liveIds.has(document.id));
    return filesMatching([...archived, ...liveDocuments()], file);
  };
  return searchIndex(rank, request, {
    ...(request.file ? { fileMatches: fileMatches(request.file) } : {}),
    newest: () => liveDocuments().reverse(),
  });
}

/** Matched documents (in the order minisearch met them), what ranks them, and whether each is an ADR. */
interface Candidates {
  docs: Int32Array;
  score: Float64Array;
  /** See dateKey: compared as the dates are. */
  date: (doc: number) => number;
  order: (doc: number) => number;
  isAdr: (doc: number) => boolean;
}

/** The `count` best candidates in sortHits order (ties in everything: the order minisearch met them). */
function bestOf({ docs, score, date, order, isAdr }: Candidates, count: number, asksRecent: boolean): number[] {
  // Positions in `docs`, so that the earlier met of two documents alike comes first.
  const before = (a: number, b: number): boolean => {
    const [x, y] = [docs[a]!, docs[b]!];
    if (asksRecent && isAdr(x) !== isAdr(y)) return !isAdr(x);
    if (asksRecent && !isAdr(x)) return order(x) !== order(y) ? order(x) > order(y) : a < b;
    if (score[x] !== score[y]) return score[x]! > score[y]!;
    if (date(x) !== date(y)) return date(x) > date(y);
    return order(x) !== order(y) ? order(x) > order(y) : a < b;
  };
  const best: number[] = [];
  if (count < 1) return best;
  // Newest first: the later a document, the likelier it is among the best (ties go to the newer), so fewer move.
  for (let candidate = docs.length - 1; candidate >= 0; candidate--) {
    if (best.length === count && !before(candidate, best[count - 1]!)) continue;
    let at = best.length;
    while (at > 0 && before(candidate, best[at - 1]!)) at--;
    best.splice(at, 0, candidate);
    if (best.length > count) best.pop();
  }
  return best.map((at) => docs[at]!);
}

function withFollowUpsNow(document: RecallDocument, done: ReturnType<typeof viewContext>['done']): RecallDocument {
  return { ...document, fields: { ...document.fields, follow_up: document.fields.follow_up?.map((item) => describeFollowUp(item, document.date ?? undefined, done)) } };
}

/** Indexes every archived session and writes the folder (what was there before goes), then removes older ones. */
function buildArchivesPart(paths: Paths, project: string, projectFolder: string, fingerprint: string, warn: (message: string) => void): void {
  const archived = readArchivedSessions(paths, project);
  for (const problem of archived.problems) warn(problem);
  // Follow-ups as listed: whether one is done is said when it is shown (see withFollowUpsNow).
  const documents = sessionDocuments({ sessions: archived.sessions, context: {} }, 'archived');
  const folder = join(projectFolder, fingerprint);
  rmSync(folder, { recursive: true, force: true });
  for (const path of [join(paths.stateDir, 'recall'), projectFolder, folder]) makeStoreFolder(path);
  writePart(folder, documents, buildIndex(documents).toJSON());
  // The index of archives as they were before: never read again.
  for (const name of readdirSync(projectFolder)) if (name !== fingerprint) rmSync(join(projectFolder, name), { recursive: true, force: true });
}

/** Indexes the live window as the documents after the archives, then removes the parts of older windows. */
function buildLivePart(archives: Part, memory: ProjectMemory, folder: string, liveFolder: string): void {
  const documents = sessionDocuments(memory, 'live', archives.count);
  const index = loadIndex({ ...archives.head.totals, index: [], documentIds: {}, fieldLength: {}, storedFields: {} });
  index.addAll(documents);
  rmSync(liveFolder, { recursive: true, force: true });
  makeStoreFolder(liveFolder);
  writePart(liveFolder, documents, index.toJSON(), documents.map((document) => document.id));
  for (const name of readdirSync(folder)) if (name.startsWith('live-') && join(folder, name) !== liveFolder) rmSync(join(folder, name), { recursive: true, force: true });
}

/** Writes a part: `documents` and their index (numbered from the part's first document), index.json last. */
function writePart(folder: string, documents: RecallDocument[], plain: AsPlainObject, ids?: string[]): void {
  const { index, documentIds: _ids, fieldLength, storedFields: _stored, ...totals } = plain;
  const count = documents.length;
  const base = totals.documentCount - count;

  // postings.bin, and each shard's terms.
  let words = 0;
  for (const [, byField] of index) for (const freqs of Object.values(byField)) words += 2 * Object.keys(freqs).length;
  const postings = new Uint32Array(words);
  let at = 0;
  const shards = new Map<string, TermEntry[]>();
  for (const [term, byField] of index) {
    const entry: TermEntry = [term, at];
    for (const [fieldId, freqs] of Object.entries(byField)) {
      const docs = Object.keys(freqs);
      entry.push(Number(fieldId), docs.length);
      docs.forEach((doc, i) => {
        postings[at + i] = Number(doc);
        postings[at + docs.length + i] = freqs[doc]!;
      });
      at += 2 * docs.length;
    }
    const shard = termShard(term);
    if (!shards.has(shard)) shards.set(shard, []);
    shards.get(shard)!.push(entry);
  }
  const terms: Buffer[] = [];
  let offset = 0;
  const head: Head = { totals, shards: {}, dates: [], sections: { terms: [0, 0], postings: [0, 0], documents: [0, 0], texts: [0, 0] }, bytes: 0, ...(ids ? { ids } : {}) };
  for (const [shard, entries] of shards) {
    const bytes = Buffer.from(JSON.stringify(entries));
    terms.push(bytes);
    head.shards[shard] = [offset, bytes.length];
    offset += bytes.length;
  }

  // documents.bin and texts.json: minisearch numbers documents as they are added.
  head.dates = [...new Set(documents.map((document) => document.date ?? ''))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const rankOf = new Map(head.dates.map((date, rank) => [date, rank]));
  const table = new Uint32Array((FIELDS.length + 1) * count);
  documents.forEach((document, doc) => {
    FIELDS.forEach((_, fieldId) => (table[fieldId * count + doc] = fieldLength[base + doc]![fieldId]!));
    table[FIELDS.length * count + doc] = rankOf.get(document.date ?? '')!;
  });
  const texts = documents.map((document) => Buffer.from(JSON.stringify(document)));
  const textOffsets = new Float64Array(count + 1);
  texts.forEach((bytes, doc) => (textOffsets[doc + 1] = textOffsets[doc]! + bytes.length));
  // Pieces, concatenated once: at 50,000 sessions the texts alone are ~56 MB.
  const sections: Record<Section, Buffer[]> = {
    terms,
    postings: [Buffer.from(postings.buffer)],
    documents: [Buffer.from(table.buffer), Buffer.from(textOffsets.buffer)],
    texts,
  };
  for (const section of SECTIONS) {
    const length = sections[section].reduce((sum, piece) => sum + piece.length, 0);
    head.sections[section] = [head.bytes, length];
    head.bytes += length;
  }
  replaceStoreFile(join(folder, 'data.bin'), Buffer.concat(SECTIONS.flatMap((section) => sections[section])));
  replaceStoreFile(join(folder, 'index.json'), Buffer.from(JSON.stringify(head)));
}


