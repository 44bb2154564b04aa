import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { AsPlainObject } from 'minisearch';
import { parseJson } from '../json.js';
import { archivesFingerprint, readArchivedSessions, type ProjectMemory } from '../memory/read.js';
import { describeFollowUp, viewContext } from '../memory/shape.js';
import { makeStoreFolder, readStoreFile, replaceStoreFile } from '../memory/store-file.js';
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
 *   <state>/recall/<project>/<fingerprint>/head.json         the index without its terms: ids, field lengths, kind/date/order
 *   <state>/recall/<project>/<fingerprint>/terms-<c>.json    the terms that start with <c>, with their postings
 *   <state>/recall/<project>/<fingerprint>/documents-<n>.json the indexed texts, DOCUMENTS_PER_FILE a file, read for the hits shown
 *
 * A query reads the head and the shards of its own terms only, adds the live window and the ADRs (read fresh:
 * they are bounded), and searches them as one index, so BM25 weighs every record against the same collection. A
 * changed archive changes the fingerprint: the next recall builds the new folder and removes the old.
 * A typo in a word's first letter is not matched in the archives (its shard is not read).
 */
const DOCUMENTS_PER_FILE = 1000;

interface Head {
  index: Omit<AsPlainObject, 'index'>;
  shards: string[];
}

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

  const archivedCount = head.index.documentCount;
  const live = sessionDocuments(memory, 'live', archivedCount);
  const adrs = adrDocuments(memory);
  index.addAll([...live, ...adrs]);
  const inMemory = new Map([...live, ...adrs].map((document) => [document.key, document]));
  const liveIds = new Set(live.map((document) => document.id));
  const { done } = viewContext(memory.context);
  const blocks = new Map<number, RecallDocument[]>();
  const archived = async (order: number): Promise<RecallDocument | undefined> => {
    const block = Math.floor(order / DOCUMENTS_PER_FILE);
    if (!blocks.has(block)) blocks.set(block, (await readCache<RecallDocument[]>(join(folder, `documents-${block}.json`))) ?? []);
    const document = blocks.get(block)![order % DOCUMENTS_PER_FILE];
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
  const head = await readCache<Head>(join(folder, 'head.json'));
  if (!head) return undefined;
  const entries = await Promise.all(shards.filter((shard) => head.shards.includes(shard)).map((shard) => readCache<AsPlainObject['index']>(join(folder, `terms-${shard}.json`))));
  if (entries.some((entry) => entry === undefined)) return undefined;
  return { head, index: loadIndex({ ...head.index, index: entries.flatMap((entry) => entry!) }) };
}

/** Indexes every archived session and writes the folder, its head last (a folder without one is not used). */
async function buildCache(paths: Paths, project: string, projectFolder: string, fingerprint: string, warn: (message: string) => void): Promise<void> {
  const archived = await readArchivedSessions(paths, project);
  for (const problem of archived.problems) warn(problem);
  // Follow-ups as listed: whether one is done is said when it is shown (see `archived` above).
  const documents = sessionDocuments({ sessions: archived.sessions, context: {} }, 'archived');
  const { index, ...head } = buildIndex(documents).toJSON();
  const shards = new Map<string, AsPlainObject['index']>();
  for (const entry of index) {
    const shard = termShard(entry[0]);
    if (!shards.has(shard)) shards.set(shard, []);
    shards.get(shard)!.push(entry);
  }

  for (const folder of [join(paths.stateDir, 'recall'), projectFolder, join(projectFolder, fingerprint)]) await makeStoreFolder(folder);
  const folder = join(projectFolder, fingerprint);
  const write = (name: string, value: unknown) => replaceStoreFile(join(folder, name), Buffer.from(JSON.stringify(value)));
  for (const [shard, entries] of shards) await write(`terms-${shard}.json`, entries);
  for (let block = 0; block * DOCUMENTS_PER_FILE < documents.length; block++) {
    await write(`documents-${block}.json`, documents.slice(block * DOCUMENTS_PER_FILE, (block + 1) * DOCUMENTS_PER_FILE));
  }
  await write('head.json', { index: head, shards: [...shards.keys()] } satisfies Head);
  // The index of archives as they were before: never read again.
  for (const name of await readdir(projectFolder)) if (name !== fingerprint) await rm(join(projectFolder, name), { recursive: true, force: true });
}

async function readCache<T>(path: string): Promise<T | undefined> {
  const bytes = await readStoreFile(path).catch(() => undefined);
  const parsed = bytes && parseJson(bytes.toString('utf8'));
  return parsed?.ok ? (parsed.value as T) : undefined;
}
