import { stat } from 'node:fs/promises';
import type { Client, ShellRun, TranscriptFacts } from '../clients/client.js';
import type { ClientName } from '../clients/names.js';
import { orAbsent } from '../disk.js';
import type { CapturedFacts } from '../memory/merge.js';
import type { SessionState } from '../memory/state.js';
import type { Paths } from '../paths.js';
import { realProjectFiles } from '../project/files.js';
import { readCommits, readRepo, readWorkTree, snapshotOf, type RepoFacts, type WorkTreeSnapshot } from '../project/git.js';
import { projectNameAt } from '../project/name.js';
import { redactSecrets } from '../redact.js';
import { clip } from '../text.js';
import { attributeGitChanges, SLACK_MS } from './attribution.js';

export interface SessionSource {
  /** The agent's session id. Without one, `record` makes a new entry each time. */
  sessionKey?: string;
  /** The agent, when the caller knows it (a hook's `--client`, the shell variable `record` found); else the session's saved one. */
  client?: ClientName;
  transcriptPath?: string;
  /**
   * The folder the session runs in, as the caller knows it: for a hook the folder the agent was launched in
   * (Claude Code's `CLAUDE_PROJECT_DIR`, which stays put when the shell `cd`s), else the hook input's cwd; for a command, its
   * working folder. Without it, the transcript's first cwd (Claude Code before 1.0.54 sent none), else ours.
   */
  cwd?: string;
  /** The session is over (SessionEnd, or caught up later): a last transcript line without a newline is read too. */
  ended?: boolean;
  /** `--project`: wins over every derived name. */
  explicitProject?: string;
}

export interface SessionFacts {
  project: string;
  /** None when nothing is known of the session (no transcript, no saved start). Its files: those found since the
   * session's entry was last written (it holds the rest), or all (`everyFile`). */
  captured?: CapturedFacts;
  /** The transcript grew since the last read: the session worked (a resumed one moves to the newest place). */
  active: boolean;
  repo?: RepoFacts;
  /** What to save in the session's state so the next run reads only new transcript bytes and new git changes. */
  saved: Pick<SessionState, 'client' | 'transcriptPath' | 'cwd' | 'startedAt' | 'scan' | 'git'>;
  /** What the transcript read left out and why, for the log. */
  notes: string[];
}

const AUTO_SUMMARY_PART = 240;
/** Characters of a prompt or an answer redacted for its summary part: the part and then some, so no secret in it is cut short. */
const REDACTED_PREFIX = 16_384;

/**
 * Everything the machine can tell about a session: its transcript (only what was appended since `state`'s scan)
 * and git. Writes nothing; `state` is the session's state as read by the caller. Its files are those its entry
 * does not hold yet, unless `everyFile` asks for all of them (to show, not to write).
 */
export async function gatherSessionFacts(
  paths: Paths,
  client: Client,
  source: SessionSource,
  state: SessionState,
  now: Date,
  { everyFile = false } = {},
): Promise<SessionFacts> {
  const transcriptPath =
    source.transcriptPath ?? state.transcriptPath ?? (source.sessionKey && (await client.findTranscript(paths, source.sessionKey)));
  const read = transcriptPath ? await orAbsent(client.readTranscript(transcriptPath, state.scan, { ended: source.ended })) : undefined;
  const scan = read?.scan ?? state.scan;
  const facts = scan?.facts;

  // The first capture fixes the session's folder: a later `cd` of the shell must not move it to another project.
  const folder = state.cwd ?? (await sessionFolder(client, source));
  const cwd = (await isFolder(folder)) ? folder : facts?.cwd && (await isFolder(facts.cwd)) ? facts.cwd : undefined;
  const repo = cwd ? await readRepo(cwd) : undefined;
  const projectRoot = repo?.root ?? cwd ?? facts?.cwd ?? folder;
  const project = await projectNameAt(projectRoot, repo?.originUrl, source.explicitProject);
  const saved = { client: client.name, ...(transcriptPath ? { transcriptPath } : {}), cwd: projectRoot, ...(scan ? { scan } : {}) };
  // Nothing known of the session (no transcript, no saved start): nothing is guessed, not even from git.
  const knownStart = facts?.firstTimestamp ?? state.startedAt;
  const active = read?.firstNewTimestamp !== undefined;
  const notes = read?.notes ?? [];
  if (knownStart === undefined) return { project, active, ...(repo ? { repo } : {}), saved, notes };

  const startedAt = new Date(knownStart);
  // A session ends at its last line: recorded again later, or caught up, it takes nothing that came after it.
  const endedAt = facts?.lastTimestamp ? new Date(facts.lastTimestamp) : now;
  const git = repo ? await observeGit(repo.root, state, read?.shellRuns ?? (facts ? [] : 'unknown'), startedAt, endedAt, now) : undefined;
  const transcriptFiles = everyFile ? (facts?.changedFiles ?? []) : unrecordedFiles(facts?.changedFiles ?? [], state, project);
  const files = await realProjectFiles([...transcriptFiles, ...(git?.files ?? [])], {
    projectRoot,
    home: paths.home,
    // Our own writes (memory, state) are never the session's work, even when they sit inside a repository.
    bookkeeping: [paths.claudeConfigDir, paths.projectsDir, paths.stateDir],
  });
  return {
    project,
    captured: {
      startedAt,
      endedAt,
      // Without a transcript only the wall clock since the saved start is known.
      activeMs: facts ? (facts.activeMs ?? 0) : endedAt.getTime() - startedAt.getTime(),
      files,
      autoSummary: autoSummary(facts),
    },
    active,
    ...(repo ? { repo } : {}),
    saved: { ...saved, startedAt: startedAt.toISOString(), ...(git ? { git: git.snapshot } : {}) },
    notes,
  };
}

