import { join } from 'node:path';
import { allocateSessionId, localDate, mergeEntry, type AuthoredFields, type CapturedFacts, type Entry } from './merge.js';
import { isRecord } from '../is-record.js';
import type { Paths } from '../paths.js';
import { redactDeep, redactSecrets } from '../redact.js';
import type { RecordInput } from '../session/authored.js';
import { readSessionState, writeSessionState, type SessionState } from './state.js';
import type { TranscriptScan } from '../clients/claude-code/read.js';
import {
  documentValue,
  isListFile,
  listDocument,
  readJsonFile,
  withProjectLock,
  writeJsonFile,
  type CorruptionReporter,
} from './files.js';

export interface SessionUpdate {
  /** A safe slug (see project-name.ts). */
  project: string;
  /** Claude Code's session id: one entry per key. Without one, every update is a new entry. */
  sessionKey?: string;
  captured: CapturedFacts;
  authored?: AuthoredFields;
  adrs?: RecordInput['adrs'];
  context?: {
    currentFocus?: string;
    knownIssues?: NonNullable<RecordInput['known_issues']>;
    branch?: string;
    originUrl?: string;
  };
  /** Extra bookkeeping saved with the session's state (transcript offsets). */
  state?: Omit<SessionState, 'project' | 'entryId' | 'authored'>;
}

export interface SessionWrite {
  entry: Entry;
  sessionsPath: string;
  adrIds: string[];
}

export function projectDir(paths: Paths, project: string): string {
  return join(paths.projectsDir, project);
}

/**
 * The one read-modify-write of a project's memory: under the project lock, read all three files, merge this
 * session's entry, allocate ids, and write them back atomically. Every string is redacted before it reaches disk.
 * The writes are ordered so that a retry after a failure or a kill at any point gives the same memory as one
 * clean run: the entry's id, then the entry, then the files that point at it.
 */
export async function writeSessionMemory(
  paths: Paths,
  update: SessionUpdate,
  now: Date,
  reportCorruption: CorruptionReporter,
): Promise<SessionWrite> {
  const dir = projectDir(paths, update.project);
  const sessionsPath = join(dir, 'sessions.json');
  const decisionsPath = join(dir, 'decisions.json');
  const contextPath = join(dir, 'context.json');
  const authored = update.authored && redactDeep(update.authored);
  const captured = { ...update.captured, autoSummary: update.captured.autoSummary && redactDeep(update.captured.autoSummary) };

  return withProjectLock(dir, async () => {
    const state = update.sessionKey ? await readSessionState(paths, update.sessionKey) : {};
    const sessions = listDocument(
      await readJsonFile(sessionsPath, isListFile('sessions'), reportCorruption, now),
      'sessions',
    );
    // An id the state names but sessions.json lacks was given out by a write that stopped part-way: taking it
    // again keeps the session to one entry.
    const knownId = state.project === update.project ? state.entryId : undefined;
    const id = knownId ?? allocateSessionId(captured.startedAt, new Set(sessions.items.flatMap((item) => (isRecord(item) ? [String(item.id)] : []))));
    const index = sessions.items.findIndex((item) => isRecord(item) && item.id === id);
    const existing = index >= 0 ? (sessions.items[index] as Entry) : undefined;
    const entry = mergeEntry(existing, id, captured, authored, { authored: Boolean(state.authored), autoSummary: state.autoSummary });
    if (index >= 0) sessions.items[index] = entry;
    else sessions.items.push(entry);

    if (update.sessionKey && knownId === undefined) {
      await writeSessionState(paths, update.sessionKey, { ...state, project: update.project, entryId: id });
    }
    await writeJsonFile(sessionsPath, documentValue(sessions, 'sessions', update.project));
    if (update.sessionKey) {
      await writeSessionState(paths, update.sessionKey, {
        ...state,
        ...update.state,
        ...(update.state?.scan ? { scan: withoutSecrets(update.state.scan) } : {}),
        project: update.project,
        entryId: id,
        authored: Boolean(state.authored) || authored !== undefined,
        autoSummary: entry.summary === captured.autoSummary ? captured.autoSummary : state.autoSummary,
      });
    }
    // Written only once the entry is: both are idempotent, so a retry adds nothing twice.
    const adrIds = update.adrs?.length ? await writeAdrs(decisionsPath, update, id, now, reportCorruption) : [];
    if (update.context) await updateContext(contextPath, update, now, reportCorruption);
    return { entry, sessionsPath, adrIds };
  });
}

