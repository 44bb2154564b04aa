import type { ShellRun } from '../clients/client.js';
import { fingerprint, type Commit, type WorkTreeSnapshot, type WorkTreeStatus } from '../project/git.js';

/**
 * Which of the changes git shows belong to a session. Several sessions can work in one repository at once, and git
 * cannot say who changed a file, so a change is a session's only when it could have made it: it appeared between
 * two of the session's own observations of the work tree (a snapshot kept in its state), and it happened while the
 * session ran a shell command (its own or a sub-agent's). A deletion has no time: it counts when the path was there
 * at the previous snapshot and the session ran a shell command since. File-tool edits need none of this: the
 * transcript names them exactly. Pure.
 */

export interface GitObservation {
  current: WorkTreeStatus;
  commits: Commit[];
  /** The snapshot of the previous observation; without one, a deletion cannot be placed in time and is left out. */
  previous?: WorkTreeSnapshot;
  /** The session's shell runs since the previous observation; `unknown` without a transcript to tell. */
  shellRuns: ShellRun[] | 'unknown';
  /** The session's window since the previous observation, in ms: used when its shell runs are unknown. */
  window: { start: number; end: number };
  /** The digest of the paths the index holds now (git-index.ts), where it could be read. */
  indexDigest?: string;
}

/** mtime resolution, whole-second commit times and clock skew: a change this close to a run counts as in it. */
export const SLACK_MS = 2000;

/** Paths (relative to the repository root) of the changes git shows that are the session's, and the subjects of its commits. */
export function attributeGitChanges(observation: GitObservation): { files: string[]; commits: string[] } {
  const { current, commits, previous, shellRuns, window, indexDigest } = observation;
  const runs = shellRuns === 'unknown' ? [window] : shellRuns;
  if (runs.length === 0) return { files: [], commits: [] };
  const during = (at: number) => runs.some((run) => at >= run.start - SLACK_MS && at <= run.end + SLACK_MS);
  const files = new Set<string>();
  for (const [path, entry] of current) {
    if (previous?.files[path] === fingerprint(entry)) continue;
    if (entry.mtime === undefined) {
      if (previous && !previous.files[path]?.endsWith('|gone') && !(entry.code[0] === 'D' && stagedBefore(previous, indexDigest))) files.add(path);
      continue;
    }
    // Against a snapshot the ctime tells a rename (`mv` keeps the mtime); without one, a file's ctime can be newer
    // than a change made long before (a touch of its times), so only its content's time counts.
    const changedAt = previous ? Math.max(entry.mtime, entry.ctime ?? entry.mtime) : entry.mtime;
    // A snapshot of the index's kind does not list what was changed then: that is older than the snapshot.
    if (previous?.indexDigest !== undefined && changedAt <= Date.parse(previous.at)) continue;
    if (during(changedAt)) files.add(path);
  }
  const made = commits.filter((commit) => during(commit.at));
  for (const commit of made) for (const path of commit.files) files.add(path);
  return { files: [...files], commits: made.map((commit) => commit.subject) };
}

/**
 * Whether a path gone from the index ('D ': `git rm`, a rename's source) was gone from it at the previous snapshot
 * too, which a snapshot of the index's kind leaves to ask: it was when the index holds the same paths as then. A
 * session that staged other paths since takes such a deletion as its own.
 */
function stagedBefore(previous: WorkTreeSnapshot, indexDigest: string | undefined): boolean {
  return previous.indexDigest !== undefined && previous.indexDigest === indexDigest;
}
