import { constants } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { AsPlainObject } from 'minisearch';
import { parseJson } from '../json.js';
import { archivesFingerprint, readArchivedSessions, type ProjectMemory } from '../memory/read.js';
import { describeFollowUp, viewContext } from '../memory/shape.js';
import { makeStoreFolder, openStoreFile, readStoreFile, replaceStoreFile } from '../memory/store-file.js';
import type { Paths } from '../paths.js';
import {
  adrDocuments,
  buildIndex,
  filesMatching,
  loadIndex,
  parseQuery,
  recall,
  searchIndex,
  sessionDocuments,
  shardsFor,
  termShard,
  type RecallDocument,
  type RecallHit,
  type RecallQuery,
} from './recall.js';

/**
 * `recall` over a project's whole history without reading it whole each time. The archived sessions change once
 * in hundreds of sessions, so their index is built once and kept in the state folder (machine-local: never in
 * memory, which users sync through git), in a folder named by the archives' fingerprint:
 *
 *   <state>/recall/<project>/<fingerprint>/index.json          where each part of the index is in segments.json
 *   <state>/recall/<project>/<fingerprint>/segments.json       the index in parts, each JSON: the terms of each shard
 *                                                              (their first three letters) with their postings, and
 *                                                              the documents' lengths and ids, DOCUMENTS_PER_FILE a part
 *   <state>/recall/<project>/<fingerprint>/texts-<n>.json      the indexed texts, TEXTS_PER_FILE a file, for the hits shown
 *
 * A query reads the shards of its own terms and the lengths of the documents they name, adds the live window and
 * the ADRs (read fresh: they are bounded), and searches them as one index, so BM25 weighs every record against
 * the same collection. A changed archive changes the fingerprint: the next recall builds the new folder and
 * removes the old. A typo in a word's first three letters is not matched in the archives (its shard is not read).
 */
const DOCUMENTS_PER_FILE = 1000;
/** The texts are read only for the hits shown: small files, so ten hits read little. */
const TEXTS_PER_FILE = 100;

type Segment = [offset: number, length: number];

/** index.json: the index's totals, and where each part is in segments.json. */
interface Head {
  totals: Omit<AsPlainObject, 'index' | 'documentIds' | 'fieldLength' | 'storedFields'>;
  shards: Record<string, Segment>;
  /** The documents' ids, field lengths and kind/date/order, by short id, DOCUMENTS_PER_FILE a part. */
  documents: Segment[];
}

/** One part of the documents' data: short id, then each of AsPlainObject's per-document maps. */
type DocumentsPart = [shortId: string, id: unknown, fieldLength: number[], stored: unknown][];

export async function recallProject(paths: Paths, memory: ProjectMemory, request: RecallQuery, warn: (message: string) => void): Promise<RecallHit[]> {
  const fingerprint = await archivesFingerprint(paths, memory.project);
  if (fingerprint === undefined) return recall(memory, request);
  const projectFolder = join(paths.stateDir, 'recall', memory.project);
  const folder = join(projectFolder, fingerprint);
  const query = parseQuery(request.query);
  let cached = await readCachedIndex(folder, shardsFor(query));
  if (!cached) {
    await buildCache(paths, memory.project, projectFolder, fingerprint, warn);
    cached = await readCachedIndex(folder, shardsFor(query));
    if (!cached) throw new Error(`the recall index in ${folder} could not be read back after it was built`);
  }
  const { head, index } = cached;

  const archivedCount = head.totals.documentCount;
  const live = sessionDocuments(memory, 'live', archivedCount);
  const adrs = adrDocuments(memory);
  index.addAll([...live, ...adrs]);
  const inMemory = new Map([...live, ...adrs].map((document) => [document.key, document]));
  const liveIds = new Set(live.map((document) => document.id));
  const { done } = viewContext(memory.context);
  const blocks = new Map<number, RecallDocument[]>();
  const archived = async (order: number): Promise<RecallDocument | undefined> => {
    const block = Math.floor(order / TEXTS_PER_FILE);
    if (!blocks.has(block)) blocks.set(block, (await readCache<RecallDocument[]>(join(folder, `texts-${block}.json`))) ?? []);
    const document = blocks.get(block)![order % TEXTS_PER_FILE];
    // Indexed without what context.json says is done (it changes without the archives): said as it is now.
    return document && { ...document, fields: { ...document.fields, follow_up: document.fields.follow_up?.map((item) => describeFollowUp(item, document.date ?? undefined, done)) } };
  };
  const load = async (hits: { key: string; order: number }[]) => {
    const found = await Promise.all(hits.map(async ({ key, order }) => inMemory.get(key) ?? (await archived(order))));
    return new Map(found.flatMap((document) => (document ? [[document.key, document] as const] : [])));
  };
  const everyArchived = async () => (await load(Array.from({ length: archivedCount }, (_, order) => ({ key: '', order })))).values();
  return searchIndex(index, request, {
    load,
    excluded: (key) => key.startsWith('archived:') && liveIds.has(key.slice('archived:'.length)),
    ...(request.file ? { fileMatches: filesMatching([...(await everyArchived()), ...live].filter((document) => !(document.key.startsWith('archived:') && liveIds.has(document.id))), request.file) } : {}),
    newest: [...live].reverse(),
  });
}

