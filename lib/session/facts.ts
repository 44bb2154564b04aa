import { readdir, realpath, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { CapturedFacts } from '../memory/merge.js';
import { errorCode } from '../errors.js';
import { changedFilesSince, readRepo, type RepoFacts } from '../project/git.js';
import type { Paths } from '../paths.js';
import { projectNameAt } from '../memory/read.js';
import { readSessionState, type SessionState } from '../memory/state.js';
import { toProjectFiles } from '../project/files.js';
import { readTranscript, type TranscriptRead, type TranscriptScan } from '../clients/claude-code/read.js';

export interface SessionSource {
  /** Claude Code's session id. */
  sessionKey?: string;
  transcriptPath?: string;
  /** The folder the session runs in (see hook-run.ts's sessionFolder, or the CLI's working folder). */
  cwd: string;
  /** The session is over (caught up at a later SessionStart): its time and git window end at its last line, not now. */
  ended?: boolean;
  /** `--project`: wins over every derived name. */
  explicitProject?: string;
}

export interface SessionFacts {
  project: string;
  captured: CapturedFacts;
  repo?: RepoFacts;
  /** What to save in the session's state so the next run reads only new transcript bytes. */
  state: Pick<SessionState, 'transcriptPath' | 'cwd' | 'startedAt' | 'scan'>;
}

const AUTO_SUMMARY_PART = 240;

/** Everything the machine can tell about a session: transcript (incrementally) and git. */
export async function gatherSessionFacts(paths: Paths, source: SessionSource, now: Date): Promise<SessionFacts> {
  const previous = source.sessionKey ? await readSessionState(paths, source.sessionKey) : {};
  const transcriptPath =
    source.transcriptPath ?? previous.transcriptPath ?? (source.sessionKey && (await findTranscript(paths, source.sessionKey)));
  const read = transcriptPath ? await readIfPresent(transcriptPath, previous.scan) : undefined;
  const scan = read?.scan ?? previous.scan;
  const facts = scan?.facts;

  // The first capture fixes the session's folder: a later `cd` of the shell must not move it to another project.
  const folder = previous.cwd ?? source.cwd;
  const cwd = (await isFolder(folder)) ? folder : facts?.cwd && (await isFolder(facts.cwd)) ? facts.cwd : undefined;
  const repo = cwd ? await readRepo(cwd) : undefined;
  const projectRoot = repo?.root ?? cwd ?? facts?.cwd ?? folder;

  const knownStart = facts?.firstTimestamp ?? previous.startedAt;
  const startedAt = knownStart ? new Date(knownStart) : now;
  const lastLine = facts?.lastTimestamp ? new Date(facts.lastTimestamp) : startedAt;
  const endedAt = source.ended ? lastLine : laterOf(lastLine, now);
  // Git is asked only about what happened since the last capture, from the first line this one read: a session
  // resumed days later does not claim others' commits from the gap. Files found earlier are in the entry already.
  const windowStart = read?.firstNewTimestamp ?? previous.scan?.facts.lastTimestamp ?? knownStart;
  // Without a known start every uncommitted change is taken: the user asked to record from this repo.
  const gitFiles = repo ? await changedFilesSince(repo.root, windowStart ? new Date(windowStart) : undefined, endedAt) : [];
  const realRoot = await realPath(projectRoot);
  // Real paths: a file reached through a symlink and the same file as git names it are one file.
  const changed = await Promise.all([...(facts?.changedFiles ?? []), ...gitFiles].map((path) => realPath(resolve(realRoot, path))));
  const files = toProjectFiles(changed, {
    projectRoot: realRoot,
    home: await realPath(paths.home),
    // Our own writes (memory, state) are never the session's work, even when they sit inside a repository.
    bookkeeping: await Promise.all([paths.claudeConfigDir, paths.projectsDir, paths.stateDir].map(realPath)),
  });

  const project = await projectNameAt(projectRoot, repo?.originUrl, source.explicitProject);
  return {
    project,
    captured: { startedAt, endedAt, files, autoSummary: autoSummary(facts?.firstPrompt, facts?.lastAssistantText) },
    ...(repo ? { repo } : {}),
    state: {
      ...(transcriptPath ? { transcriptPath } : {}),
      cwd: projectRoot,
      startedAt: startedAt.toISOString(),
      ...(scan ? { scan } : {}),
    },
  };
}

/** The first prompt and the last answer, trimmed: a summary until the model writes one. */
export function autoSummary(firstPrompt: string | undefined, lastAnswer: string | undefined): string | undefined {
  const parts = [firstPrompt && `Asked: ${clip(firstPrompt)}`, lastAnswer && `Outcome: ${clip(lastAnswer)}`].filter(Boolean);
  return parts.length ? parts.join(' ') : undefined;
}

/** `<config>/projects/<encoded cwd>/<session id>.jsonl`; the folder name is lossy, so look, don't decode. */
async function findTranscript(paths: Paths, sessionKey: string): Promise<string | undefined> {
  const projects = join(paths.claudeConfigDir, 'projects');
  const folders = await readdir(projects).catch(() => [] as string[]);
  for (const folder of folders) {
    const candidate = join(projects, folder, `${sessionKey}.jsonl`);
    if (await stat(candidate).then((info) => info.isFile(), () => false)) return candidate;
  }
  return undefined;
}

async function readIfPresent(path: string, previous: TranscriptScan | undefined): Promise<TranscriptRead | undefined> {
  try {
    return await readTranscript(path, previous);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw error;
  }
}

/** The path with every symlink resolved; for a path that does not exist (a deleted file), its nearest existing folder's. */
async function realPath(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch {
    const parent = dirname(path);
    return parent === path ? path : join(await realPath(parent), basename(path));
  }
}

async function isFolder(path: string): Promise<boolean> {
  return stat(path).then((info) => info.isDirectory(), () => false);
}

function laterOf(a: Date, b: Date): Date {
  return a.getTime() >= b.getTime() ? a : b;
}

function clip(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > AUTO_SUMMARY_PART ? `${oneLine.slice(0, AUTO_SUMMARY_PART - 1)}…` : oneLine;
}
