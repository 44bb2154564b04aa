import type { Decision, RecordInput } from '../session/authored.js';

/** What the machine found out about a session (transcript, git); never the model's words. */
export interface CapturedFacts {
  startedAt: Date;
  endedAt: Date;
  files: string[];
  autoSummary?: string;
}

/** The model's own account of the session, as given to `record`. */
export type AuthoredFields = Pick<
  RecordInput,
  'summary' | 'client' | 'files_modified' | 'decisions_made' | 'follow_up' | 'tags' | 'context_for_next_session'
>;

export type Entry = Record<string, unknown>;

/** What earlier writes left in the entry, kept in local state (not in memory). */
export interface EarlierWrites {
  /** The model already recorded this session. */
  authored: boolean;
  /** The automatic summary last written: a different summary in the file is somebody's edit. */
  autoSummary?: string;
}

const PLACEHOLDER_SUMMARY = 'Session in progress.';

/**
 * Brings a session's entry up to date. Facts always refresh dates and join files; the model's fields replace
 * the previous ones; an automatic summary only fills a gap or replaces the previous automatic one, never the
 * model's words or a person's edit.
 */
export function mergeEntry(
  existing: Entry | undefined,
  id: string,
  captured: CapturedFacts,
  authored: AuthoredFields | undefined,
  earlier: EarlierWrites,
): Entry {
  const base: Entry = existing ?? {
    id,
    date: localDate(captured.startedAt),
    client: 'claude-code',
    duration_estimate: '',
    summary: '',
    files_modified: [],
    decisions_made: [],
    follow_up: [],
    tags: [],
    context_for_next_session: '',
  };
  const files = joinFiles(asStrings(base.files_modified), captured.files, authored?.files_modified ?? []);
  const merged: Entry = {
    ...base,
    duration_estimate: durationEstimate(captured.startedAt, captured.endedAt),
    files_modified: files,
  };
  if (authored) {
    merged.summary = authored.summary;
    if (authored.client) merged.client = authored.client;
    if (authored.decisions_made) merged.decisions_made = authored.decisions_made.map(toDecision);
    if (authored.follow_up) merged.follow_up = unique(authored.follow_up);
    if (authored.tags) merged.tags = unique(authored.tags);
    if (authored.context_for_next_session !== undefined) merged.context_for_next_session = authored.context_for_next_session;
  } else if (!earlier.authored && captured.autoSummary && isAutomatic(base.summary, earlier)) {
    merged.summary = captured.autoSummary;
  }
  if (typeof merged.summary !== 'string' || merged.summary === '') merged.summary = PLACEHOLDER_SUMMARY;
  return merged;
}

function isAutomatic(summary: unknown, earlier: EarlierWrites): boolean {
  return summary === undefined || summary === '' || summary === PLACEHOLDER_SUMMARY || summary === earlier.autoSummary;
}

/** `session-YYYYMMDD-HHMMSS` in local time; a clash with another entry moves it on by a second. */
export function allocateSessionId(startedAt: Date, taken: ReadonlySet<string>): string {
  for (let offset = 0; ; offset++) {
    const candidate = `session-${compactLocal(new Date(startedAt.getTime() + offset * 1000))}`;
    if (!taken.has(candidate)) return candidate;
  }
}

export function durationEstimate(start: Date, end: Date): string {
  const minutes = Math.max(1, Math.round((end.getTime() - start.getTime()) / 60_000));
  if (minutes < 60) return `~${minutes}min`;
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return rest === 0 ? `~${hours}h` : `~${hours}h ${rest}min`;
}

export function localDate(date: Date): string {
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

function compactLocal(date: Date): string {
  return (
    `${date.getFullYear()}${pad(date.getMonth() + 1)}${pad(date.getDate())}-` +
    `${pad(date.getHours())}${pad(date.getMinutes())}${pad(date.getSeconds())}`
  );
}

function toDecision(decision: string | { decision: string; rationale?: string | undefined }): Decision {
  if (typeof decision === 'string') return { decision };
  return decision.rationale ? { decision: decision.decision, rationale: decision.rationale } : { decision: decision.decision };
}

function joinFiles(...lists: string[][]): string[] {
  return unique(lists.flat()).sort();
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

function asStrings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

function pad(value: number): string {
  return String(value).padStart(2, '0');
}