/** The cached index with the shards of `shards` loaded; `undefined` when it is not there whole (not built yet, or damaged). */
async function readCachedIndex(folder: string, shards: string[]) {
  const head = await readCache<Head>(join(folder, 'index.json'));
  if (!head) return undefined;
  const handle = await openStoreFile(join(folder, 'segments.json'), constants.O_RDONLY, 'read').catch(() => undefined);
  if (!handle) return undefined;
  try {
    const read = async <T>([offset, length]: Segment): Promise<T | undefined> => {
      const bytes = Buffer.alloc(length);
      const { bytesRead } = await handle.read(bytes, 0, length, offset);
      const parsed = parseJson(bytes.subarray(0, bytesRead).toString('utf8'));
      return parsed.ok ? (parsed.value as T) : undefined;
    };
    const terms = await Promise.all(shards.flatMap((shard) => (head.shards[shard] ? [read<AsPlainObject['index']>(head.shards[shard])] : [])));
    if (terms.some((entries) => entries === undefined)) return undefined;
    const index = terms.flatMap((entries) => entries!);
    // Only the documents these terms name: BM25 needs their lengths; the collection's totals are in the head.
    const parts = new Set<number>();
    for (const [, fields] of index) for (const postings of Object.values(fields)) for (const shortId of Object.keys(postings)) parts.add(Math.floor(Number(shortId) / DOCUMENTS_PER_FILE));
    const documents = await Promise.all([...parts].map((part) => (head.documents[part] ? read<DocumentsPart>(head.documents[part]) : undefined)));
    if (documents.some((part) => part === undefined)) return undefined;
    const plain: AsPlainObject = { ...head.totals, index, documentIds: {}, fieldLength: {}, storedFields: {} };
    for (const [shortId, id, lengths, stored] of documents.flatMap((part) => part!)) {
      plain.documentIds[shortId] = id;
      plain.fieldLength[shortId] = lengths;
      plain.storedFields[shortId] = stored;
    }
    return { head, index: loadIndex(plain, new Set(shards)) };
  } finally {
    await handle.close();
  }
}

/** Indexes every archived session and writes the folder, index.json last (a folder without one is not used). */
async function buildCache(paths: Paths, project: string, projectFolder: string, fingerprint: string, warn: (message: string) => void): Promise<void> {
  const archived = await readArchivedSessions(paths, project);
  for (const problem of archived.problems) warn(problem);
  // Follow-ups as listed: whether one is done is said when it is shown (see `archived` above).
  const documents = sessionDocuments({ sessions: archived.sessions, context: {} }, 'archived');
  const { index, documentIds, fieldLength, storedFields, ...totals } = buildIndex(documents).toJSON();
  const segments: Buffer[] = [];
  let offset = 0;
  const segment = (value: unknown): Segment => {
    const bytes = Buffer.from(JSON.stringify(value));
    segments.push(bytes);
    offset += bytes.length;
    return [offset - bytes.length, bytes.length];
  };
  const shards = new Map<string, AsPlainObject['index']>();
  for (const entry of index) {
    const shard = termShard(entry[0]);
    if (!shards.has(shard)) shards.set(shard, []);
    shards.get(shard)!.push(entry);
  }
  const head: Head = { totals, shards: {}, documents: [] };
  for (const [shard, entries] of shards) head.shards[shard] = segment(entries);
  const parts: DocumentsPart[] = [];
  for (const shortId of Object.keys(documentIds)) {
    const part = Math.floor(Number(shortId) / DOCUMENTS_PER_FILE);
    (parts[part] ??= []).push([shortId, documentIds[shortId], fieldLength[shortId]!, storedFields[shortId]]);
  }
  head.documents = parts.map((part) => segment(part));

  for (const folder of [join(paths.stateDir, 'recall'), projectFolder, join(projectFolder, fingerprint)]) await makeStoreFolder(folder);
  const folder = join(projectFolder, fingerprint);
  const write = (name: string, bytes: Buffer) => replaceStoreFile(join(folder, name), bytes);
  await write('segments.json', Buffer.concat(segments));
  for (let block = 0; block * TEXTS_PER_FILE < documents.length; block++) {
    await write(`texts-${block}.json`, Buffer.from(JSON.stringify(documents.slice(block * TEXTS_PER_FILE, (block + 1) * TEXTS_PER_FILE))));
  }
  await write('index.json', Buffer.from(JSON.stringify(head)));
  // The index of archives as they were before: never read again.
  for (const name of await readdir(projectFolder)) if (name !== fingerprint) await rm(join(projectFolder, name), { recursive: true, force: true });
}

async function readCache<T>(path: string): Promise<T | undefined> {
  const bytes = await readStoreFile(path).catch(() => undefined);
  const parsed = bytes && parseJson(bytes.toString('utf8'));
  return parsed?.ok ? (parsed.value as T) : undefined;
}
