import { statSync } from 'node:fs';
import { KEPT_TEXT_CHARS, type Client, type SessionTask, type ShellRun, type TranscriptFacts, type TranscriptScan } from '../clients/client.js';
import type { ClientName } from '../clients/names.js';
import { orAbsent, orNothing } from '../disk.js';
import type { CapturedFacts } from '../memory/merge.js';
import { AUTO_SUMMARY_LABELS } from '../memory/summary.js';
import type { SessionState } from '../memory/state.js';
import type { Paths } from '../paths.js';
import { realProjectFiles } from '../project/files.js';
import { readCommits, readIndexDigest, readRepoWithBranch, readWorkTree, snapshotOf, type RepoFacts, type WorkTreeSnapshot } from '../project/git.js';
import { projectNameAt } from '../project/name.js';
import { redactSecrets } from '../redact.js';
import { clip, uniqueStrings } from '../text.js';
import { attributeGitChanges, SLACK_MS } from './attribution.js';
import { sessionFolder } from './folder.js';

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
  /** SessionEnd runs: the session exits normally (a catch-up is `ended` without it). */
  sessionEnd?: boolean;
  /** `--project`: wins over every derived name. */
  explicitProject?: string;
}

export interface SessionFacts {
  project: string;
  /** None when nothing is known of the session (no transcript, no saved start). Its files: those found since the
   * state's scan (an entry written with that state holds the rest). */
  captured?: CapturedFacts;
  /** The transcript grew since the last read: the session worked (a resumed one moves to the newest place). */
  active: boolean;
  repo?: RepoFacts;
  /** What to save in the session's state so the next run reads only new transcript bytes and new git changes. */
  saved: Pick<SessionState, 'client' | 'transcriptPath' | 'cwd' | 'startedAt' | 'scan' | 'git' | 'commits'>;
  /** What the transcript read left out and why, for the log. */
  notes: string[];
}

const AUTO_SUMMARY_PART = 240;
/** The automatic summary stays under this: a brief item (600) with room for the session's date, branch and files. */
const AUTO_SUMMARY_LIMIT = 480;
/** Subjects of a session's commits kept in its state, the newest: what a summary part can show, and far more. */
const MAX_COMMITS = 50;
/** Characters kept of a commit's subject (git's own advice is 50; some write 100 and more). */
const COMMIT_SUBJECT = 200;

/**
 * Everything the machine can tell about a session: its transcript (only what was appended since `state`'s scan)
 * and git. Writes nothing; `state` is the session's state as read by the caller.
 */
export async function gatherSessionFacts(
  paths: Paths,
  client: Client,
  source: SessionSource,
  state: SessionState,
  now: Date,
): Promise<SessionFacts> {
  const transcriptPath =
    source.transcriptPath ?? state.transcriptPath ?? (source.sessionKey && (await client.findTranscript(paths, source.sessionKey)));
  const readFrom = async (previous: TranscriptScan | undefined) =>
    transcriptPath ? orAbsent(client.readTranscript(transcriptPath, previous, { ended: source.ended })) : undefined;
  let read = await readFrom(state.scan);
  const active = read?.firstNewTimestamp !== undefined;

  // The first capture fixes the session's folder: a later `cd` of the shell must not move it to another project.
  const folder = state.cwd ?? (await sessionFolder(client, source));
  const cwdSeen = (read?.scan ?? state.scan)?.facts.cwd;
  const cwd = isFolder(folder) ? folder : cwdSeen && isFolder(cwdSeen) ? cwdSeen : undefined;
  const repo = cwd ? readRepoWithBranch(cwd, paths.gitConfigFiles) : undefined;
  const projectRoot = repo?.root ?? cwd ?? cwdSeen ?? folder;
  const project = projectNameAt(projectRoot, repo?.originUrl, source.explicitProject);
  // The files earlier reads found went into the entry of the project the state names; the entry of another one
  // (the repository got a remote, `record --project`) gets them all, from a read of the whole transcript.
  if (state.scan && state.project !== undefined && state.project !== project) read = await readFrom(undefined);
  const scan = read?.scan ?? state.scan;
  const facts = scan?.facts;
  const saved = { client: client.name, ...(transcriptPath ? { transcriptPath } : {}), cwd: projectRoot, ...(scan ? { scan } : {}) };
  // Nothing known of the session (no transcript, no saved start): nothing is guessed, not even from git.
  const knownStart = facts?.firstTimestamp ?? state.startedAt;
  const notes = read?.notes ?? [];
  if (knownStart === undefined) return { project, active, ...(repo ? { repo } : {}), saved, notes };

  const startedAt = new Date(knownStart);
  // A session ends at its last line: recorded again later, or caught up, it takes nothing that came after it.
  const endedAt = facts?.lastTimestamp ? new Date(facts.lastTimestamp) : now;
  const git = repo ? observeGit(repo, state, read?.shellRuns ?? (facts ? [] : 'unknown'), startedAt, endedAt, now) : undefined;
  // The session's commits over all its turns and runs: each turn's git look sees only that turn's.
  const commits = uniqueStrings([...(state.commits ?? []), ...(git?.commits ?? []).map((subject) => clip(redactSecrets(subject), COMMIT_SUBJECT))]).slice(-MAX_COMMITS);
  const files = realProjectFiles([...(read?.changedFiles ?? []), ...(git?.files ?? [])], {
    projectRoot,
    home: paths.home,
    // Our own writes (memory, state) are never the session's work, even when they sit inside a repository.
    bookkeeping: [paths.claudeConfigDir, paths.codexHome, paths.geminiDir, paths.projectsDir, paths.stateDir],
  });
  return {
    project,
    captured: {
      startedAt,
      endedAt,
      // Without a transcript only the wall clock since the saved start is known.
      activeMs: facts ? (facts.activeMs ?? 0) : endedAt.getTime() - startedAt.getTime(),
      files,
      autoSummary: autoSummary(facts, commits),
      ...(facts?.tasks ? { followUps: openTasks(facts.tasks) } : {}),
      ...(facts?.completedTasks ? { completedTasks: facts.completedTasks } : {}),
    },
    active,
    ...(repo ? { repo } : {}),
    saved: { ...saved, startedAt: startedAt.toISOString(), ...(git ? { git: git.snapshot } : {}), ...(commits.length ? { commits } : {}) },
    notes,
  };
}