/**
 * The changes git shows that are the session's since its previous observation (see attribution.ts), and the
 * snapshot to compare the next observation with.
 */
async function observeGit(
  root: string,
  state: SessionState,
  shellRuns: ShellRun[] | 'unknown',
  startedAt: Date,
  endedAt: Date,
  now: Date,
): Promise<{ files: string[]; snapshot: WorkTreeSnapshot }> {
  const window = { start: Date.parse(state.git?.at ?? '') || startedAt.getTime(), end: endedAt.getTime() };
  const runs = shellRuns === 'unknown' ? [window] : shellRuns;
  const first = Math.min(...runs.map((run) => run.start));
  const last = Math.max(...runs.map((run) => run.end));
  const [current, commits] = await Promise.all([
    readWorkTree(root),
    runs.length ? readCommits(root, first - SLACK_MS, last + SLACK_MS) : [],
  ]);
  const files = attributeGitChanges({ current, commits, ...(state.git ? { previous: state.git } : {}), shellRuns, window });
  return { files, snapshot: snapshotOf(current, now) };
}

/**
 * The transcript's changed files the session's entry does not hold yet. Those in the scan an earlier write saved
 * went into the entry with it, when it was this project's: they are not looked up on disk again (a session can
 * list 100,000 files; resolving and merging them all on every turn took seconds and 35 MB).
 */
function unrecordedFiles(changedFiles: string[], state: SessionState, project: string): string[] {
  if (state.project !== project || state.scan === undefined) return changedFiles;
  const recorded = new Set(state.scan.facts.changedFiles);
  return changedFiles.filter((path) => !recorded.has(path));
}

/** The folder a session runs in before any capture fixed it (see SessionSource.cwd). */
export async function sessionFolder(client: Client, source: SessionSource): Promise<string> {
  if (source.cwd) return source.cwd;
  return (source.transcriptPath && (await client.transcriptCwd(source.transcriptPath))) || process.cwd();
}

/**
 * What was asked and the last answer, trimmed: a summary until the model writes one. A session that ran more than
 * once (resumed after a pause) leads with its newest run's question, then the first. Redacted before the cut: a
 * token cut short no longer matches its pattern.
 */
export function autoSummary(facts: TranscriptFacts | undefined): string | undefined {
  if (!facts) return undefined;
  const { firstPrompt, runPrompt, lastAssistantText: lastAnswer } = facts;
  // Only the start is kept: a long answer is not redacted whole on every turn. What is cut off here lies far past the part.
  const oneLine = (text: string) => clip(redactSecrets(text.slice(0, REDACTED_PREFIX)).replace(/\s+/g, ' ').trim(), AUTO_SUMMARY_PART);
  const asked = runPrompt ?? firstPrompt;
  const parts = [
    asked && `Asked: ${oneLine(asked)}`,
    lastAnswer && `Outcome: ${oneLine(lastAnswer)}`,
    runPrompt && firstPrompt && `Earlier: ${oneLine(firstPrompt)}`,
  ].filter(Boolean);
  return parts.length ? parts.join(' ') : undefined;
}

async function isFolder(path: string): Promise<boolean> {
  return stat(path).then((info) => info.isDirectory(), () => false);
}

