import { constants } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { AsPlainObject } from 'minisearch';
import SearchableMap from 'minisearch/SearchableMap';
import { parseJson } from '../json.js';
import { archivesFingerprint, readArchivedSessions, type ProjectMemory } from '../memory/read.js';
import { describeFollowUp, viewContext } from '../memory/shape.js';
import { makeStoreFolder, openStoreFile, readStoreFile, replaceStoreFile } from '../memory/store-file.js';
import type { Paths } from '../paths.js';
import {
  adrDocuments,
  buildIndex,
  documentBoost,
  FIELDS,
  filesMatching,
  loadIndex,
  parseQuery,
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
 * memory, which users sync through git), in a folder named by the archives' fingerprint:
 *
 *   <state>/recall/<project>/<fingerprint>/index.json      the index's totals, the archives' dates, where each shard
 *                                                          is in terms.json and each file's size; written last
 *   <state>/recall/<project>/<fingerprint>/terms.json      each shard's terms (their first three letters), JSON:
 *                                                          [term, where its postings start, then field id and count
 *                                                          of each field it is in]
 *   <state>/recall/<project>/<fingerprint>/postings.bin    each term's postings, field after field: the documents'
 *                                                          numbers, then their term frequencies (32-bit words)
 *   <state>/recall/<project>/<fingerprint>/documents.bin   by document: each field's length (field after field), its
 *                                                          date's rank among the dates, and where its text is
 *   <state>/recall/<project>/<fingerprint>/texts.json      the indexed documents, one JSON text after another
 *
 * The binary files are in this machine's byte order (the folder is machine-local). A query reads the terms of its
 * own words' shards, the postings of the terms they reach, the field lengths (what BM25 needs), and the texts of
 * the hits it shows. It adds the live window and the ADRs (read fresh: they are bounded) to the same collection,
 * so BM25 weighs every record against all of them, and scores as minisearch does (recall-postings.ts). A changed
 * archive changes the fingerprint: the next recall builds the new folder and removes the old. A typo in a word's
 * first three letters is not matched in the archives (its shard is not read).
 */
const FILES = { terms: 'terms.json', postings: 'postings.bin', documents: 'documents.bin', texts: 'texts.json' } as const;
type CacheFile = keyof typeof FILES;

type Segment = [offset: number, length: number];

interface Head {
  totals: Omit<AsPlainObject, 'index' | 'documentIds' | 'fieldLength' | 'storedFields'>;
  shards: Record<string, Segment>;
  /** The archived sessions' dates (a missing one as ''), distinct, in code-unit order. */
  dates: string[];
  /** Each file's size: a file of another size is not this index's. */
  bytes: Record<CacheFile, number>;
}

/** A term of terms.json: where its postings start in postings.bin (in words), then field id and count, per field. */
type TermEntry = [term: string, start: number, ...fields: number[]];

/** A term of the query's index: its postings in the archives (where), and in the documents in memory. */
interface TermSources {
  archived?: TermEntry;
  memory?: Record<string, Record<string, number>>;
}

/** The cache's files are not this index's whole (torn, or written by something else): it is built again. */
class DamagedCache extends Error {}

export async function recallProject(paths: Paths, memory: ProjectMemory, request: RecallQuery, warn: (message: string) => void): Promise<RecallHit[]> {
  const fingerprint = await archivesFingerprint(paths, memory.project);
  if (fingerprint === undefined) return recall(memory, request);
  const projectFolder = join(paths.stateDir, 'recall', memory.project);
  const folder = join(projectFolder, fingerprint);
  const search = async () => {
    const cache = await openCache(folder);
    if (!cache) return undefined;
    try {
      return await searchCache(cache, memory, request);
    } catch (error) {
      if (error instanceof DamagedCache) return undefined;
      throw error;
    } finally {
      await cache.close();
    }
  };
  const found = await search();
  if (found) return found;
  await buildCache(paths, memory.project, projectFolder, fingerprint, warn);
  const again = await search();
  if (!again) throw new Error(`the recall index in ${folder} could not be read back after it was built`);
  return again;
}

type Cache = Awaited<ReturnType<typeof openCache>> & {};