/** Adds the session's ADRs; one it already has under the same title (recorded again, or a retry) is updated in place. */
async function writeAdrs(
  path: string,
  update: SessionUpdate,
  sessionId: string,
  now: Date,
  reportCorruption: CorruptionReporter,
): Promise<string[]> {
  const decisions = listDocument(await readJsonFile(path, isListFile('decisions'), reportCorruption, now), 'decisions');
  let next = 1 + Math.max(0, ...decisions.items.map((adr) => (isRecord(adr) ? adrNumber(adr.id) : 0)));
  const ids: string[] = [];
  for (const adr of redactDeep(update.adrs ?? [])) {
    const index = decisions.items.findIndex((item) => isRecord(item) && isSessionAdr(item, sessionId, adr.title));
    const existing = index >= 0 ? (decisions.items[index] as Record<string, unknown>) : undefined;
    if (existing) {
      ids.push(String(existing.id));
      decisions.items[index] = { ...existing, ...adr, status: adr.status ?? existing.status ?? 'accepted' };
      continue;
    }
    const id = `ADR-${String(next++).padStart(3, '0')}`;
    ids.push(id);
    decisions.items.push({
      id,
      date: localDate(now),
      ...adr,
      status: adr.status ?? 'accepted',
      related_sessions: [sessionId],
    });
  }
  await writeJsonFile(path, documentValue(decisions, 'decisions', update.project));
  return ids;
}

function isSessionAdr(adr: Record<string, unknown>, sessionId: string, title: string): boolean {
  return (
    String(adr.title).toLowerCase() === title.toLowerCase() &&
    Array.isArray(adr.related_sessions) &&
    adr.related_sessions.includes(sessionId)
  );
}

async function updateContext(path: string, update: SessionUpdate, now: Date, reportCorruption: CorruptionReporter) {
  const current = await readJsonFile(path, isRecord, reportCorruption, now);
  const context: Record<string, unknown> = isRecord(current)
    ? { ...current }
    : { project: update.project, created: now.toISOString() };
  const changes = redactDeep(update.context ?? {});
  if (changes.currentFocus) context.current_focus = changes.currentFocus;
  if (changes.originUrl) context.repository = changes.originUrl;
  if (changes.branch) {
    const branches = Array.isArray(context.active_branches) ? context.active_branches : [];
    if (!branches.includes(changes.branch)) context.active_branches = [...branches, changes.branch];
  }
  if (changes.knownIssues?.length) {
    const issues: unknown[] = Array.isArray(context.known_issues) ? [...context.known_issues] : [];
    const seen = new Set(issues.map((item) => (isRecord(item) ? String(item.issue).toLowerCase() : String(item).toLowerCase())));
    for (const raw of changes.knownIssues) {
      const issue = typeof raw === 'string' ? { issue: raw } : raw;
      if (seen.has(issue.issue.toLowerCase())) continue;
      seen.add(issue.issue.toLowerCase());
      issues.push({ ...issue, added: localDate(now) });
    }
    context.known_issues = issues;
  }
  await writeJsonFile(path, context);
}

function adrNumber(id: unknown): number {
  const match = /^ADR-(\d+)$/.exec(String(id));
  return match ? Number(match[1]) : 0;
}

/** The scan as saved in the state file, which is on disk like memory: the texts it quotes are redacted too. */
function withoutSecrets(scan: TranscriptScan): TranscriptScan {
  const { firstPrompt, lastAssistantText } = scan.facts;
  return {
    ...scan,
    facts: {
      ...scan.facts,
      ...(firstPrompt === undefined ? {} : { firstPrompt: redactSecrets(firstPrompt) }),
      ...(lastAssistantText === undefined ? {} : { lastAssistantText: redactSecrets(lastAssistantText) }),
    },
  };
}