/**
 * The changes git shows that are the session's since its previous observation (see attribution.ts), and the
 * snapshot to compare the next observation with.
 */
function observeGit(
  { root, gitDir }: RepoFacts,
  state: SessionState,
  shellRuns: ShellRun[] | 'unknown',
  startedAt: Date,
  endedAt: Date,
  now: Date,
): { files: string[]; commits: string[]; snapshot: WorkTreeSnapshot } {
  const window = { start: Date.parse(state.git?.at ?? '') || startedAt.getTime(), end: endedAt.getTime() };
  const runs = shellRuns === 'unknown' ? [window] : shellRuns;
  const first = Math.min(...runs.map((run) => run.start));
  const last = Math.max(...runs.map((run) => run.end));
  const current = readWorkTree(root);
  // A commit stamped before the second the session started in is never its own, however soon its first shell
  // command follows (commit times are whole seconds: one in that very second may be the session's).
  const commits = runs.length ? readCommits(root, Math.max(first - SLACK_MS, Math.floor(startedAt.getTime() / 1000) * 1000), last + SLACK_MS) : [];
  const indexDigest = gitDir ? readIndexDigest(gitDir) : undefined;
  const made = attributeGitChanges({ current, commits, ...(state.git ? { previous: state.git } : {}), shellRuns, window, ...(indexDigest ? { indexDigest } : {}) });
  return { ...made, snapshot: snapshotOf(current, now, indexDigest) };
}

/**
 * A session's summary until the model writes one, from what the session itself holds, in this order of trust (the
 * README's "Automatic entries"): the tasks it completed, the subjects of its commits, Claude Code's own title of
 * the session (else its newest compaction summary), its plan's title, and only then what was asked and the last
 * answer (a session resumed after a pause: its newest run's question first, then the first). Every run's tasks
 * and commits count. Each part is redacted before it is cut (a token cut short no longer matches its pattern),
 * then the whole is cut to AUTO_SUMMARY_LIMIT: deterministic, and short enough for the brief.
 */
export function autoSummary(facts: TranscriptFacts | undefined, commits: string[] = []): string | undefined {
  const { firstPrompt, runPrompt, lastAssistantText: lastAnswer, completedTasks = [], sessionTitle, compactSummary, planTitle } = facts ?? {};
  // Only a text's start is redacted, far more than the part: no secret in the part is cut short.
  const oneLine = (text: string) => clip(redactSecrets(text.slice(0, KEPT_TEXT_CHARS)).replace(/\s+/g, ' ').trim(), AUTO_SUMMARY_PART);
  const asked = runPrompt ?? firstPrompt;
  const parts = [
    completedTasks.length > 0 && `${AUTO_SUMMARY_LABELS.done} ${oneLine(completedTasks.join('; '))}`,
    commits.length > 0 && `${AUTO_SUMMARY_LABELS.commits} ${oneLine(commits.join('; '))}`,
    sessionTitle ? `${AUTO_SUMMARY_LABELS.title} ${oneLine(sessionTitle)}` : compactSummary && `${AUTO_SUMMARY_LABELS.compaction} ${oneLine(compactSummary)}`,
    planTitle && `${AUTO_SUMMARY_LABELS.plan} ${oneLine(planTitle)}`,
    asked && `${AUTO_SUMMARY_LABELS.asked} ${oneLine(asked)}`,
    lastAnswer && `${AUTO_SUMMARY_LABELS.outcome} ${oneLine(lastAnswer)}`,
    runPrompt && firstPrompt && `${AUTO_SUMMARY_LABELS.earlier} ${oneLine(firstPrompt)}`,
  ].filter((part): part is string => typeof part === 'string' && part !== '');
  return parts.length ? clip(parts.map(sentence).join(' '), AUTO_SUMMARY_LIMIT) : undefined;
}

/** A part as a sentence: a full stop added unless it ends in one (or in `?`, `!`, an ellipsis). */
function sentence(part: string): string {
  return /[.!?…]$/.test(part) ? part : `${part}.`;
}

/** The tasks still to do when the session last stopped (pending or in progress): its follow-ups. */
function openTasks(tasks: SessionTask[]): string[] {
  return uniqueStrings(tasks.filter((task) => task.status !== 'completed').map((task) => task.content));
}

function isFolder(path: string): boolean {
  return orNothing(() => statSync(path))?.isDirectory() ?? false;
}