/** The cache's files opened, `undefined` when it is not there whole (not built yet, or damaged). */
async function openCache(folder: string) {
  const head = await readCache<Head>(join(folder, 'index.json'));
  if (!head?.bytes) return undefined;
  const handles: Partial<Record<CacheFile, FileHandle>> = {};
  const close = () => Promise.all(Object.values(handles).map((handle) => handle.close()));
  for (const file of Object.keys(FILES) as CacheFile[]) {
    const handle = await openStoreFile(join(folder, FILES[file]), constants.O_RDONLY, 'read').catch(() => undefined);
    if (handle) handles[file] = handle;
    if (!handle || (await handle.stat()).size !== head.bytes[file]) {
      await close();
      return undefined;
    }
  }
  const files = handles as Record<CacheFile, FileHandle>;
  /** `into` filled from `file` at `offset` (bytes). */
  const read = async <T extends NodeJS.TypedArray>(file: CacheFile, offset: number, into: T): Promise<T> => {
    const { bytesRead } = await files[file].read(into, 0, into.byteLength, offset);
    if (bytesRead !== into.byteLength) throw new DamagedCache();
    return into;
  };
  const json = async <T>(file: CacheFile, [offset, length]: Segment): Promise<T> => {
    const parsed = parseJson((await read(file, offset, Buffer.alloc(length))).toString('utf8'));
    if (!parsed.ok) throw new DamagedCache();
    return parsed.value as T;
  };
  return { head, archived: head.totals.documentCount, read, json, close };
}

