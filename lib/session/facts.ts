import { stat } from 'node:fs/promises';
import type { Client } from '../clients/client.js';
import { orAbsent } from '../disk.js';
import type { CapturedFacts } from '../memory/merge.js';
import type { SessionState } from '../memory/state.js';
import type { Paths } from '../paths.js';
import { realProjectFiles } from '../project/files.js';
import { changedFilesSince, readRepo, type RepoFacts } from '../project/git.js';
import { projectNameAt } from '../project/name.js';
import { clip } from '../text.js';

export interface SessionSource {
  /** The agent's session id. Without one, `record` makes a new entry each time. */
  sessionKey?: string;
  transcriptPath?: string;
  /**
   * The folder the session runs in, as the caller knows it: for a hook the folder Claude Code was launched in
   * (`CLAUDE_PROJECT_DIR`, which stays put when the shell `cd`s), else the hook input's cwd; for a command, its
   * working folder. Without it, the transcript's first cwd (Claude Code before 1.0.54 sent none), else ours.
   */
  cwd?: string;
  /** The session is over (caught up at a later SessionStart): its time and git window end at its last line, not now. */
  ended?: boolean;
  /** `--project`: wins over every derived name. */
  explicitProject?: string;
}

export interface SessionFacts {
  project: string;
  /** Its files: those found since the session's entry was last written (it holds the rest), or all (`everyFile`). */
  captured: CapturedFacts;
  repo?: RepoFacts;
  /** What to save in the session's state so the next run reads only new transcript bytes. */
  saved: Pick<SessionState, 'transcriptPath' | 'cwd' | 'startedAt' | 'scan'>;
  /** What the transcript read left out and why, for the log. */
  notes: string[];
}

const AUTO_SUMMARY_PART = 240;

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
  const read = transcriptPath ? await orAbsent(client.readTranscript(transcriptPath, state.scan)) : undefined;
  const scan = read?.scan ?? state.scan;
  const facts = scan?.facts;

  // The first capture fixes the session's folder: a later `cd` of the shell must not move it to another project.
  const folder = state.cwd ?? (await sessionFolder(client, source));
  const cwd = (await isFolder(folder)) ? folder : facts?.cwd && (await isFolder(facts.cwd)) ? facts.cwd : undefined;
  const repo = cwd ? await readRepo(cwd) : undefined;
  const projectRoot = repo?.root ?? cwd ?? facts?.cwd ?? folder;
  const project = await projectNameAt(projectRoot, repo?.originUrl, source.explicitProject);

  const knownStart = facts?.firstTimestamp ?? state.startedAt;
  const startedAt = knownStart ? new Date(knownStart) : now;
  const lastLine = facts?.lastTimestamp ? new Date(facts.lastTimestamp) : startedAt;
  const endedAt = source.ended ? lastLine : laterOf(lastLine, now);
  // Git is asked only about what happened since the last capture, from the first line this one read: a session
  // resumed days later does not claim others' commits from the gap. Files found earlier are in the entry already.
  const windowStart = read?.firstNewTimestamp ?? state.scan?.facts.lastTimestamp ?? knownStart;
  // Without a known start every uncommitted change is taken: the user asked to record from this repo.
  const gitFiles = repo ? await changedFilesSince(repo.root, windowStart ? new Date(windowStart) : undefined, endedAt) : [];
  const transcriptFiles = everyFile ? (facts?.changedFiles ?? []) : unrecordedFiles(facts?.changedFiles ?? [], state, project);
  const files = await realProjectFiles([...transcriptFiles, ...gitFiles], {
    projectRoot,
    home: paths.home,
    // Our own writes (memory, state) are never the session's work, even when they sit inside a repository.
    bookkeeping: [paths.claudeConfigDir, paths.projectsDir, paths.stateDir],
  });
  return {
    project,
    captured: { startedAt, endedAt, files, autoSummary: autoSummary(facts?.firstPrompt, facts?.lastAssistantText) },
    ...(repo ? { repo } : {}),
    saved: {
      ...(transcriptPath ? { transcriptPath } : {}),
      cwd: projectRoot,
      startedAt: startedAt.toISOString(),
      ...(scan ? { scan } : {}),
    },
    notes: read?.notes ?? [],
  };
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

/** The first prompt and the last answer, trimmed: a summary until the model writes one. */
export function autoSummary(firstPrompt: string | undefined, lastAnswer: string | undefined): string | undefined {
  const oneLine = (text: string) => clip(text.replace(/\s+/g, ' ').trim(), AUTO_SUMMARY_PART);
  const parts = [firstPrompt && `Asked: ${oneLine(firstPrompt)}`, lastAnswer && `Outcome: ${oneLine(lastAnswer)}`].filter(Boolean);
  return parts.length ? parts.join(' ') : undefined;
}

async function isFolder(path: string): Promise<boolean> {
  return stat(path).then((info) => info.isDirectory(), () => false);
}

function laterOf(a: Date, b: Date): Date {
  return a.getTime() >= b.getTime() ? a : b;
}