/** Searches the archives' index and the documents in memory (the live window and the ADRs) as one collection. */
async function searchCache(cache: Cache, memory: ProjectMemory, request: RecallQuery): Promise<RecallHit[]> {
  const { head, archived } = cache;
  const live = sessionDocuments(memory, 'live', archived);
  const inMemory = [...live, ...adrDocuments(memory)];
  const liveIds = new Set(live.map((document) => document.id));
  const { done } = viewContext(memory.context);
  const texts = new Map<number, RecallDocument>();
  const archivedDocument = async (doc: number): Promise<RecallDocument> => {
    if (!texts.has(doc)) {
      const [start, end] = await cache.read('documents', textsOffset(head) + doc * 8, new Float64Array(2));
      const document = await cache.json<RecallDocument>('texts', [start!, end! - start!]);
      texts.set(doc, withFollowUpsNow(document, done));
    }
    return texts.get(doc)!;
  };
  const everyArchived = async (): Promise<RecallDocument[]> => {
    const offsets = await cache.read('documents', textsOffset(head), new Float64Array(archived + 1));
    const all = await cache.read('texts', 0, Buffer.alloc(head.bytes.texts));
    return Array.from({ length: archived }, (_, doc) => {
      const parsed = parseJson(all.toString('utf8', offsets[doc], offsets[doc + 1]));
      if (!parsed.ok) throw new DamagedCache();
      return withFollowUpsNow(parsed.value as RecallDocument, done);
    });
  };
  const rank: Ranker = async ({ query, boost, allowed }, count) => {
    const shards = shardsFor(query);
    const shardSet = new Set(shards);
    // The documents in memory, indexed by minisearch as the archives' next documents (so with their totals).
    const memoryIndex = loadIndex({ ...head.totals, index: [], documentIds: {}, fieldLength: {}, storedFields: {} }, shardSet);
    memoryIndex.addAll(inMemory);
    const memoryPlain = memoryIndex.toJSON();
    // The terms the query's words can reach, in the order minisearch's index would hold them: the archives' first.
    const dictionary = new SearchableMap<TermSources>();
    for (const shard of shards) {
      if (!head.shards[shard]) continue;
      for (const entry of await cache.json<TermEntry[]>('terms', head.shards[shard])) dictionary.set(entry[0], { archived: entry });
    }
    for (const [term, memoryPostings] of memoryPlain.index) dictionary.update(term, (sources = {}) => ({ ...sources, memory: memoryPostings }));
    const matches = matchTerms(dictionary, queryTerms(query, shardSet));

    const total = memoryPlain.documentCount;
    const postings = new Map<TermSources, (FieldPostings[] | undefined)[]>();
    await Promise.all(
      [...new Set(matches.map((match) => match.value))].map(async (sources) => {
        const byField: (FieldPostings[] | undefined)[] = [];
        if (sources.archived) {
          const [, start, ...fields] = sources.archived;
          let words = 0;
          for (let i = 1; i < fields.length; i += 2) words += 2 * fields[i]!;
          const all = await cache.read('postings', start * 4, new Uint32Array(words));
          let at = 0;
          for (let i = 0; i < fields.length; i += 2) {
            const n = fields[i + 1]!;
            byField[fields[i]!] = [{ docs: all.subarray(at, at + n), freqs: all.subarray(at + n, at + 2 * n) }];
            at += 2 * n;
          }
        }
        for (const [fieldId, freqs] of Object.entries(sources.memory ?? {})) {
          (byField[Number(fieldId)] ??= []).push({ docs: Uint32Array.from(Object.keys(freqs), Number), freqs: Uint32Array.from(Object.values(freqs)) });
        }
        postings.set(sources, byField);
      }),
    );
    const postingsOf = (match: TermMatch<TermSources>) => postings.get(match.value)!;
    const fieldLengths = await Promise.all(
      FIELDS.map(async (_, fieldId) => {
        const lengths = new Uint32Array(total);
        if (![...postings.values()].some((byField) => byField[fieldId])) return lengths;
        await cache.read('documents', fieldId * archived * 4, lengths.subarray(0, archived));
        for (const [shortId, ofDocument] of Object.entries(memoryPlain.fieldLength)) lengths[Number(shortId)] = ofDocument[fieldId]!;
        return lengths;
      }),
    );
    const boosts = new Float64Array(total).fill(1);
    inMemory.forEach((document, i) => (boosts[archived + i] = documentBoost(query, document.kind)));
    const { score, matched } = scorePostings(
      matches,
      postingsOf,
      { documentCount: total, averageFieldLength: memoryPlain.averageFieldLength, fieldLengths, documentBoost: boosts },
      boost,
    );

    const numberOf = (document: RecallDocument) => (document.key.startsWith('archived:') ? document.order : archived + inMemory.indexOf(document));
    const allowedDocs = allowed && new Set(allowed.map(numberOf));
    const dateRanks = matched.length ? await cache.read('documents', FIELDS.length * archived * 4, new Uint32Array(archived)) : new Uint32Array(0);
    // Dates compared by their place among the archives' dates (odd: one of them; even: between two).
    const dateKey = (date: string | null) => {
      let low = 0;
      let high = head.dates.length;
      while (low < high) {
        const middle = (low + high) >> 1;
        if (head.dates[middle]! < (date ?? '')) low = middle + 1;
        else high = middle;
      }
      return head.dates[low] === (date ?? '') ? 2 * low + 1 : 2 * low;
    };
    const memoryDates = inMemory.map((document) => dateKey(document.date));
    const candidates: (Candidate & { doc: number })[] = [];
    matched.forEach((doc, seen) => {
      if (allowedDocs && !allowedDocs.has(doc)) return;
      if (doc < archived) candidates.push({ doc, seen, score: score[doc]!, kind: 'session', date: 2 * dateRanks[doc]! + 1, order: doc });
      else candidates.push({ doc, seen, score: score[doc]!, kind: inMemory[doc - archived]!.kind, date: memoryDates[doc - archived]!, order: inMemory[doc - archived]!.order });
    });
    // An archived copy of a live entry is left out of the results, as minisearch's filter leaves it: known once read.
    const excluded = new Set<number>();
    let best: typeof candidates = [];
    for (;;) {
      best = bestOf(candidates.filter(({ doc }) => !excluded.has(doc)), count, query.asksRecent);
      const copies = (await Promise.all(best.map(async ({ doc }) => (doc < archived && liveIds.has((await archivedDocument(doc)).id) ? [doc] : [])))).flat();
      if (copies.length === 0) break;
      for (const doc of copies) excluded.add(doc);
    }
    const matchOf = matchedFields(matches, postingsOf, best.map(({ doc }) => doc));
    return {
      best: await Promise.all(
        best.map(async ({ doc, score }): Promise<Ranked> => ({ document: doc < archived ? await archivedDocument(doc) : inMemory[doc - archived]!, score, match: matchOf.get(doc)! })),
      ),
      matched: (document) => score[numberOf(document)]! > 0 && !excluded.has(numberOf(document)),
    };
  };
  return searchIndex(rank, request, {
    ...(request.file ? { fileMatches: filesMatching([...(await everyArchived()), ...live].filter((document) => !(document.key.startsWith('archived:') && liveIds.has(document.id))), request.file) } : {}),
    newest: [...live].reverse(),
  });
}

interface Candidate {
  seen: number;
  score: number;
  kind: RecallHit['kind'];
  /** See dateKey: compared as the dates are. */
  date: number;
  order: number;
}

/** The `count` best of `candidates` in sortHits order (ties in everything: the order minisearch met them). */
function bestOf<T extends Candidate>(candidates: T[], count: number, asksRecent: boolean): T[] {
  const before = (a: T, b: T): boolean => {
    if (asksRecent && a.kind !== b.kind) return a.kind === 'session';
    if (asksRecent && a.kind === 'session') return a.order !== b.order ? a.order > b.order : a.seen < b.seen;
    if (a.score !== b.score) return a.score > b.score;
    if (a.date !== b.date) return a.date > b.date;
    return a.order !== b.order ? a.order > b.order : a.seen < b.seen;
  };
  const best: T[] = [];
  if (count < 1) return best;
  for (const candidate of candidates) {
    if (best.length === count && !before(candidate, best[count - 1]!)) continue;
    let at = best.length;
    while (at > 0 && before(candidate, best[at - 1]!)) at--;
    best.splice(at, 0, candidate);
    if (best.length > count) best.pop();
  }
  return best;
}

/** Where documents.bin says where each text is: after the field lengths and the date ranks. */
function textsOffset(head: Head): number {
  return (FIELDS.length + 1) * head.totals.documentCount * 4;
}

/** Indexed without what context.json says is done (it changes without the archives): said as it is now. */
function withFollowUpsNow(document: RecallDocument, done: ReturnType<typeof viewContext>['done']): RecallDocument {
  return { ...document, fields: { ...document.fields, follow_up: document.fields.follow_up?.map((item) => describeFollowUp(item, document.date ?? undefined, done)) } };
}

/** Indexes every archived session and writes the folder, index.json last (a folder without one is not used). */
async function buildCache(paths: Paths, project: string, projectFolder: string, fingerprint: string, warn: (message: string) => void): Promise<void> {
  const archived = await readArchivedSessions(paths, project);
  for (const problem of archived.problems) warn(problem);
  // Follow-ups as listed: whether one is done is said when it is shown (see withFollowUpsNow).
  const documents = sessionDocuments({ sessions: archived.sessions, context: {} }, 'archived');
  const { index, documentIds: _ids, fieldLength, storedFields: _stored, ...totals } = buildIndex(documents).toJSON();

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
  const head: Head = { totals, shards: {}, dates: [], bytes: { terms: 0, postings: postings.byteLength, documents: 0, texts: 0 } };
  for (const [shard, entries] of shards) {
    const bytes = Buffer.from(JSON.stringify(entries));
    terms.push(bytes);
    head.shards[shard] = [offset, bytes.length];
    offset += bytes.length;
  }

  // documents.bin and texts.json. Document n of the index is documents[n] (minisearch numbers them as added).
  const count = documents.length;
  head.dates = [...new Set(documents.map((document) => document.date ?? ''))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const rankOf = new Map(head.dates.map((date, rank) => [date, rank]));
  const table = new Uint32Array((FIELDS.length + 1) * count);
  documents.forEach((document, doc) => {
    FIELDS.forEach((_, fieldId) => (table[fieldId * count + doc] = fieldLength[doc]![fieldId]!));
    table[FIELDS.length * count + doc] = rankOf.get(document.date ?? '')!;
  });
  const texts = documents.map((document) => Buffer.from(JSON.stringify(document)));
  const textOffsets = new Float64Array(count + 1);
  texts.forEach((bytes, doc) => (textOffsets[doc + 1] = textOffsets[doc]! + bytes.length));
  const files: Record<CacheFile, Buffer> = {
    terms: Buffer.concat(terms),
    postings: Buffer.from(postings.buffer),
    documents: Buffer.concat([Buffer.from(table.buffer), Buffer.from(textOffsets.buffer)]),
    texts: Buffer.concat(texts),
  };
  for (const file of Object.keys(FILES) as CacheFile[]) head.bytes[file] = files[file].length;

  const folder = join(projectFolder, fingerprint);
  // What a damaged or older build left there goes first.
  await rm(folder, { recursive: true, force: true });
  for (const path of [join(paths.stateDir, 'recall'), projectFolder, folder]) await makeStoreFolder(path);
  for (const file of Object.keys(FILES) as CacheFile[]) await replaceStoreFile(join(folder, FILES[file]), files[file]);
  await replaceStoreFile(join(folder, 'index.json'), Buffer.from(JSON.stringify(head)));
  // The index of archives as they were before: never read again.
  for (const name of await readdir(projectFolder)) if (name !== fingerprint) await rm(join(projectFolder, name), { recursive: true, force: true });
}

async function readCache<T>(path: string): Promise<T | undefined> {
  const bytes = await readStoreFile(path).catch(() => undefined);
  const parsed = bytes && parseJson(bytes.toString('utf8'));
  return parsed?.ok ? (parsed.value as T) : undefined;
}
